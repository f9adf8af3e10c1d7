//! What a column or a measure's argument holds, so that a sum cannot hide
//! one record behind known numbers: beside `count(*)`, `sum(x + 1e9)`
//! gives Σx, and `sum(x * CASE WHEN name = 'A' THEN 1 ELSE 1e6 END)` gives
//! A's x in its low digits, yet no contribution to either dominates.
//!
//! A measure may add up the records' *values* (their columns, scaled by
//! one number, rounded, filtered by `CASE`) or one *uniform* number per
//! record (a count's weight); never values shifted by numbers or weighted
//! by numbers the researcher knows (literals that differ between records,
//! their own uploads, `VALUES`, table functions, counts), and never a
//! minimum, maximum or other order statistic. Columns are followed down
//! to the tables they come from; a table the engine made, or an upload,
//! marks what its columns hold ([`super::kept`]), so keeping a table
//! launders nothing.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr, JoinType, LogicalPlan, Operator, lit};

use super::kept::HOLDS;
use super::{MEASURES, unaliased};

/// What a column or an expression holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Holds {
    /// Zero or null: adds nothing.
    Nothing,
    /// One literal number, the same for every record.
    Uniform,
    /// Numbers the researcher knows, which may differ between records.
    Known,
    /// The records' values.
    Values,
    /// Values mixed with numbers, or taken from one record.
    Computed,
}

/// Functions of one value that keep it what it is (their other arguments
/// uniform).
const KEEPING: [&str; 6] = ["abs", "round", "floor", "ceil", "trunc", "nullif"];

/// Functions that pick the first of their arguments that is not null.
const PICKING: [&str; 3] = ["coalesce", "nvl", "ifnull"];

impl Holds {
    fn product(self, other: Holds) -> Holds {
        use Holds::*;
        match (self, other) {
            (Computed, _) | (_, Computed) => Computed,
            (Nothing, _) | (_, Nothing) => Nothing,
            // Weights the researcher chose would encode records apart.
            (Values, Known) | (Known, Values) => Computed,
            (Values, _) | (_, Values) => Values,
            (Uniform, Uniform) => Uniform,
            _ => Known,
        }
    }

    fn sum(self, other: Holds) -> Holds {
        use Holds::*;
        match (self, other) {
            (Nothing, h) | (h, Nothing) => h,
            (Uniform, Uniform) => Uniform,
            (Uniform | Known, Uniform | Known) => Known,
            _ => Computed,
        }
    }

    /// Where branches of a `UNION` meet: values only with values.
    fn union(branches: impl IntoIterator<Item = Holds>) -> Holds {
        use Holds::*;
        branches.into_iter().fold(Nothing, |met, h| match (met, h) {
            (Computed, _) | (_, Computed) => Computed,
            (Nothing, h) | (h, Nothing) => h,
            (Values, Values) => Values,
            (Values, _) | (_, Values) => Computed,
            // Each branch's own literal: they may differ.
            _ => Known,
        })
    }

