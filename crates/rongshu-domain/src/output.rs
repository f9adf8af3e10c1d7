//! Output checking for the sandbox (Art. 5: data usable, not visible):
//! the automatic disclosure checks a result passes before any person
//! looks at it, and the output checkers' review that follows.
//!
//! The checks are statistical disclosure control as ACRO and OpenSAFELY
//! apply it: each row of a result is a cell standing for the records
//! behind it; too few records, a structural zero, or a total dominated by
//! one or two contributors could reveal a person or a company.

use crate::workflow::named_enum;

/// Thresholds of the automatic checks (REFERENCE: ACRO's defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DisclosureRules {
    /// Fewest records a cell may stand for.
    pub min_cell_count: u64,
    /// Whether a zero in a count column is disclosive.
    pub zeros_disclosive: bool,
    /// A total fails when its two largest contributions reach this share.
    pub dominance_share: f64,
    /// Most rows a released result may have.
    pub max_rows: usize,
    /// Released counts are rounded to the nearest multiple of this (5 is
    /// the usual base); 0 or 1 leaves them exact.
    pub round_counts_to: u64,
}

impl Default for DisclosureRules {
    fn default() -> DisclosureRules {
        DisclosureRules {
            min_cell_count: 10,
            zeros_disclosive: true,
            dominance_share: 0.9,
            max_rows: 1_000,
            round_counts_to: 0,
        }
    }
}

/// A total in one cell and the two largest contributions to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Total {
    pub value: f64,
    pub top_two: f64,
}

/// What the engine traced of a result, for the checks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultFacts {
    pub rows: usize,
    /// The records behind each row; `None` when the result's rows could
    /// not be traced to records (the checks then fail it).
    pub records: Option<Vec<u64>>,
    /// Columns computed as counts, with their values row by row.
    pub counts: Vec<(String, Vec<Option<f64>>)>,
    /// Columns computed as sums, with their contributions row by row.
    pub totals: Vec<(String, Vec<Option<Total>>)>,
    /// Each measure (count, sum, mean), with the records that contributed
    /// to it row by row: those its filter kept, with a value (a non-zero
    /// one, for sums). A measure can stand for fewer records than its
    /// cell (`FILTER`, `CASE`, `count(x)` of a sparse `x`).
    pub contributors: Vec<(String, Vec<Option<f64>>)>,
    /// Each measure with a filter (`FILTER`, a `CASE` that adds nothing
    /// for some records), with the records it chose row by row: the cell's
    /// records less these are what the filter left out, and the measure
    /// taken from the cell's whole would show theirs by difference.
    pub chosen: Vec<(String, Vec<Option<f64>>)>,
    /// Where a join copies records into several cells: for each row, the
    /// fewest records by which its cell differs from another cell sharing
    /// records with it (a record with other rows in one than the other
    /// differs too); zero or none where it shares none. The two cells'
    /// difference shows those records. Empty where no record is behind
    /// two cells.
    pub differences: Vec<Option<f64>>,
    /// Where two measures' filters or more split cells' records: for each
    /// row, the fewest records in a group every filter treats alike (all
    /// chosen by the same filters). Sums and differences of the measures
    /// show such groups. Empty where fewer than two measures filter.
    pub splits: Vec<Option<f64>>,
    /// Columns found to hold direct identifiers (ID numbers, mobiles, names).
    pub identifier_columns: Vec<String>,
    /// The result's columns (by position) that show a count.
    pub count_columns: Vec<usize>,
    /// Whether a column computes on a count rather than showing it
    /// (`count(*) * 2`, `sum(x) / count(*)`), or a filter of the rows
    /// reads one: rounding could not reach the count there.
    pub counts_computed_on: bool,
    /// Where a filter drops cells by their record counts (`HAVING
    /// count(*) >= 10`, here or as a table read was made): the least count
    /// it keeps, the weakest of several. The cells dropped are known to
    /// hold fewer; a bound under the cell threshold pins them to fewer
    /// counts than the threshold leaves open (`>= 2`: exactly one).
    pub suppressed_below: Option<u64>,
    /// Each column showing a mean, with how coarsely: the step it is shown
    /// to over the step of the values it averages (0 where shown exactly,
    /// or the values have no step). A mean S / n of values on a step, shown
    /// finer than that step over the cell's records, fits one count n
    /// alone: rounding could not reach the count it divides by.
    pub mean_columns: Vec<(String, f64)>,
    /// Where a filter of the cells reads a measure other than their
    /// record counts (`HAVING sum(x) > 100`): the facts of every cell it
    /// judged, dropped or kept. Whether a cell is dropped tells something
    /// of its records, so the dropped are checked as if shown.
    pub before_filters: Option<Box<ResultFacts>>,
    /// Each earlier release of the workspace this one was compared with
    /// (as the caller labelled it), and the fewest records by which a cell
    /// of one differs from a cell of the other sharing records with it
    /// (0: none differ); none where they could not be compared (too many
    /// cells, past the memory cap): the checks then fail.
    pub earlier: Vec<(String, Option<u64>)>,
    /// Earlier releases of the organisation over the same data that this
    /// one cannot be compared with (made in another workspace from another
    /// product's table): the checks fail, as for a comparison that could
    /// not run.
    pub uncompared: Vec<String>,
}

