//! What a column or a measure's argument holds, so that a sum cannot hide
//! one record behind known numbers: beside `count(*)`, `sum(x + 1e9)`
//! gives Σx, and `sum(x * CASE WHEN name = 'A' THEN 1 ELSE 1e6 END)` gives
//! A's x in its low digits, yet no contribution to either dominates.
//!
//! A measure may add up the records' *values* (their columns, scaled by
//! one number, rounded, chosen by a `CASE` at the measure's top) or one
//! *uniform* number per record (a count's weight); never values shifted
//! or weighted by numbers the researcher knows (literals that differ
//! between records, their own uploads, `VALUES`, table functions,
//! counts), and never a minimum, maximum or other order statistic.
//! Columns are followed down to the tables they come from; a table the
//! engine made, or an upload, marks what its columns hold
//! ([`super::kept`]), so keeping a table launders nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{
    BinaryExpr, Distinct, Expr, ExprSchemable, JoinType, LogicalPlan, Operator, lit,
};

use super::kept::HOLDS;
use super::{MEASURES, scans, unaliased};

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
    /// Values weighting values (`x * y`): where one factor is zero or
    /// null, the others' values drop out of a sum unseen. Added up only at
    /// a measure's top, where its factors' choices can be checked.
    Product,
    /// Values mixed with numbers, or taken from one record.
    Computed,
}

/// Functions of one value that keep it what it is (their other arguments
/// uniform).
const KEEPING: [&str; 1] = ["abs"];

/// Functions that round a number: of a value, a step (`ceil(x / 205.0)`
/// is 1 for every capital up to 205 and 2 above, a filter the checks
/// would not see); of a literal, still one literal.
const ROUNDING: [&str; 4] = ["round", "floor", "ceil", "trunc"];

/// Functions that pick the first of their arguments that is not null.
const PICKING: [&str; 3] = ["coalesce", "nvl", "ifnull"];

