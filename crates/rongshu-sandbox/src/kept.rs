//! Tables a workspace keeps: files its users upload (external data,
//! Art. 5) and tables they make with `CREATE TABLE … AS`. Each is Parquet
//! sealed among the platform's kept files and recorded with its digest and
//! the products it was computed from, so every server process opens it,
//! it outlives restarts, and a product's suspension withholds the tables
//! made from it too.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rongshu_delivery::KeptFile;
use rongshu_domain::output::ExportStatus;
use rongshu_engine::Table;
use rongshu_ingest::{Format, IngestError, IngestOptions, ingest};
use rongshu_ledger::{Attribution, EntryDraft, Segment};
use rongshu_products::Caller;
use rongshu_store::{NewSandboxTable, SandboxTable, StoreError, TableOrigin};
use tokio::io::AsyncRead;
use tokio_util::io::SyncIoBridge;

use crate::cache::Key;
use crate::workspace::{Opened, WorkspaceTable};
use crate::{Sandbox, SandboxError};

/// A file to be uploaded into a workspace as a table.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The table's name in SQL.
    pub name: String,
    /// The file's name; its extension says its format.
    pub file_name: String,
}

/// A table a statement made, to be kept once the statement is recorded.
pub(crate) struct Made {
    pub table: Table,
    pub derived_from: Vec<String>,
}

/// An upload read up to its limit; past it, reading fails and says so.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: Arc<AtomicBool>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => {
                self.exceeded.store(true, Ordering::Relaxed);
                Err(std::io::Error::other("the upload is larger than allowed"))
            }
        }
    }
}

/// What a table to be kept is given as.
enum Contents {
    /// Made by a statement, in memory.
    Table(Table),
    /// Uploaded, read into Parquet.
    Parquet(Vec<u8>),
}

fn task_failed(e: tokio::task::JoinError) -> SandboxError {
    SandboxError::Upload(format!("reading it stopped: {e}"))
}

/// An ingest refusal in the uploader's terms: the first bad row named.
fn upload_refused(error: IngestError) -> SandboxError {
    match &error {
        IngestError::TooManyBadRows { listed, bad, .. } => match listed.first() {
            Some(first) => SandboxError::Upload(format!(
                "{bad} rows do not read; the first, row {}{}: {}",
                first.row,
                first
                    .problem
                    .field
                    .as_ref()
                    .map_or(String::new(), |f| format!(", field {f}")),
                first.problem.message
            )),
            None => SandboxError::Upload(error.to_string()),
        },
        _ => SandboxError::Upload(error.to_string()),
    }
}

/// The sealed file behind a kept table, as `Deliveries::open_kept` opens it.
pub fn kept_file(table: &NewSandboxTable) -> KeptFile {
    KeptFile {
        object_name: table.object_name.clone(),
        digest: table.digest.clone(),
        byte_size: u64::try_from(table.byte_size).unwrap_or(0),
        wrapped_key: table.wrapped_key.clone(),
        master_key_id: table.master_key_id.clone(),
    }
}

/// The name is one SQL reads unquoted and the workspace does not have.
pub(crate) fn check_free(opened: &Opened, name: &str) -> Result<(), SandboxError> {
    let invalid = |problem: String| SandboxError::Invalid {
        field: "name",
        problem,
    };
    Table::check_name(name).map_err(invalid)?;
    if opened.tables.iter().any(|t| t.name() == name) {
        return Err(invalid(format!(
            "{name} is a table the workspace already has"
        )));
    }
    Ok(())
}

impl Sandbox {
    /// Reads an uploaded file into a table of the workspace, as it
    /// streams in (up to the configured size). The file is read whole or
    /// refused whole (a row that does not read is named).
    pub async fn upload(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        agreement_id: i64,
        upload: Upload,
        body: impl AsyncRead + Send + Unpin + 'static,
    ) -> Result<WorkspaceTable, SandboxError> {
        let max = self.inner.config.max_upload_bytes;
        rongshu_domain::check_file_name(&upload.file_name).map_err(|e| SandboxError::Invalid {
            field: "file_name",
            problem: e.to_string(),
        })?;
        let format =
            Format::from_file_name(&upload.file_name).ok_or_else(|| SandboxError::Invalid {
                field: "file_name",
                problem: format!(
                    "{:?} must end in .csv, .xlsx, .json, .ndjson or .parquet",
                    upload.file_name
                ),
            })?;
        let mut opened = self.open(caller, agreement_id, "").await?;
        check_free(&opened, &upload.name)?;
        let options = IngestOptions {
            max_bad_share: 0.0,
            max_buffered_bytes: max,
            ..IngestOptions::new(format)
        };
        let exceeded = Arc::new(AtomicBool::new(false));
        let body = Capped {
            inner: SyncIoBridge::new(body),
            left: max,
            exceeded: exceeded.clone(),
        };
        let (report, parquet) =
            tokio::task::spawn_blocking(move || ingest(body, &options, Vec::new(), &mut |_| {}))
                .await
                .map_err(task_failed)?
                .map_err(|e| {
                    if exceeded.load(Ordering::Relaxed) {
                        SandboxError::Invalid {
                            field: "file",
                            problem: format!("is larger than the {max} bytes an upload may have"),
                        }
                    } else {
                        upload_refused(e)
                    }
                })?;
        let identifiers = report
            .fields
            .iter()
            .filter_map(|f| {
                let found = f.classification.detection.as_ref()?;
                Some((f.name.clone(), found.kind.as_str().to_owned()))
            })
            .collect();
        let kept = self
            .keep(
                caller,
                by,
                Contents::Parquet(parquet),
                NewSandboxTable {
                    origin: TableOrigin::Upload,
                    file_name: upload.file_name,
                    identifiers,
                    ..blank(agreement_id, caller.account_id, upload.name)
                },
            )
            .await?;
        let table = self.kept_table(&kept).await?;
        opened.kept.push(kept);
        self.describe(&opened, &table).await
    }

