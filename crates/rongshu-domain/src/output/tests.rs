use proptest::prelude::*;

use super::*;

fn rules() -> DisclosureRules {
    DisclosureRules::default()
}

fn traced(records: Vec<u64>) -> ResultFacts {
    ResultFacts {
        rows: records.len(),
        records: Some(records),
        ..ResultFacts::default()
    }
}

fn codes(failures: &[CheckFailure]) -> Vec<CheckCode> {
    failures.iter().map(|f| f.code).collect()
}

#[test]
fn cells_of_ten_records_or_more_pass() {
    assert!(check(&traced(vec![10, 250, 11]), &rules()).is_empty());
}

#[test]
fn small_cells_fail_and_name_their_rows() {
    let failures = check(&traced(vec![12, 9, 40, 1]), &rules());
    assert_eq!(
        failures,
        vec![CheckFailure {
            code: CheckCode::SmallCell,
            column: None,
            rows: vec![1, 3],
        }]
    );
}

#[test]
fn untraceable_results_fail() {
    let facts = ResultFacts {
        rows: 3,
        ..ResultFacts::default()
    };
    assert_eq!(
        codes(&check(&facts, &rules())),
        vec![CheckCode::Untraceable]
    );
}

#[test]
fn zeros_in_count_columns_fail_unless_allowed() {
    let mut facts = traced(vec![20, 30]);
    facts.counts = vec![("人数".into(), vec![Some(0.0), Some(30.0)])];
    let failures = check(&facts, &rules());
    assert_eq!(codes(&failures), vec![CheckCode::Zero]);
    assert_eq!(failures[0].column.as_deref(), Some("人数"));
    assert_eq!(failures[0].rows, vec![0]);
    let lenient = DisclosureRules {
        zeros_disclosive: false,
        ..rules()
    };
    assert!(check(&facts, &lenient).is_empty());
}

#[test]
fn dominated_totals_fail() {
    let mut facts = traced(vec![20, 20, 20, 20]);
    let total = |value, top_two| Some(Total { value, top_two });
    facts.totals = vec![(
        "注册资本".into(),
        vec![
            total(1000.0, 899.0),
            total(1000.0, 900.0),
            total(-1000.0, -950.0),
            total(0.0, 10.0),
        ],
    )];
    let failures = check(&facts, &rules());
    assert_eq!(codes(&failures), vec![CheckCode::Dominance]);
    assert_eq!(failures[0].rows, vec![1, 2, 3]);
}

#[test]
fn identifiers_and_row_cap_fail_by_themselves() {
    let mut facts = traced(vec![10; 1001]);
    facts.identifier_columns = vec!["身份证号".into()];
    assert_eq!(
        codes(&check(&facts, &rules())),
        vec![CheckCode::RowCap, CheckCode::DirectIdentifier]
    );
}

const AUTHOR: i64 = 1;

fn by(checker: i64, decision: ReviewDecision) -> Review {
    Review { checker, decision }
}

#[test]
fn authors_never_review_their_own_output() {
    let refused = review(
        ExportStatus::AwaitingReview,
        AUTHOR,
        &[],
        1,
        by(AUTHOR, ReviewDecision::Approve),
    );
    assert_eq!(refused, Err(ReviewRefusal::OwnOutput));
}

#[test]
fn two_checkers_must_be_two_people() {
    let first = by(2, ReviewDecision::Approve);
    let status = review(ExportStatus::AwaitingReview, AUTHOR, &[], 2, first).unwrap();
    assert_eq!(status, ExportStatus::AwaitingReview);
    assert_eq!(
        review(status, AUTHOR, &[first], 2, first),
        Err(ReviewRefusal::AlreadyReviewed)
    );
    let second = by(3, ReviewDecision::Approve);
    assert_eq!(
        review(status, AUTHOR, &[first], 2, second),
        Ok(ExportStatus::Approved)
    );
}

#[test]
fn failed_checks_take_no_review() {
    assert_eq!(
        after_checks(&check(&traced(vec![3]), &rules())),
        ExportStatus::FailedChecks
    );
    assert_eq!(
        review(
            ExportStatus::FailedChecks,
            AUTHOR,
            &[],
            1,
            by(2, ReviewDecision::Approve)
        ),
        Err(ReviewRefusal::NotAwaitingReview(ExportStatus::FailedChecks))
    );
}

fn any_status() -> impl Strategy<Value = ExportStatus> {
    proptest::sample::select(ExportStatus::ALL.to_vec())
}

fn any_decision() -> impl Strategy<Value = ReviewDecision> {
    proptest::sample::select(ReviewDecision::ALL.to_vec())
}

