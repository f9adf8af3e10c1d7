//! The sandbox's SQL engine (数据沙箱, Art. 5): Apache DataFusion over a
//! workspace's tables, held in memory, with nothing that reaches outside.
//!
//! Each query gets a session of its own that knows only the tables it is
//! given: no object store, no spilling to disk (which would write
//! plaintext), no DDL, DML or `SET`, no URL tables. It runs under a memory
//! cap, a time limit and a row cap, and stops when cancelled.
//!
//! *Invariants:* the only crate that knows DataFusion; no storage, no
//! HTTP, no access decisions (callers hand it exactly the tables a user
//! may read, already through the product's pipeline).

mod executor;
mod facts;
mod interrupt;
mod limits;
mod statement;
mod table;
mod trace;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::execute_stream;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use executor::Executor;
use interrupt::{Interrupted, Stop};
pub use limits::Limits;
pub use rongshu_formats::{Batch, ColumnType, OutputColumn};
pub use statement::{Statement, tables_named};
pub use table::Table;

/// Why a query did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("only SELECT queries and CREATE TABLE name AS SELECT run in the sandbox: {0}")]
    NotAllowed(String),
    #[error("{0}")]
    Sql(String),
    #[error("the query needs more than its memory limit of {limit_mb} MB")]
    MemoryLimit { limit_mb: usize },
    #[error("the query ran past its time limit of {seconds} s and was stopped")]
    TimeLimit { seconds: u64 },
    #[error("the query was cancelled")]
    Cancelled,
    #[error("only a query's result can be released, not {0}")]
    NotReleasable(String),
    #[error("the sandbox's query threads did not start: {0}")]
    Unavailable(String),
    #[error("a table's data does not fit its columns: {0}")]
    Data(#[from] rongshu_formats::FormatError),
    #[error("a kept table's Parquet does not read or write: {0}")]
    Kept(String),
}

impl From<ArrowError> for EngineError {
    fn from(error: ArrowError) -> EngineError {
        DataFusionError::from(error).into()
    }
}

impl From<DataFusionError> for EngineError {
    fn from(error: DataFusionError) -> EngineError {
        match error.find_root() {
            DataFusionError::ResourcesExhausted(_) => EngineError::MemoryLimit { limit_mb: 0 },
            DataFusionError::External(e) => match e.downcast_ref::<Interrupted>() {
                Some(Interrupted::Cancelled) => EngineError::Cancelled,
                Some(Interrupted::TimeLimit) => EngineError::TimeLimit { seconds: 0 },
                None => EngineError::Sql(e.to_string()),
            },
            root => EngineError::Sql(root.to_string()),
        }
    }
}

/// An earlier release, compared with the one asked for.
#[derive(Clone, Debug)]
pub struct Earlier {
    /// How the checks name it (`export 12`).
    pub label: String,
    pub sql: String,
    /// Tables it read that the workspace does not have (another
    /// workspace's), present only while it is compared.
    pub tables: Vec<Arc<Table>>,
}

/// A result asked for release, with what output checking needs to know
/// of it (all but the identifier columns, which callers classify).
#[derive(Debug)]
pub struct Release {
    pub outcome: Outcome,
    pub facts: rongshu_domain::output::ResultFacts,
}

/// What a query gave.
#[derive(Debug)]
pub struct Outcome {
    pub statement: Statement,
    /// The rows, at most the row cap for a query; a created table whole.
    pub result: Table,
    /// Rows beyond the cap were left unread.
    pub truncated: bool,
    /// The workspace tables the query read, by name, sorted.
    pub read: Vec<String>,
    pub elapsed: Duration,
}

/// Runs SQL under limits, on threads of its own.
#[derive(Clone, Debug)]
pub struct Engine {
    limits: Limits,
    /// Started on the first query.
    executor: Arc<OnceLock<Result<Executor, String>>>,
}

/// How long past its time limit a query that stopped answering is
/// abandoned (its operators check the limit between batches).
const GRACE: Duration = Duration::from_secs(5);

