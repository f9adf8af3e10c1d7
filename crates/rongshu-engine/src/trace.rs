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
//! Below a join or union an input row may be a copy of a record: then
//! records are counted by their ids ([`copies`]).
//!
//! A table made from an aggregation keeps those columns after its own
//! ([`kept`]), so that rows later read from it (through the same
//! operators) still stand for their records and contributions: releasing
//! them checks what releasing the aggregation would have. An aggregation
//! over such a table adds up the records its rows stand for; a sum of a
//! kept count counts records, a sum of a kept total composes its
//! contributions, and a sum of anything else takes each row as one.

mod copies;
mod earlier;
mod filtered;
mod holds;
mod joined;
mod kept;
mod lattice;
mod means;
mod per_record;
mod second_largest;
mod shared;
mod splits;

use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::source_as_provider;
use datafusion::error::Result;
use datafusion::functions::core::expr_fn::{coalesce, least, nullif};
use datafusion::functions::math::expr_fn::abs;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{
    Aggregate, Expr, ExprFunctionExt, GroupingSet, LogicalPlan, Projection, TableScan, lit,
};

pub(crate) use copies::{RECORD_ID, RowIds, identified_rows};
pub(crate) use earlier::{Cells, fewest_differing, overlap};
pub(crate) use filtered::before_filters;
pub(crate) use holds::Holds;
pub(crate) use joined::{
    RecordCells, fewest_differing as fewest_differing_records, overlap as records_overlap,
};
use kept::{Contributions, Input, KeptInput, KeptTables};
pub(crate) use kept::{
    KeptTable, cleared, holds_copies, is_marked, is_upload, keeps_trace, mark, record_ids,
    shown_fields, upload,
};
use second_largest::second_largest;
pub(crate) use shared::{SharedInput, Step};

const RECORDS: &str = "__rongshu_records";
const DIFFERENCES: &str = "__rongshu_differences";

/// How the result's extra columns are to be read.
#[derive(Debug, Default)]
pub(crate) struct Tracing {
    /// Columns of the result the user asked for; the extras follow them.
    pub(crate) user_columns: usize,
    pub(crate) shape: Shape,
    /// Each count aggregate: its label and its extra column.
    pub(crate) counts: Vec<(String, String)>,
    /// The user's columns that show a count, with its label.
    pub(crate) count_columns: Vec<(usize, String)>,
    /// The user's columns that show their cell's record count as it is:
    /// `count(*)`, with no filter and not of distinct values.
    pub(crate) record_count_columns: Vec<usize>,
    /// The user's columns computed from a count rather than showing it.
    pub(crate) count_computing_columns: Vec<usize>,
    /// Whether a filter above the counts reads one (`HAVING count(*) % 5
    /// = 2` shows each kept count exactly).
    pub(crate) filters_on_counts: bool,
    /// Where a filter dropped cells by their record counts, here or in a
    /// kept table read (`HAVING count(*) >= 10`): the least count kept,
    /// the weakest of several.
    pub(crate) suppressed_below: Option<u64>,
    /// The user's columns that show a mean of values, and how.
    pub(crate) mean_columns: Vec<(usize, means::Mean)>,
    /// The extra columns of the step each mean's values lie on.
    pub(crate) lattices: Vec<String>,
    /// Each measure: its label and the extra column counting the records
    /// it draws on.
    pub(crate) contributors: Vec<(String, String)>,
    /// Each filtered measure: its label and the extra column counting the
    /// records its filter chose.
    pub(crate) chosen: Vec<(String, String)>,
    /// Each sum or mean: its label and the extra columns holding the sum
    /// of magnitudes, the largest and the second largest.
    pub(crate) totals: Vec<(String, [String; 3])>,
    /// The user's columns that show a sum, with its label.
    pub(crate) total_columns: Vec<(usize, String)>,
    /// The user's columns that show anything but a group key.
    pub(crate) measure_columns: Vec<usize>,
    /// Inputs and parts of the release to run first, in order.
    pub(crate) steps: Vec<Step>,
    /// Where records are copied into several cells, the extra column
    /// of the fewest records by which each cell differs from another.
    pub(crate) differences: Option<String>,
    /// Where two filters or more split cells' records, the extra column
    /// of the fewest records each cell's filters treat alike.
    pub(crate) splits: Option<String>,
    /// Whether a table made of the result may keep the trace: not if a
    /// record stands behind several of its rows (grouping sets).
    pub(crate) keepable: bool,
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
    /// Its mean columns with their values' steps read from the rows the
    /// traced plan gave ([`means::Mean::settled`]).
    pub(crate) fn settled_means(
        &self,
        batches: &[RecordBatch],
    ) -> Result<Vec<(usize, means::Mean)>> {
        let settle = |(at, mean): &(usize, means::Mean)| Ok((*at, mean.settled(batches)?));
        self.mean_columns.iter().map(settle).collect()
    }

    pub(crate) fn records_column(&self) -> Option<&str> {
        (self.shape == Shape::Aggregated).then_some(RECORDS)
    }
}

