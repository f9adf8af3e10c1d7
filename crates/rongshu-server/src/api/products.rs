//! Products, data calls, suspensions, usage and statements. Each handler
//! is one call into `rongshu_products`, which checks who may do what.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, SuspensionScope};
use rongshu_formats::OutputFormat;
use rongshu_products::consulting::{Attachment, FeedbackDraft};
use rongshu_products::{Caller, ProductDraft, ProductError};

use super::product_types::*;
use crate::context::{Credential, Json, Path, Query, SignedIn};
use crate::error::ApiError;
use crate::gate;
use crate::state::AppState;

pub(crate) fn caller(who: &SignedIn) -> Caller {
    let account = who.account();
    Caller {
        account_id: account.id,
        org_id: account.org_id,
        party: account.party,
        stamp: match who.principal.credential {
            Credential::ApiKey { stamp } => stamp,
            _ => None,
        },
    }
}

/// Makes a data call; when the caller's cached API key turned out older
/// than a change to the platform, reads the key afresh and calls again.
async fn data_call<T, F>(
    state: &AppState,
    who: &SignedIn,
    headers: &HeaderMap,
    call: impl Fn(Caller) -> F,
) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ProductError>>,
{
    match call(caller(who)).await {
        Err(ProductError::Stale) => {
            let fresh = gate::fresh_api_key(state, headers)
                .await?
                .ok_or(ApiError::NotSignedIn)?;
            Ok(call(Caller::of(&fresh.account.actor())).await?)
        }
        answer => Ok(answer?),
    }
}

fn draft(r: &ProductRequest) -> Result<ProductDraft, ApiError> {
    let modes = r
        .modes
        .iter()
        .map(|m| m.parse::<ServiceMode>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProductDraft {
        code: r.code.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        resource_code: r.resource.clone(),
        authorization_id: r.authorization_id,
        modes,
        fields: r.fields.clone(),
        pipeline: r.pipeline_text(),
        query_parameters: r.query_parameters.clone(),
        max_rows: r.max_rows,
        verify_key_field: r.verify_key_field.clone(),
        verify_fields: r.verify_fields.clone(),
        daily_call_quota: r.daily_call_quota,
        rate_per_minute: r.rate_per_minute,
        billing_unit: r.billing_unit.parse::<BillingUnit>()?,
        price_fen: r.price_fen,
    })
}

pub(crate) async fn products(
    State(state): State<AppState>,
) -> Result<Json<Vec<ProductView>>, ApiError> {
    let products = state.products().products().await?;
    Ok(Json(products.iter().map(ProductView::from).collect()))
}

