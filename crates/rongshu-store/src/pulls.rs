//! The front system's scheduled pull sources.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::found;
use crate::{Store, StoreError, WriteTx};

/// Where the front system fetches a resource's data from, and when.
#[derive(Clone, PartialEq, Eq)]
pub struct PullSource {
    pub id: i64,
    pub resource_id: i64,
    /// `http` or `postgres`.
    pub kind: String,
    /// The URL; may carry credentials, so `Debug` leaves it out.
    pub location: String,
    /// PostgreSQL: the table (or `schema.table`) read whole.
    pub table_name: String,
    /// HTTP: the file format when the URL does not tell.
    pub format: String,
    pub interval_secs: i64,
    pub next_run_at_ms: i64,
    pub last_run_at_ms: Option<i64>,
    pub last_status: Option<String>,
    pub last_ingest_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for PullSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PullSource({} {} for resource {})",
            self.id, self.kind, self.resource_id
        )
    }
}

/// A pull source about to be stored.
#[derive(Clone)]
pub struct NewPullSource {
    pub resource_id: i64,
    pub kind: String,
    pub location: String,
    pub table_name: String,
    pub format: String,
    pub interval_secs: i64,
    pub created_by: Option<i64>,
}

impl std::fmt::Debug for NewPullSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "NewPullSource({} for resource {})",
            self.kind, self.resource_id
        )
    }
}

fn pull(row: &AnyRow) -> Result<PullSource, StoreError> {
    Ok(PullSource {
        id: row.try_get("id")?,
        resource_id: row.try_get("resource_id")?,
        kind: row.try_get("kind")?,
        location: row.try_get("location")?,
        table_name: row.try_get("table_name")?,
        format: row.try_get("format")?,
        interval_secs: row.try_get("interval_secs")?,
        next_run_at_ms: row.try_get("next_run_at")?,
        last_run_at_ms: row.try_get("last_run_at")?,
        last_status: row.try_get("last_status")?,
        last_ingest_id: row.try_get("last_ingest_id")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
    })
}

impl Store {
    /// Every live pull source, by id.
    pub async fn pull_sources(&self) -> Result<Vec<PullSource>, StoreError> {
        sqlx::query("SELECT * FROM pull_sources WHERE disabled = 0 ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(pull)
            .collect()
    }

    pub async fn pull_source(&self, id: i64) -> Result<PullSource, StoreError> {
        let row = sqlx::query("SELECT * FROM pull_sources WHERE id = $1 AND disabled = 0")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(pull)
            .transpose()?
            .ok_or(StoreError::NotFound {
                what: "pull source",
                id: id.to_string(),
            })
    }

    /// Live sources whose next run is due at `now_ms`.
    pub async fn due_pull_sources(&self, now_ms: i64) -> Result<Vec<PullSource>, StoreError> {
        sqlx::query("SELECT * FROM pull_sources WHERE disabled = 0 AND next_run_at <= $1 ORDER BY next_run_at")
            .bind(now_ms)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(pull)
            .collect()
    }

    /// Takes a due run for this process: moves the next run on, if no other
    /// server did first. Not a change worth ledgering (the run is).
    pub async fn claim_pull(&self, source: &PullSource, now_ms: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE pull_sources SET next_run_at = $1, last_run_at = $2 \
             WHERE id = $3 AND next_run_at = $4 AND disabled = 0",
        )
        .bind(now_ms + source.interval_secs * 1000)
        .bind(now_ms)
        .bind(source.id)
        .bind(source.next_run_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how a run ended.
    pub async fn record_pull_result(
        &self,
        id: i64,
        status: &str,
        ingest_id: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE pull_sources SET last_status = $1, last_ingest_id = $2 WHERE id = $3")
            .bind(status.to_owned())
            .bind(ingest_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl WriteTx<'_> {
    /// Stores a source whose first run is due at once.
    pub async fn insert_pull_source(
        &mut self,
        new: &NewPullSource,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO pull_sources (resource_id, kind, location, table_name, format, \
             interval_secs, next_run_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id",
        )
        .bind(new.resource_id)
        .bind(new.kind.clone())
        .bind(new.location.clone())
        .bind(new.table_name.clone())
        .bind(new.format.clone())
        .bind(new.interval_secs)
        .bind(now_ms)
        .bind(new.created_by)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn disable_pull_source(&mut self, id: i64) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE pull_sources SET disabled = 1 WHERE id = $1 AND disabled = 0")
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        found(done.rows_affected(), "pull source", id)
    }
}
