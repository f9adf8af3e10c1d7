//! Usage feedback (Art. 15) and the provider's price cap: the forms on a
//! product's page, and the feedback page with what is overdue.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_domain::supply::FEEDBACK_KINDS;
use rongshu_products::consulting::FeedbackDraft;
use serde::Deserialize;

use super::product_text as t;
use super::supply_text::ORGANISATION;
use super::{CsrfForm, Viewer, after_form, layout, local_time, optional_number};
use crate::api::product_types::FeedbackFileQuery;
use crate::context::{Path, Query};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn feedback_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    feedback(&state, &viewer, None).await
}

async fn feedback(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let actor = viewer.who.account().actor();
    let filed = state.products().feedback(&actor).await?;
    // Only those who follow feedback see what is overdue.
    let overdue = state.products().overdue_feedback(&actor).await.ok();
    let products: BTreeMap<i64, String> = state
        .products()
        .products()
        .await?
        .into_iter()
        .map(|p| (p.id, p.input.name))
        .collect();
    let orgs: BTreeMap<i64, String> = state
        .store()
        .organizations()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let named = |map: &BTreeMap<i64, String>, id: i64| map.get(&id).cloned().unwrap_or_default();
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        p.intro { (t::FEEDBACK_INTRO.get(lang)) }
        @if let Some(overdue) = &overdue {
            section.card #overdue {
                h2 { (t::OVERDUE.get(lang)) }
                @if overdue.is_empty() {
                    p.muted { (t::NONE_OVERDUE.get(lang)) }
                } @else {
                    table {
                        thead { tr { th { (ORGANISATION.get(lang)) } th { (t::CODE.get(lang)) } th { (t::FIRST_USED.get(lang)) } th { (t::DUE.get(lang)) } } }
                        tbody { @for o in overdue { tr { td { (named(&orgs, o.org_id)) } td { code { (o.product_code) } } td { (o.first_used) } td { (o.due) } } } }
                    }
                }
            }
        }
        section.card {
            h2 { (t::FEEDBACK.get(lang)) }
            @if filed.is_empty() {
                p.muted { (t::NO_FEEDBACK.get(lang)) }
            } @else {
                table #filed {
                    thead { tr { th { (t::NAME.get(lang)) } th { (t::KIND.get(lang)) } th { (t::TITLE.get(lang)) } th { (t::FILED.get(lang)) } } }
                    tbody {
                        @for f in &filed {
                            tr {
                                td { (named(&products, f.product_id)) " · " (named(&orgs, f.org_id)) }
                                td { (t::feedback_kind(&f.kind).get(lang)) }
                                td {
                                    @if f.link.is_empty() { (f.title) } @else { a href=(f.link) rel="noopener noreferrer" { (f.title) } }
                                    @if let Some(file) = &f.file {
                                        " · " a.file href={ "/feedback/" (f.id) "/file" } { (file.file_name) } " (" (file.byte_size) " B)"
                                    }
                                }
                                td { (local_time(f.filed_at_ms)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::FEEDBACK, "/feedback", body))
}

/// The feedback form on a product's page.
pub(crate) fn feedback_form(viewer: &Viewer, code: &str) -> Markup {
    let lang = viewer.lang;
    html! {
        section.card {
            h2 { (t::FILE_FEEDBACK.get(lang)) }
            p.muted { (t::FEEDBACK_HINT.get(lang)) }
            form #feedback method="post" action={ "/products/" (code) "/feedback" }
                data-upload={ "/products/" (code) "/feedback/file" } data-csrf=(viewer.csrf_token()) {
                input type="hidden" name="csrf" value=(viewer.csrf_token());
                label { (t::KIND.get(lang))
                    select name="kind" { @for k in FEEDBACK_KINDS { option value=(k) { (t::feedback_kind(k).get(lang)) } } }
                }
                label { (t::TITLE.get(lang)) input name="title" required maxlength="200"; }
                label { (t::LINK.get(lang)) input type="url" name="link" placeholder="https://"; }
                label { (t::FILE.get(lang)) input type="file" name="file"; }
                button type="submit" { (t::FILE_FEEDBACK.get(lang)) }
                progress max="100" hidden {}
                p role="status" aria-live="polite" {}
            }
            script src="/assets/deliver.js" {}
        }
    }
}

/// The price-cap form on a product's page, for its data's provider.
pub(crate) fn price_cap_form(viewer: &Viewer, code: &str, cap: Option<i64>) -> Markup {
    let lang = viewer.lang;
    html! {
        section.card {
            h2 { (t::SET_CAP.get(lang)) }
            p.muted { (t::CAP_HINT.get(lang)) }
            form #price-cap method="post" action={ "/products/" (code) "/price-cap" } {
                input type="hidden" name="csrf" value=(viewer.csrf_token());
                label { (t::PRICE_CAP.get(lang)) input name="price_cap_fen" inputmode="numeric" value=[cap]; }
                button type="submit" { (t::SET_CAP.get(lang)) }
            }
        }
    }
}

/// The operator withdraws a product from service, for good.
pub(crate) fn withdraw_form(viewer: &Viewer, code: &str) -> Markup {
    let lang = viewer.lang;
    html! {
        section.card {
            h2 { (t::WITHDRAW.get(lang)) }
            p.muted { (t::WITHDRAW_HINT.get(lang)) }
            form #withdraw method="post" action={ "/products/" (code) "/withdraw" } {
                input type="hidden" name="csrf" value=(viewer.csrf_token());
                label { (t::WITHDRAWAL_REASON.get(lang)) textarea name="reason" required maxlength="500" {} }
                button type="submit" { (t::WITHDRAW.get(lang)) }
            }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct WithdrawForm {
    reason: String,
}

pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Path(code): Path<String>,
    f: CsrfForm<WithdrawForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    state
        .products()
        .withdraw(&who.account().actor(), &who.ctx, &code, &f.form.reason)
        .await?;
    Ok(Redirect::to(&format!("/products/{code}")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct FeedbackForm {
    kind: String,
    title: String,
    link: String,
}

pub(crate) async fn file_feedback(
    State(state): State<AppState>,
    Path(code): Path<String>,
    f: CsrfForm<FeedbackForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let form = &f.form;
    let filed = state
        .products()
        .file_feedback(
            &who.account().actor(),
            &who.ctx,
            &code,
            FeedbackDraft {
                kind: form.kind.clone(),
                title: form.title.clone(),
                link: form.link.clone(),
                file: None,
            },
        )
        .await;
    after_form(&f.viewer, filed, "/feedback", async |notice| {
        feedback(&state, &f.viewer, Some(notice)).await
    })
    .await
}

/// Feedback with a file: the body is the file; the session's CSRF token
/// comes in a header (the page's script sends it).
pub(crate) async fn file_feedback_with_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(q): Query<FeedbackFileQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    viewer.check_csrf_header(&headers)?;
    let filed =
        crate::api::products::feedback_with_file(&state, &viewer.who, &code, q, body).await?;
    Ok(filed.into_response())
}

pub(crate) async fn feedback_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, bytes) = state
        .products()
        .feedback_file(&viewer.who.account().actor(), &viewer.who.ctx, id)
        .await?;
    Ok(crate::api::attachment(&name, bytes))
}

#[derive(Deserialize)]
pub(crate) struct CapForm {
    price_cap_fen: String,
}

pub(crate) async fn set_price_cap(
    State(state): State<AppState>,
    Path(code): Path<String>,
    f: CsrfForm<CapForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let cap = optional_number("price_cap_fen", &f.form.price_cap_fen)?;
    state
        .products()
        .set_price_cap(&who.account().actor(), &who.ctx, &code, cap)
        .await?;
    Ok(Redirect::to(&format!("/products/{code}")).into_response())
}
