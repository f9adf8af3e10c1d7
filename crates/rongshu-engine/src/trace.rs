//! Tracing a result back to its records, for output checking.
//!
//! A result asked for release is re-planned so that the aggregation that
//! made it also counts, beside every cell, the records behind it and, for
//! every sum or mean, the sum of magnitudes and the two largest
//! contributions; the operators above it (projection, filter, sort,
//! limit, alias) carry those columns up. The checks then see each cell
//! row-aligned with its facts. A result with no aggregation is row-level:
//! each row is one record. Anything else (a join or union above an
//! aggregation, a window, DISTINCT) cannot be traced and fails the checks.
//!
//! A table made from an aggregation keeps those columns after its own,
//! each marked with what it holds ([`mark`]), so that rows later read
//! from it (through the same operators) still stand for their records and
//! contributions: releasing them checks what releasing the aggregation
//! would have. An aggregation over such a table counts its rows.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::Column;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::provider_as_source;
use datafusion::error::Result;
use datafusion::functions::math::expr_fn::abs;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{max, nth_value, sum};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{
    Aggregate, Expr, ExprFunctionExt, LogicalPlan, Projection, TableScan, TableScanBuilder,
};

const RECORDS: &str = "__rongshu_records";
/// Field metadata: what a kept trace column holds.
const ROLE: &str = "rongshu.trace";
/// Field metadata: the aggregate a kept count or total column traces.
const LABEL: &str = "rongshu.label";
/// Field metadata of a table's own column that shows a count.
const SHOWS: &str = "rongshu.shows";
const TOTAL_ROLES: [&str; 3] = ["total", "top1", "top2"];

/// How the result's extra columns are to be read.
#[derive(Debug, Default)]
pub(crate) struct Tracing {
    /// Columns of the result the user asked for; the extras follow them.
    pub(crate) user_columns: usize,
    pub(crate) shape: Shape,
    /// Each count aggregate: its label and its extra column.
    pub(crate) counts: Vec<(String, String)>,
    /// The user's columns that show a count.
    pub(crate) count_columns: Vec<usize>,
    /// Each sum or mean: its label and the extra columns holding the sum
    /// of magnitudes, the largest and the second largest.
    pub(crate) totals: Vec<(String, [String; 3])>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An aggregation: the records column is [`RECORDS`].
    Aggregated,
    /// No aggregation: one record per row.
    RowLevel,
    #[default]
    Untraceable,
}

impl Tracing {
    pub(crate) fn records_column(&self) -> Option<&str> {
        (self.shape == Shape::Aggregated).then_some(RECORDS)
    }
}

