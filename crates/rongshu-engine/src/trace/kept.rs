//! The trace a table made from an aggregation keeps: its extra columns
//! after the table's own, each marked in its Arrow metadata with what it
//! holds, and the table's own columns that show a measure (anything but a
//! group key) marked too. Queries never see those columns; a release reads
//! through them.
//!
//! Only [`mark`] makes these marks, on a schema it first clears of them,
//! and a table is read as traced only with the schema's own mark: marks a
//! query puts on its columns (`with_metadata`, inherited field metadata)
//! are cleared from every other table ([`cleared`]).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::DFSchema;
use datafusion::datasource::provider_as_source;
use datafusion::error::Result;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, TableScan, TableScanBuilder};

use super::earlier::{CELL, CELL_RECORDS};
use super::filtered::{self, CellColumn, Part, weakest};
use super::means::{self, Mean};
use super::{
    Holds, RECORDS, RowIds, Shape, Tracing, computing_on_counts, down_chain, has_subquery, rebuild,
    scans, shows, unaliased, untraced,
};

/// Field metadata: what a trace column holds.
const ROLE: &str = "rongshu.trace";
/// Field metadata: the aggregate a count or total column traces.
const LABEL: &str = "rongshu.label";
/// Field metadata of a table's own column that shows a measure: a value
/// computed from records (a count, a sum, a mean), not a group key.
const SHOWS_MEASURE: &str = "rongshu.shows-measure";
/// Field metadata of a table's own column that shows a count: its label.
const SHOWS_COUNT: &str = "rongshu.shows-count";
/// Field metadata of a table's own column that shows its row's record
/// count as it was counted (`count(*)`, unfiltered, not distinct).
const COUNTS_RECORDS: &str = "rongshu.counts-records";
/// Field metadata of a table's own column computed from a count.
const COMPUTES_COUNT: &str = "rongshu.computes-count";
/// Field metadata of a table's own column that shows a count a filter
/// read exactly (`HAVING count(*) >= 10`): it counts what it shows, but
/// rounding could not reach it.
const FILTERED_COUNT: &str = "rongshu.filtered-count";
/// Field metadata of a table's own column that shows a sum: its label.
/// (A sum of kept counts shows both.)
const SHOWS_TOTAL: &str = "rongshu.shows-total";
/// Field metadata of a table's own column that shows a mean of values:
/// the step it is shown to, and the values' step if they have one
/// ([`super::means`]).
const MEAN_STEP: &str = "rongshu.mean-step";
const MEAN_GRID: &str = "rongshu.mean-grid";
/// Field metadata of a made table's own column that holds constants or
/// computed values rather than the records' values ([`Holds::mark`]).
pub(super) const HOLDS: &str = "rongshu.holds";
/// Field metadata role of a made row table's hidden column that holds the
/// ids of the records each row copies ([`super::copies`]).
const RECORD_ID_ROLE: &str = "record-id";
/// Field metadata roles of a kept aggregation's columns of the ids of
/// each row's records and its cell's name ([`super::earlier`]).
const CELL_RECORDS_ROLE: &str = "cell-records";
const CELL_ROLE: &str = "cell";
/// Field metadata role of a trace column of the step a mean's values lie
/// on ([`super::lattice`]).
const LATTICE_ROLE: &str = "lattice";
/// Schema metadata of a made row table a record may stand behind several
/// rows of.
const COPIES: &str = "rongshu.copies";
/// Schema metadata of the researcher's own upload.
const UPLOAD: &str = "rongshu.upload";
/// Schema metadata of a table the engine made and marked.
const TRACED: &str = "rongshu.traced";
/// Schema metadata of a kept aggregation whose cells a filter dropped by
/// their record counts: the least count it kept ([`Tracing::suppressed_below`]).
const SUPPRESSED_BELOW: &str = "rongshu.suppressed-below";
const TOTAL_ROLES: [&str; 3] = ["total", "top1", "top2"];

/// `schema` without any of the marks above.
pub(crate) fn cleared(schema: &Schema) -> Schema {
    let ours = |key: &String| key.starts_with("rongshu.");
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| {
            let mut meta = field.metadata().clone();
            meta.retain(|key, _| !ours(key));
            field.as_ref().clone().with_metadata(meta)
        })
        .collect();
    let mut meta = schema.metadata().clone();
    meta.retain(|key, _| !ours(key));
    Schema::new_with_metadata(fields, meta)
}

