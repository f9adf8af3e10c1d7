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

impl SuspensionKind {
    /// The kind of suspension that names an organisation of `party`: a
    /// provider's supply, or a user organisation's use; other parties
    /// neither supply nor use data under agreements.
    pub fn naming(party: PartyType) -> Option<SuspensionKind> {
        match party {
            PartyType::Provider => Some(SuspensionKind::Provider),
            PartyType::User => Some(SuspensionKind::UserOrg),
            _ => None,
        }
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

    /// Whether an organisation sees this suspension. One user
    /// organisation's suspension carries findings about it alone: besides
    /// the parties that run and supervise the platform only it sees them.
    /// Every other scope stops supply all users and providers depend on.
    pub fn is_seen_by(&self, party: PartyType, org_id: i64) -> bool {
        match party {
            PartyType::Provider | PartyType::User | PartyType::Expert => {
                self.kind != SuspensionKind::UserOrg || self.target == Some(org_id)
            }
            PartyType::Operator
            | PartyType::Governance
            | PartyType::Economy
            | PartyType::BigDataCenter => true,
        }
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

/// Where a suspension stands: the Big Data Center suspends, the operator
/// records its rectification (again, until supply resumes), and only then
/// may the Center resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuspensionStatus {
    Open,
    Rectified,
    Resumed,
}

/// A step a suspension's status does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SuspensionRefusal {
    #[error("supply was already resumed under this suspension")]
    Resumed,
    #[error("supply resumes only after the operator has recorded its rectification")]
    NotRectified,
}

impl SuspensionStatus {
    pub fn of(rectified: bool, resumed: bool) -> SuspensionStatus {
        match (rectified, resumed) {
            (_, true) => SuspensionStatus::Resumed,
            (true, false) => SuspensionStatus::Rectified,
            (false, false) => SuspensionStatus::Open,
        }
    }

    pub fn rectify(self) -> Result<SuspensionStatus, SuspensionRefusal> {
        match self {
            SuspensionStatus::Resumed => Err(SuspensionRefusal::Resumed),
            _ => Ok(SuspensionStatus::Rectified),
        }
    }

    pub fn resume(self) -> Result<SuspensionStatus, SuspensionRefusal> {
        match self {
            SuspensionStatus::Open => Err(SuspensionRefusal::NotRectified),
            SuspensionStatus::Rectified => Ok(SuspensionStatus::Resumed),
            SuspensionStatus::Resumed => Err(SuspensionRefusal::Resumed),
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

impl Metered {
    /// Uses counted against a product's daily quota and per-minute rate:
    /// each call and each download is one.
    pub fn uses(&self) -> i64 {
        self.calls + self.downloads
    }
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

/// The highest price (or cap) of one billing unit: 100 million yuan.
/// Anything higher is a slip of the keyboard, and the bound keeps every
/// meter's sum far inside 64 bits.
pub const MAX_PRICE_FEN: i64 = 10_000_000_000;

/// Why a price is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PriceRefusal {
    #[error("a price cannot be negative")]
    Negative,
    #[error("{price_fen} fen is above the highest price of a unit, {MAX_PRICE_FEN} fen")]
    AboveMaximum { price_fen: i64 },
    #[error("the price {price_fen} fen is above the cap of {cap_fen} fen the authorizing side set")]
    AboveCap { price_fen: i64, cap_fen: i64 },
}

/// A price or a cap of one unit lies between nothing and [`MAX_PRICE_FEN`].
pub fn check_amount(price_fen: i64) -> Result<(), PriceRefusal> {
    if price_fen < 0 {
        Err(PriceRefusal::Negative)
    } else if price_fen > MAX_PRICE_FEN {
        Err(PriceRefusal::AboveMaximum { price_fen })
    } else {
        Ok(())
    }
}

/// The operator's price must be at or below the authorizing side's cap.
pub fn check_price(price_fen: i64, cap_fen: Option<i64>) -> Result<(), PriceRefusal> {
    check_amount(price_fen)?;
    match cap_fen {
        Some(cap_fen) if price_fen > cap_fen => Err(PriceRefusal::AboveCap { price_fen, cap_fen }),
        _ => Ok(()),
    }
}

/// The price a use is charged at: a cap the authorizing side lowered
/// below the operator's price holds from the next use, until the operator
/// reprices at or under it.
pub fn price_charged(price_fen: i64, cap_fen: Option<i64>) -> i64 {
    cap_fen.map_or(price_fen, |cap| cap.min(price_fen))
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
    fn a_user_organisations_suspension_is_seen_only_by_it_and_the_supervisors() {
        let scope = |kind, target| SuspensionScope::new(kind, target).unwrap();
        let of_user = scope(SuspensionKind::UserOrg, Some(3));
        for party in PartyType::ALL {
            let supervises = SuspensionKind::naming(party).is_none() && party != PartyType::Expert;
            assert_eq!(of_user.is_seen_by(party, 4), supervises, "{party:?}");
            assert!(of_user.is_seen_by(party, 3), "{party:?} named");
            for other in [
                scope(SuspensionKind::Platform, None),
                scope(SuspensionKind::Resource, Some(3)),
                scope(SuspensionKind::Provider, Some(3)),
            ] {
                assert!(other.is_seen_by(party, 4), "{party:?} {other:?}");
            }
        }
        assert_eq!(
            SuspensionKind::naming(PartyType::Provider),
            Some(SuspensionKind::Provider)
        );
        assert_eq!(
            SuspensionKind::naming(PartyType::User),
            Some(SuspensionKind::UserOrg)
        );
        assert_eq!(SuspensionKind::naming(PartyType::Operator), None);
    }

    #[test]
    fn supply_resumes_only_after_rectification_and_once() {
        use SuspensionStatus as S;
        assert_eq!(S::of(false, false), S::Open);
        assert_eq!(S::of(true, false), S::Rectified);
        assert_eq!(S::of(true, true), S::Resumed);
        assert_eq!(S::of(false, true), S::Resumed);
        assert_eq!(S::Open.rectify(), Ok(S::Rectified));
        assert_eq!(S::Rectified.rectify(), Ok(S::Rectified));
        assert_eq!(S::Resumed.rectify(), Err(SuspensionRefusal::Resumed));
        assert_eq!(S::Open.resume(), Err(SuspensionRefusal::NotRectified));
        assert_eq!(S::Rectified.resume(), Ok(S::Resumed));
        assert_eq!(S::Resumed.resume(), Err(SuspensionRefusal::Resumed));
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
        let huge = Metered {
            records: i64::MAX,
            ..used
        };
        assert_eq!(
            charge(BillingUnit::PerRecord, MAX_PRICE_FEN, huge, false),
            i64::MAX
        );
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
        assert_eq!(check_price(MAX_PRICE_FEN, None), Ok(()));
        assert_eq!(
            check_price(i64::MAX, Some(i64::MAX)),
            Err(PriceRefusal::AboveMaximum {
                price_fen: i64::MAX
            })
        );
        assert_eq!(check_amount(-5), Err(PriceRefusal::Negative));
        assert_eq!(price_charged(100, None), 100);
        assert_eq!(price_charged(100, Some(150)), 100);
        assert_eq!(price_charged(100, Some(60)), 60, "a cap lowered later");
    }
}
