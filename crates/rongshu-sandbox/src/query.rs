//! Running a statement in a workspace: limits, cancellation, the
//! history row and the ledger entry, and the access chain checked again
//! before the answer leaves.

use rongshu_crypto::sm3_hex;
use rongshu_engine::{Batch, EngineError, OutputColumn, Statement};
use rongshu_ledger::{Attribution, EntryDraft, Outcome, Segment};
use rongshu_products::{Caller, ProductError, SandboxSource};
use rongshu_store::{NewSandboxQuery, SandboxQuery};
use tokio_util::sync::CancellationToken;

use crate::kept::{Made, check_free};
use crate::workspace::Opened;
use crate::{Sandbox, SandboxError};

/// A statement's answer in the workspace.
#[derive(Debug)]
pub struct Answer {
    /// The history entry.
    pub query_id: i64,
    pub columns: Vec<OutputColumn>,
    /// At most the row cap.
    pub rows: Vec<Batch>,
    pub row_count: usize,
    pub truncated: bool,
    pub elapsed_ms: i64,
    pub tables_read: Vec<String>,
    /// The table a `CREATE TABLE … AS` made.
    pub made_table: Option<String>,
}

/// Bytes of a statement's text its ledger entry carries; the history row
/// keeps it whole, and the entry its SM3.
const LEDGERED_STATEMENT_BYTES: usize = 4096;

fn clipped(text: &str, max: usize) -> &str {
    let cut = (0..=max.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    &text[..cut]
}

/// What a statement gave, and what it rested on.
pub(crate) struct Ran<T> {
    pub value: T,
    /// The products it read, directly or through tables made from them,
    /// as admitted.
    pub sources: Vec<SandboxSource>,
    /// The oldest access epoch those admissions were read under.
    pub stamp: i64,
    pub read: Vec<String>,
    /// What each table read rests on, for the ledger.
    pub described: String,
    pub rows: usize,
    pub truncated: bool,
    pub elapsed_ms: i64,
    /// The table a `CREATE TABLE … AS` made, kept once the statement is
    /// recorded.
    pub made: Option<Made>,
}

impl<T> Ran<T> {
    pub(crate) fn new(value: T, opened: &Opened, outcome: &rongshu_engine::Outcome) -> Ran<T> {
        let sources = opened.behind(&outcome.read);
        Ran {
            value,
            stamp: sources
                .iter()
                .map(SandboxSource::stamp)
                .min()
                .unwrap_or(i64::MAX),
            sources,
            read: outcome.read.clone(),
            described: opened.described(&outcome.read),
            rows: outcome.result.rows(),
            truncated: outcome.truncated,
            elapsed_ms: outcome.elapsed.as_millis() as i64,
            made: None,
        }
    }
}

/// A running query's place among the account's, given back on drop.
pub(crate) struct Slot<'a> {
    sandbox: &'a Sandbox,
    account_id: i64,
    run_id: Option<String>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let inner = &self.sandbox.inner;
        let mut running = inner.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = running.get_mut(&self.account_id) {
            *n = n.saturating_sub(1);
        }
        if let Some(run_id) = self.run_id.take() {
            let mut cancels = inner.cancels.lock().unwrap_or_else(|e| e.into_inner());
            cancels.remove(&(self.account_id, run_id));
        }
    }
}

/// How a statement ended, as the history and the ledger name it.
fn outcome_of(result: &Result<(), &SandboxError>) -> &'static str {
    match result {
        Ok(()) => "done",
        Err(SandboxError::Query(EngineError::Cancelled)) => "cancelled",
        Err(SandboxError::Query(EngineError::TimeLimit { .. })) => "time-limit",
        Err(SandboxError::Query(EngineError::MemoryLimit { .. })) => "memory-limit",
        Err(SandboxError::Query(EngineError::NotAllowed(_) | EngineError::NotReleasable(_)))
        | Err(SandboxError::Product(_))
        | Err(SandboxError::Forbidden(_)) => "refused",
        Err(_) => "failed",
    }
}

impl Sandbox {
    /// Takes one of the account's query slots, registering `run_id` for
    /// cancellation.
    pub(crate) fn slot(
        &self,
        caller: &Caller,
        run_id: Option<&str>,
    ) -> Result<(Slot<'_>, CancellationToken), SandboxError> {
        let limit = self.inner.config.queries_per_account.max(1);
        {
            let mut running = self.inner.running.lock().unwrap_or_else(|e| e.into_inner());
            let n = running.entry(caller.account_id).or_default();
            if *n >= limit {
                return Err(SandboxError::Busy { running: *n });
            }
            *n += 1;
        }
        let token = CancellationToken::new();
        let slot = Slot {
            sandbox: self,
            account_id: caller.account_id,
            run_id: run_id.map(str::to_owned),
        };
        if let Some(run_id) = run_id {
            let mut cancels = self.inner.cancels.lock().unwrap_or_else(|e| e.into_inner());
            cancels.insert((caller.account_id, run_id.to_owned()), token.clone());
        }
        Ok((slot, token))
    }

    /// Runs one statement in the caller's workspace. Every statement,
    /// whatever its end, goes into the history and the ledger.
    pub async fn run(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        agreement_id: i64,
        sql: &str,
        run_id: Option<&str>,
    ) -> Result<Answer, SandboxError> {
        let (_slot, cancel) = self.slot(caller, run_id)?;
        let ran = self.run_in(caller, agreement_id, sql, &cancel).await;
        let mut ran = self.metered(caller, by, ran).await;
        let made = ran.as_mut().ok().and_then(|r| r.made.take());
        let (mut answer, query_id) = self
            .settle(caller, by, agreement_id, sql, "sandbox.query", ran)
            .await?;
        answer.query_id = query_id;
        if let Some(made) = made {
            self.keep_made(caller, by, agreement_id, made, query_id)
                .await?;
        }
        Ok(answer)
    }

