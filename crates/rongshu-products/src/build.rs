//! Building products on authorizations: every setting checked against the
//! authorization it rests on and the version it will serve.

use rongshu_deid::{Level, OutputField, Pipeline, Probe, Step, Transform, level::shortfalls};
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, check_amount, check_price};
use rongshu_domain::workflow::AuthorizationStatus;
use rongshu_domain::{Actor, PartyType, Role};
use rongshu_formats::{ColumnType, OutputColumn};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::{Authorization, Product, ProductInput, Resource, Version, VersionField};
use rongshu_workflow::To;

use crate::access::refuse_withdrawn;
use crate::{ProductError, Products};

/// What the operator writes to make or change a product.
#[derive(Clone, Debug)]
pub struct ProductDraft {
    pub code: String,
    pub name: String,
    pub description: String,
    pub resource_code: String,
    pub authorization_id: i64,
    pub modes: Vec<ServiceMode>,
    pub fields: Vec<String>,
    /// The pipeline document, JSON or TOML.
    pub pipeline: String,
    pub query_parameters: Vec<String>,
    pub max_rows: i64,
    pub verify_key_field: Option<String>,
    pub verify_fields: Vec<String>,
    pub daily_call_quota: Option<i64>,
    pub rate_per_minute: Option<i64>,
    pub billing_unit: BillingUnit,
    pub price_fen: i64,
}

/// The modes a product can serve; joint computation is not a product.
const PRODUCT_MODES: [ServiceMode; 5] = [
    ServiceMode::Download,
    ServiceMode::QueryApi,
    ServiceMode::VerificationApi,
    ServiceMode::Consulting,
    ServiceMode::Sandbox,
];

/// Rows one query call may return at most, whatever a product says.
pub const MAX_ROWS_PER_CALL: i64 = 10_000;

fn invalid(field: &'static str, problem: impl Into<String>) -> ProductError {
    ProductError::InvalidProduct {
        field,
        problem: problem.into(),
    }
}

/// Fresh material for a product's pseudonym and token keys.
pub(crate) fn new_key_material() -> [u8; rongshu_deid::PRODUCT_KEY_BYTES] {
    let mut material = [0u8; rongshu_deid::PRODUCT_KEY_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut material);
    material
}

/// Reads a pipeline document in JSON (starting with `{`) or TOML. A JSON
/// array is JSON too, so that its error says so: a TOML table header
/// (`[[steps]]`) also starts with `[`.
pub(crate) fn parse_pipeline(text: &str) -> Result<Pipeline, ProductError> {
    let text = text.trim();
    // Any JSON value (an array, a number) is no TOML document: read as
    // JSON, it is refused as what it is rather than as broken TOML.
    let json = || serde_json::from_str::<serde_json::Value>(text).is_ok();
    Ok(if text.is_empty() {
        Pipeline::default()
    } else if text.starts_with('{') || json() {
        Pipeline::from_json(text)?
    } else {
        Pipeline::from_toml(text)?
    })
}

/// The columns an output has: a field keeps its stored type unless a
/// transform turns it into text.
pub fn output_columns(
    pipeline: &Pipeline,
    fields: &[String],
    types: &[ColumnType],
) -> Vec<OutputColumn> {
    fields
        .iter()
        .zip(types)
        .map(|(name, stored)| {
            let transforms: Vec<&Transform> = pipeline.transforms_of(name).collect();
            let numeric = matches!(stored, ColumnType::Integer | ColumnType::Decimal);
            let keeps =
                transforms.is_empty() || (numeric && transforms.iter().all(|t| t.keeps_numbers()));
            OutputColumn {
                name: name.clone(),
                column_type: if keeps { *stored } else { ColumnType::Text },
            }
        })
        .collect()
}

/// The shortfalls of a pipeline over `fields` against an authorization.
/// Where a mode lets a product's rows go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowsGo {
    /// Out of the platform: downloads and query answers.
    Out,
    /// Into the sandbox only, where results leave through output checking.
    IntoSandbox,
}

impl RowsGo {
    /// None for modes that let no rows go (verification, consulting).
    pub(crate) fn of(mode: ServiceMode) -> Option<RowsGo> {
        match mode {
            ServiceMode::Download | ServiceMode::QueryApi => Some(RowsGo::Out),
            ServiceMode::Sandbox => Some(RowsGo::IntoSandbox),
            _ => None,
        }
    }
}

