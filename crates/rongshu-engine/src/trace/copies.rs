//! Records a join or union may copy. Below such an operator an
//! aggregation's input rows are no longer its records: one person crossed
//! with ten rows of `VALUES` is a cell of ten, and copies of one large
//! value defeat the dominance check. So each record of a workspace table
//! is read with an id (a tag from its table's name and its row), carried
//! up to the aggregation, and a cell's records are counted as distinct
//! ids, table by table, the fewest of any table standing for the cell; a
//! measure's contributions, and what its filter leaves out, are each
//! record's copies taken together ([`super::per_record`]).
//!
//! A researcher's upload stands for no records and carries no id; nor does
//! a table function or `VALUES`: joined so as to copy records, they could
//! weight them or put them in several cells by numbers the researcher
//! chose, so such a join is not followed. A table made of rows keeps the ids of the
//! records they are (and whether a record may stand behind several), so
//! that a copy made in the workspace is the same records again. An inner
//! aggregation, `DISTINCT` or any other operator that merges rows is not
//! followed: below a copying operator the release is untraceable.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::common::Column;
use datafusion::common::tree_node::TreeNode;
use datafusion::datasource::provider_as_source;
use datafusion::error::Result;
use datafusion::logical_expr::{
    Expr, JoinType, LogicalPlan, Projection, TableScan, TableScanBuilder, Union,
};

use super::Workspace;

/// The id column a workspace table is read with for a release.
pub(crate) const RECORD_ID: &str = "__rongshu_record";

/// What a table's rows are read as.
pub(super) enum Identity {
    /// Rows of no records: an upload.
    NoRecords,
    /// The table with its records' ids after its columns, and how many.
    Ids(Arc<dyn TableProvider>, usize),
    /// Rows made of copies whose records were not kept.
    Untold,
}

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
        if !copying(input, workspace)? {
            return Ok(Records::Rows);
        }
        let mut carrier = Carrier { workspace, next: 0 };
        let Some((plan, ids)) = carrier.carry(input)? else {
            return Ok(Records::Untraceable);
        };
        // Unqualified, as everything above names them.
        let renames: Vec<(Column, String)> =
            ids.iter().map(|id| (id.clone(), id.name.clone())).collect();
        Ok(Records::Copied(renamed(plan, &renames)?, ids))
    }
}

/// The ids a made table's rows keep of the records they stand for.
#[derive(Debug, Default)]
pub(crate) struct RowIds {
    /// The columns after the table's own that hold them.
    pub(crate) columns: Vec<String>,
    /// Whether a record may stand behind several rows.
    pub(crate) copies: bool,
}

/// A made table's rows with the ids of the records each stands for after
/// its columns: a table made of a table's rows is made of its records,
/// not of records of its own, so reading both counts each once. As they
/// are, with no ids, if they stand for no records or their ids cannot be
/// carried to them (and then whether they may copy some).
pub(crate) fn identified_rows(
    plan: &LogicalPlan,
    workspace: &Workspace,
) -> Result<(LogicalPlan, RowIds)> {
    let copies = copying(plan, workspace)?;
    // Rows that may copy records without their ids cannot be counted.
    let untold = || {
        let ids = RowIds {
            columns: Vec::new(),
            copies,
        };
        Ok((plan.clone(), ids))
    };
    let mut carrier = Carrier { workspace, next: 0 };
    let Some((carried, ids)) = carrier.carry(plan)? else {
        return untold();
    };
    if ids.is_empty() {
        return untold();
    }
    let renames: Vec<(Column, String)> =
        ids.iter().map(|id| (id.clone(), id.name.clone())).collect();
    let identified = renamed(carried, &renames)?;
    let ids = RowIds {
        columns: renames.into_iter().map(|(_, name)| name).collect(),
        copies,
    };
    Ok((identified, ids))
}

