//! The pipeline model: ordered steps over a product's fields, then
//! optionally k-anonymity over declared quasi-identifiers.

use rongshu_classify::IdentifierKind;

/// A processing pipeline, as stored with a product version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pipeline {
    pub steps: Vec<Step>,
    pub k_anonymity: Option<KAnonymity>,
}

/// One step. Cleaning and row rules name fields (none means every field);
/// transforms name exactly one.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Clean {
        op: Clean,
        fields: Vec<String>,
    },
    /// Rows whose value is present but fails the kind's check (GB 11643,
    /// GB 32100, Luhn ...) go to the rejected-rows report.
    Validate {
        field: String,
        kind: IdentifierKind,
    },
    /// Rows missing a value in any of these fields are rejected.
    Require {
        fields: Vec<String>,
    },
    /// A row equal to an earlier one on these fields is dropped.
    Deduplicate {
        fields: Vec<String>,
    },
    Transform {
        field: String,
        op: Transform,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clean {
    /// Leading and trailing white space, full-width spaces included.
    Trim,
    /// Full-width letters, digits and punctuation to their ASCII forms.
    HalfWidth,
    /// Empty and blank values become missing.
    BlankToNull,
    /// Dates written any common way become `YYYY-MM-DD`; a value that is
    /// no date rejects its row.
    Date,
}

/// A de-identification transform of one field.
#[derive(Clone, Debug, PartialEq)]
pub enum Transform {
    Mask(Mask),
    /// Keyed pseudonym (HMAC-SM3 under the product's key): stable within a
    /// product, unlinkable across products.
    Pseudonym,
    /// Reversible token (SM4): only the key holder can re-identify.
    Token,
    /// Age in bands of `width` years, from an age, a date of birth or a
    /// resident ID number.
    AgeBand {
        width: u32,
    },
    DateTo(DatePrecision),
    /// An administrative-division code, or the code inside a resident ID
    /// number, cut to a level; an address cut after its district.
    Region(RegionLevel),
    /// Values above the threshold become the threshold.
    TopCode(f64),
    /// Values below the threshold become the threshold.
    BottomCode(f64),
    /// Rounded to the nearest multiple.
    Round(f64),
    /// The value is removed.
    Suppress,
    /// Uniform random noise within ± the amplitude.
    Noise(f64),
}

/// Character masking: keep the first and last characters, star the rest;
/// e-mail keeps the first character of the local part and the domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mask {
    Keep { first: usize, last: usize },
    Email,
}

impl Mask {
    /// The conventional masks of common identifiers.
    pub fn preset(name: &str) -> Option<Mask> {
        let keep = |first, last| Some(Mask::Keep { first, last });
        match name {
            "name" => keep(1, 0),
            "resident_id" => keep(1, 2),
            "mobile" => keep(3, 4),
            "landline" => keep(4, 2),
            "bank_card" => keep(4, 4),
            "plate" => keep(3, 1),
            "email" => Some(Mask::Email),
            _ => None,
        }
    }

    pub const PRESETS: [&'static str; 7] = [
        "name",
        "resident_id",
        "mobile",
        "landline",
        "bank_card",
        "plate",
        "email",
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatePrecision {
    Year,
    Month,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionLevel {
    Province,
    City,
    District,
}

/// k-anonymity: every combination of the quasi-identifiers' values is
/// shared by at least `k` rows; smaller groups lose their quasi-identifier
/// values (local suppression), and if those suppressed rows are still
/// fewer than `k` they are dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct KAnonymity {
    pub quasi_identifiers: Vec<String>,
    pub k: u32,
}

impl Transform {
    /// Whether the transform keeps a numeric field numeric.
    pub fn keeps_numbers(&self) -> bool {
        matches!(
            self,
            Transform::TopCode(_)
                | Transform::BottomCode(_)
                | Transform::Round(_)
                | Transform::Noise(_)
                | Transform::Suppress
        )
    }
}

/// How a caller probes a field with a value of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A query parameter: rows are found by the value as it is output.
    Lookup,
    /// A verification API: the answer confirms or denies the held value.
    Verification,
}

impl Transform {
    /// Why a field so transformed cannot be probed so, if it cannot.
    ///
    /// A lookup matches the output: a mask leaves a pattern many values
    /// share, noise a different value each run, suppression none;
    /// pseudonyms, tokens and generalisations are values a caller may hold
    /// or choose (a district, a year). A verification confirms the held
    /// value: where the pipeline gives out none of it, or only a coarser
    /// one, guesses over a small domain (dates, ages, amounts) would
    /// recover what it withholds. Masks, pseudonyms and tokens hide
    /// identifiers of large domains, which confirming the caller's own
    /// (a name with an ID number) is the service's purpose.
    pub fn unfit_for(&self, probe: Probe) -> Option<&'static str> {
        match (self, probe) {
            (Transform::Mask(_), Probe::Lookup) => Some("masked"),
            (Transform::Noise(_), _) => Some("given random noise"),
            (Transform::Suppress, _) => Some("suppressed"),
            (
                Transform::AgeBand { .. } | Transform::DateTo(_) | Transform::Region(_),
                Probe::Verification,
            ) => Some("generalised"),
            (Transform::TopCode(_) | Transform::BottomCode(_), Probe::Verification) => {
                Some("top or bottom coded")
            }
            (Transform::Round(_), Probe::Verification) => Some("rounded"),
            _ => None,
        }
    }
}

impl Pipeline {
    /// Every field a step or the k-anonymity names.
    pub fn named_fields(&self) -> impl Iterator<Item = &str> {
        let steps = self.steps.iter().flat_map(|step| match step {
            Step::Clean { fields, .. }
            | Step::Require { fields }
            | Step::Deduplicate { fields } => fields.iter().map(String::as_str).collect(),
            Step::Validate { field, .. } | Step::Transform { field, .. } => vec![field.as_str()],
        });
        let quasi = self
            .k_anonymity
            .iter()
            .flat_map(|k| k.quasi_identifiers.iter().map(String::as_str));
        steps.chain(quasi)
    }

    /// Why `field` cannot be probed so, if it cannot: a transform unfit
    /// for it, or k-anonymity, whose local suppression blanks it in small
    /// groups (and which holds it to be identifying in combination).
    pub fn unfit_for(&self, field: &str, probe: Probe) -> Option<&'static str> {
        let transformed = self.transforms_of(field).find_map(|t| t.unfit_for(probe));
        let quasi = self
            .k_anonymity
            .as_ref()
            .is_some_and(|k| k.quasi_identifiers.iter().any(|q| q == field));
        transformed.or(quasi.then_some("a quasi-identifier suppressed in small groups"))
    }

    /// The transforms applied to `field`, in order.
    pub fn transforms_of<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Transform> {
        self.steps.iter().filter_map(move |step| match step {
            Step::Transform { field: f, op } if f == field => Some(op),
            _ => None,
        })
    }
}