/// The workspace a release or a made table is traced through.
pub(crate) struct Workspace {
    /// Every table, as queries read it.
    pub(crate) tables: Vec<Arc<dyn TableProvider>>,
    /// The tables that keep a trace, by name, as read and whole.
    pub(crate) kept: KeptTables,
    /// The tables whose rows are records (not uploads): as queries read
    /// them, and whole, to be read with ids where a query copies rows or
    /// makes a table of them.
    pub(crate) records: Vec<(Arc<dyn TableProvider>, Arc<crate::Table>)>,
    pub(crate) partitions: usize,
}

impl Workspace {
    /// What the rows `scan` reads are, with their records' ids.
    fn identified(&self, scan: &TableScan) -> Result<copies::Identity> {
        let found = self.records.iter().find(|(shown, _)| scans(scan, shown));
        Ok(match found {
            None => copies::Identity::NoRecords,
            Some((_, table)) => match table.identified_provider(self.partitions)? {
                Some((provider, ids)) => copies::Identity::Ids(provider, ids),
                None => copies::Identity::Untold,
            },
        })
    }

    /// Whether `scan` reads a made table whose rows may copy records.
    fn holds_copies(&self, scan: &TableScan) -> bool {
        self.records
            .iter()
            .any(|(shown, table)| scans(scan, shown) && table.holds_copies())
    }

    /// What each column of `plan`'s result holds, for a table made of it.
    pub(crate) fn holds(&self, plan: &LogicalPlan) -> Vec<Holds> {
        let reader = holds::Reader::new(&self.tables);
        (0..plan.schema().fields().len())
            .map(|at| reader.column(plan, at))
            .collect()
    }
}

/// The plan to run for a release and how to read its extra columns.
pub(crate) fn trace(plan: LogicalPlan, workspace: &Workspace) -> Result<(LogicalPlan, Tracing)> {
    traced(plan, workspace, false)
}

/// As [`trace`], for a table to be kept: an aggregation's rows also keep
/// the ids of their records, to compare releases by
/// ([`earlier::cell_records`]).
pub(crate) fn trace_to_keep(
    plan: LogicalPlan,
    workspace: &Workspace,
) -> Result<(LogicalPlan, Tracing)> {
    traced(plan, workspace, true)
}

fn traced(plan: LogicalPlan, workspace: &Workspace, keep: bool) -> Result<(LogicalPlan, Tracing)> {
    let user_columns = plan.schema().fields().len();
    // A random draw is drawn again by every fact that reads it: the facts
    // would be of other rows than the result's.
    let random = reads_anywhere(&plan, |n| n.expressions().iter().any(Expr::is_volatile));
    let (chain, node) = down_chain(plan);
    if random {
        return untraced(chain, node, user_columns);
    }
    // A subquery above the records, or in the aggregation, shows what it
    // reads without its records behind any cell.
    let reads_aside = |n: &LogicalPlan| n.expressions().iter().any(has_subquery);
    let aggregation = matches!(node, LogicalPlan::Aggregate(_)).then_some(&node);
    if chain.iter().chain(aggregation).any(reads_aside) {
        return untraced(chain, node, user_columns);
    }
    let projected = chain
        .iter()
        .any(|n| matches!(n, LogicalPlan::Projection(_)));
    if let Some((scan, full)) = kept::scan(&node, &workspace.kept)
        && projected
    {
        return kept::through_rows(chain, scan, full, user_columns);
    }
    let LogicalPlan::Aggregate(aggregate) = node else {
        if contains_aggregation(&node) {
            return untraced(chain, node, user_columns);
        }
        let plan = rebuild(chain, node, &[])?;
        return Ok((
            plan,
            Tracing {
                user_columns,
                shape: Shape::RowLevel,
                ..Tracing::default()
            },
        ));
    };
    if !projected {
        // SQL plans a projection above every aggregation; without one the
        // extras would have nowhere to go.
        return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
    }
    through_aggregate(chain, aggregate, workspace, user_columns, keep)
}

/// The plan as it is, its result untraceable.
fn untraced(
    chain: Vec<LogicalPlan>,
    bottom: LogicalPlan,
    user_columns: usize,
) -> Result<(LogicalPlan, Tracing)> {
    let tracing = Tracing {
        user_columns,
        ..Tracing::default()
    };
    Ok((rebuild(chain, bottom, &[])?, tracing))
}

/// The aggregate functions a release may show: what they say of their
/// records can be checked. A minimum, maximum, median or any other
/// order statistic is one record's value; `grouping` says nothing of them.
const MEASURES: [&str; 7] = [
    "count",
    "sum",
    "avg",
    "stddev",
    "stddev_pop",
    "var",
    "var_pop",
];

