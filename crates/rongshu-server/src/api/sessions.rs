//! `POST /api/v1/sessions` and `DELETE /api/v1/sessions/current`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rongshu_store::SessionKind;

use super::types::{AccountView, SessionCreated, SignInRequest, rfc3339};
use crate::auth;
use crate::context::{Credential, Json, RequestContext, SignedIn};
use crate::error::ApiError;
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(username = %body.username))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<SignInRequest>,
) -> Response {
    match auth::sign_in(
        &state,
        &ctx,
        &body.username,
        &body.password,
        SessionKind::Api,
    )
    .await
    {
        Ok(s) => (
            StatusCode::CREATED,
            Json(SessionCreated {
                token: s.token.secret.expose().to_owned(),
                expires_at: rfc3339(s.expires_at_ms),
                account: AccountView::from(&s.account),
            }),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[tracing::instrument(skip_all)]
pub(crate) async fn revoke_current(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<StatusCode, ApiError> {
    let Credential::ApiSession { session_id } = who.principal.credential else {
        return Err(ApiError::invalid(
            "authorization",
            "an API key is not a session: revoke it instead",
        ));
    };
    auth::sign_out(&state, &who.ctx, session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
