//! The trace a table made from an aggregation keeps: its extra columns
//! after the table's own, each marked in its Arrow metadata with what it
//! holds, and the table's own columns that show a count or a total marked
//! too. Queries never see those columns; a release reads through them.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::DFSchema;
use datafusion::datasource::provider_as_source;
use datafusion::error::Result;
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, TableScan, TableScanBuilder};

use super::{RECORDS, Shape, Tracing, down_chain, rebuild, shows, unaliased};

/// Field metadata: what a trace column holds.
const ROLE: &str = "rongshu.trace";
/// Field metadata: the aggregate a count or total column traces.
const LABEL: &str = "rongshu.label";
/// Field metadata of a table's own column that shows a count.
const SHOWS_COUNT: &str = "rongshu.shows-count";
/// Field metadata of a table's own column that shows a total: its label.
/// (A sum of kept counts shows both.)
const SHOWS_TOTAL: &str = "rongshu.shows-total";
const TOTAL_ROLES: [&str; 3] = ["total", "top1", "top2"];

/// The fields of a table's schema that it shows: those before its trace.
pub(crate) fn shown_fields(schema: &Schema) -> Vec<usize> {
    (0..schema.fields().len())
        .take_while(|at| !schema.field(*at).metadata().contains_key(ROLE))
        .collect()
}

