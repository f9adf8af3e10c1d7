//! The tamper-evident ledger (全流程日志, Art. 7 and 17; MLPS level 3 audit).
//!
//! Every entry is chained to the one before it by an SM3 hash over a
//! canonical, length-prefixed encoding of all its fields, so altering,
//! removing or reordering any entry breaks the chain at a point
//! [`ChainVerifier`] names. Pure code: storage appends and reads entries.

mod chain;
mod entry;
mod retention;

pub use chain::{Break, ChainVerifier, Digest, GENESIS};
pub use entry::{Attribution, Entry, EntryDraft, Outcome, Segment, UnknownCode};
pub use retention::{MIN_RETENTION_DAYS, Retention, RetentionError};
