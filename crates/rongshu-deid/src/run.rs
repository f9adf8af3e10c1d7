//! Running a compiled pipeline over batches of rows.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

use chrono::NaiveDate;
use rand::Rng;
use rongshu_crypto::{KeyedHasher, Tokenizer};

use crate::compile::{Compiled, Op};
use crate::pipeline::{Clean, Transform};
use crate::values;

/// Rows in columns: `columns[field][row]`, each value text or missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub rows: usize,
    pub columns: Vec<Vec<Option<String>>>,
}

/// A product's keys: pseudonyms and reversible tokens made under one
/// product never link to another's.
#[derive(Clone, Debug)]
pub struct ProductKeys {
    pseudonym: KeyedHasher,
    token: Tokenizer,
}

/// The context a product's keys are sealed under, so sealed keys copied
/// onto another product do not open.
pub fn product_key_context(product_code: &str) -> Vec<u8> {
    format!("rongshu product keys for {product_code}").into_bytes()
}

/// Bytes of key material a product holds.
pub const PRODUCT_KEY_BYTES: usize = 64;

impl ProductKeys {
    /// From [`PRODUCT_KEY_BYTES`] random bytes.
    pub fn from_bytes(material: &[u8]) -> Option<ProductKeys> {
        if material.len() != PRODUCT_KEY_BYTES {
            return None;
        }
        Some(ProductKeys {
            pseudonym: KeyedHasher::new(material[..32].to_vec()),
            token: Tokenizer::new(&material[32..]).ok()?,
        })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.token
    }

    /// 20 hexadecimal digits (80 bits) of HMAC-SM3: collisions stay
    /// negligible at billions of values.
    pub fn pseudonym(&self, value: &str) -> String {
        self.pseudonym.hash_hex_prefix(value, 10)
    }
}

/// Why a row was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectReason {
    Missing,
    NotADate,
    FailsCheck(&'static str),
    NotANumber,
    NoAge,
    NoRegion,
}

impl RejectReason {
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::Missing => "missing",
            RejectReason::NotADate => "not-a-date",
            RejectReason::FailsCheck(_) => "fails-check",
            RejectReason::NotANumber => "not-a-number",
            RejectReason::NoAge => "no-age",
            RejectReason::NoRegion => "no-region",
        }
    }
}

/// One rejected row, numbered from 1 in input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub row: u64,
    pub field: String,
    pub reason: RejectReason,
}

/// What k-anonymity did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KReport {
    pub k: u32,
    /// The smallest group left; none when no row is left.
    pub achieved: Option<u64>,
    /// Rows whose quasi-identifiers were suppressed.
    pub suppressed_rows: u64,
    /// Suppressed rows that were still too few to form a group.
    pub dropped_rows: u64,
    /// Share of quasi-identifier values suppressed or dropped.
    pub information_loss: f64,
}

/// What a run did, for the preview and the rejected-rows report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    pub rows_in: u64,
    pub rows_out: u64,
    pub rejected: u64,
    /// The first [`LISTED_REJECTIONS`] rejections.
    pub rejections: Vec<Rejection>,
    pub duplicates: u64,
    pub k_anonymity: Option<KReport>,
}

pub const LISTED_REJECTIONS: usize = 1000;

type Class = Vec<Option<String>>;

/// The groups of quasi-identifier values counted in the first pass.
#[derive(Debug, Default)]
struct Groups {
    counts: HashMap<Class, u64>,
    /// Whether suppressed rows are dropped for being too few.
    drop_suppressed: bool,
}

/// Runs one pipeline over the batches of one output, in order.
#[derive(Debug)]
pub struct Runner<'p> {
    pipeline: &'p Compiled,
    keys: &'p ProductKeys,
    today: NaiveDate,
    hashers: (RandomState, RandomState),
    seen: HashSet<u128>,
    groups: Option<Groups>,
    report: RunReport,
}

/// The state one pass through the steps changes.
struct Pass<'r> {
    seen: &'r mut HashSet<u128>,
    report: Option<&'r mut RunReport>,
}

