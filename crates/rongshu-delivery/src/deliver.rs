//! One delivery, from its first byte to a published version or to nothing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rongshu_classify::Grade;
use rongshu_crypto::seal::DataKey;
use rongshu_domain::resource::{DeliveryChannel, IngestState, RegistrationStatus};
use rongshu_ingest::{
    BadRow, FieldType, Format, IngestError, IngestOptions, IngestReport, Progress, TextEncoding,
    ingest,
};
use rongshu_ledger::{Attribution, EntryDraft, Outcome, Segment};
use rongshu_objects::{ObjectError, SealedObject};
use rongshu_store::{BadRowRecord, Ingest, NewIngest, NewVersion, Version, VersionField};
use tokio::io::AsyncRead;
use tokio::runtime::Handle;
use tokio_util::io::SyncIoBridge;

use crate::{Deliveries, DeliveryError, key_context, now_ms};

/// What is being delivered, and how to read it.
#[derive(Clone, Debug)]
pub struct DeliveryRequest {
    pub resource_id: i64,
    pub channel: DeliveryChannel,
    pub file_name: String,
    /// Told from the file name when `None`.
    pub format: Option<Format>,
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    pub sheet: Option<String>,
    pub field_types: BTreeMap<String, FieldType>,
    /// The delivery's size when known (progress).
    pub bytes_total: Option<u64>,
    /// The account delivering.
    pub delivered_by: Option<i64>,
}

/// A published delivery.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub ingest: Ingest,
    pub version: Version,
    pub report: IngestReport,
}

enum Failure {
    Ingest(IngestError),
    Objects(ObjectError),
}

fn bad_rows(rows: &[BadRow]) -> Vec<BadRowRecord> {
    rows.iter()
        .map(|b| BadRowRecord {
            row_number: i64::try_from(b.row).unwrap_or(i64::MAX),
            field: b.problem.field.clone(),
            message: b.problem.message.clone(),
        })
        .collect()
}

impl Deliveries {
    /// Reads `body` as a delivery to a resource. The version is visible
    /// once this returns `Ok`; on any error nothing of the delivery is
    /// kept but the ingest record and its error report.
    pub async fn deliver<R>(
        &self,
        request: DeliveryRequest,
        by: &(dyn Attribution + Sync),
        body: R,
    ) -> Result<Delivered, DeliveryError>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let store = &self.inner.store;
        let config = &self.inner.config;
        let resource = store.resource(request.resource_id).await?;
        if resource.registration.status == Some(RegistrationStatus::Cancelled) {
            return Err(DeliveryError::Cancelled);
        }
        let format = request
            .format
            .or_else(|| Format::from_file_name(&request.file_name))
            .ok_or_else(|| DeliveryError::UnknownFormat(request.file_name.clone()))?;
        let object_name = format!(
            "versions/{}/{}.parquet.sealed",
            resource.id,
            uuid::Uuid::new_v4()
        );

        let mut tx = store.begin().await?;
        let ingest_id = tx
            .insert_ingest(
                &NewIngest {
                    resource_id: resource.id,
                    channel: request.channel,
                    format: format.as_str().to_owned(),
                    file_name: request.file_name.clone(),
                    object_name: object_name.clone(),
                    started_by: request.delivered_by,
                    bytes_total: request.bytes_total.and_then(|b| i64::try_from(b).ok()),
                },
                now_ms(),
            )
            .await?;
        tx.append(EntryDraft {
            segment: Some(Segment::Provider),
            reason: Some(format!(
                "{} via {}: {}",
                format.as_str(),
                request.channel.as_str(),
                request.file_name
            )),
            ..by.entry("delivery.start", "resource", Some(resource.code.clone()))
        })
        .await?;
        tx.commit().await?;

