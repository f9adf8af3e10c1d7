//! Data resources (数据资源): the rules that do not depend on storage.
//! Registration follows the 2025 national interim measures on public data
//! resource registration (首次登记 / 变更登记 / 注销登记); update
//! frequencies follow catalogue practice.

use std::fmt;
use std::str::FromStr;

use crate::UnknownName;
use crate::party::parse_name;
use crate::workflow::named_enum;

named_enum! {
    /// The de-identification an authorization requires before its data is
    /// used (Art. 13), from the least protective to the most.
    pub enum DeidentificationLevel ("de-identification level") {
        /// Already published on the open data portal (the standing
        /// authorization): nothing further is required.
        OpenData = "open-data",
        /// Direct identifiers masked, pseudonymised, tokenised (when the
        /// authorization allows re-identification), generalised or
        /// suppressed.
        DeIdentified = "de-identified",
        /// No identifier that links back: direct identifiers masked or
        /// suppressed, quasi-identifiers generalised, k-anonymity.
        Anonymised = "anonymised",
        /// Only aggregates leave: no row-level output.
        Aggregated = "aggregated",
        /// Nothing leaves: the sandbox only.
        SandboxOnly = "sandbox-only",
    }
}

impl DeidentificationLevel {
    /// The levels a provider chooses among; open data is the standing
    /// authorization's own.
    pub const CHOSEN_BY_PROVIDERS: [DeidentificationLevel; 4] = [
        DeidentificationLevel::DeIdentified,
        DeidentificationLevel::Anonymised,
        DeidentificationLevel::Aggregated,
        DeidentificationLevel::SandboxOnly,
    ];
}

/// Where a resource stands in the national register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationStatus {
    /// 首次登记: registered for the first time.
    FirstRegistered,
    /// 变更登记: registered again after a change.
    Changed,
    /// 注销登记: cancelled; nothing further may happen to it.
    Cancelled,
}

/// What a provider asks of the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationAction {
    Register,
    Change,
    Cancel,
}

/// A registration step that the register does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("the resource is already registered: record a change instead")]
    AlreadyRegistered,
    #[error("the resource is not registered yet: register it first")]
    NotRegistered,
    #[error("the registration was cancelled: nothing further can be recorded")]
    Cancelled,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 3] = [
        RegistrationStatus::FirstRegistered,
        RegistrationStatus::Changed,
        RegistrationStatus::Cancelled,
    ];

    /// The status after `action` from `current` (`None`: never registered).
    pub fn after(
        current: Option<RegistrationStatus>,
        action: RegistrationAction,
    ) -> Result<RegistrationStatus, RegistrationError> {
        use RegistrationAction as A;
        use RegistrationStatus as S;
        match (current, action) {
            (Some(S::Cancelled), _) => Err(RegistrationError::Cancelled),
            (None, A::Register) => Ok(S::FirstRegistered),
            (Some(_), A::Register) => Err(RegistrationError::AlreadyRegistered),
            (None, A::Change | A::Cancel) => Err(RegistrationError::NotRegistered),
            (Some(_), A::Change) => Ok(S::Changed),
            (Some(_), A::Cancel) => Ok(S::Cancelled),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::FirstRegistered => "first-registered",
            RegistrationStatus::Changed => "changed",
            RegistrationStatus::Cancelled => "cancelled",
        }
    }
}

impl FromStr for RegistrationStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name(
            "registration status",
            s,
            &RegistrationStatus::ALL,
            RegistrationStatus::as_str,
        )
    }
}

/// The ways data may be served (Art. 5); a resource lists those its
/// provider allows, and authorizations narrow them further.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceMode {
    Download,
    QueryApi,
    VerificationApi,
    Sandbox,
    JointComputation,
    Consulting,
}

impl ServiceMode {
    pub const ALL: [ServiceMode; 6] = [
        ServiceMode::Download,
        ServiceMode::QueryApi,
        ServiceMode::VerificationApi,
        ServiceMode::Sandbox,
        ServiceMode::JointComputation,
        ServiceMode::Consulting,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceMode::Download => "download",
            ServiceMode::QueryApi => "query-api",
            ServiceMode::VerificationApi => "verification-api",
            ServiceMode::Sandbox => "sandbox",
            ServiceMode::JointComputation => "joint-computation",
            ServiceMode::Consulting => "consulting",
        }
    }

    /// Modes as stored and sent: comma-separated, in a fixed order.
    pub fn join(modes: &[ServiceMode]) -> String {
        let mut modes = modes.to_vec();
        modes.sort();
        modes.dedup();
        modes
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn split(list: &str) -> Result<Vec<ServiceMode>, UnknownName> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for ServiceMode {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name("service mode", s, &ServiceMode::ALL, ServiceMode::as_str)
    }
}

