//! A workspace table: typed columns in memory, shared by every query of
//! the workspace.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::datasource::TableProvider;
use rongshu_formats::{Batch, OutputColumn, arrow};

use crate::EngineError;

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

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn columns(&self) -> &[OutputColumn] {
        &self.columns
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