pub(crate) async fn product(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ProductView>, ApiError> {
    Ok(Json((&state.products().product(&code).await?).into()))
}

pub(crate) async fn create_product(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<ProductRequest>,
) -> Result<(StatusCode, Json<ProductView>), ApiError> {
    let product = state
        .products()
        .save(&who.account().actor(), &who.ctx, &draft(&req)?, None)
        .await?;
    Ok((StatusCode::CREATED, Json((&product).into())))
}

pub(crate) async fn preview_product(
    State(state): State<AppState>,
    who: SignedIn,
    Query(query): Query<PreviewQuery>,
    Json(req): Json<ProductRequest>,
) -> Result<Json<PreviewView>, ApiError> {
    let preview = state
        .products()
        .preview(&who.account().actor(), &who.ctx, &draft(&req)?, query.rows)
        .await?;
    Ok(Json((&preview).into()))
}

pub(crate) async fn update_product(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(req): Json<ProductRequest>,
) -> Result<Json<ProductView>, ApiError> {
    if req.code != code {
        return Err(ApiError::invalid(
            "code",
            "must be the product's code: codes never change",
        ));
    }
    let revision = req.revision.ok_or(ApiError::invalid(
        "revision",
        "is required: the revision you are changing",
    ))?;
    let product = state
        .products()
        .save(
            &who.account().actor(),
            &who.ctx,
            &draft(&req)?,
            Some(revision),
        )
        .await?;
    Ok(Json((&product).into()))
}

pub(crate) async fn set_price_cap(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(req): Json<PriceCapRequest>,
) -> Result<Json<ProductView>, ApiError> {
    let product = state
        .products()
        .set_price_cap(&who.account().actor(), &who.ctx, &code, req.price_cap_fen)
        .await?;
    Ok(Json((&product).into()))
}

pub(crate) async fn withdraw(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(req): Json<WithdrawRequest>,
) -> Result<Json<ProductView>, ApiError> {
    let product = state
        .products()
        .withdraw(&who.account().actor(), &who.ctx, &code, &req.reason)
        .await?;
    Ok(Json((&product).into()))
}

pub(crate) async fn query(
    State(state): State<AppState>,
    who: SignedIn,
    headers: HeaderMap,
    Path(code): Path<String>,
    Json(req): Json<QueryRequest>,
) -> Result<Json<QueryResult>, ApiError> {
    let parameters: Vec<(String, String)> = req.parameters.into_iter().collect();
    let (products, ctx, code, parameters) = (state.products(), &who.ctx, &code, &parameters);
    let answer = data_call(&state, &who, &headers, |caller| async move {
        products.query(&caller, ctx, code, parameters).await
    })
    .await?;
    Ok(Json(answer.into()))
}

pub(crate) async fn verify(
    State(state): State<AppState>,
    who: SignedIn,
    headers: HeaderMap,
    Path(code): Path<String>,
    Json(req): Json<VerifyRequest>,
) -> Result<Json<VerifyResult>, ApiError> {
    let facts: Vec<(String, String)> = req.facts.into_iter().collect();
    let (products, ctx, code, facts) = (state.products(), &who.ctx, &code, &facts);
    let answer = data_call(&state, &who, &headers, |caller| async move {
        products.verify(&caller, ctx, code, facts).await
    })
    .await?;
    Ok(Json(answer.into()))
}

pub(crate) async fn download(
    State(state): State<AppState>,
    who: SignedIn,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<DownloadQuery>,
) -> Result<Response, ApiError> {
    let format = OutputFormat::parse(&query.format)
        .map_err(|_| ApiError::invalid("format", "is csv, csv-gb18030, xlsx, json or parquet"))?;
    let (products, ctx, code) = (state.products(), &who.ctx, &code);
    let download = data_call(&state, &who, &headers, |caller| async move {
        products.download(&caller, ctx, code, format).await
    })
    .await?;
    let chunks = futures::stream::unfold(download.chunks, |mut chunks| async move {
        let chunk = chunks.recv().await?;
        Some((chunk.map_err(std::io::Error::other), chunks))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                super::disposition(&download.file_name),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

pub(crate) async fn suspensions(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<SuspensionView>>, ApiError> {
    let all = state.products().suspensions(&who.account().actor()).await?;
    Ok(Json(all.iter().map(SuspensionView::from).collect()))
}

pub(crate) async fn suspend(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<SuspensionRequest>,
) -> Result<(StatusCode, Json<SuspensionView>), ApiError> {
    let scope = SuspensionScope::new(req.scope.parse()?, req.target_id).map_err(|_| {
        ApiError::invalid("target_id", "is required for a resource, provider or user-org suspension, and absent for the platform")
    })?;
    let suspension = state
        .products()
        .suspend(&who.account().actor(), &who.ctx, scope, &req.findings)
        .await?;
    Ok((StatusCode::CREATED, Json((&suspension).into())))
}

pub(crate) async fn rectify(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<RectificationRequest>,
) -> Result<Json<SuspensionView>, ApiError> {
    let suspension = state
        .products()
        .rectify(&who.account().actor(), &who.ctx, id, &req.rectification)
        .await?;
    Ok(Json((&suspension).into()))
}

pub(crate) async fn resume(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<SuspensionView>, ApiError> {
    let suspension = state
        .products()
        .resume(&who.account().actor(), &who.ctx, id)
        .await?;
    Ok(Json((&suspension).into()))
}

fn day(field: &'static str, value: &str) -> Result<NaiveDate, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::invalid(field, "is a date, YYYY-MM-DD"))
}

pub(crate) async fn usage(
    State(state): State<AppState>,
    who: SignedIn,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Vec<UsageView>>, ApiError> {
    let used = state
        .products()
        .usage(
            &who.account().actor(),
            day("from", &q.from)?,
            day("until", &q.until)?,
        )
        .await?;
    Ok(Json(used.iter().map(UsageView::from).collect()))
}

pub(crate) async fn statement(
    State(state): State<AppState>,
    who: SignedIn,
    Path((org_id, month)): Path<(i64, String)>,
) -> Result<Json<StatementView>, ApiError> {
    let statement = state
        .products()
        .statement(&who.account().actor(), org_id, &month)
        .await?;
    Ok(Json(statement.into()))
}

pub(crate) async fn price_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<PriceView>>, ApiError> {
    let prices = state.products().price_list().await?;
    Ok(Json(prices.into_iter().map(PriceView::from).collect()))
}

pub(crate) async fn open_consulting(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(req): Json<ConsultingRequest>,
) -> Result<(StatusCode, Json<ConsultingOrderView>), ApiError> {
    let order = state
        .products()
        .open_consulting(
            &who.account().actor(),
            &who.ctx,
            &code,
            &req.subject,
            &req.question,
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&order).into())))
}

pub(crate) async fn consulting_orders(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<ConsultingOrderView>>, ApiError> {
    let orders = state
        .products()
        .consulting_orders(&who.account().actor())
        .await?;
    Ok(Json(orders.iter().map(ConsultingOrderView::from).collect()))
}

pub(crate) async fn consulting_order(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<ConsultingOrderView>, ApiError> {
    let (order, messages) = state
        .products()
        .consulting_order(&who.account().actor(), id)
        .await?;
    Ok(Json(ConsultingOrderView {
        messages: Some(messages.iter().map(ConsultingMessageView::from).collect()),
        ..(&order).into()
    }))
}

pub(crate) async fn reply(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<MessageRequest>,
) -> Result<(StatusCode, Json<ConsultingMessageView>), ApiError> {
    let message = state
        .products()
        .reply(&who.account().actor(), &who.ctx, id, &req.body, None)
        .await?;
    Ok((StatusCode::CREATED, Json((&message).into())))
}

pub(crate) async fn deliver_file(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<DeliverableQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ConsultingMessageView>), ApiError> {
    attach_deliverable(&state, &who, id, q, body).await
}

/// A deliverable file with its message, for the API and the console alike.
pub(crate) async fn attach_deliverable(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    q: DeliverableQuery,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ConsultingMessageView>), ApiError> {
    let attachment = Attachment {
        file_name: q.file_name,
        bytes: body.to_vec(),
    };
    let message = state
        .products()
        .reply(
            &who.account().actor(),
            &who.ctx,
            id,
            &q.body,
            Some(attachment),
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&message).into())))
}

pub(crate) async fn close_consulting(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<ConsultingOrderView>, ApiError> {
    let order = state
        .products()
        .close_consulting(&who.account().actor(), &who.ctx, id)
        .await?;
    Ok(Json((&order).into()))
}

pub(crate) async fn deliverable(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, bytes) = state
        .products()
        .deliverable(&who.account().actor(), &who.ctx, id)
        .await?;
    Ok(super::attachment(&name, bytes))
}

pub(crate) async fn file_feedback(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Json(req): Json<FeedbackRequest>,
) -> Result<(StatusCode, Json<FeedbackView>), ApiError> {
    let feedback = state
        .products()
        .file_feedback(
            &who.account().actor(),
            &who.ctx,
            &code,
            FeedbackDraft {
                kind: req.kind,
                title: req.title,
                link: req.link,
                file: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&feedback).into())))
}

pub(crate) async fn file_feedback_with_file(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Query(q): Query<FeedbackFileQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<FeedbackView>), ApiError> {
    feedback_with_file(&state, &who, &code, q, body).await
}

/// Files feedback whose file is the request's body.
pub(crate) async fn feedback_with_file(
    state: &AppState,
    who: &SignedIn,
    code: &str,
    q: FeedbackFileQuery,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<FeedbackView>), ApiError> {
    let draft = FeedbackDraft {
        kind: q.kind,
        title: q.title,
        link: q.link,
        file: Some(Attachment {
            file_name: q.file_name,
            bytes: body.to_vec(),
        }),
    };
    let feedback = state
        .products()
        .file_feedback(&who.account().actor(), &who.ctx, code, draft)
        .await?;
    Ok((StatusCode::CREATED, Json((&feedback).into())))
}

pub(crate) async fn feedback_file(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, bytes) = state
        .products()
        .feedback_file(&who.account().actor(), &who.ctx, id)
        .await?;
    Ok(super::attachment(&name, bytes))
}

pub(crate) async fn feedback(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<FeedbackView>>, ApiError> {
    let all = state.products().feedback(&who.account().actor()).await?;
    Ok(Json(all.iter().map(FeedbackView::from).collect()))
}

pub(crate) async fn overdue_feedback(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<OverdueFeedbackView>>, ApiError> {
    let overdue = state
        .products()
        .overdue_feedback(&who.account().actor())
        .await?;
    Ok(Json(
        overdue.iter().map(OverdueFeedbackView::from).collect(),
    ))
}