/// A traced result's schema marked to be kept: the extra columns say what
/// they hold, and the user's columns that show a count or a total say so.
pub(crate) fn mark(schema: &SchemaRef, tracing: &Tracing) -> SchemaRef {
    let mut roles: HashMap<&str, (&str, &str)> = HashMap::new();
    roles.insert(RECORDS, ("records", ""));
    for (label, name) in &tracing.counts {
        roles.insert(name, ("count", label));
    }
    for (label, names) in &tracing.totals {
        for (name, role) in names.iter().zip(TOTAL_ROLES) {
            roles.insert(name, (role, label));
        }
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(at, field)| {
            let mut meta = field.metadata().clone();
            for key in [ROLE, LABEL, SHOWS_COUNT, SHOWS_TOTAL] {
                meta.remove(key);
            }
            if at < tracing.user_columns {
                if tracing.count_columns.contains(&at) {
                    meta.insert(SHOWS_COUNT.to_owned(), String::new());
                }
                if let Some((_, label)) = tracing.total_columns.iter().find(|(c, _)| *c == at) {
                    meta.insert(SHOWS_TOTAL.to_owned(), label.clone());
                }
            } else if let Some((role, label)) = roles.get(field.name().as_str()) {
                meta.insert(ROLE.to_owned(), (*role).to_owned());
                meta.insert(LABEL.to_owned(), (*label).to_owned());
            }
            field.as_ref().clone().with_metadata(meta)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The scan of a table that keeps a trace, and the table whole.
pub(super) fn scan<'a>(
    node: &'a LogicalPlan,
    traced: &HashMap<String, Arc<dyn TableProvider>>,
) -> Option<(&'a TableScan, Arc<dyn TableProvider>)> {
    match node {
        LogicalPlan::TableScan(scan) => {
            let full = traced.get(scan.table_name.table())?;
            keeps_records(&full.schema()).then(|| (scan, full.clone()))
        }
        _ => None,
    }
}

fn keeps_records(schema: &Schema) -> bool {
    schema
        .field_with_name(RECORDS)
        .is_ok_and(|f| f.metadata().get(ROLE).is_some_and(|role| role == "records"))
}

/// Rows read from a kept table, traced by the columns it keeps: the scan
/// reads them too, and the operators above carry them up.
pub(super) fn through_rows(
    chain: Vec<LogicalPlan>,
    scan: &TableScan,
    full: Arc<dyn TableProvider>,
    user_columns: usize,
) -> Result<(LogicalPlan, Tracing)> {
    let schema = full.schema();
    let shown = shown_fields(&schema).len();
    let mut counts = Vec::new();
    let mut roles_known = true;
    for field in &schema.fields()[shown..] {
        let meta = field.metadata();
        match meta.get(ROLE).map(String::as_str) {
            Some("records") => {}
            Some("count") => counts.push((label_of(field), field.name().clone())),
            Some(role) if TOTAL_ROLES.contains(&role) => {}
            _ => roles_known = false,
        }
    }
    let (Some(totals), true) = (totals(&schema), roles_known) else {
        let plan = rebuild(chain, LogicalPlan::TableScan(scan.clone()), &[])?;
        return Ok((
            plan,
            Tracing {
                user_columns,
                ..Tracing::default()
            },
        ));
    };
    let read = &scan.projected_schema;
    let shown = |at: usize| Some(read.fields().get(shows(&chain, at)?)?.metadata());
    let tracing = Tracing {
        user_columns,
        shape: Shape::Aggregated,
        counts,
        count_columns: (0..user_columns)
            .filter(|at| shown(*at).is_some_and(|meta| meta.contains_key(SHOWS_COUNT)))
            .collect(),
        total_columns: (0..user_columns)
            .filter_map(|at| Some((at, shown(at)?.get(SHOWS_TOTAL)?.clone())))
            .collect(),
        totals,
    };
    let (widened, extras) = widened(scan, full)?;
    Ok((rebuild(chain, widened, &extras)?, tracing))
}

fn label_of(field: &Field) -> String {
    field.metadata().get(LABEL).cloned().unwrap_or_default()
}

/// The kept totals by label, in the order the aggregation had them, each
/// with its three columns; none if one lacks a column.
fn totals(schema: &Schema) -> Option<Vec<(String, [String; 3])>> {
    let mut totals: Vec<(String, [Option<String>; 3])> = Vec::new();
    for field in schema.fields() {
        let Some(at) = field
            .metadata()
            .get(ROLE)
            .and_then(|role| TOTAL_ROLES.iter().position(|r| r == role))
        else {
            continue;
        };
        let label = label_of(field);
        let names = match totals.iter().position(|(l, _)| *l == label) {
            Some(found) => &mut totals[found].1,
            None => {
                totals.push((label, Default::default()));
                &mut totals.last_mut().expect("pushed").1
            }
        };
        names[at] = Some(field.name().clone());
    }
    totals
        .into_iter()
        .map(|(label, [total, top1, top2])| Some((label, [total?, top1?, top2?])))
        .collect()
}

/// `scan` reading the kept table's trace columns too, and their names.
fn widened(scan: &TableScan, full: Arc<dyn TableProvider>) -> Result<(LogicalPlan, Vec<String>)> {
    let schema = full.schema();
    let trace = shown_fields(&schema).len()..schema.fields().len();
    let names = trace
        .clone()
        .map(|at| schema.field(at).name().clone())
        .collect();
    let projection = scan.projection.clone().map(|mut columns| {
        columns.extend(trace);
        columns
    });
    let widened = TableScanBuilder::new(scan.table_name.clone(), provider_as_source(full))
        .with_projection(projection)
        .with_filters(scan.filters.clone())
        .with_fetch(scan.fetch)
        .build()?;
    Ok((LogicalPlan::TableScan(widened), names))
}

/// What a sum's or mean's argument stands for.
pub(super) enum Contributions {
    /// Each row is one contribution.
    Rows,
    /// A kept count: each record behind it contributes one.
    Records,
    /// A kept total: its trace columns (sum of magnitudes, the largest,
    /// the second largest).
    Kept([String; 3]),
}

/// An aggregation's input that reads a kept aggregation's rows.
pub(super) struct KeptInput {
    /// The operators between the aggregation and the scan.
    chain: Vec<LogicalPlan>,
    /// The scan as the user's query read it: the table's own columns.
    read: Arc<DFSchema>,
    /// The kept totals.
    totals: Vec<(String, [String; 3])>,
}

impl KeptInput {
    /// The aggregation's input reading the trace too, if it reads a kept
    /// aggregation's rows.
    pub(super) fn of(
        aggregate: &Aggregate,
        traced: &HashMap<String, Arc<dyn TableProvider>>,
    ) -> Result<Option<(LogicalPlan, KeptInput)>> {
        let (chain, bottom) = down_chain(aggregate.input.as_ref().clone());
        let Some((scan, full)) = scan(&bottom, traced) else {
            return Ok(None);
        };
        let Some(totals) = totals(&full.schema()) else {
            return Ok(None);
        };
        let read = scan.projected_schema.clone();
        let (widened, names) = widened(scan, full)?;
        let input = rebuild(chain.clone(), widened, &names)?;
        Ok(Some((
            input,
            KeptInput {
                chain,
                read,
                totals,
            },
        )))
    }

    /// What `arg`, over the aggregation's `input`, stands for.
    pub(super) fn contributions(&self, input: &DFSchema, arg: &Expr) -> Contributions {
        let Expr::Column(column) = unaliased(arg) else {
            return Contributions::Rows;
        };
        let field = input
            .index_of_column(column)
            .ok()
            .and_then(|at| shows(&self.chain, at))
            .and_then(|at| self.read.fields().get(at));
        let Some(field) = field else {
            return Contributions::Rows;
        };
        let meta = field.metadata();
        if meta.contains_key(SHOWS_COUNT) {
            return Contributions::Records;
        }
        let kept = meta
            .get(SHOWS_TOTAL)
            .and_then(|label| self.totals.iter().find(|(l, _)| l == label));
        match kept {
            Some((_, names)) => Contributions::Kept(names.clone()),
            None => Contributions::Rows,
        }
    }
}
