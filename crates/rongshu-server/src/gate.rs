//! The gate: every declared route runs behind it. It gives the request an
//! id, finds who is calling, enforces the route's declared access rule,
//! ledgers denials, failures and audited reads, and records metrics.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use rongshu_crypto::sm3_hex;
use rongshu_ledger::{EntryDraft, Outcome};
use rongshu_store::{Account, ApiKey, SessionKind, SessionPrincipal};

use crate::auth::{KeyRefusal, SESSION_COOKIE, cookie};
use crate::console;
use crate::context::{Credential, Principal, RequestContext, clip};
use crate::error::{AlreadyLedgered, ApiError, ProblemInfo, REQUEST_ID, is_denial};
use crate::routes::{Audit, RouteSpec, Surface};
use crate::state::{AppState, now_ms};

pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Clone)]
pub(crate) struct Gate {
    state: AppState,
    spec: &'static RouteSpec,
}

/// The route's handler, behind the gate.
pub(crate) fn guarded(state: &AppState, spec: &'static RouteSpec) -> MethodRouter<AppState> {
    (spec.handler)().layer(from_fn_with_state(
        Gate {
            state: state.clone(),
            spec,
        },
        enforce,
    ))
}

/// A caller-supplied request id is kept when it is short and plain, so a
/// load balancer's id carries through; otherwise a fresh one is made.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn client_addr(req: &Request) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

async fn enforce(State(gate): State<Gate>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let Gate { state, spec } = gate;
    let request_id = request_id(&req);
    let lang = console::i18n::Lang::of_headers(req.headers());
    // Browsers get pages; programs calling console routes get problems.
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    // The method actually used: a route's gate also answers its 405s.
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| clip(p.as_str(), 512))
        .unwrap_or_default();
    let ctx = RequestContext {
        request_id: request_id.clone(),
        client_addr: client_addr(&req),
        principal: None,
    };

    let mut response = REQUEST_ID
        .scope(request_id.clone(), async {
            let principal = match resolve(&state, spec, req.headers()).await {
                Ok(p) => p,
                Err(e @ (ApiError::KeyRefused(_) | ApiError::ApiKeyRequired)) => {
                    // The first step of the access chain: refused and ledgered.
                    let code = Some(e.code());
                    let ledgered =
                        ledger(&state, &ctx, spec, &method, &target, Outcome::Denied, code).await;
                    let mut r = ledgered.err().unwrap_or(e).into_response();
                    r.extensions_mut().insert(AlreadyLedgered);
                    return r;
                }
                Err(e) => return e.into_response(),
            };
            let ctx = RequestContext { principal, ..ctx };
            let actor = ctx.principal.as_ref().map(|p| p.account.actor());
            if let Err(denial) = spec.access.check(actor.as_ref()) {
                let err = ApiError::from(denial);
                if let Err(e) = ledger(
                    &state,
                    &ctx,
                    spec,
                    &method,
                    &target,
                    Outcome::Denied,
                    Some(err.code()),
                )
                .await
                {
                    return e.into_response();
                }
                let mut r = err.into_response();
                r.extensions_mut().insert(AlreadyLedgered);
                return r;
            }
            req.extensions_mut().insert(ctx.clone());
            let response = next.run(req).await;
            let status = response.status();
            let already = response.extensions().get::<AlreadyLedgered>().is_some();
            let code = response.extensions().get::<ProblemInfo>().map(|p| p.code);
            let outcome = if status.is_client_error() || status.is_server_error() {
                // A handler's own access refusal (another organisation's
                // records, a step of the data-call chain) is a denial like
                // the gate's.
                let denied = code.is_some_and(is_denial);
                (!already).then_some(if denied {
                    Outcome::Denied
                } else {
                    Outcome::Failed
                })
            } else {
                (spec.audit == Audit::Read).then_some(Outcome::Success)
            };
            if let Some(outcome) = outcome
                && let Err(e) = ledger(&state, &ctx, spec, &method, &target, outcome, code).await
            {
                return e.into_response();
            }
            response
        })
        .await;

    // One line a request, with no span around it: a span is made, its
    // fields formatted and stored, entered and left at every poll, which
    // in a profile of data calls cost more than the line itself. Lines
    // logged inside a request name its id themselves (`ApiError`).
    let (status, elapsed) = (response.status().as_u16(), started.elapsed());
    tracing::info!(
        request_id = %request_id,
        %method,
        route = spec.path,
        status,
        elapsed_ms = elapsed.as_millis() as u64,
        "request finished"
    );
    state
        .metrics()
        .observe(spec.path, spec.method.as_str(), status, elapsed);
    if spec.surface == Surface::Console {
        response = if wants_html {
            console_error(response, &method, &target, lang, &request_id)
        } else {
            console_problem(response, lang, &request_id)
        };
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    harden(&mut response, spec.surface);
    response
}

