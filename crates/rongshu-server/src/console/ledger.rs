//! The ledger viewer, for auditors and the Big Data Center.

use axum::extract::State;
use maud::{Markup, html};
use rongshu_domain::LedgerScope;
use rongshu_ledger::Outcome;

use super::i18n::{self, T};
use super::{Viewer, layout};
use crate::api::ledger::filter_for;
use crate::api::types::LedgerQuery;
use crate::context::Query;
use crate::error::ApiError;
use crate::state::AppState;

fn outcome_text(o: Outcome) -> T {
    match o {
        Outcome::Success => i18n::SUCCESS,
        Outcome::Denied => i18n::DENIED,
        Outcome::Failed => i18n::FAILED,
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LedgerQuery>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let shown = [
        ("actor", i18n::ACTOR, q.actor.clone()),
        ("action", i18n::ACTION, q.action.clone()),
        ("object_type", i18n::OBJECT_TYPE, q.object_type.clone()),
        ("object_id", i18n::OBJECT_ID, q.object_id.clone()),
        ("since", i18n::SINCE, q.since.clone()),
        ("until", i18n::UNTIL, q.until.clone()),
    ];
    let (filter, limit) = filter_for(&viewer.who, q)?;
    let entries = state.store().ledger_entries(&filter, limit).await?;
    let older = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let mut older_link = String::from("/ledger?");
    for (name, _, value) in &shown {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            older_link.push_str(&format!("{name}={}&", super::auth::encode_next(v)));
        }
    }
    let scope = match viewer.who.account().actor().ledger_scope() {
        LedgerScope::All => i18n::LEDGER_SCOPE_ALL,
        LedgerScope::Organization(_) => i18n::LEDGER_SCOPE_OWN,
    };
    let body = html! {
        p.lead { (i18n::LEDGER_INTRO.get(lang)) " " (scope.get(lang)) }
        form.card.filters method="get" action="/ledger" {
            @for (name, label, value) in &shown {
                label { (label.get(lang))
                    input name=(name) value=(value.as_deref().unwrap_or(""))
                        placeholder=(if name.starts_with("since") || name.starts_with("until") { "2026-11-01" } else { "" }); }
            }
            button.primary type="submit" { (i18n::FILTER.get(lang)) }
        }
        @if entries.is_empty() {
            p { (i18n::NO_ENTRIES.get(lang)) }
        } @else {
            div.scroll { table.grid.ledger {
                thead { tr {
                    th { (i18n::SEQ.get(lang)) } th { (i18n::TIME.get(lang)) } th { (i18n::ACTOR.get(lang)) }
                    th { (i18n::ACTION.get(lang)) } th { (i18n::OBJECT_TYPE.get(lang)) } th { (i18n::OBJECT_ID.get(lang)) }
                    th { (i18n::SEGMENT.get(lang)) } th { (i18n::OUTCOME.get(lang)) } th { (i18n::REASON.get(lang)) }
                    th { (i18n::CLIENT.get(lang)) } th { (i18n::REQUEST_ID.get(lang)) }
                } }
                tbody { @for e in &entries {
                    @let d = &e.draft;
                    tr data-outcome=(d.outcome.as_str()) {
                        td { (e.seq) }
                        td { time { (super::local_time(d.at_ms)) } }
                        td { (d.actor_username.as_deref().unwrap_or("–")) }
                        td { code { (d.action) } }
                        td { (d.object_type) }
                        td { (d.object_id.as_deref().unwrap_or("–")) }
                        td { (d.segment.map(|s| s.as_str()).unwrap_or("–")) }
                        td { span.outcome { (outcome_text(d.outcome).get(lang)) } }
                        td { (d.reason.as_deref().unwrap_or("")) }
                        td { (d.client_addr.as_deref().unwrap_or("–")) }
                        td { code.small { (d.request_id.as_deref().unwrap_or("–")) } }
                    }
                } }
            } }
            @if let Some(seq) = older {
                p { a href={ (older_link) "before_seq=" (seq) } { (i18n::OLDER.get(lang)) " →" } }
            }
        }
    };
    Ok(layout(&viewer, i18n::LEDGER, "/ledger", body))
}