/// The way a delivery reached the platform. Every channel passes both
/// Art. 18 segments: provider → sharing platform, then sharing platform
/// (the Big Data Center's front system) → operation platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryChannel {
    /// A provider's upload in the console.
    Console,
    /// Pushed to the front system's listener.
    FrontPush,
    /// Pulled by the front system on a schedule.
    FrontPull,
    /// A file a platform administrator delivered on the host itself
    /// (`rongshu data deliver`), e.g. from an offline transfer.
    Local,
}

impl DeliveryChannel {
    pub const ALL: [DeliveryChannel; 4] = [
        DeliveryChannel::Console,
        DeliveryChannel::FrontPush,
        DeliveryChannel::FrontPull,
        DeliveryChannel::Local,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::Console => "console",
            DeliveryChannel::FrontPush => "front-push",
            DeliveryChannel::FrontPull => "front-pull",
            DeliveryChannel::Local => "local",
        }
    }
}

impl FromStr for DeliveryChannel {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name(
            "delivery channel",
            s,
            &DeliveryChannel::ALL,
            DeliveryChannel::as_str,
        )
    }
}

/// Where an ingest stands. Only `Succeeded` has a version; the others end
/// with nothing stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IngestState {
    Running,
    Succeeded,
    Failed,
    /// Its process died; recovery removed what it had written.
    Abandoned,
}

impl IngestState {
    pub const ALL: [IngestState; 4] = [
        IngestState::Running,
        IngestState::Succeeded,
        IngestState::Failed,
        IngestState::Abandoned,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IngestState::Running => "running",
            IngestState::Succeeded => "succeeded",
            IngestState::Failed => "failed",
            IngestState::Abandoned => "abandoned",
        }
    }

    /// How far an ingest in this state has got, 0 to 1: done when it
    /// succeeded, the share of the bytes read when the size is known.
    pub fn progress(self, bytes_read: i64, bytes_total: Option<i64>) -> Option<f64> {
        match (self, bytes_total) {
            (IngestState::Succeeded, _) => Some(1.0),
            (_, Some(total)) if total > 0 => {
                Some((bytes_read as f64 / total as f64).clamp(0.0, 1.0))
            }
            _ => None,
        }
    }

    /// Whether an ingest may move from `self` to `next`: only a running
    /// one ends, and it ends once.
    pub fn may_become(self, next: IngestState) -> bool {
        self == IngestState::Running && next != IngestState::Running
    }
}

impl FromStr for IngestState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name("ingest state", s, &IngestState::ALL, IngestState::as_str)
    }
}

/// How two versions' schemas differ, field by field (by name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Name, type before, type after.
    pub retyped: Vec<(String, String, String)>,
    /// Fields present in both whose position changed.
    pub moved: Vec<String>,
}

impl SchemaDiff {
    /// Compares `(name, type)` lists in field order.
    pub fn between(before: &[(String, String)], after: &[(String, String)]) -> SchemaDiff {
        let position =
            |fields: &[(String, String)], name: &str| fields.iter().position(|(n, _)| n == name);
        let mut diff = SchemaDiff::default();
        for (name, old_type) in before {
            match after.iter().find(|(n, _)| n == name) {
                None => diff.removed.push(name.clone()),
                Some((_, new_type)) if new_type != old_type => {
                    diff.retyped
                        .push((name.clone(), old_type.clone(), new_type.clone()));
                }
                Some(_) => {}
            }
        }
        let kept_before: Vec<&String> = before
            .iter()
            .map(|(n, _)| n)
            .filter(|n| position(after, n).is_some())
            .collect();
        let kept_after: Vec<&String> = after
            .iter()
            .map(|(n, _)| n)
            .filter(|n| position(before, n).is_some())
            .collect();
        diff.moved = kept_before
            .iter()
            .zip(&kept_after)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| (*a).clone())
            .collect();
        diff.added = after
            .iter()
            .filter(|(n, _)| position(before, n).is_none())
            .map(|(n, _)| n.clone())
            .collect();
        diff
    }

    pub fn is_empty(&self) -> bool {
        self == &SchemaDiff::default()
    }
}

