//! Disputes between a provider and the operator (争议解决, Art. 19): the
//! Governance Office and the New Economy Committee coordinate, the expert
//! committee may give an opinion, and the resolution is recorded.

use super::{Machine, named_enum};
use crate::{PartySet, PartyType};

named_enum! {
    pub enum DisputeStatus ("dispute status") {
        /// Raised; waiting for a coordinator to take it up.
        Open = "open",
        Coordinating = "coordinating",
        /// An expert committee opinion was requested.
        AwaitingExpert = "awaiting-expert",
        /// The resolution is recorded. Final.
        Resolved = "resolved",
        /// Withdrawn by the side that raised it. Final.
        Withdrawn = "withdrawn",
    }
}

named_enum! {
    pub enum DisputeAction ("dispute action") {
        TakeUp = "take-up",
        RequestOpinion = "request-opinion",
        GiveOpinion = "give-opinion",
        Resolve = "resolve",
        Withdraw = "withdraw",
    }
}

impl DisputeStatus {
    /// Whether the dispute still needs someone.
    pub fn is_open(self) -> bool {
        !matches!(self, DisputeStatus::Resolved | DisputeStatus::Withdrawn)
    }
}

const COORDINATORS: PartySet = PartySet::of(&[PartyType::Governance, PartyType::Economy]);

impl Machine for DisputeStatus {
    type Action = DisputeAction;
    const NAME: &'static str = "dispute";

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn action_name(action: DisputeAction) -> &'static str {
        action.as_str()
    }

    fn after(self, action: DisputeAction) -> Option<DisputeStatus> {
        use DisputeAction as A;
        use DisputeStatus as S;
        Some(match (self, action) {
            (S::Open, A::TakeUp) => S::Coordinating,
            (S::Coordinating, A::RequestOpinion) => S::AwaitingExpert,
            (S::AwaitingExpert, A::GiveOpinion) => S::Coordinating,
            (S::Coordinating, A::Resolve) => S::Resolved,
            (S::Open | S::Coordinating | S::AwaitingExpert, A::Withdraw) => S::Withdrawn,
            _ => return None,
        })
    }

    fn taken_by(action: DisputeAction) -> PartySet {
        match action {
            DisputeAction::TakeUp | DisputeAction::RequestOpinion | DisputeAction::Resolve => {
                COORDINATORS
            }
            DisputeAction::GiveOpinion => PartySet::of(&[PartyType::Expert]),
            DisputeAction::Withdraw => PartySet::of(&[PartyType::Provider, PartyType::Operator]),
        }
    }
}
