//! Means shown against rounded counts. A mean is S / n; where the values
//! lie on a step (whole numbers, cents), S is a whole number of steps, and
//! a mean shown exactly fits one count n alone among those a count
//! rounded to 5 leaves open. Shown to a step of 1 / n of the values' step
//! or coarser (`ROUND(avg(age), 1)` over ten or more whole numbers), it
//! fits every such count. So the trace says, for each column showing a
//! mean, the step of the values and the step it is shown to, and the
//! checks judge them under rounding. A variance or standard deviation of
//! whole numbers is a whole number over n (n - 1) and is judged alike.
//!
//! The values' step is their column's type's, and for whole numbers the
//! coarsest step a cell's values lie on ([`super::lattice`]: amounts all
//! in tens are on a step of ten). A variance's step is the square of it.

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan, TryCast};

use super::{reads, shows, unaliased};

/// How a column shows a mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Mean {
    /// The step of the values averaged; none where they have none known
    /// (floating point).
    pub(crate) grid: Option<f64>,
    /// The step it is shown to; 0 where shown as computed.
    pub(crate) step: f64,
    /// 2 for a variance (its step is the square of the values'), else 1.
    pub(crate) power: i32,
    /// The aggregate whose trace column holds each cell's [`lattice`]:
    /// the values' own step, a multiple of their type's, which the grid
    /// is to be multiplied by once the release ran ([`Mean::settled`]).
    lattice: Option<usize>,
}

impl Mean {
    /// A mean (or spread) of `arg`'s values over `input`, shown as
    /// computed. The values' step is their column's type's (a whole number,
    /// a decimal's last digit), for a column as it is or cast; computed
    /// values (`x * 1000`) have none known.
    pub(super) fn of(arg: &Expr, input: &LogicalPlan, function: &str, at: usize) -> Mean {
        let plain = match arg {
            Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => expr.as_ref(),
            other => other,
        };
        let grid = match plain.get_type(input.schema()) {
            _ if !matches!(plain, Expr::Column(_)) => None,
            Ok(t) if t.is_integer() => Some(1.0),
            Ok(DataType::Decimal128(_, scale) | DataType::Decimal256(_, scale)) => {
                Some(10f64.powi(-i32::from(scale)))
            }
            _ => None,
        };
        Mean {
            grid,
            step: 0.0,
            power: if function.starts_with("var") { 2 } else { 1 },
            // Whole numbers' own step is read from the data.
            lattice: (grid == Some(1.0)).then_some(at),
        }
    }

    /// Kept as a table made it: its grid settled and raised.
    pub(super) fn kept(grid: Option<f64>, step: f64) -> Mean {
        Mean {
            grid,
            step,
            power: 1,
            lattice: None,
        }
    }

    /// The grid as the table keeps it: settled, raised to its power.
    pub(crate) fn kept_grid(self) -> Option<f64> {
        self.grid.map(|g| g.powi(self.power))
    }

    /// The aggregate whose values' step is still to be read, if any.
    pub(super) fn lattice(self) -> Option<usize> {
        self.lattice
    }

    /// The trace column of the lattice of the aggregate `at`'s values.
    pub(super) fn lattice_column(at: usize) -> String {
        format!("__rongshu_lattice_{at}")
    }

    /// The mean with its grid multiplied by the coarsest step any cell's
    /// values lie on (a cell of values all equal says nothing of it),
    /// read from the release's `batches`.
    pub(crate) fn settled(self, batches: &[RecordBatch]) -> Result<Mean> {
        let (Some(at), Some(grid)) = (self.lattice, self.grid) else {
            return Ok(self);
        };
        let name = Mean::lattice_column(at);
        let mut coarsest = 0_i64;
        for batch in batches {
            let steps = batch.column(batch.schema().index_of(&name)?);
            let steps = steps.as_primitive::<Int64Type>();
            coarsest = steps.iter().flatten().fold(coarsest, i64::max);
        }
        Ok(Mean {
            grid: Some(grid * coarsest.max(1) as f64),
            lattice: None,
            ..self
        })
    }

    /// The shown step over the values' step: 0 where it could tell a count.
    pub(crate) fn coarseness(self) -> f64 {
        match self.kept_grid() {
            Some(grid) if grid > 0.0 => self.step / grid,
            _ => 0.0,
        }
    }

    /// Rounded again, to `step`.
    fn rounded(self, step: f64) -> Mean {
        Mean {
            step: self.step.max(step),
            ..self
        }
    }
}

/// The mean the result's column `at` shows, through the chain, where the
/// chain's bottom's columns show those of `bottom`: as it is, rounded
/// (`round(m, 1)`), or computed from one (taken as exact).
pub(super) fn shown(
    chain: &[LogicalPlan],
    at: usize,
    bottom: impl Fn(usize) -> Option<Mean>,
) -> Option<Mean> {
    let mut at = at;
    for (depth, node) in chain.iter().enumerate() {
        let LogicalPlan::Projection(projection) = node else {
            continue;
        };
        let below = &chain[depth + 1..];
        let input = projection.input.schema();
        let expr = unaliased(projection.expr.get(at)?);
        if let Expr::Column(column) = expr {
            at = input.index_of_column(column).ok()?;
            continue;
        }
        if let Some((column, step)) = rounding(expr)
            && let Some(mean) = input
                .index_of_column(column)
                .ok()
                .and_then(|inner| shows(below, inner))
                .and_then(&bottom)
        {
            return Some(mean.rounded(step));
        }
        let mean = reads(&chain[depth..], at).into_iter().find_map(&bottom)?;
        return Some(Mean { step: 0.0, ..mean });
    }
    bottom(at)
}

/// The column `round(column, decimals)` rounds and the step it rounds to.
fn rounding(expr: &Expr) -> Option<(&datafusion::common::Column, f64)> {
    let Expr::ScalarFunction(function) = expr else {
        return None;
    };
    if function.func.name() != "round" {
        return None;
    }
    let (Expr::Column(column), decimals) = (function.args.first()?, function.args.get(1)) else {
        return None;
    };
    let decimals = match decimals {
        None => 0,
        Some(Expr::Literal(value, _)) => match value.cast_to(&DataType::Int32).ok()? {
            ScalarValue::Int32(Some(d)) => d,
            _ => return None,
        },
        Some(_) => return None,
    };
    Some((column, 10f64.powi(-decimals)))
}
