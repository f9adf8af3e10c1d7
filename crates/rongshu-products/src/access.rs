//! The access chain every data call passes, in order: the product offers
//! the mode → an agreement in force and in term under the authorization
//! the product is built on, not terminated and allowing the mode
//! (`Workflow::may_use`, which also says whether the use is free) → supply not
//! suspended → the output within the authorization → the rate limit. The
//! API key itself is checked before, by the HTTP gate; today's quota last,
//! by the recorder, against every process's committed meters.
//!
//! What the chain reads is cached per process under the access epoch it
//! was read in (`Store::seen_epoch`), and by day: a call's use commits only
//! if the epoch has not moved since, so a cached admission never outlives
//! the change (a suspension, termination, new version...) that voids it.
//! Refusals by the chain are cached too, and believed only while the
//! epoch read afresh is still theirs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rongshu_domain::PartyType;
use rongshu_domain::resource::ServiceMode;
use rongshu_store::{Product, Resource, Version};
use rongshu_workflow::{UseBasis, UseGrant};

use crate::{ProductError, Products, Refusal};

/// Who makes a data call: the API key's account and organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account_id: i64,
    pub org_id: i64,
    pub party: PartyType,
    /// The access epoch the credential was checked under, when it came
    /// from a cache; none when it was read afresh for this request.
    pub stamp: Option<i64>,
}

impl Caller {
    /// An account acting for itself, its credential read afresh.
    pub fn of(actor: &rongshu_domain::Actor) -> Caller {
        Caller {
            account_id: actor.account_id,
            org_id: actor.org_id,
            party: actor.party,
            stamp: None,
        }
    }
}

/// A call let through, with what it rests on.
#[derive(Clone, Debug)]
pub(crate) struct Admission {
    pub product: Product,
    pub resource: Resource,
    pub grant: UseGrant,
    /// The version served: the resource's newest.
    pub version: Version,
    /// The access epoch all of the above was read under.
    pub stamp: i64,
    day: NaiveDate,
}

impl Admission {
    /// The day the admission was read for; uses are metered on it.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// The epoch the call's use must still find when it commits.
    pub fn stamp_with(&self, caller: &Caller) -> i64 {
        caller.stamp.map_or(self.stamp, |s| s.min(self.stamp))
    }
}

type AdmissionKey = (i64, String, ServiceMode);

/// What the chain answered an organisation for a product and mode.
#[derive(Clone, Debug)]
enum Answer {
    Admitted(Arc<Admission>),
    /// Refused by an agreement, authorization or suspension. Kept so that
    /// a refused caller calling again costs a read of the epoch, not the
    /// whole chain.
    Refused(Refusal),
}

#[derive(Debug)]
struct Cached {
    answer: Answer,
    stamp: i64,
    day: NaiveDate,
}

/// Answers this process has read, by organisation, product and mode.
#[derive(Debug, Default)]
pub(crate) struct AdmissionCache {
    answers: Mutex<HashMap<AdmissionKey, Cached>>,
}

impl AdmissionCache {
    fn get(&self, key: &AdmissionKey, stamp: i64, day: NaiveDate) -> Option<Answer> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers
            .get(key)
            .filter(|c| c.stamp == stamp && c.day == day)
            .map(|c| c.answer.clone())
    }

    fn put(&self, key: AdmissionKey, answer: Answer, stamp: i64, day: NaiveDate) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers.retain(|_, c| c.stamp == stamp && c.day == day);
        answers.insert(key, Cached { answer, stamp, day });
    }
}

/// Calls per organisation and product recorded by this process in the
/// current minute: a quick refusal once this process alone has spent the
/// minute's budget. The limit across every process is held when calls
/// are recorded (the recorder counts each minute's calls in the
/// database); counting only recorded calls, this never refuses a call the
/// limit allows (a call made again after its grounds changed counts once).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<(i64, i64), (i64, i64)>>,
}

impl RateLimiter {
    /// Whether this process has recorded `per_minute` calls in `minute`.
    fn spent(&self, org_id: i64, product_id: i64, per_minute: i64, minute: i64) -> bool {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows
            .get(&(org_id, product_id))
            .is_some_and(|&(at, calls)| at == minute && calls >= per_minute)
    }

    /// Counts a recorded call in `minute`.
    pub(crate) fn count(&self, org_id: i64, product_id: i64, minute: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry((org_id, product_id)).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        window.1 += 1;
    }
}

/// The minute (since the Unix epoch) an instant falls in.
pub(crate) fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(60_000)
}

/// Times a call is made afresh when its grounds changed while it ran.
const ATTEMPTS: usize = 3;

