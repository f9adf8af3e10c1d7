//! Describing, registering and grading data resources: shared by the API,
//! the console and the demo seed, so each validates and ledgers alike.
//! Callers check who may act first (`Actor::may_describe_resources_of`).

use rongshu_classify::{Grade, IdentifierKind};
use rongshu_domain::resource::{
    RegistrationAction, RegistrationStatus, ServiceMode, Theme, UpdateFrequency,
};
use rongshu_domain::{BadName, check_resource_code};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::{Registration, Resource, ResourceDescription};

use crate::auth::commit;
use crate::context::clip;
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// A resource's description as a caller writes it, before validation.
#[derive(Clone, Debug, Default)]
pub struct DescriptionInput {
    pub title: String,
    pub description: String,
    pub theme: String,
    pub update_frequency: String,
    pub open_data: bool,
    pub service_modes: Vec<String>,
}

impl DescriptionInput {
    pub fn validate(&self, themes: &[Theme]) -> Result<ResourceDescription, ApiError> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "title",
                "must have 1 to 200 characters and no control characters",
            ));
        }
        if self.description.chars().count() > 4000 {
            return Err(ApiError::invalid(
                "description",
                "must have at most 4000 characters",
            ));
        }
        if !themes.iter().any(|t| t.code == self.theme) {
            return Err(ApiError::invalid(
                "theme",
                "must be one of the catalogue's theme codes",
            ));
        }
        let update_frequency: UpdateFrequency = self.update_frequency.parse().map_err(|_| {
            ApiError::invalid(
                "update_frequency",
                "must be real-time, daily, weekly, monthly, quarterly, yearly or irregular",
            )
        })?;
        let service_modes = self
            .service_modes
            .iter()
            .map(|m| m.parse::<ServiceMode>())
            .collect::<Result<Vec<_>, _>>()?;
        if service_modes.is_empty() {
            return Err(ApiError::invalid(
                "service_modes",
                "name at least one service mode",
            ));
        }
        Ok(ResourceDescription {
            title: title.to_owned(),
            description: self.description.trim().to_owned(),
            theme: self.theme.clone(),
            update_frequency,
            open_data: self.open_data,
            service_modes,
        })
    }
}

fn check_registration_fields(r: &Registration) -> Result<(), ApiError> {
    for (field, value) in [
        ("data_type", &r.data_type),
        ("data_format", &r.data_format),
        ("storage", &r.storage),
    ] {
        if value.chars().count() > 200 {
            return Err(ApiError::invalid(field, "must have at most 200 characters"));
        }
    }
    if r.documentation.chars().count() > 4000 {
        return Err(ApiError::invalid(
            "documentation",
            "must have at most 4000 characters",
        ));
    }
    if r.code.as_ref().is_some_and(|c| c.chars().count() > 64) {
        return Err(ApiError::invalid(
            "registration_code",
            "must have at most 64 characters",
        ));
    }
    Ok(())
}

pub async fn create_resource(
    state: &AppState,
    by: &impl Attribution,
    provider_id: i64,
    code: &str,
    about: &DescriptionInput,
    registration: &Registration,
) -> Result<Resource, ApiError> {
    check_resource_code(code).map_err(|source: BadName| ApiError::BadName {
        field: "code",
        source,
    })?;
    let about = about.validate(&state.settings().themes)?;
    check_registration_fields(registration)?;
    let registration = Registration {
        status: None,
        code: None,
        ..registration.clone()
    };
    let mut tx = state.store().begin().await?;
    let id = tx
        .insert_resource(provider_id, code, &about, &registration, now_ms())
        .await?;
    tx.append(by.entry("resource.create", "resource", Some(code.to_owned())))
        .await?;
    commit(state, tx).await?;
    Ok(state.store().resource(id).await?)
}

pub async fn update_resource(
    state: &AppState,
    by: &impl Attribution,
    resource: &Resource,
    about: &DescriptionInput,
) -> Result<Resource, ApiError> {
    let about = about.validate(&state.settings().themes)?;
    let mut tx = state.store().begin().await?;
    tx.update_resource(resource.id, &about, now_ms()).await?;
    tx.append(by.entry("resource.update", "resource", Some(resource.code.clone())))
        .await?;
    commit(state, tx).await?;
    Ok(state.store().resource(resource.id).await?)
}

