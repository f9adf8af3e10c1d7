//! Identifier scanning of typed batches, off the thread that reads rows.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type};
use arrow_array::{Array, ArrayRef, OffsetSizeTrait, RecordBatch};
use arrow_schema::DataType;
use rongshu_classify::ColumnScanner;

/// Scans the first rows of every column as the text a person would read:
/// strings as they are, integers (phone numbers often arrive as integers)
/// and dates (birth dates) written out; other types hold no identifier.
#[derive(Debug)]
pub(crate) struct BatchScanner {
    scanners: Vec<ColumnScanner>,
    remaining: u64,
}

fn strings<O: OffsetSizeTrait>(column: &ArrayRef, scanner: &mut ColumnScanner, n: usize) {
    let values = column.as_string::<O>();
    for i in 0..n {
        scanner.push(if values.is_null(i) {
            ""
        } else {
            values.value(i)
        });
    }
}

impl BatchScanner {
    pub(crate) fn new(columns: usize, rows: u64) -> BatchScanner {
        BatchScanner {
            scanners: vec![ColumnScanner::default(); columns],
            remaining: rows,
        }
    }

    pub(crate) fn observe(&mut self, batch: &RecordBatch) {
        let n = batch
            .num_rows()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        if n == 0 {
            return;
        }
        self.remaining -= n as u64;
        for (column, scanner) in batch.columns().iter().zip(&mut self.scanners) {
            match column.data_type() {
                DataType::Utf8 => strings::<i32>(column, scanner, n),
                DataType::LargeUtf8 => strings::<i64>(column, scanner, n),
                DataType::Int64 => {
                    let values = column.as_primitive::<Int64Type>();
                    for i in 0..n {
                        match values.is_null(i) {
                            true => scanner.push(""),
                            false => scanner.push(&values.value(i).to_string()),
                        }
                    }
                }
                DataType::Date32 => {
                    let values = column.as_primitive::<Date32Type>();
                    for i in 0..n {
                        match values.value_as_date(i).filter(|_| !values.is_null(i)) {
                            Some(date) => scanner.push(&date.format("%Y-%m-%d").to_string()),
                            None => scanner.push(""),
                        }
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn into_scanners(self) -> Vec<ColumnScanner> {
        self.scanners
    }
}
