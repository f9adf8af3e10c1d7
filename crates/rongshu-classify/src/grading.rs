//! Grades on the GB/T 43697-2024 scale: 核心 / 重要 / 一般, with 一般
//! split into levels 1-4 as is the practice. Which kind of field gets
//! which level is configuration ([`GradeScale`]), since successor rules
//! change it; the rule that a set takes the level of its most sensitive
//! part (就高从严) is not.

use std::fmt;
use std::str::FromStr;

use crate::IdentifierKind;

/// A sensitivity grade, ordered from least to most sensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    /// 一般数据 1级: may be opened unconditionally.
    General1,
    /// 一般数据 2级.
    General2,
    /// 一般数据 3级.
    General3,
    /// 一般数据 4级: sensitive personal information and the like.
    General4,
    /// 重要数据.
    Important,
    /// 核心数据.
    Core,
}

impl Grade {
    pub const ALL: [Grade; 6] = [
        Grade::General1,
        Grade::General2,
        Grade::General3,
        Grade::General4,
        Grade::Important,
        Grade::Core,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Grade::General1 => "general-1",
            Grade::General2 => "general-2",
            Grade::General3 => "general-3",
            Grade::General4 => "general-4",
            Grade::Important => "important",
            Grade::Core => "core",
        }
    }

    /// The standard's own words.
    pub const fn chinese(self) -> &'static str {
        match self {
            Grade::General1 => "一般数据（1级）",
            Grade::General2 => "一般数据（2级）",
            Grade::General3 => "一般数据（3级）",
            Grade::General4 => "一般数据（4级）",
            Grade::Important => "重要数据",
            Grade::Core => "核心数据",
        }
    }
}

/// A grade name that is not on the scale.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown grade {0:?}; expected general-1 to general-4, important or core")]
pub struct UnknownGrade(pub String);

impl FromStr for Grade {
    type Err = UnknownGrade;
    fn from_str(s: &str) -> Result<Self, UnknownGrade> {
        Grade::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownGrade(s.to_owned()))
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which grade each kind of field suggests, and when a set of personal
/// data becomes important data by its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradeScale {
    by_kind: Vec<(IdentifierKind, Grade)>,
    /// Fields with no identifier found.
    pub unidentified: Grade,
    /// A resource with personal fields (general-3 or above) over at least
    /// this many rows is suggested as important data.
    pub important_personal_rows: Option<u64>,
}

impl Default for GradeScale {
    /// Sensitive personal information (identity numbers, bank cards) at
    /// level 4; other personal information at 3; what identifies a device
    /// or a line at 2; organisations' public register codes at 1.
    fn default() -> Self {
        use IdentifierKind as K;
        GradeScale {
            by_kind: vec![
                (K::ResidentId, Grade::General4),
                (K::BankCard, Grade::General4),
                (K::Mobile, Grade::General3),
                (K::PersonName, Grade::General3),
                (K::Address, Grade::General3),
                (K::BirthDate, Grade::General3),
                (K::Email, Grade::General3),
                (K::LicencePlate, Grade::General3),
                (K::Landline, Grade::General2),
                (K::IpAddress, Grade::General2),
                (K::CreditCode, Grade::General1),
            ],
            unidentified: Grade::General1,
            important_personal_rows: Some(10_000_000),
        }
    }
}

impl GradeScale {
    /// Overrides one kind's grade (from configuration).
    pub fn set(&mut self, kind: IdentifierKind, grade: Grade) {
        match self.by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some(entry) => entry.1 = grade,
            None => self.by_kind.push((kind, grade)),
        }
    }

    /// The grade a field suggests, from the kind found in it.
    pub fn field_grade(&self, kind: Option<IdentifierKind>) -> Grade {
        kind.and_then(|k| {
            self.by_kind
                .iter()
                .find(|(kk, _)| *kk == k)
                .map(|(_, g)| *g)
        })
        .unwrap_or(self.unidentified)
    }

    /// A resource takes the grade of its most sensitive field (就高从严);
    /// personal data about enough people is important data.
    pub fn resource_grade(&self, fields: impl IntoIterator<Item = Grade>, rows: u64) -> Grade {
        let highest = fields.into_iter().max().unwrap_or(self.unidentified);
        let personal = highest >= Grade::General3;
        match self.important_personal_rows {
            Some(limit) if personal && rows >= limit && highest < Grade::Important => {
                Grade::Important
            }
            _ => highest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdentifierKind as K;

    #[test]
    fn the_most_sensitive_field_decides() {
        let s = GradeScale::default();
        let fields = [
            s.field_grade(None),
            s.field_grade(Some(K::CreditCode)),
            s.field_grade(Some(K::ResidentId)),
        ];
        assert_eq!(s.resource_grade(fields, 100), Grade::General4);
        assert_eq!(s.resource_grade([], 100), Grade::General1);
        assert_eq!(
            s.resource_grade([Grade::Core, Grade::General1], 1),
            Grade::Core
        );
    }

    #[test]
    fn personal_data_about_many_people_is_important() {
        let s = GradeScale::default();
        assert_eq!(
            s.resource_grade([Grade::General3], 10_000_000),
            Grade::Important
        );
        assert_eq!(
            s.resource_grade([Grade::General3], 9_999_999),
            Grade::General3
        );
        assert_eq!(
            s.resource_grade([Grade::General2], 50_000_000),
            Grade::General2,
            "not personal"
        );
        let no_size_rule = GradeScale {
            important_personal_rows: None,
            ..GradeScale::default()
        };
        assert_eq!(
            no_size_rule.resource_grade([Grade::General4], u64::MAX),
            Grade::General4
        );
    }

    #[test]
    fn the_scale_is_configuration() {
        let mut s = GradeScale::default();
        s.set(K::Mobile, Grade::General4);
        assert_eq!(s.field_grade(Some(K::Mobile)), Grade::General4);
        for g in Grade::ALL {
            assert_eq!(g.as_str().parse::<Grade>(), Ok(g));
        }
        assert!("secret".parse::<Grade>().is_err());
    }
}
