//! The JSON API under `/api/v1`. Handlers are thin: parse, one call, map.

pub(crate) mod ledger;
pub(crate) mod me;
pub(crate) mod organizations;
pub(crate) mod sessions;
pub(crate) mod system;
pub(crate) mod types;
