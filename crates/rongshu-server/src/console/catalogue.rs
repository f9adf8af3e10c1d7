//! The catalogue in the console: the operation catalogue, the public open
//! data page, a resource's page (fields, grading, registration, versions,
//! deliveries) and the provider's upload with a progress bar.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_classify::Grade;
use rongshu_domain::resource::{ServiceMode, Theme, UpdateFrequency};
use rongshu_store::{Registration, Resource};
use serde::Deserialize;

use super::catalogue_text as t;
use super::i18n::{self, Lang};
use super::{CsrfForm, Viewer, layout, local_time, page_with_problem, problem_notice, public_page};
use crate::api::resource_types::{CatalogueQuery, DeliveryQuery};
use crate::api::resources::{catalogue_filter, registration_action};
use crate::context::{Path, Query, RequestContext};
use crate::error::ApiError;
use crate::resources::{self, DescriptionInput, FieldDecision};
use crate::state::{AppState, now_ms};

fn grade_badge(lang: Lang, r: &Resource) -> Markup {
    let grade = r.grade.or(r.suggested_grade);
    html! {
        @if let Some(g) = grade {
            span.badge data-grade=(g.as_str()) title=[r.grade.is_none().then(|| t::UNCONFIRMED.get(lang))] {
                (t::grade(g.as_str()).get(lang)) @if r.grade.is_none() { " ?" }
            }
        } @else { span.muted { "—" } }
    }
}

fn resource_table(lang: Lang, themes: &[Theme], found: &[Resource], now: i64) -> Markup {
    html! {
        @if found.is_empty() { p { (t::NONE_FOUND.get(lang)) } } @else {
            div.scroll { table.grid {
                thead { tr {
                    th { (t::RESOURCE.get(lang)) } th { (t::PROVIDER.get(lang)) } th { (t::THEME.get(lang)) }
                    th { (t::GRADE.get(lang)) } th { (t::MODES.get(lang)) } th { (t::ROWS.get(lang)) }
                    th { (t::UPDATED.get(lang)) }
                } }
                tbody { @for r in found {
                    tr {
                        td { a href={ "/catalogue/" (r.code) } { (r.about.title) } br; code.muted { (r.code) }
                             @if r.about.open_data { " " span.badge.open { (t::OPEN.get(lang)) } } }
                        td { (r.provider_name) }
                        td { (theme_name(lang, themes, &r.about.theme)) }
                        td { (grade_badge(lang, r)) }
                        td { @for m in &r.about.service_modes { span.chip { (t::mode(m.as_str()).get(lang)) } " " } }
                        td.num { (r.latest_rows.map(|n| n.to_string()).unwrap_or_default()) }
                        td { @if let Some(at) = r.last_delivered_at_ms { (local_time(at))
                            @if r.about.update_frequency.is_late(at, now) { " " span.badge.late { (t::LATE.get(lang)) } } } }
                    }
                } }
            } }
        }
    }
}

fn theme_name(lang: Lang, themes: &[Theme], code: &str) -> String {
    themes
        .iter()
        .find(|t| t.code == code)
        .map(|t| {
            if lang == Lang::En {
                t.name_en.clone()
            } else {
                t.name_zh.clone()
            }
        })
        .unwrap_or_else(|| code.to_owned())
}

fn search_form(
    lang: Lang,
    themes: &[Theme],
    action: &str,
    q: &CatalogueQuery,
    with_open: bool,
) -> Markup {
    html! {
        form.inline method="get" action=(action) role="search" {
            label { (t::KEYWORDS.get(lang)) input name="q" value=(q.q.clone().unwrap_or_default()); }
            label { (t::THEME.get(lang)) select name="theme" {
                option value="" { (t::ANY.get(lang)) }
                @for th in themes {
                    option value=(th.code) selected[q.theme.as_deref() == Some(th.code.as_str())] {
                        (if lang == Lang::En { &th.name_en } else { &th.name_zh })
                    }
                }
            } }
            label { (t::GRADE.get(lang)) select name="grade" {
                option value="" { (t::ANY.get(lang)) }
                @for g in Grade::ALL {
                    option value=(g.as_str()) selected[q.grade.as_deref() == Some(g.as_str())] { (t::grade(g.as_str()).get(lang)) }
                }
            } }
            @if with_open {
                label.check { input type="checkbox" name="open" value="true" checked[q.open == Some(true)]; (t::ONLY_OPEN.get(lang)) }
            }
            button type="submit" { (t::SEARCH.get(lang)) }
        }
    }
}

