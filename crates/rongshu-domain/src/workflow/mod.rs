//! The demand → authorization → delivery workflow (Art. 11-16, 18, 19) as
//! state machines. Each machine says which state follows which action and
//! which parties may take it; actions no party takes are the platform's own,
//! run when a rule fires (every provider has answered, a version arrived,
//! an authorization was terminated).

mod agreement;
mod authorization;
mod demand;
mod dispute;

pub use agreement::{AgreementKind, AgreementStatus, SignRefusal, Signatories, Term};
pub use authorization::{
    AssessmentAction, AssessmentStatus, AuthorizationAction, AuthorizationStatus,
    DeliveryTaskAction, DeliveryTaskStatus,
};
pub use demand::{DemandAction, DemandListAction, DemandListStatus, DemandStatus, platform_step};
pub use dispute::{DisputeAction, DisputeStatus};

use std::fmt;

use crate::{PartySet, PartyType};

/// Declares a field-less enum with stable lowercase names, `ALL`,
/// `as_str`, `FromStr` and `Display`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$variant_meta])* $variant, )+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::party::parse_name($what, s, Self::ALL, Self::as_str)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

/// Who takes an action: an organisation of some party, or the platform
/// itself following a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Party(PartyType),
    Platform,
}

/// A state machine of the workflow.
pub trait Machine: Copy + fmt::Debug + PartialEq + Sized {
    type Action: Copy + fmt::Debug;
    /// The machine's name in errors and problem codes.
    const NAME: &'static str;

    fn name(self) -> &'static str;
    fn action_name(action: Self::Action) -> &'static str;
    /// The state after `action`, if the action is possible at all here.
    fn after(self, action: Self::Action) -> Option<Self>;
    /// The parties that may take `action`; empty for the platform's own.
    fn taken_by(action: Self::Action) -> PartySet;

    /// Applies `action` taken by `by`, or says why it may not happen.
    fn apply(self, action: Self::Action, by: By) -> Result<Self, IllegalTransition> {
        let refuse = |reason| IllegalTransition {
            machine: Self::NAME,
            action: Self::action_name(action),
            state: self.name(),
            reason,
        };
        let parties = Self::taken_by(action);
        match by {
            By::Platform if parties != PartySet::NONE => return Err(refuse(Reason::PartiesOnly)),
            By::Party(_) if parties == PartySet::NONE => return Err(refuse(Reason::PlatformOnly)),
            By::Party(p) if !parties.contains(p) => return Err(refuse(Reason::WrongParty(p))),
            _ => {}
        }
        self.after(action)
            .ok_or_else(|| refuse(Reason::NotFromState))
    }
}

/// An action refused by a machine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{machine}: cannot {action} from state {state}: {reason}")]
pub struct IllegalTransition {
    pub machine: &'static str,
    pub action: &'static str,
    pub state: &'static str,
    pub reason: Reason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("not a step that follows this state")]
    NotFromState,
    #[error("a {0} organisation does not take this step")]
    WrongParty(PartyType),
    #[error("the platform takes this step itself when its rule fires")]
    PlatformOnly,
    #[error("an organisation must take this step")]
    PartiesOnly,
}

impl IllegalTransition {
    /// Whether the refusal is about who acts (403) rather than when (409).
    pub fn is_wrong_party(&self) -> bool {
        matches!(self.reason, Reason::WrongParty(_) | Reason::PlatformOnly)
    }
}

#[cfg(test)]
mod tests;
