//! Party types (成都市公共数据运营服务管理办法, the parties it names) and the
//! roles an account holds inside its organisation.

use std::fmt;
use std::str::FromStr;

/// The kind of organisation, as the regulation names the parties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartyType {
    /// 公共数据运营服务单位: runs the platform and answers for security.
    Operator,
    /// 市网络理政办: reviews demand lists, receives reports and terminations.
    Governance,
    /// 市新经济委: guides demand collection for new-economy firms.
    Economy,
    /// 市大数据中心: runs the sharing platform, inspects logs, may suspend supply.
    BigDataCenter,
    /// 数据提供单位: a government department that owns data.
    Provider,
    /// 数据使用单位（或个人）: a company, researcher or department using data.
    User,
    /// 公共数据专家咨询委员会: gives opinions in disputes.
    Expert,
}

impl PartyType {
    /// Whether the party reviews, supervises, guides or advises on the
    /// operator's work, so must stay out of the operator's hands.
    pub fn oversees_operator(self) -> bool {
        matches!(
            self,
            PartyType::Governance
                | PartyType::Economy
                | PartyType::BigDataCenter
                | PartyType::Expert
        )
    }

    pub const ALL: [PartyType; 7] = [
        PartyType::Operator,
        PartyType::Governance,
        PartyType::Economy,
        PartyType::BigDataCenter,
        PartyType::Provider,
        PartyType::User,
        PartyType::Expert,
    ];

    /// The stable name used in storage, configuration and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            PartyType::Operator => "operator",
            PartyType::Governance => "governance",
            PartyType::Economy => "economy",
            PartyType::BigDataCenter => "bigdata_center",
            PartyType::Provider => "provider",
            PartyType::User => "user",
            PartyType::Expert => "expert",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A role inside an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages the organisation's accounts and acts for it.
    Admin,
    /// Acts for the organisation.
    Staff,
    /// Reads, never changes: the MLPS audit role.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Staff, Role::Auditor];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Auditor => "auditor",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A name that is not one of the known party types or roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}; expected one of: {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub expected: String,
}

pub(crate) fn parse_name<T: Copy>(
    what: &'static str,
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|&v| name(v) == s)
        .ok_or_else(|| UnknownName {
            what,
            name: s.to_owned(),
            expected: all.iter().map(|&v| name(v)).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for PartyType {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("party type", s, &PartyType::ALL, PartyType::as_str)
    }
}

impl FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("role", s, &Role::ALL, Role::as_str)
    }
}

impl fmt::Display for PartyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) const fn party_bit(p: PartyType) -> u8 {
    p.bit()
}

pub(crate) const fn role_bit(r: Role) -> u8 {
    r.bit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in PartyType::ALL {
            assert_eq!(p.as_str().parse::<PartyType>(), Ok(p));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "ministry".parse::<PartyType>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown party type \"ministry\"; expected one of: operator, governance, economy, \
             bigdata_center, provider, user, expert"
        );
        assert!("Admin".parse::<Role>().is_err(), "names are case-sensitive");
    }
}
