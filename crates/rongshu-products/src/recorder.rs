//! Group commit of data calls. Each call hands its ledger entry and meter
//! to one writer task per process, which commits whatever has queued up
//! in one transaction (one fsync) and releases every answer of the batch
//! once it is durable. The batch is also where a call is finally admitted:
//! under the ledger head's lock it checks that the access epoch is still
//! the one the call's answer was made under, then the day's quota and the
//! minute's rate against the committed counts of every process.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use rongshu_domain::supply::{BillingUnit, Metered, charge};
use rongshu_ledger::EntryDraft;
use rongshu_store::{
    AuthorizationDay, Store, Usage, UseAt, UseCounts, UseReads, UseWriter, UseWrites,
};
use tokio::sync::{mpsc, oneshot};

/// Calls committed together at most; more wait for the next batch.
const MAX_BATCH: usize = 1024;

/// One call's use, waiting to be recorded.
#[derive(Debug)]
pub(crate) struct Use {
    pub entry: EntryDraft,
    pub product_id: i64,
    pub org_id: i64,
    pub day: chrono::NaiveDate,
    pub used: Metered,
    pub unit: BillingUnit,
    pub price_fen: i64,
    pub free: bool,
    pub daily_call_quota: Option<i64>,
    /// The authorization the product is made under, and its cap on the
    /// organisation's uses a day across all its products.
    pub authorization_id: i64,
    pub daily_use_limit: Option<i64>,
    pub rate_per_minute: Option<i64>,
    /// The minute (since the Unix epoch) the call was made in.
    pub minute: i64,
    /// The access epoch everything the call rested on was read under.
    pub stamp: i64,
}

/// What became of a use.
#[derive(Debug)]
pub(crate) enum Recorded {
    Done,
    /// Something changed since the call was admitted: admit it afresh.
    Stale,
    QuotaExceeded(i64),
    /// Over the daily limit of this authorization.
    LimitReached {
        authorization_id: i64,
        limit: i64,
    },
    RateLimited(i64),
    /// The batch's transaction failed; nothing of it was kept.
    Failed(String),
}

/// Uses recorded together (or not at all), and who waits for them.
type Pending = (Vec<Use>, oneshot::Sender<Recorded>);

/// The handle calls send their uses through.
#[derive(Debug)]
pub(crate) struct Recorder {
    sender: mpsc::UnboundedSender<Pending>,
}

impl Recorder {
    /// Starts the writer on a thread of its own: on the shared runtime its
    /// every statement would wait its turn behind the calls it serves, and
    /// the batch would stay open longer than its fsync.
    pub fn start(store: &Store) -> std::io::Result<Recorder> {
        let writer = store.use_writer().map_err(std::io::Error::other)?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("rongshu-recorder".to_owned())
            .spawn(move || runtime.block_on(write_batches(writer, receiver)))?;
        Ok(Recorder { sender })
    }

    /// Records every use of `uses` (one answer's, of one or several
    /// products) or, where one is refused, none of them, the outcome being
    /// that refusal; returns once they are durable.
    pub async fn record(&self, uses: Vec<Use>) -> Recorded {
        let (done, outcome) = oneshot::channel();
        if self.sender.send((uses, done)).is_err() {
            return Recorded::Failed("the recorder has stopped".to_owned());
        }
        outcome
            .await
            .unwrap_or_else(|_| Recorded::Failed("the recorder has stopped".to_owned()))
    }
}

async fn write_batches(mut writer: UseWriter, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::new();
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (groups, waiting): (Vec<Vec<Use>>, Vec<_>) = batch.drain(..).unzip();
        let (started, calls) = (std::time::Instant::now(), groups.len());
        let outcomes = match writer
            .record(&reads(groups.iter().flatten()), |counts| {
                decided_or_failed(groups, counts)
            })
            .await
        {
            Ok(outcomes) => {
                tracing::debug!(
                    calls,
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "data calls recorded"
                );
                outcomes
            }
            Err(error) => {
                tracing::error!(%error, calls, "recording data calls failed");
                (0..calls)
                    .map(|_| Recorded::Failed(error.to_string()))
                    .collect()
            }
        };
        for (done, outcome) in waiting.into_iter().zip(outcomes) {
            // A caller that went away leaves its use recorded all the same.
            let _ = done.send(outcome);
        }
    }
}

