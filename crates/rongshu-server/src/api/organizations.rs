//! Organisations and their accounts.

use axum::extract::State;
use axum::http::StatusCode;
use rongshu_domain::{
    PartyType, Role, check_display_name, check_organization_code, check_username,
};
use rongshu_store::{Account, NewAccount, NewOrganization};

use super::types::{
    AccountView, CreateAccountRequest, CreateOrganizationRequest, OrganizationView,
    ResetPasswordRequest,
};
use crate::auth::{self, commit};
use crate::context::{Json, Path, SignedIn};
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

fn name_rule(field: &'static str) -> impl FnOnce(rongshu_domain::BadName) -> ApiError {
    move |source| ApiError::BadName { field, source }
}

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
    if !who.account().actor().may_register_organizations() {
        return Err(ApiError::OtherOrganization);
    }
    check_organization_code(&body.code).map_err(name_rule("code"))?;
    check_display_name(&body.name).map_err(name_rule("name"))?;
    let party: PartyType = body.party_type.parse()?;
    let new = NewOrganization {
        code: body.code,
        name: body.name.trim().to_owned(),
        party,
    };
    let mut tx = state.store().begin().await?;
    let org = tx.insert_organization(&new, now_ms()).await?;
    tx.append(who.entry(
        "organization.create",
        "organization",
        Some(org.id.to_string()),
    ))
    .await?;
    commit(&state, tx).await?;
    Ok((StatusCode::CREATED, Json(OrganizationView::from(&org))))
}

/// The caller must administer `org_id`: its own organisation, or any for the operator.
fn require_manager(who: &SignedIn, org_id: i64) -> Result<(), ApiError> {
    if who.account().actor().may_manage_accounts_of(org_id) {
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
    require_manager(&who, org_id)?;
    state.store().organization(org_id).await?;
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
    require_manager(&who, org_id)?;
    check_username(&body.username).map_err(name_rule("username"))?;
    check_display_name(&body.display_name).map_err(name_rule("display_name"))?;
    let role: Role = body.role.parse()?;
    let password_hash = auth::new_password_hash(&state, &body.password, &body.username).await?;
    let new = NewAccount {
        org_id,
        username: body.username,
        display_name: body.display_name.trim().to_owned(),
        role,
        password_hash,
    };
    let mut tx = state.store().begin().await?;
    let account = tx.insert_account(&new, now_ms()).await?;
    tx.append(who.entry("account.create", "account", Some(account.id.to_string())))
        .await?;
    commit(&state, tx).await?;
    Ok((StatusCode::CREATED, Json(AccountView::from(&account))))
}

/// Loads the target account and checks the caller administers its organisation.
async fn managed_account(
    state: &AppState,
    who: &SignedIn,
    account_id: i64,
) -> Result<Account, ApiError> {
    let account = state.store().account(account_id).await?;
    require_manager(who, account.org_id)?;
    Ok(account)
}

async fn set_disabled(
    state: AppState,
    who: SignedIn,
    account_id: i64,
    disabled: bool,
) -> Result<Json<AccountView>, ApiError> {
    managed_account(&state, &who, account_id).await?;
    if disabled && account_id == who.account().id {
        return Err(ApiError::SelfDisable);
    }
    let action = if disabled {
        "account.disable"
    } else {
        "account.enable"
    };
    let mut tx = state.store().begin().await?;
    tx.set_disabled(account_id, disabled).await?;
    if disabled {
        tx.revoke_sessions_of(account_id, now_ms()).await?;
    }
    tx.append(who.entry(action, "account", Some(account_id.to_string())))
        .await?;
    let account = tx.account(account_id).await?;
    commit(&state, tx).await?;
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
    let account = managed_account(&state, &who, id).await?;
    let hash = auth::new_password_hash(&state, &body.new_password, &account.username).await?;
    let mut tx = state.store().begin().await?;
    tx.set_password(id, &hash).await?;
    tx.revoke_sessions_of(id, now_ms()).await?;
    tx.append(who.entry("account.reset-password", "account", Some(id.to_string())))
        .await?;
    commit(&state, tx).await?;
    Ok(StatusCode::NO_CONTENT)
}
