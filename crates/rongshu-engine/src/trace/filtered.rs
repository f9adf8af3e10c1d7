//! Cells a filter judges by their measures. `HAVING sum(x) > 100` shows
//! some cells and drops others, and whether a cell was dropped tells
//! something of its records: of the one record of a small cell, or of the
//! one a measure's filter leaves out (`HAVING sum(x) - sum(x) FILTER
//! (WHERE name <> 'X') > 100`). The release is therefore checked over
//! every cell such a filter judged, as if all were shown.
//!
//! A lower bound on the cells' record counts is what suppression of small
//! cells looks like (`HAVING count(*) >= 10`): the cells it drops are
//! known to hold fewer records than the bound and nothing more, so it
//! stays, and the bound goes with the facts (one under the cell threshold
//! would pin the dropped cells to a few counts: `>= 2` leaves exactly one).
//! Any other filter reading a count (`count(*) <> 7` tells that every
//! cell dropped holds seven) judges the cells it drops, as one on a
//! measure does. Filters on group keys alone judge nothing.
//! A limit keeping the first cells of an order read from their measures
//! (`ORDER BY sum(x) DESC LIMIT 3`) judges the cells it drops just as
//! such a filter does (each one's sum is at most the last shown); an
//! order by record counts tells of those dropped only that they hold no
//! more (or no fewer) than a cell shown, which passed its checks.
//! Rows of a kept table are cells too, filtered the same way; a table
//! made through a filter that judges keeps no trace (its rows stand for
//! themselves), since what it dropped is no longer there to check.

use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{
    Aggregate, Between, BinaryExpr, Cast, Expr, Filter, LogicalPlan, Operator, TryCast,
};

use super::{Workspace, aggregate_function, copies, down_chain, kept, reads, rebuild, shows};

/// What a column of cells is to the filters above them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CellColumn {
    /// A group key: the cells' names, not their records.
    Key,
    /// The cell's record count as it was counted (`count(*)`, with no
    /// filter of its own and not of distinct values).
    RecordCount,
    /// Any other measure.
    Measure,
}

impl CellColumn {
    /// The columns of `node`'s output as cells: an aggregation's, or a
    /// kept table's rows; none for other nodes.
    pub(super) fn of(node: &LogicalPlan, workspace: &Workspace) -> Option<Vec<CellColumn>> {
        match node {
            LogicalPlan::Aggregate(aggregate) => {
                CellColumn::of_aggregate(aggregate, workspace).ok()
            }
            node => {
                let (scan, _) = kept::scan(node, &workspace.kept)?;
                Some(CellColumn::of_kept(scan.projected_schema.fields()))
            }
        }
    }

    /// An aggregation's output columns; its `count(*)` counts records
    /// only where each row it reads is one: over a kept aggregation's
    /// rows or copies it counts rows, a measure. Over kept rows the sum
    /// of their record counts counts the cell's records.
    pub(super) fn of_aggregate(
        aggregate: &Aggregate,
        workspace: &Workspace,
    ) -> Result<Vec<CellColumn>> {
        let read = Read::of(aggregate, workspace)?;
        let counts = |m: usize| match &read {
            Read::Records => counts_records(aggregate, m),
            Read::Kept(chain, cells) => sums_counts(aggregate, m, chain, cells),
            Read::Copies => false,
        };
        let groups = aggregate.group_expr_len()?;
        let columns = (0..aggregate.schema.fields().len()).map(|at| match at.checked_sub(groups) {
            None => CellColumn::Key,
            Some(m) if counts(m) => CellColumn::RecordCount,
            Some(_) => CellColumn::Measure,
        });
        Ok(columns.collect())
    }

    /// A kept table's own columns.
    pub(super) fn of_kept(fields: &Fields) -> Vec<CellColumn> {
        let of = |field: &Field| {
            if kept::counts_records(field) {
                CellColumn::RecordCount
            } else if kept::shows_measure(field) {
                CellColumn::Measure
            } else {
                CellColumn::Key
            }
        };
        fields.iter().map(|f| of(f)).collect()
    }
}

