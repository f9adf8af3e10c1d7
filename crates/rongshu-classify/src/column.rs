//! Weighing a whole column: how many values match each kind, and what the
//! column's name says.

use crate::IdentifierKind;
use crate::detect::{Match, matches};
use crate::names::hinted;

/// One kind found in a column.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub kind: IdentifierKind,
    /// Share of non-empty values that match the kind (strongly or weakly).
    pub share: f64,
    /// 0 to 1: how sure the scanner is the column holds this kind.
    pub confidence: f64,
    /// Whether the column's name points at this kind.
    pub named: bool,
}

/// What a column holds.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnReport {
    pub values: u64,
    pub non_empty: u64,
    /// The most likely kind, when any is likely enough.
    pub detection: Option<Detection>,
    /// Every kind with some evidence, most confident first.
    pub candidates: Vec<Detection>,
}

/// Below this confidence a column is not said to hold a kind.
const THRESHOLD: f64 = 0.5;

/// How far values alone go for the kinds that are not self-evident: dates
/// are everywhere, so a date column is a birth date only when named so;
/// name-like and address-like values are rarer outside their kind.
fn unnamed_weight(kind: IdentifierKind) -> f64 {
    match kind {
        IdentifierKind::BirthDate => 0.4,
        IdentifierKind::PersonName => 0.6,
        _ => 0.8,
    }
}

/// Counts matches value by value, in constant memory, so a scanner can sit
/// in a streaming ingest.
#[derive(Clone, Debug, Default)]
pub struct ColumnScanner {
    values: u64,
    non_empty: u64,
    strong: [u64; IdentifierKind::ALL.len()],
    weak: [u64; IdentifierKind::ALL.len()],
}

impl ColumnScanner {
    pub fn push(&mut self, value: &str) {
        self.values += 1;
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        self.non_empty += 1;
        for (i, kind) in IdentifierKind::ALL.into_iter().enumerate() {
            match matches(kind, v) {
                Some(Match::Strong) => self.strong[i] += 1,
                Some(Match::Weak) => self.weak[i] += 1,
                None => {}
            }
        }
    }

    /// Weighs the counts with the column's name.
    pub fn finish(&self, column_name: &str) -> ColumnReport {
        let named = hinted(column_name);
        let n = self.non_empty.max(1) as f64;
        let mut candidates: Vec<Detection> = IdentifierKind::ALL
            .into_iter()
            .enumerate()
            .filter_map(|(i, kind)| {
                let (strong, weak) = (self.strong[i] as f64 / n, self.weak[i] as f64 / n);
                let share = strong + weak;
                let is_named = named.contains(&kind);
                if share == 0.0 {
                    return None;
                }
                // Strong matches speak for themselves; weak ones need the
                // name, or count for less; a name lifts what values support.
                let from_values = if kind.self_evident() {
                    strong + weak * 0.5
                } else {
                    share * unnamed_weight(kind)
                };
                let confidence = if is_named {
                    (0.5 + 0.5 * share).max(from_values)
                } else {
                    from_values
                };
                Some(Detection {
                    kind,
                    share,
                    confidence: confidence.min(1.0),
                    named: is_named,
                })
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.kind.cmp(&b.kind))
        });
        let detection = candidates
            .first()
            .filter(|d| d.confidence >= THRESHOLD)
            .cloned();
        ColumnReport {
            values: self.values,
            non_empty: self.non_empty,
            detection,
            candidates,
        }
    }
}

/// Scans a column's values (or a sample of them) at once.
pub fn scan_column<'a>(
    column_name: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> ColumnReport {
    let mut scanner = ColumnScanner::default();
    for v in values {
        scanner.push(v);
    }
    scanner.finish(column_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdentifierKind as K;

    fn kind(name: &str, values: &[&str]) -> Option<K> {
        scan_column(name, values.iter().copied())
            .detection
            .map(|d| d.kind)
    }

    #[test]
    fn values_decide_checksum_kinds_whatever_the_name() {
        let ids = ["11010519491231002X", "11010519491231002X", ""];
        assert_eq!(kind("col_7", &ids), Some(K::ResidentId));
        let r = scan_column("col_7", ids);
        assert_eq!((r.values, r.non_empty), (3, 2));
        assert_eq!(r.detection.unwrap().share, 1.0);
    }

    #[test]
    fn names_are_needed_for_weak_kinds() {
        let names = ["张伟", "王秀英", "李强", "刘洋"];
        assert_eq!(kind("姓名", &names), Some(K::PersonName));
        assert_eq!(kind("法定代表人", &names), Some(K::PersonName));
        assert_eq!(
            kind("备注", &names),
            Some(K::PersonName),
            "names alone still reach 0.6"
        );
        let dates = ["1990-05-17", "1985-11-02", "2001-01-30"];
        assert_eq!(kind("出生日期", &dates), Some(K::BirthDate));
        assert_eq!(
            kind("登记日期", &dates),
            None,
            "a date is a birth date only when named so"
        );
        assert!(
            scan_column("登记日期", dates)
                .candidates
                .iter()
                .any(|d| d.kind == K::BirthDate)
        );
    }

    #[test]
    fn mixed_and_unrelated_columns() {
        assert_eq!(
            kind(
                "企业名称",
                &["成都蓉城智行科技有限公司", "四川省交通投资集团有限责任公司"]
            ),
            None
        );
        assert_eq!(kind("数量", &["12", "7", "300"]), None);
        let phones = ["13812345678", "028-85551234", "13912345678"];
        assert_eq!(kind("联系电话", &phones), Some(K::Mobile));
        assert!(
            scan_column("联系电话", phones)
                .candidates
                .iter()
                .any(|d| d.kind == K::Landline)
        );
        assert_eq!(kind("联系电话", &[]), None, "an empty column holds nothing");
    }

    #[test]
    fn a_name_without_matching_values_is_only_a_hint() {
        let r = scan_column("身份证号", ["未提供", "不详"]);
        assert_eq!(r.detection, None);
    }
}
