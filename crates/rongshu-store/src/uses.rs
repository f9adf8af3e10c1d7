//! Recording data calls: the meters, the minute counts and the ledger
//! entries of a batch of calls, committed in one transaction under the
//! ledger head's lock, which leaves the access epoch as it is.
//!
//! A [`UseWriter`] records batches for one process. On SQLite it drives a
//! connection of its own synchronously: through sqlx every statement is a
//! round trip to the connection's worker thread, and a batch's half-dozen
//! statements cost more than its fsync. On PostgreSQL it runs the same
//! statements through the pool.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;

use rongshu_ledger::EntryDraft;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sqlx::Row;

use crate::ledger::{ChainPoint, ENTRY_COLUMNS, chain_point, chained, digest};
use crate::{Backend, SQLITE_PRAGMAS, Store, StoreError, Usage, WriteTx};

/// Locks the head without moving it or the epoch, reading both.
const LOCK_HEAD: &str = "UPDATE ledger_head SET seq = seq WHERE id = 1 RETURNING epoch, seq, hash";
pub(crate) const MOVE_HEAD: &str = "UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1";
/// Uses counted against the day's quota: calls and downloads.
const CALLS_ON_DAY: &str = "SELECT calls + downloads FROM product_usage WHERE product_id = $1 AND org_id = $2 AND day = $3";
/// Uses counted against an authorization's daily limit: calls and
/// downloads of every product, admitted under it.
const USES_UNDER_AUTHORIZATION: &str = "SELECT uses FROM authorization_usage \
     WHERE authorization_id = $1 AND org_id = $2 AND day = $3";
const COUNT_AUTHORIZATION_USES: &str = "INSERT INTO authorization_usage \
     (authorization_id, org_id, day, uses) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (authorization_id, org_id, day) \
     DO UPDATE SET uses = authorization_usage.uses + excluded.uses";
const CALLS_IN_MINUTE: &str =
    "SELECT calls FROM product_minutes WHERE product_id = $1 AND org_id = $2 AND minute = $3";
const USED_SINCE: &str =
    "SELECT 1 FROM product_usage WHERE product_id = $1 AND org_id = $2 AND day >= $3 LIMIT 1";
/// Amounts saturate at the largest 64-bit number (SQLite would turn an
/// overflowing sum into a float, PostgreSQL refuse the batch).
const METER: &str = "INSERT INTO product_usage (product_id, org_id, day, calls, records, \
     downloads, amount_fen) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (product_id, org_id, day) DO UPDATE SET \
     calls = product_usage.calls + excluded.calls, \
     records = product_usage.records + excluded.records, \
     downloads = product_usage.downloads + excluded.downloads, \
     amount_fen = CASE WHEN product_usage.amount_fen > 9223372036854775807 - excluded.amount_fen \
     THEN 9223372036854775807 ELSE product_usage.amount_fen + excluded.amount_fen END";
/// Minutes before the one preceding the current are no longer counted.
const FORGET_MINUTES: &str = "DELETE FROM product_minutes WHERE minute < $1";
const COUNT_MINUTE: &str = "INSERT INTO product_minutes (product_id, org_id, minute, calls) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (product_id, org_id, minute) \
     DO UPDATE SET calls = product_minutes.calls + excluded.calls";

/// A product's use by an organisation at a time: a day or month start
/// (`YYYY-MM-DD`, China Standard Time) or a minute since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UseAt<T> {
    pub product_id: i64,
    pub org_id: i64,
    pub at: T,
}

/// An organisation's uses on a day (`YYYY-MM-DD`, China Standard Time) of
/// every product made under one authorization.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuthorizationDay {
    pub authorization_id: i64,
    pub org_id: i64,
    pub day: String,
}