/// What one part of a filter's conjunction does to the cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// Reads group keys alone.
    Keys,
    /// Keeps the cells holding at least this many records, and reads
    /// nothing else of them.
    Suppresses(u64),
    /// Reads a measure, or a record count otherwise than as a lower bound.
    Judges,
}

impl Part {
    /// What `expr`, a part of the filter at `depth` of `chain` (whose
    /// bottom's columns are `columns`), does.
    pub(super) fn of(
        expr: &Expr,
        chain: &[LogicalPlan],
        depth: usize,
        columns: &[CellColumn],
    ) -> Part {
        if reads_only(expr, chain, depth, columns, |c| c == CellColumn::Key) {
            return Part::Keys;
        }
        let input = chain[depth].inputs()[0].schema();
        let below = &chain[depth + 1..];
        let record_count = |e: &Expr| match e {
            Expr::Column(c) => input
                .index_of_column(c)
                .ok()
                .and_then(|at| shows(below, at))
                .is_some_and(|b| columns[b] == CellColumn::RecordCount),
            _ => false,
        };
        match lower_bound(expr) {
            Some((counted, least)) if record_count(counted) => Part::Suppresses(least),
            _ => Part::Judges,
        }
    }
}

/// The expression a filter part bounds from below and the least whole
/// number it keeps: `n >= 10`, `n > 9`, `10 <= n`, `n BETWEEN 10 AND 99`
/// (what an upper bound drops is large).
fn lower_bound(expr: &Expr) -> Option<(&Expr, u64)> {
    let (bounded, least) = match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match (op, number(right), number(left))
        {
            (Operator::GtEq, Some(n), _) => (left.as_ref(), n.ceil()),
            (Operator::Gt, Some(n), _) => (left.as_ref(), n.floor() + 1.0),
            (Operator::LtEq, _, Some(n)) => (right.as_ref(), n.ceil()),
            (Operator::Lt, _, Some(n)) => (right.as_ref(), n.floor() + 1.0),
            _ => return None,
        },
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            ..
        }) => (expr.as_ref(), number(low)?.ceil()),
        _ => return None,
    };
    // A bound at or under zero keeps every cell (saturating: NaN is 0).
    Some((bounded, least.max(0.0) as u64))
}

/// A numeric literal's value, cast as written (`CAST(10 AS BIGINT)`).
fn number(expr: &Expr) -> Option<f64> {
    let value = literal(expr)?;
    if !value.data_type().is_numeric() {
        return None;
    }
    match value.cast_to(&DataType::Float64).ok()? {
        ScalarValue::Float64(Some(n)) if n.is_finite() => Some(n),
        _ => None,
    }
}

/// The value of a literal, or of a literal cast.
fn literal(expr: &Expr) -> Option<ScalarValue> {
    match expr {
        Expr::Literal(value, _) => Some(value.clone()),
        Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field }) => {
            literal(expr)?.cast_to(field.data_type()).ok()
        }
        _ => None,
    }
}

/// The least record count a filter of `chain` keeps cells from, the
/// weakest where several do; none where none drops a cell by its count
/// (a bound of one keeps them all).
pub(super) fn suppressed_below(chain: &[LogicalPlan], columns: &[CellColumn]) -> Option<u64> {
    let mut least = None;
    for (depth, node) in chain.iter().enumerate() {
        let LogicalPlan::Filter(filter) = node else {
            continue;
        };
        for part in split_conjunction(&filter.predicate) {
            if let Part::Suppresses(n) = Part::of(part, chain, depth, columns) {
                least = weakest(least, Some(n));
            }
        }
    }
    least.filter(|n| *n > 1)
}

