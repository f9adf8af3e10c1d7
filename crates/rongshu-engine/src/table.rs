//! A workspace table: typed columns in memory, shared by every query of
//! the workspace. A table made from an aggregation also holds, after its
//! own columns, the trace of each row to its records (see [`crate::trace`]):
//! those columns are kept with it but never shown or read by a query.

use std::sync::Arc;

use datafusion::arrow::array::UInt64Array;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::datasource::TableProvider;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use rongshu_formats::{Batch, OutputColumn, arrow};

use crate::{EngineError, trace};

/// The longest name a kept table may have.
const MAX_NAME_CHARS: usize = 63;

#[derive(Debug)]
pub struct Table {
    name: String,
    /// The columns queries see: the schema's first ones, before the trace.
    columns: Vec<OutputColumn>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Table {
    /// A table from text batches, each value parsed into its column's type.
    pub fn from_text(
        name: impl Into<String>,
        columns: Vec<OutputColumn>,
        batches: impl IntoIterator<Item = Batch>,
    ) -> Result<Table, EngineError> {
        let schema = arrow::schema(&columns);
        let batches = batches
            .into_iter()
            .map(|b| arrow::record_batch(&schema, &columns, &b))
            .collect::<Result<_, _>>()?;
        Ok(Table {
            name: name.into(),
            columns,
            schema,
            batches,
        })
    }

    /// A table of `batches`, every column shown: whatever marks a query
    /// left on its fields are cleared, so no query makes a trace.
    pub(crate) fn from_arrow(
        name: String,
        schema: &SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<Table, EngineError> {
        Table::marked(name, Arc::new(trace::cleared(schema)), batches)
    }

    /// A table of `batches` under `schema`, whose marks are trusted: one
    /// [`trace::mark`] made keeps its trace columns, not shown.
    pub(crate) fn marked(
        name: String,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<Table, EngineError> {
        let batches = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<Result<_, _>>()?;
        let shown = trace::shown_fields(&schema);
        Ok(Table {
            name,
            columns: arrow::columns_of(&schema.project(&shown)?),
            schema,
            batches,
        })
    }

    /// A table from a Parquet file (a kept table's plaintext), whole.
    pub fn from_parquet(name: impl Into<String>, parquet: Vec<u8>) -> Result<Table, EngineError> {
        let unreadable = |e: &dyn std::fmt::Display| EngineError::Kept(e.to_string());
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet))
            .map_err(|e| unreadable(&e))?;
        // The file's schema whole: the reader's batches lack its metadata.
        let schema = builder.schema().clone();
        let batches = builder
            .build()
            .map_err(|e| unreadable(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable(&e))?;
        if trace::is_marked(&schema) {
            return Table::marked(name.into(), schema, batches);
        }
        Table::from_arrow(name.into(), &schema, batches)
    }

    /// Whether `name` can name a kept table: what SQL reads unquoted as
    /// that same name (unquoted identifiers are folded to lower case).
    /// The problem, if not.
    pub fn check_name(name: &str) -> Result<(), String> {
        let Some(first) = name.chars().next() else {
            return Err("is empty".into());
        };
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
        }
        if first.is_numeric() {
            return Err("starts with a digit".into());
        }
        match name
            .chars()
            .find(|c| !(c.is_alphanumeric() || *c == '_') || c.is_uppercase())
        {
            Some(c) => Err(format!("has {c:?}: use lower-case letters, digits and _")),
            None => Ok(()),
        }
    }

    /// The table as a Parquet file, to be kept.
    pub fn parquet(&self) -> Result<Vec<u8>, EngineError> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let failed =
            |e: datafusion::parquet::errors::ParquetError| EngineError::Kept(e.to_string());
        let mut writer = ArrowWriter::try_new(Vec::new(), self.schema.clone(), Some(properties))
            .map_err(failed)?;
        for batch in &self.batches {
            writer.write(batch).map_err(failed)?;
        }
        writer.into_inner().map_err(failed)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether its rows are an aggregation's, traced to the records
    /// behind them.
    pub fn is_traced(&self) -> bool {
        trace::keeps_trace(&self.schema)
    }

    /// Whether the engine made it (`CREATE TABLE`): a product's table
    /// holds its own records only.
    pub(crate) fn is_made(&self) -> bool {
        trace::is_marked(&self.schema)
    }

    /// Whether it was made of rows that may copy records: then its rows
    /// are counted by the ids of the records they are.
    pub(crate) fn holds_copies(&self) -> bool {
        trace::holds_copies(&self.schema)
    }

    /// The table as the researcher's own upload, whatever its file held:
    /// what it shows, each row standing for itself, and every value one
    /// they know, so no measure weights records by it.
    pub fn into_upload(self) -> Result<Table, EngineError> {
        let shown = self.shown();
        let batches = self
            .batches
            .iter()
            .map(|b| b.project(&shown))
            .collect::<Result<Vec<_>, _>>()?;
        let schema = self.schema.project(&shown)?;
        Table::marked(self.name, trace::upload(&schema), batches)
    }

    fn shown(&self) -> Vec<usize> {
        (0..self.columns.len()).collect()
    }

    pub fn columns(&self) -> &[OutputColumn] {
        &self.columns
    }

    /// The memory its columns hold.
    pub fn memory_bytes(&self) -> usize {
        self.batches
            .iter()
            .map(RecordBatch::get_array_memory_size)
            .sum()
    }

    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The rows as text, batch by batch, for answers and exports.
    pub fn text(&self) -> impl Iterator<Item = Result<Batch, EngineError>> + '_ {
        let shown = self.shown();
        self.batches
            .iter()
            .map(move |b| arrow::text_batch(&b.project(&shown)?).map_err(EngineError::from))
    }

