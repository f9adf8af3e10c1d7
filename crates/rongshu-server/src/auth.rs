//! Signing in and the secrets that follow: sessions, cookies, API keys.
//! Shared by the API and the console so both enforce the same lockout and
//! ledger the same way.

use axum::http::HeaderMap;
use rongshu_crypto::{SecretToken, check_strength, sm3_hex};
use rongshu_domain::LockoutPolicy;
use rongshu_ledger::{EntryDraft, Outcome};
use rongshu_store::{Account, ApiKey, NewApiKey, SessionKind, WriteTx};

use crate::context::{RequestContext, SignedIn, clip};
use crate::error::{ApiError, Ledgered};
use crate::state::{AppState, now_ms};
use axum::response::{IntoResponse, Response};

pub(crate) const SESSION_COOKIE: &str = "rongshu_session";
pub(crate) const LANG_COOKIE: &str = "rongshu_lang";
pub(crate) const LOGIN_CSRF_COOKIE: &str = "rongshu_login_csrf";
pub(crate) const SESSION_PREFIX: &str = "rss_";
pub(crate) const API_KEY_PREFIX: &str = "rsk_";

/// Why an API key presented with a request was not honoured; each has its
/// own problem code, so a caller knows to renew, ask again or stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    #[error("no API key has this value")]
    Unknown,
    #[error("this key is for the other listener (public API or front system)")]
    OtherListener,
    #[error("this API key was revoked")]
    Revoked,
    #[error("the account this API key belongs to is disabled")]
    AccountDisabled,
    #[error("this API key has expired; create a new one")]
    Expired,
}

impl KeyRefusal {
    /// Why `found` (the key with the value presented, if any) is not
    /// honoured at `now_ms` on the listener `front` says; none if it is.
    pub(crate) fn of(found: Option<(&ApiKey, &Account)>, front: bool, now_ms: i64) -> Option<Self> {
        let Some((key, account)) = found else {
            return Some(KeyRefusal::Unknown);
        };
        if key.front != front {
            Some(KeyRefusal::OtherListener)
        } else if key.revoked_at_ms.is_some() {
            Some(KeyRefusal::Revoked)
        } else if account.disabled {
            Some(KeyRefusal::AccountDisabled)
        } else if key.expires_at_ms <= now_ms {
            Some(KeyRefusal::Expired)
        } else {
            None
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            KeyRefusal::Unknown => "auth.key-unknown",
            KeyRefusal::OtherListener => "auth.key-other-listener",
            KeyRefusal::Revoked => "auth.key-revoked",
            KeyRefusal::AccountDisabled => "auth.key-account-disabled",
            KeyRefusal::Expired => "auth.key-expired",
        }
    }
}

/// A cookie's value from the request headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Strict always, Secure under TLS.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = if state.settings().secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// A session just opened; the token leaves the server only in this value.
#[derive(Debug)]
pub(crate) struct OpenedSession {
    pub token: SecretToken,
    pub expires_at_ms: i64,
    pub account: Account,
}

/// Argon2 takes tens of milliseconds: keep it off the async workers.
async fn verify_password(
    state: &AppState,
    password: &str,
    stored: Option<String>,
) -> Result<bool, ApiError> {
    let hasher = state.passwords().clone();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => hasher.verify(&password, &stored),
        None => {
            hasher.verify_decoy(&password);
            Ok(false)
        }
    })
    .await
    .expect("password verification does not panic")
    .map_err(ApiError::from)
}

pub(crate) async fn hash_password(state: &AppState, password: &str) -> Result<String, ApiError> {
    let hasher = state.passwords().clone();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .expect("password hashing does not panic")
        .map_err(ApiError::from)
}

/// Checks a new password's strength and hashes it.
pub(crate) async fn new_password_hash(
    state: &AppState,
    password: &str,
    username: &str,
) -> Result<String, ApiError> {
    check_strength(password, username)?;
    hash_password(state, password).await
}

/// A failed sign-in, and whether the failure is already in the ledger.
#[derive(Debug)]
pub(crate) enum SignInError {
    /// Ledgered with the failure count; the gate must not ledger it again.
    Recorded(ApiError),
    /// Storage or hashing failed before anything could be recorded.
    Unrecorded(ApiError),
}

impl IntoResponse for SignInError {
    fn into_response(self) -> Response {
        match self {
            SignInError::Recorded(e) => Ledgered(e).into_response(),
            SignInError::Unrecorded(e) => e.into_response(),
        }
    }
}

/// Puts `account` in the entry as the actor: a sign-in has no principal yet.
fn attributed(mut draft: EntryDraft, account: Option<&Account>) -> EntryDraft {
    if let Some(a) = account {
        draft.actor_account_id = Some(a.id);
        draft.actor_username = Some(a.username.clone());
        draft.org_id = Some(a.org_id);
        draft.party = Some(a.party);
    }
    draft
}

