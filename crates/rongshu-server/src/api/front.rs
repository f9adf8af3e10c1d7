//! The front system (前置系统, Art. 8): deliveries pushed by providers and
//! the Big Data Center's sharing platform, on their own listener.

use std::collections::BTreeMap;
use std::io;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use futures::TryStreamExt;
use rongshu_delivery::DeliveryRequest;
use rongshu_domain::Actor;
use rongshu_domain::resource::DeliveryChannel;
use rongshu_ingest::{FieldType, Format, TextEncoding};
use rongshu_store::{NewPullSource, ResourceFilter};

use super::resources::resource_for;
use tokio_util::io::StreamReader;

use super::resource_types::{
    DeliveryQuery, DeliveryReceipt, IngestView, PullRequest, PullView, ResourceView, VersionView,
};
use crate::context::{Json, Path, Query, SignedIn};
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// Reads the query's reading instructions.
pub(crate) fn reading(q: &DeliveryQuery) -> Result<DeliveryRequest, ApiError> {
    let name = q.file_name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.contains(['/', '\\']) {
        return Err(ApiError::invalid(
            "file_name",
            "must be a plain file name of 1 to 255 characters",
        ));
    }
    let format = q
        .format
        .as_deref()
        .filter(|f| !f.is_empty())
        .map(str::parse::<Format>)
        .transpose()
        .map_err(|_| ApiError::invalid("format", "must be csv, xlsx, json, ndjson or parquet"))?;
    let encoding = q
        .encoding
        .as_deref()
        .filter(|e| !e.is_empty())
        .map(str::parse::<TextEncoding>)
        .transpose()
        .map_err(|_| ApiError::invalid("encoding", "must be utf-8 or gb18030 (gbk, gb2312)"))?;
    let delimiter = match q.delimiter.as_deref() {
        None | Some("") => None,
        Some("tab" | "\\t" | "\t") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
        Some(_) => {
            return Err(ApiError::invalid(
                "delimiter",
                "must be one ASCII character or tab",
            ));
        }
    };
    let mut field_types = BTreeMap::new();
    for pair in q
        .types
        .iter()
        .flat_map(|t| t.split(','))
        .filter(|p| !p.trim().is_empty())
    {
        let (name, kind) = pair.rsplit_once(':').ok_or_else(|| {
            ApiError::invalid("types", "must be name:type pairs separated by commas")
        })?;
        let kind: FieldType = kind.trim().parse().map_err(|_| {
            ApiError::invalid(
                "types",
                "types are text, integer, decimal, boolean, date or timestamp",
            )
        })?;
        field_types.insert(name.trim().to_owned(), kind);
    }
    Ok(DeliveryRequest {
        resource_id: 0,
        channel: DeliveryChannel::FrontPush,
        file_name: name.to_owned(),
        format,
        encoding,
        delimiter,
        sheet: q.sheet.clone().filter(|s| !s.is_empty()),
        field_types,
        bytes_total: None,
        delivered_by: None,
    })
}

/// Streams a request body into a delivery, refusing more than `limit` bytes.
pub(crate) async fn deliver_body(
    state: &AppState,
    who: &SignedIn,
    code: &str,
    mut request: DeliveryRequest,
    headers: &HeaderMap,
    body: Body,
) -> Result<DeliveryReceipt, ApiError> {
    let resource = resource_for(state, who, code, Actor::may_deliver_to).await?;
    let limit = state.settings().delivery_limit_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge);
    }
    request.resource_id = resource.id;
    request.bytes_total = declared;
    request.delivered_by = Some(who.account().id);
    let mut seen = 0u64;
    let stream = body
        .into_data_stream()
        .map_err(io::Error::other)
        .and_then(move |chunk| {
            seen += chunk.len() as u64;
            let over = seen > limit;
            async move {
                if over {
                    Err(io::Error::other(
                        "the delivery is larger than ingest.max_upload_mb allows",
                    ))
                } else {
                    Ok(chunk)
                }
            }
        });
    let delivered = state
        .deliveries()
        .deliver(request, &who.ctx, StreamReader::new(Box::pin(stream)))
        .await?;
    Ok(receipt(&resource.code, &delivered))
}

fn receipt(resource: &str, delivered: &rongshu_delivery::Delivered) -> DeliveryReceipt {
    DeliveryReceipt {
        resource: resource.to_owned(),
        ingest: IngestView::from(&delivered.ingest),
        bad_rows: delivered.report.bad_rows,
        version: VersionView::of(&delivered.version, None),
    }
}

