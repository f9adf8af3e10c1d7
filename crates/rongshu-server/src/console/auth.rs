//! Signing in and out of the console, and the language switch.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rongshu_crypto::SecretToken;
use rongshu_store::SessionKind;
use serde::Deserialize;

use super::i18n::{self, Lang};
use super::{CsrfForm, NoFields, bare};
use crate::auth::{
    LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, SignInError, cookie, set_cookie, sign_in,
    sign_out,
};
use crate::context::{Credential, Form, Path, Query, RequestContext};
use crate::error::{AlreadyLedgered, ApiError};
use crate::state::AppState;

/// Percent-encodes a local path for a `next` or `back` parameter.
pub(crate) fn encode_next(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only paths on this site: never `//host`, a full URL, or anything with
/// whitespace, control characters or backslashes, which browsers strip or
/// rewrite into `//host` (open redirect).
fn safe_local(path: Option<&str>) -> &str {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            p
        }
        _ => "/home",
    }
}

pub(crate) async fn index(ctx: RequestContext) -> Redirect {
    Redirect::to(if ctx.principal.is_some() {
        "/home"
    } else {
        "/login"
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

fn login_form(
    lang: Lang,
    csrf: &str,
    next: &str,
    username: &str,
    message: Option<Markup>,
) -> Markup {
    bare(
        lang,
        i18n::SIGN_IN,
        "/login",
        html! {
            h1 { (i18n::SIGN_IN.get(lang)) }
            p.lead { (i18n::SIGN_IN_INTRO.get(lang)) }
            @if let Some(m) = message { (m) }
            form.card method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { (i18n::USERNAME.get(lang))
                    input name="username" id="username" autocomplete="username" required value=(username) autofocus; }
                label { (i18n::PASSWORD.get(lang))
                    input name="password" id="password" type="password" autocomplete="current-password" required; }
                button.primary type="submit" id="sign-in" { (i18n::SIGN_IN.get(lang)) }
            }
            p { a href="/open-data" { (super::catalogue_text::OPEN_DATA.get(lang)) } }
        },
    )
}

pub(crate) async fn login_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    lang: Lang,
    Query(q): Query<LoginQuery>,
) -> Response {
    if ctx.principal.is_some() {
        return Redirect::to(safe_local(q.next.as_deref())).into_response();
    }
    // Login CSRF: a double-submit token, since there is no session yet.
    let csrf = SecretToken::generate("").secret.expose().to_owned();
    let notice = match q.notice.as_deref() {
        Some("password-changed") => Some(i18n::PASSWORD_CHANGED),
        Some("signed-out") => Some(i18n::SIGNED_OUT),
        _ => None,
    };
    let message = notice.map(|t| html! { div.notice role="status" { (t.get(lang)) } });
    let page = login_form(lang, &csrf, safe_local(q.next.as_deref()), "", message);
    (
        [(
            header::SET_COOKIE,
            set_cookie(&state, LOGIN_CSRF_COOKIE, &csrf, 3600),
        )],
        page,
    )
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_local(form.next.as_deref()).to_owned();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    if expected.is_none_or(|c| c.is_empty() || !rongshu_crypto::constant_time_eq(c, &form.csrf)) {
        return ApiError::CsrfMismatch.into_response();
    }
    match sign_in(
        &state,
        &ctx,
        form.username.trim(),
        &form.password,
        SessionKind::Console,
    )
    .await
    {
        Ok(session) => {
            let max_age = state.settings().console_session_minutes * 60;
            let token = session.token.secret.expose();
            redirect_setting(
                &next,
                &[
                    set_cookie(&state, SESSION_COOKIE, token, max_age),
                    set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0),
                ],
            )
        }
        Err(SignInError::Recorded(e)) => {
            let message = html! { div.notice.error role="alert" { (i18n::problem_text(e.code()).get(lang)) } };
            let page = login_form(lang, &form.csrf, &next, form.username.trim(), Some(message));
            let mut r = (e.status(), page).into_response();
            r.extensions_mut().insert(AlreadyLedgered);
            r
        }
        Err(e @ SignInError::Unrecorded(_)) => e.into_response(),
    }
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    form: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let Credential::ConsoleSession { session_id, .. } = form.viewer.who.principal.credential else {
        return Err(ApiError::NotSignedIn);
    };
    sign_out(&state, &form.viewer.who.ctx, session_id).await?;
    Ok(to_login_signed_out(&state, "signed-out"))
}

#[derive(Deserialize)]
pub(crate) struct BackQuery {
    back: Option<String>,
}

pub(crate) async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<BackQuery>,
) -> Result<Response, ApiError> {
    let value = match lang.as_str() {
        "zh" | "en" => lang,
        _ => {
            return Err(ApiError::invalid("lang", "must be zh or en"));
        }
    };
    // The language is not a secret, but it stays first-party like the rest.
    let cookie = set_cookie(&state, LANG_COOKIE, &value, 365 * 86_400);
    Ok(redirect_setting(safe_local(q.back.as_deref()), &[cookie]))
}

/// A redirect that sets (or, with max-age 0, clears) cookies.
fn redirect_setting(to: &str, cookies: &[String]) -> Response {
    let mut r = Redirect::to(to).into_response();
    for c in cookies {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// Back to the sign-in page with a notice (`signed-out`,
/// `password-changed`), the session cookie cleared.
pub(crate) fn to_login_signed_out(state: &AppState, notice: &str) -> Response {
    let clear = set_cookie(state, SESSION_COOKIE, "", 0);
    redirect_setting(&format!("/login?notice={notice}"), &[clear])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_local(Some("/ledger?action=x")), "/ledger?action=x");
        assert_eq!(safe_local(Some("//evil.example")), "/home");
        assert_eq!(safe_local(Some("https://evil.example")), "/home");
        assert_eq!(safe_local(Some("/\\evil.example")), "/home");
        assert_eq!(safe_local(Some("/\t/evil.example")), "/home");
        assert_eq!(safe_local(Some("/\n/evil.example")), "/home");
        assert_eq!(safe_local(Some("/ /evil.example")), "/home");
        assert_eq!(safe_local(None), "/home");
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(encode_next("/ledger?a=1&b=2"), "/ledger%3Fa%3D1%26b%3D2");
    }
}
