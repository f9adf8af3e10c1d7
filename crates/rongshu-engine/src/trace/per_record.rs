//! What each record adds to a cell where rows may copy records: its
//! copies taken together. Copies of one value would pass for several
//! records' contributions in the dominance check, and a filter dropping
//! one copy of one record (`NOT (a.name = 'X' AND b.k = 3)`) would change
//! a measure by that record's value while leaving every record chosen.
//!
//! Copies also put one record behind several cells, and two cells that
//! differ by one record show it by difference
//! (`JOIN b ON b.k = 1 OR (b.k = 2 AND a.name <> 'X') GROUP BY b.k`).
//!
//! So, table by table, the aggregation's input is aggregated again by cell
//! and record, then by cell, and joined back to the cells: each measure's
//! total of magnitudes and two largest contributions, for each filter the
//! records whose rows it changed, and the fewest records by which the
//! cell differs from another sharing records with it.

use std::sync::Arc;

use datafusion::common::{Column, NullEquality};
use datafusion::error::Result;
use datafusion::functions::math::expr_fn::abs;
use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
use datafusion::logical_expr::{
    Aggregate, Expr, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder, Operator,
    Projection, SubqueryAlias, binary_expr, lit,
};

use super::second_largest::second_largest;
use super::shared::{SharedInput, Step};
use super::splits::{SPLITS, fewest_in_groups};

/// A measure whose contributions are each record's.
pub(super) struct Measure {
    /// The aggregate adding up one record's rows in a cell.
    pub(super) contribution: Expr,
    /// Its columns, a set a table the cell's records come from: the sum
    /// of magnitudes, the largest and the second largest contribution.
    pub(super) totals: Vec<[String; 3]>,
}

/// A measure's filter: the records whose rows it changed (of those of
/// the count `taken` took), a column a table.
struct Choice {
    taken: usize,
    left_out: Vec<String>,
}

/// Records meeting a condition (any, if none): a column a table.
struct Count {
    condition: Option<Expr>,
    tables: Vec<String>,
}

/// The measures, filters and counts of records of one aggregation over
/// copies.
#[derive(Default)]
pub(super) struct PerRecord {
    pub(super) measures: Vec<Measure>,
    choices: Vec<Choice>,
    counts: Vec<Count>,
    /// The counts of the conditions of measures' filters, where two or
    /// more split the records: records alike in all are one group.
    splits: Vec<usize>,
}

/// Each record's rows in a cell: the count of no condition.
const ROWS: &str = "__rongshu_rows";

impl PerRecord {
    /// The columns, a table each of `tables`, that will count a cell's
    /// records with a row meeting `condition`.
    pub(super) fn records(&mut self, condition: Option<Expr>, tables: usize) -> Vec<String> {
        let at = self.count(condition, tables);
        self.counts[at].tables.clone()
    }

    /// The columns, a table each of `tables`, that will count a cell's
    /// records whose rows `condition` changed (took some of, not all).
    pub(super) fn left_out(&mut self, condition: Expr, tables: usize) -> Vec<String> {
        let taken = self.count(Some(condition), tables);
        let at = self.choices.len();
        let left_out: Vec<String> = (0..tables)
            .map(|t| format!("__rongshu_left_out_{at}_{t}"))
            .collect();
        self.choices.push(Choice {
            taken,
            left_out: left_out.clone(),
        });
        left_out
    }

    /// The columns, a table each of `tables`, of the fewest records in a
    /// cell that `conditions` treat alike: with the same rows, and as
    /// many meeting each.
    pub(super) fn splits(&mut self, conditions: Vec<Expr>, tables: usize) -> Vec<String> {
        self.splits = conditions
            .into_iter()
            .map(|c| self.count(Some(c), tables))
            .collect();
        (0..tables).map(|t| format!("{}_{t}", SPLITS)).collect()
    }

    /// The count of records meeting `condition`, once.
    fn count(&mut self, condition: Option<Expr>, tables: usize) -> usize {
        if let Some(found) = self.counts.iter().position(|c| c.condition == condition) {
            return found;
        }
        let at = self.counts.len();
        let tables = (0..tables)
            .map(|t| format!("__rongshu_records_{at}_{t}"))
            .collect();
        self.counts.push(Count { condition, tables });
        at
    }