pub(crate) async fn catalogue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<CatalogueQuery>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let found = state
        .store()
        .resources(&catalogue_filter(&q, true)?)
        .await?;
    let themes = &state.settings().themes;
    let actor = viewer.who.account().actor();
    let body = html! {
        p.muted { (t::CATALOGUE_INTRO.get(lang)) }
        section.card {
            (search_form(lang, themes, "/catalogue", &q, true))
            (resource_table(lang, themes, &found, now_ms()))
        }
        p {
            @if actor.may_describe_resources_of(actor.org_id) { a.button href="/catalogue/new" { (t::NEW_RESOURCE.get(lang)) } " " }
            @if actor.may_inspect_deliveries_of(actor.org_id) {
                a href="/api/v1/registrations.csv" { (t::EXPORT_REGISTRATIONS.get(lang)) }
            }
        }
    };
    Ok(layout(&viewer, t::CATALOGUE, "/catalogue", body))
}

/// The public page of open resources: no sign-in.
pub(crate) async fn open_data(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CatalogueQuery>,
) -> Result<Markup, ApiError> {
    let lang = Lang::of_headers(&headers);
    let found = state
        .store()
        .resources(&catalogue_filter(&q, false)?)
        .await?;
    let themes = &state.settings().themes;
    let body = html! {
        h1 { (t::OPEN_DATA.get(lang)) }
        p.muted { (t::OPEN_DATA_INTRO.get(lang)) }
        section.card {
            (search_form(lang, themes, "/open-data", &q, false))
            (resource_table(lang, themes, &found, now_ms()))
        }
        p { a href="/login" { (t::SIGN_IN.get(lang)) } " · " (t::SIGN_IN_FOR_MORE.get(lang)) " · "
            a href="/api/3/action/package_list" { "CKAN API" } " · " a href="/api/v1/catalog.jsonld" { "DCAT" } }
    };
    Ok(public_page(lang, t::OPEN_DATA, "/open-data", body))
}

fn fields_table(lang: Lang, fields: &[rongshu_store::ResourceField]) -> Markup {
    html! {
        div.scroll { table.grid {
            thead { tr {
                th { (t::FIELD.get(lang)) } th { (t::TYPE.get(lang)) } th { (t::DETECTED.get(lang)) }
                th { (t::SHARE.get(lang)) } th { (t::SUGGESTED.get(lang)) } th { (t::SENSITIVITY.get(lang)) }
            } }
            tbody { @for f in fields { tr {
                td { (f.name) @if !f.description.is_empty() { br; span.muted { (f.description) } } }
                td { code { (f.field_type) } }
                td { @if let Some(k) = f.detected_kind { (t::kind(k.as_str()).get(lang)) } }
                td.num { @if f.detected_kind.is_some() { (format!("{:.0}%", f.share * 100.0)) } }
                td { (t::grade(f.suggested_level.as_str()).get(lang)) }
                td { span.badge data-grade=(f.sensitivity.as_str()) { (t::grade(f.sensitivity.as_str()).get(lang)) } }
            } } }
        } }
    }
}

