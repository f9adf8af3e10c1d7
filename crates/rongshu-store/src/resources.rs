//! Data resources, their registration record and their current fields.

use rongshu_classify::{Grade, IdentifierKind};
use rongshu_domain::resource::{RegistrationStatus, ServiceMode, UpdateFrequency};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::found;
use crate::conditions::Conditions;
use crate::{Store, StoreError, WriteTx, parse_code};

/// The registration record of the 2025 national measures on public data
/// resource registration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    /// `None` until first registered.
    pub status: Option<RegistrationStatus>,
    /// The query code the national register issues.
    pub code: Option<String>,
    pub data_type: String,
    pub data_format: String,
    pub storage: String,
    pub documentation: String,
}

/// What describes a resource, as its provider writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceDescription {
    pub title: String,
    pub description: String,
    pub theme: String,
    pub update_frequency: UpdateFrequency,
    pub open_data: bool,
    pub service_modes: Vec<ServiceMode>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub id: i64,
    pub provider_id: i64,
    pub provider_code: String,
    pub provider_name: String,
    /// A stable short name (the catalogue's `name` in CKAN terms).
    pub code: String,
    pub about: ResourceDescription,
    /// The grade the last ingest suggested.
    pub suggested_grade: Option<Grade>,
    /// The grade the provider confirmed; `None` until confirmed.
    pub grade: Option<Grade>,
    pub grade_confirmed_by: Option<i64>,
    pub grade_confirmed_at_ms: Option<i64>,
    pub registration: Registration,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub last_delivered_at_ms: Option<i64>,
    /// The newest version's number, if any was delivered.
    pub latest_version: Option<i64>,
    pub latest_rows: Option<i64>,
}

/// One of a resource's fields with what classification found and what the
/// provider decided.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceField {
    pub position: i64,
    pub name: String,
    pub field_type: String,
    pub description: String,
    pub detected_kind: Option<IdentifierKind>,
    pub share: f64,
    pub confidence: f64,
    pub suggested_level: Grade,
    /// The sensitivity level in force.
    pub sensitivity: Grade,
    /// The personal-information kind in force (`None`: not personal).
    pub personal_kind: Option<IdentifierKind>,
}

/// Which resources to list.
#[derive(Clone, Debug, Default)]
pub struct ResourceFilter {
    pub provider_id: Option<i64>,
    pub open_only: bool,
    /// Words that must each appear in the title, description or code.
    pub text: Option<String>,
    pub theme: Option<String>,
    pub grade: Option<Grade>,
    pub limit: Option<u32>,
    pub offset: u32,
}

const RESOURCE_SELECT: &str = "SELECT r.*, o.code AS provider_code, o.name AS provider_name, \
     (SELECT MAX(v.number) FROM resource_versions v WHERE v.resource_id = r.id) AS latest_version, \
     (SELECT v.row_count FROM resource_versions v WHERE v.resource_id = r.id \
        ORDER BY v.number DESC LIMIT 1) AS latest_rows \
     FROM resources r JOIN organizations o ON o.id = r.provider_id";

fn optional_code<T: std::str::FromStr>(
    what: &'static str,
    value: Option<String>,
) -> Result<Option<T>, StoreError> {
    value.map(|v| parse_code(what, v)).transpose()
}

fn resource(row: &AnyRow) -> Result<Resource, StoreError> {
    let modes: String = row.try_get("service_modes")?;
    Ok(Resource {
        id: row.try_get("id")?,
        provider_id: row.try_get("provider_id")?,
        provider_code: row.try_get("provider_code")?,
        provider_name: row.try_get("provider_name")?,
        code: row.try_get("code")?,
        about: ResourceDescription {
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            theme: row.try_get("theme")?,
            update_frequency: parse_code("update frequency", row.try_get("update_frequency")?)?,
            open_data: row.try_get::<i64, _>("open_data")? != 0,
            service_modes: ServiceMode::split(&modes).map_err(|_| StoreError::Corrupt {
                what: "service modes",
                value: modes.clone(),
            })?,
        },
        suggested_grade: optional_code("grade", row.try_get("suggested_grade")?)?,
        grade: optional_code("grade", row.try_get("grade")?)?,
        grade_confirmed_by: row.try_get("grade_confirmed_by")?,
        grade_confirmed_at_ms: row.try_get("grade_confirmed_at")?,
        registration: Registration {
            status: optional_code("registration status", row.try_get("registration_status")?)?,
            code: row.try_get("registration_code")?,
            data_type: row.try_get("data_type")?,
            data_format: row.try_get("data_format")?,
            storage: row.try_get("storage")?,
            documentation: row.try_get("documentation")?,
        },
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        last_delivered_at_ms: row.try_get("last_delivered_at")?,
        latest_version: row.try_get("latest_version")?,
        latest_rows: row.try_get("latest_rows")?,
    })
}

pub(crate) fn field(row: &AnyRow) -> Result<ResourceField, StoreError> {
    Ok(ResourceField {
        position: row.try_get("position")?,
        name: row.try_get("name")?,
        field_type: row.try_get("field_type")?,
        description: row.try_get("description")?,
        detected_kind: optional_code("identifier kind", row.try_get("detected_kind")?)?,
        share: row.try_get("share")?,
        confidence: row.try_get("confidence")?,
        suggested_level: parse_code("grade", row.try_get("suggested_level")?)?,
        sensitivity: parse_code("grade", row.try_get("sensitivity")?)?,
        personal_kind: optional_code("identifier kind", row.try_get("personal_kind")?)?,
    })
}

/// `LIKE` patterns match these literally once escaped.
fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