/// An aggregation widened to count the records behind each cell, the
/// records each measure draws on and the contributions to each sum or
/// mean, the operators above carrying them.
fn through_aggregate(
    chain: Vec<LogicalPlan>,
    aggregate: Aggregate,
    workspace: &Workspace,
    user_columns: usize,
    keep: bool,
) -> Result<(LogicalPlan, Tracing)> {
    // Grouping sets put a record behind several rows.
    let sets = aggregate
        .group_expr
        .iter()
        .any(|e| matches!(e, Expr::GroupingSet(_)));
    // Cells of one set differ from those of another by the records in
    // one only: where each set refines the last, by whole cells of the
    // finest, each checked, unless a filter or limit above hides some
    // (`ROLLUP (a) HAVING count(*) >= 10` shows a small cell as its
    // subtotal less the cells shown). `GROUPING SETS ((a), (b))` or a
    // cube compare cells that may differ by one record.
    let hides = chain
        .iter()
        .any(|n| matches!(n, LogicalPlan::Filter(_) | LogicalPlan::Limit(_)));
    if sets && (hides || !nested_sets(&aggregate.group_expr)) {
        return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
    }
    let mut tracing = Tracing {
        user_columns,
        shape: Shape::Aggregated,
        keepable: !sets,
        ..Tracing::default()
    };
    let (input, kept, counting) = match KeptInput::of(&aggregate, &workspace.kept)? {
        Input::Rows => match copies::Records::of(&aggregate.input, workspace)? {
            copies::Records::Rows => (aggregate.input.clone(), None, Counting::Rows),
            copies::Records::Copied(input, ids) if ids.is_empty() => {
                (Arc::new(input), None, Counting::Rows)
            }
            copies::Records::Copied(input, ids) => {
                let (shared, read) = SharedInput::of(used_only(input, &aggregate, &ids)?)?;
                tracing.steps.push(Step::Fill(shared));
                (Arc::new(read), None, Counting::Ids(ids))
            }
            copies::Records::Untraceable => {
                return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
            }
        },
        Input::Kept(kept) => {
            let (input, kept) = *kept;
            (Arc::new(input), Some(kept), Counting::Kept)
        }
        Input::Untraceable => {
            return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
        }
    };
    let copied = matches!(counting, Counting::Ids(_));
    // Each record's copies are taken cell by cell, which grouping sets,
    // putting a row in several cells, do not allow.
    if copied && sets {
        return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
    }
    // Copied, a record may stand behind several cells: a table kept of
    // them could not add their records up.
    tracing.keepable &= !copied;
    let mut extras = Extras::default();
    extras.records(RECORDS, &counting, None)?;
    let mut input = input;
    if keep
        && !copied
        && let Some((carried, cell_records)) = earlier::cell_records(&input, workspace)?
    {
        input = Arc::new(carried);
        extras.aggregates.extend(cell_records);
    }
    let reader = holds::Reader::new(&workspace.tables);
    let mut summed = Vec::new();
    // Measures computed on counts, which rounding cannot reach.
    let mut on_counts = Vec::new();
    // The values each sum adds up, and each other mean's, with its label.
    let mut sums = Vec::new();
    let mut means = Vec::new();
    let groups = aggregate.group_expr_len()?;
    // Kept counts a filter read exactly, added up: rounding cannot reach
    // them.
    let mut filtered_counts = false;
    for (at, expr) in aggregate.aggr_expr.iter().enumerate() {
        let Some(function) = aggregate_function(expr) else {
            return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
        };
        let name = function.func.name();
        if name == "grouping" {
            continue;
        }
        let contributions = match &kept {
            Some(kept) => kept.contributions(aggregate.input.schema(), expr),
            None => Some(Contributions::Rows),
        };
        let params = &function.params;
        let arg = params.args.first();
        // Kept contributions are checked as the kept table says; rows' by
        // what the argument holds.
        let holds = match (&contributions, arg) {
            (Some(Contributions::Rows), Some(arg)) => reader.argument(&aggregate.input, arg),
            _ => Holds::Values,
        };
        // A product of values adds up where each factor's zeros and nulls
        // are choices of records, checked as a filter's are, and its
        // values weight records apart as filters split them; a count
        // takes the records its product is not null in, as of any value.
        let (holds, factors) = match (holds, arg) {
            (Holds::Product, Some(arg)) => match reader.value_factors(&aggregate.input, arg) {
                // One factor (`x * x`) weights nothing.
                Some(factors) if name != "count" && factors.len() > 1 => (Holds::Values, factors),
                Some(_) => (Holds::Values, Vec::new()),
                None => return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns),
            },
            _ => (holds, Vec::new()),
        };
        // A sum of distinct values is not a sum of the records' values.
        let checkable = MEASURES.contains(&name)
            && holds.adds_up()
            && (name == "count" || !params.distinct && arg.is_some());
        // Over copies, a sum of values weights each record by its copies,
        // which the researcher's join conditions choose: two such sums (or
        // one and its filtered twin) solve for one record's value. Counts
        // are followed, each record's copies one contribution to them.
        let weighted = copied && name != "count" && holds == Holds::Values;
        let (Some(contributions), true) = (contributions, checkable && !weighted) else {
            return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
        };
        filtered_counts |= contributions.kept().is_some_and(|m| m.filtered_on);
        let condition = |also: Option<Expr>| {
            let filter = params.filter.as_deref().cloned().into_iter().chain(also);
            filter.reduce(Expr::and)
        };
        let filtered = |e: Expr, also: Option<Expr>| match condition(also) {
            Some(filter) => unaliased(&e).clone().filter(filter).build(),
            None => Ok(e),
        };
        let label = expr.schema_name().to_string();
        // The records the measure draws on: a count's own, those whose
        // value a sum or mean adds (not zero), or a count of distinct
        // values takes (not null).
        let drawn_name = format!("__rongshu_drawn_{at}");
        match (contributions.kept(), name) {
            (Some(m), _) => extras.push(filtered(sum(column(&m.drawn)), None)?, &drawn_name),
            (None, "count") if matches!(counting, Counting::Rows) && !params.distinct => {
                extras.push(unaliased(expr).clone(), &drawn_name)
            }
            (None, _) => {
                let with_value = match name {
                    // `count(*)` counts every record: no condition, so
                    // that its records are counted once with the cell's.
                    "count" => params
                        .args
                        .iter()
                        .filter(|a| holds::literal(a).is_none_or(ScalarValue::is_null))
                        .cloned()
                        .map(Expr::is_not_null)
                        .reduce(Expr::and),
                    // A mean of a few values among zeros is their sum.
                    _ => arg.map(|arg| arg.clone().not_eq(lit(0_i64))),
                };
                match (&counting, name) {
                    // Counting kept rows counts cells, each there or not
                    // by its records: it draws on the fewest of a cell.
                    (Counting::Kept, "count") => {
                        extras.push(filtered(min(column(RECORDS)), with_value)?, &drawn_name)
                    }
                    _ => extras.records(&drawn_name, &counting, condition(with_value))?,
                }
            }
        };
        tracing.contributors.push((label.clone(), drawn_name));
        // The records its filter chose, if it has one: what it leaves out
        // of its cell shows by difference.
        let filter = params.filter.is_some();
        let chosen_name = |k: usize| match k {
            0 => format!("__rongshu_chosen_{at}"),
            k => format!("__rongshu_chosen_{at}_{k}"),
        };
        match contributions.kept() {
            Some(m) if filter || m.chosen.is_some() => {
                let chosen = sum(column(m.chosen.as_deref().unwrap_or(RECORDS)));
                extras.push(filtered(chosen, None)?, &chosen_name(0));
                // Which of its records a kept filter chose is not kept.
                extras.choices.push(None);
                tracing.chosen.push((label.clone(), chosen_name(0)));
            }
            Some(_) => {}
            None => {
                let selects = match arg {
                    // A count takes the rows its argument is not null in:
                    // beside `count(*)` it shows how many it left out.
                    Some(arg) if name == "count" && !params.distinct => holds::literal(arg)
                        .is_none()
                        .then(|| arg.clone().is_not_null()),
                    Some(arg) => {
                        let case = reader.chooses(&aggregate.input, arg, name != "count");
                        // A mean is a sum over a count of the values not
                        // null: beside the sum, it gives that count.
                        let counted = (name != "sum" && holds::literal(arg).is_none())
                            .then(|| arg.clone().is_not_null());
                        case.into_iter().chain(counted).reduce(Expr::and)
                    }
                    None => None,
                };
                let choices: Vec<Option<Expr>> = if factors.is_empty() {
                    (filter || selects.is_some())
                        .then_some(selects)
                        .into_iter()
                        .collect()
                } else {
                    // Each factor's values weight the records the product
                    // multiplies apart (see `splits`).
                    let multiplied = factors.iter().map(holds::counted);
                    if let Some(multiplied) =
                        condition(multiplied.chain(selects.clone()).reduce(Expr::and))
                    {
                        let weights = factors.iter().map(|f| (f.clone(), multiplied.clone()));
                        extras.weights.extend(weights);
                    }
                    let left_out = holds::left_out(&factors).into_iter();
                    left_out
                        .map(|out| selects.clone().into_iter().chain([!out]).reduce(Expr::and))
                        .collect()
                };
                for (k, choice) in choices.into_iter().enumerate() {
                    let chosen = condition(choice);
                    extras.choice(chosen.clone());
                    match &counting {
                        Counting::Ids(ids) => {
                            let chosen = chosen.unwrap_or(lit(true));
                            extras.left_out(&chosen_name(k), chosen, ids.len())
                        }
                        _ => extras.records(&chosen_name(k), &counting, chosen)?,
                    }
                    tracing.chosen.push((label.clone(), chosen_name(k)));
                }
            }
        }
        let names = [
            format!("__rongshu_total_{at}"),
            format!("__rongshu_top1_{at}"),
            format!("__rongshu_top2_{at}"),
        ];
        let per_record = matches!(counting, Counting::Ids(_)) && !params.distinct;
        if let Counting::Ids(ids) = &counting
            && per_record
        {
            // What each record adds to the cell, a total a table.
            let contribution = match arg.filter(|_| name != "count") {
                Some(arg) => filtered(sum(arg.clone()), None)?,
                None => unaliased(expr).clone(),
            };
            let totals: Vec<[String; 3]> = (0..ids.len())
                .map(|table| names.clone().map(|n| format!("{n}_{table}")))
                .collect();
            for names in &totals {
                tracing.totals.push((label.clone(), names.clone()));
            }
            extras.per_record.measures.push(per_record::Measure {
                contribution,
                totals,
            });
        }
        if name == "count" {
            let count = format!("__rongshu_count_{at}");
            extras.push(unaliased(expr).clone(), &count);
            tracing.counts.push((label, count));
            continue;
        }
        let Some(arg) = arg else { continue };
        let adds_counts = matches!(contributions, Contributions::Records(_));
        let values = Values::of(arg, params.filter.as_deref(), &aggregate.input);
        match name {
            "sum" => {
                summed.push(label.clone());
                sums.push(values);
            }
            // A mean of one number a record (or of counts) is a share of
            // counts, k / n; rounding leaves it exact.
            "avg" | "mean" if adds_counts || holds == Holds::Uniform => {
                on_counts.push(label.clone())
            }
            // So is a variance of one number a record: k (n - k) / n².
            _ if holds == Holds::Uniform => on_counts.push(label.clone()),
            "avg" | "mean" | "var" | "var_pop" | "var_samp" | "stddev" | "stddev_pop"
            | "stddev_samp" => {
                let mean = means::Mean::of(arg, &aggregate.input, name, at);
                if mean.lattice().is_some() {
                    let column = means::Mean::lattice_column(at);
                    extras.push(filtered(lattice::lattice(arg.clone()), None)?, &column);
                    tracing.lattices.push(column);
                }
                means.push(Spread {
                    label: label.clone(),
                    values,
                    column: groups + at,
                    mean,
                    divides: matches!(name, "avg" | "mean"),
                });
            }
            _ => {}
        }
        if !per_record {
            let [total, top1, top2] = contributed(arg, contributions);
            extras.push(filtered(total, None)?, &names[0]);
            extras.push(filtered(top1, None)?, &names[1]);
            extras.push(filtered(top2, None)?, &names[2]);
            tracing.totals.push((label.clone(), names));
        }
        if name == "sum" && (adds_counts || holds == Holds::Uniform) {
            // A sum of counts, or of one number a record, is a count (of
            // none where no record was chosen); a sum of fives is five
            // times one, which rounding to five would leave exact.
            if !adds_counts && !holds::counts_ones(arg) {
                on_counts.push(label.clone());
            }
            let count = format!("__rongshu_count_{at}");
            let summed = filtered(unaliased(expr).clone(), None)?;
            extras.push(coalesce(vec![summed, lit(0_i64)]), &count);
            tracing.counts.push((label, count));
        }
    }
    if let Counting::Ids(ids) = &counting
        && !aggregate.group_expr.is_empty()
    {
        tracing.differences = Some(extras.differences(ids.len()));
    }
    // Two filters or more split a cell's records into groups that their
    // measures' differences show: counted row by row, or record by record
    // over copies; the filters a kept table applied are not kept.
    if extras.splits() {
        let countable = extras.choices.iter().all(Option::is_some);
        // Row by row the groups are counted by running the input again,
        // which must give the same rows: a limit or a window's ties may
        // not.
        let rerun = |n: &LogicalPlan| matches!(n, LogicalPlan::Limit(_) | LogicalPlan::Window(_));
        let differs = matches!(counting, Counting::Rows) && reads_anywhere(&aggregate.input, rerun);
        if !countable || sets || differs || matches!(counting, Counting::Kept) {
            return untraced(chain, LogicalPlan::Aggregate(aggregate), user_columns);
        }
        tracing.splits = Some(splits::SPLITS.to_owned());
    }
    let fields = aggregate.schema.fields();
    let shown = |at: usize| {
        shows(&chain, at).and_then(|at| fields.get(at).map(|f| (at, f.name().as_str())))
    };
    let counted = |name: &str| tracing.counts.iter().any(|(l, _)| l == name);
    tracing.count_columns = (0..user_columns)
        .filter_map(|at| {
            let (_, name) = shown(at)?;
            counted(name).then(|| (at, name.to_owned()))
        })
        .collect();
    // Over kept rows or copies `count(*)` counts rows, not records.
    let cells = filtered::CellColumn::of_aggregate(&aggregate, workspace)?;
    tracing.record_count_columns = (0..user_columns)
        .filter(|at| shown(*at).is_some_and(|(b, _)| cells[b] == filtered::CellColumn::RecordCount))
        .collect();
    let is_count = |b: usize| fields.get(b).is_some_and(|f| counted(f.name()));
    // Beside the sum of the same values, a mean gives the count it
    // divides by (sum / mean), rounded or not.
    let beside = |m: &Spread| m.divides && sums.contains(&m.values);
    let (beside_sums, means): (Vec<_>, Vec<_>) = means.into_iter().partition(beside);
    let beside_sums: Vec<String> = beside_sums.into_iter().map(|m| m.label).collect();
    // Any other mean or spread, as the columns show it.
    let mean_at = |b: usize| means.iter().find(|m| m.column == b).map(|m| m.mean);
    tracing.mean_columns = (0..user_columns)
        .filter_map(|at| Some((at, means::shown(&chain, at, mean_at)?)))
        .collect();
    let named =
        |b: usize, labels: &[String]| fields.get(b).is_some_and(|f| labels.contains(f.name()));
    let is_on_counts = |b: usize| named(b, &on_counts) || named(b, &beside_sums);
    let computes = |b: usize| is_count(b) || named(b, &beside_sums);
    (tracing.count_computing_columns, tracing.filters_on_counts) =
        computing_on_counts(&chain, user_columns, is_on_counts, computes);
    tracing.suppressed_below = filtered::suppressed_below(&chain, &cells);
    if let Some(kept) = &kept {
        // Kept rows chosen by their exact counts, as `HAVING` would.
        tracing.filters_on_counts |= filtered_counts || kept.suppresses().is_some();
        tracing.suppressed_below =
            filtered::weakest(tracing.suppressed_below, kept.suppressed_below());
    }
    tracing.total_columns = (0..user_columns)
        .filter_map(|at| {
            let (_, name) = shown(at)?;
            summed
                .iter()
                .any(|l| l == name)
                .then(|| (at, name.to_owned()))
        })
        .collect();
    tracing.measure_columns = (0..user_columns)
        .filter(|at| shown(*at).is_none_or(|(at, _)| at >= groups))
        .collect();
    let (widened, names) = extras.widen(input, &aggregate, &counting, &mut tracing.steps)?;
    Ok((rebuild(chain, widened, &names)?, tracing))
}

