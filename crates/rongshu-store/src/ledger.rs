//! Appending to, reading and verifying the ledger.

use rongshu_ledger::{Break, ChainVerifier, Digest, Entry, EntryDraft};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Executor, Row};

use crate::conditions::Conditions;
use crate::uses::MOVE_HEAD;
use crate::{Backend, Store, StoreError, WriteTx, parse_code};

pub(crate) const ENTRY_COLUMNS: &str = "seq, at_ms, actor_account_id, actor_username, org_id, party_type, action, \
     object_type, object_id, segment, outcome, reason, request_id, client_addr, prev_hash, hash";

/// A place in the chain: a sequence number and that entry's hash. The
/// head is the last entry appended; the anchor the last one archived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: Digest,
}

/// Which entries to list. Every field narrows; `None` leaves it open.
#[derive(Clone, Debug, Default)]
pub struct LedgerFilter {
    pub org_id: Option<i64>,
    pub actor_username: Option<String>,
    pub action: Option<String>,
    pub object: Option<ObjectFilter>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only entries before this sequence number (paging newest first).
    pub before_seq: Option<i64>,
}

/// The object a search of the ledger is about: a type, and within it
/// perhaps one id. An id alone names nothing, being unique only within
/// its type (and the object index leads with the type).
#[derive(Clone, Debug)]
pub struct ObjectFilter {
    pub object_type: String,
    pub object_id: Option<String>,
}

/// The result of recomputing the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub head: ChainPoint,
    /// Where verification started: the last archived entry.
    pub anchor: ChainPoint,
    /// Entries checked before the first break, or all of them.
    pub checked: u64,
    pub result: Result<(), Break>,
}

pub(crate) fn digest(what: &'static str, value: String) -> Result<Digest, StoreError> {
    Digest::from_hex(&value).ok_or(StoreError::Corrupt { what, value })
}

fn entry(row: &AnyRow) -> Result<Entry, StoreError> {
    let party: Option<String> = row.try_get("party_type")?;
    let segment: Option<String> = row.try_get("segment")?;
    Ok(Entry {
        seq: row.try_get("seq")?,
        draft: EntryDraft {
            at_ms: row.try_get("at_ms")?,
            actor_account_id: row.try_get("actor_account_id")?,
            actor_username: row.try_get("actor_username")?,
            org_id: row.try_get("org_id")?,
            party: party.map(|p| parse_code("party type", p)).transpose()?,
            action: row.try_get("action")?,
            object_type: row.try_get("object_type")?,
            object_id: row.try_get("object_id")?,
            segment: segment.map(|s| parse_code("segment", s)).transpose()?,
            outcome: parse_code("outcome", row.try_get("outcome")?)?,
            reason: row.try_get("reason")?,
            request_id: row.try_get("request_id")?,
            client_addr: row.try_get("client_addr")?,
        },
        prev_hash: digest("prev_hash", row.try_get("prev_hash")?)?,
        hash: digest("hash", row.try_get("hash")?)?,
    })
}

/// The query listing entries matching `filter`, newest first: every
/// field it narrows by has an index (migrations), which the storage suite
/// checks in each backend's plans.
pub(crate) fn ledger_search(filter: &LedgerFilter, limit: u32) -> (String, Conditions) {
    let mut c = Conditions::default();
    if let Some(v) = filter.org_id {
        c.push_int(v, |p| format!("org_id = {p}"));
    }
    if let Some(v) = &filter.actor_username {
        c.push_text(v, |p| format!("actor_username = {p}"));
    }
    if let Some(v) = &filter.action {
        c.push_text(v, |p| format!("action = {p}"));
    }
    if let Some(object) = &filter.object {
        c.push_text(&object.object_type, |p| format!("object_type = {p}"));
        if let Some(v) = &object.object_id {
            c.push_text(v, |p| format!("object_id = {p}"));
        }
    }
    if let Some(v) = filter.since_ms {
        c.push_int(v, |p| format!("at_ms >= {p}"));
    }
    if let Some(v) = filter.until_ms {
        c.push_int(v, |p| format!("at_ms < {p}"));
    }
    if let Some(v) = filter.before_seq {
        c.push_int(v, |p| format!("seq < {p}"));
    }
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries{} ORDER BY seq DESC LIMIT {limit}",
        c.clause()
    );
    (sql, c)
}

/// The ledger action an archive records, naming the new anchor.
pub const ARCHIVE_ACTION: &str = "ledger.archive";

fn anchor_id(p: &ChainPoint) -> String {
    format!("{}:{}", p.seq, p.hash.to_hex())
}

fn parse_anchor_id(id: &str) -> Option<ChainPoint> {
    let (seq, hash) = id.split_once(':')?;
    Some(ChainPoint {
        seq: seq.parse().ok()?,
        hash: Digest::from_hex(hash)?,
    })
}

const ORIGIN: ChainPoint = ChainPoint {
    seq: 0,
    hash: rongshu_ledger::GENESIS,
};

