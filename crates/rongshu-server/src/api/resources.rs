//! Data resources: the catalogue, descriptions, registration, grading,
//! versions and ingest reports.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rongshu_classify::{Grade, IdentifierKind};
use rongshu_domain::Actor;
use rongshu_domain::resource::{RegistrationAction, SchemaDiff};
use rongshu_store::{Registration, Resource, ResourceFilter};

use super::resource_types::{
    CatalogueQuery, CompareQuery, CreateResourceRequest, FieldView, GradingRequest, IngestView,
    RegistrationFields, RegistrationRequest, ResourceRequest, ResourceView, ThemeView,
    VersionComparison, VersionView,
};
use crate::context::{Json, Path, Query, RequestContext, SignedIn};
use crate::error::ApiError;
use crate::resources::{self, DescriptionInput, FieldDecision};
use crate::state::{AppState, now_ms};

impl From<&ResourceRequest> for DescriptionInput {
    fn from(r: &ResourceRequest) -> Self {
        DescriptionInput {
            title: r.title.clone(),
            description: r.description.clone(),
            theme: r.theme.clone(),
            update_frequency: r.update_frequency.clone(),
            open_data: r.open_data,
            service_modes: r.service_modes.clone(),
        }
    }
}

impl From<&RegistrationFields> for Registration {
    fn from(f: &RegistrationFields) -> Self {
        Registration {
            status: None,
            code: f.registration_code.clone().filter(|c| !c.trim().is_empty()),
            data_type: f.data_type.trim().to_owned(),
            data_format: f.data_format.trim().to_owned(),
            storage: f.storage.trim().to_owned(),
            documentation: f.documentation.trim().to_owned(),
        }
    }
}

pub(crate) async fn themes(State(state): State<AppState>) -> Json<Vec<ThemeView>> {
    Json(
        state
            .settings()
            .themes
            .iter()
            .cloned()
            .map(|t| ThemeView {
                code: t.code,
                name_zh: t.name_zh,
                name_en: t.name_en,
            })
            .collect(),
    )
}

/// The filter a catalogue query asks for; callers who are not signed in see
/// open resources only.
pub(crate) fn catalogue_filter(
    q: &CatalogueQuery,
    signed_in: bool,
) -> Result<ResourceFilter, ApiError> {
    Ok(ResourceFilter {
        provider_id: q.provider,
        open_only: !signed_in || q.open == Some(true),
        text: q.q.clone().filter(|t| !t.trim().is_empty()),
        theme: q.theme.clone().filter(|t| !t.is_empty()),
        grade: q
            .grade
            .as_deref()
            .filter(|g| !g.is_empty())
            .map(str::parse::<Grade>)
            .transpose()
            .map_err(|_| {
                ApiError::invalid("grade", "must be general-1 … general-4, important or core")
            })?,
        limit: Some(q.limit.unwrap_or(100).min(1000)),
        offset: q.offset.unwrap_or(0),
    })
}

pub(crate) async fn catalogue(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<CatalogueQuery>,
) -> Result<Json<Vec<ResourceView>>, ApiError> {
    let filter = catalogue_filter(&q, ctx.principal.is_some())?;
    let now = now_ms();
    let found = state.store().resources(&filter).await?;
    Ok(Json(
        found.iter().map(|r| ResourceView::of(r, now)).collect(),
    ))
}

/// A resource the caller may read about: open ones for everyone, the
/// whole catalogue for the signed-in.
pub(crate) async fn visible(
    state: &AppState,
    ctx: &RequestContext,
    code: &str,
) -> Result<Resource, ApiError> {
    let resource = state.store().resource_by_code(code).await?;
    if !resource.about.open_data && ctx.principal.is_none() {
        return Err(ApiError::NotSignedIn);
    }
    Ok(resource)
}

/// The resource `code`, if `rule` lets the caller act on its provider's
/// resources (e.g. `Actor::may_deliver_to`).
pub(crate) async fn resource_for(
    state: &AppState,
    who: &SignedIn,
    code: &str,
    rule: fn(&Actor, i64) -> bool,
) -> Result<Resource, ApiError> {
    let resource = state.store().resource_by_code(code).await?;
    if rule(&who.account().actor(), resource.provider_id) {
        Ok(resource)
    } else {
        Err(ApiError::OtherOrganization)
    }
}

