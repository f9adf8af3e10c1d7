//! Account administration in the console: an organisation's admins manage
//! its accounts; the operator's admins manage every organisation's.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rongshu_domain::Role;
use serde::Deserialize;

use super::i18n;
use super::{CsrfForm, NoFields, Viewer, layout, local_time};
use crate::admin::{self, AccountRequest};
use crate::context::{Path, Query};
use crate::error::ApiError;
use crate::state::AppState;

/// What to say above the list after a form.
enum Flash {
    Done(i18n::T),
    Problem(ApiError),
}

#[derive(Deserialize, Default)]
pub(crate) struct OrgQuery {
    org: Option<i64>,
}

/// The organisation whose accounts the viewer manages: their own, or, for
/// the operator's admins, the one chosen of those it serves.
async fn managed_org(
    state: &AppState,
    viewer: &Viewer,
    requested: Option<i64>,
) -> Result<i64, ApiError> {
    let actor = viewer.who.account().actor();
    let org = state
        .store()
        .organization(requested.unwrap_or(actor.org_id))
        .await?;
    if actor.may_manage_accounts_of(org.id, org.party) {
        Ok(org.id)
    } else {
        Err(ApiError::OtherOrganization)
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    org_id: i64,
    flash: Option<Flash>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let org = state.store().organization(org_id).await?;
    let accounts = state.store().accounts(Some(org_id)).await?;
    let actor = viewer.who.account().actor();
    let mut all_orgs = state.store().organizations().await?;
    all_orgs.retain(|o| actor.may_manage_accounts_of(o.id, o.party));
    if all_orgs.len() < 2 {
        all_orgs.clear();
    }
    let csrf = viewer.csrf_token();
    let me = viewer.who.account().id;
    let body = html! {
        @match &flash {
            Some(Flash::Done(t)) => div.notice role="status" { (t.get(lang)) },
            Some(Flash::Problem(e)) => (super::problem_notice(lang, e)),
            None => {},
        }
        @if !all_orgs.is_empty() {
            form.card.filters method="get" action="/accounts" {
                label { (i18n::ORGANIZATION.get(lang))
                    select name="org" {
                        @for o in &all_orgs {
                            option value=(o.id) selected[o.id == org_id] {
                                (o.name) " · " (i18n::party_name(o.party).get(lang))
                            }
                        }
                    }
                }
                button type="submit" { (i18n::SHOW.get(lang)) }
            }
        }
        section.card {
            h2 { (org.name) " · " (i18n::party_name(org.party).get(lang)) }
            div.scroll { table.grid {
                thead { tr {
                    th { (i18n::USERNAME.get(lang)) } th { (i18n::DISPLAY_NAME.get(lang)) }
                    th { (i18n::ROLE.get(lang)) } th { (i18n::STATUS.get(lang)) }
                    th { (i18n::CREATED_AT.get(lang)) } th {}
                } }
                tbody { @for a in &accounts {
                    tr {
                        td { (a.username) } td { (a.display_name) }
                        td { (i18n::role_name(a.role).get(lang)) }
                        td { @if a.disabled { (i18n::DISABLED.get(lang)) } @else { (i18n::ACTIVE.get(lang)) } }
                        td { (local_time(a.created_at_ms)) }
                        td { div.actions {
                            @if a.id != me {
                                form method="post" action={ "/accounts/" (a.id) (if a.disabled { "/enable" } else { "/disable" }) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.link type="submit" {
                                        @if a.disabled { (i18n::ENABLE.get(lang)) } @else { (i18n::DISABLE.get(lang)) }
                                    }
                                }
                                form.inline method="post" action={ "/accounts/" (a.id) "/password" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="password" name="new_password" autocomplete="new-password" required minlength="10"
                                        aria-label=(i18n::NEW_PASSWORD.get(lang)) placeholder=(i18n::NEW_PASSWORD.get(lang));
                                    button.link type="submit" { (i18n::RESET_PASSWORD.get(lang)) }
                                }
                            }
                        } }
                    }
                } }
            } }
        }
        section.card {
            h2 { (i18n::NEW_ACCOUNT.get(lang)) }
            p.muted { (i18n::PASSWORD_RULES_SHORT.get(lang)) }
            form.inline method="post" action={ "/accounts?org=" (org_id) } {
                input type="hidden" name="csrf" value=(csrf);
                label { (i18n::USERNAME.get(lang)) input name="username" required pattern="[a-z][a-z0-9._-]{2,31}"; }
                label { (i18n::DISPLAY_NAME.get(lang)) input name="display_name" required maxlength="100"; }
                label { (i18n::ROLE.get(lang))
                    select name="role" {
                        @for r in Role::ALL {
                            option value=(r.as_str()) selected[r == Role::Staff] { (i18n::role_name(r).get(lang)) }
                        }
                    }
                }
                label { (i18n::PASSWORD.get(lang)) input type="password" name="password" autocomplete="new-password" required minlength="10"; }
                button.primary type="submit" { (i18n::CREATE.get(lang)) }
            }
        }
    };
    Ok(layout(viewer, i18n::ACCOUNTS, "/accounts", body))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OrgQuery>,
) -> Result<Markup, ApiError> {
    let org = managed_org(&state, &viewer, q.org).await?;
    render(&state, &viewer, org, None).await
}

/// The page again with the outcome of a form; a failure keeps its status
/// and code so the gate ledgers it.
async fn answer(
    state: &AppState,
    viewer: &Viewer,
    org: i64,
    outcome: Result<i18n::T, ApiError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(done) => Ok(render(state, viewer, org, Some(Flash::Done(done)))
            .await?
            .into_response()),
        Err(e) if e.status().is_server_error() => Err(e),
        Err(e) => {
            let (status, code) = (e.status(), e.code());
            let page = render(state, viewer, org, Some(Flash::Problem(e))).await?;
            Ok(super::page_with_problem(status, code, page))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct NewAccountForm {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Query(q): Query<OrgQuery>,
    f: CsrfForm<NewAccountForm>,
) -> Result<Response, ApiError> {
    let org = managed_org(&state, &f.viewer, q.org).await?;
    let request = AccountRequest {
        org_id: org,
        username: f.form.username.trim(),
        display_name: &f.form.display_name,
        role: &f.form.role,
        password: &f.form.password,
    };
    let outcome = admin::create_account(&state, &f.viewer.who.ctx, request)
        .await
        .map(|_| i18n::ACCOUNT_CREATED);
    answer(&state, &f.viewer, org, outcome).await
}

/// Loads the target and checks the viewer administers its organisation.
async fn target(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<rongshu_store::Account, ApiError> {
    let account = state.store().account(id).await?;
    managed_org(state, viewer, Some(account.org_id)).await?;
    Ok(account)
}

async fn set_disabled(
    state: AppState,
    f: CsrfForm<NoFields>,
    id: i64,
    disabled: bool,
) -> Result<Response, ApiError> {
    let account = target(&state, &f.viewer, id).await?;
    let outcome = if disabled && id == f.viewer.who.account().id {
        Err(ApiError::SelfDisable)
    } else {
        admin::set_account_disabled(&state, &f.viewer.who.ctx, id, disabled)
            .await
            .map(|_| {
                if disabled {
                    i18n::ACCOUNT_DISABLED
                } else {
                    i18n::ACCOUNT_ENABLED
                }
            })
    };
    answer(&state, &f.viewer, account.org_id, outcome).await
}

pub(crate) async fn disable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    set_disabled(state, f, id, true).await
}

pub(crate) async fn enable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    set_disabled(state, f, id, false).await
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    new_password: String,
}

pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<ResetForm>,
) -> Result<Response, ApiError> {
    let account = target(&state, &f.viewer, id).await?;
    let outcome = admin::reset_password(&state, &f.viewer.who.ctx, &account, &f.form.new_password)
        .await
        .map(|()| i18n::PASSWORD_RESET);
    answer(&state, &f.viewer, account.org_id, outcome).await
}
