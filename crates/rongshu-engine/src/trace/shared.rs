//! An aggregation's input read once where its release reads it several
//! times: over copies the cells, each table's records by cell and the
//! pairs of cells sharing records all read the same join, which DataFusion
//! would otherwise run once for each (and hold in memory side by side).
//! The engine runs the input first ([`SharedInput::fill`], its memory
//! counted against the query's cap) and the release's plan scans it.
//!
//! The same runs a release's parts one at a time ([`Step`]): run side by
//! side in one plan, each part's aggregations held their memory at once,
//! and a join of two 300,000-row tables needed six times the memory of
//! its plain query.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Column;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::provider_as_source;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::logical_expr::{Expr, LogicalPlan, Projection, TableScanBuilder};
use datafusion::physical_plan::ExecutionPlan;

const SHARED: &str = "__rongshu_input";

/// What the engine does, in order, before a release's plan runs.
#[derive(Debug)]
pub(crate) enum Step {
    /// Runs an input and keeps its rows.
    Fill(Arc<SharedInput>),
    /// Lets an input's rows go: nothing after reads them.
    Free(Arc<SharedInput>),
}

/// An input's rows, dealt into partitions, and the memory they hold.
#[derive(Debug)]
struct Rows {
    partitions: Vec<Vec<RecordBatch>>,
    _memory: MemoryReservation,
}

/// The rows of a plan, once it has run.
#[derive(Debug)]
pub(crate) struct SharedInput {
    /// The plan whose rows these are.
    plan: LogicalPlan,
    /// Its columns under names of their own (a join's two sides may
    /// share names).
    schema: SchemaRef,
    rows: Mutex<Option<Rows>>,
}

impl SharedInput {
    /// The input of `plan`, and the plan that reads it back with the
    /// columns named as `plan`'s.
    pub(super) fn of(plan: LogicalPlan) -> Result<(Arc<SharedInput>, LogicalPlan)> {
        let own = |at: usize| format!("{SHARED}_{at}");
        let fields: Vec<Field> = plan
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(at, f)| Field::new(own(at), f.data_type().clone(), f.is_nullable()))
            .collect();
        let shared = Arc::new(SharedInput {
            schema: Arc::new(Schema::new(fields)),
            rows: Mutex::new(None),
            plan,
        });
        let scan = TableScanBuilder::new(SHARED, provider_as_source(shared.clone())).build()?;
        let named = shared
            .plan
            .schema()
            .iter()
            .enumerate()
            .map(|(at, (qualifier, field))| {
                let read = Expr::Column(Column::new(Some(SHARED), own(at)));
                read.alias_qualified(qualifier.cloned(), field.name())
            })
            .collect();
        let read = Projection::try_new(named, Arc::new(LogicalPlan::TableScan(scan)))?;
        Ok((shared, LogicalPlan::Projection(read)))
    }

    /// The plan to run for its rows.
    pub(crate) fn plan(&self) -> &LogicalPlan {
        &self.plan
    }

    /// Its rows, `batches` dealt into `partitions`, held with the
    /// reservation of their `memory`.
    pub(crate) fn fill(
        &self,
        batches: Vec<RecordBatch>,
        partitions: usize,
        memory: MemoryReservation,
    ) -> Result<()> {
        let mut dealt = vec![Vec::new(); partitions.max(1)];
        let count = dealt.len();
        for (at, batch) in batches.into_iter().enumerate() {
            let batch = RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec())?;
            dealt[at % count].push(batch);
        }
        *self.rows.lock().map_err(poisoned)? = Some(Rows {
            partitions: dealt,
            _memory: memory,
        });
        Ok(())
    }

    /// Lets its rows and their memory go.
    pub(crate) fn free(&self) -> Result<()> {
        self.rows.lock().map_err(poisoned)?.take();
        Ok(())
    }
}

fn poisoned<T>(_: T) -> DataFusionError {
    DataFusionError::Internal("a shared input's lock was poisoned".into())
}

#[async_trait]
impl TableProvider for SharedInput {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rows = self.rows.lock().map_err(poisoned)?;
        let partitions = match rows.as_ref() {
            Some(rows) => rows.partitions.clone(),
            None => {
                let unread = "a shared input was read before it ran or after it was freed";
                return Err(DataFusionError::Internal(unread.into()));
            }
        };
        let exec = MemorySourceConfig::try_new_exec(
            &partitions,
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(exec)
    }
}
