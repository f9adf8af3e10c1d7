//! Processing pipelines (清洗、脱敏、格式转换, Art. 15).
//!
//! A [`Pipeline`] is what the operator writes (as JSON or TOML, see
//! [`doc`]); [`Pipeline::compile`] resolves it against a product's output
//! fields; a [`Runner`] applies it batch by batch, counting first when
//! k-anonymity needs every row; [`level::shortfalls`] says whether the
//! output meets an authorization's de-identification level. Every
//! function lives here once and serves downloads, APIs and the sandbox.
//!
//! *Invariant:* pure code. No files, no storage, no Arrow: callers hand in
//! text values and write out what comes back.

mod compile;
pub mod doc;
pub mod level;
mod pipeline;
mod run;
pub mod values;

pub use compile::{Compiled, PipelineError};
pub use doc::DocError;
pub use level::{Level, OutputField, Shortfall};
pub use pipeline::{
    Clean, DatePrecision, KAnonymity, Mask, Pipeline, Probe, RegionLevel, Step, Transform,
};
pub use run::{
    Batch, KReport, LISTED_REJECTIONS, PRODUCT_KEY_BYTES, ProductKeys, RejectReason, Rejection,
    RunReport, Runner, product_key_context,
};

#[cfg(test)]
mod tests;
