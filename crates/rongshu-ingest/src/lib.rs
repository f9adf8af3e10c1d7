//! Reading the files governments actually produce (issue 3, section 2) into
//! Parquet, in bounded memory.
//!
//! Text formats (CSV in UTF-8 or GB18030 with any delimiter, NDJSON, JSON
//! arrays, XLSX sheets) go through one path: a sample of rows decides each
//! field's type (overridable), then every row is converted whole or refused
//! whole into a per-row error report, and typed batches stream into Parquet
//! row groups flushed by the memory budget. Parquet arrives typed and is
//! re-encoded batch by batch. Every field is scanned for identifiers on the
//! way. This crate writes to any `Write`; where the bytes go (sealed object
//! storage) is the caller's business.

mod dialect;
mod encoding;
mod parquet_input;
mod scan;
mod schema;
mod sources;
mod table;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use csv::StringRecord;
use rongshu_classify::{ColumnReport, ColumnScanner};

pub use dialect::{Dialect, sniff_dialect};
pub use encoding::{DecodingReader, TextEncoding, UnknownEncoding, detect_encoding};
pub use schema::{FieldType, UnknownFieldType};
pub use table::RowProblem;

use schema::{TypeGuess, field_names};
use sources::{CsvRows, JsonRows, Next, SheetRows, TextRows};
use table::TableWriter;

/// The file formats a delivery may come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
    Ndjson,
    Parquet,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Csv,
        Format::Xlsx,
        Format::Json,
        Format::Ndjson,
        Format::Parquet,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
        }
    }

    /// Whether the format is read as a stream; the others need the whole
    /// file at hand (a zip directory, a footer, one JSON value).
    pub const fn streams(self) -> bool {
        matches!(self, Format::Csv | Format::Ndjson)
    }

    /// The format a file name's extension names.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown file format {0:?}; use csv, xlsx, json, ndjson or parquet")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// How to read one delivery.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub format: Format,
    /// CSV only; detected from the first bytes when `None`.
    pub encoding: Option<TextEncoding>,
    /// CSV only; sniffed from the first lines when `None`.
    pub delimiter: Option<u8>,
    /// XLSX only; the first sheet when `None`.
    pub sheet: Option<String>,
    /// Field types the provider sets instead of the inferred ones.
    pub field_types: BTreeMap<String, FieldType>,
    /// Bytes the ingest may hold in row groups and batches.
    pub memory_budget: usize,
    /// Rows read before deciding field types.
    pub sample_rows: usize,
    /// Rows of each field scanned for identifiers.
    pub scan_rows: u64,
    /// The largest share of bad rows a delivery may carry and still pass.
    pub max_bad_share: f64,
    /// How many bad rows the report lists one by one (all are counted).
    pub max_listed_bad_rows: usize,
    /// The largest file of a format that cannot stream (XLSX, JSON,
    /// Parquet), which is held in memory whole.
    pub max_buffered_bytes: u64,
}

impl IngestOptions {
    pub fn new(format: Format) -> IngestOptions {
        IngestOptions {
            format,
            encoding: None,
            delimiter: None,
            sheet: None,
            field_types: BTreeMap::new(),
            memory_budget: 64 << 20,
            sample_rows: 1000,
            scan_rows: 200_000,
            max_bad_share: 0.01,
            max_listed_bad_rows: 1000,
            max_buffered_bytes: 512 << 20,
        }
    }
}

/// How far an ingest has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes_read: u64,
    pub rows: u64,
    pub bad_rows: u64,
}

/// One row left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// The row's line (CSV, NDJSON), sheet row (XLSX) or position (JSON).
    pub row: u64,
    pub problem: RowProblem,
}

/// One stored field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldReport {
    pub name: String,
    pub field_type: FieldType,
    pub classification: ColumnReport,
}

