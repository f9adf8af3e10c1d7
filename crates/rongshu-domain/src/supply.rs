//! Supply rules for data products (Art. 4, 17): what a Big Data Center
//! suspension covers, and what a use costs.

use crate::PartyType;
use crate::workflow::named_enum;

named_enum! {
    /// What a suspension of supply covers.
    pub enum SuspensionKind ("suspension scope") {
        Platform = "platform",
        Resource = "resource",
        /// Every resource of one provider organisation.
        Provider = "provider",
        /// Every use by one user organisation.
        UserOrg = "user-org",
    }
}

/// A suspension's reach: the whole platform, or one resource, provider or
/// user organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuspensionScope {
    pub kind: SuspensionKind,
    /// The resource or organisation; none for the platform.
    pub target: Option<i64>,
}

/// A suspension target that does not fit its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} suspension names {}", if *kind == SuspensionKind::Platform { "no target" } else { "exactly one target" })]
pub struct TargetMismatch {
    pub kind: SuspensionKind,
}

/// A use of data, as far as suspensions are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SupplyUse {
    pub resource_id: i64,
    pub provider_org_id: i64,
    pub user_org_id: i64,
}

impl SuspensionScope {
    /// The scope, when the target fits the kind: the platform has none,
    /// every other kind has one.
    pub fn new(
        kind: SuspensionKind,
        target: Option<i64>,
    ) -> Result<SuspensionScope, TargetMismatch> {
        if (kind == SuspensionKind::Platform) != target.is_none() {
            return Err(TargetMismatch { kind });
        }
        Ok(SuspensionScope { kind, target })
    }

    pub fn covers(&self, used: &SupplyUse) -> bool {
        match self.kind {
            SuspensionKind::Platform => true,
            SuspensionKind::Resource => self.target == Some(used.resource_id),
            SuspensionKind::Provider => self.target == Some(used.provider_org_id),
            SuspensionKind::UserOrg => self.target == Some(used.user_org_id),
        }
    }
}

named_enum! {
    /// Billing units of the 2025 pricing notice.
    pub enum BillingUnit ("billing unit") {
        PerCall = "per-call",
        PerRecord = "per-record",
        PerDownload = "per-download",
        /// A flat fee per month of use, charged on the first use each month.
        PerPeriod = "per-period",
    }
}

/// One metered use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metered {
    pub calls: i64,
    pub records: i64,
    pub downloads: i64,
    /// Whether this is the organisation's first use of the product this month.
    pub first_this_month: bool,
}

/// Government users pay nothing (public data serves public duties free).
pub fn is_free_for(party: PartyType) -> bool {
    party != PartyType::User
}

/// What a use costs, in fen, at `price_fen` per unit.
pub fn charge(unit: BillingUnit, price_fen: i64, used: Metered, free: bool) -> i64 {
    if free {
        return 0;
    }
    let units = match unit {
        BillingUnit::PerCall => used.calls,
        BillingUnit::PerRecord => used.records,
        BillingUnit::PerDownload => used.downloads,
        BillingUnit::PerPeriod => i64::from(used.first_this_month),
    };
    units.saturating_mul(price_fen)
}

/// Why a price is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PriceRefusal {
    #[error("a price cannot be negative")]
    Negative,
    #[error("the price {price_fen} fen is above the cap of {cap_fen} fen the authorizing side set")]
    AboveCap { price_fen: i64, cap_fen: i64 },
}

/// The operator's price must be at or below the authorizing side's cap.
pub fn check_price(price_fen: i64, cap_fen: Option<i64>) -> Result<(), PriceRefusal> {
    if price_fen < 0 {
        return Err(PriceRefusal::Negative);
    }
    match cap_fen {
        Some(cap_fen) if price_fen > cap_fen => Err(PriceRefusal::AboveCap { price_fen, cap_fen }),
        _ => Ok(()),
    }
}

named_enum! {
    /// A consulting work order: the operator answers, the user follows up,
    /// either closes it.
    pub enum ConsultingStatus ("consulting status") {
        Open = "open",
        Answered = "answered",
        Closed = "closed",
    }
}

impl ConsultingStatus {
    /// The status after a message from the operator or the user; none once
    /// the order is closed.
    pub fn after_message(self, from_operator: bool) -> Option<ConsultingStatus> {
        match self {
            ConsultingStatus::Closed => None,
            _ if from_operator => Some(ConsultingStatus::Answered),
            _ => Some(ConsultingStatus::Open),
        }
    }
}

/// Feedback a user owes on what it made with a product (Art. 15).
pub const FEEDBACK_KINDS: [&str; 4] = ["product", "report", "paper", "application"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_what_they_name() {
        let used = SupplyUse {
            resource_id: 1,
            provider_org_id: 2,
            user_org_id: 3,
        };
        let scope = |kind, target| SuspensionScope::new(kind, target).unwrap();
        assert!(scope(SuspensionKind::Platform, None).covers(&used));
        assert!(scope(SuspensionKind::Resource, Some(1)).covers(&used));
        assert!(!scope(SuspensionKind::Resource, Some(2)).covers(&used));
        assert!(scope(SuspensionKind::Provider, Some(2)).covers(&used));
        assert!(!scope(SuspensionKind::Provider, Some(3)).covers(&used));
        assert!(scope(SuspensionKind::UserOrg, Some(3)).covers(&used));
        assert!(!scope(SuspensionKind::UserOrg, Some(1)).covers(&used));
        assert!(SuspensionScope::new(SuspensionKind::Platform, Some(1)).is_err());
        for kind in &SuspensionKind::ALL[1..] {
            assert!(SuspensionScope::new(*kind, None).is_err(), "{kind}");
        }
    }

    #[test]
    fn charges_follow_the_unit_and_spare_government_users() {
        let used = Metered {
            calls: 1,
            records: 40,
            downloads: 0,
            first_this_month: true,
        };
        assert_eq!(charge(BillingUnit::PerCall, 5, used, false), 5);
        assert_eq!(charge(BillingUnit::PerRecord, 5, used, false), 200);
        assert_eq!(charge(BillingUnit::PerDownload, 5, used, false), 0);
        assert_eq!(charge(BillingUnit::PerPeriod, 5000, used, false), 5000);
        assert_eq!(charge(BillingUnit::PerRecord, 5, used, true), 0);
        assert!(is_free_for(PartyType::Provider));
        assert!(!is_free_for(PartyType::User));
    }

    #[test]
    fn consulting_orders_alternate_until_closed() {
        use ConsultingStatus::*;
        assert_eq!(Open.after_message(true), Some(Answered));
        assert_eq!(Answered.after_message(false), Some(Open));
        assert_eq!(Answered.after_message(true), Some(Answered));
        assert_eq!(Closed.after_message(true), None);
        assert_eq!(Closed.after_message(false), None);
    }

    #[test]
    fn prices_stay_under_the_cap() {
        assert_eq!(check_price(100, Some(100)), Ok(()));
        assert_eq!(check_price(100, None), Ok(()));
        assert_eq!(
            check_price(101, Some(100)),
            Err(PriceRefusal::AboveCap {
                price_fen: 101,
                cap_fen: 100
            })
        );
        assert_eq!(check_price(-1, None), Err(PriceRefusal::Negative));
    }
}