/// Whether `schema` is one [`mark`] made.
pub(crate) fn is_marked(schema: &Schema) -> bool {
    schema.metadata().contains_key(TRACED)
}

/// Whether `schema` keeps the trace of an aggregation (its records).
pub(crate) fn keeps_trace(schema: &Schema) -> bool {
    schema
        .fields()
        .iter()
        .any(|f| f.metadata().get(ROLE).is_some_and(|r| r == "records"))
}

/// Whether `schema` is a made row table's that may copy records.
pub(crate) fn holds_copies(schema: &Schema) -> bool {
    schema.metadata().contains_key(COPIES)
}

/// The fields of a made row table that hold the ids of its records.
pub(crate) fn record_ids(schema: &Schema) -> Vec<usize> {
    (0..schema.fields().len())
        .filter(|at| {
            schema.field(*at).metadata().get(ROLE).map(String::as_str) == Some(RECORD_ID_ROLE)
        })
        .collect()
}

/// The fields of a table's schema that it shows: those before its trace.
pub(crate) fn shown_fields(schema: &Schema) -> Vec<usize> {
    (0..schema.fields().len())
        .take_while(|at| !schema.field(*at).metadata().contains_key(ROLE))
        .collect()
}

/// An upload's schema: every column numbers the researcher knows, and
/// its rows no records.
pub(crate) fn upload(schema: &Schema) -> SchemaRef {
    let known = vec![Holds::Known; schema.fields().len()];
    let marked = mark(schema, &known, None, &RowIds::default());
    let mut meta = marked.metadata().clone();
    meta.insert(UPLOAD.to_owned(), String::new());
    Arc::new(Schema::new_with_metadata(marked.fields().clone(), meta))
}

/// Whether `schema` is an upload's.
pub(crate) fn is_upload(schema: &Schema) -> bool {
    schema.metadata().contains_key(UPLOAD)
}

/// A made table's schema marked to be kept: what each of its own columns
/// (the first `holds.len()`) holds, and, for a traced result, what its
/// extra columns hold and which of its own show a measure; for rows that
/// stand for records, which extra columns hold their `ids`.
pub(crate) fn mark(
    schema: &Schema,
    holds: &[Holds],
    tracing: Option<&Tracing>,
    ids: &RowIds,
) -> SchemaRef {
    let mut roles: HashMap<&str, (&str, &str)> = HashMap::new();
    for id in &ids.columns {
        roles.insert(id, (RECORD_ID_ROLE, ""));
    }
    if let Some(tracing) = tracing {
        roles.insert(RECORDS, ("records", ""));
        roles.insert(CELL_RECORDS, (CELL_RECORDS_ROLE, ""));
        roles.insert(CELL, (CELL_ROLE, ""));
        for name in &tracing.lattices {
            roles.insert(name, (LATTICE_ROLE, ""));
        }
        for (label, name) in &tracing.counts {
            roles.insert(name, ("count", label));
        }
        for (label, name) in &tracing.contributors {
            roles.insert(name, ("drawn", label));
        }
        for (label, name) in &tracing.chosen {
            roles.insert(name, ("chosen", label));
        }
        if let Some(name) = &tracing.splits {
            roles.insert(name, ("splits", ""));
        }
        for (label, names) in &tracing.totals {
            for (name, role) in names.iter().zip(TOTAL_ROLES) {
                roles.insert(name, (role, label));
            }
        }
    }
    let cleared = cleared(schema);
    let fields: Vec<Field> = cleared
        .fields()
        .iter()
        .enumerate()
        .map(|(at, field)| {
            let mut meta = field.metadata().clone();
            let mut put = |key: &str, value: &str| meta.insert(key.to_owned(), value.to_owned());
            if let Some(mark) = holds.get(at).and_then(|h| h.mark()) {
                put(HOLDS, mark);
            }
            if let Some(tracing) = tracing.filter(|t| at < t.user_columns) {
                if tracing.measure_columns.contains(&at) {
                    put(SHOWS_MEASURE, "");
                }
                if let Some((_, label)) = tracing.count_columns.iter().find(|(c, _)| *c == at) {
                    put(SHOWS_COUNT, label);
                }
                if tracing.record_count_columns.contains(&at) {
                    put(COUNTS_RECORDS, "");
                }
                // A count scaled is computed on; one a filter read is exact.
                let counts = tracing.count_columns.iter().any(|(c, _)| *c == at);
                if tracing.count_computing_columns.contains(&at) {
                    put(COMPUTES_COUNT, "");
                } else if counts && tracing.filters_on_counts {
                    put(FILTERED_COUNT, "");
                }
                if let Some((_, label)) = tracing.total_columns.iter().find(|(c, _)| *c == at) {
                    put(SHOWS_TOTAL, label);
                }
                if let Some((_, mean)) = tracing.mean_columns.iter().find(|(c, _)| *c == at) {
                    put(MEAN_STEP, &mean.step.to_string());
                    if let Some(grid) = mean.kept_grid() {
                        put(MEAN_GRID, &grid.to_string());
                    }
                }
            } else if let Some((role, label)) = roles
                .get(field.name().as_str())
                .filter(|_| at >= holds.len())
            {
                put(ROLE, role);
                put(LABEL, label);
            }
            field.as_ref().clone().with_metadata(meta)
        })
        .collect();
    let mut meta = cleared.metadata().clone();
    meta.insert(TRACED.to_owned(), String::new());
    if let Some(least) = tracing.and_then(|t| t.suppressed_below) {
        meta.insert(SUPPRESSED_BELOW.to_owned(), least.to_string());
    }
    if ids.copies {
        meta.insert(COPIES.to_owned(), String::new());
    }
    Arc::new(Schema::new_with_metadata(fields, meta))
}

