//! The parties the regulation names, their roles, and who may do what.
//!
//! Pure code: nothing here performs I/O or knows about HTTP, SQL or JSON, so
//! every rule can be tested exhaustively.

mod access;
pub mod calendar;
pub mod civil_time;
mod lockout;
mod names;
pub mod output;
mod party;
pub mod resource;
pub mod supply;
pub mod workflow;

pub use access::{Access, Actor, Denial, Grant, LedgerScope, PartySet, RoleSet};
pub use lockout::{FailureOutcome, LockoutPolicy};
pub use names::{
    BadName, check_display_name, check_file_name, check_organization_code, check_product_code,
    check_resource_code, check_username,
};
pub use party::{PartyType, Role, UnknownName};
