//! Authorizations and the delivery tasks they open (Art. 13, 14, 16).

use chrono::NaiveDate;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::workflow::{AuthorizationStatus, DeliveryTaskStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::unchanged;
use crate::demands::{date, optional_date};
use crate::{Store, StoreError, WriteTx, parse_code};

/// A resource an authorization covers; no fields means every field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizedResource {
    pub resource_id: i64,
    pub fields: Vec<String>,
}

/// What a provider authorizes, and under which conditions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationScope {
    pub resources: Vec<AuthorizedResource>,
    pub scenario: String,
    pub modes: Vec<ServiceMode>,
    /// The de-identification required before use, e.g. `masked`.
    pub deidentification: String,
    /// Whether re-identification is ever allowed.
    pub reidentification: bool,
    pub quota: String,
    /// Uses (calls and downloads) a day by each user organisation across
    /// every product made under the authorization; none: no such cap.
    pub daily_use_limit: Option<i64>,
    pub conditions: String,
    pub term_from: NaiveDate,
    /// None for the standing authorization of open resources.
    pub term_until: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub id: i64,
    pub provider_org_id: i64,
    pub operator_org_id: i64,
    /// The blanket authorization of the provider's open resources.
    pub standing: bool,
    pub scope: AuthorizationScope,
    pub status: AuthorizationStatus,
    pub granted_by: Option<i64>,
    pub created_at_ms: i64,
    pub terminated_at_ms: Option<i64>,
    pub termination_grounds: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryTask {
    pub id: i64,
    pub authorization_id: i64,
    pub provider_org_id: i64,
    pub status: DeliveryTaskStatus,
    pub opened_at_ms: i64,
    pub due_on: NaiveDate,
    pub version_id: Option<i64>,
    pub closed_at_ms: Option<i64>,
}

fn authorization(
    row: &AnyRow,
    resources: Vec<AuthorizedResource>,
) -> Result<Authorization, StoreError> {
    let modes: String = row.try_get("modes")?;
    Ok(Authorization {
        id: row.try_get("id")?,
        provider_org_id: row.try_get("provider_org_id")?,
        operator_org_id: row.try_get("operator_org_id")?,
        standing: row.try_get::<i64, _>("standing")? != 0,
        scope: AuthorizationScope {
            resources,
            scenario: row.try_get("scenario")?,
            modes: ServiceMode::split(&modes).map_err(|_| StoreError::Corrupt {
                what: "service modes",
                value: modes.clone(),
            })?,
            deidentification: row.try_get("deidentification")?,
            reidentification: row.try_get::<i64, _>("reidentification")? != 0,
            quota: row.try_get("quota")?,
            daily_use_limit: row.try_get("daily_use_limit")?,
            conditions: row.try_get("conditions")?,
            term_from: date("term", row.try_get("term_from")?)?,
            term_until: optional_date("term", row.try_get("term_until")?)?,
        },
        status: parse_code("authorization status", row.try_get("status")?)?,
        granted_by: row.try_get("granted_by")?,
        created_at_ms: row.try_get("created_at")?,
        terminated_at_ms: row.try_get("terminated_at")?,
        termination_grounds: row.try_get("termination_grounds")?,
    })
}

fn task(row: &AnyRow) -> Result<DeliveryTask, StoreError> {
    Ok(DeliveryTask {
        id: row.try_get("id")?,
        authorization_id: row.try_get("authorization_id")?,
        provider_org_id: row.try_get("provider_org_id")?,
        status: parse_code("delivery task status", row.try_get("status")?)?,
        opened_at_ms: row.try_get("opened_at")?,
        due_on: date("due date", row.try_get("due_on")?)?,
        version_id: row.try_get("version_id")?,
        closed_at_ms: row.try_get("closed_at")?,
    })
}