impl Engine {
    pub fn new(limits: Limits) -> Engine {
        Engine {
            limits,
            executor: Arc::default(),
        }
    }

    /// Runs one statement over `tables`; stops at the time limit or when
    /// `cancel` fires, whichever comes first.
    pub async fn run(
        &self,
        tables: &[Arc<Table>],
        sql: &str,
        cancel: &CancellationToken,
    ) -> Result<Outcome, EngineError> {
        let (outcome, _) = self.start(tables, sql, &[], cancel, Mode::Answer).await?;
        Ok(outcome)
    }

    /// Runs a query whose result is asked for release: the whole result
    /// up to `max_rows` (and one row more, so that the row cap can fail),
    /// traced to its records and compared with the `earlier` releases.
    pub async fn run_for_release(
        &self,
        tables: &[Arc<Table>],
        sql: &str,
        earlier: &[Earlier],
        cancel: &CancellationToken,
        max_rows: usize,
    ) -> Result<Release, EngineError> {
        let mode = Mode::Release { max_rows };
        let (outcome, facts) = self.start(tables, sql, earlier, cancel, mode).await?;
        Ok(Release {
            outcome,
            facts: facts.unwrap_or_default(),
        })
    }

    async fn start(
        &self,
        tables: &[Arc<Table>],
        sql: &str,
        earlier: &[Earlier],
        cancel: &CancellationToken,
        mode: Mode,
    ) -> Result<(Outcome, Option<rongshu_domain::output::ResultFacts>), EngineError> {
        let started = Instant::now();
        let statement = Statement::parse(sql, self.limits.max_sql_bytes)?;
        if let (Mode::Release { .. }, Statement::CreateTable { name, .. }) = (mode, &statement) {
            return Err(EngineError::NotReleasable(format!("CREATE TABLE {name}")));
        }
        let stop = Stop {
            cancel: cancel.child_token(),
            deadline: started + self.limits.time,
        };
        let executor = self
            .executor
            .get_or_init(|| Executor::new(self.limits.partitions).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| EngineError::Unavailable(e.clone()))?;
        let work = executor.spawn(execute(
            self.limits.clone(),
            tables.to_vec(),
            statement.clone(),
            earlier.to_vec(),
            stop.clone(),
            mode,
        ));
        let abort = work.abort_handle();
        let ran = match tokio::time::timeout(self.limits.time + GRACE, work).await {
            Ok(Ok(ran)) => ran.map_err(|e| self.explained(e))?,
            Ok(Err(panicked)) => return Err(EngineError::Sql(panicked.to_string())),
            Err(_) => {
                stop.cancel.cancel();
                abort.abort();
                return Err(self.explained(EngineError::TimeLimit { seconds: 0 }));
            }
        };
        let name = match &statement {
            Statement::CreateTable { name, .. } => name.clone(),
            Statement::Query { .. } => "result".to_owned(),
        };
        let outcome = Outcome {
            result: if ran.marked {
                Table::marked(name, ran.schema, ran.batches)?
            } else {
                Table::from_arrow(name, &ran.schema, ran.batches)?
            },
            statement,
            truncated: ran.truncated,
            read: ran.read,
            elapsed: started.elapsed(),
        };
        Ok((outcome, ran.facts))
    }