/// A mean, variance or standard deviation of values an aggregation shows.
struct Spread {
    label: String,
    values: Values,
    /// Its column of the aggregation's output.
    column: usize,
    mean: means::Mean,
    /// Whether it divides their sum by their count (a mean).
    divides: bool,
}

/// The columns a sum or mean reads its values from and the filter
/// choosing them, as the aggregation's input reads them from below its
/// projections (a copy of a column is that column), the filter without
/// what the aggregate leaves out anyway (`x IS NOT NULL`): equal for two
/// measures of values computed from the same columns (`sum(x * 2)` and
/// `avg(x)` give the count as well) however the query named them.
#[derive(PartialEq)]
struct Values(Vec<String>, Option<Expr>);

impl Values {
    fn of(arg: &Expr, filter: Option<&Expr>, input: &LogicalPlan) -> Values {
        let arg = from_below(arg, input);
        let parts = filter.map(|f| from_below(f, input));
        let filter = parts.and_then(|filter| {
            let needless = |p: &Expr| match p {
                Expr::IsNotNull(e) => e
                    .column_refs()
                    .iter()
                    .all(|c| arg.column_refs().contains(c)),
                _ => false,
            };
            let parts = split_conjunction(&filter);
            conjunction(parts.into_iter().filter(|p| !needless(p)).cloned())
        });
        let mut columns: Vec<String> = arg.column_refs().iter().map(|c| c.name.clone()).collect();
        columns.sort();
        Values(columns, filter)
    }
}