named_enum! {
    /// Why an automatic check failed; stable codes shown to users and
    /// checkers.
    pub enum CheckCode ("check") {
        SmallCell = "small-cell",
        Zero = "zero",
        Dominance = "dominance",
        DirectIdentifier = "direct-identifier",
        RowCap = "row-cap",
        Untraceable = "untraceable",
        /// A measure's filter leaves out too few of its cell's records (or
        /// the nulls a count or mean skips, or a product's zero or null
        /// factors do).
        SmallComplement = "small-complement",
        /// Counts are to be rounded, and a column computes with one.
        UnroundedCount = "unrounded-count",
        /// A cell differs by too few records from another that shares
        /// records with it (a join copied them into both).
        SmallDifference = "small-difference",
        /// Measures' filters split a cell's records into a group of too
        /// few (`FILTER (WHERE a)` beside `FILTER (WHERE a AND b)`), or a
        /// product's factor weights too few apart (`sum(x * y)` where y
        /// is 1 but for one record).
        SmallSplit = "small-split",
        /// A filter of the cells reads a measure other than their record
        /// counts (or a limit keeps the first of an order by one), and a
        /// cell it dropped fails a check: the filter's verdict tells
        /// something of that cell's records.
        DroppedCell = "dropped-cell",
        /// A cell differs by too few records from a cell of an earlier
        /// release sharing records with it: the two releases' difference
        /// shows those records.
        EarlierRelease = "earlier-release",
        /// An earlier release of the organisation over the same data, made
        /// in another workspace from another product's table, cannot be
        /// compared with this one: their difference could show records.
        UncomparedRelease = "uncompared-release",
        /// A filter drops cells by their record counts from a bound under
        /// the cell threshold: the dropped cells' counts narrow to the few
        /// under it.
        WeakSuppression = "weak-suppression",
        /// Counts are to be rounded, and a mean is shown finely enough to
        /// tell the count it divides by.
        ExactMean = "exact-mean",
    }
}

/// One failed check, with where it failed (row numbers from 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    pub code: CheckCode,
    /// The column concerned, for checks of one column.
    pub column: Option<String>,
    pub rows: Vec<usize>,
}

/// A released count rounded to the nearest multiple of `base` (the checks
/// themselves always see exact counts).
pub fn round_count(count: i64, base: u64) -> i64 {
    let Ok(base) = i64::try_from(base) else {
        return count;
    };
    if base <= 1 {
        return count;
    }
    let below = count.div_euclid(base) * base;
    if (count - below) * 2 >= base {
        below + base
    } else {
        below
    }
}