/// Refuses query parameters, and fields a verification API compares,
/// that the pipeline's treatment makes unfit to be probed by a caller's
/// own values (see [`Transform::unfit_for`]); only probes of the `kinds`
/// given.
pub(crate) fn check_probes(
    pipeline: &Pipeline,
    input: &ProductInput,
    kinds: &[Probe],
) -> Result<(), ProductError> {
    let verified = input
        .verify_key_field
        .iter()
        .map(|f| ("verify_key_field", f));
    let lookups = match input.modes.contains(&ServiceMode::QueryApi) {
        true => &input.query_parameters[..],
        false => &[],
    };
    let probes = lookups
        .iter()
        .map(|p| ("query_parameters", p, Probe::Lookup))
        .chain(
            verified
                .chain(input.verify_fields.iter().map(|f| ("verify_fields", f)))
                .map(|(at, f)| (at, f, Probe::Verification)),
        )
        .filter(|(_, _, probe)| kinds.contains(probe));
    for (at, field, probe) in probes {
        if let Some(why) = pipeline.unfit_for(field, probe) {
            let because = match probe {
                Probe::Lookup => {
                    "a parameter is looked up by the value the caller sends as it is output"
                }
                Probe::Verification => {
                    "a verification answer confirms a guessed value, so repeated guesses would recover what the pipeline withholds"
                }
            };
            return Err(invalid(
                at,
                format!("{field} is {why} in the pipeline: {because}"),
            ));
        }
    }
    Ok(())
}

