//! The file formats that arrive as rows of text: CSV (any delimiter and
//! quoting, UTF-8 or GB18030), NDJSON, JSON arrays and XLSX sheets.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use csv::StringRecord;
use serde_json::{Map, Value as Json};

use crate::table::RowProblem;
use crate::{Dialect, IngestError};

/// What reading the next row gave.
pub(crate) enum Next {
    /// A row, filled into the record; its 1-based row number in the file.
    Row(u64),
    /// A row that could not be read at all.
    Bad(u64, RowProblem),
    End,
}

/// A file read as a header and rows of text cells; an empty cell is null.
pub(crate) trait TextRows {
    fn header(&self) -> &[String];
    fn next(&mut self, record: &mut StringRecord) -> Result<Next, IngestError>;
}

pub(crate) struct CsvRows<R: Read> {
    reader: csv::Reader<R>,
    header: Vec<String>,
}

impl<R: Read> CsvRows<R> {
    pub(crate) fn new(input: R, dialect: Dialect) -> Result<Self, IngestError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(dialect.delimiter)
            .quote(dialect.quote)
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(csv_error)?
            .iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(IngestError::NoHeader);
        }
        Ok(CsvRows { reader, header })
    }
}

fn csv_error(e: csv::Error) -> IngestError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => IngestError::Io(e),
        other => IngestError::Malformed(format!("{:?}", other)),
    }
}

impl<R: Read> TextRows for CsvRows<R> {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next(&mut self, record: &mut StringRecord) -> Result<Next, IngestError> {
        match self.reader.read_record(record) {
            Ok(true) => Ok(Next::Row(record_line(record))),
            Ok(false) => Ok(Next::End),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                match e.into_kind() {
                    csv::ErrorKind::Io(e) => Err(IngestError::Io(e)),
                    csv::ErrorKind::Utf8 { .. } => Ok(Next::Bad(
                        line,
                        RowProblem {
                            field: None,
                            message: "the row is not valid UTF-8: set the file's encoding".into(),
                        },
                    )),
                    other => Err(IngestError::Malformed(format!("line {line}: {other:?}"))),
                }
            }
        }
    }
}

fn record_line(record: &StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// JSON values as cell text: strings as they are, null as empty, numbers
/// and booleans as written, nested values as compact JSON.
fn cell_text(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One JSON value read from the input, or why its text is not JSON.
pub(crate) type JsonItem = Result<(u64, Result<Json, String>), IngestError>;

fn object_of(line: u64, value: Result<Json, String>) -> Result<Map<String, Json>, Next> {
    let problem = |message: String| {
        Next::Bad(
            line,
            RowProblem {
                field: None,
                message,
            },
        )
    };
    match value {
        Ok(Json::Object(object)) => Ok(object),
        Ok(_) => Err(problem("not a JSON object".into())),
        Err(e) => Err(problem(format!("not valid JSON: {e}"))),
    }
}

/// A row read while finding the header: an object, or what to report.
type SampledRow = Result<Map<String, Json>, Next>;

/// Objects, one a row, whose keys are the fields. The header is the keys of
/// the first rows in order of appearance; a later row with a key outside it
/// is refused rather than silently losing data.
pub(crate) struct JsonRows<I: Iterator<Item = JsonItem>> {
    rows: I,
    header: Vec<String>,
    /// The rows read to find the header, in reverse, to be served first.
    sampled: Vec<(u64, SampledRow)>,
}

impl<I: Iterator<Item = JsonItem>> JsonRows<I> {
    pub(crate) fn new(mut rows: I, sample: usize) -> Result<Self, IngestError> {
        let mut header: Vec<String> = Vec::new();
        let mut sampled = Vec::new();
        while sampled.len() < sample {
            let Some(row) = rows.next() else { break };
            let (line, value) = row?;
            let object = object_of(line, value);
            for key in object.iter().flat_map(|o| o.keys()) {
                if !header.contains(key) {
                    header.push(key.clone());
                }
            }
            sampled.push((line, object));
        }
        if header.is_empty() {
            return Err(IngestError::NoHeader);
        }
        sampled.reverse();
        Ok(JsonRows {
            rows,
            header,
            sampled,
        })
    }

    fn fill(&self, line: u64, object: Map<String, Json>, record: &mut StringRecord) -> Next {
        if let Some(unknown) = object.keys().find(|k| !self.header.contains(k)) {
            return Next::Bad(
                line,
                RowProblem {
                    field: Some(unknown.clone()),
                    message: "a field that earlier rows do not have".into(),
                },
            );
        }
        record.clear();
        for name in &self.header {
            record.push_field(&object.get(name).map(cell_text).unwrap_or_default());
        }
        Next::Row(line)
    }
}

impl<I: Iterator<Item = JsonItem>> TextRows for JsonRows<I> {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next(&mut self, record: &mut StringRecord) -> Result<Next, IngestError> {
        let (line, object) = match self.sampled.pop() {
            Some(sampled) => sampled,
            None => match self.rows.next() {
                None => return Ok(Next::End),
                Some(item) => {
                    let (line, value) = item?;
                    (line, object_of(line, value))
                }
            },
        };
        Ok(match object {
            Ok(object) => self.fill(line, object, record),
            Err(bad) => bad,
        })
    }
}

/// NDJSON: one value a line, streamed; blank lines are skipped.
pub(crate) fn ndjson_values<R: Read>(input: R) -> impl Iterator<Item = JsonItem> {
    use std::io::BufRead;
    std::io::BufReader::with_capacity(64 * 1024, input)
        .lines()
        .enumerate()
        .filter_map(|(i, line)| match line {
            Err(e) => Some(Err(IngestError::Io(e))),
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(Ok((
                i as u64 + 1,
                serde_json::from_str(&text).map_err(|e| e.to_string()),
            ))),
        })
}

/// A JSON array of objects, read whole (bounded by the buffering limit).
pub(crate) fn json_array_values(
    bytes: &[u8],
) -> Result<impl Iterator<Item = JsonItem> + use<>, IngestError> {
    let value: Json = serde_json::from_slice(bytes)
        .map_err(|e| IngestError::Malformed(format!("not valid JSON: {e}")))?;
    let Json::Array(items) = value else {
        return Err(IngestError::Malformed(
            "a JSON file must hold an array of objects; use NDJSON for one object a line".into(),
        ));
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, v)| Ok((i as u64 + 1, Ok(v)))))
}

