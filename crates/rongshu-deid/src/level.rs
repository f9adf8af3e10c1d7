//! Whether a pipeline's output meets an authorization's de-identification
//! level. Checked when a product is saved and again before every run, so a
//! pipeline can never put out more than its authorization allows.

use rongshu_classify::IdentifierKind;

use crate::pipeline::{Mask, Pipeline, Transform};

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
    #[error(
        "the field {field} holds {kind} values, of which a mask may keep at most the first {most_first} and the last {most_last} characters; this one keeps {first} and {last}"
    )]
    WeakMask {
        field: String,
        kind: &'static str,
        first: usize,
        last: usize,
        most_first: usize,
        most_last: usize,
    },
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
        let anonymised = level == Level::Anonymised;
        let must_hide = is_direct_identifier(kind) || (anonymised && is_quasi_identifier(kind));
        if must_hide && !transforms.iter().any(|t| protects(t, kind)) {
            // A mask keeping too much is named as such: the operator meant
            // to protect the field and needs to know by how much it missed.
            let weak = transforms.iter().find_map(|t| match t {
                Transform::Mask(Mask::Keep { first, last }) => Some((*first, *last)),
                _ => None,
            });
            let (field, kind_name) = (field.name.to_owned(), kind.as_str());
            found.push(match (weak, mask_keeps_at_most(kind)) {
                (Some((first, last)), Some((most_first, most_last))) => Shortfall::WeakMask {
                    field,
                    kind: kind_name,
                    first,
                    last,
                    most_first,
                    most_last,
                },
                _ => Shortfall::Exposed {
                    field,
                    kind: kind_name,
                },
            });
        }
        if anonymised && let Some(how) = transforms.iter().find_map(|t| linkable(t)) {
            found.push(Shortfall::Linkable {
                field: field.name.to_owned(),
                how,
            });
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

/// The most characters a mask may keep of a value of `kind`, first and
/// last: what the conventional displays keep (JR/T 0171 for cards and
/// mobiles), and for a resident ID number no more than leaves its birth
/// date and sequence hidden. None for kinds that need no hiding.
pub fn mask_keeps_at_most(kind: IdentifierKind) -> Option<(usize, usize)> {
    use IdentifierKind as K;
    match kind {
        K::ResidentId => Some((6, 4)),
        K::Mobile => Some((3, 4)),
        K::Landline => Some((4, 2)),
        K::BankCard => Some((6, 4)),
        K::Email => Some((1, 0)),
        K::LicencePlate => Some((3, 1)),
        K::PersonName => Some((1, 1)),
        // Quasi-identifiers, hidden for anonymised data: a birth date to
        // its year, an address to its province and city, an IP address to
        // its first octet or two.
        K::BirthDate => Some((4, 0)),
        K::Address => Some((6, 0)),
        K::IpAddress => Some((3, 0)),
        K::CreditCode => None,
    }
}

/// Whether a transform hides a value of `kind`: masks keeping more than
/// their kind allows and generalisations that keep the identifying part do
/// not count.
fn protects(transform: &Transform, kind: IdentifierKind) -> bool {
    match transform {
        Transform::Mask(Mask::Keep { first, last }) => mask_keeps_at_most(kind)
            .is_none_or(|(most_first, most_last)| *first <= most_first && *last <= most_last),
        Transform::Mask(Mask::Email)
        | Transform::Pseudonym
        | Transform::Token
        | Transform::Suppress => true,
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
