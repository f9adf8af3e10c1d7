//! Classification and grading (分类分级, Art. 7 and 10 of the Measures;
//! GB/T 43697-2024).
//!
//! [`detect`] recognises one value as an identifier kind, with the
//! check digits of the national standards where they exist; [`scan_column`]
//! weighs a column's values and its name; [`grading`] turns kinds into
//! field sensitivity and a resource grade, taking the most sensitive
//! field's level (就高从严). Pure code: callers feed values in.

mod checksum;
mod column;
mod detect;
pub mod grading;
mod kind;
mod names;

pub use checksum::{credit_code_valid, luhn_valid, resident_id_valid};
pub use column::{ColumnReport, ColumnScanner, Detection, scan_column};
pub use detect::{Match, detect, matches};
pub use grading::{Grade, GradeScale, UnknownGrade};
pub use kind::{IdentifierKind, UnknownKind};
