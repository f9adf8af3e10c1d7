//! The sandbox's records (Art. 5): query history, export requests and the
//! output checkers' reviews.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::consulting::SealedFile;
use crate::{Store, StoreError, WriteTx, by_id};

/// A statement run in a workspace, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSandboxQuery {
    /// The data use agreement whose workspace it ran in.
    pub agreement_id: i64,
    pub org_id: i64,
    pub account_id: Option<i64>,
    pub statement: String,
    /// done, failed, refused, cancelled, time-limit or memory-limit.
    pub outcome: String,
    pub problem: Option<String>,
    pub tables_read: Vec<String>,
    pub row_count: i64,
    pub truncated: bool,
    pub elapsed_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxQuery {
    pub id: i64,
    pub query: NewSandboxQuery,
    pub created_at_ms: i64,
}

/// A result asked for release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSandboxExport {
    pub agreement_id: i64,
    pub org_id: i64,
    pub author_id: i64,
    pub query_id: i64,
    pub purpose: String,
    pub status: String,
    /// The automatic checks' failures, one per line.
    pub checks: String,
    /// Products, resources and versions the result came from, one per line.
    pub lineage: String,
    /// The codes of the products the result came from; `None` on exports
    /// filed before they were recorded (their lineage names them).
    pub products: Option<Vec<String>>,
    pub row_count: i64,
    /// The base counts were rounded to and the columns rounded, when any.
    pub rounded: Option<(u64, Vec<String>)>,
    /// The export this one was filed in place of.
    pub resubmits: Option<i64>,
    /// The result as CSV, sealed under the master key.
    pub result: SealedFile,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxExport {
    pub id: i64,
    pub export: NewSandboxExport,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxReview {
    pub id: i64,
    pub export_id: i64,
    pub checker_id: i64,
    pub decision: String,
    pub comment: String,
    pub created_at_ms: i64,
}

const REVIEWS_OF_EXPORT: &str = "SELECT * FROM sandbox_reviews WHERE export_id = $1 ORDER BY id";

fn query(row: &AnyRow) -> Result<SandboxQuery, StoreError> {
    let read: String = row.try_get("tables_read")?;
    Ok(SandboxQuery {
        id: row.try_get("id")?,
        query: NewSandboxQuery {
            agreement_id: row.try_get("agreement_id")?,
            org_id: row.try_get("org_id")?,
            account_id: row.try_get("account_id")?,
            statement: row.try_get("statement")?,
            outcome: row.try_get("outcome")?,
            problem: row.try_get("problem")?,
            tables_read: read.lines().map(str::to_owned).collect(),
            row_count: row.try_get("row_count")?,
            truncated: row.try_get::<i64, _>("truncated")? != 0,
            elapsed_ms: row.try_get("elapsed_ms")?,
        },
        created_at_ms: row.try_get("created_at")?,
    })
}

fn export(row: &AnyRow) -> Result<SandboxExport, StoreError> {
    Ok(SandboxExport {
        id: row.try_get("id")?,
        export: NewSandboxExport {
            agreement_id: row.try_get("agreement_id")?,
            org_id: row.try_get("org_id")?,
            author_id: row.try_get("author_id")?,
            query_id: row.try_get("query_id")?,
            purpose: row.try_get("purpose")?,
            status: row.try_get("status")?,
            checks: row.try_get("checks")?,
            lineage: row.try_get("lineage")?,
            products: row
                .try_get::<Option<String>, _>("products")?
                .map(|codes| codes.lines().map(str::to_owned).collect()),
            row_count: row.try_get("row_count")?,
            rounded: rounded(&row.try_get::<String, _>("rounded")?),
            resubmits: row.try_get("resubmits")?,
            result: SealedFile {
                file_name: format!("export-{}.csv", row.try_get::<i64, _>("id")?),
                byte_size: 0,
                digest: row.try_get("digest")?,
                sealed: row.try_get("sealed")?,
                master_key_id: row.try_get("master_key_id")?,
            },
        },
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

/// The base, then each column rounded, one per line, as the export row
/// keeps them.
fn rounded(text: &str) -> Option<(u64, Vec<String>)> {
    let mut lines = text.lines();
    let base = lines.next()?.parse().ok()?;
    Some((base, lines.map(str::to_owned).collect()))
}

fn review(row: &AnyRow) -> Result<SandboxReview, StoreError> {
    Ok(SandboxReview {
        id: row.try_get("id")?,
        export_id: row.try_get("export_id")?,
        checker_id: row.try_get("checker_id")?,
        decision: row.try_get("decision")?,
        comment: row.try_get("comment")?,
        created_at_ms: row.try_get("created_at")?,
    })
}

impl Store {
    /// A workspace's history, newest first.
    pub async fn sandbox_queries(
        &self,
        agreement_id: i64,
        limit: i64,
    ) -> Result<Vec<SandboxQuery>, StoreError> {
        sqlx::query(
            "SELECT * FROM sandbox_queries WHERE agreement_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(agreement_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(query)
        .collect()
    }

    pub async fn sandbox_query(&self, id: i64) -> Result<SandboxQuery, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM sandbox_queries WHERE id = $1",
            id,
            "sandbox query",
            query,
        )
        .await
    }

    /// Exports of one workspace (or all) in one status (or any), newest
    /// first.
    pub async fn sandbox_exports(
        &self,
        agreement_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<SandboxExport>, StoreError> {
        sqlx::query(
            "SELECT * FROM sandbox_exports WHERE ($1 = 0 OR agreement_id = $1) \
             AND ($2 = '' OR status = $2) ORDER BY id DESC",
        )
        .bind(agreement_id.unwrap_or(0))
        .bind(status.unwrap_or("").to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(export)
        .collect()
    }

    /// Exports of every workspace of an organisation, newest first.
    pub async fn organisation_sandbox_exports(
        &self,
        org_id: i64,
    ) -> Result<Vec<SandboxExport>, StoreError> {
        sqlx::query("SELECT * FROM sandbox_exports WHERE org_id = $1 ORDER BY id DESC")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(export)
            .collect()
    }

    pub async fn sandbox_export(&self, id: i64) -> Result<SandboxExport, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM sandbox_exports WHERE id = $1",
            id,
            "sandbox export",
            export,
        )
        .await
    }

    pub async fn sandbox_reviews(&self, export_id: i64) -> Result<Vec<SandboxReview>, StoreError> {
        sqlx::query(REVIEWS_OF_EXPORT)
            .bind(export_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(review)
            .collect()
    }
}

impl WriteTx<'_> {
    /// The newest export of a workspace in one of `statuses` whose query
    /// read `table`, as this transaction sees them.
    pub async fn sandbox_export_reading(
        &mut self,
        agreement_id: i64,
        table: &str,
        statuses: &[&str],
    ) -> Result<Option<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.status, q.tables_read FROM sandbox_exports e \
             JOIN sandbox_queries q ON q.id = e.query_id \
             WHERE e.agreement_id = $1 ORDER BY e.id DESC",
        )
        .bind(agreement_id)
        .fetch_all(&mut *self.tx)
        .await?;
        for row in rows {
            let status: String = row.try_get("status")?;
            let read: String = row.try_get("tables_read")?;
            if statuses.contains(&status.as_str()) && read.lines().any(|t| t == table) {
                return Ok(Some(row.try_get("id")?));
            }
        }
        Ok(None)
    }

    pub async fn insert_sandbox_query(
        &mut self,
        new: &NewSandboxQuery,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sandbox_queries (agreement_id, org_id, account_id, statement, outcome, \
             problem, tables_read, row_count, truncated, elapsed_ms, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.agreement_id)
        .bind(new.org_id)
        .bind(new.account_id)
        .bind(new.statement.clone())
        .bind(new.outcome.clone())
        .bind(new.problem.clone())
        .bind(new.tables_read.join("\n"))
        .bind(new.row_count)
        .bind(i64::from(new.truncated))
        .bind(new.elapsed_ms)
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The newest export of an organisation, as this transaction sees it:
    /// a release compared with the exports up to one is filed only if no
    /// other was filed meanwhile.
    pub async fn newest_sandbox_export(&mut self, org_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MAX(id) FROM sandbox_exports WHERE org_id = $1")
                .bind(org_id)
                .fetch_one(&mut *self.tx)
                .await?,
        )
    }

    pub async fn insert_sandbox_export(
        &mut self,
        new: &NewSandboxExport,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO sandbox_exports (agreement_id, org_id, author_id, query_id, purpose, \
             status, checks, lineage, row_count, digest, sealed, master_key_id, created_at, \
             updated_at, rounded, resubmits, products) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16) \
             RETURNING id",
        )
        .bind(new.agreement_id)
        .bind(new.org_id)
        .bind(new.author_id)
        .bind(new.query_id)
        .bind(new.purpose.clone())
        .bind(new.status.clone())
        .bind(new.checks.clone())
        .bind(new.lineage.clone())
        .bind(new.row_count)
        .bind(new.result.digest.clone())
        .bind(new.result.sealed.clone())
        .bind(new.result.master_key_id.clone())
        .bind(now_ms)
        .bind(match &new.rounded {
            Some((base, columns)) => format!("{base}\n{}", columns.join("\n")),
            None => String::new(),
        })
        .bind(new.resubmits)
        .bind(new.products.as_ref().map(|codes| codes.join("\n")))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(StoreError::unique(
            "resubmission of export",
            &new.resubmits.unwrap_or_default().to_string(),
        ))
    }

    /// Moves an export from `from` to `to`, if it is still at `from`.
    pub async fn set_sandbox_export_status(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.move_status("sandbox_exports", "sandbox export", id, from, to, now_ms)
            .await
    }

    pub async fn insert_sandbox_review(
        &mut self,
        export_id: i64,
        checker_id: i64,
        decision: &str,
        comment: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sandbox_reviews (export_id, checker_id, decision, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(export_id)
        .bind(checker_id)
        .bind(decision.to_owned())
        .bind(comment.to_owned())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The reviews of an export, read under the write lock so two checkers
    /// deciding at once see each other.
    pub async fn sandbox_reviews_locked(
        &mut self,
        export_id: i64,
    ) -> Result<Vec<SandboxReview>, StoreError> {
        sqlx::query(REVIEWS_OF_EXPORT)
            .bind(export_id)
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(review)
            .collect()
    }
}
