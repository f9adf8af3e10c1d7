//! `lattice(x)`: the step every whole-number value of a group lies on,
//! from the first: the greatest common divisor of their distances from
//! it (0 where all are equal). Amounts all in tens, or ages all odd, lie
//! on a coarser step than their type's, and a mean of them tells its
//! count by that step ([`super::means`]).

use std::mem::size_of;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{ScalarValue, internal_datafusion_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility, cast,
};

/// The step of `arg`'s values in each group, as a whole number.
pub(super) fn lattice(arg: Expr) -> Expr {
    static FUNCTION: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(Lattice::new())));
    FUNCTION.call(vec![cast(arg, DataType::Int64)])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Lattice {
    signature: Signature,
}

impl Lattice {
    fn new() -> Lattice {
        Lattice {
            signature: Signature::exact(vec![DataType::Int64], Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Lattice {
    fn name(&self) -> &str {
        "rongshu_lattice"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<Step>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(["first", "step"]
            .into_iter()
            .map(|part| {
                let name = format_state_name(args.name, part);
                Arc::new(Field::new(name, DataType::Int64, true))
            })
            .collect())
    }
}

/// The first value seen and the step of all seen from it.
#[derive(Debug, Default)]
struct Step {
    first: Option<i64>,
    step: u64,
}

impl Step {
    fn push(&mut self, value: i64) {
        match self.first {
            None => self.first = Some(value),
            Some(first) => self.step = gcd(self.step, first.abs_diff(value)),
        }
    }

    fn ints(array: &ArrayRef) -> Result<impl Iterator<Item = Option<i64>> + '_> {
        let values = array
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| internal_datafusion_err!("lattice reads whole numbers"))?;
        Ok(values.iter())
    }
}

impl Accumulator for Step {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for value in Step::ints(&values[0])?.flatten() {
            self.push(value);
        }
        Ok(())
    }

    /// A partial state's first value lies on the merged step as its own
    /// values do.
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for (first, step) in Step::ints(&states[0])?.zip(Step::ints(&states[1])?) {
            if let Some(first) = first {
                self.push(first);
                self.step = gcd(self.step, step.unwrap_or(0).unsigned_abs());
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Int64(self.first),
            ScalarValue::Int64(Some(i64::try_from(self.step).unwrap_or(i64::MAX))),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(
            i64::try_from(self.step).unwrap_or(i64::MAX),
        )))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::Step;

    fn step(values: &[i64]) -> u64 {
        let mut step = Step::default();
        values.iter().for_each(|v| step.push(*v));
        step.step
    }

    #[test]
    fn the_step_is_the_common_divisor_of_distances_from_the_first() {
        assert_eq!(step(&[10, 30, 70]), 20);
        assert_eq!(step(&[5, 15, 25]), 10);
        assert_eq!(step(&[3, 4]), 1);
        assert_eq!(step(&[7, 7]), 0);
        assert_eq!(step(&[i64::MIN, i64::MAX]), u64::MAX);
    }
}