/// Every check that fails; empty when the result may go to the checkers.
pub fn check(facts: &ResultFacts, rules: &DisclosureRules) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    let mut fail = |code, column: Option<&str>, rows: Vec<usize>| {
        failures.push(CheckFailure {
            code,
            column: column.map(str::to_owned),
            rows,
        })
    };
    if facts.rows > rules.max_rows {
        fail(CheckCode::RowCap, None, Vec::new());
    }
    for column in &facts.identifier_columns {
        fail(CheckCode::DirectIdentifier, Some(column), Vec::new());
    }
    match &facts.records {
        None => fail(CheckCode::Untraceable, None, Vec::new()),
        Some(records) => {
            let small = rows_where(records.iter().map(|n| Some(*n)), |n| {
                n < rules.min_cell_count
            });
            if !small.is_empty() {
                fail(CheckCode::SmallCell, None, small.clone());
            }
            // A measure drawn from fewer records than its cell, in a cell
            // not already failed. None at all is a zero, not a small cell.
            let few = |n: f64| n > 0.0 && n < rules.min_cell_count as f64;
            for (column, values) in &facts.contributors {
                let mut rows = rows_where(values.iter().copied(), few);
                rows.retain(|row| !small.contains(row));
                if !rows.is_empty() {
                    fail(CheckCode::SmallCell, Some(column), rows);
                }
            }
            for (column, values) in &facts.chosen {
                let left_out = records
                    .iter()
                    .zip(values)
                    .map(|(all, chosen)| Some(*all as f64 - chosen.unwrap_or(0.0)));
                let mut rows = rows_where(left_out, few);
                rows.retain(|row| !small.contains(row));
                if !rows.is_empty() {
                    fail(CheckCode::SmallComplement, Some(column), rows);
                }
            }
            for (values, code) in [
                (&facts.differences, CheckCode::SmallDifference),
                (&facts.splits, CheckCode::SmallSplit),
            ] {
                let mut rows = rows_where(values.iter().copied(), few);
                rows.retain(|row| !small.contains(row));
                if !rows.is_empty() {
                    fail(code, None, rows);
                }
            }
        }
    }
    if facts
        .suppressed_below
        .is_some_and(|least| least < rules.min_cell_count)
    {
        fail(CheckCode::WeakSuppression, None, Vec::new());
    }
    if rules.round_counts_to > 1 && facts.counts_computed_on {
        fail(CheckCode::UnroundedCount, None, Vec::new());
    }
    if rules.round_counts_to > 1 {
        // Shown to a step of 1 / n of its values' step or coarser, a mean
        // fits every count near the rounded one.
        let fine = |coarseness: f64| coarseness * (rules.min_cell_count as f64) < 1.0;
        for (column, coarseness) in &facts.mean_columns {
            if fine(*coarseness) {
                fail(CheckCode::ExactMean, Some(column), Vec::new());
            }
        }
    }
    if rules.zeros_disclosive {
        for (column, values) in &facts.counts {
            let zeros = rows_where(values.iter().copied(), |v| v == 0.0);
            if !zeros.is_empty() {
                fail(CheckCode::Zero, Some(column), zeros);
            }
        }
    }
    for (column, cells) in &facts.totals {
        let dominated = rows_where(cells.iter().copied(), |t| {
            dominated(t, rules.dominance_share)
        });
        if !dominated.is_empty() {
            fail(CheckCode::Dominance, Some(column), dominated);
        }
    }
    for (release, fewest) in &facts.earlier {
        if fewest.is_none_or(|n| n > 0 && n < rules.min_cell_count) {
            fail(CheckCode::EarlierRelease, Some(release), Vec::new());
        }
    }
    for release in &facts.uncompared {
        fail(CheckCode::UncomparedRelease, Some(release), Vec::new());
    }
    if let Some(before) = &facts.before_filters {
        let dropped = dropped_failing(&failures, &check(before, rules));
        failures.extend(dropped);
    }
    failures
}

/// The failures among the cells a filter dropped: the shown cells are
/// some of those it judged, with the same facts, so a check failing more
/// of the judged than of the shown failed a dropped one. Checks of the
/// whole result (the row cap, identifiers, rounding) are the shown's; a
/// filter judging cells that cannot be traced leaves them unchecked.
fn dropped_failing(shown: &[CheckFailure], judged: &[CheckFailure]) -> Vec<CheckFailure> {
    let failing = |failures: &[CheckFailure], code, column: &Option<String>| {
        failures
            .iter()
            .filter(|f| f.code == code && f.column == *column)
            .map(|f| f.rows.len())
            .sum::<usize>()
    };
    if let Some(untraced) = judged.iter().find(|f| f.code == CheckCode::Untraceable) {
        return vec![untraced.clone()];
    }
    judged
        .iter()
        .filter(|f| f.rows.len() > failing(shown, f.code, &f.column))
        .map(|f| CheckFailure {
            code: CheckCode::DroppedCell,
            column: f.column.clone(),
            rows: Vec::new(),
        })
        .collect()
}

