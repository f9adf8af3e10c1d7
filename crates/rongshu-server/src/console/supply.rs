//! Supply pages: the Big Data Center's suspensions (suspend, rectify,
//! resume) and the usage dashboard (per product and per organisation, with
//! the viewer's own statement).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use chrono::Datelike;
use maud::{Markup, html};
use rongshu_domain::PartyType;
use rongshu_domain::supply::{SuspensionKind, SuspensionScope, SuspensionStatus};
use rongshu_store::{ResourceFilter, Suspension, UseTotals};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::supply_text as t;
use super::{CsrfForm, NoFields, Viewer, after_form, layout, local_time};
use crate::context::{Path, Query};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn suspensions_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    suspensions(&state, &viewer, None).await
}

async fn suspensions(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let party = viewer.who.account().party;
    let csrf = viewer.csrf_token();
    let mut all = state
        .products()
        .suspensions(&viewer.who.account().actor())
        .await?;
    all.reverse();
    let names = scope_names(state).await?;
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        p.intro { (t::SUSPENSIONS_INTRO.get(lang)) }
        @if party == PartyType::BigDataCenter {
            section.card {
                h2 { (t::SUSPEND.get(lang)) }
                form #suspend method="post" action="/suspensions" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { (t::SCOPE.get(lang))
                        select name="scope" required {
                            option value="platform" { (t::PLATFORM.get(lang)) }
                            @for (value, name) in &names {
                                option value=(value) { (name) }
                            }
                        }
                    }
                    label { (t::FINDINGS.get(lang)) textarea name="findings" rows="3" required {} }
                    button type="submit" { (t::SUSPEND.get(lang)) }
                }
            }
        }
        @if all.is_empty() {
            p.muted { (t::NO_SUSPENSIONS.get(lang)) }
        }
        @for s in &all {
            section.card.suspension data-suspension=(s.id) data-resumed=(s.resumed_at_ms.is_some()) {
                h2 { "#" (s.id) " · " (scope_label(lang, &names, s.scope)) }
                dl.facts {
                    dt { (t::STATUS.get(lang)) }
                    dd { @if s.resumed_at_ms.is_some() { (t::RESUMED.get(lang)) } @else { strong { (t::IN_FORCE.get(lang)) } } }
                    dt { (t::SUSPENDED_AT.get(lang)) } dd { (local_time(s.suspended_at_ms)) }
                    dt { (t::FINDINGS.get(lang)) } dd { (s.findings) }
                    @if let Some(r) = &s.rectification { dt { (t::RECTIFICATION.get(lang)) } dd { (r) } }
                }
                @if s.resumed_at_ms.is_none() {
                    @if party == PartyType::Operator {
                        form method="post" action={ "/suspensions/" (s.id) "/rectification" } {
                            input type="hidden" name="csrf" value=(csrf);
                            label { (t::RECTIFICATION.get(lang)) textarea name="rectification" rows="2" required {} }
                            button type="submit" { (t::RECORD_RECTIFICATION.get(lang)) }
                        }
                    }
                    @if party == PartyType::BigDataCenter {
                        @if s.status() == SuspensionStatus::Rectified {
                            form method="post" action={ "/suspensions/" (s.id) "/resume" } {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (t::RESUME.get(lang)) }
                            }
                        } @else {
                            p.muted { (t::AWAITING_RECTIFICATION.get(lang)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::SUSPENSIONS, "/suspensions", body))
}

/// `resource:<id>`, `provider:<org id>` and `user-org:<org id>`, named.
async fn scope_names(state: &AppState) -> Result<Vec<(String, String)>, ApiError> {
    let mut names = Vec::new();
    for r in state.store().resources(&ResourceFilter::default()).await? {
        names.push((
            format!("resource:{}", r.id),
            format!("{}（{}）", r.about.title, r.code),
        ));
    }
    for o in state.store().organizations().await? {
        let Some(kind) = SuspensionKind::naming(o.party) else {
            continue;
        };
        names.push((format!("{kind}:{}", o.id), o.name));
    }
    Ok(names)
}

fn scope_label(lang: Lang, names: &[(String, String)], scope: SuspensionScope) -> String {
    let kind = match scope.kind {
        SuspensionKind::Platform => return t::PLATFORM.get(lang).to_owned(),
        SuspensionKind::Resource => t::RESOURCE,
        SuspensionKind::Provider => t::PROVIDER,
        SuspensionKind::UserOrg => t::USER_ORG,
    };
    let key = format!("{}:{}", scope.kind, scope.target.unwrap_or_default());
    let name = names
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key.clone(), |(_, n)| n.clone());
    format!("{} · {name}", kind.get(lang))
}

#[derive(Deserialize)]
pub(crate) struct SuspendForm {
    scope: String,
    findings: String,
}

fn scope_of(value: &str) -> Result<SuspensionScope, ApiError> {
    let unknown = ApiError::invalid(
        "scope",
        "is the platform, or a resource, provider or user organisation",
    );
    let (kind, target) = match value.split_once(':') {
        None => (value.parse::<SuspensionKind>()?, None),
        Some((kind, id)) => (
            kind.parse::<SuspensionKind>()?,
            Some(id.parse::<i64>().map_err(|_| unknown)?),
        ),
    };
    SuspensionScope::new(kind, target).map_err(|_| {
        ApiError::invalid(
            "scope",
            "names a target for a resource, provider or user organisation, none for the platform",
        )
    })
}

/// After a step: the list again, with any problem on it.
async fn after(
    state: &AppState,
    viewer: &Viewer,
    done: Result<Suspension, ApiError>,
) -> Result<Response, ApiError> {
    after_form(viewer, done, "/suspensions", async |notice| {
        suspensions(state, viewer, Some(notice)).await
    })
    .await
}

pub(crate) async fn suspend(
    State(state): State<AppState>,
    f: CsrfForm<SuspendForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = match scope_of(&f.form.scope) {
        Ok(scope) => state
            .products()
            .suspend(&who.account().actor(), &who.ctx, scope, &f.form.findings)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    after(&state, &f.viewer, done).await
}

#[derive(Deserialize)]
pub(crate) struct RectifyForm {
    rectification: String,
}

pub(crate) async fn rectify(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<RectifyForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = state
        .products()
        .rectify(&who.account().actor(), &who.ctx, id, &f.form.rectification)
        .await
        .map_err(ApiError::from);
    after(&state, &f.viewer, done).await
}

pub(crate) async fn resume(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = state
        .products()
        .resume(&who.account().actor(), &who.ctx, id)
        .await
        .map_err(ApiError::from);
    after(&state, &f.viewer, done).await
}

#[derive(Deserialize)]
pub(crate) struct MonthQuery {
    #[serde(default)]
    month: String,
}

pub(crate) async fn usage_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<MonthQuery>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let actor = viewer.who.account().actor();
    let today = state.workflow().today();
    let month = if q.month.is_empty() {
        format!("{:04}-{:02}", today.year(), today.month())
    } else {
        q.month.clone()
    };
    let statement = state
        .products()
        .statement(&actor, actor.org_id, &month)
        .await?;
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("month", "is written YYYY-MM"))?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first);
    let used = state.products().usage(&actor, first, last).await?;
    let products: BTreeMap<i64, String> = state
        .products()
        .products()
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{}（{}）", p.input.name, p.input.code)))
        .collect();
    let orgs: BTreeMap<i64, String> = state
        .store()
        .organizations()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut by_product: BTreeMap<String, UseTotals> = BTreeMap::new();
    let mut by_org: BTreeMap<String, UseTotals> = BTreeMap::new();
    for u in &used {
        let product = products.get(&u.product_id).cloned().unwrap_or_default();
        let org = orgs.get(&u.org_id).cloned().unwrap_or_default();
        for totals in [
            by_product.entry(product).or_default(),
            by_org.entry(org).or_default(),
        ] {
            totals.add(u);
        }
    }
    let table = |label: T, first: T, rows: &BTreeMap<String, UseTotals>, which: &str| {
        html! {
            h2 { (label.get(lang)) }
            table data-usage=(which) {
                thead { tr {
                    th { (first.get(lang)) }
                    th.num { (t::CALLS.get(lang)) } th.num { (t::RECORDS.get(lang)) }
                    th.num { (t::DOWNLOADS.get(lang)) } th.num { (t::AMOUNT.get(lang)) }
                } }
                tbody {
                    @for (name, n) in rows {
                        tr { td { (name) } td.num { (n.calls) } td.num { (n.records) } td.num { (n.downloads) } td.num { (yuan(n.amount_fen)) } }
                    }
                }
            }
        }
    };
    let body = html! {
        p.intro { (t::USAGE_INTRO.get(lang)) }
        form method="get" action="/usage" {
            label { (t::MONTH.get(lang)) " " input type="month" name="month" value=(month); }
            " " button type="submit" { (t::SHOW.get(lang)) }
        }
        p { (t::STATEMENT.get(lang)) "：" strong #statement-total { (yuan(statement.total_fen)) } }
        @if used.is_empty() {
            p.muted { (t::NO_USAGE.get(lang)) }
        } @else {
            section.card { (table(t::BY_PRODUCT, t::PRODUCT, &by_product, "product")) }
            section.card { (table(t::BY_ORG, t::ORGANISATION, &by_org, "org")) }
        }
    };
    Ok(layout(&viewer, t::USAGE, "/usage", body))
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}
