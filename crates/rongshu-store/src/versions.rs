//! Ingests (a delivery being read) and the immutable versions they make.

use rongshu_classify::{Grade, IdentifierKind};
use rongshu_domain::resource::{DeliveryChannel, IngestState};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::found;
use crate::resources::ResourceField;
use crate::{Store, StoreError, WriteTx, parse_code};

/// A delivery being read, or the record of one that ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ingest {
    pub id: i64,
    pub resource_id: i64,
    pub state: IngestState,
    pub channel: DeliveryChannel,
    pub format: String,
    pub file_name: String,
    pub object_name: String,
    pub started_by: Option<i64>,
    pub started_at_ms: i64,
    /// Refreshed while the ingest runs; a stale one has lost its process.
    pub heartbeat_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    /// The delivery's size when known in advance (progress bars).
    pub bytes_total: Option<i64>,
    pub bytes_read: i64,
    pub rows_read: i64,
    pub bad_rows: i64,
    pub error: Option<String>,
    pub version_id: Option<i64>,
}

/// A row an ingest left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRowRecord {
    pub row_number: i64,
    pub field: Option<String>,
    pub message: String,
}

/// A new ingest, before any byte is read.
#[derive(Clone, Debug)]
pub struct NewIngest {
    pub resource_id: i64,
    pub channel: DeliveryChannel,
    pub format: String,
    pub file_name: String,
    pub object_name: String,
    pub started_by: Option<i64>,
    pub bytes_total: Option<i64>,
}

/// A field of one version as ingest found it.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionField {
    pub name: String,
    pub field_type: String,
    pub detected_kind: Option<IdentifierKind>,
    pub share: f64,
    pub confidence: f64,
    /// Values scanned for identifiers.
    pub scanned: i64,
    pub suggested_level: Grade,
}

/// An immutable version: one completed delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub id: i64,
    pub resource_id: i64,
    pub number: i64,
    pub ingest_id: i64,
    pub row_count: i64,
    /// Plaintext Parquet bytes.
    pub byte_size: i64,
    pub sealed_size: i64,
    /// SM3 of the plaintext Parquet, hex.
    pub digest: String,
    pub object_name: String,
    pub suite: String,
    /// The data key wrapped by the master key, hex.
    pub wrapped_key: String,
    /// Which master key wrapped it.
    pub master_key_id: String,
    pub source_format: String,
    pub source_encoding: Option<String>,
    pub source_bytes: i64,
    pub delivered_by: Option<i64>,
    pub delivered_by_name: Option<String>,
    pub channel: DeliveryChannel,
    pub suggested_grade: Grade,
    pub delivered_at_ms: i64,
}

/// A version about to be published, with its fields.
#[derive(Clone, Debug)]
pub struct NewVersion {
    pub resource_id: i64,
    pub ingest_id: i64,
    pub row_count: i64,
    pub byte_size: i64,
    pub sealed_size: i64,
    pub digest: String,
    pub object_name: String,
    pub suite: String,
    pub wrapped_key: String,
    pub master_key_id: String,
    pub source_format: String,
    pub source_encoding: Option<String>,
    pub source_bytes: i64,
    pub delivered_by: Option<i64>,
    pub channel: DeliveryChannel,
    pub suggested_grade: Grade,
    pub fields: Vec<VersionField>,
    /// Rows the ingest refused (all of them, listed or not).
    pub bad_rows: i64,
}

fn ingest(row: &AnyRow) -> Result<Ingest, StoreError> {
    Ok(Ingest {
        id: row.try_get("id")?,
        resource_id: row.try_get("resource_id")?,
        state: parse_code("ingest state", row.try_get("state")?)?,
        channel: parse_code("delivery channel", row.try_get("channel")?)?,
        format: row.try_get("format")?,
        file_name: row.try_get("file_name")?,
        object_name: row.try_get("object_name")?,
        started_by: row.try_get("started_by")?,
        started_at_ms: row.try_get("started_at")?,
        heartbeat_at_ms: row.try_get("heartbeat_at")?,
        finished_at_ms: row.try_get("finished_at")?,
        bytes_total: row.try_get("bytes_total")?,
        bytes_read: row.try_get("bytes_read")?,
        rows_read: row.try_get("rows_read")?,
        bad_rows: row.try_get("bad_rows")?,
        error: row.try_get("error")?,
        version_id: row.try_get("version_id")?,
    })
}

