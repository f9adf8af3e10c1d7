//! The JSON API under `/api/v1`. Handlers are thin: parse, one call, map.

pub(crate) mod ckan;
pub(crate) mod front;
pub(crate) mod ledger;
pub(crate) mod me;
pub(crate) mod organizations;
pub(crate) mod product_types;
pub(crate) mod products;
pub(crate) mod resource_types;
pub(crate) mod resources;
pub(crate) mod sessions;
pub(crate) mod system;
pub(crate) mod types;
pub(crate) mod workflow;
pub(crate) mod workflow_types;