    /// The table for a query's session, its batches dealt round-robin into
    /// `partitions` so that scans run on every core: only the columns it
    /// shows, so that not even `SELECT *` reads its trace.
    pub(crate) fn provider(
        &self,
        partitions: usize,
    ) -> Result<Arc<dyn TableProvider>, EngineError> {
        let shown = self.shown();
        let schema = Arc::new(self.schema.project(&shown)?);
        let batches = self
            .batches
            .iter()
            .map(|b| b.project(&shown))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(dealt(schema, batches, partitions)?)
    }

    /// The table with its trace, for a release to read through, if it has one.
    pub(crate) fn traced_provider(
        &self,
        partitions: usize,
    ) -> Result<Option<Arc<dyn TableProvider>>, EngineError> {
        if !self.is_traced() {
            return Ok(None);
        }
        Ok(Some(dealt(
            self.schema.clone(),
            self.batches.clone(),
            partitions,
        )?))
    }

    /// Whether its rows stand for records a release must count: not the
    /// researcher's own upload (every column one they know).
    pub(crate) fn holds_records(&self) -> bool {
        !trace::is_upload(&self.schema)
    }

    /// The table as queries read it and, after its columns, the ids of
    /// the records each row stands for, and how many: those a made table
    /// kept of the records it copies, or else, for a product's table, one
    /// a row, with a tag from the table's name in the high bits (so that no
    /// two tables' ids meet, in this query or the tables made from it).
    /// None for a made table that kept none.
    pub(crate) fn identified_provider(
        &self,
        partitions: usize,
    ) -> datafusion::error::Result<Option<(Arc<dyn TableProvider>, usize)>> {
        let shown = self.shown();
        let kept = trace::record_ids(&self.schema);
        // A made table that kept no ids (an aggregation, `DISTINCT`, rows
        // the ids could not reach) is not the records of its sources: read
        // beside them, fresh ids would count those twice.
        if kept.is_empty() && trace::is_marked(&self.schema) {
            return Ok(None);
        }
        let ids = kept.len().max(1);
        let mut fields = self.schema.project(&shown)?.fields().to_vec();
        fields.extend((0..ids).map(|k| {
            Arc::new(Field::new(
                format!("{}{k}", trace::RECORD_ID),
                DataType::UInt64,
                true,
            ))
        }));
        let schema = Arc::new(Schema::new(fields));
        let mut next = tag(&self.name) << ROW_BITS;
        let mut batches = Vec::with_capacity(self.batches.len());
        for batch in &self.batches {
            let mut columns = batch.project(&shown)?.columns().to_vec();
            if kept.is_empty() {
                let rows = batch.num_rows() as u64;
                columns.push(Arc::new(UInt64Array::from_iter_values(next..next + rows)));
                next += rows;
            } else {
                columns.extend(kept.iter().map(|at| batch.column(*at).clone()));
            }
            batches.push(RecordBatch::try_new(schema.clone(), columns)?);
        }
        Ok(Some((dealt(schema, batches, partitions)?, ids)))
    }
}

/// A tag for a table's record ids, stable across queries: a made table
/// keeps the ids of the records it copies. Two tables sharing one would
/// only count their records together, fewer.
fn tag(name: &str) -> u64 {
    // FNV-1a, its top bits.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash >> ROW_BITS
}

/// Rows a table's ids can tell apart: far more than memory holds.
const ROW_BITS: u32 = 40;

fn dealt(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    partitions: usize,
) -> datafusion::error::Result<Arc<dyn TableProvider>> {
    let partitions = partitions.max(1);
    let mut dealt = vec![Vec::new(); partitions];
    for (at, batch) in batches.into_iter().enumerate() {
        dealt[at % partitions].push(batch);
    }
    Ok(Arc::new(MemTable::try_new(schema, dealt)?))
}