/// The weaker of two suppressions: the lower bound.
pub(super) fn weakest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `plan` with the filters above its aggregation that judge cells (see
/// [`Part`]) kept to their parts that do not, and its sorts and limits
/// lifted: every cell those filters (or limits of an order read from a
/// measure) judged. None where none judges.
pub(crate) fn before_filters(
    plan: &LogicalPlan,
    workspace: &Workspace,
) -> Result<Option<LogicalPlan>> {
    let (chain, node) = down_chain(plan.clone());
    let Some(columns) = CellColumn::of(&node, workspace) else {
        return Ok(None);
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
                    .filter(|part| Part::of(part, &chain, depth, &columns) != Part::Judges)
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
                judged |= limits(node) && ordered_by_measure(&chain, depth, &columns);
            }
            other => lifted.push(other.clone()),
        }
    }
    if !judged {
        return Ok(None);
    }
    Ok(Some(rebuild(lifted, node, &[])?))
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
fn ordered_by_measure(chain: &[LogicalPlan], depth: usize, columns: &[CellColumn]) -> bool {
    chain
        .iter()
        .enumerate()
        .skip(depth)
        .find_map(|(at, node)| match node {
            LogicalPlan::Sort(sort) => Some((at, sort)),
            _ => None,
        })
        .is_some_and(|(at, sort)| {
            let plain = |c: CellColumn| c != CellColumn::Measure;
            !sort
                .expr
                .iter()
                .all(|order| reads_only(&order.expr, chain, at, columns, plain))
        })
}

/// Whether `expr`, over the input of the chain's node at `depth`, reads
/// only columns of the chain's bottom that are `allowed`.
fn reads_only(
    expr: &Expr,
    chain: &[LogicalPlan],
    depth: usize,
    columns: &[CellColumn],
    allowed: impl Fn(CellColumn) -> bool,
) -> bool {
    let input = chain[depth].inputs()[0].schema();
    let below = &chain[depth + 1..];
    expr.column_refs().into_iter().all(|c| {
        input
            .index_of_column(c)
            .is_ok_and(|at| reads(below, at).iter().all(|b| allowed(columns[*b])))
    })
}

/// What the rows an aggregation reads are.
enum Read {
    /// Each one record.
    Records,
    /// A kept aggregation's rows, each standing for its records: the
    /// operators between, and the kept table's columns as cells.
    Kept(Vec<LogicalPlan>, Vec<CellColumn>),
    /// Possibly copies of records.
    Copies,
}

impl Read {
    fn of(aggregate: &Aggregate, workspace: &Workspace) -> Result<Read> {
        let (chain, bottom) = down_chain(aggregate.input.as_ref().clone());
        if let Some((scan, _)) = kept::scan(&bottom, &workspace.kept) {
            let cells = CellColumn::of_kept(scan.projected_schema.fields());
            return Ok(Read::Kept(chain, cells));
        }
        if copies::copying(&aggregate.input, workspace)? {
            return Ok(Read::Copies);
        }
        Ok(Read::Records)
    }
}

/// Whether the aggregation's measure `at`, over kept rows read through
/// `chain` (whose bottom's columns are `cells`), adds up their record
/// counts: `sum(n)` of a kept `count(*)`, with no filter and not of
/// distinct values.
fn sums_counts(
    aggregate: &Aggregate,
    at: usize,
    chain: &[LogicalPlan],
    cells: &[CellColumn],
) -> bool {
    let input = aggregate.input.schema();
    let counted = |c: &datafusion::common::Column| {
        input
            .index_of_column(c)
            .ok()
            .and_then(|at| shows(chain, at))
            .is_some_and(|b| cells.get(b) == Some(&CellColumn::RecordCount))
    };
    plain(aggregate, at, "sum").is_some_and(|args| matches!(args, [Expr::Column(c)] if counted(c)))
}

/// Whether the aggregation's measure `at` counts the records of its cell:
/// `count(*)`, with no filter and not of distinct values.
pub(super) fn counts_records(aggregate: &Aggregate, at: usize) -> bool {
    plain(aggregate, at, "count")
        .is_some_and(|args| matches!(args, [Expr::Literal(value, _)] if !value.is_null()))
}

/// The arguments of the aggregation's measure `at` if it is the function
/// `name` with no filter and not of distinct values.
fn plain<'a>(aggregate: &'a Aggregate, at: usize, name: &str) -> Option<&'a [Expr]> {
    let function = aggregate.aggr_expr.get(at).and_then(aggregate_function)?;
    let params = &function.params;
    (function.func.name() == name && params.filter.is_none() && !params.distinct)
        .then_some(params.args.as_slice())
}
