//! The caller's own account: profile, password, API keys.

use axum::extract::State;
use axum::http::StatusCode;

use super::types::{
    AccountView, ApiKeyCreated, ApiKeyView, ChangePasswordRequest, CreateApiKeyRequest,
};
use crate::auth;
use crate::context::{Credential, Json, Path, SignedIn};
use crate::error::ApiError;
use crate::state::AppState;

const DEFAULT_KEY_DAYS: i64 = 90;

pub(crate) async fn show(who: SignedIn) -> Json<AccountView> {
    Json(AccountView::from(who.account()))
}

#[tracing::instrument(skip_all, fields(account = who.account().id))]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    who: SignedIn,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    auth::change_own_password(
        &state,
        &who.ctx,
        who.account(),
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn list_api_keys(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    let keys = state.store().api_keys(who.account().id).await?;
    Ok(Json(keys.iter().map(ApiKeyView::from).collect()))
}

#[tracing::instrument(skip_all, fields(account = who.account().id))]
pub(crate) async fn create_api_key(
    State(state): State<AppState>,
    who: SignedIn,
    Json(body): Json<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    if matches!(who.principal.credential, Credential::ApiKey { .. }) {
        return Err(ApiError::SessionRequired);
    }
    let days = body.expires_in_days.unwrap_or(DEFAULT_KEY_DAYS);
    let front = match body.surface.as_deref() {
        None | Some("api") => false,
        Some("front") => true,
        Some(_) => {
            return Err(ApiError::invalid("surface", "must be api or front"));
        }
    };
    let created = auth::create_own_api_key(&state, &who, &body.name, days, front).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated {
            key: created.secret.secret.expose().to_owned(),
            view: ApiKeyView::from(&created.key),
        }),
    ))
}

#[tracing::instrument(skip_all, fields(account = who.account().id, key = id))]
pub(crate) async fn revoke_api_key(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    auth::revoke_api_key(&state, &who.ctx, who.account(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