/// A resource whose description the caller may change.
pub(crate) async fn own(
    state: &AppState,
    who: &SignedIn,
    code: &str,
) -> Result<Resource, ApiError> {
    resource_for(state, who, code, Actor::may_describe_resources_of).await
}

/// A resource whose deliveries the caller may inspect.
pub(crate) async fn inspectable(
    state: &AppState,
    who: &SignedIn,
    code: &str,
) -> Result<Resource, ApiError> {
    resource_for(state, who, code, Actor::may_inspect_deliveries_of).await
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(code): Path<String>,
) -> Result<Json<ResourceView>, ApiError> {
    let resource = visible(&state, &ctx, &code).await?;
    Ok(Json(ResourceView::of(&resource, now_ms())))
}

pub(crate) async fn create(
    State(state): State<AppState>,
    who: SignedIn,
    Json(body): Json<CreateResourceRequest>,
) -> Result<(StatusCode, Json<ResourceView>), ApiError> {
    let registration = body
        .registration
        .as_ref()
        .map(Registration::from)
        .unwrap_or_default();
    let resource = resources::create_resource(
        &state,
        &who.ctx,
        who.account().org_id,
        &body.code,
        &DescriptionInput::from(&body.about),
        &registration,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ResourceView::of(&resource, now_ms())),
    ))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(body): Json<ResourceRequest>,
) -> Result<Json<ResourceView>, ApiError> {
    let resource = own(&state, &who, &code).await?;
    let updated =
        resources::update_resource(&state, &who.ctx, &resource, &DescriptionInput::from(&body))
            .await?;
    Ok(Json(ResourceView::of(&updated, now_ms())))
}

pub(crate) fn registration_action(
    name: Option<&str>,
) -> Result<Option<RegistrationAction>, ApiError> {
    match name {
        None | Some("") | Some("edit") => Ok(None),
        Some("register") => Ok(Some(RegistrationAction::Register)),
        Some("change") => Ok(Some(RegistrationAction::Change)),
        Some("cancel") => Ok(Some(RegistrationAction::Cancel)),
        Some(_) => Err(ApiError::invalid(
            "action",
            "must be register, change, cancel or edit",
        )),
    }
}

pub(crate) async fn register(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(body): Json<RegistrationRequest>,
) -> Result<Json<ResourceView>, ApiError> {
    let resource = own(&state, &who, &code).await?;
    let action = registration_action(body.action.as_deref())?;
    let updated = resources::record_registration(
        &state,
        &who.ctx,
        &resource,
        action,
        &Registration::from(&body.fields),
    )
    .await?;
    Ok(Json(ResourceView::of(&updated, now_ms())))
}