impl Products {
    /// Makes `call` again while it comes back [`ProductError::Stale`] on
    /// grounds this process can read afresh. A caller whose credential
    /// came from a cache older than what the database now holds gets the
    /// `Stale` back, to check the credential again.
    pub(crate) async fn retried<T, F>(
        &self,
        caller: &Caller,
        call: impl Fn() -> F,
    ) -> Result<T, ProductError>
    where
        F: Future<Output = Result<T, ProductError>>,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                Err(ProductError::Stale)
                    if attempt < ATTEMPTS
                        && caller.stamp.is_none_or(|s| s == self.store().seen_epoch()) =>
                {
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Passes a call through the chain, from this process's cache when
    /// nothing has changed since it was read.
    pub(crate) async fn admit(
        &self,
        caller: &Caller,
        code: &str,
        mode: ServiceMode,
    ) -> Result<Arc<Admission>, ProductError> {
        let mut stamp = self.store().seen_epoch();
        let day = self.workflow().today();
        let key = (caller.org_id, code.to_owned(), mode);
        let admission = match self.inner.admissions.get(&key, stamp, day) {
            Some(Answer::Admitted(admission)) => admission,
            // An admission is checked again when its use commits; a
            // refusal commits nothing, so it holds only while the epoch
            // another process may have moved (a resumption) has not.
            Some(Answer::Refused(refusal)) if self.store().refresh_epoch().await? == stamp => {
                return Err(refusal.into());
            }
            _ => {
                stamp = self.store().seen_epoch();
                match self.read_admission(caller, code, mode, stamp).await {
                    Ok(admission) => {
                        let admission = Arc::new(admission);
                        let answer = Answer::Admitted(admission.clone());
                        self.inner.admissions.put(key, answer, stamp, day);
                        admission
                    }
                    Err(ProductError::Refused(
                        refusal @ (Refusal::Use(_) | Refusal::Suspended { .. }),
                    )) => {
                        let answer = Answer::Refused(refusal.clone());
                        self.inner.admissions.put(key, answer, stamp, day);
                        return Err(refusal.into());
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        if let Some(per_minute) = admission.product.input.rate_per_minute
            && self.inner.rates.spent(
                caller.org_id,
                admission.product.id,
                per_minute,
                minute_of(self.workflow().now_ms()),
            )
        {
            return Err(Refusal::RateLimited { per_minute }.into());
        }
        Ok(admission)
    }

    /// The chain, read from the database; `stamp` is the epoch seen before.
    pub(crate) async fn read_admission(
        &self,
        caller: &Caller,
        code: &str,
        mode: ServiceMode,
        stamp: i64,
    ) -> Result<Admission, ProductError> {
        let day = self.workflow().today();
        let product = self.store().product_by_code(code).await?;
        refuse_withdrawn(&product)?;
        if !product.input.modes.contains(&mode) {
            return Err(ProductError::ModeNotOffered(mode.as_str()));
        }
        let resource = self.store().resource(product.input.resource_id).await?;
        let grant = self
            .workflow()
            .may_use(
                caller.org_id,
                resource.id,
                mode,
                UseBasis::Authorization(product.input.authorization_id),
            )
            .await?
            .map_err(Refusal::Use)?;
        if let Some(suspension) = self
            .store()
            .suspension_covering(resource.id, resource.provider_id, caller.org_id)
            .await?
        {
            return Err(Refusal::Suspended {
                id: suspension.id,
                findings: suspension.findings,
            }
            .into());
        }
        let version = self.latest_version(&resource).await?;
        self.recheck(&product, &grant, &version, mode).await?;
        Ok(Admission {
            product,
            resource,
            grant,
            version,
            stamp,
            day,
        })
    }
}

/// A product withdrawn from service serves nothing and changes no more.
pub fn refuse_withdrawn(product: &Product) -> Result<(), ProductError> {
    match &product.withdrawn {
        Some(withdrawal) => Err(ProductError::Withdrawn {
            code: product.input.code.clone(),
            reason: withdrawal.reason.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn the_quick_rate_gate_counts_recorded_calls_per_minute_and_product() {
        let limiter = RateLimiter::default();
        assert!(!limiter.spent(1, 1, 2, 0));
        limiter.count(1, 1, 0);
        assert!(!limiter.spent(1, 1, 2, 0));
        limiter.count(1, 1, 0);
        assert!(limiter.spent(1, 1, 2, 0));
        assert!(!limiter.spent(1, 2, 2, 0), "another product");
        assert!(!limiter.spent(2, 1, 2, 0), "another organisation");
        assert!(!limiter.spent(1, 1, 2, 1), "the next minute");
        limiter.count(1, 1, 1);
        assert!(!limiter.spent(1, 1, 2, 1), "a new minute starts at zero");
    }
}