/// Verifies the credentials, applies the lockout rules and opens a session.
/// Every attempt is ledgered, failed ones in the same transaction as the
/// failure count.
pub(crate) async fn sign_in(
    state: &AppState,
    ctx: &RequestContext,
    username: &str,
    password: &str,
    kind: SessionKind,
) -> Result<OpenedSession, SignInError> {
    const ACTION: &str = "session.create";
    let now = now_ms();
    let store = state.store();
    let unrecorded = |e: ApiError| SignInError::Unrecorded(e);
    // Whatever name was typed goes into the ledger, clipped: anyone can type.
    let failed = |account: Option<&Account>, reason: &str| EntryDraft {
        outcome: Outcome::Failed,
        reason: Some(reason.to_owned()),
        ..attributed(
            ctx.entry(ACTION, "account", Some(clip(username, 64))),
            account,
        )
    };
    let creds = store
        .credentials(username)
        .await
        .map_err(|e| unrecorded(e.into()))?;
    let Some(creds) = creds else {
        verify_password(state, password, None)
            .await
            .map_err(unrecorded)?;
        append_alone(state, failed(None, "unknown-account"))
            .await
            .map_err(unrecorded)?;
        return Err(SignInError::Recorded(ApiError::InvalidCredentials));
    };
    if LockoutPolicy::is_locked(creds.account.locked_until_ms, now) {
        append_alone(state, failed(Some(&creds.account), "account-locked"))
            .await
            .map_err(unrecorded)?;
        return Err(SignInError::Recorded(locked(creds.account.locked_until_ms)));
    }
    let matches = verify_password(state, password, Some(creds.password_hash))
        .await
        .map_err(unrecorded)?;

    // Decide inside the transaction, which holds the ledger head lock: the
    // account as it is now, after any concurrent attempts, is what counts.
    // Sessions and sign-in counters are nothing data calls rest on (they
    // take API keys, and a key's account counts only if disabled).
    let mut tx = store
        .begin_aside()
        .await
        .map_err(|e| unrecorded(e.into()))?;
    let account = tx
        .account(creds.account.id)
        .await
        .map_err(|e| unrecorded(e.into()))?;
    let refusal = if LockoutPolicy::is_locked(account.locked_until_ms, now) {
        Some(("account-locked", locked(account.locked_until_ms)))
    } else if account.disabled {
        Some(("account-disabled", ApiError::InvalidCredentials))
    } else if !matches {
        let after = state
            .settings()
            .lockout
            .after_failure(account.failed_logins, now);
        tx.set_login_failures(account.id, after.failures, after.locked_until_ms)
            .await
            .map_err(|e| unrecorded(e.into()))?;
        Some(match after.locked_until_ms {
            Some(until) => ("wrong-password; account locked", locked(Some(until))),
            None => ("wrong-password", ApiError::InvalidCredentials),
        })
    } else {
        None
    };
    if let Some((reason, error)) = refusal {
        tx.append(failed(Some(&account), reason))
            .await
            .map_err(|e| unrecorded(e.into()))?;
        commit(state, tx).await.map_err(unrecorded)?;
        return Err(SignInError::Recorded(error));
    }

    let minutes = match kind {
        SessionKind::Console => state.settings().console_session_minutes,
        SessionKind::Api => state.settings().api_session_minutes,
    };
    let token = SecretToken::generate(SESSION_PREFIX);
    let csrf_token = SecretToken::generate("").secret.expose().to_owned();
    let expires_at_ms = now + minutes * 60_000;
    if account.failed_logins > 0 {
        tx.set_login_failures(account.id, 0, None)
            .await
            .map_err(|e| unrecorded(e.into()))?;
    }
    let token_hash = sm3_hex(token.secret.expose());
    let session_id = tx
        .insert_session(
            account.id,
            kind,
            &token_hash,
            &csrf_token,
            now,
            expires_at_ms,
        )
        .await
        .map_err(|e| unrecorded(e.into()))?;
    let draft = EntryDraft {
        reason: Some(kind.as_str().to_owned()),
        ..attributed(
            ctx.entry(ACTION, "session", Some(session_id.to_string())),
            Some(&account),
        )
    };
    tx.append(draft).await.map_err(|e| unrecorded(e.into()))?;
    commit(state, tx).await.map_err(unrecorded)?;
    Ok(OpenedSession {
        token,
        expires_at_ms,
        account,
    })
}

fn locked(until_ms: Option<i64>) -> ApiError {
    let until = until_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    ApiError::AccountLocked { until }
}

async fn append_alone(state: &AppState, draft: EntryDraft) -> Result<(), ApiError> {
    state.store().append(draft).await?;
    state.metrics().ledgered(1);
    Ok(())
}

/// Commits a transaction and counts its ledger entries.
pub(crate) async fn commit(state: &AppState, tx: WriteTx<'_>) -> Result<(), ApiError> {
    let n = tx.commit().await?;
    state.metrics().ledgered(n);
    Ok(())
}