/// `expr`, over `plan`'s result, over the node below the operators that
/// carry its columns, unqualified; as it is where it cannot be followed.
fn from_below(expr: &Expr, plan: &LogicalPlan) -> Expr {
    let (chain, _) = down_chain(plan.clone());
    earlier::below(expr.clone(), &chain)
        .and_then(earlier::unqualified)
        .unwrap_or_else(|_| expr.clone())
}

/// Whether each grouping set of `group_expr` holds the columns of the
/// one before it (a rollup), so that its cells split theirs.
fn nested_sets(group_expr: &[Expr]) -> bool {
    group_expr.iter().all(|e| match e {
        Expr::GroupingSet(GroupingSet::Rollup(_)) => true,
        Expr::GroupingSet(GroupingSet::Cube(columns)) => columns.len() <= 1,
        Expr::GroupingSet(GroupingSet::GroupingSets(sets)) => {
            let mut sets: Vec<&Vec<Expr>> = sets.iter().collect();
            sets.sort_by_key(|set| set.len());
            sets.windows(2)
                .all(|pair| pair[0].iter().all(|e| pair[1].contains(e)))
        }
        _ => true,
    })
}

/// How a cell's records are counted.
enum Counting {
    /// Each input row is one record.
    Rows,
    /// Each input row is a kept aggregation's, standing for its records.
    Kept,
    /// Input rows may copy records: the distinct ids each table's records
    /// carry, the fewest of any table.
    Ids(Vec<Column>),
}

