//! The front system's scheduled pulls (Art. 8): it fetches a resource's
//! data from an HTTP(S) URL or a PostgreSQL table and delivers it through
//! the same path as a push.

use futures::{StreamExt, TryStreamExt};
use rongshu_domain::resource::DeliveryChannel;
use rongshu_ingest::Format;
use rongshu_ledger::Attribution;
use rongshu_store::PullSource;
use sqlx::Connection;
use tokio::io::AsyncWriteExt;
use tokio_util::io::StreamReader;

use crate::{Delivered, Deliveries, DeliveryError, DeliveryRequest, now_ms};

/// Why a pull could not start.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("fetching {0} failed: {1}")]
    Fetch(String, String),
    #[error("{0:?} is not a plain table name (letters, digits, underscores, one optional schema)")]
    Table(String),
}

/// Whether `name` is a table or `schema.table` of plain identifiers, safe
/// to put in a query.
pub fn plain_table_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    (1..=2).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 63
                && p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// A URL with any password replaced, for showing and logging.
pub fn redacted(location: &str) -> String {
    match location.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((credentials, host)) if !credentials.contains('/') => {
                let user = credentials.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            _ => location.to_owned(),
        },
        None => location.to_owned(),
    }
}

fn request(source: &PullSource, file_name: String, format: Option<Format>) -> DeliveryRequest {
    DeliveryRequest {
        resource_id: source.resource_id,
        channel: DeliveryChannel::FrontPull,
        file_name,
        format,
        encoding: None,
        delimiter: None,
        sheet: None,
        field_types: Default::default(),
        bytes_total: None,
        delivered_by: source.created_by,
    }
}

impl Deliveries {
    /// Runs one pull now and delivers what it fetched.
    pub async fn pull(
        &self,
        source: &PullSource,
        by: &(dyn Attribution + Sync),
    ) -> Result<Delivered, DeliveryError> {
        match source.kind.as_str() {
            "postgres" => self.pull_table(source, by).await,
            _ => self.pull_url(source, by).await,
        }
    }

    async fn pull_url(
        &self,
        source: &PullSource,
        by: &(dyn Attribution + Sync),
    ) -> Result<Delivered, DeliveryError> {
        let fetch =
            |e: String| DeliveryError::Pull(PullError::Fetch(redacted(&source.location), e));
        let response = reqwest::get(&source.location)
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| fetch(e.to_string()))?;
        let path = response.url().path().to_owned();
        let file_name = path
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or("pull")
            .to_owned();
        let format = source.format.parse::<Format>().ok();
        let body = response.bytes_stream().map_err(std::io::Error::other);
        self.deliver(
            request(source, file_name, format),
            by,
            StreamReader::new(Box::pin(body)),
        )
        .await
    }

    /// Reads the table whole as NDJSON (PostgreSQL turns every type into
    /// JSON itself), streamed through a pipe into the delivery.
    async fn pull_table(
        &self,
        source: &PullSource,
        by: &(dyn Attribution + Sync),
    ) -> Result<Delivered, DeliveryError> {
        if !plain_table_name(&source.table_name) {
            return Err(DeliveryError::Pull(PullError::Table(
                source.table_name.clone(),
            )));
        }
        let fetch =
            |e: String| DeliveryError::Pull(PullError::Fetch(redacted(&source.location), e));
        let mut conn = sqlx::PgConnection::connect(&source.location)
            .await
            .map_err(|e| fetch(e.to_string()))?;
        let sql = format!("SELECT row_to_json(t)::text FROM {} t", source.table_name);
        let (reader, mut writer) = tokio::io::duplex(256 * 1024);
        let copy = async move {
            let mut rows = sqlx::query_scalar::<_, String>(&sql).fetch(&mut conn);
            while let Some(row) = rows.next().await {
                let line = row.map_err(|e| e.to_string())?;
                writer
                    .write_all(line.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                writer.write_all(b"\n").await.map_err(|e| e.to_string())?;
            }
            writer.shutdown().await.map_err(|e| e.to_string())
        };
        let file_name = format!("{}.ndjson", source.table_name);
        let deliver = self.deliver(request(source, file_name, Some(Format::Ndjson)), by, reader);
        let (copied, delivered) = tokio::join!(copy, deliver);
        copied.map_err(fetch)?;
        delivered
    }

    /// Runs every due pull this process can claim; returns how many ran.
    pub async fn run_due_pulls(
        &self,
        by: &(dyn Attribution + Sync),
    ) -> Result<usize, DeliveryError> {
        let store = &self.inner.store;
        let mut ran = 0;
        for source in store.due_pull_sources(now_ms()).await? {
            if !store.claim_pull(&source, now_ms()).await? {
                continue;
            }
            ran += 1;
            let (status, ingest) = match self.pull(&source, by).await {
                Ok(d) => (
                    format!("delivered version {}", d.version.number),
                    Some(d.ingest.id),
                ),
                Err(DeliveryError::Rejected { ingest_id, source }) => {
                    (format!("refused: {source}"), Some(ingest_id))
                }
                Err(e) => (format!("failed: {e}"), None),
            };
            tracing::info!(pull = source.id, %status, "scheduled pull ran");
            store.record_pull_result(source.id, &status, ingest).await?;
        }
        Ok(ran)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_table_names_reach_a_query() {
        for ok in ["licences", "public.licences", "_t1", "s.t_2"] {
            assert!(plain_table_name(ok), "{ok}");
        }
        for bad in ["", "a.b.c", "t; drop table x", "1t", "t\"", "a.", "t t"] {
            assert!(!plain_table_name(bad), "{bad}");
        }
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redacted("postgres://u:secret@db/x"),
            "postgres://u:***@db/x"
        );
        assert_eq!(
            redacted("https://example.org/a@b"),
            "https://example.org/a@b"
        );
        assert_eq!(redacted("https://h/x.csv"), "https://h/x.csv");
    }
}
