//! What each record adds to a cell where rows may copy records: its
//! copies taken together. Copies of one value would pass for several
//! records' contributions in the dominance check, and a filter dropping
//! one copy of one record (`NOT (a.name = 'X' AND b.k = 3)`) would change
//! a measure by that record's value while leaving every record chosen.
//!
//! So, table by table, the aggregation's input is aggregated again by cell
//! and record, then by cell, and joined back to the cells: each measure's
//! total of magnitudes and two largest contributions, and for each filter
//! the records whose rows it changed.

use std::sync::Arc;

use datafusion::common::{Column, NullEquality};
use datafusion::error::Result;
use datafusion::functions::math::expr_fn::abs;
use datafusion::functions_aggregate::expr_fn::{count, max, sum};
use datafusion::logical_expr::{
    Aggregate, Expr, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder, lit,
};

use super::second_largest::second_largest;

/// A measure whose contributions are each record's.
pub(super) struct Measure {
    /// The aggregate adding up one record's rows in a cell.
    pub(super) contribution: Expr,
    /// Its columns, a set a table the cell's records come from: the sum
    /// of magnitudes, the largest and the second largest contribution.
    pub(super) totals: Vec<[String; 3]>,
}

/// A measure's filter: the records whose rows it changed, a column a
/// table.
pub(super) struct Choice {
    pub(super) condition: Expr,
    pub(super) left_out: Vec<String>,
}

/// The measures and filters of one aggregation over copies.
#[derive(Default)]
pub(super) struct PerRecord {
    pub(super) measures: Vec<Measure>,
    pub(super) choices: Vec<Choice>,
}

const ROWS: &str = "__rongshu_rows";

impl PerRecord {
    /// The columns [`PerRecord::joined`] adds.
    pub(super) fn columns(&self) -> impl Iterator<Item = &String> {
        let totals = self.measures.iter().flat_map(|m| m.totals.iter().flatten());
        totals.chain(self.choices.iter().flat_map(|c| c.left_out.iter()))
    }

    /// `cells` (the aggregation of `input` by `keys`) with these columns
    /// joined to each cell, for each table's records (by `ids`).
    pub(super) fn joined(
        &self,
        cells: LogicalPlan,
        input: &Arc<LogicalPlan>,
        keys: &[Expr],
        ids: &[Column],
    ) -> Result<LogicalPlan> {
        if self.measures.is_empty() && self.choices.is_empty() {
            return Ok(cells);
        }
        let mut plan = cells;
        for (table, id) in ids.iter().enumerate() {
            let records = self.by_record(input, keys, id)?;
            // The cell's keys under names of their own, to join on.
            let key = |k: usize| format!("__rongshu_key_{table}_{k}");
            let cell: Vec<Expr> = records.schema().columns()[..keys.len()]
                .iter()
                .enumerate()
                .map(|(k, c)| Expr::Column(c.clone()).alias(key(k)))
                .collect();
            let by_cell = Aggregate::try_new(Arc::new(records), cell, self.by_cell(table)?)?;
            let by_cell = LogicalPlan::Aggregate(by_cell);
            let cells_keys: Vec<Column> = plan.schema().columns()[..keys.len()].to_vec();
            let builder = LogicalPlanBuilder::from(plan);
            plan = match keys.is_empty() {
                true => builder.cross_join(by_cell)?,
                false => builder.join_detailed(
                    by_cell,
                    JoinType::Left,
                    (cells_keys, (0..keys.len()).map(key).collect::<Vec<_>>()),
                    None,
                    NullEquality::NullEqualsNull,
                )?,
            }
            .build()?;
        }
        Ok(plan)
    }

    /// Each record's rows in each cell taken together: what it adds to
    /// each measure, how many rows it has, and how many each filter took.
    fn by_record(
        &self,
        input: &Arc<LogicalPlan>,
        keys: &[Expr],
        id: &Column,
    ) -> Result<LogicalPlan> {
        let by_record = keys.iter().cloned().chain([Expr::Column(id.clone())]);
        let mut added: Vec<Expr> = self
            .measures
            .iter()
            .enumerate()
            .map(|(m, measure)| measure.contribution.clone().alias(contribution(m)))
            .collect();
        added.push(count(lit(1)).alias(ROWS));
        for (c, choice) in self.choices.iter().enumerate() {
            let taken = count(lit(1)).filter(choice.condition.clone()).build()?;
            added.push(taken.alias(taken_rows(c)));
        }
        let records = Aggregate::try_new(input.clone(), by_record.collect(), added)?;
        Ok(LogicalPlan::Aggregate(records))
    }

    /// What a cell's records add up to, for the table `table`.
    fn by_cell(&self, table: usize) -> Result<Vec<Expr>> {
        let mut aggregates = Vec::new();
        for (m, measure) in self.measures.iter().enumerate() {
            let magnitude = abs(column(&contribution(m)));
            let [total, top1, top2] = &measure.totals[table];
            aggregates.push(sum(magnitude.clone()).alias(total));
            aggregates.push(max(magnitude.clone()).alias(top1));
            aggregates.push(second_largest(vec![magnitude]).alias(top2));
        }
        for (c, choice) in self.choices.iter().enumerate() {
            let changed = column(ROWS).not_eq(column(&taken_rows(c)));
            let left_out = count(lit(1)).filter(changed).build()?;
            aggregates.push(left_out.alias(&choice.left_out[table]));
        }
        Ok(aggregates)
    }
}

fn contribution(m: usize) -> String {
    format!("__rongshu_contribution_{m}")
}

fn taken_rows(c: usize) -> String {
    format!("__rongshu_taken_{c}")
}

fn column(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}
