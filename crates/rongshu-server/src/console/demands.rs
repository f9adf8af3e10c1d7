//! Demand pages: the list, the form, one demand with the steps its viewer
//! may take (pre-review, the Office's review, a provider's answer), and
//! the operator's demand lists.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_domain::PartyType;
use rongshu_domain::resource::{DeidentificationLevel, ServiceMode};
use rongshu_domain::workflow::{AssessmentStatus, DemandAction, DemandListStatus, DemandStatus};
use rongshu_store::{Demand, ResourceFilter};
use rongshu_workflow::{Answer, AuthorizationTerms, DemandDraft, ListItemDecision};
use serde::Deserialize;

use super::i18n::Lang;
use super::workflow_text as t;
use super::{
    CsrfForm, Viewer, after_form, due_cell, layout, number, optional_number, page_with_problem,
    problem_notice,
};
use crate::context::Path;
use crate::error::ApiError;
use crate::state::AppState;

fn on(map: &HashMap<String, String>, prefix: &str) -> Vec<String> {
    let mut picked: Vec<String> = map
        .iter()
        .filter(|(_, v)| v.as_str() == "on")
        .filter_map(|(k, _)| k.strip_prefix(prefix).map(str::to_owned))
        .collect();
    picked.sort();
    picked
}

fn modes_checkboxes(lang: Lang, checked: &[ServiceMode]) -> Markup {
    html! {
        fieldset.modes {
            legend { (t::MODES.get(lang)) }
            @for m in ServiceMode::ALL {
                label.check {
                    input type="checkbox" name={ "mode." (m.as_str()) } checked[checked.contains(&m)];
                    " " (t::mode(m).get(lang))
                }
            }
        }
    }
}