    /// Limits named with their values.
    fn explained(&self, error: EngineError) -> EngineError {
        match error {
            EngineError::MemoryLimit { .. } => EngineError::MemoryLimit {
                limit_mb: self.limits.memory_bytes >> 20,
            },
            EngineError::TimeLimit { .. } => EngineError::TimeLimit {
                seconds: self.limits.time.as_secs(),
            },
            other => other,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Answer in the workspace, at most the row cap.
    Answer,
    /// The whole result, traced, for output checking.
    Release { max_rows: usize },
}

struct Ran {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    truncated: bool,
    read: Vec<String>,
    facts: Option<rongshu_domain::output::ResultFacts>,
    /// A made table, marked by the engine.
    marked: bool,
}

/// Plans and runs the statement's query, reading at most the row cap of
/// a query's result (a created table is bounded by memory alone).
async fn execute(
    limits: Limits,
    tables: Vec<Arc<Table>>,
    statement: Statement,
    earlier: Vec<Earlier>,
    stop: Stop,
    mode: Mode,
) -> Result<Ran, EngineError> {
    let context = limits.session()?;
    // What a release or a made table is traced through: every table as
    // queries read it, and those that keep a trace, whole. Queries only
    // ever see what each table shows.
    let traces =
        matches!(mode, Mode::Release { .. }) || matches!(statement, Statement::CreateTable { .. });
    let mut workspace = trace::Workspace {
        tables: Vec::new(),
        kept: HashMap::new(),
        records: Vec::new(),
        partitions: limits.partitions,
    };
    for table in &tables {
        register(&context, &mut workspace, table, traces)?;
    }
    let state = context.state();
    let plan = state.create_logical_plan(statement.query()).await?;
    // The parser already refused everything but queries; this catches
    // what a query could still smuggle in.
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(|e| EngineError::NotAllowed(e.to_string()))?;
    if let Some(name) = reserved_name(&plan) {
        return Err(EngineError::Sql(format!(
            "the name {name} is reserved: names starting with {RESERVED} are the engine's own"
        )));
    }
    let read = tables_read(&plan);
    let cap = match (mode, &statement) {
        (Mode::Release { max_rows }, _) => Some(max_rows + 1),
        (Mode::Answer, Statement::Query { .. }) => Some(limits.max_rows),
        (Mode::Answer, Statement::CreateTable { .. }) => None,
    };
    // A made table says what each of its columns holds.
    let holds = matches!(statement, Statement::CreateTable { .. }).then(|| workspace.holds(&plan));
    // Cells a filter judged by their measures are checked, shown or not;
    // a table made through such a filter cannot keep them to be checked.
    let judged = if traces {
        trace::before_filters(&plan, &workspace)?
    } else {
        None
    };
    // The release as planned, to be compared with the earlier ones.
    let compared_plan = match mode {
        Mode::Release { .. } if !earlier.is_empty() => Some(plan.clone()),
        _ => None,
    };
    let (plan, tracing, ids) = match (mode, &statement) {
        (Mode::Release { .. }, _) => {
            let (plan, tracing) = trace::trace(plan, &workspace)?;
            (plan, Some(tracing), trace::RowIds::default())
        }
        // A table made from an aggregation keeps its trace; one made of
        // rows keeps the ids of the records they are; one the trace cannot
        // follow is kept as rows that stand for themselves.
        (Mode::Answer, Statement::CreateTable { .. }) => {
            match trace::trace_to_keep(plan.clone(), &workspace) {
                Ok((widened, tracing))
                    if tracing.shape == trace::Shape::Aggregated
                        && tracing.keepable
                        && judged.is_none() =>
                {
                    (widened, Some(tracing), trace::RowIds::default())
                }
                _ => {
                    let (plan, ids) = trace::identified_rows(&plan, &workspace)?;
                    (plan, None, ids)
                }
            }
        }
        (Mode::Answer, Statement::Query { .. }) => (plan, None, trace::RowIds::default()),
    };
    let steps = tracing.iter().flat_map(|t| &t.steps);
    let (schema, batches, mut truncated) =
        collect(&context, &plan, steps, &stop, limits.partitions, cap).await?;
    let (schema, batches, facts, marked) = match (tracing, mode, holds) {
        // A made table, marked to be kept: with its trace if it has one,
        // its means' values' steps read from its rows.
        (mut tracing, Mode::Answer, Some(holds)) => {
            if let Some(tracing) = &mut tracing {
                tracing.mean_columns = tracing.settled_means(&batches)?;
            }
            let schema = trace::mark(&schema, &holds, tracing.as_ref(), &ids);
            (schema, batches, None, true)
        }
        // A release read one row past its cap so that the cap can fail,
        // not to say that rows were left.
        (Some(tracing), Mode::Release { .. }, _) => {
            truncated = false;
            let (schema, batches, mut facts) = facts::split(&schema, batches, &tracing)?;
            if let Some(judged) = judged {
                facts.before_filters = Some(Box::new(
                    judged_facts(judged, &workspace, &context, &stop).await?,
                ));
            }
            if let Some(plan) = &compared_plan {
                facts.earlier = compared(plan, &earlier, &mut workspace, &context, &stop).await?;
            }
            (schema, batches, Some(facts), false)
        }
        _ => (schema, batches, None, false),
    };
    Ok(Ran {
        schema,
        batches,
        truncated,
        read,
        facts,
        marked,
    })
}

/// Makes `table` readable by queries, and by the trace where `traces`.
fn register(
    context: &datafusion::prelude::SessionContext,
    workspace: &mut trace::Workspace,
    table: &Arc<Table>,
    traces: bool,
) -> Result<(), EngineError> {
    let shown = table.provider(workspace.partitions)?;
    context.register_table(table.name(), shown.clone())?;
    workspace.tables.push(shown.clone());
    if traces && table.holds_records() {
        workspace.records.push((shown.clone(), table.clone()));
    }
    if traces && let Some(whole) = table.traced_provider(workspace.partitions)? {
        let kept = trace::KeptTable { shown, whole };
        workspace.kept.insert(table.name().to_owned(), kept);
    }
    Ok(())
}

/// Undoes [`register`].
fn deregister(
    context: &datafusion::prelude::SessionContext,
    workspace: &mut trace::Workspace,
    name: &str,
) -> Result<(), EngineError> {
    if let Some(shown) = context.deregister_table(name)? {
        workspace.tables.retain(|t| !Arc::ptr_eq(t, &shown));
        workspace.records.retain(|(t, _)| !Arc::ptr_eq(t, &shown));
    }
    workspace.kept.remove(name);
    Ok(())
}

/// Runs the steps a traced plan needs first, then the plan, keeping at
/// most `cap` rows; says whether more came.
async fn collect(
    context: &datafusion::prelude::SessionContext,
    plan: &LogicalPlan,
    steps: impl Iterator<Item = &trace::Step>,
    stop: &Stop,
    partitions: usize,
    cap: Option<usize>,
) -> Result<(SchemaRef, Vec<RecordBatch>, bool), EngineError> {
    for step in steps {
        match step {
            trace::Step::Fill(shared) => run_shared(context, shared, stop, partitions).await?,
            trace::Step::Free(shared) => shared.free()?,
        }
    }
    let physical = context.state().create_physical_plan(plan).await?;
    let schema = physical.schema();
    let physical = interrupt::interruptible(physical, stop)?;
    let mut stream = execute_stream(physical, context.task_ctx())?;
    let (mut batches, mut rows) = (Vec::new(), 0usize);
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if let Some(cap) = cap
            && rows + batch.num_rows() > cap
        {
            batches.push(batch.slice(0, cap - rows));
            return Ok((schema, batches, true));
        }
        rows += batch.num_rows();
        batches.push(batch);
    }
    Ok((schema, batches, false))
}

/// Most cells a filter may judge for a release to check them all; past
/// it the judged cells are untraceable (their facts are held in memory).
const JUDGED_CELLS: usize = 100_000;

/// The facts of every cell a filter judged (`trace::before_filters`).
async fn judged_facts(
    plan: LogicalPlan,
    workspace: &trace::Workspace,
    context: &datafusion::prelude::SessionContext,
    stop: &Stop,
) -> Result<rongshu_domain::output::ResultFacts, EngineError> {
    let (plan, tracing) = trace::trace(plan, workspace)?;
    let steps = tracing.steps.iter();
    let cap = Some(JUDGED_CELLS);
    let (schema, batches, truncated) =
        collect(context, &plan, steps, stop, workspace.partitions, cap).await?;
    let (_, _, mut facts) = facts::split(&schema, batches, &tracing)?;
    if truncated {
        facts.records = None;
    }
    Ok(facts)
}

/// Most rows the count of a table's records by two releases' cells may
/// have; past it (or the query's memory) the two are not compared, and
/// the checks fail.
const OVERLAP_ROWS: usize = 1_000_000;

/// The release planned as `new` compared with each `earlier` one sharing
/// records with it: the fewest records by which their cells differ.
async fn compared(
    new: &LogicalPlan,
    earlier: &[Earlier],
    workspace: &mut trace::Workspace,
    context: &datafusion::prelude::SessionContext,
    stop: &Stop,
) -> Result<Vec<(String, Option<u64>)>, EngineError> {
    let new_cells = trace::Cells::of(new, workspace);
    let mut new_records = None;
    let mut compared = Vec::new();
    for release in earlier {
        // Another workspace's table named as one here would be read for
        // the other: the two cannot be compared, and the checks fail.
        if release
            .tables
            .iter()
            .any(|t| context.table_exist(t.name()).unwrap_or(true))
        {
            compared.push((release.label.clone(), None));
            continue;
        }
        for table in &release.tables {
            register(context, workspace, table, true)?;
        }
        let fewest = compared_with(
            release,
            new,
            &new_cells,
            &mut new_records,
            workspace,
            context,
            stop,
        )
        .await;
        for table in &release.tables {
            deregister(context, workspace, table.name())?;
        }
        if let Some(fewest) = fewest? {
            compared.push((release.label.clone(), fewest));
        }
    }
    Ok(compared)
}

/// How `release` compares with the new one: `None` where it shares no
/// records with it, or no longer plans (it read a table since dropped:
/// not this release's); else the fewest records by which a cell of one
/// differs from a cell of the other, none where they could not be
/// compared (past the memory, or a comparison the engine cannot run),
/// and the checks fail.
async fn compared_with(
    release: &Earlier,
    new: &LogicalPlan,
    new_cells: &Option<trace::Cells>,
    new_records: &mut Option<datafusion::error::Result<Option<trace::RecordCells>>>,
    workspace: &trace::Workspace,
    context: &datafusion::prelude::SessionContext,
    stop: &Stop,
) -> Result<Option<Option<u64>>, EngineError> {
    let Ok(plan) = context.state().create_logical_plan(&release.sql).await else {
        return Ok(None);
    };
    let fewest = match (trace::Cells::of(&plan, workspace), new_cells) {
        // Each of one table: the tables' own rows, or matched by id.
        (Some(cells), Some(new)) => match trace::overlap(&cells, new, workspace.partitions) {
            Ok(None) => return Ok(None),
            Ok(Some(overlap)) => {
                fewest_differing(&overlap, &cells, new, workspace, context, stop).await
            }
            Err(error) => Err(error.into()),
        },
        // Record by record, table by table.
        _ => {
            let new = new_records.get_or_insert_with(|| trace::RecordCells::of(new, workspace));
            match (trace::RecordCells::of(&plan, workspace), &*new) {
                (Ok(Some(cells)), Ok(Some(new))) if cells.may_share(new) => {
                    fewest_differing_records(&cells, new, workspace, context, stop).await
                }
                (Ok(_), Ok(_)) => return Ok(None),
                // Cells the engine cannot plan to compare.
                (Err(error), _) => Err(EngineError::Sql(error.to_string())),
                (_, Err(error)) => Err(EngineError::Sql(error.to_string())),
            }
        }
    };
    match fewest {
        Ok(fewest) => Ok(Some(fewest)),
        Err(stopped @ (EngineError::Cancelled | EngineError::TimeLimit { .. })) => Err(stopped),
        Err(_) => Ok(Some(None)),
    }
}

/// `overlap` run: the fewest records by which the cells of two releases
/// sharing records differ; none past `OVERLAP_ROWS`.
async fn fewest_differing(
    overlap: &LogicalPlan,
    earlier: &trace::Cells,
    new: &trace::Cells,
    workspace: &trace::Workspace,
    context: &datafusion::prelude::SessionContext,
    stop: &Stop,
) -> Result<Option<u64>, EngineError> {
    let Some(batches) = overlap_rows(overlap, workspace, context, stop).await? else {
        return Ok(None);
    };
    Ok(Some(trace::fewest_differing(&batches, earlier, new)?))
}

/// As [`fewest_differing`], record by record ([`trace::RecordCells`]).
async fn fewest_differing_records(
    earlier: &trace::RecordCells,
    new: &trace::RecordCells,
    workspace: &trace::Workspace,
    context: &datafusion::prelude::SessionContext,
    stop: &Stop,
) -> Result<Option<u64>, EngineError> {
    let mut runs = Vec::with_capacity(3);
    for plan in trace::records_overlap(earlier, new)? {
        let Some(batches) = overlap_rows(&plan, workspace, context, stop).await? else {
            return Ok(None);
        };
        runs.push(batches);
    }
    let runs = [&runs[0][..], &runs[1][..], &runs[2][..]];
    Ok(Some(trace::fewest_differing_records(runs, earlier, new)?))
}

/// A comparison's plan run; none past `OVERLAP_ROWS`.
async fn overlap_rows(
    plan: &LogicalPlan,
    workspace: &trace::Workspace,
    context: &datafusion::prelude::SessionContext,
    stop: &Stop,
) -> Result<Option<Vec<RecordBatch>>, EngineError> {
    let (none, cap) = (std::iter::empty(), Some(OVERLAP_ROWS));
    let (_, batches, truncated) =
        collect(context, plan, none, stop, workspace.partitions, cap).await?;
    Ok((!truncated).then_some(batches))
}

/// Runs `shared`'s plan and keeps its rows, their memory counted against
/// the query's cap until they are freed.
async fn run_shared(
    context: &datafusion::prelude::SessionContext,
    shared: &trace::SharedInput,
    stop: &Stop,
    partitions: usize,
) -> Result<(), EngineError> {
    let physical = context.state().create_physical_plan(shared.plan()).await?;
    let physical = interrupt::interruptible(physical, stop)?;
    let mut stream = execute_stream(physical, context.task_ctx())?;
    let reservation =
        MemoryConsumer::new("rongshu shared input").register(&context.runtime_env().memory_pool);
    // Counted as they come, so that the cap stops a large input before it
    // is all in memory.
    let mut batches = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = owned(batch?)?;
        reservation.try_grow(batch.get_array_memory_size())?;
        batches.push(batch);
    }
    shared.fill(batches, partitions, reservation)?;
    Ok(())
}