impl Store {
    pub async fn authorization(&self, id: i64) -> Result<Authorization, StoreError> {
        let row = sqlx::query("SELECT * FROM authorizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "authorization",
                id: id.to_string(),
            })?;
        authorization(&row, self.authorized_resources(id).await?)
    }

    async fn authorized_resources(&self, id: i64) -> Result<Vec<AuthorizedResource>, StoreError> {
        sqlx::query(
            "SELECT * FROM authorization_resources WHERE authorization_id = $1 ORDER BY resource_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let fields: String = r.try_get("fields")?;
            Ok(AuthorizedResource {
                resource_id: r.try_get("resource_id")?,
                fields: fields
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
    }

    /// Authorizations, newest first: one provider's, or all.
    pub async fn authorizations(
        &self,
        provider_org_id: Option<i64>,
    ) -> Result<Vec<Authorization>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM authorizations WHERE ($1 = 0 OR provider_org_id = $1) ORDER BY id DESC",
        )
        .bind(provider_org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            out.push(authorization(row, self.authorized_resources(id).await?)?);
        }
        Ok(out)
    }

    /// The provider's active standing authorization of its open resources.
    pub async fn standing_authorization(
        &self,
        provider_org_id: i64,
    ) -> Result<Option<Authorization>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM authorizations WHERE provider_org_id = $1 AND standing = 1 \
             AND status = $2 ORDER BY id LIMIT 1",
        )
        .bind(provider_org_id)
        .bind(AuthorizationStatus::Active.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => Ok(Some(self.authorization(id).await?)),
            None => Ok(None),
        }
    }

    /// Delivery tasks: one provider's, or all; open ones first by due date.
    pub async fn delivery_tasks(
        &self,
        provider_org_id: Option<i64>,
    ) -> Result<Vec<DeliveryTask>, StoreError> {
        sqlx::query(
            "SELECT * FROM delivery_tasks WHERE ($1 = 0 OR provider_org_id = $1) \
             ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, due_on, id",
        )
        .bind(provider_org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(task)
        .collect()
    }

    pub async fn delivery_task_of(
        &self,
        authorization_id: i64,
    ) -> Result<Option<DeliveryTask>, StoreError> {
        let row = sqlx::query("SELECT * FROM delivery_tasks WHERE authorization_id = $1")
            .bind(authorization_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(task).transpose()
    }
}

impl WriteTx<'_> {
    pub async fn insert_authorization(
        &mut self,
        provider_org_id: i64,
        operator_org_id: i64,
        standing: bool,
        scope: &AuthorizationScope,
        granted_by: Option<i64>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO authorizations (provider_org_id, operator_org_id, standing, scenario, \
             modes, deidentification, reidentification, quota, conditions, term_from, term_until, \
             status, granted_by, created_at, daily_use_limit) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(provider_org_id)
        .bind(operator_org_id)
        .bind(i64::from(standing))
        .bind(scope.scenario.clone())
        .bind(ServiceMode::join(&scope.modes))
        .bind(scope.deidentification.clone())
        .bind(i64::from(scope.reidentification))
        .bind(scope.quota.clone())
        .bind(scope.conditions.clone())
        .bind(scope.term_from.to_string())
        .bind(scope.term_until.map(|d| d.to_string()))
        .bind(AuthorizationStatus::Active.as_str())
        .bind(granted_by)
        .bind(now_ms)
        .bind(scope.daily_use_limit)
        .fetch_one(&mut *self.tx)
        .await?;
        self.add_authorized_resources(id, &scope.resources).await?;
        Ok(id)
    }

    /// Adds resources to an authorization (the standing one grows as
    /// providers open more resources); already covered ones stay as they are.
    pub async fn add_authorized_resources(
        &mut self,
        id: i64,
        resources: &[AuthorizedResource],
    ) -> Result<(), StoreError> {
        for r in resources {
            sqlx::query(
                "INSERT INTO authorization_resources (authorization_id, resource_id, fields) \
                 VALUES ($1, $2, $3) ON CONFLICT (authorization_id, resource_id) DO NOTHING",
            )
            .bind(id)
            .bind(r.resource_id)
            .bind(r.fields.join(","))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    pub async fn terminate_authorization(
        &mut self,
        id: i64,
        grounds: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE authorizations SET status = $1, terminated_at = $2, termination_grounds = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(AuthorizationStatus::Terminated.as_str())
        .bind(now_ms)
        .bind(grounds.to_owned())
        .bind(id)
        .bind(AuthorizationStatus::Active.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "authorization", id)
    }

    pub async fn insert_delivery_task(
        &mut self,
        authorization_id: i64,
        provider_org_id: i64,
        due_on: NaiveDate,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO delivery_tasks (authorization_id, provider_org_id, status, opened_at, \
             due_on) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(authorization_id)
        .bind(provider_org_id)
        .bind(DeliveryTaskStatus::Open.as_str())
        .bind(now_ms)
        .bind(due_on.to_string())
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Open tasks whose authorization covers `resource_id`.
    pub async fn open_delivery_tasks_for(
        &mut self,
        resource_id: i64,
    ) -> Result<Vec<DeliveryTask>, StoreError> {
        sqlx::query(
            "SELECT t.* FROM delivery_tasks t JOIN authorization_resources ar \
             ON ar.authorization_id = t.authorization_id \
             WHERE ar.resource_id = $1 AND t.status = $2 ORDER BY t.id",
        )
        .bind(resource_id)
        .bind(DeliveryTaskStatus::Open.as_str())
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(task)
        .collect()
    }

    /// How many resources of an authorization have no version published
    /// at or after `since_ms` (the task's opening), in this transaction.
    pub async fn resources_awaiting_delivery(
        &mut self,
        authorization_id: i64,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM authorization_resources ar WHERE ar.authorization_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM resource_versions v \
             WHERE v.resource_id = ar.resource_id AND v.delivered_at >= $2)",
        )
        .bind(authorization_id)
        .bind(since_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn close_delivery_task(
        &mut self,
        id: i64,
        status: DeliveryTaskStatus,
        version_id: Option<i64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE delivery_tasks SET status = $1, version_id = $2, closed_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(status.as_str())
        .bind(version_id)
        .bind(now_ms)
        .bind(id)
        .bind(DeliveryTaskStatus::Open.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "delivery task", id)
    }
}