/// The plan to run for a release and how to read its extra columns.
/// `traced` holds, by name, the tables that keep a trace, whole.
pub(crate) fn trace(
    plan: LogicalPlan,
    traced: &HashMap<String, Arc<dyn TableProvider>>,
) -> Result<(LogicalPlan, Tracing)> {
    let user_columns = plan.schema().fields().len();
    let mut chain = Vec::new();
    let mut node = plan;
    while carries_columns(&node) {
        let child = node.inputs()[0].clone();
        chain.push(node);
        node = child;
    }
    if let LogicalPlan::TableScan(scan) = &node
        && let Some(full) = traced.get(scan.table_name.table())
        && chain
            .iter()
            .any(|n| matches!(n, LogicalPlan::Projection(_)))
    {
        return through_kept(chain, scan, full.clone(), user_columns);
    }
    let LogicalPlan::Aggregate(aggregate) = node else {
        let shape = if contains_aggregation(&node) {
            Shape::Untraceable
        } else {
            Shape::RowLevel
        };
        let plan = rebuild(chain, node, &[])?;
        return Ok((
            plan,
            Tracing {
                user_columns,
                shape,
                ..Tracing::default()
            },
        ));
    };
    if !chain
        .iter()
        .any(|n| matches!(n, LogicalPlan::Projection(_)))
    {
        // SQL plans a projection above every aggregation; without one the
        // extras would have nowhere to go.
        let plan = rebuild(chain, LogicalPlan::Aggregate(aggregate), &[])?;
        return Ok((
            plan,
            Tracing {
                user_columns,
                ..Tracing::default()
            },
        ));
    }
    let mut tracing = Tracing {
        user_columns,
        shape: Shape::Aggregated,
        ..Tracing::default()
    };
    let mut extras = vec![count_all().alias(RECORDS)];
    for (at, expr) in aggregate.aggr_expr.iter().enumerate() {
        let label = expr.schema_name().to_string();
        let Some(function) = aggregate_function(expr) else {
            continue;
        };
        match function.func.name() {
            "count" => {
                let name = format!("__rongshu_count_{at}");
                extras.push(unaliased(expr).clone().alias(&name));
                tracing.counts.push((label, name));
            }
            "sum" | "avg" | "mean" => {
                let Some(arg) = function.params.args.first() else {
                    continue;
                };
                let magnitude = abs(arg.clone());
                let filtered = |e: Expr| match &function.params.filter {
                    Some(filter) => e.filter(*filter.clone()).build(),
                    None => Ok(e),
                };
                let names = [
                    format!("__rongshu_total_{at}"),
                    format!("__rongshu_top1_{at}"),
                    format!("__rongshu_top2_{at}"),
                ];
                extras.push(filtered(sum(magnitude.clone()))?.alias(&names[0]));
                extras.push(filtered(max(magnitude.clone()))?.alias(&names[1]));
                let second = nth_value(magnitude.clone(), 2, vec![magnitude.sort(false, false)]);
                extras.push(filtered(second)?.alias(&names[2]));
                tracing.totals.push((label, names));
            }
            _ => {}
        }
    }
    let labels: Vec<&str> = tracing.counts.iter().map(|(l, _)| l.as_str()).collect();
    let fields = aggregate.schema.fields();
    tracing.count_columns = (0..user_columns)
        .filter(|at| {
            shows(&chain, *at)
                .and_then(|at| fields.get(at))
                .is_some_and(|field| labels.contains(&field.name().as_str()))
        })
        .collect();
    let names: Vec<String> = extras.iter().map(|e| e.schema_name().to_string()).collect();
    let mut aggr_expr = aggregate.aggr_expr.clone();
    aggr_expr.extend(extras);
    let widened = LogicalPlan::Aggregate(Aggregate::try_new(
        aggregate.input.clone(),
        aggregate.group_expr.clone(),
        aggr_expr,
    )?);
    Ok((rebuild(chain, widened, &names)?, tracing))
}

/// Rows read from a kept table, traced by the columns it keeps: the scan
/// reads them too, and the operators above carry them up.
fn through_kept(
    chain: Vec<LogicalPlan>,
    scan: &TableScan,
    full: Arc<dyn TableProvider>,
    user_columns: usize,
) -> Result<(LogicalPlan, Tracing)> {
    let schema = full.schema();
    let shown = shown_fields(&schema).len();
    let mut tracing = Tracing {
        user_columns,
        shape: Shape::Aggregated,
        ..Tracing::default()
    };
    // By label, in the order the aggregation had them.
    let mut totals: Vec<(String, [Option<String>; 3])> = Vec::new();
    let mut has_records = false;
    let mut extras = Vec::new();
    for field in &schema.fields()[shown..] {
        let name = field.name().clone();
        let meta = field.metadata();
        let label = meta.get(LABEL).cloned().unwrap_or_default();
        match meta.get(ROLE).map(String::as_str) {
            Some("records") if name == RECORDS => has_records = true,
            Some("count") => tracing.counts.push((label, name.clone())),
            Some(role) if TOTAL_ROLES.contains(&role) => {
                let at = TOTAL_ROLES.iter().position(|r| *r == role).expect("listed");
                let names = match totals.iter().position(|(l, _)| *l == label) {
                    Some(found) => &mut totals[found].1,
                    None => {
                        totals.push((label, Default::default()));
                        &mut totals.last_mut().expect("pushed").1
                    }
                };
                names[at] = Some(name.clone());
            }
            _ => tracing.shape = Shape::Untraceable,
        }
        extras.push(name);
    }
    for (label, [total, top1, top2]) in totals {
        match (total, top1, top2) {
            (Some(total), Some(top1), Some(top2)) => {
                tracing.totals.push((label, [total, top1, top2]))
            }
            _ => tracing.shape = Shape::Untraceable,
        }
    }
    if !has_records {
        tracing.shape = Shape::Untraceable;
    }
    if tracing.shape == Shape::Untraceable {
        return Ok((
            rebuild(chain, LogicalPlan::TableScan(scan.clone()), &[])?,
            Tracing {
                user_columns,
                ..Tracing::default()
            },
        ));
    }
    let read = &scan.projected_schema;
    tracing.count_columns = (0..user_columns)
        .filter(|at| {
            shows(&chain, *at)
                .filter(|at| *at < read.fields().len())
                .is_some_and(|at| {
                    read.field(at)
                        .metadata()
                        .get(SHOWS)
                        .is_some_and(|s| s == "count")
                })
        })
        .collect();
    let projection = scan.projection.clone().map(|mut columns| {
        columns.extend(shown..schema.fields().len());
        columns
    });
    let widened = TableScanBuilder::new(scan.table_name.clone(), provider_as_source(full))
        .with_projection(projection)
        .with_filters(scan.filters.clone())
        .with_fetch(scan.fetch)
        .build()?;
    Ok((
        rebuild(chain, LogicalPlan::TableScan(widened), &extras)?,
        tracing,
    ))
}

