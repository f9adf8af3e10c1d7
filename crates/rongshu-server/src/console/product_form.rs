//! The operator's product form: make or change a product, its pipeline
//! written as JSON or TOML, with a preview of the first rows before and
//! after the pipeline. One form, two buttons: preview re-renders the form
//! with the rows below it; save stores the product and opens its page.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::BillingUnit;
use rongshu_products::ProductDraft;
use rongshu_products::access::refuse_withdrawn;
use rongshu_products::preview::{Preview, Sample};
use rongshu_store::Product;
use serde::Deserialize;

use super::product_text as t;
use super::workflow_text::mode as mode_name;
use super::{CsrfForm, Viewer, layout, number, optional_number, page_with_problem, problem_notice};
use crate::context::Path;
use crate::error::ApiError;
use crate::state::AppState;

/// Rows a console preview shows.
const PREVIEW_ROWS: usize = 10;

/// The form as posted; every value as typed, so a refused form comes back
/// as it was.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProductForm {
    code: String,
    name: String,
    description: String,
    /// `<authorization id>:<resource code>`.
    built_on: String,
    fields: String,
    pipeline: String,
    query_parameters: String,
    max_rows: String,
    verify_key_field: String,
    verify_fields: String,
    daily_call_quota: String,
    rate_per_minute: String,
    billing_unit: String,
    price_fen: String,
    revision: String,
    /// `preview` or `save`.
    intent: String,
    /// `mode.<mode>` checkboxes.
    #[serde(flatten)]
    checks: HashMap<String, String>,
}

impl ProductForm {
    fn of(product: &Product, resource_code: &str) -> ProductForm {
        let i = &product.input;
        let shown = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        ProductForm {
            code: i.code.clone(),
            name: i.name.clone(),
            description: i.description.clone(),
            built_on: format!("{}:{resource_code}", i.authorization_id),
            fields: i.fields.join("、"),
            pipeline: pretty(&i.pipeline),
            query_parameters: i.query_parameters.join("、"),
            max_rows: i.max_rows.to_string(),
            verify_key_field: i.verify_key_field.clone().unwrap_or_default(),
            verify_fields: i.verify_fields.join("、"),
            daily_call_quota: shown(i.daily_call_quota),
            rate_per_minute: shown(i.rate_per_minute),
            billing_unit: i.billing_unit.as_str().to_owned(),
            price_fen: i.price_fen.to_string(),
            revision: product.revision.to_string(),
            intent: String::new(),
            checks: i
                .modes
                .iter()
                .map(|m| (format!("mode.{}", m.as_str()), "on".to_owned()))
                .collect(),
        }
    }

    fn modes(&self) -> Vec<ServiceMode> {
        ServiceMode::ALL
            .into_iter()
            .filter(|m| self.checks.get(&format!("mode.{}", m.as_str())) == Some(&"on".to_owned()))
            .collect()
    }

    fn draft(&self) -> Result<ProductDraft, ApiError> {
        let (authorization, resource) = self.built_on.split_once(':').ok_or(ApiError::invalid(
            "built_on",
            "choose an authorization and resource",
        ))?;
        let verify_key = self.verify_key_field.trim();
        Ok(ProductDraft {
            code: self.code.trim().to_owned(),
            name: self.name.clone(),
            description: self.description.clone(),
            resource_code: resource.to_owned(),
            authorization_id: number("built_on", authorization)?,
            modes: self.modes(),
            fields: list(&self.fields),
            pipeline: self.pipeline.clone(),
            query_parameters: list(&self.query_parameters),
            max_rows: optional_number("max_rows", &self.max_rows)?.unwrap_or(100),
            verify_key_field: (!verify_key.is_empty()).then(|| verify_key.to_owned()),
            verify_fields: list(&self.verify_fields),
            daily_call_quota: optional_number("daily_call_quota", &self.daily_call_quota)?,
            rate_per_minute: optional_number("rate_per_minute", &self.rate_per_minute)?,
            billing_unit: self.billing_unit.parse::<BillingUnit>()?,
            price_fen: optional_number("price_fen", &self.price_fen)?.unwrap_or(0),
        })
    }
}

