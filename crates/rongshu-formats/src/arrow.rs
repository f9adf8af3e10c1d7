//! Text batches to and from Arrow, for the sandbox's engine: the one
//! crate besides this one that holds Arrow data.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema, SchemaRef};
use rongshu_deid::Batch;

use crate::FormatError;
use crate::read::text_column;
use crate::write::{ColumnType, OutputColumn, typed_array};

/// The Arrow schema of an output: every field nullable, typed as written.
pub fn schema(columns: &[OutputColumn]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, c.column_type.data_type(), true))
            .collect::<Vec<_>>(),
    ))
}

/// A text batch in its columns' types; a value that does not parse is an
/// error, never a silent null.
pub fn record_batch(
    schema: &SchemaRef,
    columns: &[OutputColumn],
    batch: &Batch,
) -> Result<RecordBatch, FormatError> {
    let arrays = columns
        .iter()
        .zip(&batch.columns)
        .map(|(column, values)| typed_array(column, values))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}

/// The columns of an Arrow schema as an output's.
pub fn columns_of(schema: &Schema) -> Vec<OutputColumn> {
    schema
        .fields()
        .iter()
        .map(|f| OutputColumn {
            name: f.name().clone(),
            column_type: ColumnType::of(f.data_type()),
        })
        .collect()
}

/// A record batch as text, every value in its canonical form.
pub fn text_batch(batch: &RecordBatch) -> Result<Batch, FormatError> {
    Ok(Batch {
        rows: batch.num_rows(),
        columns: batch
            .columns()
            .iter()
            .map(|c| text_column(c.as_ref()))
            .collect::<Result<_, _>>()?,
    })
}
