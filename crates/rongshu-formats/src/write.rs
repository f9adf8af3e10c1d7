//! Output formats, and the package that carries an output with its
//! metadata.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rongshu_deid::Batch;
use zip::write::SimpleFileOptions;

use crate::FormatError;

/// The type a column is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    Decimal,
    Boolean,
    Date,
    Timestamp,
}

impl ColumnType {
    pub(crate) fn of(data_type: &DataType) -> ColumnType {
        match data_type {
            DataType::Int64
            | DataType::Int32
            | DataType::Int16
            | DataType::Int8
            | DataType::UInt64
            | DataType::UInt32
            | DataType::UInt16
            | DataType::UInt8 => ColumnType::Integer,
            DataType::Float64
            | DataType::Float32
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => ColumnType::Decimal,
            DataType::Boolean => ColumnType::Boolean,
            DataType::Date32 => ColumnType::Date,
            DataType::Timestamp(..) => ColumnType::Timestamp,
            _ => ColumnType::Text,
        }
    }

    pub(crate) fn data_type(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::Integer => DataType::Int64,
            ColumnType::Decimal => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Date => DataType::Date32,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
        }
    }

    /// Its name on the wire and in the console.
    pub const fn as_str(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Integer => "integer",
            ColumnType::Decimal => "decimal",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
        }
    }

    pub(crate) fn is_number(self) -> bool {
        matches!(self, ColumnType::Integer | ColumnType::Decimal)
    }
}

/// A column of an output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputColumn {
    pub name: String,
    pub column_type: ColumnType,
}

/// The formats a download comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    /// CSV in GB18030, for spreadsheet software set to Chinese locales:
    /// a text value a spreadsheet would run as a formula carries a leading
    /// apostrophe (`'=…`); numbers, and the UTF-8 flavour, stay exact.
    CsvGb18030,
    Xlsx,
    /// A JSON array of objects, numbers and booleans unquoted.
    Json,
    Parquet,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0}: csv, csv-gb18030, xlsx, json or parquet")]
pub struct UnknownFormat(pub String);

impl OutputFormat {
    pub const ALL: [OutputFormat; 5] = [
        OutputFormat::Csv,
        OutputFormat::CsvGb18030,
        OutputFormat::Xlsx,
        OutputFormat::Json,
        OutputFormat::Parquet,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::CsvGb18030 => "csv-gb18030",
            OutputFormat::Xlsx => "xlsx",
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
        }
    }

    pub fn parse(s: &str) -> Result<OutputFormat, UnknownFormat> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }

    pub const fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv | OutputFormat::CsvGb18030 => "csv",
            OutputFormat::Xlsx => "xlsx",
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
        }
    }

    /// Already-compressed formats are stored in the package as they are.
    const fn compresses(self) -> bool {
        matches!(
            self,
            OutputFormat::Csv | OutputFormat::CsvGb18030 | OutputFormat::Json
        )
    }
}

/// Writes an output of one format, batch by batch, into `W`.
pub struct TableWriter<W: Write + Send> {
    inner: Inner<W>,
}

enum Inner<W: Write + Send> {
    Csv(Box<CsvOut<W>>),
    Json(JsonOut<W>),
    Parquet(Box<ParquetOut<W>>),
    Xlsx(Box<crate::xlsx::XlsxOut<W>>),
}

impl<W: Write + Send> std::fmt::Debug for TableWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TableWriter")
    }
}

impl<W: Write + Send> TableWriter<W> {
    pub fn new(
        format: OutputFormat,
        columns: Vec<OutputColumn>,
        sink: W,
    ) -> Result<TableWriter<W>, FormatError> {
        let inner = match format {
            OutputFormat::Csv | OutputFormat::CsvGb18030 => Inner::Csv(Box::new(CsvOut::new(
                &columns,
                sink,
                format == OutputFormat::CsvGb18030,
            )?)),
            OutputFormat::Json => Inner::Json(JsonOut::new(columns, sink)?),
            OutputFormat::Parquet => Inner::Parquet(Box::new(ParquetOut::new(columns, sink)?)),
            OutputFormat::Xlsx => Inner::Xlsx(Box::new(crate::xlsx::XlsxOut::new(&columns, sink)?)),
        };
        Ok(TableWriter { inner })
    }

    pub fn write(&mut self, batch: &Batch) -> Result<(), FormatError> {
        match &mut self.inner {
            Inner::Csv(out) => out.write(batch),
            Inner::Json(out) => out.write(batch),
            Inner::Parquet(out) => out.write(batch),
            Inner::Xlsx(out) => out.write(batch),
        }
    }

