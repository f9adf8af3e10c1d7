//! A workspace table: typed columns in memory, shared by every query of
//! the workspace.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatchReader;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::datasource::TableProvider;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use rongshu_formats::{Batch, OutputColumn, arrow};

use crate::EngineError;

/// The longest name a kept table may have.
const MAX_NAME_CHARS: usize = 63;

#[derive(Debug)]
pub struct Table {
    name: String,
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

    pub(crate) fn from_arrow(name: String, schema: &SchemaRef, batches: Vec<RecordBatch>) -> Table {
        Table {
            name,
            columns: arrow::columns_of(schema),
            schema: schema.clone(),
            batches,
        }
    }

    /// A table from a Parquet file (a kept table's plaintext), whole.
    pub fn from_parquet(name: impl Into<String>, parquet: Vec<u8>) -> Result<Table, EngineError> {
        let unreadable = |e: &dyn std::fmt::Display| EngineError::Kept(e.to_string());
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(parquet))
            .map_err(|e| unreadable(&e))?
            .build()
            .map_err(|e| unreadable(&e))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable(&e))?;
        Ok(Table::from_arrow(name.into(), &schema, batches))
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
        self.batches
            .iter()
            .map(|b| arrow::text_batch(b).map_err(EngineError::from))
    }

    /// The table for a query's session, its batches dealt round-robin into
    /// `partitions` so that scans run on every core.
    pub(crate) fn provider(
        &self,
        partitions: usize,
    ) -> Result<Arc<dyn TableProvider>, EngineError> {
        let partitions = partitions.max(1);
        let mut dealt = vec![Vec::new(); partitions];
        for (at, batch) in self.batches.iter().enumerate() {
            dealt[at % partitions].push(batch.clone());
        }
        Ok(Arc::new(MemTable::try_new(self.schema.clone(), dealt)?))
    }
}