/// `batch` in buffers of its own where it shows a slice of larger ones
/// (an operator's output cut into batches): kept, each slice would keep
/// the whole buffer, and count it.
fn owned(batch: RecordBatch) -> Result<RecordBatch, EngineError> {
    let mut shown = 0;
    for column in batch.columns() {
        shown += column.to_data().get_slice_memory_size()?;
    }
    if batch.get_array_memory_size() <= shown + shown / 4 {
        return Ok(batch);
    }
    let rows = UInt32Array::from_iter_values(0..batch.num_rows() as u32);
    Ok(take_record_batch(&batch, &rows)?)
}

/// What the engine's own columns are named with (record ids, traces).
const RESERVED: &str = "__rongshu";

/// A column of `plan`, at any depth, named as the engine names its own.
fn reserved_name(plan: &LogicalPlan) -> Option<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut found = None;
    let _ = plan.apply_with_subqueries(|node| {
        found = node
            .schema()
            .fields()
            .iter()
            .find(|f| f.name().starts_with(RESERVED))
            .map(|f| f.name().clone());
        Ok(match found {
            Some(_) => TreeNodeRecursion::Stop,
            None => TreeNodeRecursion::Continue,
        })
    });
    found
}

/// The names of the tables a plan scans, sorted and once each.
fn tables_read(plan: &LogicalPlan) -> Vec<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut read = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            read.push(scan.table_name.table().to_owned());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    read.sort();
    read.dedup();
    read
}
