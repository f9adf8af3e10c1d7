//! Wire types of data resources, versions and deliveries.

use rongshu_domain::resource::SchemaDiff;
use rongshu_store::{Ingest, Resource, ResourceField, Version, VersionField};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::rfc3339;

#[derive(Serialize, ToSchema)]
pub(crate) struct ProviderRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistrationFields {
    /// 数据类型, e.g. 库表 or 接口.
    #[serde(default)]
    pub data_type: String,
    /// 数据格式.
    #[serde(default)]
    pub data_format: String,
    /// 存储方式 / location.
    #[serde(default)]
    pub storage: String,
    /// 说明文档.
    #[serde(default)]
    pub documentation: String,
    /// The national register's query code, once issued.
    #[serde(default)]
    pub registration_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RegistrationView {
    /// `first-registered`, `changed`, `cancelled`, or null before registration.
    pub status: Option<String>,
    #[serde(flatten)]
    pub fields: RegistrationFields,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResourceView {
    pub id: i64,
    /// Stable short name, used in URLs and as the CKAN `name`.
    pub code: String,
    pub title: String,
    pub description: String,
    pub theme: String,
    pub update_frequency: String,
    /// Published on the open data platform: under the standing blanket
    /// authorization (Art. 13).
    pub open_data: bool,
    pub service_modes: Vec<String>,
    pub provider: ProviderRef,
    /// The grade in force: the provider's confirmed grade, else the suggestion.
    pub grade: Option<String>,
    pub grade_confirmed: bool,
    pub suggested_grade: Option<String>,
    pub registration: RegistrationView,
    pub latest_version: Option<i64>,
    pub rows: Option<i64>,
    pub last_delivered_at: Option<String>,
    /// Whether the provider is behind its declared update frequency.
    pub update_late: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl ResourceView {
    pub fn of(r: &Resource, now_ms: i64) -> ResourceView {
        ResourceView {
            id: r.id,
            code: r.code.clone(),
            title: r.about.title.clone(),
            description: r.about.description.clone(),
            theme: r.about.theme.clone(),
            update_frequency: r.about.update_frequency.as_str().to_owned(),
            open_data: r.about.open_data,
            service_modes: r
                .about
                .service_modes
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            provider: ProviderRef {
                id: r.provider_id,
                code: r.provider_code.clone(),
                name: r.provider_name.clone(),
            },
            grade: r.grade.or(r.suggested_grade).map(|g| g.as_str().to_owned()),
            grade_confirmed: r.grade.is_some(),
            suggested_grade: r.suggested_grade.map(|g| g.as_str().to_owned()),
            registration: RegistrationView {
                status: r.registration.status.map(|s| s.as_str().to_owned()),
                fields: RegistrationFields {
                    data_type: r.registration.data_type.clone(),
                    data_format: r.registration.data_format.clone(),
                    storage: r.registration.storage.clone(),
                    documentation: r.registration.documentation.clone(),
                    registration_code: r.registration.code.clone(),
                },
            },
            latest_version: r.latest_version,
            rows: r.latest_rows,
            last_delivered_at: r.last_delivered_at_ms.map(rfc3339),
            update_late: r
                .last_delivered_at_ms
                .is_some_and(|last| r.about.update_frequency.is_late(last, now_ms)),
            created_at: rfc3339(r.created_at_ms),
            updated_at: rfc3339(r.updated_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A theme code from `GET /api/v1/themes`.
    pub theme: String,
    /// real-time, daily, weekly, monthly, quarterly, yearly or irregular.
    pub update_frequency: String,
    #[serde(default)]
    pub open_data: bool,
    /// download, query-api, verification-api, sandbox, joint-computation, consulting.
    pub service_modes: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateResourceRequest {
    /// 2-64 lower-case letters, digits and hyphens, starting with a letter.
    pub code: String,
    #[serde(flatten)]
    pub about: ResourceRequest,
    #[serde(default)]
    pub registration: Option<RegistrationFields>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistrationRequest {
    /// register (首次登记), change (变更登记), cancel (注销登记), or omitted
    /// to edit the record without a register step.
    pub action: Option<String>,
    #[serde(flatten)]
    pub fields: RegistrationFields,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ThemeView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct FieldView {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: String,
    pub description: String,
    /// What classification found (resident_id, mobile, …), if anything.
    pub detected_kind: Option<String>,
    /// Share of scanned values that match the kind.
    pub share: f64,
    pub confidence: f64,
    pub suggested_level: String,
    /// The level in force, after the provider's decision.
    pub sensitivity: String,
    /// The personal-information kind in force.
    pub personal_kind: Option<String>,
}

impl From<&ResourceField> for FieldView {
    fn from(f: &ResourceField) -> Self {
        FieldView {
            name: f.name.clone(),
            field_type: f.field_type.clone(),
            description: f.description.clone(),
            detected_kind: f.detected_kind.map(|k| k.as_str().to_owned()),
            share: f.share,
            confidence: f.confidence,
            suggested_level: f.suggested_level.as_str().to_owned(),
            sensitivity: f.sensitivity.as_str().to_owned(),
            personal_kind: f.personal_kind.map(|k| k.as_str().to_owned()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldDecisionRequest {
    pub name: String,
    pub sensitivity: String,
    /// An identifier kind, or null for a field that is not personal.
    pub personal_kind: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GradingRequest {
    /// general-1 … general-4, important or core.
    pub grade: String,
    /// Required when anything departs from the suggestion.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub fields: Vec<FieldDecisionRequest>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionFieldView {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: String,
    pub detected_kind: Option<String>,
    pub share: f64,
    pub confidence: f64,
    pub scanned: i64,
    pub suggested_level: String,
}

impl From<&VersionField> for VersionFieldView {
    fn from(f: &VersionField) -> Self {
        VersionFieldView {
            name: f.name.clone(),
            field_type: f.field_type.clone(),
            detected_kind: f.detected_kind.map(|k| k.as_str().to_owned()),
            share: f.share,
            confidence: f.confidence,
            scanned: f.scanned,
            suggested_level: f.suggested_level.as_str().to_owned(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionView {
    pub number: i64,
    pub rows: i64,
    /// Bytes of the stored Parquet (plaintext).
    pub byte_size: i64,
    pub sealed_size: i64,
    /// SM3 of the stored Parquet, hex.
    pub sm3: String,
    pub cipher: String,
    pub source_format: String,
    pub source_encoding: Option<String>,
    pub source_bytes: i64,
    pub delivered_by: Option<String>,
    /// console, front-push or front-pull.
    pub channel: String,
    pub suggested_grade: String,
    pub delivered_at: String,
    pub ingest_id: i64,
    /// Present on a single version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<VersionFieldView>>,
}

impl VersionView {
    pub fn of(v: &Version, fields: Option<&[VersionField]>) -> VersionView {
        VersionView {
            number: v.number,
            rows: v.row_count,
            byte_size: v.byte_size,
            sealed_size: v.sealed_size,
            sm3: v.digest.clone(),
            cipher: v.suite.clone(),
            source_format: v.source_format.clone(),
            source_encoding: v.source_encoding.clone(),
            source_bytes: v.source_bytes,
            delivered_by: v.delivered_by_name.clone(),
            channel: v.channel.as_str().to_owned(),
            suggested_grade: v.suggested_grade.as_str().to_owned(),
            delivered_at: rfc3339(v.delivered_at_ms),
            ingest_id: v.ingest_id,
            fields: fields.map(|f| f.iter().map(VersionFieldView::from).collect()),
        }
    }
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub(crate) struct CompareQuery {
    pub from: i64,
    pub to: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RetypedField {
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionComparison {
    pub from: i64,
    pub to: i64,
    pub rows_from: i64,
    pub rows_to: i64,
    pub row_change: i64,
    pub added_fields: Vec<String>,
    pub removed_fields: Vec<String>,
    pub retyped_fields: Vec<RetypedField>,
    pub moved_fields: Vec<String>,
    pub same_content: bool,
}

impl VersionComparison {
    pub fn of(a: &Version, b: &Version, diff: SchemaDiff) -> VersionComparison {
        VersionComparison {
            from: a.number,
            to: b.number,
            rows_from: a.row_count,
            rows_to: b.row_count,
            row_change: b.row_count - a.row_count,
            added_fields: diff.added,
            removed_fields: diff.removed,
            retyped_fields: diff
                .retyped
                .into_iter()
                .map(|(name, from, to)| RetypedField { name, from, to })
                .collect(),
            moved_fields: diff.moved,
            same_content: a.digest == b.digest,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct IngestView {
    pub id: i64,
    /// running, succeeded, failed or abandoned.
    pub state: String,
    pub channel: String,
    pub format: String,
    pub file_name: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub bytes_total: Option<i64>,
    pub bytes_read: i64,
    pub rows_read: i64,
    pub bad_rows: i64,
    /// 0 to 1 when the size is known.
    pub progress: Option<f64>,
    pub error: Option<String>,
    /// The version it made, if it succeeded.
    pub version_id: Option<i64>,
}

impl From<&Ingest> for IngestView {
    fn from(i: &Ingest) -> Self {
        IngestView {
            id: i.id,
            state: i.state.as_str().to_owned(),
            channel: i.channel.as_str().to_owned(),
            format: i.format.clone(),
            file_name: i.file_name.clone(),
            started_at: rfc3339(i.started_at_ms),
            finished_at: i.finished_at_ms.map(rfc3339),
            bytes_total: i.bytes_total,
            bytes_read: i.bytes_read,
            rows_read: i.rows_read,
            bad_rows: i.bad_rows,
            progress: i.state.progress(i.bytes_read, i.bytes_total),
            error: i.error.clone(),
            version_id: i.version_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryReceipt {
    pub resource: String,
    pub ingest: IngestView,
    pub version: VersionView,
    pub bad_rows: u64,
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveryQuery {
    /// The delivered file's name; its extension tells the format.
    pub file_name: String,
    /// csv, xlsx, json, ndjson or parquet, when the name does not tell.
    pub format: Option<String>,
    /// utf-8 or gb18030 (gbk, gb2312); detected when omitted.
    pub encoding: Option<String>,
    /// One character, or `tab`; sniffed when omitted.
    pub delimiter: Option<String>,
    /// XLSX: the sheet to read (the first when omitted).
    pub sheet: Option<String>,
    /// Field types to use instead of the inferred ones: `name:type,…`.
    pub types: Option<String>,
}

#[derive(Deserialize, IntoParams, ToSchema, Default)]
#[into_params(parameter_in = Query)]
pub(crate) struct CatalogueQuery {
    /// Words to find in titles, descriptions, codes and providers.
    pub q: Option<String>,
    pub theme: Option<String>,
    pub grade: Option<String>,
    /// Only this provider's (organisation id).
    pub provider: Option<i64>,
    /// Only open resources.
    pub open: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PullRequest {
    /// `http` (an HTTP(S) URL serving a file) or `postgres` (a table).
    pub kind: String,
    /// The URL: `https://…/export.csv` or `postgres://user:pass@host/db`.
    pub location: String,
    /// postgres: the table (or `schema.table`) read whole.
    #[serde(default)]
    pub table: String,
    /// http: the format when the URL does not tell.
    #[serde(default)]
    pub format: String,
    /// Minutes between pulls (1 to 44640).
    pub interval_minutes: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PullView {
    pub id: i64,
    pub resource_id: i64,
    pub kind: String,
    /// With any password replaced by `***`.
    pub location: String,
    pub table: String,
    pub format: String,
    pub interval_minutes: i64,
    pub next_run_at: String,
    pub last_run_at: Option<String>,
    pub last_status: Option<String>,
    pub last_ingest_id: Option<i64>,
}

impl From<&rongshu_store::PullSource> for PullView {
    fn from(p: &rongshu_store::PullSource) -> Self {
        PullView {
            id: p.id,
            resource_id: p.resource_id,
            kind: p.kind.clone(),
            location: rongshu_delivery::redacted(&p.location),
            table: p.table_name.clone(),
            format: p.format.clone(),
            interval_minutes: p.interval_secs / 60,
            next_run_at: rfc3339(p.next_run_at_ms),
            last_run_at: p.last_run_at_ms.map(rfc3339),
            last_status: p.last_status.clone(),
            last_ingest_id: p.last_ingest_id,
        }
    }
}