/// What deciding a batch needs read under the head's lock.
#[derive(Clone, Debug, Default)]
pub struct UseReads {
    /// Calls committed on each day.
    pub day_calls: BTreeSet<UseAt<String>>,
    /// Uses committed on each day under an authorization.
    pub authorization_days: BTreeSet<AuthorizationDay>,
    /// Calls committed in each minute, by any process.
    pub minute_calls: BTreeSet<UseAt<i64>>,
    /// Whether anything was used since each day.
    pub used_since: BTreeSet<UseAt<String>>,
}

/// What was read for [`UseReads`], with the epoch under the lock.
#[derive(Clone, Debug, Default)]
pub struct UseCounts {
    pub epoch: i64,
    pub day_calls: HashMap<UseAt<String>, i64>,
    pub authorization_days: HashMap<AuthorizationDay, i64>,
    pub minute_calls: HashMap<UseAt<i64>, i64>,
    pub used_since: HashSet<UseAt<String>>,
}

/// What a decided batch writes.
#[derive(Clone, Debug, Default)]
pub struct UseWrites {
    pub entries: Vec<EntryDraft>,
    /// Added to each day's meter.
    pub usage: Vec<Usage>,
    /// Calls added to each minute's count.
    pub minutes: Vec<(UseAt<i64>, i64)>,
    /// Uses added to each authorization's day.
    pub authorization_uses: Vec<(AuthorizationDay, i64)>,
}

impl Store {
    /// Starts the write transaction of data uses recorded one at a time
    /// (a sandbox statement): the head is locked as in [`Store::begin`]
    /// but the epoch stays, and is returned: under the lock it is the
    /// latest committed one, so a use made under it rests on nothing that
    /// has changed since.
    pub async fn begin_uses(&self) -> Result<(WriteTx<'static>, i64), StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(LOCK_HEAD).fetch_one(&mut *tx).await?;
        let epoch: i64 = row.try_get("epoch")?;
        let head = chain_point(&row, "ledger_head")?;
        self.seen_epoch.fetch_max(epoch, Ordering::AcqRel);
        let tx = WriteTx {
            tx,
            appended: 0,
            head: Some(head),
        };
        Ok((tx, epoch))
    }

    /// A writer of batches of data calls. Use one per process, from a
    /// thread of its own: on SQLite its every call blocks that thread.
    pub fn use_writer(&self) -> Result<UseWriter, StoreError> {
        let sqlite = match (&self.backend, &self.sqlite_path) {
            (Backend::Sqlite, Some(path)) => Some(open_sqlite(path)?),
            _ => None,
        };
        Ok(UseWriter {
            store: self.clone(),
            sqlite,
        })
    }
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(SQLITE_PRAGMAS)?;
    Ok(conn)
}

/// Records batches of data calls; see the module's comment.
#[derive(Debug)]
pub struct UseWriter {
    store: Store,
    sqlite: Option<rusqlite::Connection>,
}

impl UseWriter {
    /// In one transaction: locks the head, reads what `reads` asks for,
    /// lets `decide` say what to write, writes it and commits.
    pub async fn record<R>(
        &mut self,
        reads: &UseReads,
        decide: impl FnOnce(&UseCounts) -> (UseWrites, R),
    ) -> Result<R, StoreError> {
        let (counts, written) = match &mut self.sqlite {
            Some(conn) => record_on_sqlite(conn, reads, decide)?,
            None => record_through_pool(&self.store, reads, decide).await?,
        };
        self.store
            .seen_epoch
            .fetch_max(counts.epoch, Ordering::AcqRel);
        Ok(written)
    }
}