    /// The mark a table keeps on such a column.
    pub(crate) fn mark(self) -> Option<&'static str> {
        match self {
            Holds::Values => None,
            Holds::Computed => Some("computed"),
            _ => Some("known"),
        }
    }

    fn marked(mark: Option<&String>) -> Holds {
        match mark.map(String::as_str) {
            None => Holds::Values,
            Some("known") => Holds::Known,
            Some(_) => Holds::Computed,
        }
    }

    /// Whether a measure may add it up.
    pub(crate) fn adds_up(self) -> bool {
        matches!(self, Holds::Nothing | Holds::Uniform | Holds::Values)
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
                    Holds::Uniform
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
                if args.all(|h| matches!(h, Holds::Nothing | Holds::Uniform)) {
                    first
                } else {
                    Holds::Computed
                }
            }
            Expr::ScalarFunction(function) if PICKING.contains(&function.name()) => {
                self.same(plan, function.args.iter())
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (left, right) = (self.expr(plan, left), self.expr(plan, right));
                match op {
                    Operator::Multiply | Operator::Divide => left.product(right),
                    Operator::Plus | Operator::Minus => left.sum(right),
                    _ => Holds::Computed,
                }
            }
            // A CASE may filter (its other branches null or zero), not
            // choose among values or weights.
            Expr::Case(case) => self.same(
                plan,
                case.when_then_expr
                    .iter()
                    .map(|(_, then)| then.as_ref())
                    .chain(case.else_expr.as_deref()),
            ),
            _ => Holds::Computed,
        }
    }

    /// The rows `expr` adds something for by its form, where that is not
    /// all: every `CASE` on its way picks a branch that adds something.
    /// (A measure's filter by another name, whose complement the checks
    /// must see too.)
    pub(crate) fn selects(&self, plan: &LogicalPlan, expr: &Expr) -> Option<Expr> {
        let adds = |e: &Expr| self.expr(plan, e) != Holds::Nothing;
        match expr {
            Expr::Alias(alias) => self.selects(plan, &alias.expr),
            Expr::Cast(cast) => self.selects(plan, &cast.expr),
            Expr::TryCast(cast) => self.selects(plan, &cast.expr),
            Expr::Negative(inner) => self.selects(plan, inner),
            Expr::ScalarFunction(function) if KEEPING.contains(&function.name()) => {
                self.selects(plan, function.args.first()?)
            }
            Expr::ScalarFunction(function) if PICKING.contains(&function.name()) => {
                self.selects(plan, function.args.iter().find(|a| adds(a))?)
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (l, r) = (self.selects(plan, left), self.selects(plan, right));
                match op {
                    Operator::Multiply | Operator::Divide => match (l, r) {
                        (Some(l), Some(r)) => Some(l.and(r)),
                        (l, r) => l.or(r),
                    },
                    Operator::Plus | Operator::Minus if !adds(left) => r,
                    Operator::Plus | Operator::Minus if !adds(right) => l,
                    Operator::Plus | Operator::Minus => Some(l?.or(r?)),
                    _ => None,
                }
            }
            Expr::Case(case) => {
                let branches = case.when_then_expr.iter().map(|(_, then)| then.as_ref());
                let mut branches = branches.chain(case.else_expr.as_deref());
                let picked = Expr::Case(Case {
                    expr: case.expr.clone(),
                    when_then_expr: case
                        .when_then_expr
                        .iter()
                        .map(|(when, then)| (when.clone(), Box::new(lit(adds(then)))))
                        .collect(),
                    else_expr: Some(Box::new(lit(case.else_expr.as_deref().is_some_and(adds)))),
                });
                match branches
                    .find(|b| adds(b))
                    .and_then(|b| self.selects(plan, b))
                {
                    Some(within) => Some(picked.and(within)),
                    None => Some(picked),
                }
            }
            _ => None,
        }
    }

    /// What branches hold when all that add something are the same.
    fn same<'e>(&self, plan: &LogicalPlan, branches: impl Iterator<Item = &'e Expr>) -> Holds {
        let mut adding = branches.filter(|e| self.expr(plan, e) != Holds::Nothing);
        match adding.next() {
            None => Holds::Nothing,
            Some(first) if adding.all(|e| e == first) => self.expr(plan, first),
            Some(_) => Holds::Computed,
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
                Holds::union(union.inputs.iter().map(|input| self.column(input, at)))
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
                    Some(_) => Holds::Known,
                    None => Holds::Computed,
                }
            }
            LogicalPlan::Values(_) | LogicalPlan::EmptyRelation(_) => Holds::Known,
            _ => Holds::Computed,
        }
    }

    /// What an inner aggregation's measure holds: a sum or mean of values
    /// is values; a count, or a sum of numbers, is known to whoever knows
    /// which records it counts; an order statistic is one record's value.
    fn measure(&self, input: &LogicalPlan, measure: &Expr) -> Holds {
        let Expr::AggregateFunction(function) = unaliased(measure) else {
            return Holds::Computed;
        };
        let name = function.func.name();
        match (name, function.params.args.as_slice()) {
            ("count", _) => Holds::Known,
            (_, [arg]) if MEASURES.contains(&name) && !function.params.distinct => {
                match self.expr(input, arg) {
                    Holds::Values => Holds::Values,
                    Holds::Computed => Holds::Computed,
                    _ => Holds::Known,
                }
            }
            _ => Holds::Computed,
        }
    }
}