/// What an ingest read and wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestReport {
    pub format: Format,
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    pub fields: Vec<FieldReport>,
    pub rows: u64,
    pub bad_rows: u64,
    /// The first bad rows, up to the listing limit.
    pub listed_bad_rows: Vec<BadRow>,
    pub bytes_read: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("reading the delivery failed: {0}")]
    Io(#[from] io::Error),
    #[error("the file has no header row or no fields")]
    NoHeader,
    #[error("the file is malformed: {0}")]
    Malformed(String),
    #[error("the file's text encoding could not be detected; state it (utf-8 or gb18030)")]
    UnknownEncoding,
    #[error("no sheet named {wanted:?}; the workbook has {available:?}")]
    NoSuchSheet {
        wanted: String,
        available: Vec<String>,
    },
    #[error("a field type was set for {0:?}, which the file does not have")]
    UnknownField(String),
    #[error("field types cannot be overridden for Parquet, which carries its own")]
    TypedFormat,
    #[error("{bad} of {total} rows are bad, above the allowed share of {limit}")]
    TooManyBadRows {
        bad: u64,
        total: u64,
        limit: f64,
        /// The first bad rows, for the provider's error report.
        listed: Vec<BadRow>,
    },
    #[error(
        "the file is larger than {limit} bytes, the most this format may have (it cannot be streamed): deliver it as CSV or NDJSON"
    )]
    TooLargeToBuffer { limit: u64 },
    #[error("writing Parquet failed: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("building columns failed: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Counts the bytes read through it, for progress.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads one delivery from `input` and writes it to `sink` as Parquet.
