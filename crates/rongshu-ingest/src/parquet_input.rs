//! Parquet deliveries: already typed, re-encoded batch by batch so the
//! stored file has the platform's layout, and scanned for identifiers.

use std::io::Write;

use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rongshu_classify::ColumnScanner;

use crate::scan::BatchScanner;
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
    let mut scanner = BatchScanner::new(schema.fields().len(), scan_rows);
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch?;
        scanner.observe(&batch);
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
        scanners: scanner.into_scanners(),
        rows,
        sink,
    })
}
