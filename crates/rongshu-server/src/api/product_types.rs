//! Wire types of products, data calls, suspensions, usage and statements.

use std::collections::BTreeMap;

use rongshu_domain::resource::ServiceMode;
use rongshu_formats::{ColumnType, OutputColumn};
use rongshu_products::consulting::OverdueFeedback;
use rongshu_products::preview::{Preview, Sample};
use rongshu_products::statements::{PriceEntry, Statement};
use rongshu_products::{QueryAnswer, VerifyAnswer};
use rongshu_store::{ConsultingMessage, ConsultingOrder, Feedback, Product, Suspension, Usage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::rfc3339;

fn default_max_rows() -> i64 {
    100
}

fn default_unit() -> String {
    "per-call".into()
}

/// A product as the operator writes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductRequest {
    /// A stable short name, e.g. `registrations-check`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The resource's catalogue code.
    pub resource: String,
    /// The authorization the product is built on.
    pub authorization_id: i64,
    /// download, query-api, verification-api, consulting or sandbox.
    pub modes: Vec<String>,
    /// Output fields, in order.
    pub fields: Vec<String>,
    /// The pipeline: a JSON object, or a JSON or TOML document as a string.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub pipeline: serde_json::Value,
    #[serde(default)]
    pub query_parameters: Vec<String>,
    #[serde(default = "default_max_rows")]
    pub max_rows: i64,
    pub verify_key_field: Option<String>,
    #[serde(default)]
    pub verify_fields: Vec<String>,
    pub daily_call_quota: Option<i64>,
    pub rate_per_minute: Option<i64>,
    /// per-call, per-record, per-download or per-period.
    #[serde(default = "default_unit")]
    pub billing_unit: String,
    /// Price per unit in fen (0.01 yuan).
    #[serde(default)]
    pub price_fen: i64,
    /// The revision being changed (updates only).
    pub revision: Option<i64>,
}

