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
//! (`WHERE`, subqueries in it included; not `FILTER`: a measure's filter
//! is checked within its release), through subqueries or not, by their
//! filters and groups re-run
//! over the tables as they are now and their records matched by id: a
//! table made of some rows of another holds the same records; a kept
//! aggregation's rows weigh the records they stand for, and where it was
//! made of one table of records it keeps their ids ([`cell_records`]),
//! so that its rows, or cells of them, are compared with releases of that
//! table as the cells of records they are. Releases that join tables, or
//! one table beside another release's join, are compared record by record
//! ([`super::joined`]); grouping sets are not compared, and the checkers'
//! review stands against those.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, NullEquality, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::error::Result;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{array_agg, min, sum};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, LogicalPlanBuilder, cast, lit, when};

use super::{
    RECORD_ID, RECORDS, Workspace, column, copies, down_chain, has_subquery, kept, scans, unaliased,
};
use crate::Table;

const EARLIER: &str = "__rongshu_earlier";
const NEW: &str = "__rongshu_new";
const OVERLAP: &str = "__rongshu_overlap";
const WEIGHT: &str = "__rongshu_weight";
/// A kept aggregation's trace column of the ids of each row's records.
pub(crate) const CELL_RECORDS: &str = "__rongshu_cell_records";
/// A kept aggregation's trace column naming each row's cell: its least
/// record id (no two cells share a record).
pub(crate) const CELL: &str = "__rongshu_cell";

/// An expression and the name of its column.
pub(crate) type Named = (Expr, String);

/// For an aggregation over `input` to be kept: the input to read and
/// the aggregates keeping the ids of each cell's records and its least
/// (named [`CELL_RECORDS`] and [`CELL`]), where its rows are one table's
/// records each read once (the input read with their ids), or a kept
/// aggregation's rows that kept theirs (lists of them, then); none
/// otherwise.
pub(crate) fn cell_records(
    input: &LogicalPlan,
    workspace: &Workspace,
) -> Result<Option<(LogicalPlan, [Named; 2])>> {
    let (input, ids, least) = if input
        .schema()
        .has_column_with_unqualified_name(CELL_RECORDS)
    {
        (input.clone(), column(CELL_RECORDS), column(CELL))
    } else {
        let (input, ids) = copies::identified_rows(input, workspace)?;
        let [id] = ids.columns.as_slice() else {
            return Ok(None);
        };
        if ids.copies {
            return Ok(None);
        }
        (input, column(id), column(id))
    };
    let aggregates = [
        (array_agg(ids), CELL_RECORDS.to_owned()),
        (min(least), CELL.to_owned()),
    ];
    Ok(Some((input, aggregates)))
}

/// A release's cells as conditions on one table's records: whether a
/// record is in a cell, and the cell's keys.
#[derive(Clone, Debug)]
pub(crate) struct Cells {
    /// What the release called the table.
    named: TableReference,
    /// The table as the comparison reads it: with the records each row
    /// stands for, where it keeps them.
    read: Arc<dyn TableProvider>,
    /// The records a row stands for; none where it is one.
    weight: Option<Expr>,
    /// Whether the filter reads a subquery, which only a filter of its
    /// own can run: its records are then matched by id.
    by_id: bool,
    /// The table, whole: read with its records' ids.
    table: Arc<Table>,
    /// The rows the aggregation reads; none when all.
    filter: Option<Expr>,
    keys: Vec<Expr>,
}