impl WriteTx<'_> {
    /// Archives (deletes) the entries after `from_seq` up to `through_seq`,
    /// moves the anchor there and appends `draft` as the archive's own
    /// entry, naming the new anchor. The caller has exported the entries
    /// first. Fails if the anchor is no longer at `from_seq`.
    pub async fn archive(
        &mut self,
        from_seq: i64,
        through_seq: i64,
        draft: EntryDraft,
    ) -> Result<ChainPoint, StoreError> {
        let row = sqlx::query("SELECT seq FROM ledger_anchor WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?;
        let current: i64 = row.try_get("seq")?;
        if current != from_seq || through_seq <= from_seq {
            return Err(StoreError::ArchiveMoved {
                expected: from_seq,
                found: current,
            });
        }
        let last = sqlx::query("SELECT hash FROM ledger_entries WHERE seq = $1")
            .bind(through_seq)
            .fetch_optional(&mut *self.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "ledger entry",
                id: through_seq.to_string(),
            })?;
        let anchor = ChainPoint {
            seq: through_seq,
            hash: digest("hash", last.try_get("hash")?)?,
        };
        // The anchor moves first: the triggers allow deleting only what it covers.
        sqlx::query("UPDATE ledger_anchor SET seq = $1, hash = $2 WHERE id = 1")
            .bind(anchor.seq)
            .bind(anchor.hash.to_hex())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM ledger_entries WHERE seq <= $1")
            .bind(through_seq)
            .execute(&mut *self.tx)
            .await?;
        let draft = EntryDraft {
            action: ARCHIVE_ACTION.to_owned(),
            object_type: "ledger".to_owned(),
            object_id: Some(anchor_id(&anchor)),
            ..draft
        };
        self.append(draft).await?;
        Ok(anchor)
    }

    /// Appends an entry; it becomes visible when the transaction commits.
    pub async fn append(&mut self, draft: EntryDraft) -> Result<Entry, StoreError> {
        let mut sealed = self.append_all(vec![draft]).await?;
        Ok(sealed.pop().expect("one entry in, one out"))
    }

    /// Appends entries in order, chained in memory: the head is read and
    /// moved once and the rows go in a few statements, however many.
    pub async fn append_all(&mut self, drafts: Vec<EntryDraft>) -> Result<Vec<Entry>, StoreError> {
        /// Rows per INSERT: 16 parameters each stays under every backend's limit.
        const ROWS_PER_INSERT: usize = 256;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let head = match self.head {
            Some(head) => head,
            None => point(&mut self.tx, "ledger_head").await?,
        };
        let entries = chained(head, drafts);
        // SQLite looks each `$n` up by a linear scan, so a many-row insert
        // names its parameters by position there; PostgreSQL needs `$n`.
        let numbered = self.tx.backend_name() != "SQLite";
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let n: Vec<String> = (1..=16)
                        .map(|c| {
                            if numbered {
                                format!("${}", r * 16 + c)
                            } else {
                                "?".to_owned()
                            }
                        })
                        .collect();
                    format!("({})", n.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO ledger_entries ({ENTRY_COLUMNS}) VALUES {}",
                rows.join(", ")
            );
            let mut insert = sqlx::query(&sql);
            for entry in chunk {
                let d = &entry.draft;
                insert = insert
                    .bind(entry.seq)
                    .bind(d.at_ms)
                    .bind(d.actor_account_id)
                    .bind(d.actor_username.clone())
                    .bind(d.org_id)
                    .bind(d.party.map(|p| p.as_str()))
                    .bind(d.action.clone())
                    .bind(d.object_type.clone())
                    .bind(d.object_id.clone())
                    .bind(d.segment.map(|s| s.as_str()))
                    .bind(d.outcome.as_str())
                    .bind(d.reason.clone())
                    .bind(d.request_id.clone())
                    .bind(d.client_addr.clone())
                    .bind(entry.prev_hash.to_hex())
                    .bind(entry.hash.to_hex());
            }
            insert.execute(&mut *self.tx).await?;
        }
        let last = entries.last().expect("drafts were not empty");
        let link = ChainPoint {
            seq: last.seq,
            hash: last.hash,
        };
        sqlx::query(MOVE_HEAD)
            .bind(link.seq)
            .bind(link.hash.to_hex())
            .execute(&mut *self.tx)
            .await?;
        self.appended += entries.len() as u64;
        self.head = Some(link);
        Ok(entries)
    }
}

/// Drafts sealed in order after `head`.
pub(crate) fn chained(mut head: ChainPoint, drafts: Vec<EntryDraft>) -> Vec<Entry> {
    drafts
        .into_iter()
        .map(|draft| {
            let entry = draft.seal(head.seq + 1, head.hash);
            head = ChainPoint {
                seq: entry.seq,
                hash: entry.hash,
            };
            entry
        })
        .collect()
}

