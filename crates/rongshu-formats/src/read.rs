//! A version's Parquet, read as text batches.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDate};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::reader::ChunkReader;
use rongshu_deid::Batch;

use crate::FormatError;
use crate::write::ColumnType;

/// Reads the named fields of a version, in the order named.
#[derive(Debug)]
pub struct VersionReader {
    reader: ParquetRecordBatchReader,
    /// For each named field, its column in the projected batches.
    order: Vec<usize>,
    types: Vec<ColumnType>,
    names: Vec<String>,
}

impl VersionReader {
    pub fn open<R: ChunkReader + 'static>(
        parquet: R,
        fields: &[String],
        batch_rows: usize,
    ) -> Result<Self, FormatError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(parquet)?;
        let schema = builder.schema().clone();
        let mut roots = Vec::with_capacity(fields.len());
        for name in fields {
            let (at, _) = schema
                .column_with_name(name)
                .ok_or_else(|| FormatError::MissingField(name.clone()))?;
            roots.push(at);
        }
        let mut projected = roots.clone();
        projected.sort_unstable();
        projected.dedup();
        let order = roots
            .iter()
            .map(|r| projected.binary_search(r).expect("projected"))
            .collect();
        let types = roots
            .iter()
            .map(|r| ColumnType::of(schema.field(*r).data_type()))
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), projected);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(batch_rows.max(1))
            .build()?;
        Ok(VersionReader {
            reader,
            order,
            types,
            names: fields.to_vec(),
        })
    }

    /// The stored types of the named fields.
    pub fn types(&self) -> &[ColumnType] {
        &self.types
    }

    fn text(&self, batch: &RecordBatch) -> Result<Batch, FormatError> {
        let columns = self
            .order
            .iter()
            .map(|at| text_column(batch.column(*at).as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Batch {
            rows: batch.num_rows(),
            columns,
        })
    }
}

impl Iterator for VersionReader {
    type Item = Result<Batch, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.reader.next()?;
        Some(batch.map_err(FormatError::from).and_then(|b| self.text(&b)))
    }
}

impl VersionReader {
    /// The named fields, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Every value of a column as its canonical text; missing stays missing.
pub(crate) fn text_column(array: &dyn Array) -> Result<Vec<Option<String>>, FormatError> {
    let each = |f: &dyn Fn(usize) -> String| -> Vec<Option<String>> {
        (0..array.len())
            .map(|i| (!array.is_null(i)).then(|| f(i)))
            .collect()
    };
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            each(&|i| a.value(i).to_owned())
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            each(&|i| a.value(i).to_owned())
        }
        DataType::Int64 => {
            let a = array.as_primitive::<Int64Type>();
            each(&|i| a.value(i).to_string())
        }
        DataType::Int32 => {
            let a = array.as_primitive::<Int32Type>();
            each(&|i| a.value(i).to_string())
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            each(&|i| a.value(i).to_string())
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            each(&|i| a.value(i).to_string())
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
            each(&|i| {
                (epoch + chrono::TimeDelta::days(i64::from(a.value(i))))
                    .format("%Y-%m-%d")
                    .to_string()
            })
        }
        DataType::Timestamp(TimeUnit::Millisecond, None) => {
            let a = array.as_primitive::<TimestampMillisecondType>();
            each(&|i| {
                DateTime::from_timestamp_millis(a.value(i))
                    .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default()
            })
        }
        // Types a version never stores but a sandbox query can make
        // (unsigned counts, decimals, string views) print as Arrow prints them.
        other if arrow_cast::can_cast_types(other, &DataType::Utf8) => {
            let text = arrow_cast::cast(array, &DataType::Utf8)?;
            let a = text.as_string::<i32>();
            each(&|i| a.value(i).to_owned())
        }
        other => return Err(FormatError::UnsupportedType(other.to_string())),
    })
}