/// Browser protections. The console's one script is its own file (the
/// upload's progress), so no inline script runs; nothing may frame it;
/// signed-in pages and API replies are never cached.
fn harden(response: &mut Response, surface: Surface) {
    const POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
                          img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    if surface != Surface::System {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Console pages answer errors as pages: a missing sign-in on a page goes
/// to the sign-in form, anything else renders the problem in the page.
fn console_error(
    response: Response,
    method: &Method,
    target: &str,
    lang: console::i18n::Lang,
    request_id: &str,
) -> Response {
    let Some(problem) = response.extensions().get::<ProblemInfo>().cloned() else {
        return response;
    };
    if response.extensions().get::<console::KeepPage>().is_some() {
        return response;
    }
    if problem.code == "auth.sign-in-required" && method == Method::GET {
        return Redirect::to(&format!(
            "/login?next={}",
            console::auth::encode_next(target)
        ))
        .into_response();
    }
    let status = response.status();
    let mut page = console::error_page(lang, status, &problem, request_id).into_response();
    *page.status_mut() = status;
    page.extensions_mut().insert(problem);
    page
}

/// A problem the console's own scripts fetched (a download, an upload):
/// titled in the reader's language, since the detail is in English.
fn console_problem(response: Response, lang: console::i18n::Lang, request_id: &str) -> Response {
    let Some(problem) = response.extensions().get::<ProblemInfo>().cloned() else {
        return response;
    };
    let title = console::i18n::problem_text(problem.code)
        .get(lang)
        .to_owned();
    let (parts, _) = response.into_parts();
    let mut localized = problem.response(parts.status, title, request_id.to_owned());
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            localized.headers_mut().insert(name, value.clone());
        }
    }
    localized.extensions_mut().insert(problem);
    localized
}

async fn ledger(
    state: &AppState,
    ctx: &RequestContext,
    spec: &RouteSpec,
    method: &Method,
    target: &str,
    outcome: Outcome,
    code: Option<&str>,
) -> Result<(), ApiError> {
    let draft = EntryDraft {
        outcome,
        reason: code.map(str::to_owned),
        ..ctx.entry(spec.action, "route", Some(format!("{method} {target}")))
    };
    state.store().append(draft).await?;
    state.metrics().ledgered(1);
    Ok(())
}

