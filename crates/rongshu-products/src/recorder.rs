//! Group commit of data calls. Each call hands its ledger entry and meter
//! to one writer task per process, which commits whatever has queued up
//! in one transaction (one fsync) and releases every answer of the batch
//! once it is durable. The batch is also where a call is finally admitted:
//! under the ledger head's lock it checks that the access epoch is still
//! the one the call's answer was made under, then the day's quota and the
//! minute's rate against the committed counts of every process.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rongshu_domain::supply::{BillingUnit, Metered, charge};
use rongshu_ledger::EntryDraft;
use rongshu_store::{Store, StoreError, Usage, WriteTx};
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
    RateLimited(i64),
    /// The batch's transaction failed; nothing of it was kept.
    Failed(String),
}

type Pending = (Use, oneshot::Sender<Recorded>);

/// The handle calls send their uses through.
#[derive(Debug)]
pub(crate) struct Recorder {
    sender: mpsc::UnboundedSender<Pending>,
}

impl Recorder {
    /// Starts the writer on a thread of its own: on the shared runtime its
    /// every statement would wait its turn behind the calls it serves, and
    /// the batch would stay open longer than its fsync.
    pub fn start(store: Store) -> std::io::Result<Recorder> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("rongshu-recorder".to_owned())
            .spawn(move || runtime.block_on(write_batches(store, receiver)))?;
        Ok(Recorder { sender })
    }

    /// Records `used`, returning once it is durable (or refused).
    pub async fn record(&self, used: Use) -> Recorded {
        let (done, outcome) = oneshot::channel();
        if self.sender.send((used, done)).is_err() {
            return Recorded::Failed("the recorder has stopped".to_owned());
        }
        outcome
            .await
            .unwrap_or_else(|_| Recorded::Failed("the recorder has stopped".to_owned()))
    }
}

async fn write_batches(store: Store, mut receiver: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::new();
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (uses, waiting): (Vec<Use>, Vec<_>) = batch.drain(..).unzip();
        let (started, calls) = (std::time::Instant::now(), uses.len());
        let outcomes = match commit(&store, uses).await {
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

/// A product's meter for one organisation and day, within a batch.
#[derive(Default)]
struct Meter {
    /// Calls committed before the batch; read once, when first needed.
    calls_before: Option<i64>,
    usage: Option<Usage>,
}

impl Meter {
    fn calls(&self) -> i64 {
        self.calls_before.unwrap_or(0) + self.usage.as_ref().map_or(0, |u| u.calls)
    }
}

/// A product's calls for one organisation in one minute, within a batch.
struct Minute {
    /// Calls committed before the batch, by any process.
    before: i64,
    added: i64,
}

async fn commit(store: &Store, uses: Vec<Use>) -> Result<Vec<Recorded>, StoreError> {
    let (mut tx, epoch) = store.begin_uses().await?;
    let mut meters: HashMap<(i64, i64, chrono::NaiveDate), Meter> = HashMap::new();
    let mut minutes: HashMap<(i64, i64, i64), Minute> = HashMap::new();
    let mut outcomes = Vec::with_capacity(uses.len());
    let mut entries = Vec::with_capacity(uses.len());
    for used in uses {
        if used.stamp != epoch {
            outcomes.push(Recorded::Stale);
            continue;
        }
        let day = used.day.to_string();
        let meter = meters
            .entry((used.product_id, used.org_id, used.day))
            .or_default();
        if let Some(quota) = used.daily_call_quota {
            if meter.calls_before.is_none() {
                meter.calls_before = Some(tx.calls_on(used.product_id, used.org_id, &day).await?);
            }
            if meter.calls() + used.used.calls > quota {
                outcomes.push(Recorded::QuotaExceeded(quota));
                continue;
            }
        }
        if let Some(rate) = used.rate_per_minute {
            let key = (used.product_id, used.org_id, used.minute);
            let minute = match minutes.entry(key) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(Minute {
                    before: tx.calls_in_minute(key.0, key.1, key.2).await?,
                    added: 0,
                }),
            };
            if minute.before + minute.added + used.used.calls > rate {
                outcomes.push(Recorded::RateLimited(rate));
                continue;
            }
            minute.added += used.used.calls;
        }
        let amount = amount(&mut tx, &used, meter).await?;
        let usage = meter.usage.get_or_insert(Usage {
            product_id: used.product_id,
            org_id: used.org_id,
            day,
            calls: 0,
            records: 0,
            downloads: 0,
            amount_fen: 0,
        });
        usage.calls += used.used.calls;
        usage.records += used.used.records;
        usage.downloads += used.used.downloads;
        usage.amount_fen += amount;
        entries.push(used.entry);
        outcomes.push(Recorded::Done);
    }
    tx.append_all(entries).await?;
    for usage in meters.values().filter_map(|m| m.usage.as_ref()) {
        tx.meter(usage).await?;
    }
    for ((product_id, org_id, minute), counted) in &minutes {
        if counted.added > 0 {
            tx.count_minute(*product_id, *org_id, *minute, counted.added)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// What a use costs; a per-period product charges the month's first use.
async fn amount(tx: &mut WriteTx<'_>, used: &Use, meter: &Meter) -> Result<i64, StoreError> {
    let mut metered = used.used;
    if used.unit == BillingUnit::PerPeriod && !used.free {
        let month_start = used.day.format("%Y-%m-01").to_string();
        metered.first_this_month = meter.usage.is_none()
            && !tx
                .used_since(used.product_id, used.org_id, &month_start)
                .await?;
    }
    Ok(charge(used.unit, used.price_fen, metered, used.free))
}