    /// Keeps a table a recorded statement made.
    pub(crate) async fn keep_made(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        agreement_id: i64,
        made: Made,
        query_id: i64,
    ) -> Result<(), SandboxError> {
        let new = NewSandboxTable {
            query_id: Some(query_id),
            derived_from: made.derived_from,
            ..blank(
                agreement_id,
                caller.account_id,
                made.table.name().to_owned(),
            )
        };
        self.keep(caller, by, Contents::Table(made.table), new)
            .await?;
        Ok(())
    }

    /// Seals a table's Parquet, records it with its ledger entry, and
    /// holds it in the cache. Nothing is kept if any of it fails.
    async fn keep(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        contents: Contents,
        mut new: NewSandboxTable,
    ) -> Result<SandboxTable, SandboxError> {
        let (made, parquet) = match contents {
            Contents::Table(table) => {
                let table = Arc::new(table);
                let writing = table.clone();
                let parquet = tokio::task::spawn_blocking(move || writing.parquet())
                    .await
                    .map_err(task_failed)??;
                (Some(table), parquet)
            }
            Contents::Parquet(parquet) => (None, parquet),
        };
        let agreement_id = new.agreement_id;
        let deliveries = self.products().deliveries();
        let (file, plaintext) = deliveries
            .keep(&format!("sandbox/{agreement_id}"), parquet)
            .await?;
        let object_name = file.object_name.clone();
        let recorded = async {
            let table = match made {
                Some(table) => table,
                None => Arc::new(
                    self.parquet_table(new.name.clone(), plaintext, new.origin)
                        .await?,
                ),
            };
            new.row_count = table.rows() as i64;
            new.object_name = file.object_name;
            new.byte_size = file.byte_size as i64;
            new.digest = file.digest;
            new.wrapped_key = file.wrapped_key;
            new.master_key_id = file.master_key_id;
            let kept = self.record_kept(caller, by, &new).await?;
            let key = Key::Kept {
                agreement: agreement_id,
                id: kept.id,
            };
            self.inner.tables.put(key, table);
            Ok(kept)
        }
        .await;
        if recorded.is_err()
            && let Err(left) = deliveries.discard_kept(&object_name).await
        {
            tracing::warn!(object = %object_name, error = %left, "a kept file stays for recovery to sweep");
        }
        recorded
    }

    async fn record_kept(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        new: &NewSandboxTable,
    ) -> Result<SandboxTable, SandboxError> {
        let now = self.now_ms();
        let mut tx = self.store().begin_aside().await?;
        let id = tx
            .insert_sandbox_table(new, now)
            .await
            .map_err(|e| match e {
                StoreError::Duplicate { value, .. } => SandboxError::Invalid {
                    field: "name",
                    problem: format!("{value} is a table the workspace already has"),
                },
                other => other.into(),
            })?;
        let (action, from) = match new.origin {
            TableOrigin::Upload => ("sandbox.table.upload", format!("file {:?}", new.file_name)),
            TableOrigin::Query => (
                "sandbox.table.make",
                format!(
                    "query {} over {}",
                    new.query_id.unwrap_or_default(),
                    if new.derived_from.is_empty() {
                        "the workspace's own tables".to_owned()
                    } else {
                        new.derived_from.join(", ")
                    }
                ),
            ),
        };
        tx.append(EntryDraft {
            segment: Some(Segment::User),
            reason: Some(format!(
                "table {} in workspace {} by account {}: {from}, {} rows, SM3 {}",
                new.name, new.agreement_id, caller.account_id, new.row_count, new.digest
            )),
            ..by.entry(action, "sandbox-table", Some(id.to_string()))
        })
        .await?;
        tx.commit().await?;
        Ok(SandboxTable {
            id,
            table: new.clone(),
            created_at_ms: now,
        })
    }