/// The mean a kept table's own column shows, if it shows one.
fn kept_mean(field: &Field) -> Option<Mean> {
    let meta = field.metadata();
    let step = meta.get(MEAN_STEP)?.parse().ok()?;
    let grid = meta.get(MEAN_GRID).and_then(|g| g.parse().ok());
    Some(Mean::kept(grid, step))
}

/// Whether a kept table's own column shows a measure, not a group key.
pub(super) fn shows_measure(field: &Field) -> bool {
    field.metadata().contains_key(SHOWS_MEASURE)
}

/// Whether a kept table's own column shows its row's record count as it
/// was counted: a filter on it drops rows known only to be small.
pub(super) fn counts_records(field: &Field) -> bool {
    field.metadata().contains_key(COUNTS_RECORDS)
}

/// A workspace table that keeps a trace: as queries read it, and whole.
pub(crate) struct KeptTable {
    pub(crate) shown: Arc<dyn TableProvider>,
    pub(crate) whole: Arc<dyn TableProvider>,
}

/// The workspace's tables that keep a trace, by name.
pub(crate) type KeptTables = HashMap<String, KeptTable>;

/// The scan of a table that keeps a trace, and the table whole.
pub(super) fn scan<'a>(
    node: &'a LogicalPlan,
    kept: &KeptTables,
) -> Option<(&'a TableScan, Arc<dyn TableProvider>)> {
    let LogicalPlan::TableScan(scan) = node else {
        return None;
    };
    let table = kept.get(scan.table_name.table())?;
    scans(scan, &table.shown).then(|| (scan, table.whole.clone()))
}

/// A kept table's trace columns by what they hold.
struct Trace {
    counts: Vec<(String, String)>,
    /// By label, in the order the aggregation had them.
    totals: Vec<(String, [String; 3])>,
    /// Each measure's records drawn on, by label.
    drawn: Vec<(String, String)>,
    /// Each filtered measure's records chosen, by label.
    chosen: Vec<(String, String)>,
    /// The fewest records the cell's filters treated alike.
    splits: Option<String>,
    /// Its means' values' steps, settled in their marks, carried.
    lattices: Vec<String>,
    /// The least record count a filter kept the cells from.
    suppressed_below: Option<u64>,
}