fn grading_form(
    lang: Lang,
    csrf: &str,
    r: &Resource,
    fields: &[rongshu_store::ResourceField],
) -> Markup {
    let current = r.grade.or(r.suggested_grade).unwrap_or(Grade::General1);
    html! {
        form method="post" action={ "/catalogue/" (r.code) "/grading" } {
            input type="hidden" name="csrf" value=(csrf);
            div.scroll { table.grid {
                thead { tr { th { (t::FIELD.get(lang)) } th { (t::SUGGESTED.get(lang)) } th { (t::SENSITIVITY.get(lang)) } } }
                tbody { @for f in fields { tr {
                    td { (f.name) }
                    td { (t::grade(f.suggested_level.as_str()).get(lang)) }
                    td { select name={ "level." (f.name) } {
                        @for g in Grade::ALL { option value=(g.as_str()) selected[g == f.sensitivity] { (t::grade(g.as_str()).get(lang)) } }
                    } }
                } } }
            } }
            label { (t::GRADE.get(lang)) select name="grade" {
                @for g in Grade::ALL { option value=(g.as_str()) selected[g == current] { (t::grade(g.as_str()).get(lang)) } }
            } }
            label { (t::REASON.get(lang)) textarea name="reason" rows="2" maxlength="500" {} }
            button type="submit" { (t::CONFIRM_GRADING.get(lang)) }
        }
    }
}

fn registration_form(lang: Lang, csrf: &str, r: &Resource) -> Markup {
    let g = &r.registration;
    html! {
        form method="post" action={ "/catalogue/" (r.code) "/registration" } {
            input type="hidden" name="csrf" value=(csrf);
            label { (t::DATA_TYPE.get(lang)) input name="data_type" maxlength="200" value=(g.data_type); }
            label { (t::DATA_FORMAT.get(lang)) input name="data_format" maxlength="200" value=(g.data_format); }
            label { (t::STORAGE.get(lang)) input name="storage" maxlength="200" value=(g.storage); }
            label { (t::DOCUMENTATION.get(lang)) textarea name="documentation" rows="2" maxlength="4000" { (g.documentation) } }
            label { (t::REG_CODE.get(lang)) input name="registration_code" maxlength="64" value=(g.code.clone().unwrap_or_default()); }
            label { (t::ACTION.get(lang)) select name="action" {
                option value="edit" { (t::EDIT_ONLY.get(lang)) }
                option value="register" { (t::REGISTER.get(lang)) }
                option value="change" { (t::CHANGE.get(lang)) }
                option value="cancel" { (t::CANCEL.get(lang)) }
            } }
            button type="submit" { (i18n::SAVE.get(lang)) }
        }
    }
}

fn deliver_form(lang: Lang, csrf: &str, r: &Resource) -> Markup {
    html! {
        form #deliver method="post" action={ "/catalogue/" (r.code) "/deliveries" } data-csrf=(csrf) {
            p.muted { (t::DELIVER_INTRO.get(lang)) }
            label { (t::FILE.get(lang)) input type="file" name="file" required accept=".csv,.txt,.tsv,.xlsx,.json,.ndjson,.jsonl,.parquet"; }
            label { (t::ENCODING.get(lang)) select name="encoding" {
                option value="" { (t::DETECT.get(lang)) } option value="utf-8" { "UTF-8" } option value="gb18030" { "GB18030 / GBK" }
            } }
            label { (t::SHEET.get(lang)) input name="sheet" maxlength="100"; }
            label { (t::TYPES.get(lang)) input name="types" maxlength="2000"; }
            button type="submit" { (t::UPLOAD.get(lang)) }
            progress #deliver-progress max="100" value="0" hidden {}
            p #deliver-status role="status" {}
            noscript { p.notice { (t::NEEDS_SCRIPT.get(lang)) } }
        }
        script src="/assets/deliver.js" {}
    }
}

