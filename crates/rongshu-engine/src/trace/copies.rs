//! Records a join, union or unnest may copy. Below such an operator an
//! aggregation's input rows are no longer its records: one person crossed
//! with ten rows of `VALUES` is a cell of ten, and copies of one large
//! value defeat the dominance check. So each record of a workspace table
//! is read with an id (its table's tag and its row), carried up to the
//! aggregation, and a cell's records are counted as distinct ids, table by
//! table, the fewest of any table standing for the cell.
//!
//! A researcher's upload stands for no records and carries no id; nor does
//! a table function or `VALUES`. An inner aggregation, `DISTINCT` or any
//! other operator that merges rows is not followed: below a copying
//! operator the release is untraceable.

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::common::tree_node::TreeNode;
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::error::Result;
use datafusion::logical_expr::{
    Expr, JoinType, LogicalPlan, Projection, TableScan, TableScanBuilder, Union,
};

use super::Workspace;

/// The id column a workspace table is read with for a release.
pub(crate) const RECORD_ID: &str = "__rongshu_record";

/// What an aggregation's input rows are.
pub(super) enum Records {
    /// Each row one record: nothing below copies any.
    Rows,
    /// Rows that may copy records: the input carrying the ids of the
    /// tables' records, a column each table read.
    Copied(LogicalPlan, Vec<Column>),
    /// Rows that may copy records the ids cannot be carried to.
    Untraceable,
}

impl Records {
    pub(super) fn of(input: &LogicalPlan, workspace: &Workspace) -> Result<Records> {
        if !input.exists(|node| Ok(copies(node)))? {
            return Ok(Records::Rows);
        }
        let mut carrier = Carrier { workspace, next: 0 };
        Ok(match carrier.carry(input)? {
            Some((plan, ids)) => Records::Copied(plan, ids),
            None => Records::Untraceable,
        })
    }
}

/// Whether `node` may put one input row into several output rows.
fn copies(node: &LogicalPlan) -> bool {
    match node {
        LogicalPlan::Join(join) => matches!(
            join.join_type,
            JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full
        ),
        LogicalPlan::Union(_) | LogicalPlan::Unnest(_) => true,
        _ => false,
    }
}

struct Carrier<'a> {
    workspace: &'a Workspace,
    /// Each table read gets an id column of its own name, so that a table
    /// read twice (a self-join) counts its records on each side.
    next: usize,
}

