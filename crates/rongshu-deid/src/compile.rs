//! A pipeline checked against the fields it will run on: every name
//! resolved to a column, every parameter in range.

use rongshu_classify::IdentifierKind;

use crate::pipeline::{Clean, Pipeline, Step, Transform};

/// Why a pipeline cannot run on the given fields.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PipelineError {
    #[error("step {step} names the field {field}, which the product does not output")]
    UnknownField { step: usize, field: String },
    #[error("step {step}: {problem}")]
    BadParameter { step: usize, problem: &'static str },
    #[error("k-anonymity needs k of at least 2 and at least one quasi-identifier")]
    BadK,
    #[error("the quasi-identifier {field} is not output by the product")]
    UnknownQuasiIdentifier { field: String },
    #[error("the quasi-identifier {field} gets random noise, so its groups cannot be counted")]
    NoisyQuasiIdentifier { field: String },
}

#[derive(Clone, Debug)]
pub(crate) enum Op {
    Clean(Clean, Vec<usize>),
    Validate(usize, IdentifierKind),
    Require(Vec<usize>),
    Deduplicate(Vec<usize>),
    Transform(usize, Transform),
}

/// A pipeline ready to run over batches whose columns are `fields`.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub(crate) fields: Vec<String>,
    pub(crate) ops: Vec<Op>,
    pub(crate) k_anonymity: Option<(Vec<usize>, u32)>,
}

impl Compiled {
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Whether a first counting pass over all rows must precede the run.
    pub fn needs_count(&self) -> bool {
        self.k_anonymity.is_some()
    }
}

impl Pipeline {
    /// Resolves the pipeline against the output fields, in order.
    pub fn compile(&self, fields: &[String]) -> Result<Compiled, PipelineError> {
        let index = |step: usize, name: &str| {
            fields
                .iter()
                .position(|f| f == name)
                .ok_or_else(|| PipelineError::UnknownField {
                    step,
                    field: name.to_owned(),
                })
        };
        let all_or = |step: usize, names: &[String]| -> Result<Vec<usize>, PipelineError> {
            if names.is_empty() {
                Ok((0..fields.len()).collect())
            } else {
                names.iter().map(|n| index(step, n)).collect()
            }
        };
        let mut ops = Vec::with_capacity(self.steps.len());
        for (at, step) in self.steps.iter().enumerate() {
            let step_no = at + 1;
            ops.push(match step {
                Step::Clean { op, fields } => Op::Clean(*op, all_or(step_no, fields)?),
                Step::Validate { field, kind } => Op::Validate(index(step_no, field)?, *kind),
                Step::Require { fields } => Op::Require(all_or(step_no, fields)?),
                Step::Deduplicate { fields } => Op::Deduplicate(all_or(step_no, fields)?),
                Step::Transform { field, op } => {
                    check_parameters(step_no, op)?;
                    Op::Transform(index(step_no, field)?, op.clone())
                }
            });
        }
        let k_anonymity = match &self.k_anonymity {
            None => None,
            Some(k) if k.k < 2 || k.quasi_identifiers.is_empty() => {
                return Err(PipelineError::BadK);
            }
            Some(k) => {
                let mut columns = Vec::new();
                for name in &k.quasi_identifiers {
                    let column = fields.iter().position(|f| f == name).ok_or_else(|| {
                        PipelineError::UnknownQuasiIdentifier {
                            field: name.clone(),
                        }
                    })?;
                    if self
                        .transforms_of(name)
                        .any(|t| matches!(t, Transform::Noise(_)))
                    {
                        return Err(PipelineError::NoisyQuasiIdentifier {
                            field: name.clone(),
                        });
                    }
                    columns.push(column);
                }
                Some((columns, k.k))
            }
        };
        Ok(Compiled {
            fields: fields.to_vec(),
            ops,
            k_anonymity,
        })
    }
}

/// Past this a double no longer holds every whole number, and twice it
/// (the range noise is drawn from) could leave the finite numbers.
const MAX_AMPLITUDE: f64 = 1e15;

fn check_parameters(step: usize, op: &Transform) -> Result<(), PipelineError> {
    let bad = |problem| Err(PipelineError::BadParameter { step, problem });
    match op {
        Transform::AgeBand { width } if *width == 0 || *width > 100 => {
            bad("an age band is 1 to 100 years wide")
        }
        Transform::Round(base) if !(base.is_finite() && *base > 0.0) => {
            bad("rounding needs a positive base")
        }
        Transform::Noise(amplitude) if !(*amplitude > 0.0 && *amplitude <= MAX_AMPLITUDE) => {
            bad("noise needs a positive amplitude of at most 10^15")
        }
        Transform::TopCode(at) | Transform::BottomCode(at) if !at.is_finite() => {
            bad("a coding threshold must be a number")
        }
        _ => Ok(()),
    }
}