/// The aggregates a traced aggregation adds, and the columns computed
/// from per-table counts of records.
#[derive(Default)]
struct Extras {
    /// Each aggregate and its name.
    aggregates: Vec<(Expr, String)>,
    /// Record counts computed from per-table ones (columns the chain
    /// above does not carry).
    combined: Vec<(String, Expr)>,
    /// Measures, filters and counts over copies, taken record by record.
    per_record: per_record::PerRecord,
    /// The records each filtered measure chose, once each: by a
    /// condition on rows, or a kept filter's (none).
    choices: Vec<Option<Expr>>,
    /// Each factor of a product of values, with the records the product
    /// multiplies.
    weights: Vec<(Expr, Expr)>,
}

impl Extras {
    fn push(&mut self, aggregate: Expr, name: &str) {
        self.aggregates.push((aggregate, name.to_owned()));
    }

    /// Whether filters split cells' records: two or more.
    fn splits(&self) -> bool {
        self.choices.len() > 1
    }

    /// A measure's filter choosing the records meeting `condition`.
    fn choice(&mut self, condition: Option<Expr>) {
        let condition = condition.unwrap_or(lit(true));
        if !self.choices.contains(&Some(condition.clone())) {
            self.choices.push(Some(condition));
        }
    }

    /// The records meeting `condition` counted under `name`: over copies,
    /// the fewest of any table that has some (an outer join's missing
    /// side has none), each table's counted record by record.
    fn records(&mut self, name: &str, counting: &Counting, condition: Option<Expr>) -> Result<()> {
        let counted = match counting {
            Counting::Rows => count_all(),
            // Each row stands for the records it keeps.
            Counting::Kept => sum(column(RECORDS)),
            Counting::Ids(ids) => {
                let tables = self.per_record.records(condition, ids.len());
                let fewest = fewest(tables.iter().map(|t| column(t)).collect());
                self.combined.push((name.to_owned(), fewest));
                return Ok(());
            }
        };
        let counted = match condition {
            Some(condition) => unaliased(&counted).clone().filter(condition).build()?,
            None => counted,
        };
        self.push(counted, name);
        Ok(())
    }

