//! The sandbox: workspaces, statements, history, exports, the checkers'
//! reviews and releases. Each handler is one call into `rongshu_sandbox`.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use futures::TryStreamExt;
use rongshu_domain::output::ExportStatus;
use rongshu_sandbox::{Upload, WorkspaceTable};
use tokio_util::io::StreamReader;

use super::products::caller;
use super::sandbox_types::*;
use crate::context::{Json, Path, Query, SignedIn};
use crate::error::ApiError;
use crate::state::AppState;

/// Rows of history a workspace shows.
const HISTORY: i64 = 200;

pub(crate) async fn workspaces(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<WorkspaceView>>, ApiError> {
    let workspaces = state.sandbox().workspaces(&caller(&who)).await?;
    Ok(Json(workspaces.iter().map(WorkspaceView::from).collect()))
}

pub(crate) async fn run(
    State(state): State<AppState>,
    who: SignedIn,
    Path(agreement_id): Path<i64>,
    Json(req): Json<StatementRequest>,
) -> Result<Json<AnswerView>, ApiError> {
    let answer = state
        .sandbox()
        .run(
            &caller(&who),
            &who.ctx,
            agreement_id,
            &req.sql,
            req.run_id.as_deref(),
        )
        .await?;
    Ok(Json((&answer).into()))
}

pub(crate) async fn cancel(
    State(state): State<AppState>,
    who: SignedIn,
    Path(run_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.sandbox().cancel(&caller(&who), &run_id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound {
            what: "running statement",
            id: run_id,
        })
    }
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    who: SignedIn,
    Path(agreement_id): Path<i64>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<SandboxTableView>), ApiError> {
    let table = upload_table(&state, &who, agreement_id, q, body).await?;
    Ok((StatusCode::CREATED, Json((&table).into())))
}

/// Streams an upload's body into a table of the workspace (the sandbox
/// holds it to the configured size).
pub(crate) async fn upload_table(
    state: &AppState,
    who: &SignedIn,
    agreement_id: i64,
    q: UploadQuery,
    body: Body,
) -> Result<WorkspaceTable, ApiError> {
    let upload = Upload {
        name: q.name,
        file_name: q.file_name,
    };
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    Ok(state
        .sandbox()
        .upload(
            &caller(who),
            &who.ctx,
            agreement_id,
            upload,
            StreamReader::new(Box::pin(stream)),
        )
        .await?)
}

pub(crate) async fn drop_table(
    State(state): State<AppState>,
    who: SignedIn,
    Path((agreement_id, name)): Path<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .sandbox()
        .drop_table(&caller(&who), &who.ctx, agreement_id, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn history(
    State(state): State<AppState>,
    who: SignedIn,
    Path(agreement_id): Path<i64>,
) -> Result<Json<Vec<HistoryEntryView>>, ApiError> {
    let history = state
        .sandbox()
        .history(&caller(&who), agreement_id, HISTORY)
        .await?;
    Ok(Json(history.iter().map(HistoryEntryView::from).collect()))
}

pub(crate) async fn request_export(
    State(state): State<AppState>,
    who: SignedIn,
    Path(agreement_id): Path<i64>,
    Json(req): Json<ExportRequest>,
) -> Result<(StatusCode, Json<ExportView>), ApiError> {
    let export = state
        .sandbox()
        .request_export(
            &caller(&who),
            &who.ctx,
            agreement_id,
            &req.sql,
            &req.purpose,
            req.resubmits,
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&export).into())))
}

pub(crate) async fn exports(
    State(state): State<AppState>,
    who: SignedIn,
    Query(q): Query<ExportsQuery>,
) -> Result<Json<Vec<ExportView>>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(str::parse::<ExportStatus>)
        .transpose()?;
    let exports = state
        .sandbox()
        .exports(&caller(&who), q.agreement_id, status)
        .await?;
    Ok(Json(exports.iter().map(ExportView::from).collect()))
}

pub(crate) async fn review(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<OutputReviewRequest>,
) -> Result<Json<ExportView>, ApiError> {
    let sandbox = state.sandbox();
    sandbox
        .review(&caller(&who), &who.ctx, id, req.decision()?, &req.comment)
        .await?;
    let export = state.store().sandbox_export(id).await?;
    Ok(Json((&export).into()))
}

pub(crate) async fn release(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let release = state.sandbox().release(&caller(&who), &who.ctx, id).await?;
    Ok(super::attachment(&release.file_name, release.bytes))
}
