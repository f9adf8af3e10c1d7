//! Who may use what. Every route of the server declares an [`Access`]; one
//! gate evaluates it against the signed-in [`Actor`].

use crate::party::{party_bit, role_bit};
use crate::{PartyType, Role};

/// The signed-in account, as far as access rules are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub org_id: i64,
    pub party: PartyType,
    pub role: Role,
}

/// A set of party types, built at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartySet(u8);

impl PartySet {
    pub const ALL: PartySet = PartySet::of(&PartyType::ALL);
    pub const NONE: PartySet = PartySet(0);

    pub const fn of(parties: &[PartyType]) -> PartySet {
        let mut bits = 0;
        let mut i = 0;
        while i < parties.len() {
            bits |= party_bit(parties[i]);
            i += 1;
        }
        PartySet(bits)
    }

    pub const fn contains(self, p: PartyType) -> bool {
        self.0 & party_bit(p) != 0
    }

    pub const fn with(self, p: PartyType) -> PartySet {
        PartySet(self.0 | party_bit(p))
    }

    pub fn iter(self) -> impl Iterator<Item = PartyType> {
        PartyType::ALL
            .into_iter()
            .filter(move |&p| self.contains(p))
    }
}

/// A set of roles, built at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleSet(u8);

impl RoleSet {
    pub const ALL: RoleSet = RoleSet::of(&Role::ALL);

    pub const fn of(roles: &[Role]) -> RoleSet {
        let mut bits = 0;
        let mut i = 0;
        while i < roles.len() {
            bits |= role_bit(roles[i]);
            i += 1;
        }
        RoleSet(bits)
    }

    pub const fn contains(self, r: Role) -> bool {
        self.0 & role_bit(r) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |&r| self.contains(r))
    }
}

/// One party-and-role combination a route admits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub parties: PartySet,
    pub roles: RoleSet,
}

impl Grant {
    pub const fn new(parties: &[PartyType], roles: &[Role]) -> Grant {
        Grant {
            parties: PartySet::of(parties),
            roles: RoleSet::of(roles),
        }
    }

    pub const fn admits(&self, party: PartyType, role: Role) -> bool {
        self.parties.contains(party) && self.roles.contains(role)
    }
}

/// What a route requires of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login, health, the API description).
    Public,
    /// Signed-in accounts admitted by at least one of the grants.
    Restricted(&'static [Grant]),
}

impl Access {
    /// Any signed-in account.
    pub const SIGNED_IN: Access = Access::Restricted(&[Grant {
        parties: PartySet::ALL,
        roles: RoleSet::ALL,
    }]);

    /// Decides whether `actor` (None when nobody is signed in) may pass.
    pub fn check(&self, actor: Option<&Actor>) -> Result<(), Denial> {
        let Access::Restricted(grants) = self else {
            return Ok(());
        };
        let actor = actor.ok_or(Denial::NotSignedIn)?;
        if grants.iter().any(|g| g.admits(actor.party, actor.role)) {
            Ok(())
        } else if grants.iter().any(|g| g.parties.contains(actor.party)) {
            Err(Denial::WrongRole(actor.role))
        } else {
            Err(Denial::WrongParty(actor.party))
        }
    }

    /// Whether an actor of this party and role passes; used to draw menus
    /// and by the route-walk tests.
    pub fn admits(&self, party: PartyType, role: Role) -> bool {
        match self {
            Access::Public => true,
            Access::Restricted(grants) => grants.iter().any(|g| g.admits(party, role)),
        }
    }
}

/// Why the gate refused a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The route needs a signed-in account and there is none.
    #[error("sign-in required")]
    NotSignedIn,
    /// The account's organisation is not a party the route serves.
    #[error("not available to party type {0}")]
    WrongParty(PartyType),
    /// The account's role inside its organisation is not enough.
    #[error("not available to role {0}")]
    WrongRole(Role),
}

/// Which ledger entries an actor may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerScope {
    /// Every entry: supervisors (Art. 17) and the operator, who answers for security.
    All,
    /// Only entries of the actor's own organisation.
    Organization(i64),
}

impl Actor {
    /// The Big Data Center inspects logs at any time and the Governance Office
    /// supervises (Art. 17); the operator answers for the platform. Everyone
    /// else audits only what their own organisation did.
    pub fn ledger_scope(&self) -> LedgerScope {
        match self.party {
            PartyType::BigDataCenter | PartyType::Governance | PartyType::Operator => {
                LedgerScope::All
            }
            _ => LedgerScope::Organization(self.org_id),
        }
    }

    /// An organisation's own administrators manage its accounts; the
    /// operator's also those of the providers and users it serves, never
    /// those of a party overseeing it (a password it reset would let it
    /// act as its own supervisor: lift its own suspension, say).
    pub fn may_manage_accounts_of(&self, org_id: i64, party: PartyType) -> bool {
        self.role == Role::Admin
            && (self.org_id == org_id
                || (self.party == PartyType::Operator && !party.oversees_operator()))
    }

    /// Only the operator registers organisations on the platform, and only
    /// those it serves; overseeing parties are registered with the
    /// `rongshu admin` command by whoever sets the platform up.
    pub fn may_register(&self, party: PartyType) -> bool {
        self.role == Role::Admin && self.party == PartyType::Operator && !party.oversees_operator()
    }

    /// A provider describes, registers and grades its own resources; its
    /// auditors only read.
    pub fn may_describe_resources_of(&self, provider_id: i64) -> bool {
        self.party == PartyType::Provider
            && self.org_id == provider_id
            && self.role != Role::Auditor
    }