/// Every registration record the caller may see, as CSV (for the national
/// register's templates and spreadsheets).
pub(crate) async fn registrations_csv(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Response, ApiError> {
    let actor = who.account().actor();
    let all = state.store().resources(&ResourceFilter::default()).await?;
    let mut out = String::from(
        "\u{feff}资源代码,资源名称,提供单位,数据类型,数据格式,存储方式,说明文档,登记状态,登记编码\n",
    );
    for r in all
        .iter()
        .filter(|r| actor.may_inspect_deliveries_of(r.provider_id))
    {
        let g = &r.registration;
        let row = [
            r.code.as_str(),
            &r.about.title,
            &r.provider_name,
            &g.data_type,
            &g.data_format,
            &g.storage,
            &g.documentation,
            g.status.map_or("", |s| s.as_str()),
            g.code.as_deref().unwrap_or(""),
        ];
        out.push_str(
            &row.iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    Ok(csv_download("registrations.csv", out))
}

/// One CSV cell, quoted when it must be, and defused against spreadsheet
/// formula injection.
pub(crate) fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub(crate) fn csv_download(file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, super::disposition(file_name)),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn fields(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(code): Path<String>,
) -> Result<Json<Vec<FieldView>>, ApiError> {
    let resource = visible(&state, &ctx, &code).await?;
    let fields = state.store().resource_fields(resource.id).await?;
    Ok(Json(fields.iter().map(FieldView::from).collect()))
}

pub(crate) fn field_decisions(
    body: &GradingRequest,
) -> Result<(Grade, Vec<FieldDecision>), ApiError> {
    let bad_grade =
        |field| ApiError::invalid(field, "must be general-1 … general-4, important or core");
    let grade: Grade = body.grade.parse().map_err(|_| bad_grade("grade"))?;
    let fields = body
        .fields
        .iter()
        .map(|f| {
            Ok(FieldDecision {
                name: f.name.clone(),
                sensitivity: f
                    .sensitivity
                    .parse()
                    .map_err(|_| bad_grade("sensitivity"))?,
                personal_kind: f
                    .personal_kind
                    .as_deref()
                    .map(str::parse::<IdentifierKind>)
                    .transpose()
                    .map_err(|_| {
                        ApiError::invalid(
                            "personal_kind",
                            "must be an identifier kind such as resident_id or mobile",
                        )
                    })?,
                description: f.description.clone(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((grade, fields))
}

pub(crate) async fn grade(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(body): Json<GradingRequest>,
) -> Result<Json<ResourceView>, ApiError> {
    let resource = own(&state, &who, &code).await?;
    let (grade, fields) = field_decisions(&body)?;
    let updated = resources::decide_grading(
        &state,
        &who.ctx,
        who.account().id,
        &resource,
        grade,
        &fields,
        &body.reason,
    )
    .await?;
    Ok(Json(ResourceView::of(&updated, now_ms())))
}

pub(crate) async fn versions(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
) -> Result<Json<Vec<VersionView>>, ApiError> {
    let resource = inspectable(&state, &who, &code).await?;
    let versions = state.store().versions(resource.id).await?;
    Ok(Json(
        versions.iter().map(|v| VersionView::of(v, None)).collect(),
    ))
}

pub(crate) async fn version(
    State(state): State<AppState>,
    who: SignedIn,
    Path((code, number)): Path<(String, i64)>,
) -> Result<Json<VersionView>, ApiError> {
    let resource = inspectable(&state, &who, &code).await?;
    let version = state.store().version(resource.id, number).await?;
    let fields = state.store().version_fields(version.id).await?;
    Ok(Json(VersionView::of(&version, Some(&fields))))
}

pub(crate) async fn compare(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<VersionComparison>, ApiError> {
    let resource = inspectable(&state, &who, &code).await?;
    let store = state.store();
    let (a, b) = (
        store.version(resource.id, q.from).await?,
        store.version(resource.id, q.to).await?,
    );
    let schema = |fields: Vec<rongshu_store::VersionField>| -> Vec<(String, String)> {
        fields.into_iter().map(|f| (f.name, f.field_type)).collect()
    };
    let diff = SchemaDiff::between(
        &schema(store.version_fields(a.id).await?),
        &schema(store.version_fields(b.id).await?),
    );
    Ok(Json(VersionComparison::of(&a, &b, diff)))
}

pub(crate) async fn ingests(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
) -> Result<Json<Vec<IngestView>>, ApiError> {
    let resource = inspectable(&state, &who, &code).await?;
    let ingests = state.store().ingests(resource.id, 100).await?;
    Ok(Json(ingests.iter().map(IngestView::from).collect()))
}

/// An ingest the caller may inspect, with its resource.
pub(crate) async fn inspectable_ingest(
    state: &AppState,
    who: &SignedIn,
    id: i64,
) -> Result<(rongshu_store::Ingest, Resource), ApiError> {
    let ingest = state.store().ingest(id).await?;
    let resource = state.store().resource(ingest.resource_id).await?;
    if who
        .account()
        .actor()
        .may_inspect_deliveries_of(resource.provider_id)
    {
        Ok((ingest, resource))
    } else {
        Err(ApiError::OtherOrganization)
    }
}

pub(crate) async fn ingest(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<IngestView>, ApiError> {
    let (ingest, _) = inspectable_ingest(&state, &who, id).await?;
    Ok(Json(IngestView::from(&ingest)))
}

/// The rows an ingest refused, as CSV the provider can fix its file from.
pub(crate) async fn ingest_errors(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (ingest, _) = inspectable_ingest(&state, &who, id).await?;
    let rows = state.store().ingest_bad_rows(id).await?;
    let mut out = String::from("\u{feff}行号,字段,问题\n");
    for r in &rows {
        out.push_str(&format!(
            "{},{},{}\n",
            r.row_number,
            csv_cell(r.field.as_deref().unwrap_or("")),
            csv_cell(&r.message)
        ));
    }
    if ingest.bad_rows > rows.len() as i64 {
        out.push_str(&csv_cell(&format!(
            "… {} more rows not listed",
            ingest.bad_rows - rows.len() as i64
        )));
        out.push('\n');
    }
    Ok(csv_download(&format!("ingest-{id}-errors.csv"), out))
}