    /// The records a filter chose over copies (of `tables` tables), under
    /// `name`, as the check reads them: the cell's records less the
    /// fewest whose rows any table's `condition` changed (each table's
    /// apart: dropping one copy of a record changes what it adds).
    fn left_out(&mut self, name: &str, condition: Expr, tables: usize) {
        let all = self.per_record.records(None, tables);
        let all = fewest(all.iter().map(|t| column(t)).collect());
        let left_out = self.per_record.left_out(condition, tables);
        let changed = fewest(left_out.iter().map(|n| column(n)).collect());
        self.combined.push((name.to_owned(), all - changed));
    }

    /// The column of the fewest records by which each cell differs from
    /// another sharing records with it, of any of `tables` tables.
    fn differences(&mut self, tables: usize) -> String {
        let nearest: Vec<String> = (0..tables)
            .map(per_record::PerRecord::differences)
            .collect();
        let fewest = fewest(nearest.iter().map(|n| column(n)).collect());
        self.combined.push((DIFFERENCES.to_owned(), fewest));
        DIFFERENCES.to_owned()
    }

    /// `aggregate` over `input` with these aggregates after its own, and
    /// the names of the columns a chain above it is to carry.
    fn widen(
        mut self,
        input: Arc<LogicalPlan>,
        aggregate: &Aggregate,
        counting: &Counting,
        steps: &mut Vec<Step>,
    ) -> Result<(LogicalPlan, Vec<String>)> {
        let mut aggr_expr = aggregate.aggr_expr.clone();
        aggr_expr.extend(
            self.aggregates
                .iter()
                .map(|(e, name)| e.clone().alias(name)),
        );
        let mut widened = LogicalPlan::Aggregate(Aggregate::try_new(
            input.clone(),
            aggregate.group_expr.clone(),
            aggr_expr,
        )?);
        let keys = &aggregate.group_expr;
        let split = self.splits();
        let conditions: Vec<Expr> = self.choices.iter().flatten().cloned().collect();
        let mut names: Vec<String> = self.aggregates.iter().map(|(_, n)| n.clone()).collect();
        match counting {
            Counting::Ids(ids) => {
                if split {
                    let tables = self.per_record.splits(conditions, ids.len());
                    // The fewest of any table: each table's groups show.
                    let fewest = least(tables.iter().map(|t| column(t)).collect());
                    self.combined.push((splits::SPLITS.to_owned(), fewest));
                }
                widened = self.per_record.joined(widened, &input, keys, ids, steps)?;
                names.extend(self.per_record.totals().cloned());
            }
            _ if split => {
                let key = |k: usize| format!("__rongshu_split_key_{k}");
                let alike = "__rongshu_splits_alike";
                let fewest_alike = splits::fewest_alike(&input, keys, &conditions, key, alike)?;
                widened = per_record::join_to_cells(widened, fewest_alike, keys.len(), key)?;
                let mut groups = vec![column(alike)];
                for (at, weight) in self.weights.iter().enumerate() {
                    let key = |k: usize| format!("__rongshu_weight_{at}_key_{k}");
                    let name = format!("__rongshu_weighted_{at}");
                    let apart = splits::weighted_apart(&input, keys, weight, key, &name)?;
                    widened = per_record::join_to_cells(widened, apart, keys.len(), key)?;
                    groups.push(column(&name));
                }
                self.combined
                    .push((splits::SPLITS.to_owned(), fewest(groups)));
            }
            _ => {}
        }
        if self.combined.is_empty() {
            return Ok((widened, names));
        }
        let mut shown: Vec<Expr> = widened
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        for (name, combined) in self.combined {
            shown.push(combined.alias(&name));
            names.push(name);
        }
        let plan = Projection::try_new(shown, Arc::new(widened))?;
        Ok((LogicalPlan::Projection(plan), names))
    }
}

/// `input` with only the columns `aggregate` reads, and the `ids`: it is
/// kept whole in memory.
fn used_only(input: LogicalPlan, aggregate: &Aggregate, ids: &[Column]) -> Result<LogicalPlan> {
    let exprs = aggregate.group_expr.iter().chain(&aggregate.aggr_expr);
    let read: Vec<&Column> = exprs.flat_map(|e| e.column_refs()).chain(ids).collect();
    let reads = |c: &Column| {
        read.iter()
            .any(|r| r.name == c.name && (r.relation.is_none() || r.relation == c.relation))
    };
    let used: Vec<Expr> = input
        .schema()
        .columns()
        .into_iter()
        .filter(|c| reads(c))
        .map(Expr::Column)
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        used,
        Arc::new(input),
    )?))
}