fn day_of(used: &Use) -> UseAt<String> {
    UseAt {
        product_id: used.product_id,
        org_id: used.org_id,
        at: used.day.to_string(),
    }
}

fn authorization_day_of(used: &Use) -> AuthorizationDay {
    AuthorizationDay {
        authorization_id: used.authorization_id,
        org_id: used.org_id,
        day: used.day.to_string(),
    }
}

fn minute_of(used: &Use) -> UseAt<i64> {
    UseAt {
        product_id: used.product_id,
        org_id: used.org_id,
        at: used.minute,
    }
}

fn month_of(used: &Use) -> UseAt<String> {
    UseAt {
        product_id: used.product_id,
        org_id: used.org_id,
        at: used.day.format("%Y-%m-01").to_string(),
    }
}

/// A per-period product charges the month's first use.
fn charged_per_period(used: &Use) -> bool {
    used.unit == BillingUnit::PerPeriod && !used.free
}

/// What deciding `uses` needs read.
fn reads<'u>(uses: impl IntoIterator<Item = &'u Use>) -> UseReads {
    let mut reads = UseReads::default();
    for used in uses {
        if used.daily_call_quota.is_some() {
            reads.day_calls.insert(day_of(used));
        }
        if used.daily_use_limit.is_some() {
            reads.authorization_days.insert(authorization_day_of(used));
        }
        if used.rate_per_minute.is_some() {
            reads.minute_calls.insert(minute_of(used));
        }
        if charged_per_period(used) {
            reads.used_since.insert(month_of(used));
        }
    }
    reads
}

/// A bug in deciding fails its own batch, not the recorder: were the
/// thread to die, every later call of the process would fail with it.
fn decided_or_failed(groups: Vec<Vec<Use>>, counts: &UseCounts) -> (UseWrites, Vec<Recorded>) {
    let calls = groups.len();
    std::panic::catch_unwind(AssertUnwindSafe(|| decide(groups, counts))).unwrap_or_else(|_| {
        let failed = (0..calls).map(|_| Recorded::Failed("deciding the batch failed".to_owned()));
        (UseWrites::default(), failed.collect())
    })
}

/// Decides each group of a batch in order against what was committed
/// before it and what the batch itself adds: stale, over the day's quota,
/// over the authorization's daily limit, over the minute's rate, or
/// recorded with its meter and charge. A group is recorded whole or not at
/// all: its outcome is its first use's refusal, if any.
fn decide(groups: Vec<Vec<Use>>, counts: &UseCounts) -> (UseWrites, Vec<Recorded>) {
    let mut batch = Decided::default();
    let outcomes = groups
        .into_iter()
        .map(|group| {
            // Only a group of several has earlier uses to take back.
            let before = (group.len() > 1).then(|| batch.mark());
            for used in group {
                let outcome = batch.decide(used, counts);
                if !matches!(outcome, Recorded::Done) {
                    if let Some(before) = before {
                        batch.undo(before);
                    }
                    return outcome;
                }
            }
            Recorded::Done
        })
        .collect();
    (batch.into_writes(), outcomes)
}

/// What a batch's recorded uses add up to so far.
#[derive(Default)]
struct Decided {
    sums: Sums,
    entries: Vec<EntryDraft>,
}

/// The meters and counts a batch adds.
#[derive(Clone, Default)]
struct Sums {
    meters: HashMap<UseAt<String>, Usage>,
    authorized: HashMap<AuthorizationDay, i64>,
    minutes: HashMap<UseAt<i64>, i64>,
}