pub(crate) async fn demands_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let demands = state
        .workflow()
        .visible_demands(&viewer.who.account().actor())
        .await?;
    let orgs = org_names(&state).await?;
    let party = viewer.who.account().party;
    let body = html! {
        p.muted { (t::DEMANDS_INTRO.get(lang)) }
        @if matches!(party, PartyType::User | PartyType::Operator) {
            p { a.button href="/demands/new" { (t::NEW_DEMAND.get(lang)) } }
        }
        @if demands.is_empty() {
            p.muted { (t::NO_DEMANDS.get(lang)) }
        } @else {
            table.grid {
                thead { tr { th { "#" } th { (t::TITLE.get(lang)) } th { (t::USER.get(lang)) } th { (t::STATUS.get(lang)) } th { (t::CREATED.get(lang)) } } }
                tbody {
                    @for d in &demands {
                        tr data-demand=(d.id) {
                            td { (d.id) }
                            td { a href={ "/demands/" (d.id) } { (d.about.title) } }
                            td { (orgs.get(&d.user_org_id).cloned().unwrap_or_default()) }
                            td { span.status data-status=(d.status.as_str()) { (t::demand_status(d.status).get(lang)) } }
                            td { (super::local_time(d.created_at_ms)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, t::DEMANDS, "/demands", body))
}

async fn org_names(state: &AppState) -> Result<HashMap<i64, String>, ApiError> {
    Ok(state
        .store()
        .organizations()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

async fn demand_form(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let mut resources = Vec::new();
    for r in state.store().resources(&ResourceFilter::default()).await? {
        let fields = state.store().resource_fields(r.id).await?;
        resources.push((r, fields));
    }
    let users: Vec<_> = state
        .store()
        .organizations()
        .await?
        .into_iter()
        .filter(|o| o.party == PartyType::User)
        .collect();
    let operator = viewer.who.account().party == PartyType::Operator;
    let body = html! {
        @if let Some(n) = notice { (n) }
        form.stack method="post" action="/demands" {
            input type="hidden" name="csrf" value=(viewer.csrf_token());
            @if operator {
                label { (t::USER.get(lang))
                    select name="user_org" required {
                        @for u in &users { option value=(u.id) { (u.name) } }
                    }
                }
            }
            label { (t::TITLE.get(lang)) input type="text" name="title" required maxlength="200"; }
            fieldset.items {
                legend { (t::RESOURCES.get(lang)) }
                p.muted { (t::RESOURCES_HINT.get(lang)) }
                @for (r, fields) in &resources {
                    div.item {
                        label.check {
                            input type="checkbox" name={ "item." (r.code) };
                            " " (r.about.title) " · " (r.provider_name)
                            @if r.about.open_data { " · " (super::catalogue_text::OPEN.get(lang)) }
                        }
                        @if !fields.is_empty() {
                            details {
                                summary { (t::PICK_FIELDS.get(lang)) }
                                @for f in fields {
                                    label.check { input type="checkbox" name={ "field." (r.code) "." (f.name) }; " " (f.name) }
                                }
                            }
                        }
                    }
                }
            }
            label { (t::WANTED.get(lang)) textarea name="wanted" rows="2" {} }
            (modes_checkboxes(lang, &[]))
            label { (t::SCENARIO.get(lang)) textarea name="scenario" rows="3" required {} }
            label { (t::PURPOSE.get(lang)) textarea name="purpose" rows="2" required {} }
            label { (t::TERM_MONTHS.get(lang)) input type="number" name="term_months" min="1" max="60" value="12" required; }
            label { (t::CONSENT.get(lang)) textarea name="consent" rows="2" {} }
            label.check { input type="checkbox" name="public_interest"; " " (t::PUBLIC_INTEREST.get(lang)) }
            div.actions {
                button type="submit" name="submit" value="submit" { (t::SUBMIT.get(lang)) }
                button.secondary type="submit" name="submit" value="draft" { (t::SAVE_DRAFT.get(lang)) }
            }
        }
    };
    Ok(layout(viewer, t::NEW_DEMAND, "/demands", body))
}

pub(crate) async fn new_demand_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    demand_form(&state, &viewer, None).await
}

#[derive(Deserialize)]
pub(crate) struct DemandForm {
    title: String,
    #[serde(default)]
    wanted: String,
    scenario: String,
    purpose: String,
    term_months: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    public_interest: String,
    #[serde(default)]
    submit: String,
    #[serde(default)]
    user_org: String,
    /// `item.<resource code>` and `mode.<mode>` checkboxes.
    #[serde(flatten)]
    checks: HashMap<String, String>,
}

pub(crate) async fn create_demand(
    State(state): State<AppState>,
    f: CsrfForm<DemandForm>,
) -> Result<Response, ApiError> {
    let form = &f.form;
    let draft = DemandDraft {
        title: form.title.clone(),
        wanted: form.wanted.clone(),
        modes: on(&form.checks, "mode."),
        scenario: form.scenario.clone(),
        purpose: form.purpose.clone(),
        term_months: form.term_months.trim().parse().unwrap_or(0),
        consent: form.consent.clone(),
        public_interest: form.public_interest == "on",
        items: on(&form.checks, "item.")
            .into_iter()
            .map(|code| {
                let fields = on(&form.checks, &format!("field.{code}."));
                (code, fields)
            })
            .collect(),
    };
    let who = &f.viewer.who;
    let on_behalf_of = match form.user_org.trim() {
        "" => None,
        org => Some(number("user_org", org)?),
    };
    let filed = state
        .workflow()
        .file_demand(
            &who.account().actor(),
            &who.ctx,
            on_behalf_of,
            &draft,
            form.submit == "submit",
        )
        .await;
    match filed {
        Ok(d) => Ok(Redirect::to(&format!("/demands/{}", d.id)).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            let page =
                demand_form(&state, &f.viewer, Some(problem_notice(f.viewer.lang, &e))).await?;
            Ok(page_with_problem(e.status(), e.code(), page))
        }
    }
}

pub(crate) async fn demand_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    let demand = state
        .workflow()
        .visible_demand(&viewer.who.account().actor(), id)
        .await?;
    demand_body(&state, &viewer, &demand, None).await
}

/// After a step on a demand: back to its page, or the page with the
/// step's failure on top.
async fn after_step(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    result: Result<Demand, rongshu_workflow::WorkflowError>,
) -> Result<Response, ApiError> {
    after_form(viewer, result, &format!("/demands/{id}"), async |notice| {
        let demand = state
            .workflow()
            .visible_demand(&viewer.who.account().actor(), id)
            .await?;
        demand_body(state, viewer, &demand, Some(notice)).await
    })
    .await
}

async fn demand_body(
    state: &AppState,
    viewer: &Viewer,
    d: &Demand,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let flow = state.workflow();
    let account = viewer.who.account();
    let orgs = org_names(state).await?;
    let mut items = Vec::new();
    for item in &d.about.items {
        items.push(state.store().resource(item.resource_id).await?);
    }
    let assessments = state.store().assessments(Some(d.id), None).await?;
    let agreements = state.store().agreements_of_demand(d.id).await?;
    let lists: Vec<_> = state
        .store()
        .demand_lists()
        .await?
        .into_iter()
        .filter(|l| l.status == DemandListStatus::Draft)
        .collect();
    let evidence = state.store().consent_evidence(d.id).await?;
    let providers: Vec<(i64, String)> = state
        .store()
        .organizations()
        .await?
        .into_iter()
        .filter(|o| o.party == PartyType::Provider)
        .map(|o| (o.id, o.name))
        .collect();
    let csrf = viewer.csrf_token();
    let mine = account.org_id == d.user_org_id;
    let operator = account.party == PartyType::Operator;
    let acting = account.role != rongshu_domain::Role::Auditor;
    let step = |action: DemandAction, label: super::i18n::T, reason: bool| {
        html! {
            form.inline method="post" action={ "/demands/" (d.id) "/steps" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="action" value=(action.as_str());
                @if reason { input type="text" name="note" placeholder=(t::REASONS.get(lang)) data-for=(action.as_str()); }
                button type="submit" data-action=(action.as_str()) { (label.get(lang)) }
            }
        }
    };
    // Only the steps this viewer may take now.
    let actions = html! {
        @if acting {
            @if (mine || operator) && d.status.is_editable() {
                (step(DemandAction::Submit, t::SUBMIT, false))
                form #evidence method="post" action={ "/demands/" (d.id) "/consent-evidence" } data-csrf=(csrf) {
                    label { (t::EVIDENCE.get(lang)) input type="file" name="file" required; }
                    button type="submit" data-action="evidence" { (t::UPLOAD_EVIDENCE.get(lang)) }
                    progress max="100" value="0" hidden {}
                    p role="status" {}
                }
                script src="/assets/deliver.js" {}
            }
            @if mine && account.party == PartyType::User && matches!(d.status, DemandStatus::Draft | DemandStatus::PreReview | DemandStatus::Returned) {
                (step(DemandAction::Withdraw, t::WITHDRAW, false))
            }
            @if operator && d.status == DemandStatus::PreReview {
                h2 { (t::PRE_REVIEW.get(lang)) }
                @if d.about.wanted.is_empty() {
                    (step(DemandAction::Accept, t::ACCEPT, true))
                } @else {
                    form.inline method="post" action={ "/demands/" (d.id) "/steps" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="action" value="accept";
                        fieldset {
                            legend { (t::HOLDERS.get(lang)) }
                            @for (id, name) in &providers {
                                label.check { input type="checkbox" name={ "provider." (id) }; " " (name) }
                            }
                        }
                        input type="text" name="note" placeholder=(t::REASONS.get(lang)) data-for="accept";
                        button type="submit" data-action="accept" { (t::ACCEPT.get(lang)) }
                    }
                }
                (step(DemandAction::Return, t::RETURN, true))
                (step(DemandAction::Reject, t::REJECT, true))
            }
            @if operator && d.status == DemandStatus::OfficeReturned {
                (step(DemandAction::Requeue, t::REQUEUE, false))
                (step(DemandAction::Reject, t::REJECT, true))
            }
            @if operator && d.status == DemandStatus::Accepted {
                form.inline method="post" action={ "/demands/" (d.id) "/list" } {
                    input type="hidden" name="csrf" value=(csrf);
                    select name="list" { @for l in &lists { option value=(l.id) { (l.period) } } }
                    button type="submit" data-action="list" { (t::ADD_TO_LIST.get(lang)) }
                }
                @if lists.is_empty() { p.muted { a href="/lists" { (t::NEW_LIST.get(lang)) } } }
            }
            @if account.party == PartyType::Governance && d.status == DemandStatus::OfficeReview {
                h2 { (t::OFFICE_REVIEW.get(lang)) }
                form.inline method="post" action={ "/demands/" (d.id) "/review" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="text" name="reason" placeholder=(t::REASONS.get(lang));
                    button type="submit" name="decision" value="pass" data-action="pass" { (t::PASS.get(lang)) }
                    button.secondary type="submit" name="decision" value="return" data-action="office-return" { (t::OFFICE_RETURN.get(lang)) }
                }
            }
        }
    };
    let body = html! {
        @if let Some(n) = notice { (n) }
        section.card {
            h2 { (d.about.title) }
            dl.facts {
                dt { (t::STATUS.get(lang)) } dd { span.status data-status=(d.status.as_str()) { (t::demand_status(d.status).get(lang)) } }
                dt { (t::USER.get(lang)) } dd { (orgs.get(&d.user_org_id).cloned().unwrap_or_default()) }
                dt { (t::RESOURCES.get(lang)) } dd {
                    @if items.is_empty() { (t::NONE.get(lang)) }
                    @for r in &items { a href={ "/catalogue/" (r.code) } { (r.about.title) } " (" (r.provider_name) ") " }
                }
                @if !d.about.wanted.is_empty() { dt { (t::WANTED.get(lang)) } dd { (d.about.wanted) } }
                dt { (t::MODES.get(lang)) } dd { @for m in &d.about.modes { (t::mode(*m).get(lang)) " " } }
                dt { (t::SCENARIO.get(lang)) } dd { (d.about.scenario) }
                dt { (t::PURPOSE.get(lang)) } dd { (d.about.purpose) }
                dt { (t::TERM_MONTHS.get(lang)) } dd { (d.about.term_months) }
                dt { (t::CONSENT.get(lang)) } dd {
                    @if d.about.consent.is_empty() { (t::NONE.get(lang)) } @else { (d.about.consent) }
                    @if let Some(e) = &evidence {
                        br;
                        a href={ "/demands/" (d.id) "/consent-evidence" } data-evidence=(e.digest) { (e.file_name) }
                        " (" (e.byte_size) " B, SM3 " code.digest { (e.digest.get(..16).unwrap_or_default()) "…" } ")"
                    }
                }
                @if d.about.public_interest { dt { (t::PUBLIC_INTEREST.get(lang)) } dd.public-interest { "✓" } }
                @if !d.note.is_empty() { dt { (t::NOTE.get(lang)) } dd.note { (d.note) } }
            }
        }
        @if !actions.0.is_empty() {
            section.card.actions { (actions) }
        }
        @if !assessments.is_empty() {
            section.card {
                h2 { (t::ASSESSMENTS.get(lang)) }
                table.grid {
                    thead { tr { th { (t::PROVIDER.get(lang)) } th { (t::STATUS.get(lang)) } th { (t::DUE.get(lang)) } th { (t::GROUNDS.get(lang)) } th { (t::AUTHORIZATION.get(lang)) } } }
                    tbody {
                        @for a in &assessments {
                            tr data-assessment=(a.id) {
                                td { (orgs.get(&a.provider_org_id).cloned().unwrap_or_default()) }
                                td { (t::assessment_status(a.status).get(lang)) @if a.flagged { " · " strong { (t::FLAGGED.get(lang)) } } }
                                td { @if a.status == AssessmentStatus::Pending { (due_cell(lang, flow.due(a.due_on))) } }
                                td { (a.grounds) }
                                td { @if let Some(auth) = a.authorization_id { a href={ "/authorizations/" (auth) } { "#" (auth) } } }
                            }
                        }
                    }
                }
                @for a in &assessments {
                    @if acting && a.status == AssessmentStatus::Pending && account.party == PartyType::Provider && account.org_id == a.provider_org_id {
                        (answer_form(lang, csrf, d, a.id, &items.iter().filter(|r| r.provider_id == a.provider_org_id).collect::<Vec<_>>()))
                    }
                }
            }
        }
        @if !agreements.is_empty() {
            section.card {
                h2 { (t::AGREEMENTS.get(lang)) }
                ul {
                    @for a in &agreements {
                        li { a href={ "/agreements/" (a.id) } { (t::agreement_kind(a.kind).get(lang)) " #" (a.id) } " · " (t::agreement_status(a.status).get(lang)) }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::DEMAND, "/demands", body))
}

/// A provider's answer; `asked` are the demand's resources it holds.
fn answer_form(
    lang: Lang,
    csrf: &str,
    d: &Demand,
    assessment: i64,
    asked: &[&rongshu_store::Resource],
) -> Markup {
    let consented = !d.about.consent.is_empty();
    html! {
        form.stack.answer method="post" action={ "/demands/" (d.id) "/answer" } {
            h3 { (t::ANSWER.get(lang)) }
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="assessment" value=(assessment);
            @if asked.len() > 1 {
                fieldset {
                    legend { (t::SCOPE.get(lang)) }
                    input type="hidden" name="narrow" value="on";
                    @for r in asked {
                        label.check { input type="checkbox" name={ "resource." (r.code) } checked; " " (r.about.title) }
                    }
                }
            }
            (modes_checkboxes(lang, &d.about.modes))
            label { (t::DEIDENTIFICATION.get(lang))
                select name="deidentification" {
                    @for level in DeidentificationLevel::CHOSEN_BY_PROVIDERS { option value=(level.as_str()) { (t::deidentification(level.as_str()).get(lang)) } }
                }
            }
            label.check { input type="checkbox" name="reidentification"; " " (t::REIDENTIFICATION.get(lang)) }
            label { (t::QUOTA.get(lang)) input type="text" name="quota"; }
            label { (t::DAILY_USE_LIMIT.get(lang)) input name="daily_use_limit" inputmode="numeric" placeholder=(t::NO_DAILY_LIMIT.get(lang)); }
            label { (t::CONDITIONS.get(lang)) textarea name="conditions" rows="2" {} }
            label { (t::TERM_UNTIL.get(lang)) input type="date" name="term_until"; }
            button type="submit" name="decision" value="authorize" data-action="authorize" { (t::AUTHORIZE.get(lang)) }
            @if consented { p.notice { (t::CONSENT_REFUSAL.get(lang)) } }
            label { (t::GROUNDS.get(lang)) textarea name="grounds" rows="2" {} }
            button.secondary type="submit" name="decision" value="refuse" data-action="refuse" { (t::REFUSE.get(lang)) }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct StepForm {
    action: String,
    #[serde(default)]
    note: String,
    /// On accept: `provider.<org id>` checkboxes naming who holds
    /// uncatalogued data.
    #[serde(flatten)]
    checks: HashMap<String, String>,
}

pub(crate) async fn demand_step(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<StepForm>,
) -> Result<Response, ApiError> {
    let action: DemandAction = f.form.action.parse()?;
    let providers = on(&f.form.checks, "provider.")
        .iter()
        .map(|id| number("providers", id))
        .collect::<Result<Vec<_>, _>>()?;
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .demand_step(
            &who.account().actor(),
            &who.ctx,
            id,
            action,
            &f.form.note,
            &providers,
        )
        .await;
    after_step(&state, &f.viewer, id, result).await
}

#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<ReviewForm>,
) -> Result<Response, ApiError> {
    let decision = if f.form.decision == "pass" {
        ListItemDecision::Pass
    } else {
        ListItemDecision::Return
    };
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .review_item(
            &who.account().actor(),
            &who.ctx,
            id,
            decision,
            &f.form.reason,
        )
        .await;
    after_step(&state, &f.viewer, id, result).await
}

#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    assessment: String,
    decision: String,
    #[serde(default)]
    grounds: String,
    #[serde(default)]
    deidentification: String,
    #[serde(default)]
    reidentification: Option<String>,
    #[serde(default)]
    quota: String,
    #[serde(default)]
    daily_use_limit: String,
    #[serde(default)]
    conditions: String,
    #[serde(default)]
    term_until: String,
    /// `mode.<mode>` checkboxes.
    #[serde(flatten)]
    checks: HashMap<String, String>,
}

pub(crate) async fn answer(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<AnswerForm>,
) -> Result<Response, ApiError> {
    let form = &f.form;
    let answer = if form.decision == "refuse" {
        Answer::Refuse {
            grounds: form.grounds.clone(),
        }
    } else {
        let term_until = match form.term_until.trim() {
            "" => None,
            day => Some(
                day.parse()
                    .map_err(|_| ApiError::invalid("term_until", "must be a date, YYYY-MM-DD"))?,
            ),
        };
        Answer::Authorize(AuthorizationTerms {
            resources: narrowed(&state, id, &form.checks).await?,
            modes: on(&form.checks, "mode."),
            deidentification: form.deidentification.clone(),
            reidentification: form.reidentification.is_some(),
            quota: form.quota.clone(),
            daily_use_limit: optional_number("daily_use_limit", &form.daily_use_limit)?,
            conditions: form.conditions.clone(),
            term_until,
            ..AuthorizationTerms::default()
        })
    };
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .answer(
            &who.account().actor(),
            &who.ctx,
            number("assessment", &form.assessment)?,
            &answer,
        )
        .await;
    after_step(&state, &f.viewer, id, result).await
}

/// The resources a provider ticked in its answer, with the fields the
/// demand asked of each; none (as asked) when the form offered no choice.
async fn narrowed(
    state: &AppState,
    demand_id: i64,
    checks: &HashMap<String, String>,
) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    if !checks.contains_key("narrow") {
        return Ok(Vec::new());
    }
    let ticked = on(checks, "resource.");
    if ticked.is_empty() {
        return Err(ApiError::invalid(
            "resources",
            "tick at least one resource, or refuse",
        ));
    }
    let demand = state.store().demand(demand_id).await?;
    let mut resources = Vec::new();
    for code in ticked {
        let resource = state.store().resource_by_code(&code).await?;
        let fields = demand
            .about
            .items
            .iter()
            .find(|i| i.resource_id == resource.id)
            .map(|i| i.fields.clone())
            .unwrap_or_default();
        resources.push((code, fields));
    }
    Ok(resources)
}

#[derive(Deserialize)]
pub(crate) struct ListChoice {
    list: String,
}

pub(crate) async fn put_on_list(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<ListChoice>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .set_listed(
            &who.account().actor(),
            &who.ctx,
            number("list", &f.form.list)?,
            id,
            true,
        )
        .await;
    after_step(&state, &f.viewer, id, result).await
}

async fn lists_body(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let flow = state.workflow();
    let lists = state.store().demand_lists().await?;
    let operator = viewer.who.account().party == PartyType::Operator
        && viewer.who.account().role != rongshu_domain::Role::Auditor;
    let csrf = viewer.csrf_token();
    let mut rows = Vec::new();
    for l in &lists {
        let filter = rongshu_store::DemandFilter {
            list_id: Some(l.id),
            ..Default::default()
        };
        rows.push((l, state.store().demands(&filter).await?));
    }
    let body = html! {
        @if let Some(n) = notice { (n) }
        @if operator {
            form.inline method="post" action="/lists" {
                input type="hidden" name="csrf" value=(csrf);
                input type="text" name="period" placeholder=(t::PERIOD.get(lang)) required;
                button type="submit" data-action="new-list" { (t::NEW_LIST.get(lang)) }
            }
        }
        @if lists.is_empty() { p.muted { (t::NO_LISTS.get(lang)) } }
        @for (l, demands) in &rows {
            section.card data-list=(l.id) {
                h2 { (t::LIST.get(lang)) " " (l.period) " · " (t::list_status(l.status).get(lang)) }
                @if let (Some(due), DemandListStatus::Submitted) = (l.due_on, l.status) { p { (t::DUE.get(lang)) ": " (due_cell(lang, flow.due(due))) } }
                ul { @for d in demands { li { a href={ "/demands/" (d.id) } { (d.about.title) } " · " (t::demand_status(d.status).get(lang)) } } }
                @if operator && l.status == DemandListStatus::Draft && !demands.is_empty() {
                    form.inline method="post" action={ "/lists/" (l.id) "/submit" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" data-action="submit-list" { (t::SUBMIT_LIST.get(lang)) }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::LISTS, "/lists", body))
}

pub(crate) async fn lists_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    lists_body(&state, &viewer, None).await
}

async fn after_list_step<T>(
    state: &AppState,
    viewer: &Viewer,
    result: Result<T, rongshu_workflow::WorkflowError>,
) -> Result<Response, ApiError> {
    after_form(viewer, result, "/lists", async |notice| {
        lists_body(state, viewer, Some(notice)).await
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct NewListForm {
    period: String,
}

pub(crate) async fn create_list(
    State(state): State<AppState>,
    f: CsrfForm<NewListForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .create_list(&who.account().actor(), &who.ctx, &f.form.period)
        .await;
    after_list_step(&state, &f.viewer, result).await
}

pub(crate) async fn submit_list(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<super::NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let result = state
        .workflow()
        .submit_list(&who.account().actor(), &who.ctx, id)
        .await;
    after_list_step(&state, &f.viewer, result).await
}

/// The consent evidence upload: the body is the file; the session's CSRF
/// token comes in a header (the page's script sends it).
pub(crate) async fn upload_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    crate::context::Query(q): crate::context::Query<crate::api::workflow_types::EvidenceQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    viewer.check_csrf_header(&headers)?;
    let reply =
        crate::api::workflow::attach_evidence(&state, &viewer.who, id, &q.file_name, &body).await?;
    Ok(reply.into_response())
}

pub(crate) async fn download_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    crate::api::workflow::evidence_file(&state, &viewer.who, id).await
}