/// The fields of a table's schema that it shows: those before its trace.
pub(crate) fn shown_fields(schema: &Schema) -> Vec<usize> {
    (0..schema.fields().len())
        .take_while(|at| !schema.field(*at).metadata().contains_key(ROLE))
        .collect()
}

/// A traced result's schema with its trace columns marked as such, to be
/// kept: the extra columns say what they hold, and the user's columns
/// that show a count say so.
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
            for key in [ROLE, LABEL, SHOWS] {
                meta.remove(key);
            }
            if at < tracing.user_columns {
                if tracing.count_columns.contains(&at) {
                    meta.insert(SHOWS.to_owned(), "count".to_owned());
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

/// The column of the bottom of the chain that the result's column `at`
/// shows, followed down through the operators above it; none if it is
/// computed from columns rather than showing one.
fn shows(chain: &[LogicalPlan], at: usize) -> Option<usize> {
    let mut at = at;
    for node in chain {
        if let LogicalPlan::Projection(projection) = node {
            let Expr::Column(column) = unaliased(projection.expr.get(at)?) else {
                return None;
            };
            at = projection.input.schema().index_of_column(column).ok()?;
        }
    }
    Some(at)
}

/// Operators that keep their input's columns, or choose among them.
fn carries_columns(node: &LogicalPlan) -> bool {
    matches!(
        node,
        LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::SubqueryAlias(_)
    )
}

fn contains_aggregation(node: &LogicalPlan) -> bool {
    let mut found = false;
    let _ = node.apply_with_subqueries(|n| {
        found |= matches!(
            n,
            LogicalPlan::Aggregate(_) | LogicalPlan::Distinct(_) | LogicalPlan::Window(_)
        );
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

/// The chain above the aggregation, rebuilt over `bottom`, each
/// projection passing `extras` through.
fn rebuild(chain: Vec<LogicalPlan>, bottom: LogicalPlan, extras: &[String]) -> Result<LogicalPlan> {
    let mut plan = bottom;
    for node in chain.into_iter().rev() {
        plan = match node {
            LogicalPlan::Projection(projection) => {
                let mut expr = projection.expr.clone();
                expr.extend(
                    extras
                        .iter()
                        .map(|name| Expr::Column(Column::new_unqualified(name))),
                );
                LogicalPlan::Projection(Projection::try_new(expr, Arc::new(plan))?)
            }
            other => other.with_new_exprs(other.expressions(), vec![plan])?,
        };
    }
    Ok(plan)
}

fn unaliased(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(alias) => unaliased(&alias.expr),
        other => other,
    }
}

fn aggregate_function(expr: &Expr) -> Option<&AggregateFunction> {
    match unaliased(expr) {
        Expr::AggregateFunction(function) => Some(function),
        _ => None,
    }
}
