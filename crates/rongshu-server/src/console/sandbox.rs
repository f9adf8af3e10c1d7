//! Sandbox pages: the caller's workspaces; one workspace with its schema
//! browser, SQL editor, result grid, history and exports; and the output
//! checkers' queue. No script: a statement's page waits for its answer,
//! and its run id can be cancelled from another tab.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rongshu_domain::PartyType;
use rongshu_domain::output::ExportStatus;
use rongshu_formats::Batch;
use rongshu_formats::OutputColumn;
use rongshu_sandbox::{Answer, ExportFailure, Origin, Workspace};
use rongshu_store::{SandboxExport, SandboxReview};
use serde::Deserialize;

use super::sandbox_text as t;
use super::{
    CsrfForm, NoFields, Viewer, after_form, layout, local_time, number, page_with_problem,
    problem_notice,
};
use crate::api::products::caller;
use crate::api::sandbox_types::{SandboxTableView, UploadQuery};
use crate::context::{Path, Query};
use crate::error::ApiError;
use crate::state::AppState;

/// Statements of the history a workspace page shows.
const HISTORY: i64 = 20;

pub(crate) async fn sandbox_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let operator = viewer.who.account().party == PartyType::Operator;
    let workspaces = if operator {
        Vec::new()
    } else {
        state.sandbox().workspaces(&caller(&viewer.who)).await?
    };
    let body = html! {
        p.intro { (t::SANDBOX_INTRO.get(lang)) }
        @if operator {
            p { a href="/sandbox/checks" { (t::CHECKER_QUEUE.get(lang)) } }
        } @else if workspaces.is_empty() {
            p.muted { (t::NO_WORKSPACES.get(lang)) }
        } @else {
            @for w in &workspaces {
                section.card data-workspace=(w.agreement_id) {
                    h2 { a href={ "/sandbox/" (w.agreement_id) } { (t::WORKSPACE.get(lang)) " · " (t::AGREEMENT.get(lang)) " #" (w.agreement_id) } }
                    p { @for table in &w.tables { code { (table.name) } " " } }
                }
            }
        }
    };
    Ok(layout(&viewer, t::SANDBOX, "/sandbox", body))
}

pub(crate) async fn workspace_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Markup, ApiError> {
    workspace(&state, &viewer, id, Shown::default()).await
}

/// What a workspace page shows besides the workspace.
#[derive(Default)]
struct Shown {
    notice: Option<Markup>,
    sql: String,
    answer: Option<Answer>,
}

