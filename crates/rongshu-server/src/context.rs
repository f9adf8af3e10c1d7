//! What the gate learns about a request and hands to handlers, and the
//! extractors that turn malformed input into problem responses.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use rongshu_ledger::EntryDraft;
use rongshu_store::Account;

use crate::error::ApiError;
use crate::state::now_ms;

/// At most `max` characters of `s`: for text a caller chose that goes
/// into the ledger, which keeps everything for at least six months.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// An entry for something the platform does by itself, on no request.
pub(crate) fn system_entry(action: &str, object_type: &str) -> EntryDraft {
    EntryDraft {
        actor_username: Some("system".to_owned()),
        ..EntryDraft::new(now_ms(), action, object_type)
    }
}

/// How the caller proved who they are. `Debug` leaves the CSRF token out.
#[derive(Clone)]
pub(crate) enum Credential {
    /// A console cookie session, with the token its forms must echo.
    ConsoleSession { session_id: i64, csrf_token: String },
    /// A bearer token from `POST /api/v1/sessions`.
    ApiSession { session_id: i64 },
    /// A long-lived API key; `stamp` is the access epoch it was checked
    /// under when it came from the cache of data calls.
    ApiKey { stamp: Option<i64> },
}

impl Credential {
    /// The session signed in with, if it was one.
    pub fn session_id(&self) -> Option<i64> {
        match self {
            Credential::ConsoleSession { session_id, .. }
            | Credential::ApiSession { session_id } => Some(*session_id),
            Credential::ApiKey { .. } => None,
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::ConsoleSession { session_id, .. } => {
                write!(f, "ConsoleSession({session_id})")
            }
            Credential::ApiSession { session_id } => write!(f, "ApiSession({session_id})"),
            Credential::ApiKey { .. } => f.write_str("ApiKey"),
        }
    }
}

/// A signed-in caller.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    pub account: Account,
    pub credential: Credential,
}

/// Per-request facts, set by the gate before the handler runs.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    pub request_id: String,
    pub client_addr: Option<String>,
    pub principal: Option<Principal>,
}

impl crate::admin::Attribution for RequestContext {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        RequestContext::entry(self, action, object_type, object_id)
    }
}

impl RequestContext {
    /// A ledger entry for this request, with the actor filled in.
    pub fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        let account = self.principal.as_ref().map(|p| &p.account);
        EntryDraft {
            actor_account_id: account.map(|a| a.id),
            actor_username: account.map(|a| a.username.clone()),
            org_id: account.map(|a| a.org_id),
            party: account.map(|a| a.party),
            object_id,
            request_id: Some(self.request_id.clone()),
            client_addr: self.client_addr.clone(),
            ..EntryDraft::new(now_ms(), action, object_type)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<RequestContext>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "route is not behind the gate",
        ))
    }
}

/// The signed-in caller of a route whose access rule requires one. The gate
/// has already checked the rule; this only hands the result over.
#[derive(Clone, Debug)]
pub(crate) struct SignedIn {
    pub ctx: RequestContext,
    pub principal: Principal,
}

impl SignedIn {
    pub fn account(&self) -> &Account {
        &self.principal.account
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotSignedIn)?;
        let principal = ctx.principal.clone().ok_or(ApiError::NotSignedIn)?;
        Ok(SignedIn { ctx, principal })
    }
}

/// JSON body; a malformed one is a `request.malformed-body` problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Form body.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub(crate) struct Form<T>(pub T);

/// Path parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(pub T);

/// Query parameters.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct Query<T>(pub T);

fn too_large(status: StatusCode) -> bool {
    status == StatusCode::PAYLOAD_TOO_LARGE
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if too_large(r.status()) {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedBody(r.body_text())
        }
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        if too_large(r.status()) {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedBody(r.body_text())
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::MalformedParameter(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::MalformedParameter(r.body_text())
    }
}
