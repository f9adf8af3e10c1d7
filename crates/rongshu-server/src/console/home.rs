//! Each party's workbench: what the party does on the platform, and (as
//! later capabilities land) its work queues.

use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{MethodRouter, get};
use maud::{Markup, html};
use rongshu_domain::PartyType;

use super::i18n::{self};
use super::workflow_text;
use super::{Viewer, layout};
use crate::error::ApiError;
use crate::state::AppState;

/// Each party's workbench path; each is open to that party alone.
pub(crate) const WORKBENCHES: [(PartyType, &str); 7] = [
    (PartyType::Operator, "/workbench/operator"),
    (PartyType::Governance, "/workbench/governance"),
    (PartyType::Economy, "/workbench/economy"),
    (PartyType::BigDataCenter, "/workbench/bigdata-center"),
    (PartyType::Provider, "/workbench/provider"),
    (PartyType::User, "/workbench/user"),
    (PartyType::Expert, "/workbench/expert"),
];

pub(crate) fn workbench_path(party: PartyType) -> &'static str {
    WORKBENCHES
        .iter()
        .find(|(p, _)| *p == party)
        .map(|(_, path)| *path)
        .expect("every party has a workbench")
}

pub(crate) async fn home(viewer: Viewer) -> Redirect {
    Redirect::to(workbench_path(viewer.who.account().party))
}

/// The handler for one party's workbench route.
pub(crate) fn workbench_route(party: PartyType) -> fn() -> MethodRouter<AppState> {
    match party {
        PartyType::Operator => {
            || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::Operator))
        }
        PartyType::Governance => {
            || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::Governance))
        }
        PartyType::Economy => {
            || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::Economy))
        }
        PartyType::BigDataCenter => {
            || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::BigDataCenter))
        }
        PartyType::Provider => {
            || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::Provider))
        }
        PartyType::User => || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::User)),
        PartyType::Expert => {
            || get(|s: State<AppState>, v: Viewer| workbench(s, v, PartyType::Expert))
        }
    }
}

async fn workbench(
    State(state): State<AppState>,
    viewer: Viewer,
    party: PartyType,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let account = viewer.who.account();
    let colleagues = state.store().accounts(Some(account.org_id)).await?.len();
    let unread = state
        .store()
        .unread_notifications(account.org_id, account.id)
        .await?;
    let queue = super::queue::work_queue(&state, &viewer).await?;
    let body = html! {
        section.card.identity data-workbench=(party.as_str()) {
            dl.facts {
                dt { (i18n::ORGANIZATION.get(lang)) } dd { (account.org_name) }
                dt { (i18n::PARTY.get(lang)) } dd { (i18n::party_name(party).get(lang)) }
                dt { (i18n::ROLE.get(lang)) } dd { (i18n::role_name(account.role).get(lang)) }
                dt { (i18n::ACCOUNTS_IN_ORG.get(lang)) } dd { (colleagues) }
            }
        }
        section.card {
            h2 { (i18n::DUTIES.get(lang)) }
            ul.duties { @for d in i18n::duties(party) { li { (d.get(lang)) } } }
        }
        section.card {
            h2 { (i18n::WORK_QUEUES.get(lang)) }
            @if unread > 0 {
                p { a href="/inbox" data-unread=(unread) { (workflow_text::INBOX.get(lang)) " · " (workflow_text::UNREAD.get(lang)) " " (unread) } }
            }
            (queue)
            @if viewer.may_open("/ledger") {
                p { a href="/ledger" { (i18n::LEDGER.get(lang)) " →" } }
            }
        }
    };
    Ok(layout(
        &viewer,
        i18n::party_name(party),
        workbench_path(party),
        body,
    ))
}
