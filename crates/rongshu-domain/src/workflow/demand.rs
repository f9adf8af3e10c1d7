//! Demands (需求, Art. 11) and demand lists (需求清单, Art. 12).

use super::{AssessmentStatus, DeliveryTaskStatus, Machine, named_enum};
use crate::{PartySet, PartyType};

named_enum! {
    /// Where a demand stands.
    pub enum DemandStatus ("demand status") {
        /// Being written by the user; not yet seen by the operator.
        Draft = "draft",
        /// Submitted; the operator checks reasonableness and feasibility.
        PreReview = "pre-review",
        /// Sent back to the user for changes.
        Returned = "returned",
        /// Refused by the operator, with reasons. Final.
        Rejected = "rejected",
        /// Taken back by the user. Final.
        Withdrawn = "withdrawn",
        /// Accepted by the operator; waits for a demand list.
        Accepted = "accepted",
        /// On a demand list the operator has not submitted yet.
        Listed = "listed",
        /// On a submitted list; the Governance Office reviews it.
        OfficeReview = "office-review",
        /// Returned by the Office with reasons; the operator may requeue it.
        OfficeReturned = "office-returned",
        /// Passed by the Office; its providers assess it.
        WithProviders = "with-providers",
        /// At least one provider authorized; delivery is due.
        Authorized = "authorized",
        /// Every provider refused. Final.
        Refused = "refused",
        /// Every authorized provider delivered. Final.
        Delivered = "delivered",
    }
}

named_enum! {
    /// What can happen to a demand.
    pub enum DemandAction ("demand action") {
        Submit = "submit",
        Withdraw = "withdraw",
        Accept = "accept",
        Return = "return",
        Reject = "reject",
        List = "list",
        Unlist = "unlist",
        /// The list it is on went to the Office.
        SubmitList = "submit-list",
        OfficePass = "office-pass",
        OfficeReturn = "office-return",
        Requeue = "requeue",
        /// Every provider has answered and at least one authorized.
        Authorize = "authorize",
        /// Every provider has answered and all refused.
        Refuse = "refuse",
        /// Every delivery task of its authorizations is closed.
        Deliver = "deliver",
    }
}

const OPERATOR: PartySet = PartySet::of(&[PartyType::Operator]);
const OFFICE: PartySet = PartySet::of(&[PartyType::Governance]);

impl DemandStatus {
    /// Whether the user may still change what the demand says.
    pub fn is_editable(self) -> bool {
        matches!(self, DemandStatus::Draft | DemandStatus::Returned)
    }

    /// Whether nothing more will happen to the demand.
    pub fn is_final(self) -> bool {
        DemandAction::ALL
            .iter()
            .all(|&action| self.after(action).is_none())
    }
}

impl Machine for DemandStatus {
    type Action = DemandAction;
    const NAME: &'static str = "demand";

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn action_name(action: DemandAction) -> &'static str {
        action.as_str()
    }

    fn after(self, action: DemandAction) -> Option<DemandStatus> {
        use DemandAction as A;
        use DemandStatus as S;
        Some(match (self, action) {
            (S::Draft | S::Returned, A::Submit) => S::PreReview,
            (S::Draft | S::PreReview | S::Returned, A::Withdraw) => S::Withdrawn,
            (S::PreReview, A::Accept) => S::Accepted,
            (S::PreReview, A::Return) => S::Returned,
            (S::PreReview | S::OfficeReturned, A::Reject) => S::Rejected,
            (S::Accepted, A::List) => S::Listed,
            (S::Listed, A::Unlist) => S::Accepted,
            (S::Listed, A::SubmitList) => S::OfficeReview,
            (S::OfficeReview, A::OfficePass) => S::WithProviders,
            (S::OfficeReview, A::OfficeReturn) => S::OfficeReturned,
            (S::OfficeReturned, A::Requeue) => S::Accepted,
            (S::WithProviders, A::Authorize) => S::Authorized,
            (S::WithProviders, A::Refuse) => S::Refused,
            (S::Authorized, A::Deliver) => S::Delivered,
            _ => return None,
        })
    }

    fn taken_by(action: DemandAction) -> PartySet {
        use DemandAction as A;
        match action {
            // The operator may file and submit on a user's behalf (Art. 11).
            A::Submit => PartySet::of(&[PartyType::User, PartyType::Operator]),
            A::Withdraw => PartySet::of(&[PartyType::User]),
            A::Accept | A::Return | A::Reject | A::List | A::Unlist | A::SubmitList => OPERATOR,
            A::Requeue => OPERATOR,
            A::OfficePass | A::OfficeReturn => OFFICE,
            A::Authorize | A::Refuse | A::Deliver => PartySet::NONE,
        }
    }
}

/// The step the platform takes on a demand once its providers' answers or
/// delivery tasks change: `Authorize` when every provider has answered and
/// one authorized, `Refuse` when all refused, `Deliver` when no delivery
/// task is open and one delivered. Apply until it returns None.
pub fn platform_step(
    demand: DemandStatus,
    answers: &[AssessmentStatus],
    tasks: &[DeliveryTaskStatus],
) -> Option<DemandAction> {
    match demand {
        DemandStatus::WithProviders => {
            if answers.is_empty() || answers.contains(&AssessmentStatus::Pending) {
                None
            } else if answers.contains(&AssessmentStatus::Authorized) {
                Some(DemandAction::Authorize)
            } else {
                Some(DemandAction::Refuse)
            }
        }
        DemandStatus::Authorized => (!tasks.contains(&DeliveryTaskStatus::Open)
            && tasks.contains(&DeliveryTaskStatus::Delivered))
        .then_some(DemandAction::Deliver),
        _ => None,
    }
}

named_enum! {
    /// A demand list's stage.
    pub enum DemandListStatus ("demand list status") {
        /// The operator is gathering accepted demands.
        Draft = "draft",
        /// With the Governance Office, due in 10 working days.
        Submitted = "submitted",
        /// The Office decided every item.
        Reviewed = "reviewed",
    }
}

named_enum! {
    pub enum DemandListAction ("demand list action") {
        Submit = "submit",
        /// The Office decided the last item.
        Complete = "complete",
    }
}

impl Machine for DemandListStatus {
    type Action = DemandListAction;
    const NAME: &'static str = "demand-list";

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn action_name(action: DemandListAction) -> &'static str {
        action.as_str()
    }

    fn after(self, action: DemandListAction) -> Option<DemandListStatus> {
        use DemandListAction as A;
        use DemandListStatus as S;
        match (self, action) {
            (S::Draft, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::Complete) => Some(S::Reviewed),
            _ => None,
        }
    }

    fn taken_by(action: DemandListAction) -> PartySet {
        match action {
            DemandListAction::Submit => OPERATOR,
            DemandListAction::Complete => PartySet::NONE,
        }
    }
}