    /// The measures' totals [`PerRecord::joined`] adds.
    pub(super) fn totals(&self) -> impl Iterator<Item = &String> {
        self.measures.iter().flat_map(|m| m.totals.iter().flatten())
    }

    /// The column of the fewest records by which a cell differs from
    /// another, for the table `table`; null where it shares none.
    pub(super) fn differences(table: usize) -> String {
        format!("__rongshu_nearest_{table}")
    }

    /// `cells` (the aggregation of `input` by `keys`) with these columns
    /// joined to each cell, for each table's records (by `ids`).
    ///
    /// Each table's part runs alone, before the release's plan (its steps
    /// pushed onto `steps`): its records by cell, kept while what is
    /// taken of them runs, then let go. The plan joins what they gave.
    pub(super) fn joined(
        &self,
        cells: LogicalPlan,
        input: &Arc<LogicalPlan>,
        keys: &[Expr],
        ids: &[Column],
        steps: &mut Vec<Step>,
    ) -> Result<LogicalPlan> {
        let mut plan = cells;
        for (table, id) in ids.iter().enumerate() {
            let (kept, records) = SharedInput::of(self.by_record(input, keys, id)?)?;
            steps.push(Step::Fill(kept.clone()));
            let records = Arc::new(records);
            let key = |k: usize| format!("__rongshu_key_{table}_{k}");
            let cell = cell_keys(&records, keys.len(), key);
            let by_cell = self.by_cell(table, &records.schema().columns()[keys.len()])?;
            let by_cell = Aggregate::try_new(records.clone(), cell, by_cell)?;
            let by_cell = run_first(LogicalPlan::Aggregate(by_cell), steps)?;
            plan = join_to_cells(plan, by_cell, keys.len(), key)?;
            // One cell has none to differ from.
            if !keys.is_empty() {
                let key = |k: usize| format!("__rongshu_near_key_{table}_{k}");
                let nearest = run_first(nearest(&records, keys.len(), table, key)?, steps)?;
                plan = join_to_cells(plan, nearest, keys.len(), key)?;
            }
            if !self.splits.is_empty() {
                let key = |k: usize| format!("__rongshu_split_key_{table}_{k}");
                let alike = run_first(self.alike(&records, keys.len(), table, key)?, steps)?;
                plan = join_to_cells(plan, alike, keys.len(), key)?;
            }
            steps.push(Step::Free(kept));
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
        for (c, counted) in self.counts.iter().enumerate() {
            if let Some(condition) = &counted.condition {
                let meeting = count(lit(1)).filter(condition.clone()).build()?;
                added.push(meeting.alias(self.meeting(c)));
            }
        }
        let records = Aggregate::try_new(input.clone(), by_record.collect(), added)?;
        Ok(LogicalPlan::Aggregate(records))
    }

    /// For each cell of `records` (a table's records by cell), the fewest
    /// records alike in their rows and in those meeting each filter;
    /// its keys named by `key`.
    fn alike(
        &self,
        records: &Arc<LogicalPlan>,
        keys: usize,
        table: usize,
        key: impl Fn(usize) -> String,
    ) -> Result<LogicalPlan> {
        let columns = records.schema().columns();
        let mut group: Vec<Expr> = columns[..keys].iter().cloned().map(Expr::Column).collect();
        group.push(column(ROWS));
        group.extend(self.splits.iter().map(|c| column(&self.meeting(*c))));
        // Rows of no record of this table are none of its records.
        let of_records = LogicalPlanBuilder::from(records.as_ref().clone())
            .filter(Expr::Column(columns[keys].clone()).is_not_null())?
            .build()?;
        let name = format!("{SPLITS}_{table}");
        fewest_in_groups(of_records, group, keys, key, &name)
    }

    /// The column of each record's rows meeting the count `c`'s condition.
    fn meeting(&self, c: usize) -> String {
        match self.counts[c].condition {
            Some(_) => format!("__rongshu_meeting_{c}"),
            None => ROWS.to_owned(),
        }
    }

    /// What a cell's records add up to, for the table `table` (its
    /// records' ids in `id`; none where an outer join left it out).
    fn by_cell(&self, table: usize, id: &Column) -> Result<Vec<Expr>> {
        let mut aggregates = Vec::new();
        let record = Expr::Column(id.clone()).is_not_null();
        for (c, counted) in self.counts.iter().enumerate() {
            let meeting = column(&self.meeting(c)).gt(lit(0_i64)).and(record.clone());
            let records = count(lit(1)).filter(meeting).build()?;
            aggregates.push(records.alias(&counted.tables[table]));
        }
        // Rows of no record of this table (an outer join's missing side)
        // are no contribution, and leave no record out.
        let of_record = |e: Expr| e.filter(record.clone()).build();
        for (m, measure) in self.measures.iter().enumerate() {
            let magnitude = abs(column(&contribution(m)));
            let [total, top1, top2] = &measure.totals[table];
            aggregates.push(of_record(sum(magnitude.clone()))?.alias(total));
            aggregates.push(of_record(max(magnitude.clone()))?.alias(top1));
            aggregates.push(of_record(second_largest(vec![magnitude]))?.alias(top2));
        }
        for choice in &self.choices {
            let changed = column(ROWS)
                .not_eq(column(&self.meeting(choice.taken)))
                .and(record.clone());
            let left_out = count(lit(1)).filter(changed).build()?;
            aggregates.push(left_out.alias(&choice.left_out[table]));
        }
        Ok(aggregates)
    }
}

/// `part`, to run before the release's plan, and the plan reading what
/// it gave.
fn run_first(part: LogicalPlan, steps: &mut Vec<Step>) -> Result<LogicalPlan> {
    let (shared, read) = SharedInput::of(part)?;
    steps.push(Step::Fill(shared));
    Ok(read)
}

/// The first `keys` columns of `plan` (a cell's keys), named by `key`.
pub(super) fn cell_keys(
    plan: &LogicalPlan,
    keys: usize,
    key: impl Fn(usize) -> String,
) -> Vec<Expr> {
    plan.schema().columns()[..keys]
        .iter()
        .enumerate()
        .map(|(k, c)| Expr::Column(c.clone()).alias(key(k)))
        .collect()
}

/// `cells` with `by_cell` joined on the cell's keys (its first `keys`
/// columns; in `by_cell`, named by `key`); a NULL key is a key too.
pub(super) fn join_to_cells(
    cells: LogicalPlan,
    by_cell: LogicalPlan,
    keys: usize,
    key: impl Fn(usize) -> String,
) -> Result<LogicalPlan> {
    let cells_keys: Vec<Column> = cells.schema().columns()[..keys].to_vec();
    let builder = LogicalPlanBuilder::from(cells);
    match keys {
        0 => builder.cross_join(by_cell)?,
        _ => builder.join_detailed(
            by_cell,
            JoinType::Left,
            (cells_keys, (0..keys).map(key).collect::<Vec<_>>()),
            None,
            NullEquality::NullEqualsNull,
        )?,
    }
    .build()
}

/// For each cell of `records` (a table's records by cell, their rows
/// counted), the fewest records by which it differs from another cell
/// sharing records with it: those in one of the two only, or with other
/// rows in each. Its keys named by `key`.
fn nearest(
    records: &Arc<LogicalPlan>,
    keys: usize,
    table: usize,
    key: impl Fn(usize) -> String,
) -> Result<LogicalPlan> {
    let k = |k: usize| format!("__rongshu_k{k}");
    let columns = records.schema().columns();
    // Each record in each cell under plain names; rows of no record of
    // this table (an outer join's missing side) are none of its records.
    let mut named = cell_keys(records, keys, k);
    named.push(Expr::Column(columns[keys].clone()).alias("__rongshu_id"));
    named.push(column(ROWS));
    let named = Projection::try_new(named, records.clone())?;
    let named = LogicalPlanBuilder::from(LogicalPlan::Projection(named))
        .filter(column("__rongshu_id").is_not_null())?
        .build()?;
    // Only records behind two cells or more make pairs.
    let behind_several = LogicalPlanBuilder::from(named.clone())
        .aggregate(
            [column("__rongshu_id")],
            [count(lit(1)).alias("__rongshu_cells")],
        )?
        .filter(column("__rongshu_cells").gt(lit(1_i64)))?
        .project([column("__rongshu_id").alias("__rongshu_shared_id")])?
        .build()?;
    let shared = LogicalPlanBuilder::from(named.clone())
        .join_detailed(
            behind_several,
            JoinType::LeftSemi,
            (
                vec![Column::from_name("__rongshu_id")],
                vec![Column::from_name("__rongshu_shared_id")],
            ),
            None,
            NullEquality::NullEqualsNothing,
        )?
        .build()?;
    let side = |alias: &str| -> Result<LogicalPlan> {
        let aliased = SubqueryAlias::try_new(Arc::new(shared.clone()), alias)?;
        Ok(LogicalPlan::SubqueryAlias(aliased))
    };
    let of = |side: &str, name: &str| Expr::Column(Column::new(Some(side), name));
    // Pairs of cells a record stands behind both of.
    let other_cell = (0..keys)
        .map(|at| binary_expr(of("l", &k(at)), Operator::IsDistinctFrom, of("r", &k(at))))
        .reduce(Expr::or)
        .expect("a cell has keys");
    let pairs = LogicalPlanBuilder::from(side("l")?)
        .join_detailed(
            side("r")?,
            JoinType::Inner,
            (
                vec![Column::new(Some("l"), "__rongshu_id")],
                vec![Column::new(Some("r"), "__rongshu_id")],
            ),
            Some(other_cell),
            NullEquality::NullEqualsNothing,
        )?
        .build()?;
    let same_rows = of("l", ROWS).eq(of("r", ROWS));
    let pair_keys: Vec<Expr> = ["l", "r"]
        .iter()
        .flat_map(|s| (0..keys).map(move |at| of(s, &k(at))))
        .collect();
    let shared = LogicalPlanBuilder::from(pairs)
        .aggregate(
            pair_keys,
            [
                count(lit(1)).alias("__rongshu_shared"),
                count(lit(1))
                    .filter(same_rows)
                    .build()?
                    .alias("__rongshu_same"),
            ],
        )?
        .build()?;
    // Each cell's records, beside each side of each pair.
    let sizes = LogicalPlanBuilder::from(named.clone())
        .aggregate(
            (0..keys).map(|at| column(&k(at))),
            [count(lit(1)).alias("__rongshu_size")],
        )?
        .build()?;
    let sized = |plan: LogicalPlan, side: &str, alias: &str| -> Result<LogicalPlan> {
        let sizes =
            LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(sizes.clone()), alias)?);
        let on: Vec<Column> = (0..keys).map(|at| Column::new(Some(side), k(at))).collect();
        let theirs: Vec<Column> = (0..keys)
            .map(|at| Column::new(Some(alias), k(at)))
            .collect();
        LogicalPlanBuilder::from(plan)
            .join_detailed(
                sizes,
                JoinType::Inner,
                (on, theirs),
                None,
                NullEquality::NullEqualsNull,
            )?
            .build()
    };
    let paired = sized(sized(shared, "l", "sl")?, "r", "sr")?;
    // In one cell only, or in both with other rows.
    let differing = of("sl", "__rongshu_size") + of("sr", "__rongshu_size")
        - column("__rongshu_shared")
        - column("__rongshu_same");
    let fewest = min(differing.clone())
        .filter(differing.gt(lit(0_i64)))
        .build()?;
    let by_cell: Vec<Expr> = (0..keys).map(|at| of("l", &k(at)).alias(key(at))).collect();
    LogicalPlanBuilder::from(paired)
        .aggregate(by_cell, [fewest.alias(PerRecord::differences(table))])?
        .build()
}

fn contribution(m: usize) -> String {
    format!("__rongshu_contribution_{m}")
}

fn column(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}