    /// Completes the output and hands back the sink.
    pub fn finish(self) -> Result<W, FormatError> {
        match self.inner {
            Inner::Csv(out) => out.finish(),
            Inner::Json(out) => out.finish(),
            Inner::Parquet(out) => out.finish(),
            Inner::Xlsx(out) => out.finish(),
        }
    }
}

struct CsvOut<W: Write> {
    csv: csv::Writer<W>,
    gb18030: bool,
    /// Which columns hold text, whose formula-like values the spreadsheet
    /// flavour guards (numbers stay exact: `-5` is no formula).
    text: Vec<bool>,
}

impl<W: Write> CsvOut<W> {
    fn new(columns: &[OutputColumn], sink: W, gb18030: bool) -> Result<CsvOut<W>, FormatError> {
        let mut out = CsvOut {
            csv: csv::Writer::from_writer(sink),
            gb18030,
            text: columns
                .iter()
                .map(|c| c.column_type == ColumnType::Text)
                .collect(),
        };
        let header: Vec<Option<&str>> = columns.iter().map(|c| Some(c.name.as_str())).collect();
        out.record(&header, true)?;
        Ok(out)
    }

    fn record(&mut self, values: &[Option<&str>], header: bool) -> Result<(), FormatError> {
        let values = values.iter().map(|v| v.unwrap_or(""));
        if !self.gb18030 {
            return Ok(self.csv.write_record(values)?);
        }
        let encoded: Vec<Vec<u8>> = values
            .zip(&self.text)
            .map(|(v, text)| {
                let v = if (header || *text) && reads_as_formula(v) {
                    Cow::Owned(format!("'{v}"))
                } else {
                    Cow::Borrowed(v)
                };
                encoding_rs::GB18030.encode(&v).0.into_owned()
            })
            .collect();
        Ok(self.csv.write_record(&encoded)?)
    }
}

/// Whether a spreadsheet would run a cell as a formula (or a DDE call):
/// it begins with `=`, `+`, `-`, `@`, a tab or a carriage return.
fn reads_as_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

