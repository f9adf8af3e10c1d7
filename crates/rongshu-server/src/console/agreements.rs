//! Agreement, authorization and dispute pages, and the inbox.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_domain::workflow::{AuthorizationStatus, DisputeAction, DisputeStatus, Machine, Term};
use rongshu_domain::{PartyType, Role};
use serde::Deserialize;

use super::workflow_text as t;
use super::{CsrfForm, NoFields, Viewer, after_form, due_cell, layout};
use crate::context::Path;
use crate::error::ApiError;
use crate::state::AppState;

async fn org_name(state: &AppState, id: i64) -> Result<String, ApiError> {
    Ok(state.store().organization(id).await?.name)
}

async fn agreement_body(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let flow = state.workflow();
    let account = viewer.who.account();
    let a = flow.visible_agreement(&account.actor(), id).await?;
    let term = Term {
        from: a.term_from,
        until: a.term_until,
    };
    let in_force = a.status.in_force(term, flow.today());
    let mut signers = Vec::new();
    for s in &a.signatures {
        signers.push((s, org_name(state, s.org_id).await?));
    }
    let may_sign = account.role != Role::Auditor
        && a.signatures.iter().any(|s| {
            s.org_id == account.org_id && s.party == account.party && s.signature.is_none()
        });
    let body = html! {
        @if let Some(n) = notice { (n) }
        section.card {
            dl.facts {
                dt { (t::AGREEMENT.get(lang)) } dd { (t::agreement_kind(a.kind).get(lang)) " #" (a.id) }
                dt { (t::STATUS.get(lang)) } dd {
                    span.status data-status=(a.status.as_str()) { (t::agreement_status(a.status).get(lang)) }
                    " · " @if in_force { strong.in-force { (t::IN_FORCE.get(lang)) } } @else { span.muted { (t::NOT_IN_FORCE.get(lang)) } }
                }
                dt { (t::TERM.get(lang)) } dd { (a.term_from) " — " (a.term_until.map(|d| d.to_string()).unwrap_or_default()) }
                dt { (t::AUTHORIZATION.get(lang)) } dd { a href={ "/authorizations/" (a.authorization_id) } { "#" (a.authorization_id) } }
                @if let Some(d) = a.demand_id { dt { (t::DEMAND.get(lang)) } dd { a href={ "/demands/" (d) } { "#" (d) } } }
                dt { (t::DIGEST.get(lang)) } dd { code { (a.digest) } }
            }
            p { a href={ "/agreements/" (a.id) "/export" } { (t::EXPORT.get(lang)) } }
        }
        section.card {
            h2 { (t::SIGNATURES.get(lang)) }
            table.grid {
                tbody {
                    @for (s, name) in &signers {
                        tr data-party=(s.party.as_str()) data-signed=(s.signature.is_some()) {
                            td { (super::i18n::party_name(s.party).get(lang)) }
                            td { (name) }
                            td { @if s.signature.is_some() { (t::SIGNED.get(lang)) " " (s.signed_at_ms.map(super::local_time).unwrap_or_default()) } @else { (t::UNSIGNED.get(lang)) } }
                        }
                    }
                }
            }
            @if may_sign {
                form method="post" action={ "/agreements/" (a.id) "/sign" } {
                    input type="hidden" name="csrf" value=(viewer.csrf_token());
                    button type="submit" data-action="sign" { (t::SIGN.get(lang)) }
                }
            }
        }
        section.card { pre.agreement { (a.body) } }
    };
    Ok(layout(viewer, t::AGREEMENT, "/demands", body))
}

pub(crate) async fn agreement_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    agreement_body(&state, &viewer, id, None).await
}

pub(crate) async fn sign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .sign(&who.account().actor(), &who.ctx, id)
        .await;
    after_form(&f.viewer, result, &format!("/agreements/{id}"), |n| {
        agreement_body(&state, &f.viewer, id, Some(n))
    })
    .await
}

/// The agreement file for `rongshu agreement verify`.
pub(crate) async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    crate::api::workflow::agreement_file(&state, &viewer.who, id).await
}

