//! Organisations and their accounts.

use axum::extract::State;
use axum::http::StatusCode;
use rongshu_domain::PartyType;

use super::types::{
    AccountView, CreateAccountRequest, CreateOrganizationRequest, OrganizationView,
    ResetPasswordRequest,
};
use crate::admin::{self, AccountRequest};
use crate::context::{Json, Path, SignedIn};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) async fn list(
    State(state): State<AppState>,
) -> Result<Json<Vec<OrganizationView>>, ApiError> {
    let orgs = state.store().organizations().await?;
    Ok(Json(orgs.iter().map(OrganizationView::from).collect()))
}

#[tracing::instrument(skip_all, fields(code = %body.code))]
pub(crate) async fn create(
    State(state): State<AppState>,
    who: SignedIn,
    Json(body): Json<CreateOrganizationRequest>,
) -> Result<(StatusCode, Json<OrganizationView>), ApiError> {
    // An unknown party is refused by the checks that follow.
    let party = body.party_type.parse().unwrap_or(PartyType::User);
    if !who.account().actor().may_register(party) {
        return Err(ApiError::NotAParty(
            "only the operator's administrators register organisations, and only providers and users",
        ));
    }
    let org =
        admin::create_organization(&state, &who.ctx, &body.code, &body.name, &body.party_type)
            .await?;
    Ok((StatusCode::CREATED, Json(OrganizationView::from(&org))))
}

/// The caller must administer `org_id`: its own organisation, or for the
/// operator one it serves.
async fn require_manager(state: &AppState, who: &SignedIn, org_id: i64) -> Result<(), ApiError> {
    let org = state.store().organization(org_id).await?;
    if who
        .account()
        .actor()
        .may_manage_accounts_of(org.id, org.party)
    {
        Ok(())
    } else {
        Err(ApiError::OtherOrganization)
    }
}

pub(crate) async fn list_accounts(
    State(state): State<AppState>,
    who: SignedIn,
    Path(org_id): Path<i64>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    require_manager(&state, &who, org_id).await?;
    let accounts = state.store().accounts(Some(org_id)).await?;
    Ok(Json(accounts.iter().map(AccountView::from).collect()))
}

#[tracing::instrument(skip_all, fields(org = org_id, username = %body.username))]
pub(crate) async fn create_account(
    State(state): State<AppState>,
    who: SignedIn,
    Path(org_id): Path<i64>,
    Json(body): Json<CreateAccountRequest>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    require_manager(&state, &who, org_id).await?;
    let request = AccountRequest {
        org_id,
        username: &body.username,
        display_name: &body.display_name,
        role: &body.role,
        password: &body.password,
    };
    let account = admin::create_account(&state, &who.ctx, request).await?;
    Ok((StatusCode::CREATED, Json(AccountView::from(&account))))
}

async fn set_disabled(
    state: AppState,
    who: SignedIn,
    account_id: i64,
    disabled: bool,
) -> Result<Json<AccountView>, ApiError> {
    let target = state.store().account(account_id).await?;
    require_manager(&state, &who, target.org_id).await?;
    if disabled && account_id == who.account().id {
        return Err(ApiError::SelfDisable);
    }
    let account = admin::set_account_disabled(&state, &who.ctx, account_id, disabled).await?;
    Ok(Json(AccountView::from(&account)))
}

#[tracing::instrument(skip_all, fields(account = id))]
pub(crate) async fn disable_account(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<AccountView>, ApiError> {
    set_disabled(state, who, id, true).await
}

#[tracing::instrument(skip_all, fields(account = id))]
pub(crate) async fn enable_account(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<AccountView>, ApiError> {
    set_disabled(state, who, id, false).await
}

#[tracing::instrument(skip_all, fields(account = id))]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(body): Json<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let target = state.store().account(id).await?;
    require_manager(&state, &who, target.org_id).await?;
    admin::reset_password(&state, &who.ctx, &target, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