impl Cells {
    /// The cells of `plan`, when it is an aggregation of one table of
    /// records through filters, projections and aliases alone.
    pub(crate) fn of(plan: &LogicalPlan, workspace: &Workspace) -> Option<Cells> {
        let (chain, node) = down_chain(plan.clone());
        let aggregate = match node {
            LogicalPlan::Aggregate(aggregate) => aggregate,
            rows => return Cells::of_kept_rows(&chain, &rows, workspace),
        };
        if aggregate
            .group_expr
            .iter()
            .any(|e| matches!(e, Expr::GroupingSet(_)))
        {
            return None;
        }
        let keys = aggregate.group_expr.len();
        let mut exprs = aggregate.group_expr.clone();
        let mut node = aggregate.input.as_ref();
        // What the release called the table: a subquery correlated to it
        // names it so.
        let mut named = None;
        let scan = loop {
            match node {
                LogicalPlan::Filter(filter) => exprs.push(filter.predicate.clone()),
                LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_) => {}
                // A scan stopping early reads other rows than the table's.
                LogicalPlan::TableScan(scan) if scan.fetch.is_none() => break scan,
                _ => return None,
            }
            named = match node {
                LogicalPlan::SubqueryAlias(alias) => Some(alias.alias.clone()),
                _ => None,
            };
            exprs = exprs
                .into_iter()
                .map(|e| through(e, node))
                .collect::<Result<_>>()
                .ok()?;
            node = node.inputs()[0];
        };
        let named = named.unwrap_or_else(|| scan.table_name.clone());
        let (shown, table) = workspace
            .records
            .iter()
            .find(|(shown, _)| scans(scan, shown))?;
        // A join's rows may be copies of records.
        if table.holds_copies() {
            return None;
        }
        // A kept aggregation's rows are cells, each weighing the records
        // it stands for.
        let (read, weight) = match kept::scan(node, &workspace.kept) {
            Some((_, whole)) => (whole, Some(column(RECORDS))),
            None => (shown.clone(), None),
        };
        exprs.extend(scan.filters.iter().cloned());
        if exprs[..keys].iter().any(has_subquery) || exprs.iter().any(Expr::is_volatile) {
            return None;
        }
        let by_id = exprs.iter().any(has_subquery);
        let mut exprs: Vec<Expr> = exprs
            .into_iter()
            .map(unqualified)
            .collect::<Result<_>>()
            .ok()?;
        let filters = exprs.split_off(keys);
        Some(Cells {
            named,
            read,
            weight,
            by_id,
            table: table.clone(),
            filter: conjunction(filters),
            keys: exprs,
        })
    }

    /// The cells of a kept aggregation's rows read as they are through
    /// `chain`, where it kept their records' ids: each row shown its own
    /// cell.
    fn of_kept_rows(
        chain: &[LogicalPlan],
        node: &LogicalPlan,
        workspace: &Workspace,
    ) -> Option<Cells> {
        let (scan, whole) = kept::scan(node, &workspace.kept)?;
        whole.schema().index_of(CELL).ok()?;
        let (_, table) = workspace
            .records
            .iter()
            .find(|(shown, _)| scans(scan, shown))?;
        // The chain's filters, over the scan.
        let mut filters = scan.filters.clone();
        for (depth, node) in chain.iter().enumerate() {
            let LogicalPlan::Filter(filter) = node else {
                continue;
            };
            filters.push(below(filter.predicate.clone(), &chain[depth + 1..]).ok()?);
        }
        if filters.iter().any(Expr::is_volatile) {
            return None;
        }
        let by_id = filters.iter().any(has_subquery);
        let filters: Vec<Expr> = filters
            .into_iter()
            .map(unqualified)
            .collect::<Result<_>>()
            .ok()?;
        Some(Cells {
            named: scan.table_name.clone(),
            read: whole,
            weight: Some(column(RECORDS)),
            by_id,
            table: table.clone(),
            filter: conjunction(filters),
            keys: vec![column(CELL)],
        })
    }

    /// How many keys its cells have.
    pub(super) fn keys(&self) -> usize {
        self.keys.len()
    }

    /// Whether a record is in one of the cells.
    fn inside(&self) -> Expr {
        match &self.filter {
            Some(filter) => coalesce(vec![filter.clone(), lit(false)]),
            None => lit(true),
        }
    }

    /// Whether a record is in one of the cells, and the cell's keys (none
    /// where it is in none), named after `side`.
    fn cell(&self, side: &str) -> Result<Vec<Expr>> {
        let mut columns = vec![self.inside().alias(side)];
        for (at, key) in self.keys.iter().enumerate() {
            let keyed = when(self.inside(), key.clone()).end()?;
            columns.push(keyed.alias(format!("{side}{at}")));
        }
        Ok(columns)
    }

    /// The table's records in a cell: each one's id, `side` (true), and
    /// the cell's keys, named after `side`; none where the table's rows
    /// are not each one record with an id.
    fn records(&self, side: &str, partitions: usize) -> Result<Option<LogicalPlan>> {
        if self.weight.is_some() {
            return self.kept_records(side);
        }
        let Some((provider, 1)) = self.table.identified_provider(partitions)? else {
            return Ok(None);
        };
        let inside = self.inside();
        let mut columns = vec![
            column(&format!("{RECORD_ID}0")).alias(format!("{side}_id")),
            lit(true).alias(side),
        ];
        for (at, key) in self.keys.iter().enumerate() {
            columns.push(key.clone().alias(format!("{side}{at}")));
        }
        let plan =
            LogicalPlanBuilder::scan(self.named.clone(), provider_as_source(provider), None)?
                .filter(inside)?
                .project(columns)?
                .build()?;
        Ok(Some(plan))
    }

    /// As [`Cells::records`], for a kept aggregation's rows: each of the
    /// records whose ids a row in a cell kept; none where it kept none.
    pub(super) fn kept_records(&self, side: &str) -> Result<Option<LogicalPlan>> {
        if self.weight.is_none() || self.read.schema().index_of(CELL_RECORDS).is_err() {
            return Ok(None);
        }
        let id = format!("{side}_id");
        let mut columns = vec![column(CELL_RECORDS).alias(&id), lit(true).alias(side)];
        for (at, key) in self.keys.iter().enumerate() {
            columns.push(key.clone().alias(format!("{side}{at}")));
        }
        let mut plan = LogicalPlanBuilder::scan(
            self.named.clone(),
            provider_as_source(self.read.clone()),
            None,
        )?
        .filter(self.inside())?
        .project(columns)?;
        // A table kept of kept rows keeps lists of their lists.
        let listed = |plan: &LogicalPlanBuilder| {
            let field = plan.schema().field_with_unqualified_name(&id);
            field.is_ok_and(|f| matches!(f.data_type(), DataType::List(_)))
        };
        while listed(&plan) {
            plan = plan.unnest_column(Column::new_unqualified(&id))?;
        }
        // A cell of no records kept none.
        let plan = plan.filter(column(&id).is_not_null())?.build()?;
        Ok(Some(plan))
    }
}

