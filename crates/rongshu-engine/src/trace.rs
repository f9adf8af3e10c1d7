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

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::functions::math::expr_fn::abs;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{max, nth_value, sum};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Aggregate, Expr, ExprFunctionExt, LogicalPlan, Projection};

const RECORDS: &str = "__rongshu_records";

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
pub(crate) fn trace(plan: LogicalPlan) -> Result<(LogicalPlan, Tracing)> {
    let user_columns = plan.schema().fields().len();
    let mut chain = Vec::new();
    let mut node = plan;
    while carries_columns(&node) {
        let child = node.inputs()[0].clone();
        chain.push(node);
        node = child;
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
    tracing.count_columns = (0..user_columns)
        .filter(|at| shows(&chain, &aggregate, *at).is_some_and(|name| labels.contains(&name)))
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

/// The aggregation's column that the result's column `at` shows, followed
/// down through the operators above it; none if it is computed from
/// columns rather than showing one.
fn shows<'a>(chain: &[LogicalPlan], aggregate: &'a Aggregate, at: usize) -> Option<&'a str> {
    let mut at = at;
    for node in chain {
        if let LogicalPlan::Projection(projection) = node {
            let Expr::Column(column) = unaliased(projection.expr.get(at)?) else {
                return None;
            };
            at = projection.input.schema().index_of_column(column).ok()?;
        }
    }
    let fields = aggregate.schema.fields();
    (at < fields.len()).then(|| fields[at].name().as_str())
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
