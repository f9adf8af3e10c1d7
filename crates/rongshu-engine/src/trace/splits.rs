//! Measures' filters splitting a cell's records. Each filtered measure
//! is checked against its cell (the records it leaves out), but two
//! filters are differenced against each other: `count(*) FILTER (WHERE
//! A)` beside `count(*) FILTER (WHERE A AND name <> 'X')` shows X's row,
//! and three measures can isolate what no two do. Any sum or difference
//! of such measures adds up whole groups of records that every filter
//! treats alike, so each such group in a cell must hold none or enough.
//!
//! A product of values weights records apart alike: `sum(x * y)` less c
//! times `sum(x)` adds up the x of the records whose y is not c, so the
//! records whose factor differs from the cell's most common value of it
//! are such a group too.
//!
//! Where each row is one record, the groups are counted by a second
//! aggregation of the input, by the cell's keys and whether each filter
//! chose the row (and one by each factor's value); the fewest per cell
//! is joined to the cells. Over copies a record is alike another when it
//! has as many rows, and as many meeting each filter
//! ([`super::per_record`]).

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, lit, when};

use super::column;
use super::per_record::cell_keys;

/// The column of the fewest records in a group the filters split off.
pub(super) const SPLITS: &str = "__rongshu_splits";

/// For each cell of `input` grouped by `keys`, the fewest records of any
/// group that `conditions` treat alike, under `name`; its keys named by
/// `key`.
pub(super) fn fewest_alike(
    input: &Arc<LogicalPlan>,
    keys: &[Expr],
    conditions: &[Expr],
    key: impl Fn(usize) -> String,
    name: &str,
) -> Result<LogicalPlan> {
    let chosen = conditions
        .iter()
        .enumerate()
        .map(|(at, c)| c.clone().is_true().alias(format!("__rongshu_split_{at}")));
    let group = keys.iter().cloned().chain(chosen).collect();
    fewest_in_groups(input.as_ref().clone(), group, keys.len(), key, name)
}

/// For each cell of `input` grouped by `keys`, how many of the records a
/// product multiplies (those meeting `multiplied`) have a `factor` other
/// than the cell's most common value of it, if several share that value,
/// under `name`; its keys named by `key`.
pub(super) fn weighted_apart(
    input: &Arc<LogicalPlan>,
    keys: &[Expr],
    (factor, multiplied): &(Expr, Expr),
    key: impl Fn(usize) -> String,
    name: &str,
) -> Result<LogicalPlan> {
    let multiplied = LogicalPlanBuilder::from(input.as_ref().clone())
        .filter(multiplied.clone())?
        .build()?;
    let group = keys
        .iter()
        .cloned()
        .chain([factor.clone().alias("__rongshu_factor")]);
    let (all, most) = (column("__rongshu_all"), column("__rongshu_most"));
    let cells = by_cell(
        multiplied,
        group.collect(),
        keys.len(),
        key,
        [
            sum(column(ALIKE)).alias("__rongshu_all"),
            max(column(ALIKE)).alias("__rongshu_most"),
        ],
    )?;
    let keys = cells.schema().columns()[..keys.len()].to_vec();
    // Values each of one record weight no group apart that the researcher
    // could name without knowing one of them.
    let apart = when(most.clone().gt(lit(1_i64)), all - most)
        .otherwise(lit(0_i64))?
        .alias(name);
    LogicalPlanBuilder::from(cells)
        .project(keys.into_iter().map(Expr::Column).chain([apart]))?
        .build()
}

/// For each cell of `input` (its keys the first `keys` of `group`), the
/// fewest rows of any group of `group`, under `name`; its keys named by
/// `key`.
pub(super) fn fewest_in_groups(
    input: LogicalPlan,
    group: Vec<Expr>,
    keys: usize,
    key: impl Fn(usize) -> String,
    name: &str,
) -> Result<LogicalPlan> {
    by_cell(input, group, keys, key, [min(column(ALIKE)).alias(name)])
}

/// The rows of `input` counted by `group` (under [`ALIKE`]), then
/// aggregated by `measures` for each cell (its keys the first `keys` of
/// `group`, named by `key`).
fn by_cell(
    input: LogicalPlan,
    group: Vec<Expr>,
    keys: usize,
    key: impl Fn(usize) -> String,
    measures: impl IntoIterator<Item = Expr>,
) -> Result<LogicalPlan> {
    let groups = LogicalPlanBuilder::from(input)
        .aggregate(group, [count_all().alias(ALIKE)])?
        .build()?;
    let cell = cell_keys(&groups, keys, key);
    LogicalPlanBuilder::from(groups)
        .aggregate(cell, measures)?
        .build()
}

/// The rows of a group, as [`by_cell`] counts them.
const ALIKE: &str = "__rongshu_alike";