impl Trace {
    /// The trace of a marked schema; none if any of it is missing or
    /// unknown.
    fn of(schema: &Schema) -> Option<Trace> {
        let suppressed_below = match schema.metadata().get(SUPPRESSED_BELOW) {
            Some(least) => Some(least.parse().ok()?),
            None => None,
        };
        let mut records = false;
        let mut counts = Vec::new();
        let mut drawn = Vec::new();
        let mut chosen = Vec::new();
        let mut splits = None;
        let mut lattices = Vec::new();
        let mut totals: Vec<(String, [Option<String>; 3])> = Vec::new();
        for field in &schema.fields()[shown_fields(schema).len()..] {
            let (name, label) = (field.name().clone(), label_of(field));
            match field.metadata().get(ROLE)?.as_str() {
                "records" if name == RECORDS => records = true,
                "count" => counts.push((label, name)),
                "drawn" => drawn.push((label, name)),
                "chosen" => chosen.push((label, name)),
                "splits" => splits = Some(name),
                // For comparing releases ([`super::earlier`]), and a
                // mean's values' step, settled in its marks.
                CELL_RECORDS_ROLE | CELL_ROLE => {}
                LATTICE_ROLE => lattices.push(name),
                role => {
                    let at = TOTAL_ROLES.iter().position(|r| *r == role)?;
                    let names = match totals.iter().position(|(l, _)| *l == label) {
                        Some(found) => &mut totals[found].1,
                        None => {
                            totals.push((label, Default::default()));
                            &mut totals.last_mut().expect("pushed").1
                        }
                    };
                    names[at] = Some(name);
                }
            }
        }
        let totals: Vec<(String, [String; 3])> = totals
            .into_iter()
            .map(|(label, [total, top1, top2])| Some((label, [total?, top1?, top2?])))
            .collect::<Option<_>>()?;
        let labels = counts
            .iter()
            .map(|(l, _)| l)
            .chain(totals.iter().map(|(l, _)| l));
        let complete = labels.clone().all(|l| drawn.iter().any(|(d, _)| d == l));
        (records && complete).then_some(Trace {
            counts,
            totals,
            drawn,
            chosen,
            splits,
            lattices,
            suppressed_below,
        })
    }

    /// The trace columns of the measure of `label`; none for a product
    /// of values, whose factors each chose records: added up across rows,
    /// one column of chosen records cannot stand for them all.
    fn measure(&self, label: &str) -> Option<KeptMeasure> {
        let mut chosen = self.chosen.iter().filter(|(l, _)| l == label);
        let (first, more) = (chosen.next(), chosen.next());
        let drawn = self.drawn.iter().find(|(l, _)| l == label);
        match more {
            Some(_) => None,
            None => Some(KeptMeasure {
                drawn: drawn?.1.clone(),
                chosen: first.map(|(_, name)| name.clone()),
                filtered_on: false,
            }),
        }
    }
}

fn label_of(field: &Field) -> String {
    field.metadata().get(LABEL).cloned().unwrap_or_default()
}

/// Rows read from a kept table, traced by the columns it keeps: the scan
/// reads them too, and the operators above carry them up.
pub(super) fn through_rows(
    chain: Vec<LogicalPlan>,
    scan: &TableScan,
    full: Arc<dyn TableProvider>,
    user_columns: usize,
) -> Result<(LogicalPlan, Tracing)> {
    let Some(trace) = Trace::of(&full.schema()) else {
        return untraced(chain, LogicalPlan::TableScan(scan.clone()), user_columns);
    };
    let read = &scan.projected_schema;
    let shown = |at: usize| Some(read.fields().get(shows(&chain, at)?)?.metadata());
    let count_columns: Vec<(usize, String)> = (0..user_columns)
        .filter_map(|at| Some((at, shown(at)?.get(SHOWS_COUNT)?.clone())))
        .collect();
    let is_count = |b: usize| {
        read.fields().get(b).is_some_and(|f| {
            let meta = f.metadata();
            meta.contains_key(SHOWS_COUNT) || meta.contains_key(COMPUTES_COUNT)
        })
    };
    // Computed from a count, on the way out or when the table was made.
    let computed = |b: usize| {
        read.fields()
            .get(b)
            .is_some_and(|f| f.metadata().contains_key(COMPUTES_COUNT))
    };
    let (count_computing_columns, filters_on) =
        computing_on_counts(&chain, user_columns, computed, is_count);
    // A count a filter read as the table was made is as exact as one a
    // filter reads here.
    let filters_on_counts = filters_on
        || (0..user_columns).any(|at| shown(at).is_some_and(|m| m.contains_key(FILTERED_COUNT)));
    let suppressed_below = weakest(
        filtered::suppressed_below(&chain, &CellColumn::of_kept(read.fields())),
        trace.suppressed_below,
    );
    let tracing = Tracing {
        user_columns,
        shape: Shape::Aggregated,
        keepable: true,
        counts: trace.counts,
        totals: trace.totals,
        contributors: trace.drawn,
        chosen: trace.chosen,
        // A kept aggregation's cells were never made of copies.
        differences: None,
        splits: trace.splits,
        lattices: trace.lattices,
        steps: Vec::new(),
        count_columns,
        record_count_columns: (0..user_columns)
            .filter(|at| shown(*at).is_some_and(|meta| meta.contains_key(COUNTS_RECORDS)))
            .collect(),
        count_computing_columns,
        filters_on_counts,
        suppressed_below,
        total_columns: (0..user_columns)
            .filter_map(|at| Some((at, shown(at)?.get(SHOWS_TOTAL)?.clone())))
            .collect(),
        mean_columns: (0..user_columns)
            .filter_map(|at| {
                let kept = |b: usize| read.fields().get(b).and_then(|f| kept_mean(f));
                Some((at, means::shown(&chain, at, kept)?))
            })
            .collect(),
        // A column computed from the kept ones may be computed from a measure.
        measure_columns: (0..user_columns)
            .filter(|at| shown(*at).is_none_or(|meta| meta.contains_key(SHOWS_MEASURE)))
            .collect(),
    };
    let (widened, extras) = widened(scan, full)?;
    Ok((rebuild(chain, widened, &extras)?, tracing))
}

