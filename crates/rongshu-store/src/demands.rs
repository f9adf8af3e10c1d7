//! Demands, demand lists and providers' assessments (Art. 11-13).

use std::collections::HashMap;

use chrono::NaiveDate;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::workflow::{
    AssessmentStatus, DeliveryTaskStatus, DemandListStatus, DemandStatus,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{found, unchanged};
use crate::{Store, StoreError, WriteTx, by_id, parse_code};

/// What a demand asks for, as its author wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandInput {
    pub title: String,
    /// Data wanted that the catalogue does not have yet, described freely.
    pub wanted: String,
    pub modes: Vec<ServiceMode>,
    /// The concrete application scenario: no scenario, no authorization.
    pub scenario: String,
    pub purpose: String,
    pub term_months: i64,
    /// The data subjects' consent, described; empty when there is none.
    pub consent: String,
    /// The use claims to serve the public interest (reviewed with the
    /// demand; free of charge once passed).
    pub public_interest: bool,
    pub items: Vec<DemandItem>,
}

/// A catalogue resource a demand asks for; no fields means every field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandItem {
    pub resource_id: i64,
    pub fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    pub id: i64,
    pub user_org_id: i64,
    pub filed_by: Option<i64>,
    pub about: DemandInput,
    pub status: DemandStatus,
    pub list_id: Option<i64>,
    /// The latest note or reasons from the operator or the Office.
    pub note: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Which demands to list.
