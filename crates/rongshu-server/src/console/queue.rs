//! Each party's work queue on its workbench: what waits for it, with due
//! dates and working days left, overdue items first.

use maud::{Markup, html};
use rongshu_domain::PartyType;
use rongshu_domain::workflow::{
    AgreementStatus, AssessmentStatus, DeliveryTaskStatus, DemandListStatus, DemandStatus,
    DisputeStatus,
};
use rongshu_store::{DemandFilter, ResourceFilter, Store};
use rongshu_workflow::Due;

use super::i18n::{Lang, T};
use super::workflow_text as t;
use super::{Viewer, due_cell};
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// One thing waiting for the viewer's organisation.
struct Item {
    what: T,
    title: String,
    link: String,
    due: Option<Due>,
}

/// Overdue first, then by due date, then undated.
fn order(items: &mut [Item]) {
    items.sort_by_key(|i| (i.due.is_none(), i.due.map(|d| d.on)));
}

async fn demand_title(store: &Store, id: i64) -> Result<String, ApiError> {
    Ok(store.demand(id).await?.about.title)
}

pub(crate) async fn work_queue(state: &AppState, viewer: &Viewer) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let items = collect(state, viewer).await?;
    let overdue = items
        .iter()
        .filter(|i| i.due.is_some_and(|d| d.state.is_overdue()))
        .count();
    Ok(html! {
        @if items.is_empty() {
            p.muted { (t::QUEUE_EMPTY.get(lang)) }
        } @else {
            @if overdue > 0 { p.notice.error data-overdue=(overdue) { (overdue_words(lang, overdue)) } }
            table.grid.queue {
                thead { tr { th { (t::WHAT.get(lang)) } th { (t::TITLE.get(lang)) } th { (t::DUE.get(lang)) } } }
                tbody {
                    @for i in &items {
                        tr.overdue[i.due.is_some_and(|d| d.state.is_overdue())] {
                            td { (i.what.get(lang)) }
                            td { a href=(i.link) { (i.title) } }
                            td { @if let Some(due) = i.due { (due_cell(lang, due)) } }
                        }
                    }
                }
            }
        }
    })
}

fn overdue_words(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("{n} 项已逾期，已通知责任单位及其监督单位。"),
        Lang::En => {
            format!("{n} overdue: the responsible party and its supervisor have been told.")
        }
    }
}