/// A point to take a batch back to: its sums, and how many entries it had.
struct Mark(Sums, usize);

impl Decided {
    fn mark(&self) -> Mark {
        Mark(self.sums.clone(), self.entries.len())
    }

    fn undo(&mut self, Mark(sums, entries): Mark) {
        self.sums = sums;
        self.entries.truncate(entries);
    }

    /// Decides one use; adds it only when it is recorded.
    fn decide(&mut self, used: Use, counts: &UseCounts) -> Recorded {
        if used.stamp != counts.epoch {
            return Recorded::Stale;
        }
        let day = day_of(&used);
        let metered = self.sums.meters.get(&day);
        if let Some(quota) = used.daily_call_quota {
            let before = counts.day_calls.get(&day).copied().unwrap_or(0);
            let uses = before.saturating_add(metered.map_or(0, |u| u.uses()));
            if uses.saturating_add(used.used.uses()) > quota {
                return Recorded::QuotaExceeded(quota);
            }
        }
        if let Some(limit) = used.daily_use_limit {
            let key = &authorization_day_of(&used);
            let before = counts.authorization_days.get(key).copied().unwrap_or(0);
            let added = self.sums.authorized.get(key).copied().unwrap_or(0);
            if before
                .saturating_add(added)
                .saturating_add(used.used.uses())
                > limit
            {
                return Recorded::LimitReached {
                    authorization_id: used.authorization_id,
                    limit,
                };
            }
        }
        if let Some(rate) = used.rate_per_minute {
            let minute = minute_of(&used);
            let before = counts.minute_calls.get(&minute).copied().unwrap_or(0);
            let added = self.sums.minutes.entry(minute).or_default();
            if before.saturating_add(*added + used.used.uses()) > rate {
                return Recorded::RateLimited(rate);
            }
            *added += used.used.uses();
        }
        let mut charged = used.used;
        if charged_per_period(&used) {
            charged.first_this_month =
                metered.is_none() && !counts.used_since.contains(&month_of(&used));
        }
        let amount = charge(used.unit, used.price_fen, charged, used.free);
        let usage = self.sums.meters.entry(day).or_insert_with_key(|day| Usage {
            product_id: day.product_id,
            org_id: day.org_id,
            day: day.at.clone(),
            calls: 0,
            records: 0,
            downloads: 0,
            amount_fen: 0,
        });
        usage.add(used.used, amount);
        // Counted whether or not limited: a limit is read from its day's
        // count, whenever it was set.
        let added = self
            .sums
            .authorized
            .entry(authorization_day_of(&used))
            .or_default();
        *added = added.saturating_add(used.used.uses());
        self.entries.push(used.entry);
        Recorded::Done
    }

