//! Reading a traced result: the user's columns apart, and the facts the
//! output checks need from the extra columns.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;
use rongshu_domain::output::{ResultFacts, Total};

use crate::trace::{Shape, Tracing};

/// The user's columns of a traced result, and its facts.
pub(crate) fn split(
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
    tracing: &Tracing,
) -> Result<(SchemaRef, Vec<RecordBatch>, ResultFacts)> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let column = |name: &str| -> Result<Vec<Option<f64>>> {
        let at = schema.index_of(name)?;
        let mut values = Vec::with_capacity(rows);
        for batch in &batches {
            let numbers = cast(batch.column(at), &DataType::Float64)?;
            let numbers = numbers.as_primitive::<Float64Type>();
            values
                .extend((0..numbers.len()).map(|i| numbers.is_valid(i).then(|| numbers.value(i))));
        }
        Ok(values)
    };
    let records = match tracing.shape {
        Shape::Aggregated => {
            let name = tracing.records_column().expect("aggregated");
            Some(
                column(name)?
                    .into_iter()
                    .map(|n| n.unwrap_or(0.0) as u64)
                    .collect(),
            )
        }
        Shape::RowLevel => Some(vec![1; rows]),
        Shape::Untraceable => None,
    };
    let by_label = |columns: &[(String, String)]| -> Result<Vec<(String, Vec<Option<f64>>)>> {
        columns
            .iter()
            .map(|(label, name)| Ok((label.clone(), column(name)?)))
            .collect()
    };
    let counts = by_label(&tracing.counts)?;
    let contributors = by_label(&tracing.contributors)?;
    let chosen = by_label(&tracing.chosen)?;
    let optional = |name: &Option<String>| match name {
        Some(name) => column(name),
        None => Ok(Vec::new()),
    };
    let differences = optional(&tracing.differences)?;
    let splits = optional(&tracing.splits)?;
    let mut totals = Vec::new();
    for (label, [total, top1, top2]) in &tracing.totals {
        let (total, top1, top2) = (column(total)?, column(top1)?, column(top2)?);
        let cells = (0..rows)
            .map(|r| {
                total[r].map(|value| Total {
                    value,
                    top_two: top1[r].unwrap_or(0.0) + top2[r].unwrap_or(0.0),
                })
            })
            .collect();
        totals.push((label.clone(), cells));
    }
    let mean_columns = tracing
        .settled_means(&batches)?
        .into_iter()
        .map(|(at, mean)| (schema.field(at).name().clone(), mean.coarseness()))
        .collect();
    let keep: Vec<usize> = (0..tracing.user_columns).collect();
    let user_schema: SchemaRef = Arc::new(Schema::new(
        keep.iter()
            .map(|at| schema.field(*at).clone())
            .collect::<Vec<_>>(),
    ));
    let batches = batches
        .iter()
        .map(|b| b.project(&keep))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let facts = ResultFacts {
        rows,
        records,
        counts,
        totals,
        contributors,
        chosen,
        differences,
        splits,
        identifier_columns: Vec::new(),
        count_columns: tracing.count_columns.iter().map(|(at, _)| *at).collect(),
        counts_computed_on: !tracing.count_computing_columns.is_empty()
            || tracing.filters_on_counts,
        suppressed_below: tracing.suppressed_below,
        mean_columns,
        before_filters: None,
        earlier: Vec::new(),
        uncompared: Vec::new(),
    };
    Ok((user_schema, batches, facts))
}