pub(crate) async fn push(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Query(q): Query<DeliveryQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<DeliveryReceipt>), ApiError> {
    let request = reading(&q)?;
    let receipt = deliver_body(&state, &who, &code, request, &headers, body).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// The resources this credential may deliver to.
pub(crate) async fn resources(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<ResourceView>>, ApiError> {
    let actor = who.account().actor();
    let all = state.store().resources(&ResourceFilter::default()).await?;
    let now = now_ms();
    Ok(Json(
        all.iter()
            .filter(|r| actor.may_deliver_to(r.provider_id))
            .map(|r| ResourceView::of(r, now))
            .collect(),
    ))
}

pub(crate) async fn ingest(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<IngestView>, ApiError> {
    let (ingest, _) = super::resources::inspectable_ingest(&state, &who, id).await?;
    Ok(Json(IngestView::from(&ingest)))
}

fn checked_pull(resource_id: i64, body: &PullRequest) -> Result<NewPullSource, ApiError> {
    let location = body.location.trim();
    match body.kind.as_str() {
        "http" if location.starts_with("http://") || location.starts_with("https://") => {}
        "postgres"
            if (location.starts_with("postgres://") || location.starts_with("postgresql://"))
                && rongshu_delivery::plain_table_name(body.table.trim()) => {}
        "http" | "postgres" => {
            return Err(ApiError::invalid(
                "location",
                "http pulls need an http(s):// URL; postgres pulls a postgres:// URL and a plain table name",
            ));
        }
        _ => return Err(ApiError::invalid("kind", "must be http or postgres")),
    }
    if !body.format.is_empty() && body.format.parse::<Format>().is_err() {
        return Err(ApiError::invalid(
            "format",
            "must be csv, xlsx, json, ndjson or parquet",
        ));
    }
    if !(1..=44_640).contains(&body.interval_minutes) {
        return Err(ApiError::invalid(
            "interval_minutes",
            "must be between 1 and 44640 (31 days)",
        ));
    }
    Ok(NewPullSource {
        resource_id,
        kind: body.kind.clone(),
        location: location.to_owned(),
        table_name: body.table.trim().to_owned(),
        format: body.format.clone(),
        interval_secs: body.interval_minutes * 60,
        created_by: None,
    })
}

pub(crate) async fn create_pull(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(body): Json<PullRequest>,
) -> Result<(StatusCode, Json<PullView>), ApiError> {
    let resource = resource_for(&state, &who, &code, Actor::may_deliver_to).await?;
    let new = NewPullSource {
        created_by: Some(who.account().id),
        ..checked_pull(resource.id, &body)?
    };
    let mut tx = state.store().begin_aside().await?;
    let id = tx.insert_pull_source(&new, now_ms()).await?;
    tx.append(
        who.ctx
            .entry("pull.create", "pull_source", Some(id.to_string())),
    )
    .await?;
    crate::auth::commit(&state, tx).await?;
    let source = state.store().pull_source(id).await?;
    Ok((StatusCode::CREATED, Json(PullView::from(&source))))
}

/// A pull source the caller may manage.
async fn own_pull(
    state: &AppState,
    who: &SignedIn,
    id: i64,
) -> Result<rongshu_store::PullSource, ApiError> {
    let source = state.store().pull_source(id).await?;
    let resource = state.store().resource(source.resource_id).await?;
    if who.account().actor().may_deliver_to(resource.provider_id) {
        Ok(source)
    } else {
        Err(ApiError::OtherOrganization)
    }
}

pub(crate) async fn pulls(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<PullView>>, ApiError> {
    let actor = who.account().actor();
    let mut views = Vec::new();
    for source in state.store().pull_sources().await? {
        let resource = state.store().resource(source.resource_id).await?;
        if actor.may_deliver_to(resource.provider_id) {
            views.push(PullView::from(&source));
        }
    }
    Ok(Json(views))
}

pub(crate) async fn delete_pull(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    own_pull(&state, &who, id).await?;
    let mut tx = state.store().begin_aside().await?;
    tx.disable_pull_source(id).await?;
    tx.append(
        who.ctx
            .entry("pull.delete", "pull_source", Some(id.to_string())),
    )
    .await?;
    crate::auth::commit(&state, tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a pull now, outside its schedule.
pub(crate) async fn run_pull(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<DeliveryReceipt>), ApiError> {
    let source = own_pull(&state, &who, id).await?;
    let resource = state.store().resource(source.resource_id).await?;
    let outcome = state.deliveries().pull(&source, &who.ctx).await;
    let status = match &outcome {
        Ok(d) => format!("delivered version {}", d.version.number),
        Err(e) => format!("failed: {e}"),
    };
    state
        .store()
        .record_pull_result(id, &status, outcome.as_ref().ok().map(|d| d.ingest.id))
        .await?;
    let delivered = outcome?;
    Ok((
        StatusCode::CREATED,
        Json(receipt(&resource.code, &delivered)),
    ))
}