/// Whether a row of `plan` may be a copy of a record another row is.
pub(super) fn copying(plan: &LogicalPlan, workspace: &Workspace) -> Result<bool> {
    plan.exists(|node| {
        Ok(match node {
            LogicalPlan::TableScan(scan) => workspace.holds_copies(scan),
            other => copies(other),
        })
    })
}

/// Whether `node` may put one input row into several output rows: a
/// join, a union, an unnest, a recursive query, grouping sets, or any
/// node the engine does not know.
fn copies(node: &LogicalPlan) -> bool {
    match node {
        LogicalPlan::Join(join) => matches!(
            join.join_type,
            JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full
        ),
        LogicalPlan::Aggregate(aggregate) => aggregate
            .group_expr
            .iter()
            .any(|e| matches!(e, Expr::GroupingSet(_))),
        LogicalPlan::Union(_)
        | LogicalPlan::Unnest(_)
        | LogicalPlan::RecursiveQuery(_)
        | LogicalPlan::Extension(_) => true,
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
                Identity::Ids(provider, ids) => self.read_with_ids(scan, provider, ids)?,
                Identity::NoRecords => (plan.clone(), Vec::new()),
                Identity::Untold => return Ok(None),
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
                // Rows of no records (`VALUES`, a table function, an upload)
                // would copy records as often as the researcher likes,
                // weighting them or putting them in several cells unseen.
                if copies(plan) && (ids.is_empty() || right_ids.is_empty()) {
                    return Ok(None);
                }
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
            .map(|(branch, ids)| {
                let renames = [(ids[0].clone(), name.clone())];
                renamed(branch, &renames).map(Arc::new)
            })
            .collect::<Result<_>>()?;
        let union = Union::try_new_with_loose_types(inputs)?;
        Ok(Some((
            LogicalPlan::Union(union),
            vec![Column::new_unqualified(name)],
        )))
    }

    /// The scan of `identified` (the table with its `ids` records' ids
    /// last) in place of `scan`'s table, each id under a name of its own.
    fn read_with_ids(
        &mut self,
        scan: &TableScan,
        identified: Arc<dyn TableProvider>,
        ids: usize,
    ) -> Result<(LogicalPlan, Vec<Column>)> {
        let fields = identified.schema().fields().len();
        let id_fields = fields - ids..fields;
        let projection = match &scan.projection {
            Some(columns) => columns.iter().copied().chain(id_fields.clone()).collect(),
            None => (0..fields).collect(),
        };
        let read = TableScanBuilder::new(scan.table_name.clone(), provider_as_source(identified))
            .with_projection(Some(projection))
            .with_filters(scan.filters.clone())
            .with_fetch(scan.fetch)
            .build()?;
        let renames: Vec<(Column, String)> = (0..ids)
            .map(|k| {
                let id = format!("{RECORD_ID}{k}");
                (Column::new(Some(scan.table_name.clone()), id), self.name())
            })
            .collect();
        let plan = renamed(LogicalPlan::TableScan(read), &renames)?;
        let ids = renames
            .into_iter()
            .map(|(_, name)| Column::new_unqualified(name));
        Ok((plan, ids.collect()))
    }

    fn name(&mut self) -> String {
        self.next += 1;
        format!("{RECORD_ID}_{}", self.next)
    }
}

/// `plan` with the id columns of `renames` last, each renamed, so that
/// they have names of their own and every branch of a union has its id
/// in the same place.
fn renamed(plan: LogicalPlan, renames: &[(Column, String)]) -> Result<LogicalPlan> {
    let schema = plan.schema().clone();
    let is_id = |c: &Column| renames.iter().any(|(id, _)| id.name == c.name);
    let mut exprs: Vec<Expr> = schema
        .columns()
        .into_iter()
        .filter(|c| !is_id(c))
        .map(Expr::Column)
        .collect();
    exprs.extend(
        renames
            .iter()
            .map(|(id, name)| Expr::Column(id.clone()).alias(name)),
    );
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}
