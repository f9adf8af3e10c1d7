//! What a column or a measure's argument holds, so that a sum cannot hide
//! a record's value behind a known offset: beside `count(*)`,
//! `sum(x + 1e9)` gives Σx, yet no contribution to it dominates.
//!
//! A measure may add up the records' *values* (their columns, scaled,
//! rounded, chosen among by `CASE`) or *constants* (a count's weights),
//! never values shifted by constants or by other columns, nor a `CASE`
//! that picks values for some records and constants for others. Columns
//! are followed down to the tables they come from; a table the engine
//! made says which of its columns were constants or computed
//! ([`super::kept`] marks them), so that keeping a table launders nothing.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr, JoinType, LogicalPlan, Operator};

use super::kept::HOLDS;
use super::unaliased;

/// What a column or an expression holds, from the least to the most
/// that a measure may not add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holds {
    /// Zero or null: adds nothing.
    Nothing,
    /// The same known value for every record.
    Constant,
    /// The records' values.
    Values,
    /// Values mixed with constants or with each other.
    Computed,
}

/// Functions of one value that keep it a value (their other arguments
/// constants).
const KEEPING: [&str; 5] = ["abs", "round", "floor", "ceil", "trunc"];

impl Holds {
    /// Where branches of a `CASE` or a `UNION` meet: all values or all
    /// constants, or nothing.
    fn either(branches: impl IntoIterator<Item = Holds>) -> Holds {
        branches
            .into_iter()
            .filter(|h| *h != Holds::Nothing)
            .try_fold(Holds::Nothing, |met, h| match met {
                Holds::Nothing => Some(h),
                met if met == h => Some(h),
                _ => None,
            })
            .unwrap_or(Holds::Computed)
    }

    fn product(self, other: Holds) -> Holds {
        use Holds::*;
        match (self, other) {
            (Computed, _) | (_, Computed) => Computed,
            (Nothing, _) | (_, Nothing) => Nothing,
            (Values, _) | (_, Values) => Values,
            _ => Constant,
        }
    }

    fn sum(self, other: Holds) -> Holds {
        use Holds::*;
        match (self, other) {
            (Nothing, h) | (h, Nothing) => h,
            (Constant, Constant) => Constant,
            _ => Computed,
        }
    }

    /// The mark a table the engine made keeps on such a column.
    pub(crate) fn mark(self) -> Option<&'static str> {
        match self {
            Holds::Nothing | Holds::Constant => Some("constant"),
            Holds::Values => None,
            Holds::Computed => Some("computed"),
        }
    }

    fn marked(mark: Option<&String>) -> Holds {
        match mark.map(String::as_str) {
            None => Holds::Values,
            Some("constant") => Holds::Constant,
            Some(_) => Holds::Computed,
        }
    }
}

/// Reads what columns of a plan hold, knowing the workspace's tables.
pub(crate) struct Reader<'a> {
    /// The workspace's tables as queries read them; any other scan is a
    /// table function of known values.
    pub(crate) tables: &'a [Arc<dyn TableProvider>],
}