async fn authorization_body(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let flow = state.workflow();
    let account = viewer.who.account();
    let a = flow.visible_authorization(&account.actor(), id).await?;
    let task = state.store().delivery_task_of(id).await?;
    let agreements = state.store().agreements(Some(id), None).await?;
    let disputes: Vec<_> = flow
        .visible_disputes(&account.actor())
        .await?
        .into_iter()
        .filter(|d| d.authorization_id == id)
        .collect();
    let mut resources = Vec::new();
    for r in &a.scope.resources {
        resources.push(state.store().resource(r.resource_id).await?);
    }
    let acting = account.role != Role::Auditor;
    let own = account.org_id == a.provider_org_id;
    let side = own || account.party == PartyType::Operator;
    let csrf = viewer.csrf_token();
    let body = html! {
        @if let Some(n) = notice { (n) }
        section.card {
            dl.facts {
                dt { (t::AUTHORIZATION.get(lang)) } dd { "#" (a.id) @if a.standing { " · " (t::STANDING.get(lang)) } }
                dt { (t::STATUS.get(lang)) } dd { span.status data-status=(a.status.as_str()) { (t::authorization_status(a.status).get(lang)) } }
                dt { (t::PROVIDER.get(lang)) } dd { (org_name(state, a.provider_org_id).await?) }
                dt { (t::SCOPE.get(lang)) } dd { @for r in &resources { a href={ "/catalogue/" (r.code) } { (r.about.title) } " " } }
                dt { (t::SCENARIO.get(lang)) } dd { (a.scope.scenario) }
                dt { (t::MODES.get(lang)) } dd { @for m in &a.scope.modes { (t::mode(*m).get(lang)) " " } }
                dt { (t::DEIDENTIFICATION.get(lang)) } dd { (t::deidentification(&a.scope.deidentification).get(lang)) }
                dt { (t::QUOTA.get(lang)) } dd { (a.scope.quota) }
                dt { (t::DAILY_USE_LIMIT.get(lang)) } dd { @match a.scope.daily_use_limit { Some(limit) => (limit), None => (t::NO_DAILY_LIMIT.get(lang)) } }
                dt { (t::TERM.get(lang)) } dd { (a.scope.term_from) " — " (a.scope.term_until.map(|d| d.to_string()).unwrap_or_default()) }
                @if let Some(grounds) = &a.termination_grounds { dt { (t::TERMINATION_GROUNDS.get(lang)) } dd.note { (grounds) } }
            }
        }
        @if let Some(task) = &task {
            section.card {
                h2 { (t::DELIVERY_TASK.get(lang)) }
                p data-task=(task.status.as_str()) {
                    (t::task_status(task.status).get(lang))
                    @if task.status == rongshu_domain::workflow::DeliveryTaskStatus::Open { " · " (due_cell(lang, flow.due(task.due_on))) }
                }
            }
        }
        section.card {
            h2 { (t::AGREEMENTS.get(lang)) }
            ul { @for ag in &agreements { li data-agreement=(ag.status.as_str()) { a href={ "/agreements/" (ag.id) } { (t::agreement_kind(ag.kind).get(lang)) " #" (ag.id) } " · " (t::agreement_status(ag.status).get(lang)) } } }
        }
        @if !disputes.is_empty() {
            section.card {
                h2 { (t::DISPUTES.get(lang)) }
                ul { @for d in &disputes { li { a href={ "/disputes/" (d.id) } { (d.subject) } " · " (t::dispute_status(d.status).get(lang)) } } }
            }
        }
        @if acting && own && a.status == AuthorizationStatus::Active && !a.standing {
            section.card {
                h2 { (t::TERMINATE.get(lang)) }
                p.muted { (t::TERMINATE_HINT.get(lang)) }
                form.stack method="post" action={ "/authorizations/" (a.id) "/terminate" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label { (t::TERMINATION_GROUNDS.get(lang)) textarea name="grounds" rows="2" required {} }
                    button.danger type="submit" data-action="terminate" { (t::TERMINATE.get(lang)) }
                }
            }
        }
        @if acting && side {
            section.card {
                h2 { (t::RAISE_DISPUTE.get(lang)) }
                form.stack method="post" action={ "/authorizations/" (a.id) "/disputes" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label { (t::SUBJECT.get(lang)) input type="text" name="subject" required maxlength="200"; }
                    label { (t::STATEMENT.get(lang)) textarea name="statement" rows="3" required {} }
                    button type="submit" data-action="raise-dispute" { (t::RAISE_DISPUTE.get(lang)) }
                }
            }
        }
    };
    Ok(layout(viewer, t::AUTHORIZATION, "/demands", body))
}

pub(crate) async fn authorization_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    authorization_body(&state, &viewer, id, None).await
}

#[derive(Deserialize)]
pub(crate) struct TerminateForm {
    grounds: String,
}

