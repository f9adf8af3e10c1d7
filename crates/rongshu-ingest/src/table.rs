//! Typed columns built row by row and written to Parquet in row groups
//! sized by the memory budget.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::IngestError;
use crate::scan::BatchScanner;
use crate::schema::{FieldType, Value};
use rongshu_classify::ColumnScanner;

/// Rows per Arrow batch handed to the Parquet writer.
const BATCH_ROWS: usize = 8192;

enum Column {
    Text(StringBuilder),
    Integer(Int64Builder),
    Decimal(Float64Builder),
    Boolean(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMillisecondBuilder),
}

impl Column {
    fn new(field_type: FieldType) -> Column {
        match field_type {
            FieldType::Text => Column::Text(StringBuilder::new()),
            FieldType::Integer => Column::Integer(Int64Builder::new()),
            FieldType::Decimal => Column::Decimal(Float64Builder::new()),
            FieldType::Boolean => Column::Boolean(BooleanBuilder::new()),
            FieldType::Date => Column::Date(Date32Builder::new()),
            FieldType::Timestamp => Column::Timestamp(TimestampMillisecondBuilder::new()),
        }
    }

    fn append(&mut self, value: Option<Value<'_>>) {
        match (self, value) {
            (Column::Text(b), Some(Value::Text(v))) => b.append_value(v),
            (Column::Integer(b), Some(Value::Integer(v))) => b.append_value(v),
            (Column::Decimal(b), Some(Value::Decimal(v))) => b.append_value(v),
            (Column::Boolean(b), Some(Value::Boolean(v))) => b.append_value(v),
            (Column::Date(b), Some(Value::Date(v))) => b.append_value(v),
            (Column::Timestamp(b), Some(Value::Timestamp(v))) => b.append_value(v),
            (Column::Text(b), _) => b.append_null(),
            (Column::Integer(b), _) => b.append_null(),
            (Column::Decimal(b), _) => b.append_null(),
            (Column::Boolean(b), _) => b.append_null(),
            (Column::Date(b), _) => b.append_null(),
            (Column::Timestamp(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Integer(b) => Arc::new(b.finish()),
            Column::Decimal(b) => Arc::new(b.finish()),
            Column::Boolean(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Timestamp(b) => Arc::new(b.finish()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text(b) => b.len(),
            Column::Integer(b) => b.len(),
            Column::Decimal(b) => b.len(),
            Column::Boolean(b) => b.len(),
            Column::Date(b) => b.len(),
            Column::Timestamp(b) => b.len(),
        }
    }
}

/// Why one row was refused; the row is left out whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The field at fault, when one is.
    pub field: Option<String>,
    pub message: String,
}

pub(crate) fn parquet_writer<W: Write + Send>(
    schema: SchemaRef,
    sink: W,
    budget: usize,
) -> Result<ArrowWriter<W>, IngestError> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        // The budget decides when a row group is flushed; this only stops
        // tiny rows from piling up into one enormous group.
        .set_max_row_group_row_count(Some(1 << 20))
        .set_write_batch_size(BATCH_ROWS.min(budget.max(1024)))
        .build();
    Ok(ArrowWriter::try_new(sink, schema, Some(properties))?)
}

/// Flushes a row group once the writer holds this share of the budget, so
/// the encoded group and the batches being built fit in it together.
pub(crate) fn flush_if_over<W: Write + Send>(
    writer: &mut ArrowWriter<W>,
    budget: usize,
) -> Result<(), IngestError> {
    if writer.in_progress_size() >= budget / 2 {
        writer.flush()?;
    }
    Ok(())
}

/// Parquet encoding, and whatever the sink does (digest, sealing), on a
/// thread of its own, so reading and converting rows overlaps with it. A
/// few batches at most wait between the two, to absorb uneven pace.
struct Encoder<W> {
    batches: Option<SyncSender<RecordBatch>>,
    thread: Option<JoinHandle<Result<(W, BatchScanner), IngestError>>>,
}

impl<W: Write + Send + 'static> Encoder<W> {
    /// Identifier scanning runs here too, to balance the two threads.
    fn start(mut writer: ArrowWriter<W>, budget: usize, mut scanner: BatchScanner) -> Encoder<W> {
        let (batches, received) = sync_channel::<RecordBatch>(4);
        let thread = std::thread::spawn(move || {
            for batch in received {
                scanner.observe(&batch);
                writer.write(&batch)?;
                flush_if_over(&mut writer, budget)?;
            }
            Ok((writer.into_inner()?, scanner))
        });
        Encoder {
            batches: Some(batches),
            thread: Some(thread),
        }
    }

    fn send(&mut self, batch: RecordBatch) -> Result<(), IngestError> {
        let sent = self.batches.as_ref().map(|b| b.send(batch));
        match sent {
            Some(Ok(())) => Ok(()),
            // The thread stopped early: its error says why.
            _ => self.join().and(Err(IngestError::Io(std::io::Error::other(
                "the Parquet encoder stopped",
            )))),
        }
    }

    fn join(&mut self) -> Result<(W, BatchScanner), IngestError> {
        drop(self.batches.take());
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(IngestError::Io(std::io::Error::other(
                "the Parquet encoder failed",
            ))),
        }
    }
}

