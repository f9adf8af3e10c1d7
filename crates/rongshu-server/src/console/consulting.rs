//! Consulting pages: the orders a viewer may see, one order with its
//! messages and deliverables, and the forms to open, reply, deliver a file
//! (`/assets/deliver.js` streams it with the session's CSRF token) and
//! close.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rongshu_domain::PartyType;
use rongshu_domain::resource::ServiceMode;
use serde::Deserialize;

use super::consulting_text as t;
use super::{CsrfForm, NoFields, Viewer, after_form, layout, local_time};
use crate::api::product_types::DeliverableQuery;
use crate::context::{Path, Query};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn orders_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    orders(&state, &viewer, None).await
}

async fn orders(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let actor = viewer.who.account().actor();
    let orders = state.products().consulting_orders(&actor).await?;
    let products = state.products().products().await?;
    let offered: Vec<_> = products
        .iter()
        .filter(|p| p.input.modes.contains(&ServiceMode::Consulting))
        .collect();
    let name_of = |id: i64| {
        products
            .iter()
            .find(|p| p.id == id)
            .map_or(String::new(), |p| p.input.name.clone())
    };
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        p.intro { (t::CONSULTING_INTRO.get(lang)) }
        @if actor.party == PartyType::User && !offered.is_empty() {
            section.card {
                h2 { (t::OPEN_ORDER.get(lang)) }
                form #open-order method="post" action="/consulting" {
                    input type="hidden" name="csrf" value=(viewer.csrf_token());
                    label { (t::PRODUCT.get(lang))
                        select name="product" { @for p in &offered { option value=(p.input.code) { (p.input.name) } } }
                    }
                    label { (t::SUBJECT.get(lang)) input name="subject" required maxlength="200"; }
                    label { (t::QUESTION.get(lang)) textarea name="question" rows="4" required {} }
                    button type="submit" { (t::OPEN_ORDER.get(lang)) }
                }
            }
        }
        @if orders.is_empty() {
            p.muted { (t::NO_ORDERS.get(lang)) }
        } @else {
            table {
                thead { tr { th { "#" } th { (t::SUBJECT.get(lang)) } th { (t::PRODUCT.get(lang)) } th { (t::STATUS.get(lang)) } th { (t::UPDATED.get(lang)) } } }
                tbody {
                    @for o in orders.iter().rev() {
                        tr data-order=(o.id) {
                            td { (o.id) }
                            td { a href={ "/consulting/" (o.id) } { (o.subject) } }
                            td { (name_of(o.product_id)) }
                            td { (t::status(&o.status).get(lang)) }
                            td { (local_time(o.updated_at_ms)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::CONSULTING, "/consulting", body))
}

#[derive(Deserialize)]
pub(crate) struct OpenForm {
    product: String,
    subject: String,
    question: String,
}

pub(crate) async fn open_order(
    State(state): State<AppState>,
    f: CsrfForm<OpenForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let form = &f.form;
    let opened = state
        .products()
        .open_consulting(
            &who.account().actor(),
            &who.ctx,
            &form.product,
            &form.subject,
            &form.question,
        )
        .await;
    let next = match &opened {
        Ok(order) => format!("/consulting/{}", order.id),
        Err(_) => String::new(),
    };
    after_form(&f.viewer, opened, &next, async |notice| {
        orders(&state, &f.viewer, Some(notice)).await
    })
    .await
}

pub(crate) async fn order_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    order(&state, &viewer, id, None).await
}

async fn order(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let actor = viewer.who.account().actor();
    let (order, messages) = state.products().consulting_order(&actor, id).await?;
    let csrf = viewer.csrf_token();
    let acts = actor.party == PartyType::Operator || actor.org_id == order.user_org_id;
    let open = order.status != "closed";
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        section.card {
            h2 { "#" (order.id) " · " (order.subject) }
            p { (t::STATUS.get(lang)) "：" span #order-status data-status=(order.status) { (t::status(&order.status).get(lang)) } }
        }
        section.card {
            h2 { (t::MESSAGES.get(lang)) }
            @for m in &messages {
                article.message data-from-operator=(m.author_org_id != order.user_org_id) {
                    p.muted {
                        @if m.author_org_id == order.user_org_id { (t::FROM_USER.get(lang)) } @else { (t::FROM_OPERATOR.get(lang)) }
                        " · " (local_time(m.created_at_ms))
                    }
                    p { (m.body) }
                    @if let Some(file) = &m.file {
                        p { a.file href={ "/consulting/messages/" (m.id) "/file" } { (file.file_name) } " (" (file.byte_size) " B)" }
                    }
                }
            }
        }
        @if acts && open {
            section.card {
                h2 { (t::REPLY.get(lang)) }
                form #reply method="post" action={ "/consulting/" (order.id) "/messages" } {
                    input type="hidden" name="csrf" value=(csrf);
                    textarea name="body" rows="3" required {}
                    button type="submit" { (t::SEND.get(lang)) }
                }
                h3 { (t::DELIVER_FILE.get(lang)) }
                form #deliverable method="post" action={ "/consulting/" (order.id) "/deliverable" } data-csrf=(csrf) {
                    label { (t::NOTE.get(lang)) input name="body" required; }
                    label { (t::FILE.get(lang)) input type="file" name="file" required; }
                    button type="submit" { (t::UPLOAD.get(lang)) }
                    progress max="100" hidden {}
                    p role="status" aria-live="polite" {}
                }
                script src="/assets/deliver.js" {}
                form #close method="post" action={ "/consulting/" (order.id) "/close" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { (t::CLOSE.get(lang)) }
                }
            }
        }
    };
    Ok(layout(viewer, t::CONSULTING, "/consulting", body))
}

/// After a step on an order: the order again, with any problem on it.
async fn after<T>(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    done: Result<T, rongshu_products::ProductError>,
) -> Result<Response, ApiError> {
    after_form(viewer, done, &format!("/consulting/{id}"), async |notice| {
        order(state, viewer, id, Some(notice)).await
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct ReplyForm {
    body: String,
}

pub(crate) async fn reply(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<ReplyForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = state
        .products()
        .reply(&who.account().actor(), &who.ctx, id, &f.form.body, None)
        .await;
    after(&state, &f.viewer, id, done).await
}

pub(crate) async fn close(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = state
        .products()
        .close_consulting(&who.account().actor(), &who.ctx, id)
        .await;
    after(&state, &f.viewer, id, done).await
}

/// The deliverable upload: the body is the file; the session's CSRF token
/// comes in a header (the page's script sends it).
pub(crate) async fn deliver_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<DeliverableQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    viewer.check_csrf_header(&headers)?;
    let created =
        crate::api::products::attach_deliverable(&state, &viewer.who, id, q, body).await?;
    Ok(created.into_response())
}

pub(crate) async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, bytes) = state
        .products()
        .deliverable(&viewer.who.account().actor(), &viewer.who.ctx, id)
        .await?;
    Ok(crate::api::attachment(&name, bytes))
}