#[test]
fn a_cell_a_filter_on_a_measure_dropped_is_checked_as_if_shown() {
    // Shown: two cells of forty. Judged by the filter: those, a cell of
    // three and a total one company dominates.
    let total = |value, top_two| Some(Total { value, top_two });
    let mut shown = traced(vec![40, 40]);
    shown.totals = vec![("s".into(), vec![total(900.0, 100.0), total(800.0, 90.0)])];
    let mut judged = traced(vec![40, 3, 40, 40]);
    judged.totals = vec![(
        "s".into(),
        vec![
            total(900.0, 100.0),
            total(30.0, 20.0),
            total(500.0, 495.0),
            total(800.0, 90.0),
        ],
    )];
    shown.before_filters = Some(Box::new(judged.clone()));
    let failures = check(&shown, &rules());
    assert_eq!(
        codes(&failures),
        vec![CheckCode::DroppedCell, CheckCode::DroppedCell]
    );
    assert_eq!(failures[0].column, None, "the cell of three");
    assert_eq!(failures[1].column.as_deref(), Some("s"), "the dominated");
    assert!(failures.iter().all(|f| f.rows.is_empty()), "none is shown");

    // A shown cell failing is the shown result's failure, not a dropped
    // one's; a judged result that cannot be traced fails the release.
    let mut small = traced(vec![40, 4]);
    small.before_filters = Some(Box::new(traced(vec![40, 4, 40])));
    assert_eq!(codes(&check(&small, &rules())), vec![CheckCode::SmallCell]);
    judged.records = None;
    shown.before_filters = Some(Box::new(judged));
    assert_eq!(
        codes(&check(&shown, &rules())),
        vec![CheckCode::Untraceable]
    );
}

#[test]
fn a_cell_differing_from_an_earlier_releases_by_few_records_fails() {
    let compared = |fewest: Option<u64>| {
        let mut facts = traced(vec![40]);
        facts.earlier = vec![("export 3".into(), Some(0)), ("export 7".into(), fewest)];
        check(&facts, &rules())
    };
    for passing in [Some(0), Some(10), Some(250)] {
        assert!(compared(passing).is_empty(), "{passing:?}");
    }
    // Too many cells to compare fails as surely as a small difference.
    for failing in [Some(1), Some(9), None] {
        let failures = compared(failing);
        assert_eq!(codes(&failures), vec![CheckCode::EarlierRelease]);
        assert_eq!(failures[0].column.as_deref(), Some("export 7"));
    }
    let mut elsewhere = traced(vec![40]);
    elsewhere.uncompared = vec!["export 9 (agreement 2)".into()];
    let failures = check(&elsewhere, &rules());
    assert_eq!(codes(&failures), vec![CheckCode::UncomparedRelease]);
    assert_eq!(
        failures[0].column.as_deref(),
        Some("export 9 (agreement 2)")
    );
}

proptest! {
    /// Whatever reviews come in whatever order, an output is approved only
    /// by enough distinct checkers, none of them its author, and only
    /// after it passed the automatic checks.
    #[test]
    fn approval_needs_enough_independent_checkers(
        start in any_status(),
        required in 1u8..=3,
        steps in proptest::collection::vec((0i64..5, any_decision()), 0..12),
    ) {
        let mut status = start;
        let mut reviews: Vec<Review> = Vec::new();
        for (checker, decision) in steps {
            let next = review(status, AUTHOR, &reviews, required, by(checker, decision));
            if let Ok(next) = next {
                reviews.push(by(checker, decision));
                status = next;
            }
        }
        if status == ExportStatus::Approved && start != ExportStatus::Approved {
            let approvers: std::collections::HashSet<i64> = reviews
                .iter()
                .filter(|r| r.decision == ReviewDecision::Approve)
                .map(|r| r.checker)
                .collect();
            prop_assert!(start == ExportStatus::AwaitingReview);
            prop_assert!(!approvers.contains(&AUTHOR));
            prop_assert!(approvers.len() >= usize::from(required));
        }
    }

    /// A result passes only if every cell stands for enough records.
    #[test]
    fn passing_results_have_no_small_cell(records in proptest::collection::vec(0u64..40, 0..30)) {
        let passed = check(&traced(records.clone()), &rules()).is_empty();
        prop_assert_eq!(passed, records.iter().all(|n| *n >= 10));
    }
}

#[test]
fn counts_round_to_the_nearest_multiple_of_the_base() {
    let rounded: Vec<i64> = [0, 1, 2, 3, 7, 12, 13, 15, 1_234_567]
        .into_iter()
        .map(|n| round_count(n, 5))
        .collect();
    assert_eq!(rounded, vec![0, 0, 0, 5, 5, 10, 15, 15, 1_234_565]);
    assert_eq!(round_count(13, 0), 13, "0 leaves counts exact");
    assert_eq!(round_count(13, 1), 13, "so does 1");
}

proptest! {
    #[test]
    fn a_rounded_count_is_a_multiple_within_half_the_base(n in -1_000_000i64..1_000_000, base in 2u64..100) {
        let r = round_count(n, base);
        let b = base as i64;
        prop_assert_eq!(r % b, 0);
        prop_assert!((r - n).abs() * 2 <= b);
    }
}

#[test]
fn only_exports_sent_back_or_failed_may_be_resubmitted() {
    for &status in ExportStatus::ALL {
        assert_eq!(
            status.may_resubmit(),
            matches!(
                status,
                ExportStatus::ChangesRequested | ExportStatus::FailedChecks
            ),
            "{status}"
        );
    }
}