impl<'p> Runner<'p> {
    pub fn new(pipeline: &'p Compiled, keys: &'p ProductKeys, today: NaiveDate) -> Runner<'p> {
        Runner {
            pipeline,
            keys,
            today,
            hashers: (RandomState::new(), RandomState::new()),
            seen: HashSet::new(),
            groups: pipeline.k_anonymity.as_ref().map(|_| Groups::default()),
            report: RunReport::default(),
        }
    }

    /// The first pass of a k-anonymous pipeline: counts groups. Feed it
    /// every batch, then [`Runner::apply`] them all again.
    pub fn count(&mut self, mut batch: Batch) {
        let Some((quasi, _)) = &self.pipeline.k_anonymity else {
            return;
        };
        let mut seen = HashSet::new();
        let alive = self.steps(
            &mut batch,
            Pass {
                seen: &mut seen,
                report: None,
            },
        );
        let groups = self.groups.get_or_insert_with(Groups::default);
        for row in (0..batch.rows).filter(|r| alive[*r]) {
            let class = quasi
                .iter()
                .map(|c| batch.columns[*c][row].clone())
                .collect();
            *groups.counts.entry(class).or_default() += 1;
        }
    }

    /// Runs the steps over a batch and returns the rows that come out.
    pub fn apply(&mut self, mut batch: Batch) -> Batch {
        if let (Some((quasi, k)), Some(groups)) = (&self.pipeline.k_anonymity, &mut self.groups)
            && self.report.k_anonymity.is_none()
        {
            self.report.k_anonymity = Some(settle(groups, quasi.len(), *k));
        }
        let mut seen = std::mem::take(&mut self.seen);
        let mut report = std::mem::take(&mut self.report);
        let mut alive = self.steps(
            &mut batch,
            Pass {
                seen: &mut seen,
                report: Some(&mut report),
            },
        );
        if let (Some((quasi, k)), Some(groups)) = (&self.pipeline.k_anonymity, &self.groups) {
            for (row, alive) in alive.iter_mut().enumerate() {
                if !*alive {
                    continue;
                }
                let class: Class = quasi
                    .iter()
                    .map(|c| batch.columns[*c][row].clone())
                    .collect();
                if groups.counts.get(&class).copied().unwrap_or(0) >= u64::from(*k) {
                    continue;
                }
                if groups.drop_suppressed {
                    *alive = false;
                } else {
                    for column in quasi {
                        batch.columns[*column][row] = None;
                    }
                }
            }
        }
        self.seen = seen;
        self.report = report;
        let out = keep_alive(batch, &alive);
        self.report.rows_out += out.rows as u64;
        out
    }

    pub fn report(&self) -> &RunReport {
        &self.report
    }

    pub fn into_report(self) -> RunReport {
        self.report
    }

    /// Applies every step in order; returns which rows are still alive.
    fn steps(&self, batch: &mut Batch, mut pass: Pass<'_>) -> Vec<bool> {
        let first_row = pass.report.as_ref().map_or(0, |r| r.rows_in);
        let mut alive = vec![true; batch.rows];
        let reject =
            |pass: &mut Pass<'_>, alive: &mut [bool], row: usize, column: usize, reason| {
                if !std::mem::replace(&mut alive[row], false) {
                    return;
                }
                if let Some(report) = pass.report.as_deref_mut() {
                    report.rejected += 1;
                    if report.rejections.len() < LISTED_REJECTIONS {
                        report.rejections.push(Rejection {
                            row: first_row + row as u64 + 1,
                            field: self.pipeline.fields[column].clone(),
                            reason,
                        });
                    }
                }
            };
        for op in &self.pipeline.ops {
            match op {
                Op::Clean(clean, columns) => {
                    for &column in columns {
                        for row in 0..batch.rows {
                            let cell = &mut batch.columns[column][row];
                            if !alive[row] {
                                continue;
                            }
                            if let Err(reason) = clean_cell(cell, *clean) {
                                reject(&mut pass, &mut alive, row, column, reason);
                            }
                        }
                    }
                }
                Op::Validate(column, kind) => {
                    for row in 0..batch.rows {
                        if let Some(value) = &batch.columns[*column][row]
                            && alive[row]
                            && rongshu_classify::matches(*kind, value).is_none()
                        {
                            let reason = RejectReason::FailsCheck(kind.as_str());
                            reject(&mut pass, &mut alive, row, *column, reason);
                        }
                    }
                }
                Op::Require(columns) => {
                    for row in 0..batch.rows {
                        if let Some(&column) =
                            columns.iter().find(|c| batch.columns[**c][row].is_none())
                            && alive[row]
                        {
                            reject(&mut pass, &mut alive, row, column, RejectReason::Missing);
                        }
                    }
                }
                Op::Deduplicate(columns) => {
                    for (row, alive) in alive.iter_mut().enumerate() {
                        if *alive && !pass.seen.insert(self.row_hash(batch, columns, row)) {
                            *alive = false;
                            if let Some(report) = pass.report.as_deref_mut() {
                                report.duplicates += 1;
                            }
                        }
                    }
                }
                Op::Transform(column, transform) => {
                    for row in 0..batch.rows {
                        if !alive[row] {
                            continue;
                        }
                        let cell = &mut batch.columns[*column][row];
                        if let Err(reason) = self.transform_cell(cell, transform) {
                            reject(&mut pass, &mut alive, row, *column, reason);
                        }
                    }
                }
            }
        }
        if let Some(report) = pass.report {
            report.rows_in += batch.rows as u64;
        }
        alive
    }

    fn row_hash(&self, batch: &Batch, columns: &[usize], row: usize) -> u128 {
        let half = |state: &RandomState| {
            let mut h = state.build_hasher();
            for c in columns {
                batch.columns[*c][row].hash(&mut h);
            }
            h.finish()
        };
        (u128::from(half(&self.hashers.0)) << 64) | u128::from(half(&self.hashers.1))
    }

    fn transform_cell(
        &self,
        cell: &mut Option<String>,
        transform: &Transform,
    ) -> Result<(), RejectReason> {
        if matches!(transform, Transform::Suppress) {
            *cell = None;
            return Ok(());
        }
        let Some(value) = cell.as_deref() else {
            return Ok(());
        };
        let numeric = |f: &dyn Fn(f64) -> f64| {
            values::number(value)
                .map(|n| values::format_number(f(n)))
                .ok_or(RejectReason::NotANumber)
        };
        let out = match transform {
            Transform::Mask(mask) => values::mask(value, *mask),
            Transform::Pseudonym => self.keys.pseudonym(value),
            Transform::Token => self.keys.token.tokenize(value),
            Transform::AgeBand { width } => {
                values::age_band(value, *width, self.today).ok_or(RejectReason::NoAge)?
            }
            Transform::DateTo(precision) => {
                values::date_to(value, *precision).ok_or(RejectReason::NotADate)?
            }
            Transform::Region(level) => values::region_code(value, *level)
                .or_else(|| values::address_region(value, *level))
                .ok_or(RejectReason::NoRegion)?,
            Transform::TopCode(at) => numeric(&|n| n.min(*at))?,
            Transform::BottomCode(at) => numeric(&|n| n.max(*at))?,
            Transform::Round(base) => numeric(&|n| values::round_to(n, *base))?,
            Transform::Noise(amplitude) => {
                let whole = !value.contains('.');
                let noise = rand::thread_rng().gen_range(-*amplitude..=*amplitude);
                numeric(&|n| {
                    if whole {
                        (n + noise).round()
                    } else {
                        n + noise
                    }
                })?
            }
            Transform::Suppress => unreachable!("handled above"),
        };
        *cell = Some(out);
        Ok(())
    }
}