/// Records the registration record's fields, and with `action` a step in
/// the national register (首次登记 / 变更登记 / 注销登记).
pub async fn record_registration(
    state: &AppState,
    by: &impl Attribution,
    resource: &Resource,
    action: Option<RegistrationAction>,
    fields: &Registration,
) -> Result<Resource, ApiError> {
    check_registration_fields(fields)?;
    let current = resource.registration.status;
    if current == Some(RegistrationStatus::Cancelled) {
        return Err(rongshu_domain::resource::RegistrationError::Cancelled.into());
    }
    let status = match action {
        Some(action) => Some(RegistrationStatus::after(current, action)?),
        None => current,
    };
    let record = Registration {
        status,
        ..fields.clone()
    };
    let ledger_action = match action {
        None => "registration.edit",
        Some(RegistrationAction::Register) => "registration.register",
        Some(RegistrationAction::Change) => "registration.change",
        Some(RegistrationAction::Cancel) => "registration.cancel",
    };
    let mut tx = state.store().begin().await?;
    tx.set_registration(resource.id, &record, now_ms()).await?;
    tx.append(by.entry(ledger_action, "resource", Some(resource.code.clone())))
        .await?;
    commit(state, tx).await?;
    Ok(state.store().resource(resource.id).await?)
}

/// The provider's decision on one field.
#[derive(Clone, Debug)]
pub struct FieldDecision {
    pub name: String,
    pub sensitivity: Grade,
    pub personal_kind: Option<IdentifierKind>,
    pub description: Option<String>,
}

/// Confirms or overrides the suggested grading. Anything that departs
/// from a suggestion is an override and needs a reason; the resource can
/// never be graded below its most sensitive field (就高从严).
pub async fn decide_grading(
    state: &AppState,
    by: &impl Attribution,
    account_id: i64,
    resource: &Resource,
    grade: Grade,
    fields: &[FieldDecision],
    reason: &str,
) -> Result<Resource, ApiError> {
    let current = state.store().resource_fields(resource.id).await?;
    if current.is_empty() {
        return Err(ApiError::invalid(
            "grade",
            "a resource is graded after its first delivery",
        ));
    }
    let mut overridden = resource.suggested_grade.is_some_and(|s| s != grade);
    let mut highest = Grade::General1;
    for field in &current {
        let decision = fields.iter().find(|d| d.name == field.name);
        let sensitivity = decision.map_or(field.sensitivity, |d| d.sensitivity);
        overridden |= sensitivity != field.suggested_level;
        overridden |= decision.is_some_and(|d| d.personal_kind != field.detected_kind);
        highest = highest.max(sensitivity);
    }
    if let Some(unknown) = fields
        .iter()
        .find(|d| !current.iter().any(|f| f.name == d.name))
    {
        return Err(ApiError::NotFound {
            what: "field",
            id: unknown.name.clone(),
        });
    }
    if grade < highest {
        return Err(ApiError::invalid(
            "grade",
            "must not be below the most sensitive field's level (就高从严)",
        ));
    }
    let reason = reason.trim();
    if overridden && reason.is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "an override of the suggested grading needs a reason",
        ));
    }
    let mut tx = state.store().begin().await?;
    for d in fields {
        let description = match &d.description {
            Some(text) => clip(text.trim(), 500),
            None => current
                .iter()
                .find(|f| f.name == d.name)
                .map(|f| f.description.clone())
                .unwrap_or_default(),
        };
        tx.set_field_sensitivity(
            resource.id,
            &d.name,
            d.sensitivity,
            d.personal_kind,
            &description,
        )
        .await?;
    }
    tx.confirm_grade(resource.id, grade, account_id, now_ms())
        .await?;
    let action = if overridden {
        "grading.override"
    } else {
        "grading.confirm"
    };
    let suggested = resource.suggested_grade.map_or("none", Grade::as_str);
    tx.append(EntryDraft {
        reason: Some(clip(
            &format!(
                "{} (suggested {suggested}){}{reason}",
                grade.as_str(),
                if reason.is_empty() { "" } else { ": " }
            ),
            500,
        )),
        ..by.entry(action, "resource", Some(resource.code.clone()))
    })
    .await?;
    commit(state, tx).await?;
    Ok(state.store().resource(resource.id).await?)
}