#[test]
fn a_measure_drawn_from_few_records_fails_in_a_large_cell() {
    let mut facts = traced(vec![40, 40, 5]);
    facts.contributors = vec![("不合格批次".into(), vec![Some(3.0), Some(0.0), Some(2.0)])];
    let failures = check(&facts, &rules());
    // Row 2 is a small cell already; a measure of none is no small cell.
    assert_eq!(
        failures,
        vec![
            CheckFailure {
                code: CheckCode::SmallCell,
                column: None,
                rows: vec![2],
            },
            CheckFailure {
                code: CheckCode::SmallCell,
                column: Some("不合格批次".into()),
                rows: vec![0],
            },
        ]
    );
}

#[test]
fn a_filter_that_leaves_out_few_records_fails() {
    let mut facts = traced(vec![40, 40, 40, 5]);
    facts.chosen = vec![(
        "成年人数".into(),
        vec![Some(39.0), Some(30.0), Some(40.0), Some(1.0)],
    )];
    let failures = check(&facts, &rules());
    assert_eq!(
        codes(&failures),
        vec![CheckCode::SmallCell, CheckCode::SmallComplement]
    );
    assert_eq!(failures[1].rows, vec![0], "row 3 failed already");
    assert_eq!(failures[1].column.as_deref(), Some("成年人数"));
}

#[test]
fn a_cell_differing_by_few_records_from_another_fails() {
    // Cells sharing records: row 0 differs from another by one record,
    // row 1 by fifteen, row 2 shares none, row 3 is small already.
    let mut facts = traced(vec![40, 40, 40, 5]);
    facts.differences = vec![Some(1.0), Some(15.0), None, Some(2.0)];
    let failures = check(&facts, &rules());
    assert_eq!(
        codes(&failures),
        vec![CheckCode::SmallCell, CheckCode::SmallDifference]
    );
    assert_eq!(failures[1].rows, vec![0]);
}

#[test]
fn filters_splitting_off_few_records_fail() {
    // Row 0's filters split off one record, row 1's fifteen at fewest,
    // row 2 has one filter, row 3 is small already.
    let mut facts = traced(vec![40, 40, 40, 5]);
    facts.splits = vec![Some(1.0), Some(15.0), None, Some(2.0)];
    let failures = check(&facts, &rules());
    assert_eq!(
        codes(&failures),
        vec![CheckCode::SmallCell, CheckCode::SmallSplit]
    );
    assert_eq!(failures[1].rows, vec![0]);
}

#[test]
fn a_count_computed_on_fails_only_when_counts_are_rounded() {
    let mut facts = traced(vec![40]);
    facts.counts_computed_on = true;
    assert!(check(&facts, &rules()).is_empty());
    let rounding = DisclosureRules {
        round_counts_to: 5,
        ..rules()
    };
    assert_eq!(
        codes(&check(&facts, &rounding)),
        vec![CheckCode::UnroundedCount]
    );
}

#[test]
fn a_mean_shown_finely_fails_only_when_counts_are_rounded() {
    let mut facts = traced(vec![40, 40]);
    // Exact; to 0.01 of whole numbers; to 0.1 of them (every count of
    // ten or more fits); to 0.1 of values on a step of 0.01.
    facts.mean_columns = vec![
        ("exact".into(), 0.0),
        ("cents".into(), 0.01),
        ("tenths".into(), 0.1),
        ("money".into(), 10.0),
    ];
    assert!(check(&facts, &rules()).is_empty());
    let rounding = DisclosureRules {
        round_counts_to: 5,
        ..rules()
    };
    let failures = check(&facts, &rounding);
    assert_eq!(codes(&failures), vec![CheckCode::ExactMean; 2]);
    let columns: Vec<_> = failures.iter().map(|f| f.column.as_deref()).collect();
    assert_eq!(columns, vec![Some("exact"), Some("cents")]);
}

proptest! {
    /// A result passes only if every measure of every cell is drawn from
    /// none or enough records.
    #[test]
    fn passing_results_have_no_measure_of_few_records(
        drawn in proptest::collection::vec(proptest::option::of(0u64..40), 0..30),
    ) {
        let mut facts = traced(vec![100; drawn.len()]);
        facts.contributors = vec![("m".into(), drawn.iter().map(|n| n.map(|n| n as f64)).collect())];
        let passed = check(&facts, &rules()).is_empty();
        prop_assert_eq!(passed, drawn.iter().flatten().all(|n| *n == 0 || *n >= 10));
    }
}

#[test]
fn suppression_must_reach_the_cell_threshold() {
    let suppressed = |least| ResultFacts {
        suppressed_below: Some(least),
        ..traced(vec![20, 30])
    };
    for least in [2, 9] {
        assert_eq!(
            codes(&check(&suppressed(least), &rules())),
            vec![CheckCode::WeakSuppression],
            "{least}"
        );
    }
    for least in [10, 11, 1_000] {
        assert!(check(&suppressed(least), &rules()).is_empty(), "{least}");
    }
    let lenient = DisclosureRules {
        min_cell_count: 5,
        ..rules()
    };
    assert!(check(&suppressed(5), &lenient).is_empty());
}