/// A stored pipeline shown indented.
fn pretty(pipeline: &str) -> String {
    serde_json::from_str::<serde_json::Value>(pipeline)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| pipeline.to_owned())
}

/// Names separated by commas, 、 or new lines.
fn list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) async fn new_product_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    let form = ProductForm {
        billing_unit: BillingUnit::PerCall.as_str().to_owned(),
        max_rows: "100".to_owned(),
        ..ProductForm::default()
    };
    form_page(&state, &viewer, &form, None, None).await
}

pub(crate) async fn edit_product_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> Result<Markup, ApiError> {
    let product = state.products().product(&code).await?;
    refuse_withdrawn(&product)?;
    let resource = state.store().resource(product.input.resource_id).await?;
    let form = ProductForm::of(&product, &resource.code);
    form_page(&state, &viewer, &form, None, None).await
}

/// What a submitted form did.
enum Acted {
    Previewed(Box<Preview>),
    Saved(String),
}

/// `POST /products` (a new product) and `POST /products/{code}` (a change).
pub(crate) async fn submit_product(
    State(state): State<AppState>,
    f: CsrfForm<ProductForm>,
) -> Result<Response, ApiError> {
    let (viewer, form) = (&f.viewer, &f.form);
    match act(&state, viewer, form).await {
        Ok(Acted::Previewed(preview)) => {
            let page = form_page(&state, viewer, form, None, Some(&preview)).await?;
            Ok(page.into_response())
        }
        Ok(Acted::Saved(code)) => Ok(Redirect::to(&format!("/products/{code}")).into_response()),
        Err(e) => {
            let notice = html! {
                (problem_notice(viewer.lang, &e))
                details.problem { summary { (t::DETAILS.get(viewer.lang)) } code { (e.to_string()) } }
            };
            let page = form_page(&state, viewer, form, Some(notice), None).await?;
            Ok(page_with_problem(e.status(), e.code(), page))
        }
    }
}