async fn workspace(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    shown: Shown,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let who = caller(&viewer.who);
    let sandbox = state.sandbox();
    let w = sandbox.workspace(&who, id).await?;
    let history = sandbox.history(&who, id, HISTORY).await?;
    let exports = sandbox.exports(&who, Some(id), None).await?;
    let mut notes = ExportNotes::default();
    for e in &exports {
        if let Ok(status) = e.export.status.parse::<ExportStatus>()
            && status.may_resubmit()
        {
            let query = state.store().sandbox_query(e.export.query_id).await?;
            notes.statements.insert(e.id, query.query.statement);
            notes
                .reviews
                .insert(e.id, state.store().sandbox_reviews(e.id).await?);
        }
    }
    let csrf = viewer.csrf_token();
    let run_id = uuid::Uuid::new_v4().to_string();
    let body = html! {
        @if let Some(notice) = shown.notice { (notice) }
        (schema(lang, &w, csrf))
        section.card #editor {
            h2 { (t::EDITOR.get(lang)) }
            p.muted { (t::EDITOR_HINT.get(lang)) }
            form #statement method="post" action={ "/sandbox/" (id) "/statements" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="run_id" value=(run_id);
                textarea name="sql" rows="6" required spellcheck="false" { (shown.sql) }
                button type="submit" { (t::RUN.get(lang)) }
            }
            form #cancel method="post" action="/sandbox/runs/cancel" target="_blank" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="run_id" value=(run_id);
                p.muted { (t::RUN_ID.get(lang)) "：" code { (run_id) } }
                button type="submit" { (t::CANCEL.get(lang)) }
            }
        }
        @if let Some(answer) = &shown.answer { (result(lang, answer)) }
        section.card #export {
            h2 { (t::EXPORT.get(lang)) }
            p.muted { (t::EXPORT_HINT.get(lang)) }
            form method="post" action={ "/sandbox/" (id) "/exports" } {
                input type="hidden" name="csrf" value=(csrf);
                textarea name="sql" rows="4" required spellcheck="false" { (shown.sql) }
                label { (t::PURPOSE.get(lang)) input name="purpose" required maxlength="200"; }
                button type="submit" { (t::REQUEST.get(lang)) }
            }
        }
        section.card #exports {
            h2 { (t::EXPORTS.get(lang)) }
            (export_list(lang, &exports, false, csrf, &notes))
        }
        section.card #history {
            h2 { (t::HISTORY.get(lang)) }
            @if history.is_empty() {
                p.muted { (t::NO_HISTORY.get(lang)) }
            } @else {
                table {
                    thead { tr { th { "#" } th { (t::STATEMENT.get(lang)) } th { (t::OUTCOME.get(lang)) } th { (t::ROWS.get(lang)) } th { "ms" } th { (t::AT.get(lang)) } } }
                    tbody {
                        @for q in &history {
                            tr data-outcome=(q.query.outcome) {
                                td { (q.id) }
                                td { code { (q.query.statement) } @if let Some(p) = &q.query.problem { br; span.muted { (p) } } }
                                td { (t::outcome(&q.query.outcome).get(lang)) }
                                td { (q.query.row_count) }
                                td { (q.query.elapsed_ms) }
                                td { (local_time(q.created_at_ms)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(viewer, t::SANDBOX, "/sandbox", body))
}

fn schema(lang: super::i18n::Lang, w: &Workspace, csrf: &str) -> Markup {
    let id = w.agreement_id;
    html! {
        section.card #schema {
            h2 { (t::WORKSPACE.get(lang)) " · " (t::AGREEMENT.get(lang)) " #" (id) }
            @for table in &w.tables {
                details open data-table=(table.name) {
                    summary {
                        code { (table.name) } " · " (table.rows) " " (t::ROWS.get(lang)) " · "
                        @match &table.origin {
                            Origin::Product { product, resource, version } => { (t::SOURCE.get(lang)) "：" (product) " / " (resource) " v" (version) }
                            Origin::Upload { file_name } => { (t::UPLOADED.get(lang)) "：" (file_name) }
                            Origin::Query { query_id, derived_from, traced } => {
                                (t::MADE_BY_QUERY.get(lang))
                                @if let Some(q) = query_id { " #" (q) }
                                @if !derived_from.is_empty() { " · " (t::DERIVED_FROM.get(lang)) "：" (derived_from.join(", ")) }
                                @if *traced { " · " (t::TRACED_ROWS.get(lang)) }
                            }
                        }
                    }
                    table.schema {
                        thead { tr { th { (t::FIELD.get(lang)) } th { (t::TYPE.get(lang)) } th { (t::GRADE.get(lang)) } } }
                        tbody {
                            @for (name, column_type, grade) in &table.columns {
                                tr { td { code { (name) } } td { (column_type.as_str()) } td { (grade.clone().unwrap_or_default()) } }
                            }
                        }
                    }
                    @if !matches!(table.origin, Origin::Product { .. }) {
                        form.inline method="post" action={ "/sandbox/" (id) "/tables/" (table.name) "/drop" } {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { (t::DROP.get(lang)) }
                        }
                    }
                }
            }
            h3 { (t::UPLOAD.get(lang)) }
            p.muted { (t::UPLOAD_HINT.get(lang)) }
            form #upload method="post" action={ "/sandbox/" (id) "/tables" } data-csrf=(csrf) {
                label { (t::TABLE_NAME.get(lang)) input name="name" required maxlength="63"; }
                label { (t::FILE.get(lang)) input type="file" name="file" required accept=".csv,.txt,.tsv,.xlsx,.json,.ndjson,.jsonl,.parquet"; }
                button type="submit" { (t::UPLOAD.get(lang)) }
                progress max="100" hidden {}
                p role="status" aria-live="polite" {}
            }
            script src="/assets/deliver.js" {}
        }
    }
}

fn grid(columns: &[OutputColumn], batches: &[Batch]) -> Markup {
    html! {
        div.scroll {
            table.grid {
                thead { tr { @for c in columns { th { (c.name) } } } }
                tbody {
                    @for batch in batches {
                        @for r in 0..batch.rows {
                            tr { @for values in &batch.columns { td { (values[r].as_deref().unwrap_or("")) } } }
                        }
                    }
                }
            }
        }
    }
}

fn result(lang: super::i18n::Lang, answer: &Answer) -> Markup {
    html! {
        section.card #result data-rows=(answer.row_count) {
            h2 { (t::RESULT.get(lang)) }
            p {
                (answer.row_count) " " (t::RESULT_SUMMARY.get(lang)) (answer.elapsed_ms)
                @if !answer.tables_read.is_empty() { " · " (t::READ.get(lang)) "：" (answer.tables_read.join(", ")) }
            }
            @if answer.truncated { p.notice { (t::TRUNCATED.get(lang)) } }
            @if let Some(table) = &answer.made_table { p { (t::MADE_TABLE.get(lang)) code { (table) } } }
            (grid(&answer.columns, &answer.rows))
        }
    }
}

/// What an export list shows beside the exports themselves.
#[derive(Default)]
struct ExportNotes {
    /// The statements of exports their author may resubmit, by export.
    statements: HashMap<i64, String>,
    /// Checkers' reviews, by export: of exports sent back (for their
    /// author) and of those resubmitted ones replace (for the checkers).
    reviews: HashMap<i64, Vec<SandboxReview>>,
}

fn reviews(lang: super::i18n::Lang, reviews: Option<&Vec<SandboxReview>>) -> Markup {
    html! {
        @if let Some(reviews) = reviews.filter(|r| !r.is_empty()) {
            ul.reviews {
                @for r in reviews {
                    li { (t::decision(&r.decision).get(lang)) @if !r.comment.is_empty() { "：" (r.comment) } }
                }
            }
        }
    }
}

fn export_list(
    lang: super::i18n::Lang,
    exports: &[SandboxExport],
    reviewing: bool,
    csrf: &str,
    notes: &ExportNotes,
) -> Markup {
    html! {
        @if exports.is_empty() {
            p.muted { (if reviewing { t::NO_QUEUE } else { t::NO_EXPORTS }.get(lang)) }
        }
        @for e in exports {
            article.export data-export=(e.id) data-status=(e.export.status) {
                h3 { "#" (e.id) " · " (e.export.purpose) }
                p { (t::STATUS.get(lang)) "：" (t::export_status(&e.export.status).get(lang)) " · " (e.export.row_count) " " (t::ROWS.get(lang)) " · " (local_time(e.updated_at_ms)) }
                (checks(lang, &e.export.checks))
                @if let Some(earlier) = e.export.resubmits {
                    p.resubmits { (t::RESUBMITS.get(lang)) " #" (earlier) }
                    @if reviewing { (reviews(lang, notes.reviews.get(&earlier))) }
                }
                @if let Some((base, columns)) = &e.export.rounded {
                    p.rounded { (t::ROUNDED.get(lang)) " " (base) "：" (columns.join(", ")) }
                }
                details {
                    summary { (t::LINEAGE.get(lang)) }
                    ul { @for line in e.export.lineage.lines() { li { (line) } } }
                }
                @if !reviewing && e.export.status == ExportStatus::Approved.as_str() {
                    p { a.download href={ "/sandbox/exports/" (e.id) "/release" } { (t::DOWNLOAD.get(lang)) } }
                }
                @if let (false, Some(sql)) = (reviewing, notes.statements.get(&e.id)) {
                    (reviews(lang, notes.reviews.get(&e.id)))
                    details.resubmit {
                        summary { (t::RESUBMIT.get(lang)) }
                        form method="post" action={ "/sandbox/" (e.export.agreement_id) "/exports" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="resubmits" value=(e.id);
                            textarea name="sql" rows="4" required spellcheck="false" { (sql) }
                            label { (t::PURPOSE.get(lang)) input name="purpose" required maxlength="200" value=(e.export.purpose); }
                            button type="submit" { (t::REQUEST.get(lang)) }
                        }
                    }
                }
                @if reviewing {
                    form.review method="post" action={ "/sandbox/exports/" (e.id) "/reviews" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label { (t::DECISION.get(lang))
                            select name="decision" {
                                @for d in ["approve", "reject", "approve-subject-to-changes"] {
                                    option value=(d) { (t::decision(d).get(lang)) }
                                }
                            }
                        }
                        label { (t::COMMENT.get(lang)) input name="comment" maxlength="500"; }
                        button type="submit" { (t::SUBMIT.get(lang)) }
                    }
                }
            }
        }
    }
}

fn checks(lang: super::i18n::Lang, encoded: &str) -> Markup {
    let failures = ExportFailure::decode(encoded);
    html! {
        p.checks {
            (t::CHECKS.get(lang)) "："
            @if failures.is_empty() {
                span.passed { (t::PASSED.get(lang)) }
            }
            @for f in &failures {
                span.failed data-check=(f.code) {
                    (t::check(&f.code).get(lang))
                    @if let Some(column) = &f.column { " (" (column) ")" }
                    @if !f.rows.is_empty() { " · " (f.rows.len()) " " (t::ROWS.get(lang)) }
                }
                " "
            }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct StatementForm {
    sql: String,
    run_id: String,
}

pub(crate) async fn run_statement(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<StatementForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let ran = state
        .sandbox()
        .run(
            &caller(who),
            &who.ctx,
            id,
            &f.form.sql,
            Some(&f.form.run_id),
        )
        .await;
    let sql = f.form.sql.clone();
    match ran {
        Ok(answer) => {
            let shown = Shown {
                sql,
                answer: Some(answer),
                ..Shown::default()
            };
            Ok(workspace(&state, &f.viewer, id, shown)
                .await?
                .into_response())
        }
        Err(e) => {
            let e = ApiError::from(e);
            let notice = html! {
                (problem_notice(f.viewer.lang, &e))
                p.problem { (t::PROBLEM.get(f.viewer.lang)) "：" (e.to_string()) }
            };
            let shown = Shown {
                notice: Some(notice),
                sql,
                answer: None,
            };
            let page = workspace(&state, &f.viewer, id, shown).await?;
            Ok(page_with_problem(e.status(), e.code(), page))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CancelForm {
    run_id: String,
}

pub(crate) async fn cancel_run(
    State(state): State<AppState>,
    f: CsrfForm<CancelForm>,
) -> Result<Markup, ApiError> {
    let lang = f.viewer.lang;
    let cancelled = state
        .sandbox()
        .cancel(&caller(&f.viewer.who), &f.form.run_id);
    let body = html! {
        p.notice { (if cancelled { t::CANCELLED } else { t::NOTHING_RUNNING }.get(lang)) }
    };
    Ok(layout(&f.viewer, t::SANDBOX, "/sandbox", body))
}

#[derive(Deserialize)]
pub(crate) struct ExportForm {
    sql: String,
    purpose: String,
    /// Set by the resubmit form of an export sent back (text: the form
    /// is read through a flattened struct, which keeps numbers as text).
    #[serde(default)]
    resubmits: Option<String>,
}

pub(crate) async fn request_export(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<ExportForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let resubmits = match f.form.resubmits.as_deref() {
        Some(text) => Some(number("resubmits", text)?),
        None => None,
    };
    let done = state
        .sandbox()
        .request_export(
            &caller(who),
            &who.ctx,
            id,
            &f.form.sql,
            &f.form.purpose,
            resubmits,
        )
        .await;
    let shown_sql = f.form.sql.clone();
    after_form(
        &f.viewer,
        done,
        &format!("/sandbox/{id}#exports"),
        async |notice| {
            let shown = Shown {
                notice: Some(notice),
                sql: shown_sql,
                answer: None,
            };
            workspace(&state, &f.viewer, id, shown).await
        },
    )
    .await
}

/// The upload: the body is the file; the session's CSRF token comes in a
/// header (the page's script sends it).
pub(crate) async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    viewer.check_csrf_header(&headers)?;
    let table = crate::api::sandbox::upload_table(&state, &viewer.who, id, q, body).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SandboxTableView::from(&table)),
    )
        .into_response())
}

pub(crate) async fn drop_table(
    State(state): State<AppState>,
    Path((id, name)): Path<(i64, String)>,
    f: CsrfForm<NoFields>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = state
        .sandbox()
        .drop_table(&caller(who), &who.ctx, id, &name)
        .await;
    after_form(
        &f.viewer,
        done,
        &format!("/sandbox/{id}#schema"),
        async |notice| {
            let shown = Shown {
                notice: Some(notice),
                ..Shown::default()
            };
            workspace(&state, &f.viewer, id, shown).await
        },
    )
    .await
}

pub(crate) async fn release(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let release = state
        .sandbox()
        .release(&caller(&viewer.who), &viewer.who.ctx, id)
        .await?;
    Ok(crate::api::attachment(&release.file_name, release.bytes))
}

pub(crate) async fn checks_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Markup, ApiError> {
    checker_queue(&state, &viewer, None).await
}

async fn checker_queue(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Markup>,
) -> Result<Markup, ApiError> {
    let lang = viewer.lang;
    let who = caller(&viewer.who);
    let queue = state
        .sandbox()
        .exports(&who, None, Some(ExportStatus::AwaitingReview))
        .await?;
    let mut results = Vec::with_capacity(queue.len());
    let mut notes = ExportNotes::default();
    for e in &queue {
        let (_, columns, batch) = state.sandbox().export_result(&who, e.id).await?;
        results.push(grid(&columns, &[batch]));
        if let Some(earlier) = e.export.resubmits {
            notes
                .reviews
                .insert(earlier, state.store().sandbox_reviews(earlier).await?);
        }
    }
    let body = html! {
        @if let Some(notice) = notice { (notice) }
        p.intro { (t::CHECKER_INTRO.get(lang)) }
        @for (e, shown) in queue.iter().zip(&results) {
            section.card {
                (export_list(lang, std::slice::from_ref(e), true, viewer.csrf_token(), &notes))
                (shown)
            }
        }
        @if queue.is_empty() { p.muted { (t::NO_QUEUE.get(lang)) } }
    };
    Ok(layout(viewer, t::CHECKER_QUEUE, "/sandbox", body))
}

#[derive(Deserialize)]
pub(crate) struct ReviewForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    f: CsrfForm<ReviewForm>,
) -> Result<Response, ApiError> {
    let who = &f.viewer.who;
    let done = match f.form.decision.parse() {
        Ok(decision) => state
            .sandbox()
            .review(&caller(who), &who.ctx, id, decision, &f.form.comment)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    after_form(&f.viewer, done, "/sandbox/checks", async |notice| {
        checker_queue(&state, &f.viewer, Some(notice)).await
    })
    .await
}