/// One worksheet of an XLSX workbook: the first, or the one named. The
/// first non-empty row is the header.
pub(crate) struct SheetRows {
    header: Vec<String>,
    rows: std::vec::IntoIter<(u64, Vec<String>)>,
}

impl SheetRows {
    pub(crate) fn new(bytes: Vec<u8>, sheet: Option<&str>) -> Result<Self, IngestError> {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
            .map_err(|e| IngestError::Malformed(format!("not a readable XLSX workbook: {e}")))?;
        let names = workbook.sheet_names();
        let name = match sheet {
            Some(wanted) => names
                .iter()
                .find(|n| n.as_str() == wanted)
                .cloned()
                .ok_or_else(|| IngestError::NoSuchSheet {
                    wanted: wanted.to_owned(),
                    available: names.clone(),
                })?,
            None => names.first().cloned().ok_or(IngestError::NoHeader)?,
        };
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| IngestError::Malformed(format!("sheet {name:?}: {e}")))?;
        let first_row = range.start().map_or(0, |(r, _)| r as u64);
        let mut rows = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                (
                    first_row + i as u64 + 1,
                    cells.iter().map(sheet_cell).collect(),
                )
            })
            .filter(|(_, cells): &(u64, Vec<String>)| cells.iter().any(|c| !c.is_empty()));
        let (_, header) = rows.next().ok_or(IngestError::NoHeader)?;
        let rows: Vec<_> = rows.collect();
        Ok(SheetRows {
            header,
            rows: rows.into_iter(),
        })
    }
}

/// A spreadsheet cell as text: whole numbers without a fraction (phone and
/// ID-like numbers are often stored as numbers), dates in ISO form.
fn sheet_cell(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => at.date().to_string(),
            Some(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

impl TextRows for SheetRows {
    fn header(&self) -> &[String] {
        &self.header
    }

    fn next(&mut self, record: &mut StringRecord) -> Result<Next, IngestError> {
        let Some((line, cells)) = self.rows.next() else {
            return Ok(Next::End);
        };
        record.clear();
        // Trailing empty cells beyond the header are not extra fields.
        let width = self.header.len().max(
            cells
                .iter()
                .rposition(|c| !c.is_empty())
                .map_or(0, |p| p + 1),
        );
        for i in 0..width {
            record.push_field(cells.get(i).map_or("", String::as_str));
        }
        Ok(Next::Row(line))
    }
}