/// The conditions a filter asks for.
fn conditions(filter: &ResourceFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(provider) = filter.provider_id {
        c.push_int(provider, |p| format!("r.provider_id = {p}"));
    }
    if filter.open_only {
        c.push("r.open_data = 1");
    }
    if let Some(theme) = &filter.theme {
        c.push_text(theme, |p| format!("r.theme = {p}"));
    }
    if let Some(grade) = filter.grade {
        c.push_text(grade.as_str(), |p| {
            format!("COALESCE(r.grade, r.suggested_grade) = {p}")
        });
    }
    for word in filter.text.iter().flat_map(|t| t.split_whitespace()) {
        c.push_text(like_pattern(word), |p| {
            format!(
                "(LOWER(r.title) LIKE {p} ESCAPE '\\' OR LOWER(r.description) LIKE {p} ESCAPE '\\' \
                 OR LOWER(r.code) LIKE {p} ESCAPE '\\' OR LOWER(o.name) LIKE {p} ESCAPE '\\')"
            )
        });
    }
    c
}

impl Store {
    pub async fn resources(&self, filter: &ResourceFilter) -> Result<Vec<Resource>, StoreError> {
        let conditions = conditions(filter);
        let mut sql = format!("{RESOURCE_SELECT}{} ORDER BY r.id", conditions.clause());
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit} OFFSET {}", filter.offset));
        }
        conditions
            .bound(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(resource)
            .collect()
    }

    /// How many resources a filter matches, paging aside.
    pub async fn count_resources(&self, filter: &ResourceFilter) -> Result<u64, StoreError> {
        let conditions = conditions(filter);
        let sql = format!(
            "SELECT COUNT(*) FROM resources r JOIN organizations o ON o.id = r.provider_id{}",
            conditions.clause()
        );
        let count: i64 = conditions
            .bound(&sql)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    pub async fn resource(&self, id: i64) -> Result<Resource, StoreError> {
        let sql = format!("{RESOURCE_SELECT} WHERE r.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(resource)
            .transpose()?
            .ok_or(StoreError::NotFound {
                what: "resource",
                id: id.to_string(),
            })
    }

    pub async fn resource_by_code(&self, code: &str) -> Result<Resource, StoreError> {
        let sql = format!("{RESOURCE_SELECT} WHERE r.code = $1");
        let row = sqlx::query(&sql)
            .bind(code.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(resource)
            .transpose()?
            .ok_or(StoreError::NotFound {
                what: "resource",
                id: code.to_owned(),
            })
    }

    pub async fn resource_fields(
        &self,
        resource_id: i64,
    ) -> Result<Vec<ResourceField>, StoreError> {
        sqlx::query("SELECT * FROM resource_fields WHERE resource_id = $1 ORDER BY position")
            .bind(resource_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(field)
            .collect()
    }
}

impl WriteTx<'_> {
    pub async fn insert_resource(
        &mut self,
        provider_id: i64,
        code: &str,
        about: &ResourceDescription,
        registration: &Registration,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO resources (provider_id, code, title, description, theme, update_frequency, \
             open_data, service_modes, data_type, data_format, storage, documentation, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) \
             RETURNING id",
        )
        .bind(provider_id)
        .bind(code.to_owned())
        .bind(about.title.clone())
        .bind(about.description.clone())
        .bind(about.theme.clone())
        .bind(about.update_frequency.as_str())
        .bind(i64::from(about.open_data))
        .bind(ServiceMode::join(&about.service_modes))
        .bind(registration.data_type.clone())
        .bind(registration.data_format.clone())
        .bind(registration.storage.clone())
        .bind(registration.documentation.clone())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(StoreError::unique("resource code", code))
    }

    pub async fn update_resource(
        &mut self,
        id: i64,
        about: &ResourceDescription,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE resources SET title = $1, description = $2, theme = $3, update_frequency = $4, \
             open_data = $5, service_modes = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(about.title.clone())
        .bind(about.description.clone())
        .bind(about.theme.clone())
        .bind(about.update_frequency.as_str())
        .bind(i64::from(about.open_data))
        .bind(ServiceMode::join(&about.service_modes))
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "resource", id)
    }

    pub async fn set_registration(
        &mut self,
        id: i64,
        registration: &Registration,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE resources SET registration_status = $1, registration_code = $2, data_type = $3, \
             data_format = $4, storage = $5, documentation = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(registration.status.map(|s| s.as_str()))
        .bind(registration.code.clone())
        .bind(registration.data_type.clone())
        .bind(registration.data_format.clone())
        .bind(registration.storage.clone())
        .bind(registration.documentation.clone())
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "resource", id)
    }

    /// Records the provider's decision on the resource's grade.
    pub async fn confirm_grade(
        &mut self,
        id: i64,
        grade: Grade,
        by_account: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE resources SET grade = $1, grade_confirmed_by = $2, grade_confirmed_at = $3, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(grade.as_str())
        .bind(by_account)
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "resource", id)
    }

    /// Records the provider's decision on one field.
    pub async fn set_field_sensitivity(
        &mut self,
        resource_id: i64,
        name: &str,
        sensitivity: Grade,
        personal_kind: Option<IdentifierKind>,
        description: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE resource_fields SET sensitivity = $1, personal_kind = $2, description = $3 \
             WHERE resource_id = $4 AND name = $5",
        )
        .bind(sensitivity.as_str())
        .bind(personal_kind.map(|k| k.as_str()))
        .bind(description.to_owned())
        .bind(resource_id)
        .bind(name.to_owned())
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "field",
                id: name.to_owned(),
            });
        }
        Ok(())
    }
}
