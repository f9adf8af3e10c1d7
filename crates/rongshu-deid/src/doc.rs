//! The pipeline document: how people write pipelines, in JSON or TOML.
//! A file format of its own, converted by hand to and from [`Pipeline`]
//! so that each mistake is named by step and parameter.
//!
//! ```json
//! { "steps": [
//!     { "op": "trim" },
//!     { "op": "validate", "field": "身份证号", "kind": "resident_id" },
//!     { "op": "mask", "field": "姓名", "preset": "name" },
//!     { "op": "pseudonym", "field": "身份证号" } ],
//!   "k_anonymity": { "quasi_identifiers": ["出生日期"], "k": 5 } }
//! ```

use rongshu_classify::IdentifierKind;
use serde::{Deserialize, Serialize};

use crate::pipeline::{
    Clean, DatePrecision, KAnonymity, Mask, Pipeline, RegionLevel, Step, Transform,
};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    steps: Vec<StepDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k_anonymity: Option<KDoc>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct KDoc {
    quasi_identifiers: Vec<String>,
    k: u32,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct StepDoc {
    op: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keep_first: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keep_last: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    precision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amplitude: Option<f64>,
}

/// Why a pipeline document does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    #[error("the {format} is malformed: {message}")]
    Syntax {
        format: &'static str,
        message: String,
    },
    #[error("step {step} ({op}): {problem}")]
    Step {
        step: usize,
        op: String,
        problem: String,
    },
}

pub const OPS: [&str; 18] = [
    "trim",
    "half-width",
    "blank-to-null",
    "date",
    "validate",
    "require",
    "deduplicate",
    "mask",
    "pseudonym",
    "token",
    "age-band",
    "date-to",
    "region",
    "top-code",
    "bottom-code",
    "round",
    "suppress",
    "noise",
];

impl Pipeline {
    pub fn from_json(text: &str) -> Result<Pipeline, DocError> {
        let doc: Doc = serde_json::from_str(text).map_err(|e| DocError::Syntax {
            format: "JSON",
            message: e.to_string(),
        })?;
        doc.into_pipeline()
    }

    pub fn from_toml(text: &str) -> Result<Pipeline, DocError> {
        let doc: Doc = toml::from_str(text).map_err(|e| DocError::Syntax {
            format: "TOML",
            message: e.message().to_owned(),
        })?;
        doc.into_pipeline()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&Doc::of(self)).expect("a pipeline document serialises")
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(&Doc::of(self)).expect("a pipeline document serialises")
    }
}

impl Doc {
    fn into_pipeline(self) -> Result<Pipeline, DocError> {
        let steps = self
            .steps
            .into_iter()
            .enumerate()
            .map(|(at, step)| step.into_step(at + 1))
            .collect::<Result<_, _>>()?;
        Ok(Pipeline {
            steps,
            k_anonymity: self.k_anonymity.map(|k| KAnonymity {
                quasi_identifiers: k.quasi_identifiers,
                k: k.k,
            }),
        })
    }

    fn of(pipeline: &Pipeline) -> Doc {
        Doc {
            steps: pipeline.steps.iter().map(StepDoc::of).collect(),
            k_anonymity: pipeline.k_anonymity.as_ref().map(|k| KDoc {
                quasi_identifiers: k.quasi_identifiers.clone(),
                k: k.k,
            }),
        }
    }
}

/// The keys each operation reads besides `op`: any other given is a
/// mistake, never silently dropped (a `field` on a step that reads
/// `fields` would otherwise run it on every field).
fn keys_of(op: &str) -> &'static [&'static str] {
    match op {
        "trim" | "half-width" | "blank-to-null" | "date" | "require" | "deduplicate" => &["fields"],
        "validate" => &["field", "kind"],
        "mask" => &["field", "preset", "keep_first", "keep_last"],
        "age-band" => &["field", "width"],
        "date-to" => &["field", "precision"],
        "region" => &["field", "level"],
        "top-code" | "bottom-code" => &["field", "at"],
        "round" => &["field", "base"],
        "noise" => &["field", "amplitude"],
        _ => &["field"],
    }
}

