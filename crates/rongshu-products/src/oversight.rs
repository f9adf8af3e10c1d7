//! Who follows whose use of products.

use rongshu_domain::{Actor, PartyType};
use rongshu_store::UseScope;

/// Parties that see every organisation's use: the operator runs the
/// platform, the Big Data Center and the Office supervise it.
pub(crate) fn sees_all(actor: &Actor) -> bool {
    matches!(
        actor.party,
        PartyType::Operator | PartyType::BigDataCenter | PartyType::Governance
    )
}

/// The use `actor` follows: all of it, or its own organisation's and, for
/// a provider, everyone's use of products built on its data (Art. 17:
/// usage goes back to providers for their oversight).
pub(crate) fn use_followed_by(actor: &Actor) -> UseScope {
    if sees_all(actor) {
        UseScope::All
    } else {
        UseScope::Overseen(actor.org_id)
    }
}

/// The feedback `actor` reads: all of it, or its own organisation's
/// (users report what they made to the operator, Art. 15).
pub(crate) fn feedback_read_by(actor: &Actor) -> UseScope {
    if sees_all(actor) {
        UseScope::All
    } else {
        UseScope::Own(actor.org_id)
    }
}
