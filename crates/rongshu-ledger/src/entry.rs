//! What one ledger entry records.

use std::fmt;
use std::str::FromStr;

use rongshu_domain::PartyType;

use crate::chain::Digest;

/// The responsibility segment of Art. 18: every movement of data is
/// attributable to exactly one party.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Provider → the sharing platform's front end: the provider answers.
    Provider,
    /// Sharing platform → operation platform: the Big Data Center answers.
    BigDataCenter,
    /// Operation platform → data user: the operator answers.
    Operator,
    /// Use of the data and its results: the user answers.
    User,
}

/// How the recorded request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused by access control.
    Denied,
    /// Allowed, but it did not complete (bad input, conflict, fault).
    Failed,
}

/// A stored code that names no known segment or outcome.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} code {code:?}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}

macro_rules! coded {
    ($ty:ident, $what:literal, { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub const fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $code),+ }
            }
        }
        impl FromStr for $ty {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                match s {
                    $($code => Ok($ty::$variant),)+
                    _ => Err(UnknownCode { what: $what, code: s.to_owned() }),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

coded!(Segment, "segment", {
    Provider => "provider",
    BigDataCenter => "bigdata_center",
    Operator => "operator",
    User => "user",
});

coded!(Outcome, "outcome", {
    Success => "success",
    Denied => "denied",
    Failed => "failed",
});

/// An entry before the ledger gives it a sequence number and hashes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryDraft {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub actor_account_id: Option<i64>,
    /// The account's user name at the time, kept so the entry reads on its own.
    pub actor_username: Option<String>,
    pub org_id: Option<i64>,
    pub party: Option<PartyType>,
    /// What was done, e.g. `account.create` or `session.login`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub segment: Option<Segment>,
    pub outcome: Outcome,
    /// Why a denied or failed request did not succeed; a note otherwise.
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

/// A sealed entry: a draft with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub draft: EntryDraft,
    pub prev_hash: Digest,
    pub hash: Digest,
}

impl EntryDraft {
    /// A successful action by nobody in particular; callers fill in the
    /// actor, object and outcome with struct update syntax.
    pub fn new(at_ms: i64, action: &str, object_type: &str) -> EntryDraft {
        EntryDraft {
            at_ms,
            actor_account_id: None,
            actor_username: None,
            org_id: None,
            party: None,
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: None,
            segment: None,
            outcome: Outcome::Success,
            reason: None,
            request_id: None,
            client_addr: None,
        }
    }

    /// Seals the draft as entry `seq` following `prev_hash`.
    pub fn seal(self, seq: i64, prev_hash: Digest) -> Entry {
        let hash = crate::chain::entry_hash(seq, &prev_hash, &self);
        Entry {
            seq,
            draft: self,
            prev_hash,
            hash,
        }
    }
}

/// Who a change is attributed to in the ledger: a signed-in request, a
/// local operator at the command line, the platform itself.
pub trait Attribution {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft;
}