/// Finds the signed-in caller the way the route's surface accepts.
pub(crate) async fn resolve(
    state: &AppState,
    spec: &RouteSpec,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    let now = now_ms();
    match spec.surface {
        Surface::System => Ok(None),
        Surface::Console => {
            let Some(token) = cookie(headers, SESSION_COOKIE) else {
                return Ok(None);
            };
            let session = session_of_kind(state, token, SessionKind::Console, now).await?;
            Ok(session.map(|s| Principal {
                account: s.account,
                credential: Credential::ConsoleSession {
                    session_id: s.session_id,
                    csrf_token: s.csrf_token,
                },
            }))
        }
        Surface::Front => match bearer(headers) {
            Some(token) if token.starts_with(crate::auth::API_KEY_PREFIX) => {
                api_key(state, token, true, false, now).await
            }
            _ => Ok(None),
        },
        Surface::Api => {
            let Some(token) = bearer(headers) else {
                return Ok(None);
            };
            let data_call = spec.audit == Audit::DataCall;
            if token.starts_with(crate::auth::API_KEY_PREFIX) {
                return api_key(state, token, false, data_call, now).await;
            }
            // Data is used under API keys alone: the key is what a user
            // revokes, and the first link of every call's chain.
            if data_call {
                return Err(ApiError::ApiKeyRequired);
            }
            let session = session_of_kind(state, token, SessionKind::Api, now).await?;
            Ok(session.map(|s| Principal {
                account: s.account,
                credential: Credential::ApiSession {
                    session_id: s.session_id,
                },
            }))
        }
    }
}

/// The caller's public API key, read from the database, not the cache.
pub(crate) async fn fresh_api_key(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    match bearer(headers) {
        Some(token) if token.starts_with(crate::auth::API_KEY_PREFIX) => {
            api_key(state, token, false, false, now_ms()).await
        }
        _ => Ok(None),
    }
}

/// An API key is honoured only on the listener it was issued for: public
/// keys on the API, front-system keys on the front system. Data calls take
/// it from the per-process cache.
async fn api_key(
    state: &AppState,
    token: &str,
    front: bool,
    cached: bool,
    now: i64,
) -> Result<Option<Principal>, ApiError> {
    if cached {
        let found = (state.data_call_keys())
            .key(state.store(), state.keys(), token)
            .await?;
        let found = found.as_deref();
        honoured(
            found.map(|f| (&f.key, &f.account)),
            front,
            now,
            found.map(|f| f.stamp),
        )
    } else {
        let found = state
            .store()
            .api_key_by_hash(&state.keys().hash_hex(token))
            .await?;
        honoured(found.as_ref().map(|(k, a)| (k, a)), front, now, None)
    }
}

/// The principal of a key `found` (read under the epoch `stamp`, if
/// cached), or why it is refused.
fn honoured(
    found: Option<(&ApiKey, &Account)>,
    front: bool,
    now: i64,
    stamp: Option<i64>,
) -> Result<Option<Principal>, ApiError> {
    if let Some(why) = KeyRefusal::of(found, front, now) {
        return Err(why.into());
    }
    Ok(found.map(|(_, account)| Principal {
        account: account.clone(),
        credential: Credential::ApiKey { stamp },
    }))
}

/// A session token is honoured only on the surface it was issued for.
async fn session_of_kind(
    state: &AppState,
    token: &str,
    kind: SessionKind,
    now: i64,
) -> Result<Option<SessionPrincipal>, ApiError> {
    let session = state.store().session(&sm3_hex(token), now).await?;
    Ok(session.filter(|s| s.kind == kind))
}

/// `Bearer <token>`, or a bare API key as CKAN clients send it.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if value.starts_with(crate::auth::API_KEY_PREFIX) {
        return Some(value);
    }
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Renders `error` as a problem carrying `request_id`, outside the gate.
fn problem_with_id(error: ApiError, request_id: String) -> Response {
    let header = HeaderValue::from_str(&request_id).ok();
    let mut r = REQUEST_ID.sync_scope(request_id, || error.into_response());
    if let Some(v) = header {
        r.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    r
}

/// Requests no route matches, and bare errors the router itself produces
/// (wrong method, body too large), become problems too.
pub(crate) async fn unmatched(req: Request) -> Response {
    problem_with_id(ApiError::NoRoute, request_id(&req))
}

/// Turns the router's own bare error responses into problems.
pub(crate) async fn problem_for_bare_errors(response: Response) -> Response {
    if response.extensions().get::<ProblemInfo>().is_some() {
        return response;
    }
    let error = match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => return response,
    };
    let request_id = response
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    problem_with_id(error, request_id)
}
