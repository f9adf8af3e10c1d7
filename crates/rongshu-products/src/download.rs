//! Downloads: the pipeline's output of the newest version, streamed in the
//! chosen format inside a ZIP with its metadata file (citation line,
//! lineage, what cleaning rejected, what k-anonymity did). The use is
//! ledgered and metered before the first byte leaves, by the records it
//! delivers.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::NaiveDate;
use rongshu_deid::{Batch, RunReport};
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::Metered;
use rongshu_formats::{OutputColumn, OutputFormat, Package};
use rongshu_ledger::Attribution;
use tokio::sync::mpsc;

use crate::access::Admission;
use crate::calls::citation;
use crate::serving::{OutputRead, columns_of, run_pipeline};
use crate::{Caller, ProductError, Products};

/// A download under way: its file name, and its bytes as they are made.
/// An error mid-way ends the stream with it, so a client never takes a
/// cut-off archive for a whole one.
#[derive(Debug)]
pub struct Download {
    pub file_name: String,
    pub chunks: mpsc::Receiver<Result<Bytes, String>>,
}

/// Chunks of the package on their way to the client.
struct ChannelWriter {
    sender: mpsc::Sender<Result<Bytes, String>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 256 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Products {
    pub async fn download(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        code: &str,
        format: OutputFormat,
    ) -> Result<Download, ProductError> {
        self.retried(caller, || self.download_once(caller, by, code, format))
            .await
    }

    async fn download_once(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        code: &str,
        format: OutputFormat,
    ) -> Result<Download, ProductError> {
        let admission = self.admit(caller, code, ServiceMode::Download).await?;
        let version = &admission.version;
        let read = self.output_read(&admission).await?;
        let today = self.workflow().today();
        let records = self.records_delivered(&admission, &read, today).await?;
        let OutputRead {
            parquet,
            keys,
            pipeline,
            fields,
            keep,
        } = read;
        self.record_use(
            caller,
            by,
            &admission,
            "product.download",
            Metered {
                downloads: 1,
                records,
                ..Metered::default()
            },
        )
        .await?;
        let metadata = Metadata {
            citation: citation(&admission.resource, version, today),
            product: admission.product.input.code.clone(),
            revision: admission.product.revision,
            resource: admission.resource.code.clone(),
            version: version.number,
            version_digest: version.digest.clone(),
            agreement_id: admission.grant.agreement_id,
            authorization_id: admission.grant.authorization_id,
            format,
            day: today.to_string(),
        };
        let (sender, chunks) = mpsc::channel(4);
        let file_name = format!("{}-v{}-{}.zip", code, version.number, format.as_str());
        tokio::task::spawn_blocking(move || {
            let sink = ChannelWriter {
                sender: sender.clone(),
                buffer: Vec::new(),
            };
            let made = (|| -> Result<(), ProductError> {
                let columns: Vec<OutputColumn> = columns_of(&parquet, &fields, &pipeline)?;
                let columns: Vec<OutputColumn> = keep.iter().map(|k| columns[*k].clone()).collect();
                let mut package = Package::start(format, columns.clone(), sink)?;
                let (_, report) =
                    run_pipeline(&parquet, &fields, &pipeline, &keys, today, |batch| {
                        Ok(package.write(&project(batch, &keep))?)
                    })?;
                package
                    .finish(&metadata.to_json(&columns, &report))?
                    .flush()
                    .map_err(rongshu_formats::FormatError::Io)?;
                Ok(())
            })();
            if let Err(e) = made {
                tracing::warn!(product = %metadata.product, error = %e, "download failed mid-way");
                let _ = sender.blocking_send(Err(e.to_string()));
            }
        });
        Ok(Download { file_name, chunks })
    }
}

impl Products {
    /// The records a download of the admitted product delivers today.
    async fn records_delivered(
        &self,
        admission: &Admission,
        read: &OutputRead,
        today: NaiveDate,
    ) -> Result<i64, ProductError> {
        let key = DeliveredKey {
            product_id: admission.product.id,
            revision: admission.product.revision,
            version_id: admission.version.id,
            day: today,
        };
        if let Some(records) = self.inner.delivered.get(&key) {
            return Ok(records);
        }
        let (parquet, fields, pipeline, keys) = (
            read.parquet.clone(),
            read.fields.clone(),
            read.pipeline.clone(),
            read.keys.clone(),
        );
        let counted = tokio::task::spawn_blocking(move || {
            run_pipeline(&parquet, &fields, &pipeline, &keys, today, |_| Ok(()))
        });
        let (_, report) = counted
            .await
            .map_err(|e| ProductError::Worker(format!("counting the output failed: {e}")))??;
        let records = i64::try_from(report.rows_out).unwrap_or(i64::MAX);
        self.inner.delivered.put(key, records);
        Ok(records)
    }
}

pub(crate) fn project(batch: Batch, keep: &[usize]) -> Batch {
    if keep.len() == batch.columns.len() {
        return batch;
    }
    let mut columns: Vec<Option<Vec<Option<String>>>> =
        batch.columns.into_iter().map(Some).collect();
    Batch {
        rows: batch.rows,
        columns: keep
            .iter()
            .map(|k| columns[*k].take().unwrap_or_default())
            .collect(),
    }
}

/// What `metadata.json` says besides the run's report.
struct Metadata {
    citation: String,
    product: String,
    revision: i64,
    resource: String,
    version: i64,
    version_digest: String,
    agreement_id: i64,
    authorization_id: i64,
    format: OutputFormat,
    day: String,
}

impl Metadata {
    fn to_json(&self, columns: &[OutputColumn], report: &RunReport) -> String {
        let rejections: Vec<serde_json::Value> = report
            .rejections
            .iter()
            .map(|r| serde_json::json!({"row": r.row, "field": r.field, "reason": r.reason.code()}))
            .collect();
        let k = report.k_anonymity.as_ref().map(|k| {
            serde_json::json!({
                "k": k.k, "achieved": k.achieved, "suppressed_rows": k.suppressed_rows,
                "dropped_rows": k.dropped_rows, "information_loss": k.information_loss,
            })
        });
        serde_json::to_string_pretty(&serde_json::json!({
            "citation": self.citation,
            "product": self.product,
            "product_revision": self.revision,
            "resource": self.resource,
            "version": self.version,
            "version_sm3": self.version_digest,
            "agreement_id": self.agreement_id,
            "authorization_id": self.authorization_id,
            "format": self.format.as_str(),
            "formula_guard": (self.format == OutputFormat::CsvGb18030).then_some(
                "text values beginning with =, +, -, @, a tab or a carriage return carry a leading apostrophe",
            ),
            "date": self.day,
            "fields": columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            "rows_in": report.rows_in,
            "rows_out": report.rows_out,
            "duplicates_dropped": report.duplicates,
            "rows_rejected": report.rejected,
            "rejections": rejections,
            "k_anonymity": k,
        }))
        .expect("metadata serialises")
    }
}

/// What a download of one product revision over one version delivers on
/// one day: the pipeline's rejections, duplicates and k-anonymity drops
/// depend on nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct DeliveredKey {
    product_id: i64,
    revision: i64,
    version_id: i64,
    day: NaiveDate,
}

/// Records each download delivers, counted once by running its pipeline
/// whole (the first download of the day waits for it), so that a download
/// is metered, and charged per record, by its output and not its input.
#[derive(Debug, Default)]
pub(crate) struct Delivered(Mutex<HashMap<DeliveredKey, i64>>);

impl Delivered {
    fn get(&self, key: &DeliveredKey) -> Option<i64> {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(key).copied()
    }

    /// Keeps `records` for `key`, forgetting other days'.
    fn put(&self, key: DeliveredKey, records: i64) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts.retain(|k, _| k.day == key.day);
        counts.insert(key, records);
    }
}