impl Reader<'_> {
    /// What `expr`, over the output of `plan`, holds.
    pub(crate) fn expr(&self, plan: &LogicalPlan, expr: &Expr) -> Holds {
        match expr {
            Expr::Alias(alias) => self.expr(plan, &alias.expr),
            Expr::Literal(value, _) => {
                let zero = datafusion::common::ScalarValue::new_zero(&value.data_type())
                    .is_ok_and(|zero| zero == *value);
                if value.is_null() || zero {
                    Holds::Nothing
                } else {
                    Holds::Constant
                }
            }
            Expr::Column(column) => match plan.schema().index_of_column(column) {
                Ok(at) => self.column(plan, at),
                Err(_) => Holds::Computed,
            },
            Expr::Cast(cast) => self.expr(plan, &cast.expr),
            Expr::TryCast(cast) => self.expr(plan, &cast.expr),
            Expr::Negative(inner) => self.expr(plan, inner),
            Expr::ScalarFunction(function) if KEEPING.contains(&function.name()) => {
                let mut args = function.args.iter().map(|a| self.expr(plan, a));
                let first = args.next().unwrap_or(Holds::Computed);
                if args.all(|h| matches!(h, Holds::Nothing | Holds::Constant)) {
                    first
                } else {
                    Holds::Computed
                }
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (left, right) = (self.expr(plan, left), self.expr(plan, right));
                match op {
                    Operator::Multiply | Operator::Divide => left.product(right),
                    Operator::Plus | Operator::Minus => left.sum(right),
                    _ => Holds::Computed,
                }
            }
            Expr::Case(case) => Holds::either(
                case.when_then_expr
                    .iter()
                    .map(|(_, then)| then.as_ref())
                    .chain(case.else_expr.as_deref())
                    .map(|e| self.expr(plan, e)),
            ),
            _ => Holds::Computed,
        }
    }

    /// What the column `at` of `plan`'s output holds.
    pub(crate) fn column(&self, plan: &LogicalPlan, at: usize) -> Holds {
        match plan {
            LogicalPlan::Projection(projection) => match projection.expr.get(at) {
                Some(expr) => self.expr(&projection.input, unaliased(expr)),
                None => Holds::Computed,
            },
            LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Repartition(_)
            | LogicalPlan::Distinct(Distinct::All(_)) => self.column(plan.inputs()[0], at),
            LogicalPlan::Window(window) if at < window.input.schema().fields().len() => {
                self.column(&window.input, at)
            }
            LogicalPlan::Join(join) => {
                let left = join.left.schema().fields().len();
                match join.join_type {
                    JoinType::Inner | JoinType::Left | JoinType::Right | JoinType::Full => {
                        match at.checked_sub(left) {
                            None => self.column(&join.left, at),
                            Some(at) => self.column(&join.right, at),
                        }
                    }
                    JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark if at < left => {
                        self.column(&join.left, at)
                    }
                    JoinType::RightSemi | JoinType::RightAnti => self.column(&join.right, at),
                    _ => Holds::Computed,
                }
            }
            LogicalPlan::Union(union) => {
                Holds::either(union.inputs.iter().map(|input| self.column(input, at)))
            }
            LogicalPlan::Aggregate(aggregate) => {
                let keys = &aggregate.group_expr;
                if keys.iter().any(|e| matches!(e, Expr::GroupingSet(_))) {
                    return Holds::Computed;
                }
                match keys.get(at) {
                    Some(key) => self.expr(&aggregate.input, key),
                    None => aggregate
                        .aggr_expr
                        .get(at - keys.len())
                        .map_or(Holds::Computed, |m| self.measure(&aggregate.input, m)),
                }
            }
            LogicalPlan::TableScan(scan) => {
                let workspace = source_as_provider(&scan.source)
                    .is_ok_and(|read| self.tables.iter().any(|t| Arc::ptr_eq(t, &read)));
                match scan.projected_schema.fields().get(at) {
                    Some(field) if workspace => Holds::marked(field.metadata().get(HOLDS)),
                    Some(_) => Holds::Constant,
                    None => Holds::Computed,
                }
            }
            LogicalPlan::Values(_) | LogicalPlan::EmptyRelation(_) => Holds::Constant,
            _ => Holds::Computed,
        }
    }

    /// What an inner aggregation's measure holds: a value of the records
    /// when it counts them or aggregates values or constants.
    fn measure(&self, input: &LogicalPlan, measure: &Expr) -> Holds {
        let Expr::AggregateFunction(function) = unaliased(measure) else {
            return Holds::Computed;
        };
        match (function.func.name(), function.params.args.as_slice()) {
            ("count", _) => Holds::Values,
            (_, [arg]) if self.expr(input, arg) != Holds::Computed => Holds::Values,
            _ => Holds::Computed,
        }
    }
}