#[derive(Clone, Debug, Default)]
pub struct DemandFilter {
    pub user_org_id: Option<i64>,
    pub list_id: Option<i64>,
    pub status: Option<DemandStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandList {
    pub id: i64,
    pub period: String,
    pub status: DemandListStatus,
    pub created_by: Option<i64>,
    pub created_at_ms: i64,
    pub submitted_at_ms: Option<i64>,
    pub due_on: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub id: i64,
    pub demand_id: i64,
    pub provider_org_id: i64,
    pub status: AssessmentStatus,
    pub opened_at_ms: i64,
    pub due_on: NaiveDate,
    pub decided_at_ms: Option<i64>,
    pub decided_by: Option<i64>,
    /// Legal grounds of a refusal, and its justification.
    pub grounds: String,
    /// A refusal of a demand that carries the data subjects' consent.
    pub flagged: bool,
    pub authorization_id: Option<i64>,
}

/// A provider's answer, as recorded.
#[derive(Clone, Debug)]
pub struct AssessmentDecision {
    pub status: AssessmentStatus,
    pub decided_by: Option<i64>,
    pub grounds: String,
    pub flagged: bool,
    pub authorization_id: Option<i64>,
}

pub(crate) fn date(what: &'static str, value: String) -> Result<NaiveDate, StoreError> {
    parse_code(what, value)
}

pub(crate) fn optional_date(
    what: &'static str,
    value: Option<String>,
) -> Result<Option<NaiveDate>, StoreError> {
    value.map(|v| date(what, v)).transpose()
}

fn split_fields(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

fn demand(row: &AnyRow, items: Vec<DemandItem>) -> Result<Demand, StoreError> {
    let modes: String = row.try_get("modes")?;
    Ok(Demand {
        id: row.try_get("id")?,
        user_org_id: row.try_get("user_org_id")?,
        filed_by: row.try_get("filed_by")?,
        about: DemandInput {
            title: row.try_get("title")?,
            wanted: row.try_get("wanted")?,
            modes: ServiceMode::split(&modes).map_err(|_| StoreError::Corrupt {
                what: "service modes",
                value: modes.clone(),
            })?,
            scenario: row.try_get("scenario")?,
            purpose: row.try_get("purpose")?,
            term_months: row.try_get("term_months")?,
            consent: row.try_get("consent")?,
            public_interest: row.try_get::<i64, _>("public_interest")? != 0,
            items,
        },
        status: parse_code("demand status", row.try_get("status")?)?,
        list_id: row.try_get("list_id")?,
        note: row.try_get("note")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

fn list(row: &AnyRow) -> Result<DemandList, StoreError> {
    Ok(DemandList {
        id: row.try_get("id")?,
        period: row.try_get("period")?,
        status: parse_code("demand list status", row.try_get("status")?)?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
        submitted_at_ms: row.try_get("submitted_at")?,
        due_on: optional_date("due date", row.try_get("due_on")?)?,
    })
}

fn assessment(row: &AnyRow) -> Result<Assessment, StoreError> {
    Ok(Assessment {
        id: row.try_get("id")?,
        demand_id: row.try_get("demand_id")?,
        provider_org_id: row.try_get("provider_org_id")?,
        status: parse_code("assessment status", row.try_get("status")?)?,
        opened_at_ms: row.try_get("opened_at")?,
        due_on: date("due date", row.try_get("due_on")?)?,
        decided_at_ms: row.try_get("decided_at")?,
        decided_by: row.try_get("decided_by")?,
        grounds: row.try_get("grounds")?,
        flagged: row.try_get::<i64, _>("flagged")? != 0,
        authorization_id: row.try_get("authorization_id")?,
    })
}

impl Store {
    /// Demands matching `filter`, newest first, each with its items.
    pub async fn demands(&self, filter: &DemandFilter) -> Result<Vec<Demand>, StoreError> {
        // Unset filters bind a value no row has, so the SQL stays static.
        const WHERE: &str = "($1 = 0 OR user_org_id = $1) AND ($2 = 0 OR list_id = $2) \
                             AND ($3 = '' OR status = $3)";
        let user = filter.user_org_id.unwrap_or(0);
        let list = filter.list_id.unwrap_or(0);
        let status = filter.status.map_or("", DemandStatus::as_str);
        let rows = sqlx::query(&format!(
            "SELECT * FROM demands WHERE {WHERE} ORDER BY id DESC"
        ))
        .bind(user)
        .bind(list)
        .bind(status)
        .fetch_all(&self.pool)
        .await?;
        let item_rows = sqlx::query(&format!(
            "SELECT * FROM demand_items WHERE demand_id IN (SELECT id FROM demands WHERE {WHERE}) \
             ORDER BY demand_id, resource_id"
        ))
        .bind(user)
        .bind(list)
        .bind(status)
        .fetch_all(&self.pool)
        .await?;
        let mut items: HashMap<i64, Vec<DemandItem>> = HashMap::new();
        for r in &item_rows {
            items
                .entry(r.try_get("demand_id")?)
                .or_default()
                .push(item(r)?);
        }
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                demand(row, items.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    pub async fn demand(&self, id: i64) -> Result<Demand, StoreError> {
        let row = sqlx::query("SELECT * FROM demands WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "demand",
                id: id.to_string(),
            })?;
        let items =
            sqlx::query("SELECT * FROM demand_items WHERE demand_id = $1 ORDER BY resource_id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(item)
                .collect::<Result<_, _>>()?;
        demand(&row, items)
    }

    /// Providers the operator named for the demand's uncatalogued data.
    pub async fn demand_providers(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT provider_org_id FROM demand_providers WHERE demand_id = $1 ORDER BY provider_org_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn demand_lists(&self) -> Result<Vec<DemandList>, StoreError> {
        sqlx::query("SELECT * FROM demand_lists ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(list)
            .collect()
    }

    pub async fn demand_list(&self, id: i64) -> Result<DemandList, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM demand_lists WHERE id = $1",
            id,
            "demand list",
            list,
        )
        .await
    }

    /// Assessments of one demand, or every assessment of one provider.
    pub async fn assessments(
        &self,
        demand_id: Option<i64>,
        provider_org_id: Option<i64>,
    ) -> Result<Vec<Assessment>, StoreError> {
        sqlx::query(
            "SELECT * FROM assessments WHERE ($1 = 0 OR demand_id = $1) \
             AND ($2 = 0 OR provider_org_id = $2) ORDER BY due_on, id",
        )
        .bind(demand_id.unwrap_or(0))
        .bind(provider_org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(assessment)
        .collect()
    }

    pub async fn assessment(&self, id: i64) -> Result<Assessment, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM assessments WHERE id = $1",
            id,
            "assessment",
            assessment,
        )
        .await
    }
}

fn item(row: &AnyRow) -> Result<DemandItem, StoreError> {
    let fields: String = row.try_get("fields")?;
    Ok(DemandItem {
        resource_id: row.try_get("resource_id")?,
        fields: split_fields(&fields),
    })
}

/// One provider's answer to a demand and where its delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerProgress {
    pub answer: AssessmentStatus,
    /// Answered by the standing authorization of open resources.
    pub standing: bool,
    pub task: Option<DeliveryTaskStatus>,
}

impl WriteTx<'_> {
    /// The demand's status as this transaction sees it.
    pub async fn demand_status(&mut self, id: i64) -> Result<DemandStatus, StoreError> {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM demands WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let status = status.ok_or(StoreError::NotFound {
            what: "demand",
            id: id.to_string(),
        })?;
        parse_code("demand status", status)
    }

    /// Every provider's answer to a demand, as this transaction sees them.
    pub async fn demand_progress(&mut self, id: i64) -> Result<Vec<AnswerProgress>, StoreError> {
        sqlx::query(
            "SELECT a.status, COALESCE(au.standing, 0) AS standing, t.status AS task \
             FROM assessments a LEFT JOIN authorizations au ON au.id = a.authorization_id \
             LEFT JOIN delivery_tasks t ON t.authorization_id = a.authorization_id \
             WHERE a.demand_id = $1 ORDER BY a.id",
        )
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(|row| {
            let task: Option<String> = row.try_get("task")?;
            Ok(AnswerProgress {
                answer: parse_code("assessment status", row.try_get("status")?)?,
                standing: row.try_get::<i64, _>("standing")? != 0,
                task: task
                    .map(|t| parse_code("delivery task status", t))
                    .transpose()?,
            })
        })
        .collect()
    }

    /// Demands answered through an authorization.
    pub async fn demands_answered_by(
        &mut self,
        authorization_id: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT demand_id FROM assessments WHERE authorization_id = $1 ORDER BY demand_id",
        )
        .bind(authorization_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    pub async fn insert_demand(
        &mut self,
        user_org_id: i64,
        filed_by: Option<i64>,
        about: &DemandInput,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO demands (user_org_id, filed_by, title, wanted, modes, scenario, purpose, \
             term_months, consent, public_interest, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(user_org_id)
        .bind(filed_by)
        .bind(about.title.clone())
        .bind(about.wanted.clone())
        .bind(ServiceMode::join(&about.modes))
        .bind(about.scenario.clone())
        .bind(about.purpose.clone())
        .bind(about.term_months)
        .bind(about.consent.clone())
        .bind(i64::from(about.public_interest))
        .bind(DemandStatus::Draft.as_str())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?;
        self.replace_demand_items(id, &about.items).await?;
        Ok(id)
    }

    pub async fn update_demand(
        &mut self,
        id: i64,
        about: &DemandInput,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE demands SET title = $1, wanted = $2, modes = $3, scenario = $4, purpose = $5, \
             term_months = $6, consent = $7, public_interest = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(about.title.clone())
        .bind(about.wanted.clone())
        .bind(ServiceMode::join(&about.modes))
        .bind(about.scenario.clone())
        .bind(about.purpose.clone())
        .bind(about.term_months)
        .bind(about.consent.clone())
        .bind(i64::from(about.public_interest))
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "demand", id)?;
        self.replace_demand_items(id, &about.items).await
    }

    async fn replace_demand_items(
        &mut self,
        id: i64,
        items: &[DemandItem],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM demand_items WHERE demand_id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        for item in items {
            sqlx::query(
                "INSERT INTO demand_items (demand_id, resource_id, fields) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(item.resource_id)
            .bind(item.fields.join(","))
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Moves a demand from `from` to `to`; `note` replaces the note when
    /// given. Fails with `Changed` if the demand is no longer `from`.
    pub async fn set_demand_status(
        &mut self,
        id: i64,
        from: DemandStatus,
        to: DemandStatus,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE demands SET status = $1, note = COALESCE($2, note), updated_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(note.map(str::to_owned))
        .bind(now_ms)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "demand", id)
    }

    /// Names providers for data the catalogue does not have yet.
    pub async fn name_demand_providers(
        &mut self,
        id: i64,
        providers: &[i64],
    ) -> Result<(), StoreError> {
        for provider in providers {
            sqlx::query(
                "INSERT INTO demand_providers (demand_id, provider_org_id) VALUES ($1, $2) \
                 ON CONFLICT (demand_id, provider_org_id) DO NOTHING",
            )
            .bind(id)
            .bind(*provider)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    pub async fn set_demand_list(
        &mut self,
        id: i64,
        list_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE demands SET list_id = $1 WHERE id = $2")
            .bind(list_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        found(done.rows_affected(), "demand", id)
    }

    pub async fn insert_demand_list(
        &mut self,
        period: &str,
        created_by: Option<i64>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO demand_lists (period, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(period.to_owned())
        .bind(DemandListStatus::Draft.as_str())
        .bind(created_by)
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Moves a list from `from` to `to`; submitting records when, and
    /// the due date.
    pub async fn set_demand_list_status(
        &mut self,
        id: i64,
        from: DemandListStatus,
        to: DemandListStatus,
        submitted: Option<(i64, NaiveDate)>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE demand_lists SET status = $1, submitted_at = COALESCE($2, submitted_at), \
             due_on = COALESCE($3, due_on) WHERE id = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(submitted.map(|s| s.0))
        .bind(submitted.map(|s| s.1.to_string()))
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "demand list", id)
    }

    pub async fn insert_assessment(
        &mut self,
        demand_id: i64,
        provider_org_id: i64,
        due_on: NaiveDate,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO assessments (demand_id, provider_org_id, status, opened_at, due_on) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(demand_id)
        .bind(provider_org_id)
        .bind(AssessmentStatus::Pending.as_str())
        .bind(now_ms)
        .bind(due_on.to_string())
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn decide_assessment(
        &mut self,
        id: i64,
        decision: &AssessmentDecision,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE assessments SET status = $1, decided_at = $2, decided_by = $3, grounds = $4, \
             flagged = $5, authorization_id = $6 WHERE id = $7 AND status = $8",
        )
        .bind(decision.status.as_str())
        .bind(now_ms)
        .bind(decision.decided_by)
        .bind(decision.grounds.clone())
        .bind(i64::from(decision.flagged))
        .bind(decision.authorization_id)
        .bind(id)
        .bind(AssessmentStatus::Pending.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "assessment", id)
    }
}