/// The plan counting the records of two releases' cells by the cell they
/// are in under each (a record in one release's cells only, under none
/// of the other's); none where either cannot say which records its cells
/// hold. Two releases of one table judge each row once, unless a filter
/// reads a subquery; others match their records by id.
pub(crate) fn overlap(
    earlier: &Cells,
    new: &Cells,
    partitions: usize,
) -> Result<Option<LogicalPlan>> {
    if Arc::ptr_eq(&earlier.table, &new.table) && !earlier.by_id && !new.by_id {
        let mut columns = earlier.cell(EARLIER)?;
        columns.extend(new.cell(NEW)?);
        let groups: Vec<Expr> = columns
            .iter()
            .map(|c| column(&c.schema_name().to_string()))
            .collect();
        let records = match &new.weight {
            Some(weight) => {
                columns.push(weight.clone().alias(WEIGHT));
                cast(sum(column(WEIGHT)), DataType::Int64)
            }
            None => count_all(),
        };
        let plan =
            LogicalPlanBuilder::scan(new.table.name(), provider_as_source(new.read.clone()), None)?
                .project(columns)?
                .filter(column(EARLIER).or(column(NEW)))?
                .aggregate(groups, vec![records.alias(OVERLAP)])?
                .build()?;
        return Ok(Some(plan));
    }
    // Two products' tables share no records.
    let made = earlier.table.is_made() || new.table.is_made();
    if !made && !Arc::ptr_eq(&earlier.table, &new.table) {
        return Ok(None);
    }
    let (Some(left), Some(right)) = (
        earlier.records(EARLIER, partitions)?,
        new.records(NEW, partitions)?,
    ) else {
        return Ok(None);
    };
    let ids = |side: &str| vec![Column::new_unqualified(format!("{side}_id"))];
    let mut groups = Vec::new();
    for (side, keys) in [(EARLIER, earlier.keys.len()), (NEW, new.keys.len())] {
        let inside = coalesce(vec![column(side), lit(false)]).alias(side);
        groups.push(inside);
        groups.extend((0..keys).map(|at| column(&format!("{side}{at}"))));
    }
    let plan = LogicalPlanBuilder::from(left)
        .join_detailed(
            right,
            JoinType::Full,
            (ids(EARLIER), ids(NEW)),
            None,
            NullEquality::NullEqualsNothing,
        )?
        .aggregate(groups, vec![count_all().alias(OVERLAP)])?
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
    let mut sizes: [HashMap<Key, u64>; 2] = Default::default();
    let mut shared: HashMap<(Key, Key), u64> = HashMap::new();
    for batch in batches {
        let schema = batch.schema();
        let side = |name: &str, keys: usize| -> Result<(Vec<bool>, Vec<Key>)> {
            let inside = batch.column(schema.index_of(name)?).as_boolean().clone();
            let rows = keys_of(batch, |at| format!("{name}{at}"), keys)?;
            let inside = (0..batch.num_rows())
                .map(|row| inside.is_valid(row) && inside.value(row))
                .collect();
            Ok((inside, rows))
        };
        let (in_earlier, earlier_keys) = side(EARLIER, earlier.keys.len())?;
        let (in_new, new_keys) = side(NEW, new.keys.len())?;
        let records = batch
            .column(schema.index_of(OVERLAP)?)
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

/// A cell's keys as text.
pub(super) type Key = Vec<Option<String>>;

/// Each row's cell keys: the columns named `name(0)`, `name(1)`, … up
/// to `keys`, as text.
pub(super) fn keys_of(
    batch: &RecordBatch,
    name: impl Fn(usize) -> String,
    keys: usize,
) -> Result<Vec<Key>> {
    let schema = batch.schema();
    let mut texts = Vec::with_capacity(keys);
    for at in 0..keys {
        let key = batch.column(schema.index_of(&name(at))?);
        texts.push(compute::cast(key, &DataType::Utf8)?);
    }
    let key = |row: usize| {
        let text = |t: &Arc<dyn Array>| {
            let t = t.as_string::<i32>();
            t.is_valid(row).then(|| t.value(row).to_owned())
        };
        texts.iter().map(text).collect()
    };
    Ok((0..batch.num_rows()).map(key).collect())
}

/// `expr`, read over the result of `chain` (operators that carry their
/// input's columns), read over the chain's bottom instead.
pub(super) fn below(expr: Expr, chain: &[LogicalPlan]) -> Result<Expr> {
    chain.iter().try_fold(expr, through)
}

/// `expr`, read over `node`'s result, read over its input instead.
fn through(expr: Expr, node: &LogicalPlan) -> Result<Expr> {
    let schema = node.schema();
    expr.transform(|e| {
        let Expr::Column(c) = &e else {
            return Ok(Transformed::no(e));
        };
        let at = schema.index_of_column(c)?;
        Ok(Transformed::yes(match node {
            LogicalPlan::Projection(projection) => unaliased(&projection.expr[at]).clone(),
            other => Expr::Column(Column::from(other.inputs()[0].schema().qualified_field(at))),
        }))
    })
    .map(|t| t.data)
}

/// `expr` over the table's columns by name alone: each release may have
/// named the table otherwise (`FROM t AS a`).
pub(super) fn unqualified(expr: Expr) -> Result<Expr> {
    expr.transform(|e| {
        Ok(match e {
            Expr::Column(c) => Transformed::yes(Expr::Column(Column::new_unqualified(c.name))),
            other => Transformed::no(other),
        })
    })
    .map(|t| t.data)
}
