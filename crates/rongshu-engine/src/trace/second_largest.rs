//! `second_largest(a [, b])`: the second largest of every value of its
//! arguments in a group, ties counted twice. A streaming aggregate of two
//! numbers a group: DataFusion's `nth_value(x, 2 ORDER BY x DESC)` gives
//! the same but sorts the whole input first, in memory (the sandbox never
//! spills), so a trace of a large aggregation could fail where the
//! aggregation itself ran.

use std::mem::size_of;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{ScalarValue, internal_datafusion_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, TypeSignature, Volatility, cast,
};

/// The second largest of `args`' values in each group, as a float.
pub(super) fn second_largest(args: Vec<Expr>) -> Expr {
    static FUNCTION: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(SecondLargest::new())));
    let args = args
        .into_iter()
        .map(|arg| cast(arg, DataType::Float64))
        .collect();
    FUNCTION.call(args)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SecondLargest {
    signature: Signature,
}

impl SecondLargest {
    fn new() -> SecondLargest {
        let one = TypeSignature::Exact(vec![DataType::Float64]);
        let two = TypeSignature::Exact(vec![DataType::Float64, DataType::Float64]);
        SecondLargest {
            signature: Signature::one_of(vec![one, two], Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for SecondLargest {
    fn name(&self) -> &str {
        "rongshu_second_largest"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<TopTwo>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(["largest", "second"]
            .into_iter()
            .map(|part| {
                let name = format_state_name(args.name, part);
                Arc::new(Field::new(name, DataType::Float64, true))
            })
            .collect())
    }
}

/// The two largest values seen.
#[derive(Debug, Default)]
struct TopTwo {
    largest: Option<f64>,
    second: Option<f64>,
}

impl TopTwo {
    fn push(&mut self, value: f64) {
        match self.largest {
            Some(largest) if value <= largest => {
                if self.second.is_none_or(|second| value > second) {
                    self.second = Some(value);
                }
            }
            _ => {
                self.second = self.largest;
                self.largest = Some(value);
            }
        }
    }

    fn push_all(&mut self, arrays: &[ArrayRef]) -> Result<()> {
        for array in arrays {
            let values = array
                .as_primitive_opt::<Float64Type>()
                .ok_or_else(|| internal_datafusion_err!("second_largest reads floats"))?;
            values.iter().flatten().for_each(|v| self.push(v));
        }
        Ok(())
    }
}

impl Accumulator for TopTwo {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.push_all(values)
    }

    /// A partial state is its two largest: merging them is pushing them.
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.push_all(states)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(self.largest),
            ScalarValue::Float64(self.second),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.second))
    }

    fn size(&self) -> usize {
        size_of::<Self>()
    }
}

#[cfg(test)]
mod tests {
    use super::TopTwo;

    fn second(values: &[f64]) -> Option<f64> {
        let mut top = TopTwo::default();
        values.iter().for_each(|v| top.push(*v));
        top.second
    }

    #[test]
    fn the_second_largest_counts_ties_and_needs_two_values() {
        assert_eq!(second(&[]), None);
        assert_eq!(second(&[5.0]), None);
        assert_eq!(second(&[1.0, 9.0, 3.0, 7.0]), Some(7.0));
        assert_eq!(second(&[9.0, 7.0, 8.0]), Some(8.0));
        assert_eq!(second(&[4.0, 4.0, 1.0]), Some(4.0));
        assert_eq!(second(&[0.0, 0.0]), Some(0.0));
    }
}
