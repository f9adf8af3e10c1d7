//! Detection quality on a generated corpus. These are accuracy floors,
//! not timings: the checksum-bearing kinds must stay at or above 0.98
//! precision and recall (issue 3), and every kind's columns must be found.

mod corpus;

use rongshu_classify::IdentifierKind as K;

#[test]
fn checksum_kinds_reach_the_floor_value_by_value() {
    let (values, columns) = corpus::generated(7, 800, 0, 0);
    let q = corpus::score(&values, &columns);
    for (kind, t) in &q.values {
        let floor = if matches!(kind, K::ResidentId | K::BankCard | K::CreditCode) {
            0.98
        } else {
            0.95
        };
        assert!(
            t.precision() >= floor,
            "{kind}: precision {:.4} ({t:?})",
            t.precision()
        );
        assert!(
            t.recall() >= floor,
            "{kind}: recall {:.4} ({t:?})",
            t.recall()
        );
    }
}

#[test]
fn every_kind_is_found_column_by_column() {
    let (values, columns) = corpus::generated(11, 0, 20, 50);
    let q = corpus::score(&values, &columns);
    for (kind, t) in &q.columns {
        assert!(
            t.recall() >= 0.95,
            "{kind}: column recall {:.3} ({t:?})",
            t.recall()
        );
        assert!(
            t.precision() >= 0.95,
            "{kind}: column precision {:.3} ({t:?})",
            t.precision()
        );
    }
}
