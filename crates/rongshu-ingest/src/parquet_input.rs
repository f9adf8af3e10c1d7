//! Parquet deliveries: already typed, re-encoded batch by batch so the
//! stored file has the platform's layout, and scanned for identifiers.

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rongshu_classify::ColumnScanner;

use crate::table::{flush_if_over, parquet_writer};
use crate::{IngestError, Progress};

pub(crate) struct Copied<W> {
    pub names: Vec<String>,
    pub types: Vec<DataType>,
    pub scanners: Vec<ColumnScanner>,
    pub rows: u64,
    pub sink: W,
}

pub(crate) fn copy<W: Write + Send>(
    bytes: Bytes,
    sink: W,
    budget: usize,
    scan_rows: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<Copied<W>, IngestError> {
    let total = bytes.len() as u64;
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| IngestError::Malformed(format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let expected_rows = builder.metadata().file_metadata().num_rows().max(1) as u64;
    let reader = builder.with_batch_size(8192).build()?;
    let mut writer = parquet_writer(schema.clone(), sink, budget)?;
    let mut scanners = vec![ColumnScanner::default(); schema.fields().len()];
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch?;
        if rows < scan_rows {
            scan(&batch, &mut scanners, (scan_rows - rows) as usize);
        }
        rows += batch.num_rows() as u64;
        writer.write(&batch)?;
        flush_if_over(&mut writer, budget)?;
        progress(Progress {
            // The file is in memory already; progress is the rows copied.
            bytes_read: (total as u128 * rows.min(expected_rows) as u128 / expected_rows as u128)
                as u64,
            rows,
            bad_rows: 0,
        });
    }
    let sink = writer.into_inner()?;
    Ok(Copied {
        names: schema.fields().iter().map(|f| f.name().clone()).collect(),
        types: schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect(),
        scanners,
        rows,
        sink,
    })
}

/// Feeds text and integer columns (phone numbers often arrive as integers)
/// to the scanners, up to `limit` rows.
fn scan(batch: &RecordBatch, scanners: &mut [ColumnScanner], limit: usize) {
    let n = batch.num_rows().min(limit);
    for (column, scanner) in batch.columns().iter().zip(scanners) {
        match column.data_type() {
            DataType::Utf8 => {
                let values = column.as_string::<i32>();
                (0..n).for_each(|i| {
                    scanner.push(if values.is_null(i) {
                        ""
                    } else {
                        values.value(i)
                    })
                });
            }
            DataType::LargeUtf8 => {
                let values = column.as_string::<i64>();
                (0..n).for_each(|i| {
                    scanner.push(if values.is_null(i) {
                        ""
                    } else {
                        values.value(i)
                    })
                });
            }
            DataType::Int64 => {
                let values = column.as_primitive::<Int64Type>();
                for i in 0..n {
                    let text = if values.is_null(i) {
                        String::new()
                    } else {
                        values.value(i).to_string()
                    };
                    scanner.push(&text);
                }
            }
            _ => {}
        }
    }
}