/// `progress` hears about it every batch. On error the sink holds a partial
/// file, which the caller must discard.
pub fn ingest<R: Read, W: Write + Send + 'static>(
    input: R,
    options: &IngestOptions,
    sink: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<(IngestReport, W), IngestError> {
    let count = Arc::new(AtomicU64::new(0));
    let mut input = Counted {
        inner: input,
        count: count.clone(),
    };
    let limit = options.max_buffered_bytes;
    let read_whole = |input: &mut Counted<R>| -> Result<Vec<u8>, IngestError> {
        let mut bytes = Vec::new();
        input.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(IngestError::TooLargeToBuffer { limit });
        }
        Ok(bytes)
    };
    let mut report = IngestReport {
        format: options.format,
        encoding: None,
        delimiter: None,
        fields: Vec::new(),
        rows: 0,
        bad_rows: 0,
        listed_bad_rows: Vec::new(),
        bytes_read: 0,
    };
    let sink = match options.format {
        Format::Csv => {
            // Encoding and dialect come from the first 64 KiB, then the file
            // is read from its start again.
            let mut head = vec![0; 64 * 1024];
            let mut filled = 0;
            while filled < head.len() {
                match input.read(&mut head[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            head.truncate(filled);
            let encoding = match options.encoding {
                Some(e) => e,
                None => detect_encoding(&head).ok_or(IngestError::UnknownEncoding)?,
            };
            let decoded_head = match encoding {
                TextEncoding::Utf8 => String::from_utf8_lossy(&head).into_owned(),
                TextEncoding::Gb18030 => encoding_rs::GB18030.decode(&head).0.into_owned(),
            };
            let mut dialect = sniff_dialect(&decoded_head).unwrap_or_default();
            if let Some(d) = options.delimiter {
                dialect.delimiter = d;
            }
            report.encoding = Some(encoding);
            report.delimiter = Some(dialect.delimiter);
            let whole = io::Cursor::new(head).chain(input);
            match encoding {
                TextEncoding::Utf8 => {
                    let rows = CsvRows::new(whole, dialect)?;
                    text_rows(rows, options, sink, &count, &mut report, progress)?
                }
                TextEncoding::Gb18030 => {
                    let rows = CsvRows::new(DecodingReader::new(whole, encoding), dialect)?;
                    text_rows(rows, options, sink, &count, &mut report, progress)?
                }
            }
        }
        Format::Ndjson => {
            let rows = JsonRows::new(sources::ndjson_values(input), options.sample_rows)?;
            text_rows(rows, options, sink, &count, &mut report, progress)?
        }
        Format::Json => {
            let bytes = read_whole(&mut input)?;
            let rows = JsonRows::new(sources::json_array_values(&bytes)?, options.sample_rows)?;
            text_rows(rows, options, sink, &count, &mut report, progress)?
        }
        Format::Xlsx => {
            let bytes = read_whole(&mut input)?;
            let rows = SheetRows::new(bytes, options.sheet.as_deref())?;
            text_rows(rows, options, sink, &count, &mut report, progress)?
        }
        Format::Parquet => {
            if !options.field_types.is_empty() {
                return Err(IngestError::TypedFormat);
            }
            let bytes = read_whole(&mut input)?;
            let copied = parquet_input::copy(
                bytes.into(),
                sink,
                options.memory_budget,
                options.scan_rows,
                progress,
            )?;
            report.rows = copied.rows;
            report.fields = copied
                .names
                .iter()
                .zip(&copied.types)
                .zip(&copied.scanners)
                .map(|((name, t), scanner)| FieldReport {
                    name: name.clone(),
                    field_type: FieldType::of_data_type(t),
                    classification: scanner.finish(name),
                })
                .collect();
            copied.sink
        }
    };
    report.bytes_read = count.load(Ordering::Relaxed);
    let total = report.rows + report.bad_rows;
    if total > 0 && report.bad_rows as f64 / total as f64 > options.max_bad_share {
        return Err(IngestError::TooManyBadRows {
            bad: report.bad_rows,
            total,
            limit: options.max_bad_share,
            listed: report.listed_bad_rows,
        });
    }
    Ok((report, sink))
}

/// The one path every text format takes: sample, decide types, convert.
fn text_rows<W: Write + Send + 'static>(
    mut rows: impl TextRows,
    options: &IngestOptions,
    sink: W,
    count: &AtomicU64,
    report: &mut IngestReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, IngestError> {
    let names = field_names(rows.header().iter().map(String::as_str));
    if let Some(unknown) = options.field_types.keys().find(|k| !names.contains(k)) {
        return Err(IngestError::UnknownField(unknown.clone()));
    }
    let bad = |report: &mut IngestReport, row: u64, problem: RowProblem| {
        report.bad_rows += 1;
        if report.listed_bad_rows.len() < options.max_listed_bad_rows {
            report.listed_bad_rows.push(BadRow { row, problem });
        }
    };

    // The sample decides the types; identifier columns stay text whatever
    // their digits look like (a mobile number is not a quantity).
    let mut sample: Vec<(u64, StringRecord)> = Vec::new();
    let mut guesses = vec![TypeGuess::default(); names.len()];
    let mut sample_scanners = vec![ColumnScanner::default(); names.len()];
    let mut record = StringRecord::new();
    let mut ended = false;
    while sample.len() < options.sample_rows {
        match rows.next(&mut record)? {
            Next::Row(line) => {
                for (i, cell) in record.iter().enumerate().take(names.len()) {
                    guesses[i].observe(cell);
                    sample_scanners[i].push(cell);
                }
                sample.push((line, record.clone()));
            }
            Next::Bad(line, problem) => bad(report, line, problem),
            Next::End => {
                ended = true;
                break;
            }
        }
    }
    let types: Vec<FieldType> = names
        .iter()
        .enumerate()
        .map(|(i, name)| match options.field_types.get(name) {
            Some(&t) => t,
            None if sample_scanners[i].finish(name).detection.is_some() => FieldType::Text,
            None => guesses[i].guess(),
        })
        .collect();

    let mut table = TableWriter::new(
        names.clone(),
        types.clone(),
        sink,
        options.memory_budget,
        options.scan_rows,
    )?;
    let accept =
        |table: &mut TableWriter<W>, report: &mut IngestReport, line, record: &StringRecord| {
            if let Err(problem) = table.push(record.iter()) {
                bad(report, line, problem);
            }
        };
    for (line, record) in &sample {
        accept(&mut table, report, *line, record);
    }
    drop(sample);
    let mut since_progress = 0;
    while !ended {
        match rows.next(&mut record)? {
            Next::Row(line) => accept(&mut table, report, line, &record),
            Next::Bad(line, problem) => bad(report, line, problem),
            Next::End => ended = true,
        }
        table.maybe_write()?;
        since_progress += 1;
        if since_progress == 8192 {
            since_progress = 0;
            progress(Progress {
                bytes_read: count.load(Ordering::Relaxed),
                rows: table.rows(),
                bad_rows: report.bad_rows,
            });
        }
    }
    report.rows = table.rows();
    let (sink, scanners) = table.finish()?;
    report.fields = names
        .iter()
        .zip(&types)
        .zip(&scanners)
        .map(|((name, &field_type), scanner)| FieldReport {
            name: name.clone(),
            field_type,
            classification: scanner.finish(name),
        })
        .collect();
    Ok(sink)
}