fn rows_where<T: Copy>(
    values: impl Iterator<Item = Option<T>>,
    test: impl Fn(T) -> bool,
) -> Vec<usize> {
    values
        .enumerate()
        .filter(|(_, v)| v.is_some_and(&test))
        .map(|(row, _)| row)
        .collect()
}

/// The two largest contributions make at least `share` of the total.
/// Totals are compared by magnitude, so negative contributions (refunds,
/// losses) cannot hide a dominant one; a zero total with any contribution
/// is dominated.
fn dominated(total: Total, share: f64) -> bool {
    let whole = total.value.abs();
    let top = total.top_two.abs();
    if whole == 0.0 {
        return top > 0.0;
    }
    top >= share * whole
}

named_enum! {
    /// Where an export request stands.
    pub enum ExportStatus ("export status") {
        /// An automatic check failed: no checker may approve it.
        FailedChecks = "failed-checks",
        AwaitingReview = "awaiting-review",
        /// A checker asked for changes; the author may resubmit.
        ChangesRequested = "changes-requested",
        Approved = "approved",
        Rejected = "rejected",
        /// The author filed a changed export in its place.
        Resubmitted = "resubmitted",
    }
}

impl ExportStatus {
    /// Whether the result has left the workspace, or may yet: approved,
    /// or awaiting the checkers.
    pub fn may_leave(self) -> bool {
        matches!(self, ExportStatus::AwaitingReview | ExportStatus::Approved)
    }

    /// Whether the author may file a changed export in this one's place:
    /// after a checker asked for changes, or after the automatic checks
    /// failed it.
    pub fn may_resubmit(self) -> bool {
        matches!(
            self,
            ExportStatus::ChangesRequested | ExportStatus::FailedChecks
        )
    }
}

named_enum! {
    /// An output checker's decision.
    pub enum ReviewDecision ("review decision") {
        Approve = "approve",
        Reject = "reject",
        ApproveSubjectToChanges = "approve-subject-to-changes",
    }
}

/// Who reviewed an export and what they decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Review {
    pub checker: i64,
    pub decision: ReviewDecision,
}

/// Why a checker's decision is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefusal {
    #[error("the author of an output can never review it")]
    OwnOutput,
    #[error("this checker has already reviewed the output; a second, independent checker must")]
    AlreadyReviewed,
    #[error("an output in state {0} takes no review")]
    NotAwaitingReview(ExportStatus),
}

/// The state automatic checks leave a new or resubmitted export in.
pub fn after_checks(failures: &[CheckFailure]) -> ExportStatus {
    if failures.is_empty() {
        ExportStatus::AwaitingReview
    } else {
        ExportStatus::FailedChecks
    }
}

/// The state after `review`, given the reviews already made in this
/// round: a rejection or a request for changes decides at once; approval
/// needs `approvals_required` distinct checkers, none of them the author.
pub fn review(
    status: ExportStatus,
    author: i64,
    earlier: &[Review],
    approvals_required: u8,
    review: Review,
) -> Result<ExportStatus, ReviewRefusal> {
    if status != ExportStatus::AwaitingReview {
        return Err(ReviewRefusal::NotAwaitingReview(status));
    }
    if review.checker == author {
        return Err(ReviewRefusal::OwnOutput);
    }
    if earlier.iter().any(|r| r.checker == review.checker) {
        return Err(ReviewRefusal::AlreadyReviewed);
    }
    Ok(match review.decision {
        ReviewDecision::Reject => ExportStatus::Rejected,
        ReviewDecision::ApproveSubjectToChanges => ExportStatus::ChangesRequested,
        ReviewDecision::Approve => {
            let approvals = 1 + earlier
                .iter()
                .filter(|r| r.decision == ReviewDecision::Approve)
                .count();
            if approvals >= usize::from(approvals_required.max(1)) {
                ExportStatus::Approved
            } else {
                ExportStatus::AwaitingReview
            }
        }
    })
}

#[cfg(test)]
mod tests;