fn record_on_sqlite<R>(
    conn: &mut rusqlite::Connection,
    reads: &UseReads,
    decide: impl FnOnce(&UseCounts) -> (UseWrites, R),
) -> Result<(UseCounts, R), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (epoch, seq, hash): (i64, i64, String) = tx
        .prepare_cached(LOCK_HEAD)?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    let head = ChainPoint {
        seq,
        hash: digest("ledger_head", hash)?,
    };
    let mut counts = UseCounts {
        epoch,
        ..UseCounts::default()
    };
    for key in &reads.day_calls {
        let calls: Option<i64> = tx
            .prepare_cached(CALLS_ON_DAY)?
            .query_row(params![key.product_id, key.org_id, key.at], |r| r.get(0))
            .optional()?;
        counts.day_calls.insert(key.clone(), calls.unwrap_or(0));
    }
    for key in &reads.authorization_days {
        let uses: Option<i64> = tx
            .prepare_cached(USES_UNDER_AUTHORIZATION)?
            .query_row(params![key.authorization_id, key.org_id, key.day], |r| {
                r.get(0)
            })
            .optional()?;
        counts
            .authorization_days
            .insert(key.clone(), uses.unwrap_or(0));
    }
    for key in &reads.minute_calls {
        let calls: Option<i64> = tx
            .prepare_cached(CALLS_IN_MINUTE)?
            .query_row(params![key.product_id, key.org_id, key.at], |r| r.get(0))
            .optional()?;
        counts.minute_calls.insert(key.clone(), calls.unwrap_or(0));
    }
    for key in &reads.used_since {
        let used =
            tx.prepare_cached(USED_SINCE)?
                .exists(params![key.product_id, key.org_id, key.at])?;
        if used {
            counts.used_since.insert(key.clone());
        }
    }
    let (writes, decided) = decide(&counts);
    let entries = chained(head, writes.entries);
    if let Some(last) = entries.last() {
        let mut insert = tx.prepare_cached(&INSERT_ENTRY)?;
        for entry in &entries {
            let d = &entry.draft;
            insert.execute(params![
                entry.seq,
                d.at_ms,
                d.actor_account_id,
                d.actor_username,
                d.org_id,
                d.party.map(|p| p.as_str()),
                d.action,
                d.object_type,
                d.object_id,
                d.segment.map(|s| s.as_str()),
                d.outcome.as_str(),
                d.reason,
                d.request_id,
                d.client_addr,
                entry.prev_hash.to_hex(),
                entry.hash.to_hex(),
            ])?;
        }
        tx.prepare_cached(MOVE_HEAD)?
            .execute(params![last.seq, last.hash.to_hex()])?;
    }
    for used in &writes.usage {
        tx.prepare_cached(METER)?.execute(params![
            used.product_id,
            used.org_id,
            used.day,
            used.calls,
            used.records,
            used.downloads,
            used.amount_fen,
        ])?;
    }
    for (day, uses) in &writes.authorization_uses {
        tx.prepare_cached(COUNT_AUTHORIZATION_USES)?
            .execute(params![day.authorization_id, day.org_id, day.day, uses])?;
    }
    if let Some(newest) = writes.minutes.iter().map(|(m, _)| m.at).max() {
        tx.prepare_cached(FORGET_MINUTES)?
            .execute(params![newest - 1])?;
        for (minute, calls) in &writes.minutes {
            tx.prepare_cached(COUNT_MINUTE)?.execute(params![
                minute.product_id,
                minute.org_id,
                minute.at,
                calls
            ])?;
        }
    }
    tx.commit()?;
    Ok((counts, decided))
}

/// The single-row insert of the synchronous path (in-process statements
/// cost microseconds; sqlx's many-row insert saves round trips instead).
static INSERT_ENTRY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let places: Vec<String> = (1..=16).map(|n| format!("?{n}")).collect();
    format!(
        "INSERT INTO ledger_entries ({ENTRY_COLUMNS}) VALUES ({})",
        places.join(", ")
    )
});