const VERSION_SELECT: &str = "SELECT v.*, a.username AS delivered_by_name FROM resource_versions v \
     LEFT JOIN accounts a ON a.id = v.delivered_by";

fn version(row: &AnyRow) -> Result<Version, StoreError> {
    Ok(Version {
        id: row.try_get("id")?,
        resource_id: row.try_get("resource_id")?,
        number: row.try_get("number")?,
        ingest_id: row.try_get("ingest_id")?,
        row_count: row.try_get("row_count")?,
        byte_size: row.try_get("byte_size")?,
        sealed_size: row.try_get("sealed_size")?,
        digest: row.try_get("digest")?,
        object_name: row.try_get("object_name")?,
        suite: row.try_get("suite")?,
        wrapped_key: row.try_get("wrapped_key")?,
        master_key_id: row.try_get("master_key_id")?,
        source_format: row.try_get("source_format")?,
        source_encoding: row.try_get("source_encoding")?,
        source_bytes: row.try_get("source_bytes")?,
        delivered_by: row.try_get("delivered_by")?,
        delivered_by_name: row.try_get("delivered_by_name")?,
        channel: parse_code("delivery channel", row.try_get("channel")?)?,
        suggested_grade: parse_code("grade", row.try_get("suggested_grade")?)?,
        delivered_at_ms: row.try_get("delivered_at")?,
    })
}

fn version_field(row: &AnyRow) -> Result<VersionField, StoreError> {
    let kind: Option<String> = row.try_get("detected_kind")?;
    Ok(VersionField {
        name: row.try_get("name")?,
        field_type: row.try_get("field_type")?,
        detected_kind: kind.map(|k| parse_code("identifier kind", k)).transpose()?,
        share: row.try_get("share")?,
        confidence: row.try_get("confidence")?,
        scanned: row.try_get("scanned")?,
        suggested_level: parse_code("grade", row.try_get("suggested_level")?)?,
    })
}