/// Waits for the encoder, so whatever it holds (an upload being sealed) is
/// finished or abandoned before the caller goes on.
impl<W> Drop for Encoder<W> {
    fn drop(&mut self) {
        drop(self.batches.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Builds typed columns from text rows and streams them into Parquet.
pub(crate) struct TableWriter<W: Write + Send + 'static> {
    schema: SchemaRef,
    names: Vec<String>,
    types: Vec<FieldType>,
    columns: Vec<Column>,
    encoder: Encoder<W>,
    rows: u64,
}

impl<W: Write + Send + 'static> TableWriter<W> {
    pub(crate) fn new(
        names: Vec<String>,
        types: Vec<FieldType>,
        sink: W,
        budget: usize,
        scan_rows: u64,
    ) -> Result<Self, IngestError> {
        let schema = Arc::new(Schema::new(
            names
                .iter()
                .zip(&types)
                .map(|(n, t)| Field::new(n, t.data_type(), true))
                .collect::<Vec<_>>(),
        ));
        let writer = parquet_writer(schema.clone(), sink, budget)?;
        let columns = types.iter().map(|&t| Column::new(t)).collect();
        let scanner_columns = types.len();
        Ok(TableWriter {
            schema,
            names,
            types,
            columns,
            encoder: Encoder::start(
                writer,
                budget,
                BatchScanner::new(scanner_columns, scan_rows),
            ),
            rows: 0,
        })
    }

    /// Appends a row whose cells all convert to their field's type, or
    /// refuses it whole. An empty cell is null.
    pub(crate) fn push<'a>(
        &mut self,
        cells: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<(), RowProblem> {
        let count = cells.clone().count();
        if count != self.types.len() {
            return Err(RowProblem {
                field: None,
                message: format!("{count} fields where the header has {}", self.types.len()),
            });
        }
        for (i, cell) in cells.clone().enumerate() {
            if !cell.is_empty() && self.types[i].parse(cell).is_none() {
                return Err(RowProblem {
                    field: Some(self.names[i].clone()),
                    message: format!("{:?} is not a valid {}", clip(cell), self.types[i]),
                });
            }
        }
        for ((column, &t), cell) in self.columns.iter_mut().zip(&self.types).zip(cells) {
            column.append(if cell.is_empty() { None } else { t.parse(cell) });
        }
        self.rows += 1;
        Ok(())
    }

    /// Writes the built rows out once a batch is full.
    pub(crate) fn maybe_write(&mut self) -> Result<(), IngestError> {
        if self.columns.first().is_some_and(|c| c.len() >= BATCH_ROWS) {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<(), IngestError> {
        if self.columns.first().is_none_or(|c| c.len() == 0) {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.encoder.send(batch)
    }

    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// The sink, and the scanners that saw the first rows.
    pub(crate) fn finish(mut self) -> Result<(W, Vec<ColumnScanner>), IngestError> {
        self.write_batch()?;
        let (sink, scanner) = self.encoder.join()?;
        Ok((sink, scanner.into_scanners()))
    }
}

/// Cuts a value for an error message: a report should not carry whole
/// cells of personal data.
fn clip(value: &str) -> String {
    let mut s: String = value.chars().take(24).collect();
    if s.len() < value.len() {
        s.push('…');
    }
    s
}