impl ProductRequest {
    /// The pipeline document as text.
    pub fn pipeline_text(&self) -> String {
        match &self.pipeline {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }
}

/// One way to call a product, with ready-made examples.
#[derive(Serialize, ToSchema)]
pub(crate) struct CallExample {
    pub mode: String,
    pub method: String,
    pub path: String,
    pub curl: String,
    pub python: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProductView {
    pub code: String,
    pub name: String,
    pub description: String,
    pub resource_id: i64,
    pub authorization_id: i64,
    pub modes: Vec<String>,
    pub fields: Vec<String>,
    #[schema(value_type = Object)]
    pub pipeline: serde_json::Value,
    pub query_parameters: Vec<String>,
    pub max_rows: i64,
    pub verify_key_field: Option<String>,
    pub verify_fields: Vec<String>,
    pub daily_call_quota: Option<i64>,
    pub rate_per_minute: Option<i64>,
    pub billing_unit: String,
    pub price_fen: i64,
    /// Set by the authorizing side; charges never exceed it.
    pub price_cap_fen: Option<i64>,
    pub revision: i64,
    pub updated_at: String,
    /// The generated reference: each mode with curl and Python examples.
    pub reference: Vec<CallExample>,
    /// Present once the product is withdrawn from service (注销).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<WithdrawalView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WithdrawalView {
    pub at: String,
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WithdrawRequest {
    /// Why the product leaves service; kept on the record and ledgered.
    pub reason: String,
}

fn json_example(names: &[String], sample: &str) -> String {
    let object: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|n| (n.clone(), serde_json::Value::from(sample)))
        .collect();
    serde_json::Value::Object(object).to_string()
}

const AUTH_HEADER: &str = "Authorization: Bearer $RONGSHU_API_KEY";
const PY_HEADERS: &str =
    "headers={\"Authorization\": \"Bearer \" + os.environ[\"RONGSHU_API_KEY\"]}";

/// A POST of the JSON object `body` to `path`; `python_url` is the same
/// address as a Python expression (the shell expands `$VAR`s itself).
fn post(mode: &str, path: String, python_url: String, body: String) -> CallExample {
    CallExample {
        mode: mode.into(),
        method: "POST".into(),
        curl: format!(
            "curl -sS -X POST \"$RONGSHU_URL{path}\" -H \"{AUTH_HEADER}\" -H 'Content-Type: application/json' -d '{body}'"
        ),
        python: format!(
            "import os, requests\nr = requests.post({python_url},\n    {PY_HEADERS},\n    json={body})\nr.raise_for_status()\nprint(r.json())"
        ),
        path,
    }
}

/// A POST to one of the product's own routes.
fn product_post(mode: &str, code: &str, what: &str, body: String) -> CallExample {
    let path = format!("/api/v1/products/{code}/{what}");
    let python_url = format!("os.environ[\"RONGSHU_URL\"] + \"{path}\"");
    post(mode, path, python_url, body)
}

fn examples(p: &Product) -> Vec<CallExample> {
    let code = &p.input.code;
    let object = |key: &str, value: String| format!("{{\"{key}\":{value}}}");
    let mut out = Vec::new();
    for mode in &p.input.modes {
        match mode {
            ServiceMode::QueryApi => {
                let parameters = json_example(&p.input.query_parameters, "…");
                let body = object("parameters", parameters);
                out.push(product_post("query-api", code, "query", body));
            }
            ServiceMode::VerificationApi => {
                let mut facts: Vec<String> = p.input.verify_key_field.iter().cloned().collect();
                facts.extend(p.input.verify_fields.iter().cloned());
                let body = object("facts", json_example(&facts, "…"));
                out.push(product_post("verification-api", code, "verify", body));
            }
            ServiceMode::Consulting => {
                let body = serde_json::json!({ "subject": "…", "question": "…" }).to_string();
                out.push(product_post("consulting", code, "consulting", body));
            }
            ServiceMode::Sandbox => {
                // A statement in the caller's workspace, whose id
                // GET /api/v1/sandbox/workspaces lists.
                let sql = format!("SELECT count(*) FROM {}", rongshu_sandbox::table_name(code));
                let body = serde_json::json!({ "sql": sql }).to_string();
                let path = "/api/v1/sandbox/workspaces/$RONGSHU_WORKSPACE/statements".to_owned();
                let python_url = "os.environ[\"RONGSHU_URL\"] + \"/api/v1/sandbox/workspaces/\" + os.environ[\"RONGSHU_WORKSPACE\"] + \"/statements\"".to_owned();
                out.push(post("sandbox", path, python_url, body));
            }
            ServiceMode::Download => {
                let path = format!("/api/v1/products/{code}/download?format=csv");
                out.push(CallExample {
                    mode: "download".into(),
                    method: "GET".into(),
                    curl: format!("curl -sS -fOJ \"$RONGSHU_URL{path}\" -H \"{AUTH_HEADER}\""),
                    python: format!(
                        "import os, requests\nwith requests.get(os.environ[\"RONGSHU_URL\"] + \"{path}\",\n        {PY_HEADERS}, stream=True) as r:\n    r.raise_for_status()\n    with open(\"{code}.zip\", \"wb\") as f:\n        for chunk in r.iter_content(1 << 20):\n            f.write(chunk)"
                    ),
                    path,
                });
            }
            // Joint computation has no product route of its own.
            ServiceMode::JointComputation => {}
        }
    }
    out
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> ProductView {
        ProductView {
            code: p.input.code.clone(),
            name: p.input.name.clone(),
            description: p.input.description.clone(),
            resource_id: p.input.resource_id,
            authorization_id: p.input.authorization_id,
            modes: p
                .input
                .modes
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            fields: p.input.fields.clone(),
            pipeline: serde_json::from_str(&p.input.pipeline).unwrap_or_default(),
            query_parameters: p.input.query_parameters.clone(),
            max_rows: p.input.max_rows,
            verify_key_field: p.input.verify_key_field.clone(),
            verify_fields: p.input.verify_fields.clone(),
            daily_call_quota: p.input.daily_call_quota,
            rate_per_minute: p.input.rate_per_minute,
            billing_unit: p.input.billing_unit.as_str().to_owned(),
            price_fen: p.input.price_fen,
            price_cap_fen: p.price_cap_fen,
            revision: p.revision,
            updated_at: rfc3339(p.updated_at_ms),
            reference: examples(p),
            withdrawal: p.withdrawn.as_ref().map(|w| WithdrawalView {
                at: rfc3339(w.at_ms),
                reason: w.reason.clone(),
            }),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriceCapRequest {
    /// In fen; null lifts the cap.
    pub price_cap_fen: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryRequest {
    /// Every declared input parameter, by field name.
    pub parameters: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct QueryResult {
    pub fields: Vec<String>,
    /// One object per row; numbers stay numbers.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// More rows matched than one call returns.
    pub truncated: bool,
    /// Cite this wherever the data is used (Art. 15).
    pub citation: String,
}

pub(crate) fn typed(column: &OutputColumn, value: Option<&str>) -> serde_json::Value {
    let Some(value) = value else {
        return serde_json::Value::Null;
    };
    let number = match column.column_type {
        ColumnType::Integer => value.parse::<i64>().ok().map(serde_json::Value::from),
        ColumnType::Decimal => value.parse::<f64>().ok().map(serde_json::Value::from),
        _ => None,
    };
    number.unwrap_or_else(|| serde_json::Value::from(value))
}

/// Rows as JSON objects keyed by column name.
fn objects(
    columns: &[OutputColumn],
    rows: &[Vec<Option<String>>],
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.name.clone(), typed(c, v.as_deref())))
                .collect()
        })
        .collect()
}

impl From<QueryAnswer> for QueryResult {
    fn from(a: QueryAnswer) -> QueryResult {
        QueryResult {
            fields: a.columns.iter().map(|c| c.name.clone()).collect(),
            rows: objects(&a.columns, &a.rows),
            truncated: a.truncated,
            citation: a.citation,
        }
    }
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewQuery {
    /// Rows to show, 1 to 100.
    #[serde(default = "default_preview_rows")]
    pub rows: usize,
}

fn default_preview_rows() -> usize {
    10
}

/// Rows with their field names.
#[derive(Serialize, ToSchema)]
pub(crate) struct SampleView {
    pub fields: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl From<&Sample> for SampleView {
    fn from(s: &Sample) -> SampleView {
        SampleView {
            fields: s.columns.iter().map(|c| c.name.clone()).collect(),
            rows: objects(&s.columns, &s.rows),
        }
    }
}

/// What k-anonymity did, over the whole version.
#[derive(Serialize, ToSchema)]
pub(crate) struct KAnonymityView {
    pub k: u32,
    /// The smallest group left; none when no row is left.
    pub achieved: Option<u64>,
    pub suppressed_rows: u64,
    pub dropped_rows: u64,
    /// Share of quasi-identifier values suppressed or dropped.
    pub information_loss: f64,
}

/// A draft's first rows before and after its pipeline.
#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewView {
    pub before: SampleView,
    pub after: SampleView,
    /// Rows read, put out, rejected by cleaning and dropped as duplicates
    /// to fill the preview.
    pub rows_in: u64,
    pub rows_out: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub k_anonymity: Option<KAnonymityView>,
    /// The product's own keys were used; false: one-off keys, so pseudonyms
    /// and tokens differ from the saved product's.
    pub product_keys: bool,
}

impl From<&Preview> for PreviewView {
    fn from(p: &Preview) -> PreviewView {
        let r = &p.report;
        PreviewView {
            before: (&p.before).into(),
            after: (&p.after).into(),
            rows_in: r.rows_in,
            rows_out: r.rows_out,
            rejected: r.rejected,
            duplicates: r.duplicates,
            k_anonymity: r.k_anonymity.as_ref().map(|k| KAnonymityView {
                k: k.k,
                achieved: k.achieved,
                suppressed_rows: k.suppressed_rows,
                dropped_rows: k.dropped_rows,
                information_loss: k.information_loss,
            }),
            product_keys: p.product_keys,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyRequest {
    /// The field that finds the record, and any fields to compare.
    pub facts: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Verdict {
    pub field: String,
    /// match or no-match.
    pub result: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VerifyResult {
    pub results: Vec<Verdict>,
    pub citation: String,
}

impl From<VerifyAnswer> for VerifyResult {
    fn from(a: VerifyAnswer) -> VerifyResult {
        VerifyResult {
            results: a
                .fields
                .into_iter()
                .map(|(field, verdict)| Verdict {
                    field,
                    result: verdict.as_str().to_owned(),
                })
                .collect(),
            citation: a.citation,
        }
    }
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DownloadQuery {
    /// csv (UTF-8), csv-gb18030, xlsx, json or parquet.
    #[serde(default = "default_format")]
    pub format: String,
}

fn default_format() -> String {
    "csv".into()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuspensionRequest {
    /// platform, resource, provider or user-org.
    pub scope: String,
    /// The resource or organisation id; none for the platform.
    pub target_id: Option<i64>,
    pub findings: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RectificationRequest {
    pub rectification: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SuspensionView {
    pub id: i64,
    pub scope: String,
    pub target_id: Option<i64>,
    pub findings: String,
    pub suspended_at: String,
    pub rectification: Option<String>,
    pub rectified_at: Option<String>,
    pub resumed_at: Option<String>,
    /// Supply stays stopped while open.
    pub open: bool,
}

impl From<&Suspension> for SuspensionView {
    fn from(s: &Suspension) -> SuspensionView {
        SuspensionView {
            id: s.id,
            scope: s.scope.kind.as_str().to_owned(),
            target_id: s.scope.target,
            findings: s.findings.clone(),
            suspended_at: rfc3339(s.suspended_at_ms),
            rectification: s.rectification.clone(),
            rectified_at: s.rectified_at_ms.map(rfc3339),
            resumed_at: s.resumed_at_ms.map(rfc3339),
            open: s.resumed_at_ms.is_none(),
        }
    }
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    /// `YYYY-MM-DD`, China Standard Time.
    pub from: String,
    pub until: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsageView {
    pub product_id: i64,
    pub org_id: i64,
    pub day: String,
    pub calls: i64,
    pub records: i64,
    pub downloads: i64,
    pub amount_fen: i64,
}

impl From<&Usage> for UsageView {
    fn from(u: &Usage) -> UsageView {
        UsageView {
            product_id: u.product_id,
            org_id: u.org_id,
            day: u.day.clone(),
            calls: u.calls,
            records: u.records,
            downloads: u.downloads,
            amount_fen: u.amount_fen,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StatementLineView {
    pub product: String,
    pub name: String,
    pub calls: i64,
    pub records: i64,
    pub downloads: i64,
    pub amount_fen: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct StatementView {
    pub org_id: i64,
    pub month: String,
    pub lines: Vec<StatementLineView>,
    pub total_fen: i64,
}

impl From<Statement> for StatementView {
    fn from(s: Statement) -> StatementView {
        StatementView {
            org_id: s.org_id,
            month: s.month,
            total_fen: s.total_fen,
            lines: s
                .lines
                .into_iter()
                .map(|l| StatementLineView {
                    product: l.product_code,
                    name: l.product_name,
                    calls: l.calls,
                    records: l.records,
                    downloads: l.downloads,
                    amount_fen: l.amount_fen,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PriceView {
    pub product: String,
    pub name: String,
    pub modes: Vec<String>,
    pub billing_unit: String,
    /// What is charged per unit, in fen; government users pay nothing.
    pub price_fen: i64,
    pub price_cap_fen: Option<i64>,
}

impl From<PriceEntry> for PriceView {
    fn from(p: PriceEntry) -> PriceView {
        PriceView {
            product: p.code,
            name: p.name,
            modes: p.modes.iter().map(|m| m.as_str().to_owned()).collect(),
            billing_unit: p.billing_unit.as_str().to_owned(),
            price_fen: p.price_fen,
            price_cap_fen: p.price_cap_fen,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsultingRequest {
    pub subject: String,
    pub question: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageRequest {
    pub body: String,
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliverableQuery {
    /// The deliverable's file name.
    pub file_name: String,
    /// The message that goes with it.
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConsultingMessageView {
    pub id: i64,
    pub author_org_id: i64,
    pub body: String,
    /// The deliverable's name, when the message carries one
    /// (GET /api/v1/consulting/messages/{id}/file).
    pub file_name: Option<String>,
    pub file_bytes: Option<i64>,
    /// SM3 of the deliverable.
    pub file_sm3: Option<String>,
    pub created_at: String,
}

impl From<&ConsultingMessage> for ConsultingMessageView {
    fn from(m: &ConsultingMessage) -> ConsultingMessageView {
        ConsultingMessageView {
            id: m.id,
            author_org_id: m.author_org_id,
            body: m.body.clone(),
            file_name: m.file.as_ref().map(|f| f.file_name.clone()),
            file_bytes: m.file.as_ref().map(|f| f.byte_size),
            file_sm3: m.file.as_ref().map(|f| f.digest.clone()),
            created_at: rfc3339(m.created_at_ms),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConsultingOrderView {
    pub id: i64,
    pub product_id: i64,
    pub user_org_id: i64,
    pub subject: String,
    /// open, answered or closed.
    pub status: String,
    pub agreement_id: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Present on a single order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<ConsultingMessageView>>,
}

impl From<&ConsultingOrder> for ConsultingOrderView {
    fn from(o: &ConsultingOrder) -> ConsultingOrderView {
        ConsultingOrderView {
            id: o.id,
            product_id: o.product_id,
            user_org_id: o.user_org_id,
            subject: o.subject.clone(),
            status: o.status.clone(),
            agreement_id: o.agreement_id,
            created_at: rfc3339(o.created_at_ms),
            updated_at: rfc3339(o.updated_at_ms),
            messages: None,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackRequest {
    /// product, report, paper or application.
    pub kind: String,
    pub title: String,
    /// Where it can be seen.
    pub link: String,
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackFileQuery {
    /// product, report, paper or application.
    pub kind: String,
    pub title: String,
    /// Where it can be seen, if anywhere besides the file.
    #[serde(default)]
    pub link: String,
    /// The file's name (the body is the file).
    pub file_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct FeedbackView {
    pub id: i64,
    pub product_id: i64,
    pub org_id: i64,
    pub kind: String,
    pub title: String,
    /// Empty when the feedback came as a file only.
    pub link: String,
    /// The file filed with it (GET /api/v1/feedback/{id}/file).
    pub file_name: Option<String>,
    pub file_bytes: Option<i64>,
    pub filed_at: String,
}

impl From<&Feedback> for FeedbackView {
    fn from(f: &Feedback) -> FeedbackView {
        FeedbackView {
            id: f.id,
            product_id: f.product_id,
            org_id: f.org_id,
            kind: f.kind.clone(),
            title: f.title.clone(),
            link: f.link.clone(),
            file_name: f.file.as_ref().map(|file| file.file_name.clone()),
            file_bytes: f.file.as_ref().map(|file| file.byte_size),
            filed_at: rfc3339(f.filed_at_ms),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OverdueFeedbackView {
    pub org_id: i64,
    pub product: String,
    pub first_used: String,
    pub due: String,
}

impl From<&OverdueFeedback> for OverdueFeedbackView {
    fn from(o: &OverdueFeedback) -> OverdueFeedbackView {
        OverdueFeedbackView {
            org_id: o.org_id,
            product: o.product_code.clone(),
            first_used: o.first_used.to_string(),
            due: o.due.to_string(),
        }
    }
}