impl Store {
    pub async fn ingest(&self, id: i64) -> Result<Ingest, StoreError> {
        let row = sqlx::query("SELECT * FROM ingests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(ingest)
            .transpose()?
            .ok_or(StoreError::NotFound {
                what: "ingest",
                id: id.to_string(),
            })
    }

    /// A resource's ingests, newest first.
    pub async fn ingests(&self, resource_id: i64, limit: u32) -> Result<Vec<Ingest>, StoreError> {
        sqlx::query("SELECT * FROM ingests WHERE resource_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(resource_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(ingest)
            .collect()
    }

    /// Running ingests whose process has not been heard from since
    /// `before_ms`.
    pub async fn stale_ingests(&self, before_ms: i64) -> Result<Vec<Ingest>, StoreError> {
        sqlx::query("SELECT * FROM ingests WHERE state = 'running' AND heartbeat_at < $1")
            .bind(before_ms)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(ingest)
            .collect()
    }

    /// Records progress; also the heartbeat that keeps recovery away. Not
    /// a change of state, so neither ledgered nor behind the ledger lock.
    pub async fn record_ingest_progress(
        &self,
        id: i64,
        bytes_read: u64,
        rows_read: u64,
        bad_rows: u64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE ingests SET bytes_read = $1, rows_read = $2, bad_rows = $3, heartbeat_at = $4 \
             WHERE id = $5 AND state = 'running'",
        )
        .bind(i64::try_from(bytes_read).unwrap_or(i64::MAX))
        .bind(i64::try_from(rows_read).unwrap_or(i64::MAX))
        .bind(i64::try_from(bad_rows).unwrap_or(i64::MAX))
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn ingest_bad_rows(&self, id: i64) -> Result<Vec<BadRowRecord>, StoreError> {
        sqlx::query(
            "SELECT row_number, field, message FROM ingest_bad_rows WHERE ingest_id = $1 \
             ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(BadRowRecord {
                row_number: r.try_get("row_number")?,
                field: r.try_get("field")?,
                message: r.try_get("message")?,
            })
        })
        .collect()
    }

    /// A resource's versions, newest first.
    pub async fn versions(&self, resource_id: i64) -> Result<Vec<Version>, StoreError> {
        let sql = format!("{VERSION_SELECT} WHERE v.resource_id = $1 ORDER BY v.number DESC");
        sqlx::query(&sql)
            .bind(resource_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(version)
            .collect()
    }

    /// Every version, oldest first (key rotation, recovery).
    pub async fn all_versions(&self) -> Result<Vec<Version>, StoreError> {
        let sql = format!("{VERSION_SELECT} ORDER BY v.id");
        sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(version)
            .collect()
    }

    pub async fn version(&self, resource_id: i64, number: i64) -> Result<Version, StoreError> {
        let sql = format!("{VERSION_SELECT} WHERE v.resource_id = $1 AND v.number = $2");
        let row = sqlx::query(&sql)
            .bind(resource_id)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(version)
            .transpose()?
            .ok_or(StoreError::NotFound {
                what: "version",
                id: format!("{resource_id}/{number}"),
            })
    }

    pub async fn version_fields(&self, version_id: i64) -> Result<Vec<VersionField>, StoreError> {
        sqlx::query("SELECT * FROM version_fields WHERE version_id = $1 ORDER BY position")
            .bind(version_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(version_field)
            .collect()
    }
}

impl WriteTx<'_> {
    pub async fn insert_ingest(&mut self, new: &NewIngest, now_ms: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO ingests (resource_id, state, channel, format, file_name, object_name, \
             started_by, started_at, heartbeat_at, bytes_total) \
             VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
        )
        .bind(new.resource_id)
        .bind(new.channel.as_str())
        .bind(new.format.clone())
        .bind(new.file_name.clone())
        .bind(new.object_name.clone())
        .bind(new.started_by)
        .bind(now_ms)
        .bind(new.bytes_total)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Ends a running ingest without a version (failed or abandoned), with
    /// the rows it refused: `bad_total` counted, `bad_rows` listed.
    /// `false` if it had already ended.
    pub async fn end_ingest(
        &mut self,
        id: i64,
        state: IngestState,
        error: &str,
        bad_rows: &[BadRowRecord],
        bad_total: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE ingests SET state = $1, error = $2, finished_at = $3, \
             bad_rows = CASE WHEN bad_rows > $4 THEN bad_rows ELSE $4 END WHERE id = $5 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(error.to_owned())
        .bind(now_ms)
        .bind(bad_total)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.insert_bad_rows(id, bad_rows).await?;
        Ok(true)
    }

    async fn insert_bad_rows(&mut self, id: i64, rows: &[BadRowRecord]) -> Result<(), StoreError> {
        // One statement per hundred rows: statements, not rows, cost time.
        for (batch_no, batch) in rows.chunks(100).enumerate() {
            let placeholders: Vec<String> = (0..batch.len())
                .map(|i| {
                    let b = i * 5;
                    format!(
                        "(${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO ingest_bad_rows (ingest_id, position, row_number, field, message) VALUES {}",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (i, row) in batch.iter().enumerate() {
                query = query
                    .bind(id)
                    .bind((batch_no * 100 + i) as i64)
                    .bind(row.row_number)
                    .bind(row.field.clone())
                    .bind(row.message.clone());
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Publishes a version: numbers it, records its fields, ends the ingest
    /// as succeeded, replaces the resource's current fields (keeping the
    /// provider's decisions on fields that remain) and its suggested grade.
    /// The version becomes visible when the transaction commits.
    pub async fn publish_version(
        &mut self,
        new: &NewVersion,
        bad_rows: &[BadRowRecord],
        now_ms: i64,
    ) -> Result<Version, StoreError> {
        let number: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM resource_versions WHERE resource_id = $1",
        )
        .bind(new.resource_id)
        .fetch_one(&mut *self.tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO resource_versions (resource_id, number, ingest_id, row_count, byte_size, \
             sealed_size, digest, object_name, suite, wrapped_key, master_key_id, source_format, \
             source_encoding, source_bytes, delivered_by, channel, suggested_grade, delivered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
             RETURNING id",
        )
        .bind(new.resource_id)
        .bind(number)
        .bind(new.ingest_id)
        .bind(new.row_count)
        .bind(new.byte_size)
        .bind(new.sealed_size)
        .bind(new.digest.clone())
        .bind(new.object_name.clone())
        .bind(new.suite.clone())
        .bind(new.wrapped_key.clone())
        .bind(new.master_key_id.clone())
        .bind(new.source_format.clone())
        .bind(new.source_encoding.clone())
        .bind(new.source_bytes)
        .bind(new.delivered_by)
        .bind(new.channel.as_str())
        .bind(new.suggested_grade.as_str())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?;
        for (position, f) in new.fields.iter().enumerate() {
            sqlx::query(
                "INSERT INTO version_fields (version_id, position, name, field_type, detected_kind, \
                 share, confidence, scanned, suggested_level) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(f.name.clone())
            .bind(f.field_type.clone())
            .bind(f.detected_kind.map(|k| k.as_str()))
            .bind(f.share)
            .bind(f.confidence)
            .bind(f.scanned)
            .bind(f.suggested_level.as_str())
            .execute(&mut *self.tx)
            .await?;
        }
        self.replace_current_fields(new.resource_id, &new.fields)
            .await?;
        let done = sqlx::query(
            "UPDATE ingests SET state = 'succeeded', finished_at = $1, version_id = $2, \
             rows_read = $3, bad_rows = $4, bytes_read = $5 WHERE id = $6 AND state = 'running'",
        )
        .bind(now_ms)
        .bind(id)
        .bind(new.row_count)
        .bind(new.bad_rows)
        .bind(new.source_bytes)
        .bind(new.ingest_id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "running ingest", new.ingest_id)?;
        self.insert_bad_rows(new.ingest_id, bad_rows).await?;
        sqlx::query(
            "UPDATE resources SET suggested_grade = $1, last_delivered_at = $2, updated_at = $2 \
             WHERE id = $3",
        )
        .bind(new.suggested_grade.as_str())
        .bind(now_ms)
        .bind(new.resource_id)
        .execute(&mut *self.tx)
        .await?;
        let sql = format!("{VERSION_SELECT} WHERE v.id = $1");
        version(&sqlx::query(&sql).bind(id).fetch_one(&mut *self.tx).await?)
    }

    async fn replace_current_fields(
        &mut self,
        resource_id: i64,
        fields: &[VersionField],
    ) -> Result<(), StoreError> {
        let previous: Vec<ResourceField> =
            sqlx::query("SELECT * FROM resource_fields WHERE resource_id = $1")
                .bind(resource_id)
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(crate::resources::field)
                .collect::<Result<_, _>>()?;
        sqlx::query("DELETE FROM resource_fields WHERE resource_id = $1")
            .bind(resource_id)
            .execute(&mut *self.tx)
            .await?;
        for (position, f) in fields.iter().enumerate() {
            let kept = previous.iter().find(|p| p.name == f.name);
            sqlx::query(
                "INSERT INTO resource_fields (resource_id, position, name, field_type, description, \
                 detected_kind, share, confidence, suggested_level, sensitivity, personal_kind) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(resource_id)
            .bind(position as i64)
            .bind(f.name.clone())
            .bind(f.field_type.clone())
            .bind(kept.map(|k| k.description.clone()).unwrap_or_default())
            .bind(f.detected_kind.map(|k| k.as_str()))
            .bind(f.share)
            .bind(f.confidence)
            .bind(f.suggested_level.as_str())
            .bind(kept.map_or(f.suggested_level, |k| k.sensitivity).as_str())
            .bind(
                kept.map_or(f.detected_kind, |k| k.personal_kind)
                    .map(|k| k.as_str()),
            )
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_kinds_round_trip_through_storage_codes() {
        for k in IdentifierKind::ALL {
            assert_eq!(k.as_str().parse::<IdentifierKind>().ok(), Some(k));
        }
    }
}