impl Holds {
    fn product(self, other: Holds) -> Holds {
        use Holds::*;
        match (self, other) {
            (Computed, _) | (_, Computed) => Computed,
            // Zero times a value is null where the value is: it would
            // take those records out of a sum unseen.
            (Nothing, Nothing | Uniform) | (Uniform, Nothing) => Nothing,
            (Nothing, _) | (_, Nothing) => Computed,
            // Weights the researcher chose would encode records apart.
            (Values | Product, Known) | (Known, Values | Product) => Computed,
            (Values | Product, Values | Product) => Product,
            (h @ (Values | Product), Uniform) | (Uniform, h @ (Values | Product)) => h,
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

    /// Where branches of a `UNION` meet: values only with values (a zero
    /// in their place would stand in for some records' values).
    fn union(branches: impl IntoIterator<Item = Holds>) -> Holds {
        use Holds::*;
        let met = branches.into_iter().reduce(|met, h| match (met, h) {
            (Computed | Product, _) | (_, Computed | Product) => Computed,
            (Values, Values) => Values,
            (Values, _) | (_, Values) => Computed,
            // Each branch's own literal: they may differ.
            _ => Known,
        });
        met.unwrap_or(Computed)
    }

    /// The mark a table keeps on such a column.
    pub(crate) fn mark(self) -> Option<&'static str> {
        match self {
            Holds::Values => None,
            Holds::Computed | Holds::Product => Some("computed"),
            _ => Some("known"),
        }
    }

    pub(super) fn marked(mark: Option<&String>) -> Holds {
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
    tables: &'a [Arc<dyn TableProvider>],
    /// What each column of each node holds, once read: a column read
    /// twice a level (`v * v`) would otherwise double the work a level.
    read: RefCell<HashMap<(*const LogicalPlan, usize), Holds>>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(tables: &'a [Arc<dyn TableProvider>]) -> Reader<'a> {
        Reader {
            tables,
            read: RefCell::default(),
        }
    }

    /// What `expr`, over the output of `plan`, holds.
    pub(crate) fn expr(&self, plan: &LogicalPlan, expr: &Expr) -> Holds {
        match expr {
            Expr::Alias(alias) => self.expr(plan, &alias.expr),
            Expr::Literal(value, _) if adds_nothing(value) => Holds::Nothing,
            Expr::Literal(..) => Holds::Uniform,
            Expr::Column(column) => match plan.schema().index_of_column(column) {
                Ok(at) => self.column(plan, at),
                Err(_) => Holds::Computed,
            },
            // A fraction cast to an integer is rounded, as below.
            Expr::Cast(cast) => match self.expr(plan, &cast.expr) {
                Holds::Values | Holds::Product
                    if cast.field.data_type().is_integer() && !truncates(plan, &cast.expr) =>
                {
                    Holds::Computed
                }
                holds => holds,
            },
            Expr::Negative(inner) => self.expr(plan, inner),
            Expr::ScalarFunction(function)
                if KEEPING.contains(&function.name()) || ROUNDING.contains(&function.name()) =>
            {
                let mut args = function.args.iter().map(|a| self.expr(plan, a));
                let first = args.next().unwrap_or(Holds::Computed);
                let rounds_a_value = ROUNDING.contains(&function.name())
                    && matches!(first, Holds::Values | Holds::Product);
                if !rounds_a_value && args.all(|h| matches!(h, Holds::Nothing | Holds::Uniform)) {
                    first
                } else {
                    Holds::Computed
                }
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (left, right) = (self.expr(plan, left), self.expr(plan, right));
                match op {
                    // Dividing integers rounds down: a step, as above.
                    Operator::Divide if truncates(plan, expr) => match left.product(right) {
                        h @ (Holds::Nothing | Holds::Uniform | Holds::Known) => h,
                        _ => Holds::Computed,
                    },
                    Operator::Multiply | Operator::Divide => left.product(right),
                    Operator::Plus | Operator::Minus => left.sum(right),
                    _ => Holds::Computed,
                }
            }
            // A CASE or coalesce below a measure's top (or a try_cast)
            // chooses records where the checks cannot see it.
            _ => Holds::Computed,
        }
    }

    /// What a measure's argument holds. At its top, a `CASE` or
    /// `coalesce` may choose its records (all its branches that add
    /// something the same, none choosing in turn): values or weights it
    /// chose among would not add up.
    pub(crate) fn argument(&self, plan: &LogicalPlan, arg: &Expr) -> Holds {
        match arg {
            Expr::Alias(alias) => self.argument(plan, &alias.expr),
            Expr::Cast(cast) => self.argument(plan, &cast.expr),
            Expr::Case(case) => self.same(plan, branches(case)),
            Expr::ScalarFunction(function) if PICKING.contains(&function.name()) => {
                self.same(plan, function.args.iter())
            }
            other => self.expr(plan, other),
        }
    }

    /// The records a measure's argument chooses by a `CASE` at its top:
    /// those for which it picks a branch that counts (not null, for a
    /// count or a mean) or adds (nor zero, for a sum). None if it takes
    /// every record.
    pub(crate) fn chooses(&self, plan: &LogicalPlan, arg: &Expr, adding: bool) -> Option<Expr> {
        match arg {
            Expr::Alias(alias) => self.chooses(plan, &alias.expr, adding),
            Expr::Cast(cast) => self.chooses(plan, &cast.expr, adding),
            Expr::Case(case) => {
                let takes = |e: &Expr| match adding {
                    true => self.expr(plan, e) != Holds::Nothing,
                    false => !literal(e).is_some_and(ScalarValue::is_null),
                };
                let when_then_expr = case
                    .when_then_expr
                    .iter()
                    .map(|(when, then)| (when.clone(), Box::new(lit(takes(then)))))
                    .collect();
                let otherwise = case.else_expr.as_deref().is_some_and(takes);
                Some(Expr::Case(Case {
                    expr: case.expr.clone(),
                    when_then_expr,
                    else_expr: Some(Box::new(lit(otherwise))),
                }))
            }
            _ => None,
        }
    }

    /// The distinct factors holding values of a product at a measure's
    /// top; none if a factor was itself multiplied below the measure, out
    /// of the checks' sight.
    pub(crate) fn value_factors(&self, plan: &LogicalPlan, arg: &Expr) -> Option<Vec<Expr>> {
        let mut factors = Vec::new();
        self.factors(plan, arg, &mut factors).then_some(factors)
    }

    /// Gathers into `factors` the distinct factors holding values of a
    /// measure's argument, through the `CASE` or `coalesce` choosing its
    /// records; false if one holds anything else.
    fn factors(&self, plan: &LogicalPlan, expr: &Expr, factors: &mut Vec<Expr>) -> bool {
        let adding = |e: &&Expr| !matches!(self.expr(plan, e), Holds::Nothing | Holds::Uniform);
        match expr {
            Expr::Alias(alias) => self.factors(plan, &alias.expr, factors),
            Expr::Cast(cast) => self.factors(plan, &cast.expr, factors),
            Expr::Negative(inner) => self.factors(plan, inner, factors),
            Expr::Case(case) => branches(case)
                .filter(adding)
                .all(|b| self.factors(plan, b, factors)),
            Expr::ScalarFunction(function)
                if KEEPING.contains(&function.name()) || PICKING.contains(&function.name()) =>
            {
                function
                    .args
                    .iter()
                    .filter(adding)
                    .all(|a| self.factors(plan, a, factors))
            }
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Multiply | Operator::Divide,
                right,
            }) => self.factors(plan, left, factors) && self.factors(plan, right, factors),
            other => match self.expr(plan, other) {
                Holds::Nothing | Holds::Uniform => true,
                Holds::Values => {
                    if !factors.contains(other) {
                        factors.push(other.clone());
                    }
                    true
                }
                _ => false,
            },
        }
    }

    /// What branches hold when all that add something are the same.
    fn same<'e>(&self, plan: &LogicalPlan, branches: impl Iterator<Item = &'e Expr>) -> Holds {
        let mut met: Option<(&Expr, Holds)> = None;
        for branch in branches {
            let holds = self.expr(plan, branch);
            match met {
                // Nothing only as a literal, so that a count reads it alike.
                _ if holds == Holds::Nothing && literal(branch).is_none() => {
                    return Holds::Computed;
                }
                _ if holds == Holds::Nothing => {}
                None => met = Some((branch, holds)),
                Some((first, _)) if first == branch => {}
                Some(_) => return Holds::Computed,
            }
        }
        met.map_or(Holds::Nothing, |(_, holds)| holds)
    }

