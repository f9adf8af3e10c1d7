//! Stopping a query from inside: every operator's output passes a check
//! of the deadline and the cancellation token, so a query stops within
//! one batch even when its operators never yield to the scheduler (a
//! nested-loop join feeding an aggregate runs in a single poll).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::Stream;
use tokio_util::sync::CancellationToken;

/// Why a query was stopped from inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Interrupted {
    #[error("the query was cancelled")]
    Cancelled,
    #[error("the query ran past its time limit")]
    TimeLimit,
}

/// When a query must stop.
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    pub(crate) cancel: CancellationToken,
    pub(crate) deadline: Instant,
}

impl Stop {
    fn check(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(DataFusionError::External(Box::new(Interrupted::Cancelled)))
        } else if Instant::now() >= self.deadline {
            Err(DataFusionError::External(Box::new(Interrupted::TimeLimit)))
        } else {
            Ok(())
        }
    }
}

/// Wraps every operator of an optimised plan.
pub(crate) fn interruptible(
    plan: Arc<dyn ExecutionPlan>,
    stop: &Stop,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        Ok(Transformed::yes(Arc::new(Interruptible {
            input: node,
            stop: stop.clone(),
        }) as Arc<dyn ExecutionPlan>))
    })
    .map(|t| t.data)
}

#[derive(Debug)]
struct Interruptible {
    input: Arc<dyn ExecutionPlan>,
    stop: Stop,
}

impl DisplayAs for Interruptible {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interruptible")
    }
}

impl ExecutionPlan for Interruptible {
    fn name(&self) -> &str {
        "Interruptible"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Interruptible {
                input,
                stop: self.stop.clone(),
            })),
            _ => Err(DataFusionError::Internal(
                "Interruptible has exactly one child".into(),
            )),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.stop.check()?;
        Ok(Box::pin(Checked {
            inner: self.input.execute(partition, context)?,
            stop: self.stop.clone(),
        }))
    }
}

struct Checked {
    inner: SendableRecordBatchStream,
    stop: Stop,
}

impl Stream for Checked {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Err(e) = self.stop.check() {
            return Poll::Ready(Some(Err(e)));
        }
        self.inner.as_mut().poll_next(cx)
    }
}

impl RecordBatchStream for Checked {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
