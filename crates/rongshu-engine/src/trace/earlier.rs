//! Differencing across releases. `SELECT sum(x) FROM t` in one release
//! and `SELECT sum(x) FROM t WHERE name <> 'X'` in the next each pass
//! their checks, and their difference is X's value. Each check of a
//! release sees only its own cells, so a release is also compared with
//! the earlier releases of its workspace: the records of the table are
//! counted by the cell they fall in under each release's filters and
//! groups, and two cells sharing records may not differ by fewer than a
//! cell may hold.
//!
//! Compared are aggregations of one table of records, filtered or not
//! (`WHERE`, not `FILTER`: a measure's filter is checked within its
//! release), by their filters and groups re-run over the table as it is
//! now. Releases of other shapes (joins, kept tables, grouping sets) are
//! not compared; the checkers' review stands against those.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::Column;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::functions_aggregate::count::count_all;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Expr, LogicalPlan, LogicalPlanBuilder, TableScan, TableScanBuilder, lit, when,
};

use super::{Workspace, column, down_chain, has_subquery, scans};

const EARLIER: &str = "__rongshu_earlier";
const NEW: &str = "__rongshu_new";
const RECORDS: &str = "__rongshu_overlap";

/// A release's cells as conditions on one table's records: whether a
/// record is in a cell, and the cell's keys.
#[derive(Clone, Debug)]
pub(crate) struct Cells {
    /// The table, as queries read it.
    table: Arc<dyn TableProvider>,
    scan: TableScan,
    /// The rows the aggregation reads; none when all.
    filter: Option<Expr>,
    keys: Vec<Expr>,
}

impl Cells {
    /// The cells of `plan`, when it is an aggregation of one table of
    /// records through filters alone.
    pub(crate) fn of(plan: &LogicalPlan, workspace: &Workspace) -> Option<Cells> {
        let (_, node) = down_chain(plan.clone());
        let LogicalPlan::Aggregate(aggregate) = node else {
            return None;
        };
        if aggregate
            .group_expr
            .iter()
            .any(|e| matches!(e, Expr::GroupingSet(_)))
        {
            return None;
        }
        let mut filters = Vec::new();
        let mut input = aggregate.input.as_ref();
        let scan = loop {
            match input {
                LogicalPlan::Filter(filter) => {
                    filters.push(filter.predicate.clone());
                    input = filter.input.as_ref();
                }
                LogicalPlan::SubqueryAlias(alias) => input = alias.input.as_ref(),
                // A scan stopping early reads other rows than the table's.
                LogicalPlan::TableScan(scan) if scan.fetch.is_none() => break scan,
                _ => return None,
            }
        };
        let (table, _) = workspace
            .records
            .iter()
            .find(|(shown, _)| scans(scan, shown))?;
        filters.extend(scan.filters.iter().cloned());
        if filters
            .iter()
            .chain(&aggregate.group_expr)
            .any(has_subquery)
        {
            return None;
        }
        let filters: Vec<Expr> = filters
            .into_iter()
            .map(unqualified)
            .collect::<Result<_>>()
            .ok()?;
        let keys = aggregate.group_expr.iter().cloned().map(unqualified);
        Some(Cells {
            table: table.clone(),
            scan: scan.clone(),
            filter: conjunction(filters),
            keys: keys.collect::<Result<_>>().ok()?,
        })
    }

    /// Whether a record is in one of the cells, and the cell's keys (none
    /// where it is in none), named after `side`; and their names.
    fn columns(&self, side: &str) -> Result<(Vec<Expr>, Vec<String>)> {
        let inside = match &self.filter {
            Some(filter) => coalesce(vec![filter.clone(), lit(false)]),
            None => lit(true),
        };
        let mut names = vec![side.to_owned()];
        let mut columns = vec![inside.clone().alias(side)];
        for (at, key) in self.keys.iter().enumerate() {
            names.push(format!("{side}{at}"));
            columns.push(
                when(inside.clone(), key.clone())
                    .end()?
                    .alias(&names[at + 1]),
            );
        }
        Ok((columns, names))
    }
}

