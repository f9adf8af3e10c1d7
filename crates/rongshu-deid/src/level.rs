//! Whether a pipeline's output meets an authorization's de-identification
//! level. Checked when a product is saved and again before every run, so a
//! pipeline can never put out more than its authorization allows.

use rongshu_classify::IdentifierKind;

use crate::pipeline::{Pipeline, Transform};

/// The de-identification levels a provider can require (Art. 13).
pub use rongshu_domain::resource::DeidentificationLevel as Level;

pub const ANONYMISED_MIN_K: u32 = 5;

/// Identifiers that single a person out by themselves (GB/T 37964).
pub fn is_direct_identifier(kind: IdentifierKind) -> bool {
    use IdentifierKind as K;
    matches!(
        kind,
        K::ResidentId
            | K::Mobile
            | K::Landline
            | K::BankCard
            | K::Email
            | K::LicencePlate
            | K::PersonName
    )
}

/// Identifiers that single a person out in combination.
pub fn is_quasi_identifier(kind: IdentifierKind) -> bool {
    use IdentifierKind as K;
    matches!(kind, K::BirthDate | K::Address | K::IpAddress)
}

/// One way a pipeline falls short of its level.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Shortfall {
    #[error("{level} data leaves only through the sandbox or as aggregates, never row by row")]
    RowLevelForbidden { level: &'static str },
    #[error("the field {field} holds {kind} values and leaves unprotected")]
    Exposed { field: String, kind: &'static str },
    #[error("the field {field} is tokenised, but the authorization never allows re-identification")]
    ReversibleWithoutConsent { field: String },
    #[error(
        "the field {field} is {how}, which still links back; anonymised data needs masking, generalisation or suppression"
    )]
    Linkable { field: String, how: &'static str },
    #[error("anonymised data needs k-anonymity with k of at least {min}")]
    NeedsKAnonymity { min: u32 },
}

/// A field the pipeline outputs, with what classification found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputField<'a> {
    pub name: &'a str,
    pub kind: Option<IdentifierKind>,
}

/// Every shortfall of `pipeline` at `level`; empty when it meets it.
pub fn shortfalls(
    pipeline: &Pipeline,
    fields: &[OutputField<'_>],
    level: Level,
    reidentification_allowed: bool,
) -> Vec<Shortfall> {
    if level >= Level::Aggregated {
        return vec![Shortfall::RowLevelForbidden {
            level: level.as_str(),
        }];
    }
    if level == Level::OpenData {
        return Vec::new();
    }
    let mut found = Vec::new();
    for field in fields {
        let transforms: Vec<&Transform> = pipeline.transforms_of(field.name).collect();
        if transforms.iter().any(|t| matches!(t, Transform::Token)) && !reidentification_allowed {
            found.push(Shortfall::ReversibleWithoutConsent {
                field: field.name.to_owned(),
            });
        }
        let Some(kind) = field.kind else { continue };
        let protected = transforms.iter().any(|t| protects(t, kind));
        let direct = is_direct_identifier(kind);
        if direct && !protected {
            found.push(Shortfall::Exposed {
                field: field.name.to_owned(),
                kind: kind.as_str(),
            });
        }
        if level == Level::Anonymised {
            if let Some(how) = transforms.iter().find_map(|t| linkable(t)) {
                found.push(Shortfall::Linkable {
                    field: field.name.to_owned(),
                    how,
                });
            }
            if is_quasi_identifier(kind) && !protected {
                found.push(Shortfall::Exposed {
                    field: field.name.to_owned(),
                    kind: kind.as_str(),
                });
            }
        }
    }
    if level == Level::Anonymised
        && pipeline
            .k_anonymity
            .as_ref()
            .is_none_or(|k| k.k < ANONYMISED_MIN_K)
    {
        found.push(Shortfall::NeedsKAnonymity {
            min: ANONYMISED_MIN_K,
        });
    }
    found
}

/// Whether a transform hides a value of `kind`: masks and generalisations
/// that keep the identifying part do not count.
fn protects(transform: &Transform, kind: IdentifierKind) -> bool {
    match transform {
        Transform::Mask(_) | Transform::Pseudonym | Transform::Token | Transform::Suppress => true,
        Transform::AgeBand { .. } | Transform::DateTo(_) => {
            matches!(kind, IdentifierKind::BirthDate | IdentifierKind::ResidentId)
        }
        Transform::Region(_) => {
            matches!(kind, IdentifierKind::Address | IdentifierKind::ResidentId)
        }
        Transform::TopCode(_)
        | Transform::BottomCode(_)
        | Transform::Round(_)
        | Transform::Noise(_) => false,
    }
}

fn linkable(transform: &Transform) -> Option<&'static str> {
    match transform {
        Transform::Pseudonym => Some("pseudonymised"),
        Transform::Token => Some("tokenised"),
        _ => None,
    }
}