async fn act(state: &AppState, viewer: &Viewer, form: &ProductForm) -> Result<Acted, ApiError> {
    let draft = form.draft()?;
    let actor = viewer.who.account().actor();
    if form.intent == "preview" {
        let preview = state
            .products()
            .preview(&actor, &viewer.who.ctx, &draft, PREVIEW_ROWS)
            .await?;
        return Ok(Acted::Previewed(Box::new(preview)));
    }
    let revision = optional_number("revision", &form.revision)?;
    let product = state
        .products()
        .save(&actor, &viewer.who.ctx, &draft, revision)
        .await?;
    Ok(Acted::Saved(product.input.code))
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    form: &ProductForm,
    notice: Option<Markup>,
    preview: Option<&Preview>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let buildable = state
        .products()
        .buildable(&viewer.who.account().actor())
        .await?;
    let editing = !form.revision.is_empty();
    let (title, action) = if editing {
        (t::EDIT_PRODUCT, format!("/products/{}", form.code))
    } else {
        (t::NEW_PRODUCT, "/products".to_owned())
    };
    let modes = form.modes();
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        @if buildable.is_empty() && !editing {
            p.muted { (t::NOTHING_TO_BUILD_ON.get(lang)) }
        } @else {
            form.product method="post" action=(action) {
                input type="hidden" name="csrf" value=(viewer.csrf_token());
                input type="hidden" name="revision" value=(form.revision);
                label { (t::CODE.get(lang))
                    input name="code" value=(form.code) required readonly[editing] pattern="[a-z0-9][a-z0-9-]*";
                }
                label { (t::NAME.get(lang)) input name="name" value=(form.name) required; }
                label { (t::DESCRIPTION.get(lang)) textarea name="description" rows="2" { (form.description) } }
                label { (t::BUILT_ON.get(lang))
                    select name="built_on" required {
                        @for b in &buildable {
                            @let value = format!("{}:{}", b.authorization_id, b.resource.code);
                            option value=(value) selected[value == form.built_on] {
                                (t::AUTHORIZATION.get(lang)) " #" (b.authorization_id) " · " (b.resource.about.title) "（" (b.resource.code) "）· "
                                @if b.fields.is_empty() { (t::ALL_FIELDS.get(lang)) } @else { (b.fields.join("、")) }
                            }
                        }
                    }
                }
                fieldset.modes {
                    legend { (t::MODES.get(lang)) }
                    @for m in ServiceMode::ALL.into_iter().filter(|m| *m != ServiceMode::JointComputation) {
                        label.check {
                            input type="checkbox" name={ "mode." (m.as_str()) } checked[modes.contains(&m)];
                            " " (mode_name(m).get(lang))
                        }
                    }
                }
                label { (t::FIELDS.get(lang)) small.muted { " " (t::LIST_HINT.get(lang)) }
                    textarea name="fields" rows="2" required { (form.fields) }
                }
                label { (t::PIPELINE.get(lang)) small.muted { " " (t::PIPELINE_HINT.get(lang)) }
                    textarea.code name="pipeline" rows="12" spellcheck="false" { (form.pipeline) }
                }
                label { (t::QUERY_PARAMETERS.get(lang)) input name="query_parameters" value=(form.query_parameters); }
                label { (t::MAX_ROWS.get(lang)) input name="max_rows" inputmode="numeric" value=(form.max_rows); }
                label { (t::VERIFY_KEY.get(lang)) input name="verify_key_field" value=(form.verify_key_field); }
                label { (t::VERIFY_FIELDS.get(lang)) input name="verify_fields" value=(form.verify_fields); }
                label { (t::DAILY_QUOTA.get(lang)) input name="daily_call_quota" inputmode="numeric" value=(form.daily_call_quota) placeholder=(t::NO_LIMIT.get(lang)); }
                label { (t::RATE.get(lang)) input name="rate_per_minute" inputmode="numeric" value=(form.rate_per_minute) placeholder=(t::NO_LIMIT.get(lang)); }
                label { (t::BILLING_UNIT.get(lang))
                    select name="billing_unit" {
                        @for unit in BillingUnit::ALL {
                            option value=(unit.as_str()) selected[unit.as_str() == form.billing_unit] { (t::unit_name(unit.as_str()).get(lang)) }
                        }
                    }
                }
                label { (t::PRICE.get(lang)) input name="price_fen" inputmode="numeric" value=(form.price_fen); }
                div.actions {
                    button type="submit" name="intent" value="preview" { (t::PREVIEW.get(lang)) }
                    " "
                    button type="submit" name="intent" value="save" { @if editing { (t::CHANGE.get(lang)) } @else { (t::SAVE.get(lang)) } }
                }
            }
        }
        @if let Some(preview) = preview { (preview_section(lang, preview)) }
    };
    Ok(layout(viewer, title, "/products", body))
}

fn preview_section(lang: super::i18n::Lang, p: &Preview) -> Markup {
    let r = &p.report;
    html! {
        section.card #preview {
            h2 { (t::PREVIEW.get(lang)) }
            @if !p.product_keys { p.notice { (t::ONE_OFF_KEYS.get(lang)) } }
            p.muted { (t::PREVIEW_FIGURES.get(lang)) "：" (r.rows_in) " / " (r.rows_out) " / " (r.rejected) " / " (r.duplicates) }
            @if let Some(k) = &r.k_anonymity {
                p.muted {
                    (t::K_FIGURES.get(lang)) "：" (k.k) " / " (k.achieved.map_or("-".to_owned(), |a| a.to_string()))
                    " / " (k.suppressed_rows) " / " (k.dropped_rows) " / " (format!("{:.1}%", k.information_loss * 100.0))
                }
            }
            h3 { (t::BEFORE.get(lang)) }
            (sample_table(&p.before, "before"))
            h3 { (t::AFTER.get(lang)) }
            (sample_table(&p.after, "after"))
        }
    }
}

fn sample_table(sample: &Sample, which: &str) -> Markup {
    html! {
        div.scroll {
            table data-sample=(which) {
                thead { tr { @for c in &sample.columns { th { (c.name) } } } }
                tbody {
                    @for row in &sample.rows {
                        tr { @for v in row { td { @match v { Some(v) => (v), None => span.muted { "∅" } } } } }
                    }
                }
            }
        }
    }
}
