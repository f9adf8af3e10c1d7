//! The access chain every data call passes, in order: the product offers
//! the mode → an agreement in force and in term over an authorization not
//! terminated that allows the mode (`Workflow::may_use`) → supply not
//! suspended → today's quota → the rate limit. The API key itself is
//! checked before, by the HTTP gate.

use std::collections::HashMap;
use std::sync::Mutex;

use rongshu_domain::PartyType;
use rongshu_domain::resource::ServiceMode;
use rongshu_store::{Product, Resource};
use rongshu_workflow::UseGrant;

use crate::{ProductError, Products, Refusal};

/// Who makes a data call: the API key's account and organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account_id: i64,
    pub org_id: i64,
    pub party: PartyType,
}

/// A call let through, with what it rests on.
#[derive(Clone, Debug)]
pub(crate) struct Admission {
    pub product: Product,
    pub resource: Resource,
    pub grant: UseGrant,
}

/// Calls per organisation and product in the current minute. Per server
/// process: with several servers each enforces the limit on its own share.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<(i64, i64), (i64, i64)>>,
}

impl RateLimiter {
    /// Counts a call at `now_ms`; false when the minute's budget is spent.
    fn take(&self, org_id: i64, product_id: i64, per_minute: i64, now_ms: i64) -> bool {
        let minute = now_ms.div_euclid(60_000);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry((org_id, product_id)).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= per_minute {
            return false;
        }
        window.1 += 1;
        true
    }
}

impl Products {
    pub(crate) async fn admit(
        &self,
        caller: &Caller,
        code: &str,
        mode: ServiceMode,
    ) -> Result<Admission, ProductError> {
        let product = self.store().product_by_code(code).await?;
        if !product.input.modes.contains(&mode) {
            return Err(ProductError::ModeNotOffered(mode.as_str()));
        }
        let resource = self.store().resource(product.input.resource_id).await?;
        let grant = self
            .workflow()
            .may_use(caller.org_id, resource.id, mode)
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
        if let Some(quota) = product.input.daily_call_quota {
            let today = self.workflow().today().to_string();
            let calls = self
                .store()
                .calls_on(product.id, caller.org_id, &today)
                .await?;
            if calls >= quota {
                return Err(Refusal::QuotaExceeded { quota }.into());
            }
        }
        if let Some(per_minute) = product.input.rate_per_minute
            && !self.inner.rates.take(
                caller.org_id,
                product.id,
                per_minute,
                self.workflow().now_ms(),
            )
        {
            return Err(Refusal::RateLimited { per_minute }.into());
        }
        Ok(Admission {
            product,
            resource,
            grant,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn the_rate_limit_counts_per_minute_and_per_product() {
        let limiter = RateLimiter::default();
        assert!(limiter.take(1, 1, 2, 0));
        assert!(limiter.take(1, 1, 2, 59_999));
        assert!(!limiter.take(1, 1, 2, 59_999));
        assert!(limiter.take(1, 2, 2, 59_999), "another product");
        assert!(limiter.take(2, 1, 2, 59_999), "another organisation");
        assert!(limiter.take(1, 1, 2, 60_000), "the next minute");
    }
}
