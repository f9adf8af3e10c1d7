//! Sessions and API keys. Only hashes of the secrets are stored.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{account, found};
use crate::records::{Account, ApiKey, NewApiKey, SessionKind, SessionPrincipal};
use crate::{Store, StoreError, WriteTx, parse_code};

const ACCOUNT_COLUMNS: &str = "a.id, a.org_id, o.name AS org_name, o.party_type, a.username, a.display_name, \
     a.role, a.disabled, a.failed_logins, a.locked_until, a.created_at";

const KEY_COLUMNS: &str = "k.id AS key_id, k.account_id, k.name, k.display_prefix, \
     k.created_at AS key_created_at, k.expires_at, k.revoked_at, k.surface AS key_surface";

fn api_key(row: &AnyRow) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: row.try_get("key_id")?,
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        display_prefix: row.try_get("display_prefix")?,
        created_at_ms: row.try_get("key_created_at")?,
        expires_at_ms: row.try_get("expires_at")?,
        revoked_at_ms: row.try_get("revoked_at")?,
        front: row.try_get::<String, _>("key_surface")? == "front",
    })
}

impl Store {
    /// The live session with this token hash: not revoked, not expired, and
    /// its account not disabled.
    pub async fn session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<SessionPrincipal>, StoreError> {
        let sql = format!(
            "SELECT s.id AS session_id, s.kind, s.csrf_token, s.expires_at AS session_expires_at, {ACCOUNT_COLUMNS} \
             FROM sessions s JOIN accounts a ON a.id = s.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND a.disabled = 0"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash.to_owned())
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionPrincipal {
            session_id: row.try_get("session_id")?,
            kind: parse_code("session kind", row.try_get("kind")?)?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at_ms: row.try_get("session_expires_at")?,
            account: account(&row)?,
        }))
    }

    /// The key with `key_hash` and its account, live or not: whether it is
    /// honoured now is the caller's to say (revoked, expired, disabled).
    pub async fn api_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<(ApiKey, Account)>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS}, {ACCOUNT_COLUMNS} \
             FROM api_keys k JOIN accounts a ON a.id = k.account_id JOIN organizations o ON o.id = a.org_id \
             WHERE k.key_hash = $1"
        );
        let row = sqlx::query(&sql)
            .bind(key_hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((api_key(&r)?, account(&r)?))).transpose()
    }

    pub async fn api_keys(&self, account_id: i64) -> Result<Vec<ApiKey>, StoreError> {
        let sql =
            format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.account_id = $1 ORDER BY k.id");
        sqlx::query(&sql)
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(api_key)
            .collect()
    }
}

impl WriteTx<'_> {
    pub async fn insert_session(
        &mut self,
        account_id: i64,
        kind: SessionKind,
        token_hash: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<i64, StoreError> {
        let id = sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, account_id, kind, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(token_hash.to_owned())
        .bind(account_id)
        .bind(kind.as_str())
        .bind(csrf_token.to_owned())
        .bind(now_ms)
        .bind(expires_at_ms)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(id)
    }

    /// Whether a session is still live, as this transaction sees it: not
    /// revoked, not expired, its account not disabled.
    pub async fn session_is_live(
        &mut self,
        session_id: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND a.disabled = 0",
        )
        .bind(session_id)
        .bind(now_ms)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(live.is_some())
    }

    pub async fn revoke_session(&mut self, session_id: i64, now_ms: i64) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms)
                .bind(session_id)
                .execute(&mut *self.tx)
                .await?;
        found(done.rows_affected(), "session", session_id)
    }

    /// Ends every session of an account (password reset, disabling);
    /// returns how many were live.
    pub async fn revoke_sessions_of(
        &mut self,
        account_id: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms)
        .bind(account_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn insert_api_key(
        &mut self,
        new: &NewApiKey<'_>,
        now_ms: i64,
    ) -> Result<ApiKey, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (account_id, name, display_prefix, key_hash, created_at, expires_at, surface) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.account_id)
        .bind(new.name.to_owned())
        .bind(new.display_prefix.to_owned())
        .bind(new.key_hash.to_owned())
        .bind(now_ms)
        .bind(new.expires_at_ms)
        .bind(if new.front { "front" } else { "api" })
        .fetch_one(&mut *self.tx)
        .await?;
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.id = $1");
        api_key(&sqlx::query(&sql).bind(id).fetch_one(&mut *self.tx).await?)
    }

    /// Deletes sessions that ended (expired or revoked) before `before_ms`;
    /// the ledger keeps the record of them. Returns how many went.
    pub async fn purge_sessions(&mut self, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
            .bind(before_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// Revokes every live key of an account (administrator's password
    /// reset, disabling); returns how many were live.
    pub async fn revoke_api_keys_of(
        &mut self,
        account_id: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms)
        .bind(account_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Revokes one of `account_id`'s keys; someone else's key is not found.
    /// Whether it was live: a key revoked already stays as it was.
    pub async fn revoke_api_key(
        &mut self,
        account_id: i64,
        key_id: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND account_id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(now_ms)
        .bind(key_id)
        .bind(account_id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        let exists = sqlx::query("SELECT 1 FROM api_keys WHERE id = $1 AND account_id = $2")
            .bind(key_id)
            .bind(account_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        found(u64::from(exists.is_some()), "api key", key_id).map(|()| false)
    }
}
