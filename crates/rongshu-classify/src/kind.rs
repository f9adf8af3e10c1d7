//! The kinds of identifier the scanner looks for.

use std::fmt;

/// A kind of personal or organisational identifier (GB/T 37964-2019 calls
/// the first ones direct identifiers, the rest quasi-identifiers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierKind {
    /// 居民身份证号, GB 11643-1999, with its check character.
    ResidentId,
    /// 手机号码.
    Mobile,
    /// 固定电话.
    Landline,
    /// 银行卡号, Luhn-checked.
    BankCard,
    /// 统一社会信用代码, GB 32100-2015.
    CreditCode,
    Email,
    /// 机动车号牌.
    LicencePlate,
    IpAddress,
    /// 出生日期.
    BirthDate,
    /// 姓名.
    PersonName,
    /// 地址.
    Address,
}

impl IdentifierKind {
    pub const ALL: [IdentifierKind; 11] = [
        IdentifierKind::ResidentId,
        IdentifierKind::Mobile,
        IdentifierKind::Landline,
        IdentifierKind::BankCard,
        IdentifierKind::CreditCode,
        IdentifierKind::Email,
        IdentifierKind::LicencePlate,
        IdentifierKind::IpAddress,
        IdentifierKind::BirthDate,
        IdentifierKind::PersonName,
        IdentifierKind::Address,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IdentifierKind::ResidentId => "resident_id",
            IdentifierKind::Mobile => "mobile",
            IdentifierKind::Landline => "landline",
            IdentifierKind::BankCard => "bank_card",
            IdentifierKind::CreditCode => "credit_code",
            IdentifierKind::Email => "email",
            IdentifierKind::LicencePlate => "licence_plate",
            IdentifierKind::IpAddress => "ip_address",
            IdentifierKind::BirthDate => "birth_date",
            IdentifierKind::PersonName => "person_name",
            IdentifierKind::Address => "address",
        }
    }

    /// Whether a value can be recognised on its own (a check digit or an
    /// unmistakable form); the others need the column's name or many
    /// values agreeing before they count.
    pub const fn self_evident(self) -> bool {
        !matches!(
            self,
            IdentifierKind::BirthDate | IdentifierKind::PersonName | IdentifierKind::Address
        )
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a known identifier kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown identifier kind {0:?}")]
pub struct UnknownKind(pub String);

impl std::str::FromStr for IdentifierKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        IdentifierKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}