    fn into_writes(self) -> UseWrites {
        UseWrites {
            entries: self.entries,
            usage: self.sums.meters.into_values().collect(),
            minutes: self
                .sums
                .minutes
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
            authorization_uses: self
                .sums
                .authorized
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPOCH: i64 = 7;

    fn call(org_id: i64) -> Use {
        Use {
            entry: EntryDraft::new(0, "product.query", "product"),
            product_id: 1,
            org_id,
            day: "2026-12-01".parse().unwrap(),
            used: Metered {
                calls: 1,
                records: 3,
                downloads: 0,
                first_this_month: false,
            },
            unit: BillingUnit::PerCall,
            price_fen: 5,
            free: false,
            daily_call_quota: None,
            authorization_id: 1,
            daily_use_limit: None,
            rate_per_minute: None,
            minute: 100,
            stamp: EPOCH,
        }
    }

    fn counts() -> UseCounts {
        UseCounts {
            epoch: EPOCH,
            ..UseCounts::default()
        }
    }

    /// Each use an answer of its own.
    fn singly(uses: Vec<Use>) -> Vec<Vec<Use>> {
        uses.into_iter().map(|used| vec![used]).collect()
    }

    fn done(outcomes: &[Recorded]) -> usize {
        outcomes
            .iter()
            .filter(|o| matches!(o, Recorded::Done))
            .count()
    }

    #[test]
    fn calls_are_metered_per_organisation_and_day_and_each_is_ledgered() {
        let uses = vec![call(10), call(10), call(11)];
        let (writes, outcomes) = decide(singly(uses), &counts());
        assert_eq!(done(&outcomes), 3);
        assert_eq!(writes.entries.len(), 3);
        let mut usage = writes.usage;
        usage.sort_by_key(|u| u.org_id);
        let metered: Vec<_> = usage
            .iter()
            .map(|u| (u.org_id, u.calls, u.records, u.amount_fen))
            .collect();
        assert_eq!(metered, [(10, 2, 6, 10), (11, 1, 3, 5)]);
        assert!(writes.minutes.is_empty(), "no rate, nothing counted");
    }

    #[test]
    fn a_call_admitted_under_another_epoch_is_stale_and_writes_nothing() {
        let mut old = call(10);
        old.stamp = EPOCH - 1;
        let (writes, outcomes) = decide(singly(vec![old, call(10)]), &counts());
        assert!(matches!(outcomes[0], Recorded::Stale));
        assert!(matches!(outcomes[1], Recorded::Done));
        assert_eq!((writes.entries.len(), writes.usage[0].calls), (1, 1));
    }

    #[test]
    fn a_group_is_recorded_whole_or_not_at_all() {
        let quoted = |product_id| Use {
            product_id,
            daily_call_quota: Some(1),
            rate_per_minute: Some(10),
            ..call(10)
        };
        let mut committed = counts();
        committed.day_calls.insert(day_of(&quoted(2)), 1);
        let groups = vec![vec![quoted(1), quoted(2)], vec![quoted(1)]];
        let (writes, outcomes) = decide(groups, &committed);
        assert!(
            matches!(outcomes[0], Recorded::QuotaExceeded(1)),
            "the second product's quota refuses the whole answer"
        );
        assert!(
            matches!(outcomes[1], Recorded::Done),
            "the first product's quota was not spent by the refused answer"
        );
        assert_eq!(writes.entries.len(), 1);
        assert_eq!(writes.usage.len(), 1);
        assert_eq!((writes.usage[0].product_id, writes.usage[0].calls), (1, 1));
        assert_eq!(writes.minutes[0].1, 1, "nor its rate");
    }

    #[test]
    fn the_quota_counts_what_was_committed_and_what_the_batch_adds() {
        let quoted = || Use {
            daily_call_quota: Some(5),
            ..call(10)
        };
        let mut committed = counts();
        committed.day_calls.insert(day_of(&quoted()), 3);
        let (writes, outcomes) = decide(singly(vec![quoted(), quoted(), quoted()]), &committed);
        assert_eq!(done(&outcomes), 2);
        assert!(matches!(outcomes[2], Recorded::QuotaExceeded(5)));
        assert_eq!(writes.usage[0].calls, 2);
        assert_eq!(reads(&[quoted()]).day_calls.len(), 1);
    }

    #[test]
    fn an_authorizations_limit_counts_every_product_made_under_it() {
        let under = |product_id, authorization_id| Use {
            product_id,
            authorization_id,
            daily_use_limit: Some(4),
            ..call(10)
        };
        let mut committed = counts();
        committed
            .authorization_days
            .insert(authorization_day_of(&under(1, 1)), 2);
        let (writes, outcomes) = decide(
            singly(vec![under(1, 1), under(2, 1), under(3, 1), under(2, 9)]),
            &committed,
        );
        assert!(matches!(outcomes[0], Recorded::Done));
        assert!(matches!(outcomes[1], Recorded::Done));
        assert!(matches!(
            outcomes[2],
            Recorded::LimitReached { limit: 4, .. }
        ));
        assert!(
            matches!(outcomes[3], Recorded::Done),
            "another authorization"
        );
        assert_eq!(writes.entries.len(), 3);
        let mut counted: Vec<_> = writes
            .authorization_uses
            .iter()
            .map(|(day, uses)| (day.authorization_id, *uses))
            .collect();
        counted.sort();
        assert_eq!(
            counted,
            [(1, 2), (9, 1)],
            "what was recorded, by authorization"
        );
        let read = reads(&[under(1, 1), under(2, 1), under(1, 9), call(10)]);
        assert_eq!(read.authorization_days.len(), 2);
        // A use refused by the product's own quota takes nothing from the
        // authorization's.
        let quoted = Use {
            daily_call_quota: Some(0),
            ..under(1, 1)
        };
        let (_, outcomes) = decide(singly(vec![quoted, under(2, 1), under(3, 1)]), &committed);
        assert!(matches!(outcomes[0], Recorded::QuotaExceeded(0)));
        assert_eq!(done(&outcomes), 2);
    }

    #[test]
    fn downloads_count_against_the_quota_and_the_rate_like_calls() {
        let download = || Use {
            used: Metered {
                calls: 0,
                downloads: 1,
                records: 5_000,
                first_this_month: false,
            },
            daily_call_quota: Some(2),
            rate_per_minute: Some(5),
            ..call(10)
        };
        let mut committed = counts();
        committed.day_calls.insert(day_of(&download()), 1);
        let (writes, outcomes) = decide(singly(vec![download(), download()]), &committed);
        assert!(matches!(outcomes[0], Recorded::Done));
        assert!(matches!(outcomes[1], Recorded::QuotaExceeded(2)));
        assert_eq!(writes.usage[0].downloads, 1);
        assert_eq!(writes.minutes[0].1, 1, "the minute counts the download");
    }

    #[test]
    fn charges_of_the_highest_price_saturate_instead_of_wrapping() {
        let dear = || Use {
            unit: BillingUnit::PerRecord,
            price_fen: rongshu_domain::supply::MAX_PRICE_FEN,
            used: Metered {
                records: i64::MAX / 2,
                ..call(10).used
            },
            ..call(10)
        };
        let (writes, outcomes) = decide(singly(vec![dear(), dear(), dear()]), &counts());
        assert_eq!(done(&outcomes), 3);
        assert_eq!(writes.usage[0].amount_fen, i64::MAX);
    }

    #[test]
    fn the_rate_counts_the_minute_across_processes_and_only_what_passed() {
        let limited = |minute| Use {
            rate_per_minute: Some(2),
            minute,
            ..call(10)
        };
        let mut committed = counts();
        committed.minute_calls.insert(minute_of(&limited(100)), 1);
        let uses = vec![limited(100), limited(100), limited(101)];
        let (writes, outcomes) = decide(singly(uses), &committed);
        assert!(matches!(outcomes[0], Recorded::Done));
        assert!(matches!(outcomes[1], Recorded::RateLimited(2)));
        assert!(matches!(outcomes[2], Recorded::Done), "a new minute");
        let mut minutes: Vec<_> = writes.minutes.iter().map(|(m, n)| (m.at, *n)).collect();
        minutes.sort();
        assert_eq!(minutes, [(100, 1), (101, 1)]);
    }

    #[test]
    fn a_period_is_charged_on_the_months_first_use_only() {
        let monthly = || Use {
            unit: BillingUnit::PerPeriod,
            price_fen: 900,
            ..call(10)
        };
        let (writes, _) = decide(singly(vec![monthly(), monthly()]), &counts());
        assert_eq!(writes.usage[0].amount_fen, 900, "the first of the month");
        let mut used = counts();
        used.used_since.insert(month_of(&monthly()));
        let (writes, _) = decide(singly(vec![monthly()]), &used);
        assert_eq!(writes.usage[0].amount_fen, 0, "already used this month");
        let free = Use {
            free: true,
            ..monthly()
        };
        assert!(reads(&[free]).used_since.is_empty(), "nothing to charge");
    }
}
