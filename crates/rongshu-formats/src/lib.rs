//! Tables in and out of products.
//!
//! [`VersionReader`] reads the fields a product outputs from a version's
//! Parquet as text [`Batch`]es (the pipeline's currency); [`TableWriter`]s
//! write batches as CSV (UTF-8 or GB18030), XLSX, JSON or Parquet, typed
//! where the pipeline kept a field's type; [`Package`] zips an output with
//! its metadata file (citation line, lineage, reports).
//!
//! *Invariants:* arrow and parquet types never leave this crate but through
//! [`arrow`], for the sandbox's engine; no
//! storage, no HTTP, no business rules: callers decide what to read and
//! who may have it.

pub mod arrow;
mod read;
mod source;
mod write;
mod xlsx;

pub use read::VersionReader;
pub use rongshu_deid::Batch;
pub use source::{RangeSource, Ranged, VersionSource};
pub use write::{ColumnType, OutputColumn, OutputFormat, Package, TableWriter, UnknownFormat};

/// Why a table could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("the version has no field {0}")]
    MissingField(String),
    #[error("reading the version's Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("a version column of type {0}, which products do not serve")]
    UnsupportedType(String),
    #[error("reading the version's columns: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("the field {field} holds {value:?}, which is no {expected}")]
    Value {
        field: String,
        value: String,
        expected: &'static str,
    },
    #[error("XLSX holds at most {max} rows; choose CSV, JSON or Parquet for more")]
    TooManyRowsForXlsx { max: u32 },
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("packaging: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