/// Refuses a transform of a field whose stored type it can never read
/// (noise on dates, a date cut on numbers): it would reject every row.
/// Text may hold anything, so is left to the run's rejected-rows report.
fn check_types(pipeline: &Pipeline, kinds: &[VersionField]) -> Result<(), ProductError> {
    for (at, step) in pipeline.steps.iter().enumerate() {
        let Step::Transform { field, op } = step else {
            continue;
        };
        let (reads, what): (&[&str], _) = match op {
            Transform::TopCode(_)
            | Transform::BottomCode(_)
            | Transform::Round(_)
            | Transform::Noise(_) => (&["integer", "decimal"], "numbers"),
            Transform::DateTo(_) => (&["date", "timestamp"], "dates"),
            Transform::AgeBand { .. } => (
                &["integer", "decimal", "date", "timestamp"],
                "ages, dates of birth or ID numbers",
            ),
            _ => continue,
        };
        let stored = kinds
            .iter()
            .find(|k| &k.name == field)
            .map(|k| k.field_type.as_str());
        if let Some(stored) = stored.filter(|t| *t != "text" && !reads.contains(t)) {
            return Err(invalid(
                "pipeline",
                format!(
                    "step {}: {field} is stored as {stored}, and its transform reads only {what}; it would reject every row",
                    at + 1
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn exceeds(
    pipeline: &Pipeline,
    fields: &[String],
    kinds: &[VersionField],
    authorization: &Authorization,
    rows: RowsGo,
) -> Result<(), ProductError> {
    let level: Level = authorization.scope.deidentification.parse().map_err(|_| {
        invalid(
            "authorization",
            format!(
                "carries the unknown de-identification level {}",
                authorization.scope.deidentification
            ),
        )
    })?;
    // Rows seen inside the sandbox never leave as rows, whatever the level;
    // they are still held to de-identification, so direct identifiers are
    // protected there too.
    let level = match rows {
        RowsGo::Out => level,
        RowsGo::IntoSandbox => level.min(Level::DeIdentified),
    };
    let outputs: Vec<OutputField<'_>> = fields
        .iter()
        .map(|name| OutputField {
            name,
            kind: kinds
                .iter()
                .find(|f| &f.name == name)
                .and_then(|f| f.detected_kind),
        })
        .collect();
    let found = shortfalls(
        pipeline,
        &outputs,
        level,
        authorization.scope.reidentification,
    );
    if found.is_empty() {
        Ok(())
    } else {
        Err(ProductError::Exceeds(found))
    }
}

/// Fields of `resource` the authorization covers; empty means all.
fn authorized_fields<'a>(
    authorization: &'a Authorization,
    resource: &Resource,
) -> Result<&'a [String], ProductError> {
    authorization
        .scope
        .resources
        .iter()
        .find(|r| r.resource_id == resource.id)
        .map(|r| r.fields.as_slice())
        .ok_or_else(|| ProductError::NotAuthorized {
            what: "resource",
            name: resource.code.clone(),
        })
}

/// A resource a product can be built on, under an authorization in force.
#[derive(Clone, Debug)]
pub struct Buildable {
    pub authorization_id: i64,
    pub resource: Resource,
    /// The fields authorized; empty: all of them.
    pub fields: Vec<String>,
    pub modes: Vec<ServiceMode>,
}

impl Products {
    /// What the operator may build on: each resource of each authorization
    /// not terminated.
    pub async fn buildable(&self, actor: &Actor) -> Result<Vec<Buildable>, ProductError> {
        Self::may_build(actor)?;
        let mut out = Vec::new();
        for authorization in self.store().authorizations(None).await? {
            if authorization.status == AuthorizationStatus::Terminated {
                continue;
            }
            for granted in &authorization.scope.resources {
                out.push(Buildable {
                    authorization_id: authorization.id,
                    resource: self.store().resource(granted.resource_id).await?,
                    fields: granted.fields.clone(),
                    modes: authorization.scope.modes.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The version a product serves: its resource's newest.
    pub(crate) async fn latest_version(
        &self,
        resource: &Resource,
    ) -> Result<Version, ProductError> {
        let number = resource
            .latest_version
            .ok_or_else(|| ProductError::NoVersion(resource.code.clone()))?;
        Ok(self.store().version(resource.id, number).await?)
    }

    /// Makes a product (`revision` none) or changes the one with the
    /// draft's code at `revision`.
    pub async fn save(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        draft: &ProductDraft,
        revision: Option<i64>,
    ) -> Result<Product, ProductError> {
        Self::may_build(actor)?;
        let (input, provider) = self.check(draft).await?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin().await?;
        let (id, action) = match revision {
            None => {
                let sealed = self.master().seal_secret(
                    &new_key_material(),
                    &rongshu_deid::product_key_context(&input.code),
                );
                let id = tx
                    .insert_product(
                        &input,
                        &hex::encode(sealed),
                        &self.master().id(),
                        Some(actor.account_id),
                        now,
                    )
                    .await?;
                (id, "product.create")
            }
            Some(revision) => {
                let existing = self.store().product_by_code(&input.code).await?;
                refuse_withdrawn(&existing)?;
                check_price(input.price_fen, existing.price_cap_fen)?;
                tx.update_product(existing.id, revision, &input, now)
                    .await?;
                (existing.id, "product.update")
            }
        };
        tx.append(EntryDraft {
            reason: Some(format!(
                "{} on authorization {}: {} by {}",
                input.code,
                input.authorization_id,
                input.fields.join(","),
                ServiceMode::join(&input.modes)
            )),
            ..by.entry(action, "product", Some(input.code.clone()))
        })
        .await?;
        if revision.is_none() {
            // The authorizing side sets the price cap (2025 pricing notice).
            rongshu_workflow::notify(
                self.store(),
                &mut tx,
                &[To::Org(provider)],
                "product.created",
                ("product", id),
                &input.name,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(self.store().product(id).await?)
    }

    /// Only the operator's staff build products.
    pub fn may_build(actor: &Actor) -> Result<(), ProductError> {
        if actor.party != PartyType::Operator || actor.role == Role::Auditor {
            return Err(ProductError::Forbidden(
                "only the operator's staff build products",
            ));
        }
        Ok(())
    }

    /// Checks a draft against its authorization and the version it will
    /// serve; returns what to store and the provider to tell.
    pub(crate) async fn check(
        &self,
        draft: &ProductDraft,
    ) -> Result<(ProductInput, i64), ProductError> {
        rongshu_domain::check_product_code(&draft.code)
            .map_err(|e| invalid("code", e.to_string()))?;
        let name = draft.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("name", "is required, at most 200 characters"));
        }
        let resource = self.store().resource_by_code(&draft.resource_code).await?;
        let authorization = self.store().authorization(draft.authorization_id).await?;
        if authorization.status == AuthorizationStatus::Terminated {
            return Err(invalid(
                "authorization_id",
                "was terminated; nothing can be built on it",
            ));
        }
        let allowed = authorized_fields(&authorization, &resource)?;
        if draft.modes.is_empty() {
            return Err(invalid("modes", "name at least one mode"));
        }
        for (at, mode) in draft.modes.iter().enumerate() {
            if draft.modes[..at].contains(mode) {
                return Err(invalid(
                    "modes",
                    format!("{} is named twice", mode.as_str()),
                ));
            }
            if !PRODUCT_MODES.contains(mode) {
                return Err(invalid(
                    "modes",
                    format!("{} is not a product mode", mode.as_str()),
                ));
            }
            if !authorization.scope.modes.contains(mode) {
                return Err(ProductError::NotAuthorized {
                    what: "mode",
                    name: mode.as_str().into(),
                });
            }
        }
        let version = self.latest_version(&resource).await?;
        let kinds = self.store().version_fields(version.id).await?;
        let known = |field: &str| -> Result<(), ProductError> {
            if !kinds.iter().any(|f| f.name == field) {
                return Err(invalid(
                    "fields",
                    format!("{field} is not a field of {}", resource.code),
                ));
            }
            if !allowed.is_empty() && !allowed.iter().any(|f| f == field) {
                return Err(ProductError::NotAuthorized {
                    what: "field",
                    name: field.into(),
                });
            }
            Ok(())
        };
        if draft.fields.is_empty() {
            return Err(invalid("fields", "name at least one output field"));
        }
        for (at, field) in draft.fields.iter().enumerate() {
            known(field)?;
            if draft.fields[..at].contains(field) {
                return Err(invalid("fields", format!("{field} is named twice")));
            }
        }
        let pipeline = parse_pipeline(&draft.pipeline)?;
        pipeline.compile(&draft.fields)?;
        check_types(&pipeline, &kinds)?;
        let mut reaches: Vec<RowsGo> = draft.modes.iter().filter_map(|m| RowsGo::of(*m)).collect();
        reaches.dedup();
        for rows in reaches {
            exceeds(&pipeline, &draft.fields, &kinds, &authorization, rows)?;
        }
        let offers = |mode| draft.modes.contains(&mode);
        if offers(ServiceMode::QueryApi) {
            if draft.query_parameters.is_empty() {
                return Err(invalid(
                    "query_parameters",
                    "a query API needs at least one input parameter",
                ));
            }
            if !(1..=MAX_ROWS_PER_CALL).contains(&draft.max_rows) {
                return Err(invalid(
                    "max_rows",
                    format!("is between 1 and {MAX_ROWS_PER_CALL}"),
                ));
            }
        }
        for (at, parameter) in draft.query_parameters.iter().enumerate() {
            if !draft.fields.contains(parameter) {
                return Err(invalid(
                    "query_parameters",
                    format!("{parameter} is not an output field"),
                ));
            }
            if draft.query_parameters[..at].contains(parameter) {
                return Err(invalid(
                    "query_parameters",
                    format!("{parameter} is named twice"),
                ));
            }
        }
        let verify_key_field = if offers(ServiceMode::VerificationApi) {
            let key = draft.verify_key_field.clone().ok_or_else(|| {
                invalid(
                    "verify_key_field",
                    "a verification API needs the field that finds the record",
                )
            })?;
            known(&key)?;
            if draft.verify_fields.is_empty() {
                return Err(invalid(
                    "verify_fields",
                    "name at least one field to compare",
                ));
            }
            for field in &draft.verify_fields {
                known(field)?;
            }
            Some(key)
        } else {
            None
        };
        for (field, value) in [
            ("daily_call_quota", draft.daily_call_quota),
            ("rate_per_minute", draft.rate_per_minute),
        ] {
            if value.is_some_and(|v| v < 1) {
                return Err(invalid(field, "is at least 1 when set"));
            }
        }
        if draft.billing_unit == BillingUnit::PerDownload && !offers(ServiceMode::Download) {
            return Err(invalid(
                "billing_unit",
                "per-download charges nothing on a product that offers no download",
            ));
        }
        check_price(draft.price_fen, None)?;
        let input = ProductInput {
            code: draft.code.clone(),
            name: name.to_owned(),
            description: draft.description.trim().to_owned(),
            resource_id: resource.id,
            authorization_id: authorization.id,
            modes: draft.modes.clone(),
            fields: draft.fields.clone(),
            pipeline: pipeline.to_json(),
            query_parameters: if offers(ServiceMode::QueryApi) {
                draft.query_parameters.clone()
            } else {
                Vec::new()
            },
            max_rows: draft.max_rows,
            verify_fields: if verify_key_field.is_some() {
                draft.verify_fields.clone()
            } else {
                Vec::new()
            },
            verify_key_field,
            daily_call_quota: draft.daily_call_quota,
            rate_per_minute: draft.rate_per_minute,
            billing_unit: draft.billing_unit,
            price_fen: draft.price_fen,
        };
        check_probes(&pipeline, &input, &[Probe::Lookup, Probe::Verification])?;
        Ok((input, resource.provider_id))
    }

    /// The authorizing side's price cap: set by the provider of the
    /// product's resource. Charges never exceed it.
    pub async fn set_price_cap(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        code: &str,
        cap_fen: Option<i64>,
    ) -> Result<Product, ProductError> {
        let product = self.store().product_by_code(code).await?;
        refuse_withdrawn(&product)?;
        let resource = self.store().resource(product.input.resource_id).await?;
        if actor.org_id != resource.provider_id || actor.role == Role::Auditor {
            return Err(ProductError::Forbidden(
                "only the provider of the product's data sets its price cap",
            ));
        }
        if let Some(cap_fen) = cap_fen {
            check_amount(cap_fen)?;
        }
        let mut tx = self.store().begin().await?;
        tx.set_price_cap(product.id, cap_fen, self.workflow().now_ms())
            .await?;
        tx.append(EntryDraft {
            reason: Some(cap_fen.map_or("no cap".into(), |c| format!("{c} fen"))),
            ..by.entry("product.price-cap", "product", Some(code.to_owned()))
        })
        .await?;
        tx.commit().await?;
        Ok(self.store().product(product.id).await?)
    }

    /// Withdraws a product from service (注销), for good: every use is
    /// refused from the next call in every server (the write moves the
    /// access epoch), it leaves the price list, and its provider is told.
    pub async fn withdraw(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        code: &str,
        reason: &str,
    ) -> Result<Product, ProductError> {
        Self::may_build(actor)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(invalid("reason", "is required, at most 500 characters"));
        }
        let product = self.store().product_by_code(code).await?;
        refuse_withdrawn(&product)?;
        let resource = self.store().resource(product.input.resource_id).await?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin().await?;
        tx.withdraw_product(product.id, reason, now).await?;
        tx.append(EntryDraft {
            reason: Some(reason.to_owned()),
            ..by.entry("product.withdraw", "product", Some(code.to_owned()))
        })
        .await?;
        rongshu_workflow::notify(
            self.store(),
            &mut tx,
            &[To::Org(resource.provider_id)],
            "product.withdrawn",
            ("product", product.id),
            &product.input.name,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.store().product(product.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use rongshu_classify::Grade;

    use super::*;

    fn stored(name: &str, field_type: &str) -> VersionField {
        VersionField {
            name: name.into(),
            field_type: field_type.into(),
            detected_kind: None,
            share: 0.0,
            confidence: 0.0,
            scanned: 0,
            suggested_level: Grade::General1,
        }
    }

    #[test]
    fn a_transform_that_can_never_read_a_fields_type_is_refused() {
        let kinds = [
            stored("capital", "decimal"),
            stored("founded", "date"),
            stored("listed", "boolean"),
            stored("note", "text"),
        ];
        let check = |json: &str| check_types(&Pipeline::from_json(json).unwrap(), &kinds);
        for fits in [
            r#"{"steps":[{"op":"noise","field":"capital","amplitude":5}]}"#,
            r#"{"steps":[{"op":"date-to","field":"founded","precision":"year"}]}"#,
            r#"{"steps":[{"op":"age-band","field":"founded","width":10}]}"#,
            r#"{"steps":[{"op":"round","field":"note","base":10}]}"#,
            r#"{"steps":[{"op":"mask","field":"capital","keep_first":1,"keep_last":0}]}"#,
        ] {
            assert!(check(fits).is_ok(), "{fits}");
        }
        for never in [
            r#"{"steps":[{"op":"noise","field":"founded","amplitude":5}]}"#,
            r#"{"steps":[{"op":"date-to","field":"capital","precision":"year"}]}"#,
            r#"{"steps":[{"op":"top-code","field":"listed","at":1}]}"#,
        ] {
            let refused = check(never).unwrap_err();
            assert!(
                matches!(&refused, ProductError::InvalidProduct { field: "pipeline", problem } if problem.contains("every row")),
                "{never}: {refused}"
            );
        }
    }
}
