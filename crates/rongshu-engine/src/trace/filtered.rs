//! Cells a filter judges by their measures. `HAVING sum(x) > 100` shows
//! some cells and drops others, and whether a cell was dropped tells
//! something of its records: of the one record of a small cell, or of the
//! one a measure's filter leaves out (`HAVING sum(x) - sum(x) FILTER
//! (WHERE name <> 'X') > 100`). The release is therefore checked over
//! every cell such a filter judged, as if all were shown.
//!
//! A filter on the cells' record counts and group keys alone is what
//! suppression of small cells looks like (`HAVING count(*) >= 10`): the
//! cells it drops are known to be small and nothing more, so it stays.
//! A limit keeping the first cells of an order read from their measures
//! (`ORDER BY sum(x) DESC LIMIT 3`) judges the cells it drops just as
//! such a filter does (each one's sum is at most the last shown).
//! Rows of a kept table are cells too, filtered the same way; a table
//! made through such a filter keeps no trace (its rows stand for
//! themselves), since what it dropped is no longer there to check.

use datafusion::arrow::datatypes::Field;
use datafusion::error::Result;
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{Aggregate, Expr, Filter, LogicalPlan};

use super::{Workspace, aggregate_function, down_chain, kept, reads, rebuild};

/// `plan` with the filters above its aggregation that read a measure
/// other than the record count kept to their parts that read none, and
/// its sorts and limits lifted: every cell those filters (or limits of an
/// order read from such a measure) judged. None where none judges.
pub(crate) fn before_filters(
    plan: &LogicalPlan,
    workspace: &Workspace,
) -> Result<Option<LogicalPlan>> {
    let (chain, node) = down_chain(plan.clone());
    // What the cells are judged on apart from their measures: group keys
    // and record counts, of the aggregation in sight or kept as they
    // were counted (a kept count may have had a filter of its own, and
    // then it is a measure). By the column of the chain's bottom.
    let plain: Vec<bool> = match &node {
        LogicalPlan::Aggregate(aggregate) => {
            let groups = aggregate.group_expr_len()?;
            (0..node.schema().fields().len())
                .map(|at| at < groups || counts_records(aggregate, at - groups))
                .collect()
        }
        node => match kept::scan(node, &workspace.kept) {
            Some((scan, _)) => {
                let fields = scan.projected_schema.fields();
                let plain = |f: &Field| !kept::shows_measure(f) || kept::counts_records(f);
                fields.iter().map(|f| plain(f)).collect()
            }
            None => return Ok(None),
        },
    };
    let mut judged = false;
    let mut lifted = Vec::with_capacity(chain.len());
    for (depth, node) in chain.iter().enumerate() {
        match node {
            LogicalPlan::Filter(filter) => {
                let parts = split_conjunction(&filter.predicate);
                let all = parts.len();
                let kept: Vec<Expr> = parts
                    .into_iter()
                    .filter(|part| reads_plain(part, &chain, depth, &plain))
                    .cloned()
                    .collect();
                if kept.len() == all {
                    lifted.push(node.clone());
                    continue;
                }
                judged = true;
                if let Some(predicate) = conjunction(kept) {
                    lifted.push(LogicalPlan::Filter(Filter::try_new(
                        predicate,
                        filter.input.clone(),
                    )?));
                }
            }
            LogicalPlan::Sort(_) | LogicalPlan::Limit(_) => {
                judged |= limits(node) && ordered_by_measure(&chain, depth, &plain);
            }
            other => lifted.push(other.clone()),
        }
    }
    if !judged {
        return Ok(None);
    }
    Ok(Some(rebuild(lifted, node, &[])?))
}

/// Whether `expr`, over the input of the chain's node at `depth`, reads
/// only `plain` columns of the chain's bottom.
fn reads_plain(expr: &Expr, chain: &[LogicalPlan], depth: usize, plain: &[bool]) -> bool {
    let input = chain[depth].inputs()[0].schema();
    let below = &chain[depth + 1..];
    expr.column_refs().into_iter().all(|c| {
        input
            .index_of_column(c)
            .is_ok_and(|at| reads(below, at).iter().all(|b| plain[*b]))
    })
}

/// Whether `node` drops rows by their place: a limit, an offset or a sort
/// keeping its first rows.
fn limits(node: &LogicalPlan) -> bool {
    match node {
        LogicalPlan::Limit(limit) => limit.skip.is_some() || limit.fetch.is_some(),
        LogicalPlan::Sort(sort) => sort.fetch.is_some(),
        _ => false,
    }
}

/// Whether the rows reaching the chain's node at `depth` are in an order
/// read from a measure: the nearest sort at or below it sorts on one.
/// Without a sort their order says nothing of the records.
fn ordered_by_measure(chain: &[LogicalPlan], depth: usize, plain: &[bool]) -> bool {
    chain
        .iter()
        .enumerate()
        .skip(depth)
        .find_map(|(at, node)| match node {
            LogicalPlan::Sort(sort) => Some((at, sort)),
            _ => None,
        })
        .is_some_and(|(at, sort)| {
            !sort
                .expr
                .iter()
                .all(|order| reads_plain(&order.expr, chain, at, plain))
        })
}

/// Whether the aggregation's measure `at` counts the records of its cell:
/// `count(*)`, with no filter and not of distinct values.
pub(super) fn counts_records(aggregate: &Aggregate, at: usize) -> bool {
    aggregate
        .aggr_expr
        .get(at)
        .and_then(aggregate_function)
        .is_some_and(|function| {
            let params = &function.params;
            function.func.name() == "count"
                && params.filter.is_none()
                && !params.distinct
                && matches!(params.args.as_slice(), [Expr::Literal(value, _)] if !value.is_null())
        })
}