async fn collect(state: &AppState, viewer: &Viewer) -> Result<Vec<Item>, ApiError> {
    let store = state.store();
    let flow = state.workflow();
    let account = viewer.who.account();
    let party = account.party;
    let mut items = Vec::new();
    let mut push = |what: T, title: String, link: String, due: Option<Due>| {
        items.push(Item {
            what,
            title,
            link,
            due,
        })
    };

    // Agreements waiting for this organisation's signature.
    for a in store.agreements(None, Some(account.org_id)).await? {
        let unsigned = a
            .signatures
            .iter()
            .any(|s| s.org_id == account.org_id && s.party == party && s.signature.is_none());
        if a.status == AgreementStatus::AwaitingSignatures && unsigned {
            push(
                t::agreement_kind(a.kind),
                format!("#{}", a.id),
                format!("/agreements/{}", a.id),
                None,
            );
        }
    }
    match party {
        PartyType::User => {
            let mine = DemandFilter {
                user_org_id: Some(account.org_id),
                ..DemandFilter::default()
            };
            for d in store.demands(&mine).await? {
                if matches!(d.status, DemandStatus::Draft | DemandStatus::Returned) {
                    push(
                        t::demand_status(d.status),
                        d.about.title,
                        format!("/demands/{}", d.id),
                        None,
                    );
                }
            }
        }
        PartyType::Operator => {
            for d in store.demands(&DemandFilter::default()).await? {
                if matches!(
                    d.status,
                    DemandStatus::PreReview | DemandStatus::Accepted | DemandStatus::OfficeReturned
                ) {
                    push(
                        t::demand_status(d.status),
                        d.about.title,
                        format!("/demands/{}", d.id),
                        None,
                    );
                }
            }
            for l in store.demand_lists().await? {
                if l.status == DemandListStatus::Draft {
                    push(t::LISTS, l.period, "/lists".into(), None);
                }
            }
        }
        PartyType::Governance => {
            for l in store.demand_lists().await? {
                if let (DemandListStatus::Submitted, Some(due)) = (l.status, l.due_on) {
                    let filter = DemandFilter {
                        list_id: Some(l.id),
                        status: Some(DemandStatus::OfficeReview),
                        ..DemandFilter::default()
                    };
                    for d in store.demands(&filter).await? {
                        push(
                            t::OFFICE_REVIEW,
                            d.about.title,
                            format!("/demands/{}", d.id),
                            Some(flow.due(due)),
                        );
                    }
                }
            }
            // The Office supervises providers: their overdue answers and
            // refusals of consented demands come to it too.
            for a in store.assessments(None, None).await? {
                let due = flow.due(a.due_on);
                if a.flagged {
                    push(
                        t::FLAGGED,
                        demand_title(store, a.demand_id).await?,
                        format!("/demands/{}", a.demand_id),
                        None,
                    );
                } else if a.status == AssessmentStatus::Pending && due.state.is_overdue() {
                    push(
                        t::ANSWER,
                        demand_title(store, a.demand_id).await?,
                        format!("/demands/{}", a.demand_id),
                        Some(due),
                    );
                }
            }
        }
        PartyType::Provider => {
            for a in store.assessments(None, Some(account.org_id)).await? {
                if a.status == AssessmentStatus::Pending {
                    push(
                        t::ANSWER,
                        demand_title(store, a.demand_id).await?,
                        format!("/demands/{}", a.demand_id),
                        Some(flow.due(a.due_on)),
                    );
                }
            }
            // Art. 14: authorized data is kept up to date at its declared
            // frequency.
            let own = ResourceFilter {
                provider_id: Some(account.org_id),
                ..ResourceFilter::default()
            };
            let now = now_ms();
            for r in store.resources(&own).await? {
                let late = r
                    .last_delivered_at_ms
                    .is_some_and(|last| r.about.update_frequency.is_late(last, now));
                if late {
                    push(
                        super::catalogue_text::LATE,
                        r.about.title,
                        format!("/catalogue/{}", r.code),
                        None,
                    );
                }
            }
        }
        PartyType::BigDataCenter => {}
        PartyType::Economy | PartyType::Expert => {}
    }
    // Deliveries: a provider's own; the Big Data Center, whose front system
    // carries them, sees all; the Office, the overdue ones.
    let deliveries = match party {
        PartyType::Provider => Some(Some(account.org_id)),
        PartyType::BigDataCenter | PartyType::Governance => Some(None),
        _ => None,
    };
    if let Some(provider) = deliveries {
        for task in store.delivery_tasks(provider).await? {
            let overdue = flow.due(task.due_on).state.is_overdue();
            if task.status == DeliveryTaskStatus::Open
                && (party != PartyType::Governance || overdue)
            {
                push(
                    t::DELIVERY_TASK,
                    format!("#{}", task.authorization_id),
                    format!("/authorizations/{}", task.authorization_id),
                    Some(flow.due(task.due_on)),
                );
            }
        }
    }
    for d in flow.visible_disputes(&account.actor()).await? {
        let waiting = match party {
            PartyType::Governance | PartyType::Economy => {
                matches!(d.status, DisputeStatus::Open | DisputeStatus::Coordinating)
            }
            PartyType::Expert => d.status == DisputeStatus::AwaitingExpert,
            _ => d.status.is_open(),
        };
        if waiting {
            push(t::DISPUTE, d.subject, format!("/disputes/{}", d.id), None);
        }
    }
    order(&mut items);
    Ok(items)
}
