//! Differencing across releases that read several tables, or one table
//! beside a release of others ([`super::earlier`] compares releases of one
//! table). `SELECT count(*) FROM companies c JOIN inspections i ON …` in
//! one release and the same with `WHERE c.企业名称 <> 'X'` in the next
//! differ by X's rows. Each release's aggregation input is run again with
//! the ids of the records its rows copy ([`super::copies`]), each table
//! read (each side of a self-join apart) placing its records in every
//! cell they fall in, with its number of copies there; a kept
//! aggregation's rows place the records whose ids they kept. Two cells
//! whose reads share records (ids are tagged by table, so only a table's
//! own meet) may not differ by fewer of them than a cell may hold, a
//! record in one only or in other numbers of copies counting as differing.
//!
//! Not compared: inputs a second run may read otherwise (a limit, a
//! window, a random draw, the time), grouping sets, and rows whose records
//! cannot be told (`DISTINCT`, an inner aggregation, a kept aggregation
//! that kept no ids).

use std::collections::HashMap;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{Int64Type, UInt64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::Column;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::logical_expr::{
    Expr, JoinType, LogicalPlan, LogicalPlanBuilder, Volatility, lit, when,
};

use super::earlier::{Cells, Key, keys_of};
use super::{Workspace, column, copies, down_chain, has_subquery, reads_anywhere, scans};

const ID: &str = "__rongshu_id";
/// Which of a release's table reads a record came by.
const READ: &str = "__rongshu_read";
const KEY: &str = "__rongshu_key";
const EARLIER: &str = "__rongshu_earlier";
const NEW: &str = "__rongshu_new";
const KEPT: &str = "__rongshu_kept";
const RECORDS: &str = "__rongshu_in_cell";
/// How many of a cell's rows copy a record.
const COPIES: &str = "__rongshu_copies";
/// The records two cells share in as many copies.
const ALIKE: &str = "__rongshu_alike";

/// A release's cells as the records of every table it reads: each record
/// once a cell it falls in and a read it came by, with its id, the read,
/// the cell's keys and how many of the cell's rows copy it (a join's
/// count counts copies: one more tells as much as one record more).
#[derive(Clone, Debug)]
pub(crate) struct RecordCells {
    records: LogicalPlan,
    keys: usize,
    /// The products' tables whose records it reads; none where it reads
    /// a made table (holding another table's records).
    sources: Option<Vec<String>>,
}

impl RecordCells {
    /// The cells of `plan`, when it is an aggregation whose input's rows
    /// are records (or copies of them) with ids.
    pub(crate) fn of(plan: &LogicalPlan, workspace: &Workspace) -> Result<Option<RecordCells>> {
        // Run again, a random draw, the time, a limit or a window may give
        // other rows or keys.
        let unsteady = |n: &LogicalPlan| {
            matches!(n, LogicalPlan::Limit(_) | LogicalPlan::Window(_))
                || n.expressions().iter().any(changes)
        };
        // A kept aggregation's rows, with the ids they kept.
        if let Some(cells) = Cells::of(plan, workspace)
            && let Some(kept) = cells.kept_records(KEPT)?
        {
            let mut columns = vec![
                column(&format!("{KEPT}_id")).alias(ID),
                lit(0_u64).alias(READ),
            ];
            let keys =
                (0..cells.keys()).map(|at| column(&key(KEPT, at)).alias(format!("{KEY}{at}")));
            columns.extend(keys);
            let records = LogicalPlanBuilder::from(kept).project(columns)?;
            return Ok(Some(RecordCells {
                records: counted_copies(records, cells.keys())?,
                keys: cells.keys(),
                sources: None,
            }));
        }
        let (_, node) = down_chain(plan.clone());
        let LogicalPlan::Aggregate(aggregate) = node else {
            return Ok(None);
        };
        let keys = &aggregate.group_expr;
        let sets = |e: &Expr| matches!(e, Expr::GroupingSet(_));
        if keys
            .iter()
            .any(|e| sets(e) || has_subquery(e) || changes(e))
            || reads_anywhere(&aggregate.input, unsteady)
        {
            return Ok(None);
        }
        let (input, ids) = copies::identified_rows(&aggregate.input, workspace)?;
        let mut records: Option<LogicalPlanBuilder> = None;
        for (read, id) in ids.columns.iter().enumerate() {
            let mut columns = vec![column(id).alias(ID), lit(read as u64).alias(READ)];
            let keyed = keys.iter().enumerate();
            columns.extend(keyed.map(|(at, key)| key.clone().alias(format!("{KEY}{at}"))));
            // An outer join's missing side has no record.
            let branch = LogicalPlanBuilder::from(input.clone())
                .project(columns)?
                .filter(column(ID).is_not_null())?
                .build()?;
            records = Some(match records {
                None => LogicalPlanBuilder::from(branch),
                Some(union) => union.union(branch)?,
            });
        }
        let Some(records) = records else {
            return Ok(None);
        };
        Ok(Some(RecordCells {
            records: counted_copies(records, keys.len())?,
            keys: keys.len(),
            sources: sources(&aggregate.input, workspace)?,
        }))
    }

    /// Whether the two may share records: not if each reads only
    /// products' tables, and none the other does.
    pub(crate) fn may_share(&self, other: &RecordCells) -> bool {
        match (&self.sources, &other.sources) {
            (Some(these), Some(those)) => these.iter().any(|t| those.contains(t)),
            _ => true,
        }
    }

    /// Each read's records in each cell, counted.
    fn sizes(&self) -> Result<LogicalPlan> {
        let mut groups = vec![column(READ)];
        groups.extend((0..self.keys).map(|at| column(&format!("{KEY}{at}"))));
        LogicalPlanBuilder::from(self.records.clone())
            .aggregate(groups, vec![count_all().alias(RECORDS)])?
            .build()
    }

    /// The records with their id, read, copies and keys named after `side`.
    fn named(&self, side: &str) -> Result<LogicalPlan> {
        let mut columns = vec![
            column(ID).alias(format!("{side}_id")),
            column(READ).alias(format!("{side}_read")),
            column(COPIES).alias(format!("{side}_copies")),
        ];
        columns.extend((0..self.keys).map(|at| column(&format!("{KEY}{at}")).alias(key(side, at))));
        LogicalPlanBuilder::from(self.records.clone())
            .project(columns)?
            .build()
    }
}

/// The plans comparing two releases' cells: the records of each read in
/// each cell of the earlier, of the new, and shared by two cells' reads.
pub(crate) fn overlap(earlier: &RecordCells, new: &RecordCells) -> Result<[LogicalPlan; 3]> {
    let id = |side: &str| vec![Column::new_unqualified(format!("{side}_id"))];
    let copies = |side: &str| column(&format!("{side}_copies"));
    let same = when(copies(EARLIER).eq(copies(NEW)), lit(1_i64)).otherwise(lit(0_i64))?;
    let alike = sum(same);
    let mut groups = Vec::new();
    for (side, cells) in [(EARLIER, earlier), (NEW, new)] {
        groups.push(column(&format!("{side}_read")));
        groups.extend((0..cells.keys).map(|at| column(&key(side, at))));
    }
    let shared = LogicalPlanBuilder::from(earlier.named(EARLIER)?)
        .join(
            new.named(NEW)?,
            JoinType::Inner,
            (id(EARLIER), id(NEW)),
            None,
        )?
        .aggregate(groups, vec![count_all().alias(RECORDS), alike.alias(ALIKE)])?
        .build()?;
    Ok([earlier.sizes()?, new.sizes()?, shared])
}

/// From `overlap`'s rows: the fewest records of a read by which a cell
/// of one release differs from a cell of the other whose read shares
/// records with it (in one only, or in other numbers of copies); 0 where
/// no two such cells differ. An error where the runs disagree (a key
/// computed from the time).
pub(crate) fn fewest_differing(
    [earlier_sizes, new_sizes, shared]: [&[RecordBatch]; 3],
    earlier: &RecordCells,
    new: &RecordCells,
) -> Result<u64> {
    let sizes = |batches: &[RecordBatch], keys: usize| -> Result<HashMap<(u64, Key), u64>> {
        let mut sizes = HashMap::new();
        for batch in batches {
            let cells = cells(batch, READ, |at| format!("{KEY}{at}"), keys)?;
            sizes.extend(cells.into_iter().zip(counted(batch, RECORDS)?));
        }
        Ok(sizes)
    };
    let earlier_sizes = sizes(earlier_sizes, earlier.keys)?;
    let new_sizes = sizes(new_sizes, new.keys)?;
    let mut fewest: Option<u64> = None;
    for batch in shared {
        let read = |side: &str| format!("{side}_read");
        let e_cells = cells(batch, &read(EARLIER), |at| key(EARLIER, at), earlier.keys)?;
        let n_cells = cells(batch, &read(NEW), |at| key(NEW, at), new.keys)?;
        let alike = counted(batch, ALIKE)?;
        let rows = e_cells.iter().zip(&n_cells).zip(counted(batch, RECORDS)?);
        for (((e, n), both), alike) in rows.zip(alike) {
            let (Some(e), Some(n)) = (earlier_sizes.get(e), new_sizes.get(n)) else {
                return Err(DataFusionError::Execution(
                    "the releases' cells changed between runs".into(),
                ));
            };
            let differing = (e + n).saturating_sub(both + alike);
            if differing > 0 {
                fewest = Some(fewest.map_or(differing, |f| f.min(differing)));
            }
        }
    }
    Ok(fewest.unwrap_or(0))
}

/// Whether `expr` may change from one run to the next: a function that is
/// not immutable (`random()`, `now()`).
fn changes(expr: &Expr) -> bool {
    expr.exists(|e| {
        Ok(matches!(e, Expr::ScalarFunction(f)
            if f.func.signature().volatility != Volatility::Immutable))
    })
    .unwrap_or(true)
}

/// `records` (ids, reads and `keys` keys) with each one's copies counted.
fn counted_copies(records: LogicalPlanBuilder, keys: usize) -> Result<LogicalPlan> {
    let mut groups = vec![column(ID), column(READ)];
    groups.extend((0..keys).map(|at| column(&format!("{KEY}{at}"))));
    records
        .aggregate(groups, vec![count_all().alias(COPIES)])?
        .build()
}

/// The products' tables `plan` reads records of; none if it reads a made
/// table.
fn sources(plan: &LogicalPlan, workspace: &Workspace) -> Result<Option<Vec<String>>> {
    let mut sources = Some(Vec::new());
    plan.apply(|node| {
        let LogicalPlan::TableScan(scan) = node else {
            return Ok(TreeNodeRecursion::Continue);
        };
        let read = workspace
            .records
            .iter()
            .find(|(shown, _)| scans(scan, shown));
        match (read, &mut sources) {
            (Some((_, table)), _) if table.is_made() => sources = None,
            (Some((_, table)), Some(names)) => names.push(table.name().to_owned()),
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(sources)
}

fn key(side: &str, at: usize) -> String {
    format!("{side}{at}")
}

/// Each row's read (column `read`) and cell keys.
fn cells(
    batch: &RecordBatch,
    read: &str,
    name: impl Fn(usize) -> String,
    keys: usize,
) -> Result<Vec<(u64, Key)>> {
    let reads = batch.column(batch.schema().index_of(read)?);
    let reads = reads.as_primitive::<UInt64Type>();
    let keys = keys_of(batch, name, keys)?;
    Ok(keys
        .into_iter()
        .enumerate()
        .map(|(row, key)| (reads.value(row), key))
        .collect())
}

/// Each row's count in column `name`.
fn counted(batch: &RecordBatch, name: &str) -> Result<Vec<u64>> {
    let counts = batch.column(batch.schema().index_of(name)?);
    let counts = counts.as_primitive::<Int64Type>();
    Ok((0..batch.num_rows())
        .map(|row| counts.value(row) as u64)
        .collect())
}
