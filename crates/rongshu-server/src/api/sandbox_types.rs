//! Wire types of the sandbox: workspaces, statements and their answers,
//! the history, exports and reviews.

use rongshu_domain::output::ReviewDecision;
use rongshu_sandbox::{Answer, ExportFailure, Origin, Workspace, WorkspaceTable};
use rongshu_store::{SandboxExport, SandboxQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::product_types::typed;
use super::types::rfc3339;

#[derive(Serialize, ToSchema)]
pub(crate) struct SandboxColumnView {
    pub name: String,
    /// text, integer, decimal, boolean, date or timestamp.
    #[serde(rename = "type")]
    pub column_type: &'static str,
    /// The resource field's sensitivity grade (where the column keeps a field's
    /// name), or the identifier kind found in an uploaded field.
    pub grade: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SandboxTableView {
    /// The name to use in SQL.
    pub name: String,
    /// product, upload or query.
    pub origin: &'static str,
    /// The product it reads (origin product), its resource and version.
    pub product: Option<String>,
    pub resource: Option<String>,
    pub version: Option<i64>,
    /// The uploaded file (origin upload).
    pub file_name: Option<String>,
    /// The statement that made it (origin query).
    pub query_id: Option<i64>,
    /// The products its rows were computed from (origin query): while one
    /// is refused to the workspace, so is the table.
    pub derived_from: Vec<String>,
    /// Whether its rows keep the records behind them (origin query, made
    /// from an aggregation): releasing them is checked as that aggregation;
    /// otherwise each row counts as one record.
    pub traced: Option<bool>,
    pub rows: usize,
    pub columns: Vec<SandboxColumnView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WorkspaceView {
    /// The data use agreement the workspace belongs to.
    pub agreement_id: i64,
    pub tables: Vec<SandboxTableView>,
}

impl From<&Workspace> for WorkspaceView {
    fn from(w: &Workspace) -> WorkspaceView {
        WorkspaceView {
            agreement_id: w.agreement_id,
            tables: w.tables.iter().map(SandboxTableView::from).collect(),
        }
    }
}

impl From<&WorkspaceTable> for SandboxTableView {
    fn from(t: &WorkspaceTable) -> SandboxTableView {
        let mut view = SandboxTableView {
            name: t.name.clone(),
            origin: "product",
            product: None,
            resource: None,
            version: None,
            file_name: None,
            query_id: None,
            derived_from: Vec::new(),
            traced: None,
            rows: t.rows,
            columns: t
                .columns
                .iter()
                .map(|(name, column_type, grade)| SandboxColumnView {
                    name: name.clone(),
                    column_type: column_type.as_str(),
                    grade: grade.clone(),
                })
                .collect(),
        };
        match &t.origin {
            Origin::Product {
                product,
                resource,
                version,
            } => {
                view.product = Some(product.clone());
                view.resource = Some(resource.clone());
                view.version = Some(*version);
            }
            Origin::Upload { file_name } => {
                view.origin = "upload";
                view.file_name = Some(file_name.clone());
            }
            Origin::Query {
                query_id,
                derived_from,
                traced,
            } => {
                view.origin = "query";
                view.query_id = *query_id;
                view.derived_from = derived_from.clone();
                view.traced = Some(*traced);
            }
        }
        view
    }
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadQuery {
    /// The table's name in SQL: lower-case letters, digits and _.
    pub name: String,
    /// The file's name; its extension (csv, xlsx, json, ndjson, parquet) says its format.
    pub file_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatementRequest {
    /// One SELECT, or CREATE TABLE name AS SELECT.
    pub sql: String,
    /// An id of the client's choosing, to cancel the statement while it runs.
    #[serde(default)]
    pub run_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AnswerView {
    /// The statement's entry in the workspace's history.
    pub query_id: i64,
    pub columns: Vec<SandboxColumnView>,
    /// Rows as arrays in column order; numbers stay numbers.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    pub row_count: usize,
    /// The result had more rows than a statement returns.
    pub truncated: bool,
    pub elapsed_ms: i64,
    pub tables_read: Vec<String>,
    /// The table a CREATE TABLE … AS made.
    pub made_table: Option<String>,
}

impl From<&Answer> for AnswerView {
    fn from(a: &Answer) -> AnswerView {
        let mut rows = Vec::with_capacity(a.row_count);
        for batch in &a.rows {
            for r in 0..batch.rows {
                rows.push(
                    a.columns
                        .iter()
                        .zip(&batch.columns)
                        .map(|(c, values)| typed(c, values[r].as_deref()))
                        .collect(),
                );
            }
        }
        AnswerView {
            query_id: a.query_id,
            columns: a
                .columns
                .iter()
                .map(|c| SandboxColumnView {
                    name: c.name.clone(),
                    column_type: c.column_type.as_str(),
                    grade: None,
                })
                .collect(),
            rows,
            row_count: a.row_count,
            truncated: a.truncated,
            elapsed_ms: a.elapsed_ms,
            tables_read: a.tables_read.clone(),
            made_table: a.made_table.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryEntryView {
    pub id: i64,
    pub statement: String,
    /// done, failed, refused, cancelled, time-limit or memory-limit.
    pub outcome: String,
    pub problem: Option<String>,
    pub tables_read: Vec<String>,
    pub row_count: i64,
    pub truncated: bool,
    pub elapsed_ms: i64,
    pub account_id: Option<i64>,
    pub at: String,
}

impl From<&SandboxQuery> for HistoryEntryView {
    fn from(q: &SandboxQuery) -> HistoryEntryView {
        HistoryEntryView {
            id: q.id,
            statement: q.query.statement.clone(),
            outcome: q.query.outcome.clone(),
            problem: q.query.problem.clone(),
            tables_read: q.query.tables_read.clone(),
            row_count: q.query.row_count,
            truncated: q.query.truncated,
            elapsed_ms: q.query.elapsed_ms,
            account_id: q.query.account_id,
            at: rfc3339(q.created_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportRequest {
    /// The query whose result should leave the sandbox.
    pub sql: String,
    /// What the result is for (a paper's table, a report).
    pub purpose: String,
    /// An export of the workspace sent back for changes (or failed by the
    /// checks) that this one is filed in place of.
    #[serde(default)]
    pub resubmits: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CheckFailureView {
    /// small-cell, zero, dominance, direct-identifier, row-cap, untraceable,
    /// small-complement, unrounded-count, small-difference, small-split,
    /// dropped-cell, earlier-release or uncompared-release (their column
    /// names the export), weak-suppression or exact-mean.
    pub code: String,
    pub column: Option<String>,
    /// Rows of the result (from 0) that failed.
    pub rows: Vec<usize>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ExportView {
    pub id: i64,
    pub agreement_id: i64,
    pub org_id: i64,
    pub author_id: i64,
    pub query_id: i64,
    pub purpose: String,
    /// failed-checks, awaiting-review, changes-requested, approved, rejected or resubmitted.
    pub status: String,
    /// The automatic checks that failed; empty when all passed.
    pub checks: Vec<CheckFailureView>,
    /// Citation, product, resource version, authorization and agreement of each source.
    pub lineage: Vec<String>,
    pub rows: i64,
    /// The multiple released counts were rounded to, when they were.
    pub rounded_to: Option<u64>,
    /// The columns whose counts were rounded.
    pub rounded_columns: Vec<String>,
    /// The export this one was filed in place of.
    pub resubmits: Option<i64>,
    /// SM3 of the sealed result.
    pub result_sm3: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&SandboxExport> for ExportView {
    fn from(e: &SandboxExport) -> ExportView {
        let x = &e.export;
        ExportView {
            id: e.id,
            agreement_id: x.agreement_id,
            org_id: x.org_id,
            author_id: x.author_id,
            query_id: x.query_id,
            purpose: x.purpose.clone(),
            status: x.status.clone(),
            checks: ExportFailure::decode(&x.checks)
                .into_iter()
                .map(|f| CheckFailureView {
                    code: f.code,
                    column: f.column,
                    rows: f.rows,
                })
                .collect(),
            lineage: x.lineage.lines().map(str::to_owned).collect(),
            rows: x.row_count,
            rounded_to: x.rounded.as_ref().map(|(base, _)| *base),
            rounded_columns: x.rounded.clone().map(|(_, c)| c).unwrap_or_default(),
            resubmits: x.resubmits,
            result_sm3: x.result.digest.clone(),
            created_at: rfc3339(e.created_at_ms),
            updated_at: rfc3339(e.updated_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutputReviewRequest {
    /// approve, reject or approve-subject-to-changes.
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

impl OutputReviewRequest {
    pub(crate) fn decision(&self) -> Result<ReviewDecision, rongshu_domain::UnknownName> {
        self.decision.parse()
    }
}

#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportsQuery {
    /// Only exports of this workspace (data use agreement).
    pub agreement_id: Option<i64>,
    /// Only exports in this status, e.g. awaiting-review for the checkers' queue.
    pub status: Option<String>,
}