    /// Drops a table the workspace keeps (not a product's), unless an
    /// export that has left or may yet read it: each later release is
    /// compared with that export over the table (`export::may_have_left`),
    /// and a table dropped, or made again otherwise, would end that.
    pub async fn drop_table(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        agreement_id: i64,
        name: &str,
    ) -> Result<(), SandboxError> {
        let (sources, _) = self.products().sandbox_sources(caller).await?;
        if !sources.iter().any(|s| s.agreement_id() == agreement_id) {
            return Err(SandboxError::NoWorkspace(agreement_id));
        }
        // Read in the transaction, which every other write waits on: an
        // export filed meanwhile is seen, or sees the table gone.
        let mut tx = self.store().begin_aside().await?;
        let leaving: Vec<&str> = ExportStatus::ALL
            .iter()
            .filter(|s| s.may_leave())
            .map(|s| s.as_str())
            .collect();
        if let Some(export) = tx
            .sandbox_export_reading(agreement_id, name, &leaving)
            .await?
        {
            return Err(SandboxError::ReadByExport {
                table: name.to_owned(),
                export,
            });
        }
        let dropped = tx.delete_sandbox_table(agreement_id, name).await?;
        tx.append(EntryDraft {
            segment: Some(Segment::User),
            reason: Some(format!(
                "table {name} of workspace {agreement_id} dropped by account {} (SM3 {})",
                caller.account_id, dropped.table.digest
            )),
            ..by.entry(
                "sandbox.table.drop",
                "sandbox-table",
                Some(dropped.id.to_string()),
            )
        })
        .await?;
        tx.commit().await?;
        let key = Key::Kept {
            agreement: agreement_id,
            id: dropped.id,
        };
        self.inner.tables.retain(|k| *k != key);
        // Recovery sweeps the file if this fails: no table names it now.
        if let Err(e) = self
            .products()
            .deliveries()
            .discard_kept(&dropped.table.object_name)
            .await
        {
            tracing::warn!(object = %dropped.table.object_name, error = %e, "a dropped table's file stays for recovery to sweep");
        }
        Ok(())
    }

    /// A kept table, from the cache or opened from its sealed file.
    pub(crate) async fn kept_table(
        &self,
        record: &SandboxTable,
    ) -> Result<Arc<Table>, SandboxError> {
        let key = Key::Kept {
            agreement: record.table.agreement_id,
            id: record.id,
        };
        let cache = &self.inner.tables;
        if let Some(table) = cache.get(&key) {
            return Ok(table);
        }
        let opened = self
            .products()
            .deliveries()
            .open_kept(&kept_file(&record.table))
            .await;
        let parquet = match opened {
            Ok(parquet) => parquet,
            // Dropped (its file discarded) since the workspace was listed:
            // gone, as for an export that finds it gone when filed. Missing
            // while still kept, it is lost, and said so.
            Err(error) if error.is_missing() && !self.still_kept(record).await? => {
                return Err(SandboxError::TableGone(record.table.name.clone()));
            }
            Err(error) => return Err(error.into()),
        };
        let table = Arc::new(
            self.parquet_table(record.table.name.clone(), parquet, record.table.origin)
                .await?,
        );
        cache.put(key, table.clone());
        Ok(table)
    }

    async fn still_kept(&self, record: &SandboxTable) -> Result<bool, SandboxError> {
        let kept = self
            .store()
            .sandbox_tables(Some(record.table.agreement_id))
            .await?;
        Ok(kept.iter().any(|k| k.id == record.id))
    }

    /// Forgets the cached tables of a workspace that it no longer keeps
    /// (dropped through another process).
    pub(crate) fn forget_dropped(&self, agreement_id: i64, kept: &[SandboxTable]) {
        self.inner.tables.retain(|k| match k {
            Key::Kept { agreement, id } if *agreement == agreement_id => {
                kept.iter().any(|k| k.id == *id)
            }
            _ => true,
        });
    }

    /// A kept table read back. Only a table a statement made keeps the
    /// trace of its rows to their records: an upload's rows stand for
    /// themselves, whatever its file holds.
    async fn parquet_table(
        &self,
        name: String,
        parquet: Vec<u8>,
        origin: TableOrigin,
    ) -> Result<Table, SandboxError> {
        let table = tokio::task::spawn_blocking(move || Table::from_parquet(name, parquet))
            .await
            .map_err(task_failed)??;
        Ok(match origin {
            TableOrigin::Query => table,
            TableOrigin::Upload => table.into_upload()?,
        })
    }
}

/// A record with what every kept table has; the sealing fills the rest.
fn blank(agreement_id: i64, made_by: i64, name: String) -> NewSandboxTable {
    NewSandboxTable {
        agreement_id,
        name,
        origin: TableOrigin::Query,
        made_by,
        query_id: None,
        file_name: String::new(),
        derived_from: Vec::new(),
        identifiers: Vec::new(),
        row_count: 0,
        object_name: String::new(),
        byte_size: 0,
        digest: String::new(),
        wrapped_key: String::new(),
        master_key_id: String::new(),
    }
}
