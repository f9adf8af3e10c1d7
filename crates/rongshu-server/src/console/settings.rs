//! Account settings: change password, manage API keys, and (for an
//! organisation's administrators) its webhooks.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n;
use super::{CsrfForm, NoFields, Viewer, layout};
use crate::auth;
use crate::context::Path;
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// Something to say at the top of the page after a form.
enum Flash {
    NewKey(String),
    NewWebhook(String),
    Revoked,
    Problem(ApiError),
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<Flash>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let account = viewer.who.account();
    let keys = state.store().api_keys(account.id).await?;
    let admin = account.role == rongshu_domain::Role::Admin;
    let hooks = match admin {
        true => state.store().webhooks(Some(account.org_id)).await?,
        false => Vec::new(),
    };
    let now = now_ms();
    let csrf = viewer.csrf_token();
    let body = html! {
        @match &flash {
            Some(Flash::NewKey(key)) => div.notice role="status" {
                p { (i18n::NEW_KEY_SHOWN_ONCE.get(lang)) }
                p { code.secret id="new-key" { (key) } }
            },
            Some(Flash::NewWebhook(secret)) => div.notice role="status" {
                p { (i18n::NEW_WEBHOOK_SHOWN_ONCE.get(lang)) }
                p { code.secret id="new-webhook-secret" { (secret) } }
            },
            Some(Flash::Revoked) => div.notice role="status" { (i18n::KEY_REVOKED.get(lang)) },
            Some(Flash::Problem(e)) => (super::problem_notice(lang, e)),
            None => {},
        }
        section.card {
            dl.facts {
                dt { (i18n::USERNAME.get(lang)) } dd { (account.username) }
                dt { (i18n::ORGANIZATION.get(lang)) } dd { (account.org_name) }
                dt { (i18n::ROLE.get(lang)) } dd { (i18n::role_name(account.role).get(lang)) }
            }
        }
        section.card {
            h2 { (i18n::CHANGE_PASSWORD.get(lang)) }
            p.muted { (i18n::PASSWORD_RULES.get(lang)) }
            form method="post" action="/settings/password" {
                input type="hidden" name="csrf" value=(csrf);
                label { (i18n::CURRENT_PASSWORD.get(lang))
                    input type="password" name="current_password" autocomplete="current-password" required; }
                label { (i18n::NEW_PASSWORD.get(lang))
                    input type="password" name="new_password" autocomplete="new-password" required minlength="10"; }
                button.primary type="submit" { (i18n::SAVE.get(lang)) }
            }
        }
        section.card {
            h2 { (i18n::API_KEYS.get(lang)) }
            p.muted { (i18n::API_KEYS_INTRO.get(lang)) }
            @if keys.is_empty() {
                p { (i18n::NO_KEYS.get(lang)) }
            } @else {
                div.scroll { table.grid {
                    thead { tr {
                        th { (i18n::KEY_NAME.get(lang)) } th { (i18n::KEY_PREFIX.get(lang)) }
                        th { (i18n::KEY_SURFACE.get(lang)) }
                        th { (i18n::CREATED_AT.get(lang)) } th { (i18n::EXPIRES_AT.get(lang)) }
                        th { (i18n::STATUS.get(lang)) } th {}
                    } }
                    tbody { @for k in &keys {
                        tr {
                            td { (k.name) } td { code { (k.display_prefix) "…" } }
                            td { @if k.front { (i18n::FRONT_KEY.get(lang)) } @else { (i18n::PUBLIC_KEY.get(lang)) } }
                            td { (super::local_time(k.created_at_ms)) } td { (super::local_time(k.expires_at_ms)) }
                            td { @if k.revoked_at_ms.is_some() { (i18n::REVOKED.get(lang)) }
                                 @else if k.expires_at_ms <= now { (i18n::EXPIRED.get(lang)) }
                                 @else { (i18n::ACTIVE.get(lang)) } }
                            td { @if k.revoked_at_ms.is_none() && k.expires_at_ms > now {
                                form method="post" action={ "/settings/api-keys/" (k.id) "/revoke" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.link type="submit" { (i18n::REVOKE.get(lang)) }
                                }
                            } }
                        }
                    } }
                } }
            }
            form.inline method="post" action="/settings/api-keys" {
                input type="hidden" name="csrf" value=(csrf);
                label { (i18n::KEY_NAME.get(lang)) input name="name" required maxlength="64"; }
                label { (i18n::KEY_DAYS.get(lang)) input name="days" type="number" min="1" value="90" required; }
                @if viewer.who.account().actor().may_hold_front_keys() {
                    label { (i18n::KEY_SURFACE.get(lang)) select name="surface" {
                        option value="api" { (i18n::PUBLIC_KEY.get(lang)) }
                        option value="front" { (i18n::FRONT_KEY.get(lang)) }
                    } }
                }
                button type="submit" { (i18n::CREATE_KEY.get(lang)) }
            }
        }
        @if admin {
            section.card {
                h2 { (i18n::WEBHOOKS.get(lang)) }
                p.muted { (i18n::WEBHOOKS_INTRO.get(lang)) }
                ul { @for h in &hooks {
                    li { code { (h.url) } " "
                        form.inline method="post" action={ "/settings/webhooks/" (h.id) "/remove" } {
                            input type="hidden" name="csrf" value=(csrf);
                            button.link type="submit" { (i18n::REVOKE.get(lang)) }
                        }
                    }
                } }
                form.inline method="post" action="/settings/webhooks" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "URL" input name="url" type="url" required maxlength="500"; }
                    button type="submit" { (i18n::ADD_WEBHOOK.get(lang)) }
                }
            }
        }
    };
    Ok(layout(viewer, i18n::SETTINGS, "/settings", body))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    render(&state, &viewer, None).await
}