/// The plan counting `new`'s table's records by their cell in each
/// release; none when the two read different tables.
pub(crate) fn overlap(earlier: &Cells, new: &Cells) -> Result<Option<LogicalPlan>> {
    if !Arc::ptr_eq(&earlier.table, &new.table) {
        return Ok(None);
    }
    // The whole table: either release's scan may read only its columns.
    let scan =
        TableScanBuilder::new(new.scan.table_name.clone(), new.scan.source.clone()).build()?;
    let (mut columns, mut names) = earlier.columns(EARLIER)?;
    let (more, more_names) = new.columns(NEW)?;
    columns.extend(more);
    names.extend(more_names);
    let groups: Vec<Expr> = names.iter().map(|n| column(n)).collect();
    let plan = LogicalPlanBuilder::from(LogicalPlan::TableScan(scan))
        .project(columns)?
        .filter(column(EARLIER).or(column(NEW)))?
        .aggregate(groups, vec![count_all().alias(RECORDS)])?
        .build()?;
    Ok(Some(plan))
}

/// From `overlap`'s rows: the fewest records by which a cell of one
/// release differs from a cell of the other that shares records with it;
/// 0 where no two such cells differ.
pub(crate) fn fewest_differing(
    batches: &[RecordBatch],
    earlier: &Cells,
    new: &Cells,
) -> Result<u64> {
    type Key = Vec<Option<String>>;
    let mut sizes: [HashMap<Key, u64>; 2] = Default::default();
    let mut shared: HashMap<(Key, Key), u64> = HashMap::new();
    for batch in batches {
        let schema = batch.schema();
        let side = |name: &str, keys: usize| -> Result<(Vec<bool>, Vec<Key>)> {
            let inside = batch.column(schema.index_of(name)?).as_boolean().clone();
            let mut texts = Vec::with_capacity(keys);
            for at in 0..keys {
                let key = batch.column(schema.index_of(&format!("{name}{at}"))?);
                texts.push(cast(key, &DataType::Utf8)?);
            }
            let rows = (0..batch.num_rows())
                .map(|row| {
                    texts
                        .iter()
                        .map(|t| {
                            let t = t.as_string::<i32>();
                            t.is_valid(row).then(|| t.value(row).to_owned())
                        })
                        .collect()
                })
                .collect();
            let inside = (0..batch.num_rows())
                .map(|row| inside.is_valid(row) && inside.value(row))
                .collect();
            Ok((inside, rows))
        };
        let (in_earlier, earlier_keys) = side(EARLIER, earlier.keys.len())?;
        let (in_new, new_keys) = side(NEW, new.keys.len())?;
        let records = batch
            .column(schema.index_of(RECORDS)?)
            .as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let n = records.value(row) as u64;
            let (e, k) = (&earlier_keys[row], &new_keys[row]);
            if in_earlier[row] {
                *sizes[0].entry(e.clone()).or_default() += n;
            }
            if in_new[row] {
                *sizes[1].entry(k.clone()).or_default() += n;
            }
            if in_earlier[row] && in_new[row] {
                *shared.entry((e.clone(), k.clone())).or_default() += n;
            }
        }
    }
    Ok(shared
        .iter()
        .map(|((e, k), both)| sizes[0][e] + sizes[1][k] - 2 * both)
        .filter(|differing| *differing > 0)
        .min()
        .unwrap_or(0))
}

/// `expr` over the table's columns by name alone: each release may have
/// named the table otherwise (`FROM t AS a`).
fn unqualified(expr: Expr) -> Result<Expr> {
    expr.transform(|e| {
        Ok(match e {
            Expr::Column(c) => Transformed::yes(Expr::Column(Column::new_unqualified(c.name))),
            other => Transformed::no(other),
        })
    })
    .map(|t| t.data)
}