/// How often a provider undertakes to update a resource (Art. 14: keep it
/// updated); a delivery later than this is flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UpdateFrequency {
    RealTime,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
    /// 不定期: no undertaking, never late.
    Irregular,
}

impl UpdateFrequency {
    pub const ALL: [UpdateFrequency; 7] = [
        UpdateFrequency::RealTime,
        UpdateFrequency::Daily,
        UpdateFrequency::Weekly,
        UpdateFrequency::Monthly,
        UpdateFrequency::Quarterly,
        UpdateFrequency::Yearly,
        UpdateFrequency::Irregular,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateFrequency::RealTime => "real-time",
            UpdateFrequency::Daily => "daily",
            UpdateFrequency::Weekly => "weekly",
            UpdateFrequency::Monthly => "monthly",
            UpdateFrequency::Quarterly => "quarterly",
            UpdateFrequency::Yearly => "yearly",
            UpdateFrequency::Irregular => "irregular",
        }
    }

    /// The longest gap between deliveries before an update is late, in
    /// milliseconds, with a day's grace; `None` when nothing is promised.
    /// Real-time feeds are late after an hour without data.
    pub const fn allowed_gap_ms(self) -> Option<i64> {
        const HOUR: i64 = 3_600_000;
        const DAY: i64 = 24 * HOUR;
        match self {
            UpdateFrequency::RealTime => Some(HOUR),
            UpdateFrequency::Daily => Some(2 * DAY),
            UpdateFrequency::Weekly => Some(8 * DAY),
            UpdateFrequency::Monthly => Some(32 * DAY),
            UpdateFrequency::Quarterly => Some(93 * DAY),
            UpdateFrequency::Yearly => Some(367 * DAY),
            UpdateFrequency::Irregular => None,
        }
    }

    /// Whether a resource last delivered at `last_ms` is late at `now_ms`.
    pub fn is_late(self, last_ms: i64, now_ms: i64) -> bool {
        self.allowed_gap_ms()
            .is_some_and(|gap| now_ms - last_ms > gap)
    }
}

/// A name that is not a known frequency.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown update frequency {0:?}")]
pub struct UnknownFrequency(pub String);

impl FromStr for UpdateFrequency {
    type Err = UnknownFrequency;
    fn from_str(s: &str) -> Result<Self, UnknownFrequency> {
        UpdateFrequency::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFrequency(s.to_owned()))
    }
}