fn clean_cell(cell: &mut Option<String>, clean: Clean) -> Result<(), RejectReason> {
    let Some(value) = cell.as_mut() else {
        return Ok(());
    };
    match clean {
        Clean::Trim => {
            let trimmed = values::trim(value);
            if trimmed.len() != value.len() {
                *value = trimmed.to_owned();
            }
        }
        Clean::HalfWidth => {
            if !value.is_ascii() {
                *value = values::half_width(value);
            }
        }
        Clean::BlankToNull => {
            if value.trim().is_empty() {
                *cell = None;
            }
        }
        Clean::Date => *value = values::normalize_date(value).ok_or(RejectReason::NotADate)?,
    }
    Ok(())
}

/// Decides, from the counted groups, whether suppressed rows are kept, and
/// what k-anonymity will achieve.
fn settle(groups: &mut Groups, quasi: usize, k: u32) -> KReport {
    let k64 = u64::from(k);
    let total: u64 = groups.counts.values().sum();
    let suppressed: u64 = groups.counts.values().filter(|n| **n < k64).sum();
    let empty: Class = vec![None; quasi];
    // Suppressed rows join the group whose values are all missing.
    let merged = suppressed
        + groups
            .counts
            .get(&empty)
            .copied()
            .filter(|n| *n >= k64)
            .unwrap_or(0);
    groups.drop_suppressed = suppressed > 0 && merged < k64;
    let dropped = if groups.drop_suppressed {
        suppressed
    } else {
        0
    };
    let achieved = groups
        .counts
        .iter()
        .filter(|(class, n)| **n >= k64 && **class != empty)
        .map(|(_, n)| *n)
        .chain((merged >= k64).then_some(merged))
        .min();
    KReport {
        k,
        achieved,
        suppressed_rows: suppressed,
        dropped_rows: dropped,
        information_loss: if total == 0 {
            0.0
        } else {
            suppressed as f64 / total as f64
        },
    }
}

fn keep_alive(batch: Batch, alive: &[bool]) -> Batch {
    if alive.iter().all(|a| *a) {
        return batch;
    }
    let rows = alive.iter().filter(|a| **a).count();
    let columns = batch
        .columns
        .into_iter()
        .map(|column| {
            column
                .into_iter()
                .zip(alive)
                .filter_map(|(cell, keep)| keep.then_some(cell))
                .collect()
        })
        .collect();
    Batch { rows, columns }
}