async fn resource_body(
    state: &AppState,
    lang: Lang,
    viewer: Option<&Viewer>,
    r: &Resource,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let fields = state.store().resource_fields(r.id).await?;
    let actor = viewer.map(|v| v.who.account().actor());
    let csrf = viewer.map(Viewer::csrf_token).unwrap_or("");
    let owner = actor
        .as_ref()
        .is_some_and(|a| a.may_describe_resources_of(r.provider_id));
    let deliverer = actor
        .as_ref()
        .is_some_and(|a| a.may_deliver_to(r.provider_id));
    let inspector = actor.is_some_and(|a| a.may_inspect_deliveries_of(r.provider_id));
    let (versions, ingests) = if inspector {
        (
            state.store().versions(r.id).await?,
            state.store().ingests(r.id, 20).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(html! {
        @if let Some(n) = notice { (n) }
        section.card {
            h2 { (r.about.title) " " code.muted { (r.code) } }
            @if !r.about.description.is_empty() { p { (r.about.description) } }
            dl.facts {
                dt { (t::PROVIDER.get(lang)) } dd { (r.provider_name) }
                dt { (t::THEME.get(lang)) } dd { (theme_name(lang, &state.settings().themes, &r.about.theme)) }
                dt { (t::FREQUENCY.get(lang)) } dd { (t::frequency(r.about.update_frequency.as_str()).get(lang)) }
                dt { (t::GRADE.get(lang)) } dd { (grade_badge(lang, r)) " "
                    span.muted { @if r.grade.is_some() { (t::CONFIRMED.get(lang)) } @else if r.suggested_grade.is_some() { (t::UNCONFIRMED.get(lang)) } } }
                dt { (t::MODES.get(lang)) } dd { @for m in &r.about.service_modes { span.chip { (t::mode(m.as_str()).get(lang)) } " " } }
                dt { (t::REG_STATUS.get(lang)) } dd {
                    @match r.registration.status { Some(s) => (t::registration_status(s.as_str()).get(lang)), None => (t::REG_NONE.get(lang)) }
                    @if let Some(c) = &r.registration.code { " · " code { (c) } }
                }
                @if r.about.open_data { dt { (t::OPEN.get(lang)) } dd { span.badge.open { (t::OPEN.get(lang)) } } }
            }
        }
        section.card {
            h2 { (t::FIELDS.get(lang)) }
            @if fields.is_empty() { p { (t::NOT_GRADED.get(lang)) } } @else {
                (fields_table(lang, &fields))
                @if owner { details { summary { (t::CONFIRM_GRADING.get(lang)) } (grading_form(lang, csrf, r, &fields)) } }
            }
        }
        @if deliverer { section.card { h2 { (t::DELIVER.get(lang)) } (deliver_form(lang, csrf, r)) } }
        @if inspector {
            section.card {
                h2 { (t::VERSIONS.get(lang)) }
                div.scroll { table.grid {
                    thead { tr { th { (t::VERSION.get(lang)) } th { (t::ROWS.get(lang)) } th { (t::SIZE.get(lang)) }
                        th { (t::CHANNEL.get(lang)) } th { (t::DELIVERED_AT.get(lang)) } th { (t::DIGEST.get(lang)) } } }
                    tbody { @for v in &versions { tr {
                        td { "v" (v.number) } td.num { (v.row_count) } td.num { (format!("{:.1} MB", v.byte_size as f64 / 1e6)) }
                        td { (v.channel.as_str()) } td { (local_time(v.delivered_at_ms)) } td { code.digest { (&v.digest[..16]) "…" } }
                    } } }
                } }
            }
            section.card {
                h2 { (t::INGESTS.get(lang)) }
                div.scroll { table.grid {
                    thead { tr { th { (t::FILE.get(lang)) } th { (t::STATE.get(lang)) } th { (t::PROGRESS.get(lang)) }
                        th { (t::ROWS.get(lang)) } th { (t::BAD_ROWS.get(lang)) } th { (t::STARTED.get(lang)) } } }
                    tbody { @for i in &ingests { tr {
                        td { a href={ "/ingests/" (i.id) } { (i.file_name) } }
                        td { span.badge data-state=(i.state.as_str()) { (t::ingest_state(i.state.as_str()).get(lang)) } }
                        td { (progress_bar(i)) }
                        td.num { (i.rows_read) } td.num { (i.bad_rows) }
                        td { (local_time(i.started_at_ms)) }
                    } } }
                } }
            }
        }
        @if owner { section.card { h2 { (t::REGISTRATION.get(lang)) } (registration_form(lang, csrf, r)) } }
    })
}

fn progress_bar(i: &rongshu_store::Ingest) -> Markup {
    let fraction = i.state.progress(i.bytes_read, i.bytes_total);
    html! {
        @if let Some(f) = fraction {
            progress max="100" value=(format!("{:.0}", f * 100.0)) {} " " (format!("{:.0}%", f * 100.0))
        }
    }
}

/// A resource's page: open resources for everyone, the rest signed in.
pub(crate) async fn resource_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Markup, ApiError> {
    let lang = Lang::of_headers(&headers);
    let r = crate::api::resources::visible(&state, &ctx, &code).await?;
    match ctx.principal.clone() {
        None => Ok(public_page(
            lang,
            t::RESOURCE,
            &format!("/catalogue/{code}"),
            resource_body(&state, lang, None, &r, None).await?,
        )),
        Some(principal) => {
            let viewer = Viewer {
                who: crate::context::SignedIn { ctx, principal },
                lang,
            };
            let body = resource_body(&state, lang, Some(&viewer), &r, None).await?;
            Ok(layout(&viewer, t::RESOURCE, "/catalogue", body))
        }
    }
}

/// Re-renders a resource's page with a form's failure on top.
async fn resource_with_problem(
    state: &AppState,
    viewer: &Viewer,
    r: &Resource,
    e: ApiError,
) -> Result<Response, ApiError> {
    let body = resource_body(
        state,
        viewer.lang,
        Some(viewer),
        r,
        Some(problem_notice(viewer.lang, &e)),
    )
    .await?;
    Ok(page_with_problem(
        e.status(),
        e.code(),
        layout(viewer, t::RESOURCE, "/catalogue", body),
    ))
}

#[derive(Deserialize)]
pub(crate) struct GradingForm {
    grade: String,
    #[serde(default)]
    reason: String,
    /// `level.<field name>` → level.
    #[serde(flatten)]
    levels: HashMap<String, String>,
}

pub(crate) async fn grade(
    State(state): State<AppState>,
    Path(code): Path<String>,
    f: CsrfForm<GradingForm>,
) -> Result<Response, ApiError> {
    let r = crate::api::resources::own(&state, &f.viewer.who, &code).await?;
    let current = state.store().resource_fields(r.id).await?;
    let decided = (|| -> Result<(Grade, Vec<FieldDecision>), ApiError> {
        let bad = || ApiError::invalid("grade", "must be a grade on the scale");
        let grade: Grade = f.form.grade.parse().map_err(|_| bad())?;
        let mut fields = Vec::new();
        for field in &current {
            if let Some(level) = f.form.levels.get(&format!("level.{}", field.name)) {
                fields.push(FieldDecision {
                    name: field.name.clone(),
                    sensitivity: level.parse().map_err(|_| bad())?,
                    personal_kind: field.personal_kind,
                    description: None,
                });
            }
        }
        Ok((grade, fields))
    })();
    let result = match decided {
        Ok((grade, fields)) => {
            let who = &f.viewer.who;
            resources::decide_grading(
                &state,
                &who.ctx,
                who.account().id,
                &r,
                grade,
                &fields,
                &f.form.reason,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/catalogue/{code}")).into_response()),
        Err(e) => resource_with_problem(&state, &f.viewer, &r, e).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct RegistrationForm {
    action: String,
    #[serde(default)]
    data_type: String,
    #[serde(default)]
    data_format: String,
    #[serde(default)]
    storage: String,
    #[serde(default)]
    documentation: String,
    #[serde(default)]
    registration_code: String,
}

pub(crate) async fn register(
    State(state): State<AppState>,
    Path(code): Path<String>,
    f: CsrfForm<RegistrationForm>,
) -> Result<Response, ApiError> {
    let r = crate::api::resources::own(&state, &f.viewer.who, &code).await?;
    let form = &f.form;
    let fields = Registration {
        status: None,
        code: Some(form.registration_code.trim().to_owned()).filter(|c| !c.is_empty()),
        data_type: form.data_type.trim().to_owned(),
        data_format: form.data_format.trim().to_owned(),
        storage: form.storage.trim().to_owned(),
        documentation: form.documentation.trim().to_owned(),
    };
    let result = match registration_action(Some(&form.action)) {
        Ok(action) => {
            resources::record_registration(&state, &f.viewer.who.ctx, &r, action, &fields).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/catalogue/{code}")).into_response()),
        Err(e) => resource_with_problem(&state, &f.viewer, &r, e).await,
    }
}

pub(crate) async fn new_resource_page(State(state): State<AppState>, viewer: Viewer) -> Markup {
    new_resource_form(
        &viewer,
        &state.settings().themes,
        None,
        &NewResourceForm::default(),
    )
}

#[derive(Deserialize, Default)]
pub(crate) struct NewResourceForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    update_frequency: String,
    #[serde(default)]
    open_data: Option<String>,
    /// `mode.<name>` checkboxes.
    #[serde(flatten)]
    modes: HashMap<String, String>,
}

fn new_resource_form(
    viewer: &Viewer,
    themes: &[Theme],
    notice: Option<Markup>,
    f: &NewResourceForm,
) -> Markup {
    let lang = viewer.lang;
    let body = html! {
        @if let Some(n) = notice { (n) }
        section.card { form method="post" action="/catalogue/new" {
            input type="hidden" name="csrf" value=(viewer.csrf_token());
            label { (t::CODE.get(lang)) input name="code" required pattern="[a-z][a-z0-9-]{1,63}" value=(f.code); }
            label { (t::TITLE.get(lang)) input name="title" required maxlength="200" value=(f.title); }
            label { (t::DESCRIPTION.get(lang)) textarea name="description" rows="3" maxlength="4000" { (f.description) } }
            label { (t::THEME.get(lang)) select name="theme" {
                @for th in themes { option value=(th.code) selected[f.theme == th.code] { (if lang == Lang::En { &th.name_en } else { &th.name_zh }) } }
            } }
            label { (t::FREQUENCY.get(lang)) select name="update_frequency" {
                @for fr in UpdateFrequency::ALL { option value=(fr.as_str()) selected[f.update_frequency == fr.as_str()] { (t::frequency(fr.as_str()).get(lang)) } }
            } }
            fieldset { legend { (t::MODES.get(lang)) }
                @for m in ServiceMode::ALL {
                    label.check { input type="checkbox" name={ "mode." (m.as_str()) } value="on" checked[f.modes.contains_key(&format!("mode.{}", m.as_str()))]; (t::mode(m.as_str()).get(lang)) }
                }
            }
            label.check { input type="checkbox" name="open_data" value="on" checked[f.open_data.is_some()]; (t::ONLY_OPEN.get(lang)) }
            button type="submit" { (t::CREATE.get(lang)) }
        } }
    };
    layout(viewer, t::NEW_RESOURCE, "/catalogue", body)
}

pub(crate) async fn create_resource(
    State(state): State<AppState>,
    f: CsrfForm<NewResourceForm>,
) -> Result<Response, ApiError> {
    let form = &f.form;
    let about = DescriptionInput {
        title: form.title.clone(),
        description: form.description.clone(),
        theme: form.theme.clone(),
        update_frequency: form.update_frequency.clone(),
        open_data: form.open_data.is_some(),
        service_modes: form
            .modes
            .keys()
            .filter_map(|k| k.strip_prefix("mode."))
            .map(str::to_owned)
            .collect(),
    };
    let who = &f.viewer.who;
    match resources::create_resource(
        &state,
        &who.ctx,
        who.account().org_id,
        form.code.trim(),
        &about,
        &Registration::default(),
    )
    .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/catalogue/{}", r.code)).into_response()),
        Err(e) => {
            let notice = Some(problem_notice(f.viewer.lang, &e));
            let page = new_resource_form(&f.viewer, &state.settings().themes, notice, form);
            Ok(page_with_problem(e.status(), e.code(), page))
        }
    }
}

/// The console's upload: the body is the file, streamed into the ingest
/// path; the session's CSRF token comes in a header (the page's script
/// sends it).
pub(crate) async fn deliver(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(q): Query<DeliveryQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    viewer.check_csrf_header(&headers)?;
    let mut request = crate::api::front::reading(&q)?;
    request.channel = rongshu_domain::resource::DeliveryChannel::Console;
    let receipt =
        crate::api::front::deliver_body(&state, &viewer.who, &code, request, &headers, body)
            .await?;
    Ok((StatusCode::CREATED, axum::Json(receipt)).into_response())
}

/// One ingest's report: state, progress, the fields it found, its errors.
pub(crate) async fn ingest_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let (i, r) = crate::api::resources::inspectable_ingest(&state, &viewer.who, id).await?;
    let fields = match i.version_id {
        Some(_) => state
            .store()
            .versions(r.id)
            .await?
            .into_iter()
            .find(|v| v.ingest_id == i.id),
        None => None,
    };
    let version_fields = match &fields {
        Some(v) => state.store().version_fields(v.id).await?,
        None => Vec::new(),
    };
    let bad = state.store().ingest_bad_rows(id).await?;
    let running = i.state == rongshu_domain::resource::IngestState::Running;
    let body = html! {
        @if running { meta http-equiv="refresh" content="2"; p.notice { (t::REFRESHING.get(lang)) } }
        section.card {
            h2 { a href={ "/catalogue/" (r.code) } { (r.about.title) } " · " (i.file_name) }
            dl.facts {
                dt { (t::STATE.get(lang)) } dd { span.badge data-state=(i.state.as_str()) { (t::ingest_state(i.state.as_str()).get(lang)) } }
                dt { (t::PROGRESS.get(lang)) } dd { (progress_bar(&i)) }
                dt { (t::ROWS.get(lang)) } dd { (i.rows_read) }
                dt { (t::BAD_ROWS.get(lang)) } dd { (i.bad_rows) @if i.bad_rows > 0 { " · " a href={ "/api/v1/ingests/" (i.id) "/errors.csv" } { (t::ERROR_REPORT.get(lang)) } } }
                dt { (t::STARTED.get(lang)) } dd { (local_time(i.started_at_ms)) }
                dt { (t::FINISHED.get(lang)) } dd { (i.finished_at_ms.map(local_time).unwrap_or_default()) }
                @if let Some(v) = &fields { dt { (t::VERSION.get(lang)) } dd { "v" (v.number) " · " code.digest { (v.digest) } } }
            }
            @if let Some(e) = &i.error { div.notice.error { (e) } }
        }
        @if !version_fields.is_empty() {
            section.card { h2 { (t::FIELDS.get(lang)) }
                div.scroll { table.grid {
                    thead { tr { th { (t::FIELD.get(lang)) } th { (t::TYPE.get(lang)) } th { (t::DETECTED.get(lang)) } th { (t::SHARE.get(lang)) } th { (t::SUGGESTED.get(lang)) } } }
                    tbody { @for f in &version_fields { tr {
                        td { (f.name) } td { code { (f.field_type) } }
                        td { @if let Some(k) = f.detected_kind { (t::kind(k.as_str()).get(lang)) } }
                        td.num { @if f.detected_kind.is_some() { (format!("{:.0}%", f.share * 100.0)) } }
                        td { (t::grade(f.suggested_level.as_str()).get(lang)) }
                    } } }
                } }
            }
        }
        @if !bad.is_empty() {
            section.card { h2 { (t::BAD_ROWS.get(lang)) }
                div.scroll { table.grid {
                    thead { tr { th { "#" } th { (t::FIELD.get(lang)) } th { (t::STATE.get(lang)) } } }
                    tbody { @for b in bad.iter().take(50) { tr { td.num { (b.row_number) } td { (b.field.clone().unwrap_or_default()) } td { (b.message) } } } }
                } }
            }
        }
    };
    Ok(layout(&viewer, t::INGEST, "/catalogue", body))
}