/// The fewest of `counts` that are not zero; zero if all are.
fn fewest(counts: Vec<Expr>) -> Expr {
    let some = counts.into_iter().map(|c| nullif(c, lit(0_i64))).collect();
    coalesce(vec![least(some), lit(0_i64)])
}

/// The sum of magnitudes, the largest and the second largest of the
/// contributions `arg` adds up.
fn contributed(arg: &Expr, contributions: Contributions) -> [Expr; 3] {
    match contributions {
        Contributions::Rows => {
            let magnitude = abs(arg.clone());
            [
                sum(magnitude.clone()),
                max(magnitude.clone()),
                second_largest(vec![magnitude]),
            ]
        }
        // Each record adds one: the two largest are two ones.
        Contributions::Records(_) => [sum(abs(arg.clone())), max(lit(1_i64)), max(lit(1_i64))],
        // The second largest of the rows' two largest each.
        Contributions::Kept([total, top1, top2], _) => [
            sum(column(&total)),
            max(column(&top1)),
            second_largest(vec![column(&top1), column(&top2)]),
        ],
    }
}

/// Whether `scan` reads the workspace table `shown` (not a table function
/// of its name).
fn scans(scan: &TableScan, shown: &Arc<dyn TableProvider>) -> bool {
    source_as_provider(&scan.source).is_ok_and(|read| Arc::ptr_eq(&read, shown))
}

/// Whether `expr` holds a subquery.
fn has_subquery(expr: &Expr) -> bool {
    expr.exists(|e| {
        Ok(matches!(
            e,
            Expr::ScalarSubquery(_)
                | Expr::Exists(_)
                | Expr::InSubquery(_)
                | Expr::SetComparison(_)
        ))
    })
    .unwrap_or(true)
}

fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// The operators that carry columns from the top of `plan` down, and the
/// node below them.
fn down_chain(plan: LogicalPlan) -> (Vec<LogicalPlan>, LogicalPlan) {
    let mut chain = Vec::new();
    let mut node = plan;
    while carries_columns(&node) {
        let child = node.inputs()[0].clone();
        chain.push(node);
        node = child;
    }
    (chain, node)
}

/// The column of the bottom of the chain that the result's column `at`
/// shows, followed down through the operators above it; none if it is
/// computed from columns rather than showing one.
fn shows(chain: &[LogicalPlan], at: usize) -> Option<usize> {
    let mut at = at;
    for node in chain {
        if let LogicalPlan::Projection(projection) = node {
            let Expr::Column(column) = unaliased(projection.expr.get(at)?) else {
                return None;
            };
            at = projection.input.schema().index_of_column(column).ok()?;
        }
    }
    Some(at)
}

/// The columns of the bottom of the chain that the result's column `at`
/// is computed from.
fn reads(chain: &[LogicalPlan], at: usize) -> Vec<usize> {
    let mut read = vec![at];
    for node in chain {
        if let LogicalPlan::Projection(projection) = node {
            let input = projection.input.schema();
            read = read
                .iter()
                .filter_map(|at| projection.expr.get(*at))
                .flat_map(|e| e.column_refs())
                .filter_map(|c| input.index_of_column(c).ok())
                .collect();
        }
    }
    read
}

/// Where a result computes on counts, by the columns of the chain's
/// bottom that are `counted` or already `computed` on: the user's columns
/// showing a computed one or computed from a counted one, and whether a
/// filter of the chain reads a counted one.
fn computing_on_counts(
    chain: &[LogicalPlan],
    user_columns: usize,
    computed: impl Fn(usize) -> bool,
    counted: impl Fn(usize) -> bool + Copy,
) -> (Vec<usize>, bool) {
    let columns = (0..user_columns)
        .filter(|at| match shows(chain, *at) {
            Some(b) => computed(b),
            None => reads(chain, *at).into_iter().any(counted),
        })
        .collect();
    (columns, filters_on(chain, counted))
}

/// Whether a filter of the chain reads a column of its bottom that is
/// `counted`.
fn filters_on(chain: &[LogicalPlan], counted: impl Fn(usize) -> bool) -> bool {
    chain.iter().enumerate().any(|(depth, node)| {
        let LogicalPlan::Filter(filter) = node else {
            return false;
        };
        let input = filter.input.schema();
        filter
            .predicate
            .column_refs()
            .into_iter()
            .filter_map(|c| input.index_of_column(c).ok())
            .flat_map(|at| reads(&chain[depth + 1..], at))
            .any(&counted)
    })
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

/// Whether any node of `plan`, subqueries included, is `found`.
fn reads_anywhere(plan: &LogicalPlan, found: impl Fn(&LogicalPlan) -> bool) -> bool {
    let mut met = false;
    let _ = plan.apply_with_subqueries(|n| {
        met |= found(n);
        Ok(if met {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    met
}

fn contains_aggregation(node: &LogicalPlan) -> bool {
    reads_anywhere(node, |n| {
        matches!(
            n,
            LogicalPlan::Aggregate(_) | LogicalPlan::Distinct(_) | LogicalPlan::Window(_)
        )
    })
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
