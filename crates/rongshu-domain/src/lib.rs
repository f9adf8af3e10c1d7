//! The parties the regulation names, their roles, and who may do what.
//!
//! Pure code: nothing here performs I/O or knows about HTTP, SQL or JSON, so
//! every rule can be tested exhaustively.

mod access;
mod lockout;
mod party;

pub use access::{Access, Actor, Denial, LedgerScope, PartySet, RoleSet};
pub use lockout::{FailureOutcome, LockoutPolicy};
pub use party::{PartyType, Role, UnknownName};