pub(crate) async fn terminate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<TerminateForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .terminate(&who.account().actor(), &who.ctx, id, &f.form.grounds)
        .await;
    after_form(&f.viewer, result, &format!("/authorizations/{id}"), |n| {
        authorization_body(&state, &f.viewer, id, Some(n))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct DisputeForm {
    subject: String,
    statement: String,
}

pub(crate) async fn raise_dispute(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<DisputeForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .raise_dispute(
            &who.account().actor(),
            &who.ctx,
            id,
            &f.form.subject,
            &f.form.statement,
        )
        .await;
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/disputes/{}", d.id)).into_response()),
        Err(e) => {
            after_form(&f.viewer, Err::<(), _>(e), "", |n| {
                authorization_body(&state, &f.viewer, id, Some(n))
            })
            .await
        }
    }
}

async fn dispute_body(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let account = viewer.who.account();
    let d = state
        .workflow()
        .visible_disputes(&account.actor())
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(ApiError::NotFound {
            what: "dispute",
            id: id.to_string(),
        })?;
    let csrf = viewer.csrf_token();
    let acting = account.role != Role::Auditor;
    let steps: Vec<(DisputeAction, super::i18n::T, bool)> = [
        (DisputeAction::TakeUp, t::TAKE_UP, false),
        (DisputeAction::RequestOpinion, t::REQUEST_OPINION, false),
        (DisputeAction::GiveOpinion, t::GIVE_OPINION, true),
        (DisputeAction::Resolve, t::RESOLVE, true),
        (DisputeAction::Withdraw, t::WITHDRAW, false),
    ]
    .into_iter()
    .filter(|(action, ..)| {
        d.status.after(*action).is_some()
            && DisputeStatus::taken_by(*action).contains(account.party)
            && (*action != DisputeAction::Withdraw || account.org_id == d.raised_by_org)
    })
    .collect();
    let body = html! {
        @if let Some(n) = notice { (n) }
        section.card {
            dl.facts {
                dt { (t::SUBJECT.get(lang)) } dd { (d.subject) }
                dt { (t::STATUS.get(lang)) } dd { span.status data-status=(d.status.as_str()) { (t::dispute_status(d.status).get(lang)) } }
                dt { (t::AUTHORIZATION.get(lang)) } dd { a href={ "/authorizations/" (d.authorization_id) } { "#" (d.authorization_id) } }
                dt { (t::STATEMENT.get(lang)) } dd { (d.statement) }
                dt { (t::EXPERT_OPINION.get(lang)) } dd { (d.expert_opinion) }
                dt { (t::RESOLUTION.get(lang)) } dd { (d.resolution) }
            }
        }
        @if acting && !steps.is_empty() {
            section.card.actions {
                @for (action, label, text) in &steps {
                    form.inline method="post" action={ "/disputes/" (d.id) "/steps" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="action" value=(action.as_str());
                        @if *text { textarea name="note" rows="2" required {} } @else { input type="text" name="note"; }
                        button type="submit" data-action=(action.as_str()) { (label.get(lang)) }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::DISPUTE, "/demands", body))
}

pub(crate) async fn dispute_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    dispute_body(&state, &viewer, id, None).await
}

#[derive(Deserialize)]
pub(crate) struct DisputeStepForm {
    action: String,
    #[serde(default)]
    note: String,
}

pub(crate) async fn dispute_step(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<DisputeStepForm>,
) -> Result<Response, ApiError> {
    let action: DisputeAction = f.form.action.parse()?;
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .dispute_step(&who.account().actor(), &who.ctx, id, action, &f.form.note)
        .await;
    after_form(&f.viewer, result, &format!("/disputes/{id}"), |n| {
        dispute_body(&state, &f.viewer, id, Some(n))
    })
    .await
}

pub(crate) async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let account = viewer.who.account();
    let notices = state
        .store()
        .notifications(account.org_id, account.id, 200)
        .await?;
    let body = html! {
        @if notices.is_empty() {
            p.muted { (t::NO_NOTICES.get(lang)) }
        } @else {
            form method="post" action="/inbox/read" {
                input type="hidden" name="csrf" value=(viewer.csrf_token());
                button.secondary type="submit" data-action="read-all" { (t::MARK_ALL_READ.get(lang)) }
            }
            table.grid {
                tbody {
                    @for n in &notices {
                        tr.unread[n.read_at_ms.is_none()] data-kind=(n.notice.kind) {
                            td { (super::local_time(n.created_at_ms)) }
                            td { @if n.read_at_ms.is_none() { strong { (t::UNREAD.get(lang)) } " " } (t::notice(&n.notice.kind).get(lang)) }
                            td { a href=(subject_path(&n.notice.subject_type, n.notice.subject_id)) { (t::OPEN.get(lang)) } }
                            td { (n.notice.message) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, t::INBOX, "/inbox", body))
}

/// The console page of a notice's subject.
pub(crate) fn subject_path(subject_type: &str, id: i64) -> String {
    match subject_type {
        "demand-list" => "/lists".to_owned(),
        "delivery-task" => "/home".to_owned(),
        // Suspensions are followed on their list, one card each.
        "suspension" => "/suspensions".to_owned(),
        "consulting-order" => format!("/consulting/{id}"),
        other => format!("/{other}s/{id}"),
    }
}

pub(crate) async fn mark_read(
    State(state): State<AppState>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    crate::api::workflow::read_notices(&state, &f.viewer.who, None).await?;
    Ok(Redirect::to("/inbox").into_response())
}
