//! Measures' filters splitting a cell's records. Each filtered measure
//! is checked against its cell (the records it leaves out), but two
//! filters are differenced against each other: `count(*) FILTER (WHERE
//! A)` beside `count(*) FILTER (WHERE A AND name <> 'X')` shows X's row,
//! and three measures can isolate what no two do. Any sum or difference
//! of such measures adds up whole groups of records that every filter
//! treats alike, so each such group in a cell must hold none or enough.
//!
//! Where each row is one record, the groups are counted by a second
//! aggregation of the input, by the cell's keys and whether each filter
//! chose the row; its fewest per cell is joined to the cells. Over
//! copies a record is alike another when it has as many rows, and as
//! many meeting each filter ([`super::per_record`]).

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::min;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};

use super::column;
use super::per_record::cell_keys;

/// The column of the fewest records in a group the filters split off.
pub(super) const SPLITS: &str = "__rongshu_splits";

/// For each cell of `input` grouped by `keys`, the fewest records of any
/// group that `conditions` treat alike, under [`SPLITS`]; its keys named
/// by `key`.
pub(super) fn fewest_alike(
    input: &Arc<LogicalPlan>,
    keys: &[Expr],
    conditions: &[Expr],
    key: impl Fn(usize) -> String,
) -> Result<LogicalPlan> {
    let chosen = conditions
        .iter()
        .enumerate()
        .map(|(at, c)| c.clone().is_true().alias(format!("__rongshu_split_{at}")));
    let group = keys.iter().cloned().chain(chosen).collect();
    fewest_in_groups(input.as_ref().clone(), group, keys.len(), key, SPLITS)
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
    let groups = LogicalPlanBuilder::from(input)
        .aggregate(group, [count_all().alias("__rongshu_alike")])?
        .build()?;
    let cell = cell_keys(&groups, keys, key);
    LogicalPlanBuilder::from(groups)
        .aggregate(cell, [min(column("__rongshu_alike")).alias(name)])?
        .build()
}