impl fmt::Display for UpdateFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A theme in the catalogue's taxonomy: a stable code and its names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The themes a city open-data catalogue usually carries; deployments
/// replace them through configuration.
pub fn default_themes() -> Vec<Theme> {
    [
        ("economy", "经济建设", "Economy"),
        ("finance-tax", "财税金融", "Finance and tax"),
        ("market-regulation", "市场监管", "Market regulation"),
        ("credit", "信用服务", "Credit"),
        ("transport", "道路交通", "Transport"),
        ("environment", "资源环境", "Resources and environment"),
        ("urban-housing", "城建住房", "Urban development and housing"),
        ("agriculture", "农业农村", "Agriculture and rural affairs"),
        ("education-science", "教育科技", "Education and science"),
        ("health", "卫生健康", "Health"),
        ("social-security", "社会保障", "Social security"),
        ("employment", "劳动就业", "Employment"),
        ("public-safety", "公共安全", "Public safety"),
        ("work-safety", "安全生产", "Work safety"),
        ("culture-leisure", "文化休闲", "Culture and leisure"),
        ("civil-affairs", "民政服务", "Civil affairs"),
        ("organisations", "机构团体", "Organisations"),
        ("government", "综合政务", "Government affairs"),
    ]
    .into_iter()
    .map(|(code, zh, en)| Theme {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegistrationAction as A;
    use RegistrationStatus as S;

    #[test]
    fn registration_transitions_exhaustively() {
        let states = [
            None,
            Some(S::FirstRegistered),
            Some(S::Changed),
            Some(S::Cancelled),
        ];
        for current in states {
            for action in [A::Register, A::Change, A::Cancel] {
                let expected = match (current, action) {
                    (Some(S::Cancelled), _) => Err(RegistrationError::Cancelled),
                    (None, A::Register) => Ok(S::FirstRegistered),
                    (None, _) => Err(RegistrationError::NotRegistered),
                    (Some(_), A::Register) => Err(RegistrationError::AlreadyRegistered),
                    (Some(_), A::Change) => Ok(S::Changed),
                    (Some(_), A::Cancel) => Ok(S::Cancelled),
                };
                assert_eq!(
                    S::after(current, action),
                    expected,
                    "{current:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn lateness_follows_the_promised_frequency() {
        const DAY: i64 = 86_400_000;
        assert!(!UpdateFrequency::Daily.is_late(0, 2 * DAY));
        assert!(UpdateFrequency::Daily.is_late(0, 2 * DAY + 1));
        assert!(UpdateFrequency::Monthly.is_late(0, 40 * DAY));
        assert!(!UpdateFrequency::Irregular.is_late(0, 4000 * DAY));
        let gaps: Vec<_> = UpdateFrequency::ALL
            .iter()
            .filter_map(|f| f.allowed_gap_ms())
            .collect();
        assert!(
            gaps.windows(2).all(|w| w[0] < w[1]),
            "rarer promises allow longer gaps"
        );
        for f in UpdateFrequency::ALL {
            assert_eq!(f.as_str().parse::<UpdateFrequency>(), Ok(f));
        }
    }

    #[test]
    fn codes_round_trip() {
        for m in ServiceMode::ALL {
            assert_eq!(m.as_str().parse::<ServiceMode>(), Ok(m));
        }
        for c in DeliveryChannel::ALL {
            assert_eq!(c.as_str().parse::<DeliveryChannel>(), Ok(c));
        }
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<RegistrationStatus>(), Ok(s));
        }
        let modes = [
            ServiceMode::Sandbox,
            ServiceMode::Download,
            ServiceMode::Sandbox,
        ];
        let joined = ServiceMode::join(&modes);
        assert_eq!(joined, "download,sandbox");
        assert_eq!(
            ServiceMode::split(&joined),
            Ok(vec![ServiceMode::Download, ServiceMode::Sandbox])
        );
        assert!(ServiceMode::split("download,teleport").is_err());
    }

    #[test]
    fn schema_diffs_name_every_change() {
        let f = |fields: &[(&str, &str)]| -> Vec<(String, String)> {
            fields
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect()
        };
        let v1 = f(&[("名称", "text"), ("资本", "integer"), ("电话", "text")]);
        let v2 = f(&[("资本", "decimal"), ("名称", "text"), ("地址", "text")]);
        let d = SchemaDiff::between(&v1, &v2);
        assert_eq!(d.added, ["地址"]);
        assert_eq!(d.removed, ["电话"]);
        assert_eq!(
            d.retyped,
            [("资本".into(), "integer".into(), "decimal".into())]
        );
        assert_eq!(d.moved, ["名称", "资本"]);
        assert!(SchemaDiff::between(&v1, &v1).is_empty());
    }

    #[test]
    fn an_ingest_ends_once() {
        for from in IngestState::ALL {
            for to in IngestState::ALL {
                let expected = from == IngestState::Running && to != IngestState::Running;
                assert_eq!(from.may_become(to), expected, "{from:?} -> {to:?}");
            }
            assert_eq!(from.as_str().parse::<IngestState>(), Ok(from));
        }
        assert_eq!(IngestState::Succeeded.progress(0, None), Some(1.0));
        assert_eq!(IngestState::Running.progress(50, Some(200)), Some(0.25));
        assert_eq!(IngestState::Running.progress(500, Some(200)), Some(1.0));
        assert_eq!(IngestState::Failed.progress(5, None), None);
    }

    #[test]
    fn themes_have_unique_codes_and_both_names() {
        let themes = default_themes();
        let mut codes: Vec<_> = themes.iter().map(|t| t.code.as_str()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), themes.len());
        assert!(
            themes
                .iter()
                .all(|t| !t.name_zh.is_empty() && !t.name_en.is_empty())
        );
    }
}