impl Carrier<'_> {
    /// `plan` with the ids of the records under it among its columns, and
    /// those columns; none if an operator would merge or hide them.
    fn carry(&mut self, plan: &LogicalPlan) -> Result<Option<(LogicalPlan, Vec<Column>)>> {
        let carried = match plan {
            LogicalPlan::TableScan(scan) => match self.workspace.identified(scan)? {
                Some(identified) => {
                    let (scan, id) = self.read_with_id(scan, identified)?;
                    (scan, vec![id])
                }
                None => (plan.clone(), Vec::new()),
            },
            LogicalPlan::Values(_) | LogicalPlan::EmptyRelation(_) => (plan.clone(), Vec::new()),
            LogicalPlan::Projection(projection) => {
                let Some((input, ids)) = self.carry(&projection.input)? else {
                    return Ok(None);
                };
                let mut expr = projection.expr.clone();
                expr.extend(ids.iter().cloned().map(Expr::Column));
                let plan = Projection::try_new(expr, Arc::new(input))?;
                (LogicalPlan::Projection(plan), ids)
            }
            LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Repartition(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Window(_)
            | LogicalPlan::Unnest(_) => {
                let Some((input, ids)) = self.carry(plan.inputs()[0])? else {
                    return Ok(None);
                };
                (plan.with_new_exprs(plan.expressions(), vec![input])?, ids)
            }
            LogicalPlan::Join(join) => {
                // Only the sides whose rows come out carry their ids.
                let (left, right) = match join.join_type {
                    JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full => {
                        (self.carry(&join.left)?, self.carry(&join.right)?)
                    }
                    JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => (
                        self.carry(&join.left)?,
                        Some((join.right.as_ref().clone(), Vec::new())),
                    ),
                    JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => (
                        Some((join.left.as_ref().clone(), Vec::new())),
                        self.carry(&join.right)?,
                    ),
                };
                let (Some((left, mut ids)), Some((right, right_ids))) = (left, right) else {
                    return Ok(None);
                };
                ids.extend(right_ids);
                (
                    plan.with_new_exprs(plan.expressions(), vec![left, right])?,
                    ids,
                )
            }
            LogicalPlan::Union(union) => {
                let mut branches = Vec::new();
                for input in &union.inputs {
                    let Some(branch) = self.carry(input)? else {
                        return Ok(None);
                    };
                    branches.push(branch);
                }
                return self.unite(branches);
            }
            _ => return Ok(None),
        };
        Ok(Some(carried))
    }

    /// Branches of a union, each carrying one table's ids under one name
    /// (ids are tagged by table, so they never meet by chance), or none.
    fn unite(
        &mut self,
        branches: Vec<(LogicalPlan, Vec<Column>)>,
    ) -> Result<Option<(LogicalPlan, Vec<Column>)>> {
        if branches.iter().all(|(_, ids)| ids.is_empty()) {
            let inputs = branches.into_iter().map(|(b, _)| Arc::new(b)).collect();
            let union = Union::try_new_with_loose_types(inputs)?;
            return Ok(Some((LogicalPlan::Union(union), Vec::new())));
        }
        // A branch of no records beside others, or of several tables'
        // records, would have to be counted apart: not followed.
        if branches.iter().any(|(_, ids)| ids.len() != 1) {
            return Ok(None);
        }
        let name = self.name();
        let inputs = branches
            .into_iter()
            .map(|(branch, ids)| renamed(branch, &ids[0], &name).map(Arc::new))
            .collect::<Result<_>>()?;
        let union = Union::try_new_with_loose_types(inputs)?;
        Ok(Some((
            LogicalPlan::Union(union),
            vec![Column::new_unqualified(name)],
        )))
    }

    /// The scan of `identified` in place of `scan`'s table, its records'
    /// ids under a name of their own.
    fn read_with_id(
        &mut self,
        scan: &TableScan,
        identified: Arc<dyn datafusion::catalog::TableProvider>,
    ) -> Result<(LogicalPlan, Column)> {
        let id_at = identified.schema().index_of(RECORD_ID)?;
        let projection = match &scan.projection {
            Some(columns) => columns.iter().copied().chain([id_at]).collect(),
            None => (0..=id_at).collect(),
        };
        let read = TableScanBuilder::new(scan.table_name.clone(), provider_as_source(identified))
            .with_projection(Some(projection))
            .with_filters(scan.filters.clone())
            .with_fetch(scan.fetch)
            .build()?;
        let name = self.name();
        let id = Column::new(Some(scan.table_name.clone()), RECORD_ID);
        let plan = renamed(LogicalPlan::TableScan(read), &id, &name)?;
        Ok((plan, Column::new_unqualified(name)))
    }

    fn name(&mut self) -> String {
        self.next += 1;
        format!("{RECORD_ID}_{}", self.next)
    }
}

/// `plan` with its column `id` last, renamed `name`, so that every
/// branch of a union has it in the same place.
fn renamed(plan: LogicalPlan, id: &Column, name: &str) -> Result<LogicalPlan> {
    let mut exprs: Vec<Expr> = plan
        .schema()
        .columns()
        .into_iter()
        .filter(|c| c.name != id.name)
        .map(Expr::Column)
        .collect();
    exprs.push(Expr::Column(id.clone()).alias(name));
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// Whether `scan` reads the workspace table `shown` (not a table function
/// of its name).
pub(super) fn reads(scan: &TableScan, shown: &Arc<dyn datafusion::catalog::TableProvider>) -> bool {
    source_as_provider(&scan.source).is_ok_and(|read| Arc::ptr_eq(&read, shown))
}