    async fn run_in(
        &self,
        caller: &Caller,
        agreement_id: i64,
        sql: &str,
        cancel: &CancellationToken,
    ) -> Result<Ran<Answer>, SandboxError> {
        let opened = self.open(caller, agreement_id, sql).await?;
        let outcome = self.inner.engine.run(&opened.tables, sql, cancel).await?;
        let made_table = match &outcome.statement {
            Statement::CreateTable { name, .. } => Some(name.clone()),
            Statement::Query { .. } => None,
        };
        let rows = outcome
            .result
            .text()
            .collect::<Result<Vec<_>, _>>()
            .map_err(SandboxError::Query)?;
        let answer = Answer {
            query_id: 0,
            columns: outcome.result.columns().to_vec(),
            row_count: outcome.result.rows(),
            rows,
            truncated: outcome.truncated,
            elapsed_ms: outcome.elapsed.as_millis() as i64,
            tables_read: outcome.read.clone(),
            made_table,
        };
        let mut ran = Ran::new(answer, &opened, &outcome);
        if let Some(name) = &ran.value.made_table {
            check_free(&opened, name)?;
            ran.made = Some(Made {
                table: outcome.result,
                derived_from: ran
                    .sources
                    .iter()
                    .map(|s| s.product().input.code.clone())
                    .collect(),
            });
        }
        Ok(ran)
    }

    /// Records a statement's end in the history and the ledger, first
    /// making sure what it rested on still holds: if anything changed
    /// since its products were admitted (a suspension, a termination),
    /// they are admitted afresh and a refusal withholds the answer. The
    /// record goes in a data-use transaction, which leaves the access
    /// epoch, and so every process's caches, as they are.
    pub(crate) async fn settle<T>(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        agreement_id: i64,
        sql: &str,
        action: &str,
        ran: Result<Ran<T>, SandboxError>,
    ) -> Result<(T, i64), SandboxError> {
        let (mut tx, epoch) = self.store().begin_uses().await?;
        let ran = match ran {
            Ok(ran) if ran.stamp < epoch => match self.readmit(caller, &ran.sources).await {
                Ok(()) => Ok(ran),
                Err(refused) => Err(refused),
            },
            other => other,
        };
        let query = NewSandboxQuery {
            agreement_id,
            org_id: caller.org_id,
            account_id: Some(caller.account_id),
            statement: sql.to_owned(),
            outcome: outcome_of(&ran.as_ref().map(|_| ())).to_owned(),
            problem: ran.as_ref().err().map(ToString::to_string),
            tables_read: ran.as_ref().map(|r| r.read.clone()).unwrap_or_default(),
            row_count: ran.as_ref().map_or(0, |r| r.rows as i64),
            truncated: ran.as_ref().is_ok_and(|r| r.truncated),
            elapsed_ms: ran.as_ref().map_or(0, |r| r.elapsed_ms),
        };
        let id = tx.insert_sandbox_query(&query, self.now_ms()).await?;
        tx.append(EntryDraft {
            segment: Some(Segment::User),
            outcome: match query.outcome.as_str() {
                "done" => Outcome::Success,
                "refused" => Outcome::Denied,
                _ => Outcome::Failed,
            },
            reason: Some(format!(
                "query {id} in workspace {agreement_id}: {}; read {}; statement (SM3 {}): {}",
                query.outcome,
                ran.as_ref().map_or("nothing", |r| r.described.as_str()),
                sm3_hex(&query.statement),
                clipped(&query.statement, LEDGERED_STATEMENT_BYTES),
            )),
            ..by.entry(action, "sandbox-workspace", Some(agreement_id.to_string()))
        })
        .await?;
        tx.commit().await?;
        Ok((ran?.value, id))
    }

    /// Meters a statement's use of every product behind it (quota
    /// included), all or none, before it is recorded: a refusal here
    /// withholds the answer and is the statement's outcome.
    pub(crate) async fn metered<T>(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        ran: Result<Ran<T>, SandboxError>,
    ) -> Result<Ran<T>, SandboxError> {
        let mut ran = ran?;
        let products = self.products();
        match products
            .meter_sandbox(caller, by, &ran.sources, ran.rows)
            .await
        {
            Err(ProductError::Stale) => {
                // Something changed since the admissions: admit afresh (a
                // refusal now is the answer) and meter once more.
                for source in &mut ran.sources {
                    *source = products
                        .admit_sandbox(caller, &source.product().input.code)
                        .await?;
                }
                products
                    .meter_sandbox(caller, by, &ran.sources, ran.rows)
                    .await?;
            }
            done => done?,
        }
        Ok(ran)
    }

    /// The chain afresh for every product a statement read.
    async fn readmit(
        &self,
        caller: &Caller,
        sources: &[SandboxSource],
    ) -> Result<(), SandboxError> {
        for source in sources {
            self.products()
                .admit_sandbox(caller, &source.product().input.code)
                .await?;
        }
        Ok(())
    }

    /// The workspace's history, newest first.
    pub async fn history(
        &self,
        caller: &Caller,
        agreement_id: i64,
        limit: i64,
    ) -> Result<Vec<SandboxQuery>, SandboxError> {
        let queries = self.store().sandbox_queries(agreement_id, limit).await?;
        Ok(queries
            .into_iter()
            .filter(|q| q.query.org_id == caller.org_id)
            .collect())
    }
}
