//! Product pages: the list with prices, one product with its pipeline,
//! its generated call reference and, for downloads, a streamed download
//! with progress (`/assets/download.js`).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_domain::PartyType;
use rongshu_domain::resource::ServiceMode;
use rongshu_formats::OutputFormat;
use rongshu_products::Products;

use super::feedback;
use super::product_text as t;
use super::workflow_text::mode as mode_name;
use super::{Viewer, layout, local_time};
use crate::api::product_types::ProductView;
use crate::context::Path;
use crate::error::ApiError;
use crate::state::AppState;

/// Whether the viewer builds products: the operator's staff.
fn builds(viewer: &Viewer) -> bool {
    Products::may_build(&viewer.who.account().actor()).is_ok()
}

pub(crate) async fn products_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let products = state.products().products().await?;
    let builds = builds(&viewer);
    let body = html! {
        p.intro { (t::PRODUCTS_INTRO.get(lang)) }
        @if builds { p { a.button #new-product href="/products/new" { (t::NEW_PRODUCT.get(lang)) } } }
        @if products.is_empty() {
            p.muted { (t::NO_PRODUCTS.get(lang)) }
        } @else {
            table {
                thead { tr {
                    th { (t::NAME.get(lang)) } th { (t::CODE.get(lang)) } th { (t::MODES.get(lang)) }
                    th { (t::BILLING_UNIT.get(lang)) } th { (t::PRICE.get(lang)) }
                } }
                tbody {
                    @for p in &products {
                        tr data-product=(p.input.code) data-withdrawn[p.withdrawn.is_some()] {
                            td {
                                a href={ "/products/" (p.input.code) } { (p.input.name) }
                                @if p.withdrawn.is_some() { " " span.badge { (t::WITHDRAWN.get(lang)) } }
                            }
                            td { code { (p.input.code) } }
                            td { @for (i, m) in p.input.modes.iter().enumerate() { @if i > 0 { "、" } (mode_name(*m).get(lang)) } }
                            td { (t::unit_name(p.input.billing_unit.as_str()).get(lang)) }
                            td { (p.price_cap_fen.map_or(p.input.price_fen, |c| c.min(p.input.price_fen))) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&viewer, t::PRODUCTS, "/products", body))
}

pub(crate) async fn product_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    // Notices name a product by its number; a code never starts with a digit.
    if let Ok(id) = code.parse::<i64>() {
        let product = state.store().product(id).await?;
        return Ok(Redirect::to(&format!("/products/{}", product.input.code)).into_response());
    }
    let lang = viewer.lang;
    let product = state.products().product(&code).await?;
    let view = ProductView::from(&product);
    let account = viewer.who.account();
    let provides = state
        .store()
        .resource(product.input.resource_id)
        .await?
        .provider_id
        == account.org_id;
    let calls = matches!(account.party, PartyType::User | PartyType::Provider);
    let pipeline = serde_json::to_string_pretty(&view.pipeline).unwrap_or_default();
    let live = product.withdrawn.is_none();
    let downloads = live && product.input.modes.contains(&ServiceMode::Download);
    let body = html! {
        @if let Some(w) = &product.withdrawn {
            p.notice.error #withdrawn { (t::WITHDRAWN_ON.get(lang)) (local_time(w.at_ms)) " · " (w.reason) }
        }
        section.card {
            dl.facts {
                dt { (t::NAME.get(lang)) } dd { (view.name) }
                dt { (t::CODE.get(lang)) } dd { code { (view.code) } }
                dt { (t::MODES.get(lang)) } dd { @for (i, m) in product.input.modes.iter().enumerate() { @if i > 0 { "、" } (mode_name(*m).get(lang)) } }
                dt { (t::FIELDS.get(lang)) } dd { (view.fields.join("、")) }
                dt { (t::BILLING_UNIT.get(lang)) } dd { (t::unit_name(&view.billing_unit).get(lang)) }
                dt { (t::PRICE.get(lang)) } dd { (view.price_fen) }
                dt { (t::PRICE_CAP.get(lang)) } dd { @match view.price_cap_fen { Some(c) => (c), None => (t::NO_CAP.get(lang)) } }
            }
            @if !view.description.is_empty() { p { (view.description) } }
            @if live && builds(&viewer) { p { a.button #edit-product href={ "/products/" (view.code) "/edit" } { (t::EDIT_PRODUCT.get(lang)) } } }
        }
        section.card {
            h2 { (t::PIPELINE.get(lang)) }
            pre { code { (pipeline) } }
        }
        @if downloads {
            section.card {
                h2 { (t::DOWNLOAD.get(lang)) }
                p.muted { (t::DOWNLOAD_HINT.get(lang)) }
                form #download action={ "/products/" (view.code) "/download" } method="get"
                    data-started=(t::DOWNLOAD_STARTED.get(lang)) data-received=(t::RECEIVED.get(lang)) data-done=(t::DOWNLOADED.get(lang)) {
                    label { (t::FORMAT.get(lang)) " "
                        select name="format" {
                            @for f in OutputFormat::ALL { option value=(f.as_str()) { (t::format_name(f.as_str()).get(lang)) } }
                        }
                    }
                    " " button type="submit" { (t::DOWNLOAD.get(lang)) }
                    progress max="1" hidden {}
                    p role="status" aria-live="polite" {}
                }
                script src="/assets/download.js" {}
            }
        }
        @if live && provides { (feedback::price_cap_form(&viewer, &view.code, view.price_cap_fen)) }
        @if calls { (feedback::feedback_form(&viewer, &view.code)) }
        section.card {
            h2 { (t::REFERENCE.get(lang)) }
            p.muted { (t::REFERENCE_HINT.get(lang)) }
            @for example in &view.reference {
                h3 { (mode_name(example.mode.parse().unwrap_or(ServiceMode::QueryApi)).get(lang)) " · " code { (example.method) " " (example.path) } }
                pre { code { (example.curl) } }
                pre { code { (example.python) } }
            }
        }
        @if live && builds(&viewer) { (feedback::withdraw_form(&viewer, &view.code)) }
    };
    Ok(layout(&viewer, t::PRODUCTS, "/products", body).into_response())
}
