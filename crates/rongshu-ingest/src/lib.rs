//! Reading the files governments actually produce (issue 3, section 2).
//!
//! This crate grows into the ingest path; so far it holds the first steps
//! every delimited file goes through: finding its text encoding (UTF-8 or
//! GB18030/GBK, the two that government systems export; overridable) and
//! decoding it to UTF-8 as a stream, and sniffing its CSV dialect.
//! Nothing here holds more than one buffer of the input.

mod dialect;
mod encoding;

pub use dialect::{Dialect, sniff_dialect};
pub use encoding::{DecodingReader, TextEncoding, detect_encoding};