/// `scan` reading the kept table's trace columns too, and their names.
fn widened(scan: &TableScan, full: Arc<dyn TableProvider>) -> Result<(LogicalPlan, Vec<String>)> {
    let schema = full.schema();
    let trace = shown_fields(&schema).len()..schema.fields().len();
    let names = trace
        .clone()
        .map(|at| schema.field(at).name().clone())
        .collect();
    let projection = scan.projection.clone().map(|mut columns| {
        columns.extend(trace);
        columns
    });
    let widened = TableScanBuilder::new(scan.table_name.clone(), provider_as_source(full))
        .with_projection(projection)
        .with_filters(scan.filters.clone())
        .with_fetch(scan.fetch)
        .build()?;
    Ok((LogicalPlan::TableScan(widened), names))
}

/// What an aggregate's argument stands for.
pub(super) enum Contributions {
    /// Each row is one contribution.
    Rows,
    /// A kept count: each record behind it contributes one.
    Records(KeptMeasure),
    /// A kept sum: its trace columns (sum of magnitudes, the largest, the
    /// second largest).
    Kept([String; 3], KeptMeasure),
}

impl Contributions {
    /// The kept measure it adds up, if any.
    pub(super) fn kept(&self) -> Option<&KeptMeasure> {
        match self {
            Contributions::Rows => None,
            Contributions::Records(m) | Contributions::Kept(_, m) => Some(m),
        }
    }
}

/// The trace columns of a kept measure that say which records it took.
pub(super) struct KeptMeasure {
    /// The records it drew on.
    pub(super) drawn: String,
    /// The records its filter chose, if it had one.
    pub(super) chosen: Option<String>,
    /// Whether a filter read the count exactly as the table was made.
    pub(super) filtered_on: bool,
}

/// What an aggregation reads.
pub(super) enum Input {
    /// Rows that stand for themselves.
    Rows,
    /// A kept aggregation's rows, its trace read too.
    Kept(Box<(LogicalPlan, KeptInput)>),
    /// A kept aggregation's measures other than as sums' arguments: what
    /// the numbers rest on cannot be told.
    Untraceable,
}

/// An aggregation's input that reads a kept aggregation's rows.
pub(super) struct KeptInput {
    /// The operators between the aggregation and the scan.
    chain: Vec<LogicalPlan>,
    /// The scan as the user's query read it: the table's own columns.
    read: Arc<DFSchema>,
    trace: Trace,
    /// What each of those columns is to the chain's filters.
    cells: Vec<CellColumn>,
}

impl KeptInput {
    /// What `aggregate` reads: a kept aggregation's rows may be grouped by
    /// their keys, filtered and sorted by them, filtered by a lower bound
    /// on their record counts (small cells suppressed), and their counts
    /// and sums added up; any other use of a measure is untraceable.
    pub(super) fn of(aggregate: &Aggregate, traced: &KeptTables) -> Result<Input> {
        let (chain, bottom) = down_chain(aggregate.input.as_ref().clone());
        let Some((scan, full)) = scan(&bottom, traced) else {
            return Ok(Input::Rows);
        };
        let Some(trace) = Trace::of(&full.schema()) else {
            return Ok(Input::Untraceable);
        };
        let read = scan.projected_schema.clone();
        let cells = CellColumn::of_kept(read.fields());
        let kept = KeptInput {
            chain,
            read,
            trace,
            cells,
        };
        let input = aggregate.input.schema();
        if kept.chain_reads_measures()
            || aggregate
                .group_expr
                .iter()
                .any(|e| kept.reads_measure(0, input, e))
        {
            return Ok(Input::Untraceable);
        }
        let (widened, names) = widened(scan, full)?;
        let plan = rebuild(kept.chain.clone(), widened, &names)?;
        Ok(Input::Kept(Box::new((plan, kept))))
    }