/// The head or the anchor, read on `conn`.
async fn point(conn: &mut AnyConnection, table: &'static str) -> Result<ChainPoint, StoreError> {
    let sql = format!("SELECT seq, hash FROM {table} WHERE id = 1");
    chain_point(&sqlx::query(&sql).fetch_one(&mut *conn).await?, table)
}

/// The `seq` and `hash` of a row of the head or anchor `table`.
pub(crate) fn chain_point(row: &AnyRow, table: &'static str) -> Result<ChainPoint, StoreError> {
    Ok(ChainPoint {
        seq: row.try_get("seq")?,
        hash: digest(table, row.try_get("hash")?)?,
    })
}

/// The anchor the chain itself records: the newest archive entry's, or the
/// origin when nothing was ever archived. `None` if that entry is unreadable.
async fn recorded_anchor(conn: &mut AnyConnection) -> Result<Option<ChainPoint>, StoreError> {
    let id: Option<Option<String>> = sqlx::query_scalar(
        "SELECT object_id FROM ledger_entries WHERE action = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(ARCHIVE_ACTION)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match id {
        None => Some(ORIGIN),
        Some(id) => id.as_deref().and_then(parse_anchor_id),
    })
}

impl Store {
    /// Appends one entry in a transaction of its own: for events with no
    /// other change to commit, such as a denied request.
    /// Appends one entry alone (a denial, an audited read). It leaves the
    /// access epoch: nothing cached rests on entries, and refusals a caller
    /// can provoke at will would otherwise void every process's caches and
    /// send other organisations' calls in flight back to be admitted again.
    pub async fn append(&self, draft: EntryDraft) -> Result<Entry, StoreError> {
        let mut tx = self.begin_aside().await?;
        let entry = tx.append(draft).await?;
        tx.commit().await?;
        Ok(entry)
    }

    pub async fn ledger_anchor(&self) -> Result<ChainPoint, StoreError> {
        point(&mut *self.pool.acquire().await?, "ledger_anchor").await
    }

    pub async fn ledger_head(&self) -> Result<ChainPoint, StoreError> {
        point(&mut *self.pool.acquire().await?, "ledger_head").await
    }

    /// The last entry an archive of everything before `before_ms` may
    /// remove: archives take a prefix of the chain, so this stops before
    /// the first entry at or after that time. `None` when there is nothing.
    pub async fn archivable_through(&self, before_ms: i64) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let anchor = point(&mut conn, "ledger_anchor").await?;
        let first_kept: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM ledger_entries WHERE at_ms >= $1")
                .bind(before_ms)
                .fetch_one(&mut *conn)
                .await?;
        let through = match first_kept {
            Some(seq) => seq - 1,
            None => point(&mut conn, "ledger_head").await?.seq,
        };
        Ok((through > anchor.seq).then_some(through))
    }

    /// Entries matching `filter`, newest first, at most `limit`.
    pub async fn ledger_entries(
        &self,
        filter: &LedgerFilter,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        let (sql, conditions) = ledger_search(filter, limit);
        conditions
            .bound(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entry)
            .collect()
    }

    /// Entries after `after_seq`, oldest first, at most `limit`: for export.
    pub async fn ledger_after(&self, after_seq: i64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT {limit}"
        );
        sqlx::query(&sql)
            .bind(after_seq)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entry)
            .collect()
    }

    /// Recomputes the chain from the anchor in batches, in constant memory,
    /// compares its end with the head, and checks the anchor is the one the
    /// chain's own archive entries record. It reads one snapshot, so appends
    /// and archives running meanwhile do not look like tampering.
    pub async fn verify_ledger(&self) -> Result<VerifyReport, StoreError> {
        const BATCH: u32 = 1000;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
        }
        let head = point(&mut tx, "ledger_head").await?;
        let anchor = point(&mut tx, "ledger_anchor").await?;
        let mut verifier = ChainVerifier::after(anchor.seq, anchor.hash);
        let mut checked = 0;
        let mut after = anchor.seq;
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT {BATCH}"
        );
        loop {
            let rows = sqlx::query(&sql).bind(after).fetch_all(&mut *tx).await?;
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                // A row that no longer decodes was altered by hand.
                let pushed = match entry(row) {
                    Ok(e) => verifier.push(&e),
                    Err(StoreError::Corrupt { .. }) => Err(Break::Altered { seq }),
                    Err(e) => return Err(e),
                };
                if let Err(b) = pushed {
                    return Ok(VerifyReport {
                        head,
                        anchor,
                        checked,
                        result: Err(b),
                    });
                }
                checked += 1;
                after = seq;
            }
            if rows.len() < BATCH as usize {
                break;
            }
        }
        let mut result = verifier.finish(head.seq, head.hash).map(|_| ());
        if result.is_ok() && recorded_anchor(&mut tx).await? != Some(anchor) {
            result = Err(Break::AnchorMoved { seq: anchor.seq });
        }
        tx.rollback().await?;
        Ok(VerifyReport {
            head,
            anchor,
            checked,
            result,
        })
    }
}