    /// What the column `at` of `plan`'s output holds.
    pub(crate) fn column(&self, plan: &LogicalPlan, at: usize) -> Holds {
        let key = (plan as *const LogicalPlan, at);
        if let Some(holds) = self.read.borrow().get(&key) {
            return *holds;
        }
        let holds = self.column_read(plan, at);
        self.read.borrow_mut().insert(key, holds);
        holds
    }

    fn column_read(&self, plan: &LogicalPlan, at: usize) -> Holds {
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
                let workspace = self.tables.iter().any(|t| scans(scan, t));
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
            ("count", _) if function.params.filter.is_none() => Holds::Known,
            // Filtered, it chose records the outer checks would not see.
            (_, [arg])
                if MEASURES.contains(&name)
                    && !function.params.distinct
                    && function.params.filter.is_none() =>
            {
                match self.expr(input, arg) {
                    Holds::Values => Holds::Values,
                    Holds::Computed | Holds::Product => Holds::Computed,
                    _ => Holds::Known,
                }
            }
            _ => Holds::Computed,
        }
    }
}

/// The records a product of `factors` leaves out of its sum unseen, one
/// set a factor: where that factor is zero or null and every other is not
/// (`sum(x)` less `sum(x * flag)` is the x of the records whose flag is 0).
pub(crate) fn left_out(factors: &[Expr]) -> Vec<Expr> {
    let zero = |f: &Expr| f.clone().is_null().or(f.clone().eq(lit(0_i64)));
    (0..factors.len())
        .map(|k| {
            let others = factors.iter().enumerate().filter(|(j, _)| *j != k);
            others.fold(zero(&factors[k]), |all, (_, f)| all.and(counted(f)))
        })
        .collect()
}

/// Whether a factor counts in its product: neither zero nor null.
pub(crate) fn counted(factor: &Expr) -> Expr {
    factor
        .clone()
        .is_not_null()
        .and(factor.clone().not_eq(lit(0_i64)))
}

/// The branches of a `CASE`: what each `WHEN` and the `ELSE` give.
fn branches(case: &Case) -> impl Iterator<Item = &Expr> {
    case.when_then_expr
        .iter()
        .map(|(_, then)| then.as_ref())
        .chain(case.else_expr.as_deref())
}

/// The literal `expr` is, through casts.
pub(super) fn literal(expr: &Expr) -> Option<&ScalarValue> {
    match expr {
        Expr::Literal(value, _) => Some(value),
        Expr::Cast(cast) => literal(&cast.expr),
        _ => None,
    }
}

/// Zero or null: a literal that adds nothing.
fn adds_nothing(value: &ScalarValue) -> bool {
    value.is_null() || ScalarValue::new_zero(&value.data_type()).is_ok_and(|zero| zero == *value)
}

/// Whether a measure's argument is one, or chooses records by a `CASE`
/// or `coalesce` of ones and nothing: then its sum is a plain count.
pub(crate) fn counts_ones(arg: &Expr) -> bool {
    let one_or_nothing = |e: &Expr| {
        literal(e).is_some_and(|value| {
            adds_nothing(value)
                || value
                    .cast_to(&DataType::Float64)
                    .is_ok_and(|v| v == ScalarValue::Float64(Some(1.0)))
        })
    };
    match arg {
        Expr::Alias(alias) => counts_ones(&alias.expr),
        Expr::Cast(cast) => counts_ones(&cast.expr),
        Expr::Case(case) => branches(case).all(one_or_nothing),
        Expr::ScalarFunction(function) if PICKING.contains(&function.name()) => {
            function.args.iter().all(one_or_nothing)
        }
        other => one_or_nothing(other),
    }
}

/// Whether `expr`, over the output of `plan`, is an integer (a division
/// of integers rounds down); if its type is unknown, as if it were.
fn truncates(plan: &LogicalPlan, expr: &Expr) -> bool {
    !matches!(expr.get_type(plan.schema()), Ok(t) if !t.is_integer())
}
