//! Why a workflow step did not happen.

use rongshu_domain::workflow::{IllegalTransition, SignRefusal};
use rongshu_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The step does not follow the current state, or this party does not
    /// take it.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Signature(#[from] SignRefusal),
    /// The caller's organisation has no part in this record.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{field} {problem}")]
    Invalid {
        field: &'static str,
        problem: &'static str,
    },
    /// A party the step needs is not registered on the platform.
    #[error("no {0} organisation is registered; register one first")]
    MissingParty(&'static str),
    /// A secret sealed under the master key (a signing key, a webhook
    /// secret) does not open with the master key in use.
    #[error("the {what} of organisation {org_id} does not open with the master key in use")]
    Sealed { what: &'static str, org_id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}