/// Re-renders the page with the problem, keeping its status, so the gate
/// ledgers the failure.
async fn with_problem(
    state: &AppState,
    viewer: &Viewer,
    e: ApiError,
) -> Result<Response, ApiError> {
    if e.status().is_server_error() {
        return Err(e);
    }
    let (status, code) = (e.status(), e.code());
    let page = render(state, viewer, Some(Flash::Problem(e))).await?;
    Ok(super::page_with_problem(status, code, page))
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    f: CsrfForm<PasswordForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    match auth::change_own_password(
        &state,
        &who.ctx,
        who.account(),
        &f.form.current_password,
        &f.form.new_password,
    )
    .await
    {
        Ok(()) => Ok(super::auth::to_login_signed_out(&state, "password-changed")),
        Err(e) => with_problem(&state, &f.viewer, e).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct NewKeyForm {
    name: String,
    days: String,
    #[serde(default)]
    surface: String,
}

pub(crate) async fn create_api_key(
    State(state): State<AppState>,
    f: CsrfForm<NewKeyForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let days = match f.form.days.trim().parse::<i64>() {
        Ok(d) => d,
        Err(_) => {
            let e = ApiError::invalid("days", "must be a whole number");
            return with_problem(&state, &f.viewer, e).await;
        }
    };
    let front = f.form.surface == "front";
    match auth::create_own_api_key(&state, who, &f.form.name, days, front).await {
        Ok(created) => {
            let key = created.secret.secret.expose().to_owned();
            Ok(render(&state, &f.viewer, Some(Flash::NewKey(key)))
                .await?
                .into_response())
        }
        Err(e) => with_problem(&state, &f.viewer, e).await,
    }
}

pub(crate) async fn revoke_api_key(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    match auth::revoke_api_key(&state, &who.ctx, who.account(), id).await {
        Ok(()) => Ok(render(&state, &f.viewer, Some(Flash::Revoked))
            .await?
            .into_response()),
        Err(e) => with_problem(&state, &f.viewer, e).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct WebhookForm {
    url: String,
}

pub(crate) async fn add_webhook(
    State(state): State<AppState>,
    f: CsrfForm<WebhookForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let added = state
        .workflow()
        .add_webhook(&who.account().actor(), &who.ctx, &f.form.url)
        .await;
    match added {
        Ok((_, secret)) => Ok(render(&state, &f.viewer, Some(Flash::NewWebhook(secret)))
            .await?
            .into_response()),
        Err(e) => with_problem(&state, &f.viewer, e.into()).await,
    }
}

pub(crate) async fn remove_webhook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    match state
        .workflow()
        .remove_webhook(&who.account().actor(), &who.ctx, id)
        .await
    {
        Ok(()) => Ok(render(&state, &f.viewer, Some(Flash::Revoked))
            .await?
            .into_response()),
        Err(e) => with_problem(&state, &f.viewer, e.into()).await,
    }
}