        let options = IngestOptions {
            encoding: request.encoding,
            delimiter: request.delimiter,
            sheet: request.sheet.clone(),
            field_types: request.field_types.clone(),
            memory_budget: config.memory_budget,
            sample_rows: config.sample_rows,
            scan_rows: config.scan_rows,
            max_bad_share: config.max_bad_share,
            max_listed_bad_rows: config.max_listed_bad_rows,
            max_buffered_bytes: config.max_buffered_bytes,
            ..IngestOptions::new(format)
        };
        let key = DataKey::generate(config.suite);
        let wrapped_key = hex::encode(self.inner.master.wrap(&key, &key_context(&object_name)));
        let outcome = self
            .run(ingest_id, object_name.clone(), key, options, body)
            .await?;
        match outcome {
            Ok((report, object)) => {
                self.publish(
                    &request,
                    &resource.code,
                    ingest_id,
                    report,
                    object,
                    wrapped_key,
                    by,
                )
                .await
            }
            Err(failure) => {
                self.inner.files.discard(&object_name).await?;
                let (listed, bad_total) = match &failure {
                    Failure::Ingest(IngestError::TooManyBadRows { listed, bad, .. }) => {
                        (bad_rows(listed), i64::try_from(*bad).unwrap_or(i64::MAX))
                    }
                    _ => (Vec::new(), 0),
                };
                let message = failure_message(&failure);
                let mut tx = store.begin().await?;
                tx.end_ingest(
                    ingest_id,
                    IngestState::Failed,
                    &message,
                    &listed,
                    bad_total,
                    now_ms(),
                )
                .await?;
                tx.append(EntryDraft {
                    segment: Some(Segment::Provider),
                    outcome: Outcome::Failed,
                    reason: Some(message.clone()),
                    ..by.entry("delivery.reject", "ingest", Some(ingest_id.to_string()))
                })
                .await?;
                tx.commit().await?;
                match failure {
                    Failure::Ingest(source) => Err(DeliveryError::Rejected { ingest_id, source }),
                    Failure::Objects(e) => Err(DeliveryError::Objects(e)),
                }
            }
        }
    }

    /// Reads, converts and seals on a blocking thread, recording progress
    /// (the heartbeat) as it goes.
    async fn run<R>(
        &self,
        ingest_id: i64,
        object_name: String,
        key: DataKey,
        options: IngestOptions,
        body: R,
    ) -> Result<Result<(IngestReport, SealedObject), Failure>, DeliveryError>
    where
        R: AsyncRead + Send + Unpin + 'static,
    {
        let files = self.inner.files.clone();
        let store = self.inner.store.clone();
        let every = Duration::from_millis(self.inner.config.progress_every_ms);
        tokio::task::spawn_blocking(move || {
            let runtime = Handle::current();
            let writer = files.create(&object_name, &key).map_err(Failure::Objects)?;
            let mut last = Instant::now();
            let mut progress = |p: Progress| {
                if last.elapsed() >= every {
                    last = Instant::now();
                    let recorded = runtime.block_on(store.record_ingest_progress(
                        ingest_id,
                        p.bytes_read,
                        p.rows,
                        p.bad_rows,
                        now_ms(),
                    ));
                    if let Err(e) = recorded {
                        tracing::warn!(ingest_id, error = %e, "could not record ingest progress");
                    }
                }
            };
            let (report, writer) = ingest(SyncIoBridge::new(body), &options, writer, &mut progress)
                .map_err(Failure::Ingest)?;
            let object = writer.finish().map_err(Failure::Objects)?;
            Ok((report, object))
        })
        .await
        .map_err(|e| DeliveryError::Task(e.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn publish(
        &self,
        request: &DeliveryRequest,
        resource_code: &str,
        ingest_id: i64,
        report: IngestReport,
        object: SealedObject,
        wrapped_key: String,
        by: &(dyn Attribution + Sync),
    ) -> Result<Delivered, DeliveryError> {
        let scale = &self.inner.config.grade_scale;
        let fields: Vec<VersionField> = report
            .fields
            .iter()
            .map(|f| {
                let detection = f.classification.detection.as_ref();
                VersionField {
                    name: f.name.clone(),
                    field_type: f.field_type.as_str().to_owned(),
                    detected_kind: detection.map(|d| d.kind),
                    share: detection.map_or(0.0, |d| d.share),
                    confidence: detection.map_or(0.0, |d| d.confidence),
                    scanned: i64::try_from(f.classification.values).unwrap_or(i64::MAX),
                    suggested_level: scale.field_grade(detection.map(|d| d.kind)),
                }
            })
            .collect();
        let suggested_grade: Grade =
            scale.resource_grade(fields.iter().map(|f| f.suggested_level), report.rows);
        let new = NewVersion {
            resource_id: request.resource_id,
            ingest_id,
            row_count: i64::try_from(report.rows).unwrap_or(i64::MAX),
            byte_size: i64::try_from(object.plaintext_len).unwrap_or(i64::MAX),
            sealed_size: i64::try_from(object.sealed_len).unwrap_or(i64::MAX),
            digest: object.digest.clone(),
            object_name: object.name.clone(),
            suite: self.inner.config.suite.as_str().to_owned(),
            wrapped_key,
            master_key_id: self.inner.master.id(),
            source_format: report.format.as_str().to_owned(),
            source_encoding: report.encoding.map(|e| e.as_str().to_owned()),
            source_bytes: i64::try_from(report.bytes_read).unwrap_or(i64::MAX),
            delivered_by: request.delivered_by,
            channel: request.channel,
            suggested_grade,
            fields,
            bad_rows: i64::try_from(report.bad_rows).unwrap_or(i64::MAX),
        };
        let store = &self.inner.store;
        let mut tx = store.begin().await?;
        let version = tx
            .publish_version(&new, &bad_rows(&report.listed_bad_rows), now_ms())
            .await?;
        let object_id = Some(format!("{resource_code}/v{}", version.number));
        let summary = format!(
            "{} rows, {} bad, SM3 {}",
            report.rows, report.bad_rows, object.digest
        );
        // Both Art. 18 segments: the provider hands the data to the sharing
        // platform, which hands it to the operation platform.
        for (action, segment) in [
            ("delivery.submit", Segment::Provider),
            ("delivery.receive", Segment::BigDataCenter),
        ] {
            tx.append(EntryDraft {
                segment: Some(segment),
                reason: Some(summary.clone()),
                ..by.entry(action, "version", object_id.clone())
            })
            .await?;
        }
        // Art. 14: the version answers the delivery tasks that wait for it.
        rongshu_workflow::close_delivery_tasks(
            store,
            &mut tx,
            by,
            new.resource_id,
            version.id,
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(Delivered {
            ingest: store.ingest(ingest_id).await?,
            version,
            report,
        })
    }
}

fn failure_message(failure: &Failure) -> String {
    match failure {
        Failure::Ingest(e) => e.to_string(),
        Failure::Objects(e) => format!("storing the data failed: {e}"),
    }
}
