//! A provider's answer to a demand (授权确认, Art. 13), the authorization it
//! grants, its termination (Art. 16), and the delivery task it opens
//! (数据交付, Art. 14).

use super::{Machine, named_enum};
use crate::{PartySet, PartyType};

const PROVIDER: PartySet = PartySet::of(&[PartyType::Provider]);

named_enum! {
    /// One provider's answer to one demand.
    pub enum AssessmentStatus ("assessment status") {
        /// Due within 10 working days of the Office passing the demand.
        Pending = "pending",
        Authorized = "authorized",
        /// Refused with legal grounds.
        Refused = "refused",
    }
}

named_enum! {
    pub enum AssessmentAction ("assessment action") {
        Authorize = "authorize",
        Refuse = "refuse",
        /// Only open resources are asked for: the standing authorization
        /// answers for the provider (Art. 13).
        Standing = "standing",
    }
}

impl Machine for AssessmentStatus {
    type Action = AssessmentAction;
    const NAME: &'static str = "assessment";

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn action_name(action: AssessmentAction) -> &'static str {
        action.as_str()
    }

    fn after(self, action: AssessmentAction) -> Option<AssessmentStatus> {
        match (self, action) {
            (AssessmentStatus::Pending, AssessmentAction::Refuse) => {
                Some(AssessmentStatus::Refused)
            }
            (AssessmentStatus::Pending, _) => Some(AssessmentStatus::Authorized),
            _ => None,
        }
    }

    fn taken_by(action: AssessmentAction) -> PartySet {
        match action {
            AssessmentAction::Authorize | AssessmentAction::Refuse => PROVIDER,
            AssessmentAction::Standing => PartySet::NONE,
        }
    }
}

named_enum! {
    /// An authorization from a provider to the operator.
    pub enum AuthorizationStatus ("authorization status") {
        /// In force within its term.
        Active = "active",
        /// Ended by the provider with stated grounds. Final.
        Terminated = "terminated",
    }
}

named_enum! {
    pub enum AuthorizationAction ("authorization action") {
        Terminate = "terminate",
    }
}

impl Machine for AuthorizationStatus {
    type Action = AuthorizationAction;
    const NAME: &'static str = "authorization";

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn action_name(action: AuthorizationAction) -> &'static str {
        action.as_str()
    }

    fn after(self, action: AuthorizationAction) -> Option<AuthorizationStatus> {
        match (self, action) {
            (AuthorizationStatus::Active, AuthorizationAction::Terminate) => {
                Some(AuthorizationStatus::Terminated)
            }
            _ => None,
        }
    }

    fn taken_by(_: AuthorizationAction) -> PartySet {
        PROVIDER
    }
}

named_enum! {
    /// The provider's duty to deliver what it authorized, due in 20
    /// working days.
    pub enum DeliveryTaskStatus ("delivery task status") {
        Open = "open",
        /// A version of an authorized resource arrived through the front
        /// system.
        Delivered = "delivered",
        /// The authorization ended before delivery.
        Cancelled = "cancelled",
    }
}

named_enum! {
    pub enum DeliveryTaskAction ("delivery task action") {
        Deliver = "deliver",
        Cancel = "cancel",
    }
}

impl Machine for DeliveryTaskStatus {
    type Action = DeliveryTaskAction;
    const NAME: &'static str = "delivery-task";

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn action_name(action: DeliveryTaskAction) -> &'static str {
        action.as_str()
    }

    fn after(self, action: DeliveryTaskAction) -> Option<DeliveryTaskStatus> {
        match (self, action) {
            (DeliveryTaskStatus::Open, DeliveryTaskAction::Deliver) => {
                Some(DeliveryTaskStatus::Delivered)
            }
            (DeliveryTaskStatus::Open, DeliveryTaskAction::Cancel) => {
                Some(DeliveryTaskStatus::Cancelled)
            }
            _ => None,
        }
    }

    fn taken_by(_: DeliveryTaskAction) -> PartySet {
        PartySet::NONE
    }
}
