//! Registering organisations and managing accounts: shared by the API and
//! the `rongshu admin` command, so both validate and ledger alike. Callers
//! check permissions first; these functions only say who is acting.

use rongshu_domain::{
    BadName, PartyType, Role, check_display_name, check_organization_code, check_username,
};
pub use rongshu_ledger::Attribution;
use rongshu_store::{Account, NewAccount, NewOrganization, Organization};

use crate::auth::{commit, new_password_hash};
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

fn name_rule(field: &'static str) -> impl FnOnce(BadName) -> ApiError {
    move |source| ApiError::BadName { field, source }
}

pub async fn create_organization(
    state: &AppState,
    by: &impl Attribution,
    code: &str,
    name: &str,
    party: &str,
) -> Result<Organization, ApiError> {
    check_organization_code(code).map_err(name_rule("code"))?;
    check_display_name(name).map_err(name_rule("name"))?;
    let party: PartyType = party.parse()?;
    let new = NewOrganization {
        code: code.to_owned(),
        name: name.trim().to_owned(),
        party,
    };
    let mut tx = state.store().begin().await?;
    let org = tx.insert_organization(&new, now_ms()).await?;
    tx.append(by.entry(
        "organization.create",
        "organization",
        Some(org.id.to_string()),
    ))
    .await?;
    commit(state, tx).await?;
    Ok(org)
}

/// A new account, as asked for.
pub struct AccountRequest<'a> {
    pub org_id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password: &'a str,
}

impl std::fmt::Debug for AccountRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRequest")
            .field("org_id", &self.org_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

pub async fn create_account(
    state: &AppState,
    by: &impl Attribution,
    req: AccountRequest<'_>,
) -> Result<Account, ApiError> {
    check_username(req.username).map_err(name_rule("username"))?;
    check_display_name(req.display_name).map_err(name_rule("display_name"))?;
    let role: Role = req.role.parse()?;
    state.store().organization(req.org_id).await?;
    let password_hash = new_password_hash(state, req.password, req.username).await?;
    let new = NewAccount {
        org_id: req.org_id,
        username: req.username.to_owned(),
        display_name: req.display_name.trim().to_owned(),
        role,
        password_hash,
    };
    let mut tx = state.store().begin().await?;
    let account = tx.insert_account(&new, now_ms()).await?;
    tx.append(by.entry("account.create", "account", Some(account.id.to_string())))
        .await?;
    commit(state, tx).await?;
    Ok(account)
}

/// Disables (ending every session) or re-enables an account.
pub async fn set_account_disabled(
    state: &AppState,
    by: &impl Attribution,
    account_id: i64,
    disabled: bool,
) -> Result<Account, ApiError> {
    let action = if disabled {
        "account.disable"
    } else {
        "account.enable"
    };
    let mut tx = state.store().begin().await?;
    tx.set_disabled(account_id, disabled).await?;
    if disabled {
        tx.revoke_sessions_of(account_id, now_ms()).await?;
        tx.revoke_api_keys_of(account_id, now_ms()).await?;
    }
    tx.append(by.entry(action, "account", Some(account_id.to_string())))
        .await?;
    let account = tx.account(account_id).await?;
    commit(state, tx).await?;
    Ok(account)
}

/// Sets a new password, clears the lockout and ends every session and API
/// key: an administrator's reset answers a suspected compromise.
pub async fn reset_password(
    state: &AppState,
    by: &impl Attribution,
    account: &Account,
    password: &str,
) -> Result<(), ApiError> {
    let hash = new_password_hash(state, password, &account.username).await?;
    let mut tx = state.store().begin().await?;
    tx.set_password(account.id, &hash).await?;
    tx.revoke_sessions_of(account.id, now_ms()).await?;
    tx.revoke_api_keys_of(account.id, now_ms()).await?;
    tx.append(by.entry(
        "account.reset-password",
        "account",
        Some(account.id.to_string()),
    ))
    .await?;
    commit(state, tx).await
}

/// A data API key for an account (the demo hands one out); the secret is
/// returned this once.
pub async fn create_api_key(
    state: &AppState,
    by: &impl Attribution,
    account: &rongshu_store::Account,
    name: &str,
    days: i64,
) -> Result<(rongshu_store::ApiKey, rongshu_crypto::SecretToken), ApiError> {
    let created = crate::auth::create_api_key(state, by, account, None, name, days, false).await?;
    Ok((created.key, created.secret))
}