/// Removes sessions that ended more than a day ago, ledgering how many;
/// each server runs this now and then, so the table does not only grow.
pub async fn purge_ended_sessions(state: &AppState) -> Result<u64, ApiError> {
    const GRACE_MS: i64 = 86_400_000;
    let mut tx = state.store().begin().await?;
    let purged = tx.purge_sessions(now_ms() - GRACE_MS).await?;
    if purged == 0 {
        return Ok(0);
    }
    let mut draft = crate::context::system_entry("session.purge", "session");
    draft.reason = Some(format!("{purged} ended sessions removed"));
    tx.append(draft).await?;
    commit(state, tx).await?;
    Ok(purged)
}

/// Ends the session the caller used.
pub(crate) async fn sign_out(
    state: &AppState,
    ctx: &RequestContext,
    session_id: i64,
) -> Result<(), ApiError> {
    let mut tx = state.store().begin().await?;
    tx.revoke_session(session_id, now_ms()).await?;
    tx.append(ctx.entry("session.revoke", "session", Some(session_id.to_string())))
        .await?;
    commit(state, tx).await
}

/// Changes the caller's own password after checking the current one, and
/// ends every session of the account.
pub(crate) async fn change_own_password(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    current: &str,
    new: &str,
) -> Result<(), ApiError> {
    let stored = state.store().password_hash(account.id).await?;
    if !verify_password(state, current, Some(stored)).await? {
        return Err(ApiError::WrongCurrentPassword);
    }
    let hash = new_password_hash(state, new, &account.username).await?;
    let mut tx = state.store().begin().await?;
    tx.set_password(account.id, &hash).await?;
    tx.revoke_sessions_of(account.id, now_ms()).await?;
    tx.append(ctx.entry(
        "account.change-password",
        "account",
        Some(account.id.to_string()),
    ))
    .await?;
    commit(state, tx).await
}

/// A new API key, with the key itself shown this once.
#[derive(Debug)]
pub(crate) struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: SecretToken,
}

/// A new API key of the signed-in caller's own account.
pub(crate) async fn create_own_api_key(
    state: &AppState,
    who: &SignedIn,
    name: &str,
    days: i64,
    front: bool,
) -> Result<CreatedApiKey, ApiError> {
    let session = who.principal.credential.session_id();
    create_api_key(state, &who.ctx, who.account(), session, name, days, front).await
}

/// A new API key of `account`. `session`, the session asking for it, must
/// still be live when the key is written: a password reset or disabling
/// committed meanwhile ended it, and would otherwise miss the new key.
pub(crate) async fn create_api_key(
    state: &AppState,
    ctx: &impl crate::admin::Attribution,
    account: &Account,
    session: Option<i64>,
    name: &str,
    days: i64,
    front: bool,
) -> Result<CreatedApiKey, ApiError> {
    if front && !account.actor().may_hold_front_keys() {
        return Err(ApiError::invalid(
            "surface",
            "front-system keys are for providers and the Big Data Center",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::invalid("name", "must have 1 to 64 characters"));
    }
    if days < 1 || days > state.settings().api_key_max_days {
        return Err(ApiError::invalid(
            "expires_in_days",
            "must be at least 1 and at most the configured maximum (api_key_max_days)",
        ));
    }
    let secret = SecretToken::generate(API_KEY_PREFIX);
    let now = now_ms();
    let mut tx = state.store().begin_aside().await?;
    if let Some(session) = session
        && !tx.session_is_live(session, now).await?
    {
        return Err(ApiError::NotSignedIn);
    }
    let key = tx
        .insert_api_key(
            &NewApiKey {
                account_id: account.id,
                name,
                display_prefix: &secret.display_prefix(),
                key_hash: &state.keys().hash_hex(secret.secret.expose()),
                expires_at_ms: now + days * 86_400_000,
                front,
            },
            now,
        )
        .await?;
    tx.append(ctx.entry(
        if front {
            "front-key.create"
        } else {
            "api-key.create"
        },
        "api_key",
        Some(key.id.to_string()),
    ))
    .await?;
    commit(state, tx).await?;
    Ok(CreatedApiKey { key, secret })
}

pub(crate) async fn revoke_api_key(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    key_id: i64,
) -> Result<(), ApiError> {
    let mut tx = state.store().begin().await?;
    if !tx.revoke_api_key(account.id, key_id, now_ms()).await? {
        // Revoked already: nothing changes, and the access epoch stays.
        return Ok(());
    }
    tx.append(ctx.entry("api-key.revoke", "api_key", Some(key_id.to_string())))
        .await?;
    commit(state, tx).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            axum::http::header::COOKIE,
            HeaderValue::from_static("a=1; rongshu_session=rss_x ; b=2"),
        );
        h.append(
            axum::http::header::COOKIE,
            HeaderValue::from_static("rongshu_lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("rss_x"));
        assert_eq!(cookie(&h, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