impl<W: Write> CsvOut<W> {
    fn write(&mut self, batch: &Batch) -> Result<(), FormatError> {
        for row in 0..batch.rows {
            let values: Vec<Option<&str>> =
                batch.columns.iter().map(|c| c[row].as_deref()).collect();
            self.record(&values, false)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<W, FormatError> {
        self.csv
            .into_inner()
            .map_err(|e| FormatError::Io(e.into_error()))
    }
}

struct JsonOut<W: Write> {
    columns: Vec<OutputColumn>,
    sink: W,
    first: bool,
}

impl<W: Write> JsonOut<W> {
    fn new(columns: Vec<OutputColumn>, mut sink: W) -> Result<JsonOut<W>, FormatError> {
        sink.write_all(b"[")?;
        Ok(JsonOut {
            columns,
            sink,
            first: true,
        })
    }
}

impl<W: Write> JsonOut<W> {
    fn write(&mut self, batch: &Batch) -> Result<(), FormatError> {
        for row in 0..batch.rows {
            let mut object = serde_json::Map::with_capacity(self.columns.len());
            for (column, values) in self.columns.iter().zip(&batch.columns) {
                object.insert(
                    column.name.clone(),
                    json_value(column, values[row].as_deref()),
                );
            }
            self.sink
                .write_all(if self.first { b"\n" } else { b",\n" })?;
            self.first = false;
            serde_json::to_writer(&mut self.sink, &object).map_err(std::io::Error::from)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<W, FormatError> {
        self.sink.write_all(b"\n]\n")?;
        Ok(self.sink)
    }
}

fn json_value(column: &OutputColumn, value: Option<&str>) -> serde_json::Value {
    use serde_json::Value;
    let Some(value) = value else {
        return Value::Null;
    };
    let typed = match column.column_type {
        ColumnType::Integer => value.parse::<i64>().ok().map(Value::from),
        ColumnType::Decimal => value.parse::<f64>().ok().map(Value::from),
        ColumnType::Boolean => value.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    typed.unwrap_or_else(|| Value::from(value))
}

/// Bytes of encoded data a Parquet download buffers before it writes a
/// row group out.
const ROW_GROUP_BYTES: usize = 16 << 20;

struct ParquetOut<W: Write + Send> {
    schema: Arc<Schema>,
    columns: Vec<OutputColumn>,
    writer: ArrowWriter<W>,
}

impl<W: Write + Send> ParquetOut<W> {
    fn new(columns: Vec<OutputColumn>, sink: W) -> Result<ParquetOut<W>, FormatError> {
        let schema = crate::arrow::schema(&columns);
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(sink, schema.clone(), Some(properties))?;
        Ok(ParquetOut {
            schema,
            columns,
            writer,
        })
    }
}

impl<W: Write + Send> ParquetOut<W> {
    fn write(&mut self, batch: &Batch) -> Result<(), FormatError> {
        self.writer.write(&crate::arrow::record_batch(
            &self.schema,
            &self.columns,
            batch,
        )?)?;
        // A row group is buffered whole until flushed: bound it by size,
        // not by the writer's default of a million rows.
        if self.writer.in_progress_size() >= ROW_GROUP_BYTES {
            self.writer.flush()?;
        }
        Ok(())
    }

    fn finish(self) -> Result<W, FormatError> {
        Ok(self.writer.into_inner()?)
    }
}

/// A text column back in its type; a value that does not parse is an
/// error, never a silent null.
pub(crate) fn typed_array(
    column: &OutputColumn,
    values: &[Option<String>],
) -> Result<ArrayRef, FormatError> {
    fn build<T, B>(
        column: &OutputColumn,
        values: &[Option<String>],
        mut builder: B,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
        mut append: impl FnMut(&mut B, Option<T>),
        finish: impl FnOnce(B) -> ArrayRef,
    ) -> Result<ArrayRef, FormatError> {
        for value in values {
            let parsed = match value {
                None => None,
                Some(v) => Some(parse(v).ok_or_else(|| FormatError::Value {
                    field: column.name.clone(),
                    value: v.clone(),
                    expected,
                })?),
            };
            append(&mut builder, parsed);
        }
        Ok(finish(builder))
    }
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
    match column.column_type {
        ColumnType::Text => {
            let mut b = StringBuilder::with_capacity(values.len(), values.len() * 8);
            for v in values {
                b.append_option(v.as_deref());
            }
            Ok(Arc::new(b.finish()))
        }
        ColumnType::Integer => build(
            column,
            values,
            Int64Builder::with_capacity(values.len()),
            "whole number",
            |v| v.parse::<i64>().ok(),
            |b, v| b.append_option(v),
            |mut b| Arc::new(b.finish()),
        ),
        ColumnType::Decimal => build(
            column,
            values,
            Float64Builder::with_capacity(values.len()),
            "number",
            |v| v.parse::<f64>().ok(),
            |b, v| b.append_option(v),
            |mut b| Arc::new(b.finish()),
        ),
        ColumnType::Boolean => build(
            column,
            values,
            BooleanBuilder::with_capacity(values.len()),
            "true or false",
            |v| v.parse::<bool>().ok(),
            |b, v| b.append_option(v),
            |mut b| Arc::new(b.finish()),
        ),
        ColumnType::Date => build(
            column,
            values,
            Date32Builder::with_capacity(values.len()),
            "date",
            |v| {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
                i32::try_from((d - epoch).num_days()).ok()
            },
            |b, v| b.append_option(v),
            |mut b| Arc::new(b.finish()),
        ),
        ColumnType::Timestamp => build(
            column,
            values,
            TimestampMillisecondBuilder::with_capacity(values.len()),
            "date and time",
            |v| {
                NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|t| t.and_utc().timestamp_millis())
            },
            |b, v| b.append_option(v),
            |mut b| Arc::new(b.finish()),
        ),
    }
}

/// A download package: a ZIP holding the output as `data.<ext>` and,
/// after it, `metadata.json` with the citation line and what the run did.
#[derive(Debug)]
pub struct Package<W: Write + Send> {
    data: TableWriter<zip::ZipWriter<zip::write::StreamWriter<W>>>,
}

impl<W: Write + Send> Package<W> {
    pub fn start(
        format: OutputFormat,
        columns: Vec<OutputColumn>,
        sink: W,
    ) -> Result<Package<W>, FormatError> {
        let mut zip = zip::ZipWriter::new_stream(sink);
        zip.start_file(
            format!("data.{}", format.extension()),
            entry(format.compresses()),
        )?;
        Ok(Package {
            data: TableWriter::new(format, columns, zip)?,
        })
    }

    pub fn write(&mut self, batch: &Batch) -> Result<(), FormatError> {
        self.data.write(batch)
    }

    /// Completes the data, adds the metadata and closes the archive.
    pub fn finish(self, metadata: &str) -> Result<W, FormatError> {
        let mut zip = self.data.finish()?;
        zip.start_file("metadata.json", entry(true))?;
        zip.write_all(metadata.as_bytes())?;
        Ok(zip.finish()?.into_inner())
    }
}

fn entry(compress: bool) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(if compress {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        })
        .large_file(true)
}
