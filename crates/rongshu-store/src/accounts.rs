//! Organisations and accounts.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::records::{Account, AccountCredentials, NewAccount, NewOrganization, Organization};
use crate::{Store, StoreError, WriteTx, parse_code};

const ORG_COLUMNS: &str = "id, code, name, party_type, created_at";

const ACCOUNT_SELECT: &str = "SELECT a.id, a.org_id, o.name AS org_name, o.party_type, a.username, \
     a.display_name, a.role, a.disabled, a.failed_logins, a.locked_until, a.created_at, a.password_hash \
     FROM accounts a JOIN organizations o ON o.id = a.org_id";

fn organization(row: &AnyRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        party: parse_code("party type", row.try_get("party_type")?)?,
        created_at_ms: row.try_get("created_at")?,
    })
}

pub(crate) fn account(row: &AnyRow) -> Result<Account, StoreError> {
    let failed: i64 = row.try_get("failed_logins")?;
    Ok(Account {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        org_name: row.try_get("org_name")?,
        party: parse_code("party type", row.try_get("party_type")?)?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: parse_code("role", row.try_get("role")?)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until_ms: row.try_get("locked_until")?,
        created_at_ms: row.try_get("created_at")?,
    })
}

async fn account_where<'e, E>(
    e: E,
    clause: &str,
    key: Key<'_>,
) -> Result<Option<AccountCredentials>, StoreError>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("{ACCOUNT_SELECT} WHERE {clause}");
    let query = sqlx::query(&sql);
    let query = match key {
        Key::Id(id) => query.bind(id),
        Key::Name(name) => query.bind(name.to_owned()),
    };
    let row = query.fetch_optional(e).await?;
    row.map(|r| {
        Ok(AccountCredentials {
            account: account(&r)?,
            password_hash: r.try_get("password_hash")?,
        })
    })
    .transpose()
}

enum Key<'a> {
    Id(i64),
    Name(&'a str),
}

impl Store {
    pub async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY id");
        sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(organization)
            .collect()
    }

    pub async fn organization(&self, id: i64) -> Result<Organization, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(organization)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "organization",
                id: id.to_string(),
            })
    }

    pub async fn organization_by_code(
        &self,
        code: &str,
    ) -> Result<Option<Organization>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE code = $1");
        let row = sqlx::query(&sql)
            .bind(code.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(organization).transpose()
    }

    /// Accounts of one organisation, or of all when `org_id` is `None`.
    pub async fn accounts(&self, org_id: Option<i64>) -> Result<Vec<Account>, StoreError> {
        let rows = match org_id {
            Some(org) => {
                let sql = format!("{ACCOUNT_SELECT} WHERE a.org_id = $1 ORDER BY a.id");
                sqlx::query(&sql).bind(org).fetch_all(&self.pool).await?
            }
            None => {
                let sql = format!("{ACCOUNT_SELECT} ORDER BY a.id");
                sqlx::query(&sql).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(account).collect()
    }

    pub async fn account(&self, id: i64) -> Result<Account, StoreError> {
        account_where(&self.pool, "a.id = $1", Key::Id(id))
            .await?
            .map(|c| c.account)
            .ok_or_else(|| StoreError::NotFound {
                what: "account",
                id: id.to_string(),
            })
    }

    pub async fn account_by_username(&self, username: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.credentials(username).await?.map(|c| c.account))
    }

    /// The account and its password hash, for sign-in.
    pub async fn credentials(
        &self,
        username: &str,
    ) -> Result<Option<AccountCredentials>, StoreError> {
        account_where(&self.pool, "a.username = $1", Key::Name(username)).await
    }

    pub async fn password_hash(&self, account_id: i64) -> Result<String, StoreError> {
        account_where(&self.pool, "a.id = $1", Key::Id(account_id))
            .await?
            .map(|c| c.password_hash)
            .ok_or_else(|| StoreError::NotFound {
                what: "account",
                id: account_id.to_string(),
            })
    }
}

impl WriteTx<'_> {
    pub async fn insert_organization(
        &mut self,
        new: &NewOrganization,
        now_ms: i64,
    ) -> Result<Organization, StoreError> {
        let sql = format!(
            "INSERT INTO organizations (code, name, party_type, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {ORG_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.code.clone())
            .bind(new.name.clone())
            .bind(new.party.as_str())
            .bind(now_ms)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(StoreError::unique("organization code", &new.code))?;
        organization(&row)
    }

    pub async fn insert_account(
        &mut self,
        new: &NewAccount,
        now_ms: i64,
    ) -> Result<Account, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (org_id, username, display_name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.org_id)
        .bind(new.username.clone())
        .bind(new.display_name.clone())
        .bind(new.role.as_str())
        .bind(new.password_hash.clone())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound { what: "organization", id: new.org_id.to_string() }
            }
            _ => StoreError::unique("user name", &new.username)(e),
        })?;
        self.account(id).await
    }

    /// Reads an account inside the transaction, seeing its own changes.
    pub async fn account(&mut self, id: i64) -> Result<Account, StoreError> {
        account_where(&mut *self.tx, "a.id = $1", Key::Id(id))
            .await?
            .map(|c| c.account)
            .ok_or_else(|| StoreError::NotFound {
                what: "account",
                id: id.to_string(),
            })
    }

    /// Sets a new password hash and clears any lockout.
    pub async fn set_password(
        &mut self,
        account_id: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
        )
        .bind(password_hash.to_owned())
        .bind(account_id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "account", account_id)
    }

    pub async fn set_disabled(
        &mut self,
        account_id: i64,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(account_id)
            .execute(&mut *self.tx)
            .await?;
        found(done.rows_affected(), "account", account_id)
    }

    /// Stores the failure count and lock that follow a failed sign-in.
    pub async fn set_login_failures(
        &mut self,
        account_id: i64,
        failures: u32,
        locked_until_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE accounts SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                .bind(i64::from(failures))
                .bind(locked_until_ms)
                .bind(account_id)
                .execute(&mut *self.tx)
                .await?;
        found(done.rows_affected(), "account", account_id)
    }
}

/// For updates conditional on the record's current state.
impl WriteTx<'_> {
    /// Moves a record of `table` (with `status` and `updated_at` columns)
    /// from `from` to `to`, if it is still at `from`; otherwise someone
    /// changed it meanwhile.
    pub(crate) async fn move_status(
        &mut self,
        table: &'static str,
        what: &'static str,
        id: i64,
        from: &str,
        to: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE {table} SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4"
        );
        let done = sqlx::query(&sql)
            .bind(to.to_owned())
            .bind(now_ms)
            .bind(id)
            .bind(from.to_owned())
            .execute(&mut *self.tx)
            .await?;
        unchanged(done.rows_affected(), what, id)
    }
}

pub(crate) fn unchanged(rows: u64, what: &'static str, id: i64) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::Changed { what, id })
    } else {
        Ok(())
    }
}

pub(crate) fn found(rows: u64, what: &'static str, id: i64) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        })
    } else {
        Ok(())
    }
}