impl StepDoc {
    /// The keys given besides `op`.
    fn given(&self) -> impl Iterator<Item = &'static str> {
        [
            ("field", self.field.is_some()),
            ("fields", !self.fields.is_empty()),
            ("kind", self.kind.is_some()),
            ("preset", self.preset.is_some()),
            ("keep_first", self.keep_first.is_some()),
            ("keep_last", self.keep_last.is_some()),
            ("width", self.width.is_some()),
            ("precision", self.precision.is_some()),
            ("level", self.level.is_some()),
            ("at", self.at.is_some()),
            ("base", self.base.is_some()),
            ("amplitude", self.amplitude.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, given)| given.then_some(key))
    }

    fn into_step(self, step: usize) -> Result<Step, DocError> {
        let problem = |problem: String| DocError::Step {
            step,
            op: self.op.clone(),
            problem,
        };
        let takes = keys_of(&self.op);
        if OPS.contains(&self.op.as_str())
            && let Some(stray) = self.given().find(|key| !takes.contains(key))
        {
            let hint = if stray == "field" && takes.contains(&"fields") {
                ": it names its fields in `fields`, a list (none: every field)"
            } else {
                ""
            };
            return Err(problem(format!("takes no `{stray}`{hint}")));
        }
        let need = |what: &str| problem(format!("needs `{what}`"));
        let field = || self.field.clone().ok_or_else(|| need("field"));
        let number = |v: Option<f64>, what: &str| v.ok_or_else(|| need(what));
        let clean = |op| {
            Ok(Step::Clean {
                op,
                fields: self.fields.clone(),
            })
        };
        let transform = |op| {
            Ok(Step::Transform {
                field: field()?,
                op,
            })
        };
        match self.op.as_str() {
            "trim" => clean(Clean::Trim),
            "half-width" => clean(Clean::HalfWidth),
            "blank-to-null" => clean(Clean::BlankToNull),
            "date" => clean(Clean::Date),
            "validate" => {
                let kind = self.kind.as_deref().ok_or_else(|| need("kind"))?;
                let kind = kind
                    .parse::<IdentifierKind>()
                    .map_err(|e| problem(e.to_string()))?;
                Ok(Step::Validate {
                    field: field()?,
                    kind,
                })
            }
            "require" => Ok(Step::Require {
                fields: self.fields.clone(),
            }),
            "deduplicate" => Ok(Step::Deduplicate {
                fields: self.fields.clone(),
            }),
            "mask" => {
                let mask = match (&self.preset, self.keep_first, self.keep_last) {
                    (Some(preset), None, None) => Mask::preset(preset).ok_or_else(|| {
                        problem(format!(
                            "unknown preset {preset}; one of {}",
                            Mask::PRESETS.join(", ")
                        ))
                    })?,
                    (None, first, last) if first.is_some() || last.is_some() => Mask::Keep {
                        first: first.unwrap_or(0),
                        last: last.unwrap_or(0),
                    },
                    _ => {
                        return Err(problem(
                            "needs either `preset` or `keep_first`/`keep_last`".into(),
                        ));
                    }
                };
                transform(Transform::Mask(mask))
            }
            "pseudonym" => transform(Transform::Pseudonym),
            "token" => transform(Transform::Token),
            "suppress" => transform(Transform::Suppress),
            "age-band" => transform(Transform::AgeBand {
                width: self.width.ok_or_else(|| need("width"))?,
            }),
            "date-to" => transform(Transform::DateTo(
                match self.precision.as_deref().ok_or_else(|| need("precision"))? {
                    "year" => DatePrecision::Year,
                    "month" => DatePrecision::Month,
                    other => return Err(problem(format!("precision {other}: year or month"))),
                },
            )),
            "region" => transform(Transform::Region(
                match self.level.as_deref().ok_or_else(|| need("level"))? {
                    "province" => RegionLevel::Province,
                    "city" => RegionLevel::City,
                    "district" => RegionLevel::District,
                    other => {
                        return Err(problem(format!(
                            "level {other}: province, city or district"
                        )));
                    }
                },
            )),
            "top-code" => transform(Transform::TopCode(number(self.at, "at")?)),
            "bottom-code" => transform(Transform::BottomCode(number(self.at, "at")?)),
            "round" => transform(Transform::Round(number(self.base, "base")?)),
            "noise" => transform(Transform::Noise(number(self.amplitude, "amplitude")?)),
            other => Err(problem(format!(
                "unknown operation {other}; one of {}",
                OPS.join(", ")
            ))),
        }
    }

    fn of(step: &Step) -> StepDoc {
        let op = |op: &str| op.to_owned();
        match step {
            Step::Clean { op: clean, fields } => StepDoc {
                op: op(match clean {
                    Clean::Trim => "trim",
                    Clean::HalfWidth => "half-width",
                    Clean::BlankToNull => "blank-to-null",
                    Clean::Date => "date",
                }),
                fields: fields.clone(),
                ..StepDoc::default()
            },
            Step::Validate { field, kind } => StepDoc {
                op: op("validate"),
                field: Some(field.clone()),
                kind: Some(kind.as_str().to_owned()),
                ..StepDoc::default()
            },
            Step::Require { fields } => StepDoc {
                op: op("require"),
                fields: fields.clone(),
                ..StepDoc::default()
            },
            Step::Deduplicate { fields } => StepDoc {
                op: op("deduplicate"),
                fields: fields.clone(),
                ..StepDoc::default()
            },
            Step::Transform { field, op: t } => {
                let base = StepDoc {
                    field: Some(field.clone()),
                    ..StepDoc::default()
                };
                match t {
                    Transform::Mask(Mask::Keep { first, last }) => StepDoc {
                        op: op("mask"),
                        keep_first: Some(*first),
                        keep_last: Some(*last),
                        ..base
                    },
                    Transform::Mask(Mask::Email) => StepDoc {
                        op: op("mask"),
                        preset: Some("email".into()),
                        ..base
                    },
                    Transform::Pseudonym => StepDoc {
                        op: op("pseudonym"),
                        ..base
                    },
                    Transform::Token => StepDoc {
                        op: op("token"),
                        ..base
                    },
                    Transform::Suppress => StepDoc {
                        op: op("suppress"),
                        ..base
                    },
                    Transform::AgeBand { width } => StepDoc {
                        op: op("age-band"),
                        width: Some(*width),
                        ..base
                    },
                    Transform::DateTo(p) => StepDoc {
                        op: op("date-to"),
                        precision: Some(
                            match p {
                                DatePrecision::Year => "year",
                                DatePrecision::Month => "month",
                            }
                            .into(),
                        ),
                        ..base
                    },
                    Transform::Region(l) => StepDoc {
                        op: op("region"),
                        level: Some(
                            match l {
                                RegionLevel::Province => "province",
                                RegionLevel::City => "city",
                                RegionLevel::District => "district",
                            }
                            .into(),
                        ),
                        ..base
                    },
                    Transform::TopCode(at) => StepDoc {
                        op: op("top-code"),
                        at: Some(*at),
                        ..base
                    },
                    Transform::BottomCode(at) => StepDoc {
                        op: op("bottom-code"),
                        at: Some(*at),
                        ..base
                    },
                    Transform::Round(b) => StepDoc {
                        op: op("round"),
                        base: Some(*b),
                        ..base
                    },
                    Transform::Noise(a) => StepDoc {
                        op: op("noise"),
                        amplitude: Some(*a),
                        ..base
                    },
                }
            }
        }
    }
}
