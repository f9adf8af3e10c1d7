//! The console: server-rendered HTML, every asset embedded; one small
//! script of its own streams uploads with a progress bar, nothing else
//! needs script. Text comes from [`i18n`] in Chinese and English.

pub(crate) mod accounts;
pub(crate) mod agreements;
pub(crate) mod assets;
pub(crate) mod auth;
pub(crate) mod catalogue;
pub(crate) mod catalogue_text;
pub(crate) mod consulting;
pub(crate) mod consulting_text;
pub(crate) mod demands;
pub(crate) mod feedback;
pub(crate) mod home;
pub(crate) mod i18n;
pub(crate) mod ledger;
pub(crate) mod product_form;
pub(crate) mod product_text;
pub(crate) mod products;
pub(crate) mod queue;
pub(crate) mod sandbox;
pub(crate) mod sandbox_text;
pub(crate) mod settings;
pub(crate) mod supply;
pub(crate) mod supply_text;
pub(crate) mod workflow_text;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use self::i18n::{Lang, T};
use crate::context::{Credential, Form, SignedIn};
use crate::error::{ApiError, ProblemInfo};
use crate::routes::routes;

/// A signed-in console visitor and their language.
#[derive(Clone, Debug)]
pub(crate) struct Viewer {
    pub who: SignedIn,
    pub lang: Lang,
}

impl Viewer {
    pub fn csrf_token(&self) -> &str {
        match &self.who.principal.credential {
            Credential::ConsoleSession { csrf_token, .. } => csrf_token,
            _ => "",
        }
    }

    /// Refuses a form or upload whose token is not the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ApiError> {
        if sent.is_empty() || !rongshu_crypto::constant_time_eq(sent, self.csrf_token()) {
            return Err(ApiError::CsrfMismatch);
        }
        Ok(())
    }

    /// Refuses an upload whose `x-csrf-token` header (the page's script
    /// sends the session's token there) is not the session's.
    pub fn check_csrf_header(&self, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
        let sent = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        self.check_csrf(sent)
    }

    /// Whether the viewer may open `path` (for drawing menus).
    pub fn may_open(&self, path: &str) -> bool {
        let a = self.who.account();
        routes()
            .iter()
            .any(|r| r.path == path && r.method == "GET" && r.access.admits(a.party, a.role))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let who = SignedIn::from_request_parts(parts, state).await?;
        let lang = Lang::of_headers(&parts.headers);
        Ok(Viewer { who, lang })
    }
}

/// A console form from a signed-in viewer, checked against the session's
/// CSRF token before the handler sees it.
#[derive(Debug)]
pub(crate) struct CsrfForm<T> {
    pub viewer: Viewer,
    pub form: T,
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    csrf: String,
    #[serde(flatten)]
    form: T,
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequest<S> for CsrfForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let Form(WithCsrf { csrf, form }) = Form::<WithCsrf<T>>::from_request(req, state).await?;
        viewer.check_csrf(&csrf)?;
        Ok(CsrfForm { viewer, form })
    }
}

/// A time as people in Chengdu read it: China Standard Time (UTC+8).
pub(crate) fn local_time(ms: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&cst)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A due date with the working days left; overdue ones stand out.
pub(crate) fn due_cell(lang: Lang, due: rongshu_workflow::Due) -> Markup {
    html! {
        span.due.overdue[due.state.is_overdue()] data-left=(due.state.working_days_left()) {
            (due.on) " · " (workflow_text::due_words(lang, due.state))
            @if due.provisional { (workflow_text::PROVISIONAL.get(lang)) }
        }
    }
}

/// Marks a page that shows its own problem, so the gate keeps it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeepPage;

/// A whole number from a form. Numbers arrive as text: the CSRF wrapper
/// flattens the form, and flattened fields are not parsed as numbers.
pub(crate) fn number(field: &'static str, text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, "must be a whole number"))
}

/// A whole number from a form, or none when the field was left empty.
pub(crate) fn optional_number(field: &'static str, text: &str) -> Result<Option<i64>, ApiError> {
    let text = text.trim();
    (!text.is_empty()).then(|| number(field, text)).transpose()
}

/// After a form: on success, on to `next`; on failure, the form's page
/// again (`page` renders it with the notice on top) with the problem on it.
pub(crate) async fn after_form<T, E>(
    viewer: &Viewer,
    done: Result<T, E>,
    next: &str,
    page: impl AsyncFnOnce(Markup) -> Result<Markup, ApiError>,
) -> Result<Response, ApiError>
where
    ApiError: From<E>,
{
    match done {
        Ok(_) => Ok(Redirect::to(next).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            let page = page(problem_notice(viewer.lang, &e)).await?;
            Ok(page_with_problem(e.status(), e.code(), page))
        }
    }
}

/// A page that reports a failed form itself. It keeps the failure's status
/// and code, so the gate still ledgers the failure.
pub(crate) fn page_with_problem(status: StatusCode, code: &'static str, page: Markup) -> Response {
    let mut r = (status, page).into_response();
    r.extensions_mut().insert(ProblemInfo {
        code,
        detail: String::new(),
        field: None,
    });
    r.extensions_mut().insert(KeepPage);
    r
}