async fn record_through_pool<R>(
    store: &Store,
    reads: &UseReads,
    decide: impl FnOnce(&UseCounts) -> (UseWrites, R),
) -> Result<(UseCounts, R), StoreError> {
    let (mut tx, epoch) = store.begin_uses().await?;
    let mut counts = UseCounts {
        epoch,
        ..UseCounts::default()
    };
    for key in &reads.day_calls {
        let calls = tx.calls_on(key.product_id, key.org_id, &key.at).await?;
        counts.day_calls.insert(key.clone(), calls);
    }
    for key in &reads.authorization_days {
        let uses = tx
            .read_at(
                USES_UNDER_AUTHORIZATION,
                key.authorization_id,
                key.org_id,
                key.day.clone(),
            )
            .await?;
        counts
            .authorization_days
            .insert(key.clone(), uses.unwrap_or(0));
    }
    for key in &reads.minute_calls {
        let calls = tx
            .calls_in_minute(key.product_id, key.org_id, key.at)
            .await?;
        counts.minute_calls.insert(key.clone(), calls);
    }
    for key in &reads.used_since {
        if tx.used_since(key.product_id, key.org_id, &key.at).await? {
            counts.used_since.insert(key.clone());
        }
    }
    let (writes, decided) = decide(&counts);
    tx.append_all(writes.entries).await?;
    for used in &writes.usage {
        tx.meter(used).await?;
    }
    for (day, uses) in &writes.authorization_uses {
        sqlx::query(COUNT_AUTHORIZATION_USES)
            .bind(day.authorization_id)
            .bind(day.org_id)
            .bind(day.day.as_str())
            .bind(uses)
            .execute(&mut *tx.tx)
            .await?;
    }
    if let Some(newest) = writes.minutes.iter().map(|(m, _)| m.at).max() {
        sqlx::query(FORGET_MINUTES)
            .bind(newest - 1)
            .execute(&mut *tx.tx)
            .await?;
        for (minute, calls) in &writes.minutes {
            sqlx::query(COUNT_MINUTE)
                .bind(minute.product_id)
                .bind(minute.org_id)
                .bind(minute.at)
                .bind(*calls)
                .execute(&mut *tx.tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok((counts, decided))
}

impl WriteTx<'_> {
    /// The one number `sql` reads for a product (or authorization) and
    /// organisation at `at`.
    async fn read_at<T>(
        &mut self,
        sql: &'static str,
        product_id: i64,
        org_id: i64,
        at: T,
    ) -> Result<Option<i64>, StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        Ok(sqlx::query_scalar(sql)
            .bind(product_id)
            .bind(org_id)
            .bind(at)
            .fetch_optional(&mut *self.tx)
            .await?)
    }

    /// Calls metered for a product and organisation on `day`, as committed.
    pub async fn calls_on(
        &mut self,
        product_id: i64,
        org_id: i64,
        day: &str,
    ) -> Result<i64, StoreError> {
        let calls = self
            .read_at(CALLS_ON_DAY, product_id, org_id, day.to_owned())
            .await?;
        Ok(calls.unwrap_or(0))
    }

    /// Calls of an organisation to a product recorded in one minute (since
    /// the Unix epoch), by any process.
    pub async fn calls_in_minute(
        &mut self,
        product_id: i64,
        org_id: i64,
        minute: i64,
    ) -> Result<i64, StoreError> {
        let calls = self
            .read_at(CALLS_IN_MINUTE, product_id, org_id, minute)
            .await?;
        Ok(calls.unwrap_or(0))
    }

    /// Whether the organisation used the product on or after `from`.
    pub async fn used_since(
        &mut self,
        product_id: i64,
        org_id: i64,
        from: &str,
    ) -> Result<bool, StoreError> {
        let used = self
            .read_at(USED_SINCE, product_id, org_id, from.to_owned())
            .await?;
        Ok(used.is_some())
    }

    /// Adds one use to the day's meter.
    pub async fn meter(&mut self, used: &Usage) -> Result<(), StoreError> {
        sqlx::query(METER)
            .bind(used.product_id)
            .bind(used.org_id)
            .bind(used.day.clone())
            .bind(used.calls)
            .bind(used.records)
            .bind(used.downloads)
            .bind(used.amount_fen)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