    /// Data reaches the platform from its provider, or relayed by the Big
    /// Data Center's sharing platform (Art. 8); auditors deliver nothing.
    pub fn may_deliver_to(&self, provider_id: i64) -> bool {
        self.role != Role::Auditor
            && ((self.party == PartyType::Provider && self.org_id == provider_id)
                || self.party == PartyType::BigDataCenter)
    }

    /// Who sees a resource's deliveries (versions, ingest and error
    /// reports): its provider, the operator that runs the platform, the
    /// Big Data Center that relays them and the Governance Office that
    /// supervises.
    pub fn may_inspect_deliveries_of(&self, provider_id: i64) -> bool {
        match self.party {
            PartyType::Provider => self.org_id == provider_id,
            PartyType::Operator | PartyType::BigDataCenter | PartyType::Governance => true,
            _ => false,
        }
    }

    /// Front-system credentials go to those who deliver through it.
    pub fn may_hold_front_keys(&self) -> bool {
        matches!(self.party, PartyType::Provider | PartyType::BigDataCenter)
            && self.role != Role::Auditor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(party: PartyType, role: Role, org_id: i64) -> Actor {
        Actor {
            account_id: 1,
            org_id,
            party,
            role,
        }
    }

    #[test]
    fn public_admits_everyone_including_nobody() {
        assert_eq!(Access::Public.check(None), Ok(()));
        for p in PartyType::ALL {
            for r in Role::ALL {
                assert_eq!(Access::Public.check(Some(&actor(p, r, 1))), Ok(()));
            }
        }
    }

    #[test]
    fn restricted_refuses_nobody() {
        assert_eq!(Access::SIGNED_IN.check(None), Err(Denial::NotSignedIn));
    }

    #[test]
    fn restricted_matches_exactly_the_declared_pairs() {
        const GRANTS: &[Grant] = &[
            Grant::new(
                &[PartyType::Provider, PartyType::BigDataCenter],
                &[Role::Admin, Role::Auditor],
            ),
            Grant::new(&[PartyType::Expert], &[Role::Staff]),
        ];
        let access = Access::Restricted(GRANTS);
        for p in PartyType::ALL {
            for r in Role::ALL {
                let expected = match p {
                    PartyType::Provider | PartyType::BigDataCenter if r != Role::Staff => Ok(()),
                    PartyType::Provider | PartyType::BigDataCenter => Err(Denial::WrongRole(r)),
                    PartyType::Expert if r == Role::Staff => Ok(()),
                    PartyType::Expert => Err(Denial::WrongRole(r)),
                    _ => Err(Denial::WrongParty(p)),
                };
                assert_eq!(access.check(Some(&actor(p, r, 1))), expected, "{p} {r}");
                assert_eq!(access.admits(p, r), expected.is_ok());
            }
        }
    }

    #[test]
    fn sets_iterate_what_they_hold() {
        let set = PartySet::of(&[PartyType::User, PartyType::Operator]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [PartyType::Operator, PartyType::User]
        );
        assert_eq!(RoleSet::ALL.iter().count(), 3);
    }

    #[test]
    fn ledger_scope_follows_supervision_duties() {
        for p in PartyType::ALL {
            let scope = actor(p, Role::Auditor, 7).ledger_scope();
            let supervisor = matches!(
                p,
                PartyType::BigDataCenter | PartyType::Governance | PartyType::Operator
            );
            assert_eq!(scope == LedgerScope::All, supervisor, "{p}");
            if !supervisor {
                assert_eq!(scope, LedgerScope::Organization(7));
            }
        }
    }

    #[test]
    fn resource_rights_follow_ownership_and_duty() {
        for p in PartyType::ALL {
            for r in Role::ALL {
                for org in [7, 8] {
                    let a = actor(p, r, org);
                    let own = org == 7;
                    let writer = r != Role::Auditor;
                    let provider = p == PartyType::Provider;
                    assert_eq!(a.may_describe_resources_of(7), provider && own && writer);
                    assert_eq!(
                        a.may_deliver_to(7),
                        writer && ((provider && own) || p == PartyType::BigDataCenter)
                    );
                    let supervisor = matches!(
                        p,
                        PartyType::Operator | PartyType::BigDataCenter | PartyType::Governance
                    );
                    assert_eq!(
                        a.may_inspect_deliveries_of(7),
                        (provider && own) || supervisor
                    );
                    assert_eq!(
                        a.may_hold_front_keys(),
                        writer && (provider || p == PartyType::BigDataCenter)
                    );
                }
            }
        }
    }

    #[test]
    fn account_management_rights() {
        for p in PartyType::ALL {
            for r in Role::ALL {
                let a = actor(p, r, 7);
                let own = a.may_manage_accounts_of(7, p);
                assert_eq!(own, r == Role::Admin, "{p} {r} own");
                for q in PartyType::ALL {
                    let served =
                        r == Role::Admin && p == PartyType::Operator && !q.oversees_operator();
                    assert_eq!(a.may_manage_accounts_of(8, q), served, "{p} {r} other {q}");
                    assert_eq!(a.may_register(q), served, "{p} {r} registers {q}");
                }
                let center = a.may_manage_accounts_of(8, PartyType::BigDataCenter);
                assert!(
                    !center,
                    "nobody but its own manages the Big Data Center's accounts"
                );
            }
        }
    }
}