/// The notice at the top of a page after a failed form.
pub(crate) fn problem_notice(lang: Lang, e: &ApiError) -> Markup {
    html! {
        div.notice.error role="alert" {
            (i18n::problem_text(e.code()).get(lang))
            (problem_field(lang, e.field()))
            @if lang == Lang::En { " " (e.to_string()) }
        }
    }
}

/// Names the field a problem is about for readers of the Chinese console,
/// who are not shown the English detail that names it.
fn problem_field(lang: Lang, field: Option<&str>) -> Markup {
    html! {
        @if let (Lang::Zh, Some(field)) = (lang, field) {
            "（" (i18n::FIELD.get(lang)) " " code { (field) } "）"
        }
    }
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct NoFields {}

fn head(lang: Lang, title: T) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title.get(lang)) " · " (i18n::PRODUCT.get(lang)) }
            link rel="stylesheet" href="/assets/style.css";
        }
    }
}

/// The frame around every signed-in page.
pub(crate) fn layout(viewer: &Viewer, title: T, current: &str, body: Markup) -> Markup {
    let lang = viewer.lang;
    let account = viewer.who.account();
    let nav: [(&str, T); 14] = [
        ("/home", i18n::HOME),
        ("/demands", workflow_text::DEMANDS),
        ("/products", product_text::PRODUCTS),
        ("/consulting", consulting_text::CONSULTING),
        ("/sandbox", sandbox_text::SANDBOX),
        ("/feedback", product_text::FEEDBACK),
        ("/usage", supply_text::USAGE),
        ("/suspensions", supply_text::SUSPENSIONS),
        ("/lists", workflow_text::LISTS),
        ("/inbox", workflow_text::INBOX),
        ("/catalogue", catalogue_text::CATALOGUE),
        ("/accounts", i18n::ACCOUNTS),
        ("/ledger", i18n::LEDGER),
        ("/settings", i18n::SETTINGS),
    ];
    let (_, other_code, other_label) = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body {
                a.skip href="#main" { (i18n::SKIP_TO_CONTENT.get(lang)) }
                header.top {
                    div.brand { span.mark { "蓉" } span { (i18n::PRODUCT.get(lang)) } }
                    nav.menu {
                        @for (path, label) in nav {
                            @if viewer.may_open(path) {
                                a href=(path) aria-current=[(path == current).then_some("page")] { (label.get(lang)) }
                            }
                        }
                        a href="/api/docs" { (i18n::API_DOCS.get(lang)) }
                        a href={ "/lang/" (other_code) "?back=" (auth::encode_next(current)) } lang=(if other_code == "en" { "en" } else { "zh-CN" }) { (other_label) }
                    }
                    div.who {
                        span.account data-party=(account.party.as_str()) {
                            (account.display_name) " · " (i18n::party_name(account.party).get(lang))
                        }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(viewer.csrf_token());
                            button.link type="submit" { (i18n::SIGN_OUT.get(lang)) }
                        }
                    }
                }
                main.page id="main" {
                    h1 { (title.get(lang)) }
                    (body)
                }
                footer.foot { "Rongshu " (env!("CARGO_PKG_VERSION")) " · " (i18n::FOOTER.get(lang)) }
            }
        }
    }
}

/// A bare page for visitors who are not signed in: a narrow form.
pub(crate) fn bare(lang: Lang, title: T, back: &str, body: Markup) -> Markup {
    public_frame(lang, title, back, "page narrow", body)
}

/// A public page with room for tables (the open data pages).
pub(crate) fn public_page(lang: Lang, title: T, back: &str, body: Markup) -> Markup {
    public_frame(lang, title, back, "page", body)
}

fn public_frame(lang: Lang, title: T, back: &str, class: &str, body: Markup) -> Markup {
    let (_, other_code, other_label) = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(lang, title))
            body.bare {
                header.top {
                    div.brand { span.mark { "蓉" } span { (i18n::PRODUCT.get(lang)) } }
                    nav.menu { a href={ "/lang/" (other_code) "?back=" (auth::encode_next(back)) } { (other_label) } }
                }
                main class=(class) id="main" { (body) }
            }
        }
    }
}

/// The page shown for a problem on a console route.
pub(crate) fn error_page(
    lang: Lang,
    status: StatusCode,
    problem: &ProblemInfo,
    request_id: &str,
) -> Markup {
    let body = html! {
        div.notice.error role="alert" {
            p { strong { (i18n::problem_text(problem.code).get(lang)) } (problem_field(lang, problem.field)) }
            @if lang == Lang::En { p { (problem.detail) } }
            p.meta { "HTTP " (status.as_u16()) " · " code { (problem.code) } " · " (i18n::REQUEST_ID.get(lang)) " " code { (request_id) } }
        }
        p { a href="/home" { (i18n::BACK_HOME.get(lang)) } }
    };
    bare(
        lang,
        i18n::ERROR_TITLE,
        "/home",
        html! { h1 { (i18n::ERROR_TITLE.get(lang)) } (body) },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_in_china_standard_time() {
        assert_eq!(super::local_time(0), "1970-01-01 08:00:00");
    }
}
