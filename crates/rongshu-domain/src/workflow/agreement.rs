//! Agreements (Art. 15, 18): the tripartite agreement among operator, Big
//! Data Center and provider, and the data use agreement between operator
//! and user. Each is in force only once every party has signed, only within
//! its term, and never after its authorization ends.

use chrono::NaiveDate;

use super::named_enum;
use crate::{PartySet, PartyType};

named_enum! {
    pub enum AgreementKind ("agreement kind") {
        /// 三方协议: data content, term, rights and duties (Art. 18).
        Tripartite = "tripartite",
        /// 数据利用协议: products, conditions, duties, term, quotas (Art. 15).
        DataUse = "data-use",
    }
}

impl AgreementKind {
    /// The parties that must sign.
    pub const fn signatories(self) -> PartySet {
        match self {
            AgreementKind::Tripartite => PartySet::of(&[
                PartyType::Operator,
                PartyType::BigDataCenter,
                PartyType::Provider,
            ]),
            AgreementKind::DataUse => PartySet::of(&[PartyType::Operator, PartyType::User]),
        }
    }
}

named_enum! {
    pub enum AgreementStatus ("agreement status") {
        AwaitingSignatures = "awaiting-signatures",
        /// Every party signed; effective within its term.
        Signed = "signed",
        /// Its authorization was terminated. Final.
        Terminated = "terminated",
    }
}

/// An agreement's term; `until` is None for a standing agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Term {
    pub fn contains(self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

/// Who has signed an agreement so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signatories {
    pub kind: AgreementKind,
    pub signed: PartySet,
}

/// Why a signature is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignRefusal {
    #[error("a {0} organisation is not a party to this agreement")]
    NotAParty(PartyType),
    #[error("the {0} party has already signed")]
    AlreadySigned(PartyType),
    #[error("the agreement is {0} and can no longer be signed")]
    Closed(AgreementStatus),
}

impl Signatories {
    pub fn none(kind: AgreementKind) -> Signatories {
        Signatories {
            kind,
            signed: PartySet::NONE,
        }
    }

    pub fn status(self, terminated: bool) -> AgreementStatus {
        if terminated {
            AgreementStatus::Terminated
        } else if self.signed == self.kind.signatories() {
            AgreementStatus::Signed
        } else {
            AgreementStatus::AwaitingSignatures
        }
    }

    /// Adds `party`'s signature to an agreement that is `status`.
    pub fn sign(
        self,
        status: AgreementStatus,
        party: PartyType,
    ) -> Result<Signatories, SignRefusal> {
        if status != AgreementStatus::AwaitingSignatures {
            return Err(SignRefusal::Closed(status));
        }
        if !self.kind.signatories().contains(party) {
            return Err(SignRefusal::NotAParty(party));
        }
        if self.signed.contains(party) {
            return Err(SignRefusal::AlreadySigned(party));
        }
        Ok(Signatories {
            kind: self.kind,
            signed: self.signed.with(party),
        })
    }

    /// The parties still to sign.
    pub fn missing(self) -> impl Iterator<Item = PartyType> {
        let signed = self.signed;
        self.kind
            .signatories()
            .iter()
            .filter(move |&p| !signed.contains(p))
    }
}

impl AgreementStatus {
    /// Whether the agreement binds on `day`.
    pub fn in_force(self, term: Term, day: NaiveDate) -> bool {
        self == AgreementStatus::Signed && term.contains(day)
    }
}
