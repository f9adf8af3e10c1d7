//! The demand → authorization → delivery workflow (Art. 11-16, 18, 19):
//! each step checks who acts and applies the pure state machines of
//! `rongshu_domain::workflow`, then writes the change, its ledger entries
//! and the notices it owes in one transaction.
//!
//! Callers (HTTP, the demo seed) decide nothing: they pass the acting
//! account and its ledger attribution, and get back the new state or a
//! [`WorkflowError`] that says exactly why not.

mod agreements;
mod authorizations;
mod deadlines;
mod deliveries;
mod demands;
mod disputes;
mod error;
mod evidence;
mod export;
mod notices;
mod overdue;
mod report;
mod visibility;
mod webhooks;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use rongshu_crypto::seal::MasterKey;
use rongshu_domain::calendar::WorkingCalendar;
use rongshu_domain::civil_time::china_standard_time;
use rongshu_domain::{Actor, Role};
use rongshu_store::Store;

pub use agreements::signing_key_context;
pub use authorizations::{Answer, AuthorizationTerms};
pub use deadlines::{Deadlines, Due};
pub use deliveries::{UseBasis, UseGrant, UseRefusal, check_use, close_delivery_tasks};
pub use demands::{DemandDraft, ListItemDecision};
pub use error::WorkflowError;
pub use evidence::{
    MAX_EVIDENCE_BYTES, consulting_file_context, evidence_context, feedback_file_context,
    open_evidence, sandbox_export_context,
};
pub use export::{
    AgreementExport, EXPORT_FORMAT, ExportedSignature, VerifiedAgreement, VerifyError,
    verify_export,
};
pub use notices::{To, notify};
pub use report::WorkflowReport;
pub use webhooks::webhook_context;

/// The workflow over one store, with the calendar deadlines count in.
#[derive(Clone)]
pub struct Workflow {
    store: Store,
    calendar: Arc<WorkingCalendar>,
    deadlines: Deadlines,
    master: Arc<MasterKey>,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl std::fmt::Debug for Workflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workflow")
            .field("deadlines", &self.deadlines)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Workflow {
    pub fn new(
        store: Store,
        calendar: Arc<WorkingCalendar>,
        deadlines: Deadlines,
        master: Arc<MasterKey>,
    ) -> Workflow {
        Workflow {
            store,
            calendar,
            deadlines,
            master,
            clock: Arc::new(system_clock),
        }
    }

    /// The same workflow reading time from `clock` (tests, and the demo
    /// seed, which stages demands days ago so deadlines fall around today).
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Workflow {
        self.clock = Arc::new(clock);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    /// Today in China Standard Time, the day deadlines count from.
    pub fn today(&self) -> NaiveDate {
        DateTime::from_timestamp_millis(self.now_ms())
            .unwrap_or_default()
            .with_timezone(&china_standard_time())
            .date_naive()
    }
}

/// Auditors read; only admins and staff act for their organisation.
fn acting(actor: &Actor) -> Result<(), WorkflowError> {
    if actor.role == Role::Auditor {
        Err(WorkflowError::Forbidden(
            "an auditor reads but does not act",
        ))
    } else {
        Ok(())
    }
}

/// Text a person wrote into a reason, ground or note: trimmed, bounded.
fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String, WorkflowError> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars < min || chars > max || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(WorkflowError::Invalid {
            field,
            problem: match min {
                0 => "is too long or has control characters",
                _ => "is required: write it out (and keep it under the length limit)",
            },
        });
    }
    Ok(value.to_owned())
}
