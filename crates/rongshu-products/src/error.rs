//! Why a product operation or a data call did not happen.

use rongshu_deid::{DocError, PipelineError, Shortfall};
use rongshu_delivery::DeliveryError;
use rongshu_domain::supply::{PriceRefusal, SuspensionRefusal};
use rongshu_formats::FormatError;
use rongshu_store::StoreError;
use rongshu_workflow::{UseRefusal, WorkflowError};

#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    /// The caller's party or organisation does not take this step.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A request field the operation cannot accept.
    #[error("{field} {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    /// A product setting that cannot be accepted.
    #[error("{field} {problem}")]
    InvalidProduct {
        field: &'static str,
        problem: String,
    },
    #[error("the pipeline does not read: {0}")]
    Document(#[from] DocError),
    #[error("the pipeline does not fit the product: {0}")]
    Pipeline(#[from] PipelineError),
    /// The output would exceed the authorization's de-identification level.
    #[error("the output exceeds the authorization: {}", list(.0))]
    Exceeds(Vec<Shortfall>),
    /// A field or mode the authorization does not cover.
    #[error("the authorization does not cover the {what} {name}")]
    NotAuthorized { what: &'static str, name: String },
    #[error(transparent)]
    Price(#[from] PriceRefusal),
    #[error("{0} has no delivered version yet")]
    NoVersion(String),
    #[error("the product does not offer the {0} mode")]
    ModeNotOffered(&'static str),
    /// Withdrawn from service (注销): nothing is served or changed any more.
    #[error("the product {code} was withdrawn from service: {reason}")]
    Withdrawn { code: String, reason: String },
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the key of product {0} does not open with the master key in use")]
    Sealed(String),
    /// What the call rested on changed before its use was recorded; the
    /// answer was withheld and the call may be made again.
    #[error("the call's grounds changed while it ran; make it again")]
    Stale,
    #[error("the use could not be recorded: {0}")]
    Recording(String),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("consulting order {0} is closed")]
    OrderClosed(i64),
    #[error(transparent)]
    Suspension(#[from] SuspensionRefusal),
    /// A worker thread reading or preparing data died; nothing was served.
    #[error("{0}")]
    Worker(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(shortfalls: &[Shortfall]) -> String {
    shortfalls
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A data call refused by the access chain, in the order it checks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No agreement in force and in term, the authorization terminated, or
    /// the mode not authorized.
    #[error(transparent)]
    Use(#[from] UseRefusal),
    #[error("supply is suspended by the Big Data Center (suspension {id}): {findings}")]
    Suspended { id: i64, findings: String },
    #[error("today's quota of {quota} calls is used up")]
    QuotaExceeded { quota: i64 },
    #[error(
        "authorization {authorization_id} allows {limit} uses a day across all its products; today's are used up"
    )]
    LimitReached { authorization_id: i64, limit: i64 },
    #[error("more than {per_minute} calls a minute; slow down")]
    RateLimited { per_minute: i64 },
}

impl Refusal {
    /// A stable code for problem responses.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Use(refusal) => refusal.code(),
            Refusal::Suspended { .. } => "suspended",
            Refusal::QuotaExceeded { .. } => "quota-exceeded",
            Refusal::LimitReached { .. } => "authorization-limit-reached",
            Refusal::RateLimited { .. } => "rate-limited",
        }
    }

    /// Whole seconds from `now_ms` until the refusal lifts by itself, for
    /// `Retry-After`: the next minute for the rate limit, the next day in
    /// China Standard Time for the daily quota; none for the others.
    pub fn retry_after_secs(&self, now_ms: i64) -> Option<i64> {
        const MINUTE: i64 = 60_000;
        const DAY: i64 = 86_400_000;
        const CST: i64 = 8 * 3_600_000;
        let lifts_at = match self {
            Refusal::RateLimited { .. } => (now_ms.div_euclid(MINUTE) + 1) * MINUTE,
            Refusal::QuotaExceeded { .. } | Refusal::LimitReached { .. } => {
                ((now_ms + CST).div_euclid(DAY) + 1) * DAY - CST
            }
            Refusal::Use(_) | Refusal::Suspended { .. } => return None,
        };
        Some((lifts_at - now_ms + 999) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_say_when_they_lift() {
        let rate = Refusal::RateLimited { per_minute: 1 };
        let quota = Refusal::QuotaExceeded { quota: 1 };
        assert_eq!(rate.retry_after_secs(0), Some(60));
        assert_eq!(rate.retry_after_secs(59_001), Some(1));
        assert_eq!(rate.retry_after_secs(60_000), Some(60));
        // 1970-01-01 16:00 UTC is midnight in Chengdu.
        assert_eq!(quota.retry_after_secs(0), Some(16 * 3600));
        assert_eq!(quota.retry_after_secs(16 * 3_600_000), Some(86_400));
        assert_eq!(quota.retry_after_secs(16 * 3_600_000 - 1), Some(1));
        let suspended = Refusal::Suspended {
            id: 1,
            findings: String::new(),
        };
        assert_eq!(suspended.retry_after_secs(0), None);
    }
}