    /// What the aggregate `expr` adds up, over the aggregation's `input`;
    /// none if it reads a measure otherwise than as the argument of a sum
    /// or mean of counts or sums.
    pub(super) fn contributions(&self, input: &DFSchema, expr: &Expr) -> Option<Contributions> {
        let measure = |e: &Expr| self.reads_measure(0, input, e);
        let function = match unaliased(expr) {
            Expr::AggregateFunction(function) => function,
            other => return (!measure(other)).then_some(Contributions::Rows),
        };
        let params = &function.params;
        let aside = params.filter.iter().map(|f| f.as_ref());
        let ordered = params.order_by.iter().map(|s| &s.expr);
        if aside.chain(ordered).any(measure) {
            return None;
        }
        let adds = ["sum", "avg", "mean"].contains(&function.func.name());
        let field = match params.args.as_slice() {
            [Expr::Column(column)] if adds => self.field(0, input, column),
            args => return (!args.iter().any(measure)).then_some(Contributions::Rows),
        };
        let Some(meta) = field.map(|f| f.metadata()) else {
            return Some(Contributions::Rows);
        };
        // Rounding could not reach what a sum of it would count.
        if meta.contains_key(COMPUTES_COUNT) {
            return None;
        }
        if let Some(label) = meta.get(SHOWS_COUNT) {
            let measure = KeptMeasure {
                filtered_on: meta.contains_key(FILTERED_COUNT),
                ..self.trace.measure(label)?
            };
            return Some(Contributions::Records(measure));
        }
        if let Some(label) = meta.get(SHOWS_TOTAL) {
            let (_, names) = self.trace.totals.iter().find(|(l, _)| l == label)?;
            return Some(Contributions::Kept(
                names.clone(),
                self.trace.measure(label)?,
            ));
        }
        (!meta.contains_key(SHOWS_MEASURE)).then_some(Contributions::Rows)
    }

    /// The least record count the chain's filters keep rows from, if
    /// they drop some by their counts.
    pub(super) fn suppresses(&self) -> Option<u64> {
        filtered::suppressed_below(&self.chain, &self.cells)
    }

    /// What the rows stand for were cells dropped by their record counts
    /// below this many: by the chain's filters, or as the table was made.
    pub(super) fn suppressed_below(&self) -> Option<u64> {
        weakest(self.suppresses(), self.trace.suppressed_below)
    }

    /// Whether a node of the chain computes, filters or sorts on a measure
    /// (a projection may pass one on as it is, a filter may bound a record
    /// count from below).
    fn chain_reads_measures(&self) -> bool {
        self.chain.iter().enumerate().any(|(at, node)| {
            let input = node.inputs()[0].schema();
            if let LogicalPlan::Filter(filter) = node {
                return has_subquery(&filter.predicate)
                    || split_conjunction(&filter.predicate)
                        .into_iter()
                        .any(|part| Part::of(part, &self.chain, at, &self.cells) == Part::Judges);
            }
            let exprs = match node {
                LogicalPlan::Projection(projection) => projection
                    .expr
                    .iter()
                    .filter(|e| !matches!(unaliased(e), Expr::Column(_)))
                    .cloned()
                    .collect(),
                other => other.expressions(),
            };
            exprs.iter().any(|e| self.reads_measure(at + 1, input, e))
        })
    }

    /// Whether `expr`, over `input` (the output of the chain's nodes from
    /// `from` down), reads a measure.
    fn reads_measure(&self, from: usize, input: &DFSchema, expr: &Expr) -> bool {
        // What a subquery reads of the outer row is not among its columns.
        has_subquery(expr)
            || expr.column_refs().into_iter().any(|column| {
                let passed = input
                    .index_of_column(column)
                    .ok()
                    .map(|at| shows(&self.chain[from..], at));
                match passed {
                    // A column the chain computed was checked where it was.
                    Some(None) => false,
                    Some(Some(at)) => self
                        .read
                        .fields()
                        .get(at)
                        .is_none_or(|f| f.metadata().contains_key(SHOWS_MEASURE)),
                    None => true,
                }
            })
    }

    /// The scanned field that `column` of `input` shows, if it shows one.
    fn field(
        &self,
        from: usize,
        input: &DFSchema,
        column: &datafusion::common::Column,
    ) -> Option<&Field> {
        let at = shows(&self.chain[from..], input.index_of_column(column).ok()?)?;
        self.read.fields().get(at).map(|f| f.as_ref())
    }
}
