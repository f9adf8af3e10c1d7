//! The one place where failures become HTTP responses:
//! `application/problem+json` (RFC 9457) with a stable `code` per kind of
//! failure and the request id.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rongshu_crypto::{PasswordError, WeakPassword};
use rongshu_delivery::DeliveryError;
use rongshu_domain::output::ReviewRefusal;
use rongshu_domain::resource::RegistrationError;
use rongshu_domain::supply::{PriceRefusal, SuspensionRefusal};
use rongshu_domain::workflow::{IllegalTransition, SignRefusal};
use rongshu_domain::{BadName, Denial, PartyType, Role, UnknownName};
use rongshu_ingest::IngestError;
use rongshu_products::{ProductError, Refusal};
use rongshu_sandbox::{EngineError, SandboxError};
use rongshu_store::StoreError;
use rongshu_workflow::{UseRefusal, WorkflowError};
use serde::Serialize;

use crate::auth::KeyRefusal;

tokio::task_local! {
    /// The current request's id, set by the gate, read when rendering errors.
    pub(crate) static REQUEST_ID: String;
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session, token or API key came with a request that needs one.
    #[error("sign-in required")]
    NotSignedIn,
    #[error("consulting order {0} is closed")]
    OrderClosed(i64),
    /// A suspension's status does not allow the step.
    #[error(transparent)]
    SuspensionStep(SuspensionRefusal),
    /// An API key came, but is not honoured.
    #[error(transparent)]
    KeyRefused(#[from] KeyRefusal),
    /// The caller's organisation is not a party this route serves.
    #[error("this is not available to party type {0}")]
    WrongParty(PartyType),
    /// The caller's role is not enough for this route.
    #[error("this is not available to role {0}")]
    WrongRole(Role),
    /// The operation needs a signed-in session, not an API key: a leaked
    /// key must not be able to mint keys that outlive its revocation.
    #[error("this needs a signed-in session, not an API key")]
    SessionRequired,
    /// Data calls take an API key, not a session.
    #[error("data calls take an API key (Authorization: Bearer rsk_…), not a session")]
    ApiKeyRequired,
    /// The caller may use the route, but not on another organisation's records.
    #[error("this record belongs to another organisation")]
    OtherOrganization,
    /// Unknown user name or wrong password (deliberately not told apart).
    #[error("user name or password is wrong")]
    InvalidCredentials,
    /// Too many failed sign-ins; the account is locked for a while.
    #[error("account locked after repeated failed sign-ins; try again after {until}")]
    AccountLocked { until: String },
    /// The current password given to change it was wrong.
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    /// A console form came without the session's CSRF token.
    #[error("the form is stale or forged: reload the page and try again")]
    CsrfMismatch,
    /// A new password does not meet the rules.
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    /// A chosen name breaks the naming rules.
    #[error("field {field}: {source}")]
    BadName {
        field: &'static str,
        source: BadName,
    },
    /// A party type or role name is not one of the known ones.
    #[error(transparent)]
    UnknownName(#[from] UnknownName),
    /// An administrator tried to disable their own account.
    #[error("you cannot disable your own account")]
    SelfDisable,
    /// A field has a value the request cannot accept.
    #[error("field {field}: {problem}")]
    InvalidField {
        field: &'static str,
        problem: Cow<'static, str>,
    },
    /// The body is not the JSON or form the route expects.
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// A path or query parameter could not be read.
    #[error("malformed request parameter: {0}")]
    MalformedParameter(String),
    /// A referenced record does not exist.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A unique value is already taken.
    #[error("{what} {value:?} already exists")]
    Duplicate { what: &'static str, value: String },
    /// No route has this path.
    #[error("no such page or endpoint")]
    NoRoute,
    /// The path exists but not with this method.
    #[error("method not allowed here")]
    MethodNotAllowed,
    /// The body exceeds the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The database failed; details go to the log, not the client.
    #[error("storage is unavailable")]
    Storage(#[source] StoreError),
    /// Password hashing failed; details go to the log.
    #[error("password processing failed")]
    Password(#[from] PasswordError),
    /// A registration step the national register does not allow.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// The delivery was read and refused; its ingest record and error
    /// report say why.
    #[error("delivery refused (ingest {ingest_id}): {source}")]
    DeliveryRejected {
        ingest_id: i64,
        #[source]
        source: IngestError,
    },
    /// The resource's registration was cancelled.
    #[error("the resource's registration was cancelled: it takes no more deliveries")]
    RegistrationCancelled,
    /// Stored data failed its integrity check.
    #[error("{0}")]
    Integrity(String),
    /// Object storage or the ingest machinery failed; details go to the log.
    #[error("data storage is unavailable")]
    DataStorage(String),
    /// A data call's grounds kept changing while it ran; nothing was
    /// served or recorded.
    #[error("the platform changed while the call ran; make it again")]
    CallStale,
    /// A data call's use could not be recorded, so its answer was withheld.
    #[error("the call could not be recorded; nothing was served")]
    Recording(String),
    /// A workflow step that does not follow the record's state (409), or
    /// that the caller's party does not take (403).
    #[error(transparent)]
    Transition(IllegalTransition),
    /// A signature the agreement does not take.
    #[error(transparent)]
    Signature(SignRefusal),
    /// The caller's organisation has no part in this workflow record.
    #[error("{0}")]
    NotAParty(&'static str),
    /// A party the step needs is not registered.
    #[error("no {0} organisation is registered; register one first")]
    MissingParty(&'static str),
    /// The record changed between reading and writing it.
    #[error("{what} {id} was changed meanwhile; reload it and try again")]
    Changed { what: &'static str, id: i64 },
    /// A use of data the agreements do not cover (Art. 15, 16).
    #[error("use refused: {0}")]
    UseRefused(UseRefusal),
    /// A signing key or webhook secret does not open with the master key.
    #[error("a sealed secret of the organisation cannot be opened")]
    SealedSecret,
    /// A product setting that cannot be accepted.
    #[error("field {field}: {problem}")]
    InvalidProduct {
        field: &'static str,
        problem: String,
    },
    /// A pipeline document that does not read or does not fit the product.
    #[error("{0}")]
    InvalidPipeline(String),
    /// A product's output would exceed its authorization (fields, modes,
    /// de-identification level).
    #[error("{0}")]
    ExceedsAuthorization(String),
    /// A price or cap out of bounds, or above the authorizing side's cap.
    #[error(transparent)]
    Price(PriceRefusal),
    /// The product's resource has no delivered version to serve.
    #[error("{0} has no delivered version yet")]
    NoVersion(String),
    /// The product does not offer the mode called.
    #[error("the product does not offer the {0} mode")]
    ModeNotOffered(&'static str),
    /// The product was withdrawn from service.
    #[error("{0}")]
    Withdrawn(String),
    /// A data call refused after the agreements: suspension, quota, rate.
    #[error("{0}")]
    Supply(Refusal),
    /// A sandbox statement that did not run to its end.
    #[error(transparent)]
    Statement(EngineError),
    /// No workspace of the caller's under this agreement.
    #[error(
        "no workspace {0}: no data use agreement of your organisation grants the sandbox over a product"
    )]
    NoWorkspace(i64),
    /// The account has as many statements running as it may.
    #[error("{running} statements of yours are running; wait for one to end or cancel it")]
    SandboxBusy { running: usize },
    /// A sandbox request that cannot be accepted.
    #[error("field {field}: {problem}")]
    InvalidSandbox {
        field: &'static str,
        problem: String,
    },
    /// An output checker's decision the rules refuse.
    #[error(transparent)]
    ReviewRefused(ReviewRefusal),
    /// An export that is not (or not yet) approved.
    #[error("export {id} is {status}; only approved exports are released")]
    NotReleased { id: i64, status: String },
    /// A workspace table made from a product the workspace no longer reads.
    #[error("table {table} was made from product {product}, which this workspace no longer reads")]
    Withheld { table: String, product: String },
    /// An export's result, once a product it came from is no longer read.
    #[error("export {export} came from product {product}, which this workspace no longer reads")]
    ExportWithheld { export: i64, product: String },
    /// An upload into a workspace that was not read.
    #[error("the upload was not read: {0}")]
    UploadRefused(String),
    /// A workspace table an export that may leave read, dropped.
    #[error(
        "table {table} is kept while export {export}, which read it, has left the workspace or may yet: later releases are compared with it"
    )]
    ReadByExport { table: String, export: i64 },
    /// An export whose query read a workspace table dropped or made again
    /// before the export was filed.
    #[error(
        "table {0} was dropped or made again while the export ran: later releases could not be compared with it; ask for the export again"
    )]
    TableGone(String),
    /// An export filed while another of the organisation's ran.
    #[error(
        "another export of your organisation was filed while this one ran, so they were not compared; ask for the export again"
    )]
    FiledMeanwhile,
}

impl From<SandboxError> for ApiError {
    fn from(e: SandboxError) -> Self {
        match e {
            SandboxError::Forbidden(why) => ApiError::NotAParty(why),
            SandboxError::NoWorkspace(id) => ApiError::NoWorkspace(id),
            SandboxError::Busy { running } => ApiError::SandboxBusy { running },
            SandboxError::Invalid { field, problem } => ApiError::InvalidSandbox { field, problem },
            SandboxError::Query(EngineError::Data(e)) => ApiError::DataStorage(e.to_string()),
            SandboxError::Query(e @ EngineError::Kept(_)) => ApiError::DataStorage(e.to_string()),
            SandboxError::Withheld { table, product } => ApiError::Withheld { table, product },
            SandboxError::ExportWithheld { export, product } => {
                ApiError::ExportWithheld { export, product }
            }
            SandboxError::Upload(why) => ApiError::UploadRefused(why),
            SandboxError::ReadByExport { table, export } => {
                ApiError::ReadByExport { table, export }
            }
            SandboxError::TableGone(table) => ApiError::TableGone(table),
            SandboxError::FiledMeanwhile => ApiError::FiledMeanwhile,
            SandboxError::Kept(e) => e.into(),
            SandboxError::Query(e) => ApiError::Statement(e),
            SandboxError::Product(e) => e.into(),
            SandboxError::Review(refusal) => ApiError::ReviewRefused(refusal),
            SandboxError::NotReleased { id, status } => ApiError::NotReleased { id, status },
            e @ SandboxError::Sealed(_) => {
                tracing::error!(error = %e, "sandbox export does not open");
                ApiError::SealedSecret
            }
            SandboxError::Store(e) => e.into(),
        }
    }
}

impl From<ProductError> for ApiError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::Forbidden(why) => ApiError::NotAParty(why),
            ProductError::Invalid { field, problem } => ApiError::invalid(field, problem),
            ProductError::InvalidProduct { field, problem } => {
                ApiError::InvalidProduct { field, problem }
            }
            ProductError::Worker(e) => ApiError::DataStorage(e),
            e @ (ProductError::Document(_) | ProductError::Pipeline(_)) => {
                ApiError::InvalidPipeline(e.to_string())
            }
            e @ (ProductError::Exceeds(_) | ProductError::NotAuthorized { .. }) => {
                ApiError::ExceedsAuthorization(e.to_string())
            }
            ProductError::Price(refusal) => ApiError::Price(refusal),
            ProductError::NoVersion(code) => ApiError::NoVersion(code),
            ProductError::ModeNotOffered(mode) => ApiError::ModeNotOffered(mode),
            e @ ProductError::Withdrawn { .. } => ApiError::Withdrawn(e.to_string()),
            ProductError::Refused(Refusal::Use(refusal)) => ApiError::UseRefused(refusal),
            ProductError::Refused(refusal) => ApiError::Supply(refusal),
            e @ ProductError::Sealed(_) => {
                tracing::error!(error = %e, "product key does not open");
                ApiError::SealedSecret
            }
            ProductError::Format(e) => ApiError::DataStorage(e.to_string()),
            ProductError::Stale => ApiError::CallStale,
            ProductError::Recording(problem) => ApiError::Recording(problem),
            ProductError::Delivery(e) => e.into(),
            ProductError::Workflow(e) => e.into(),
            ProductError::Suspension(refusal) => ApiError::SuspensionStep(refusal),
            ProductError::OrderClosed(id) => ApiError::OrderClosed(id),
            ProductError::Store(e) => e.into(),
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Illegal(e) => ApiError::Transition(e),
            WorkflowError::Signature(e) => ApiError::Signature(e),
            WorkflowError::Forbidden(why) => ApiError::NotAParty(why),
            WorkflowError::Invalid { field, problem } => ApiError::invalid(field, problem),
            WorkflowError::MissingParty(party) => ApiError::MissingParty(party),
            e @ WorkflowError::Sealed { .. } => {
                tracing::error!(error = %e, "sealed secret does not open");
                ApiError::SealedSecret
            }
            WorkflowError::Store(e) => e.into(),
        }
    }
}

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Store(e) => e.into(),
            DeliveryError::Rejected { ingest_id, source } => {
                ApiError::DeliveryRejected { ingest_id, source }
            }
            DeliveryError::Cancelled => ApiError::RegistrationCancelled,
            DeliveryError::UnknownFormat(_) => ApiError::invalid(
                "format",
                "cannot be told from the file name: give format (csv, xlsx, json, ndjson or parquet)",
            ),
            e @ (DeliveryError::Integrity { .. } | DeliveryError::KeptIntegrity { .. }) => {
                ApiError::Integrity(e.to_string())
            }
            other => ApiError::DataStorage(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => ApiError::NotFound { what, id },
            StoreError::Duplicate { what, value } => ApiError::Duplicate { what, value },
            StoreError::Changed { what, id } => ApiError::Changed { what, id },
            other => ApiError::Storage(other),
        }
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::NotSignedIn => ApiError::NotSignedIn,
            Denial::WrongParty(p) => ApiError::WrongParty(p),
            Denial::WrongRole(r) => ApiError::WrongRole(r),
        }
    }
}

impl ApiError {
    /// The request field the error is about, where it names one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::InvalidField { field, .. }
            | ApiError::BadName { field, .. }
            | ApiError::InvalidProduct { field, .. }
            | ApiError::InvalidSandbox { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The stable, machine-readable code clients may match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotSignedIn => "auth.sign-in-required",
            ApiError::KeyRefused(why) => why.code(),
            ApiError::OrderClosed(_) => "consulting.closed",
            ApiError::SuspensionStep(SuspensionRefusal::Resumed) => "suspension.resumed",
            ApiError::SuspensionStep(SuspensionRefusal::NotRectified) => "suspension.not-rectified",
            ApiError::WrongParty(_) => "access.wrong-party",
            ApiError::WrongRole(_) => "access.wrong-role",
            ApiError::OtherOrganization => "access.other-organization",
            ApiError::SessionRequired => "access.session-required",
            ApiError::ApiKeyRequired => "auth.api-key-required",
            ApiError::InvalidCredentials => "auth.invalid-credentials",
            ApiError::AccountLocked { .. } => "auth.account-locked",
            ApiError::WrongCurrentPassword => "auth.wrong-current-password",
            ApiError::CsrfMismatch => "auth.csrf-mismatch",
            ApiError::WeakPassword(_) => "validation.weak-password",
            ApiError::InvalidField { .. } => "validation.invalid-field",
            ApiError::BadName { .. } => "validation.bad-name",
            ApiError::UnknownName(_) => "validation.unknown-name",
            ApiError::SelfDisable => "validation.self-disable",
            ApiError::MalformedBody(_) => "request.malformed-body",
            ApiError::MalformedParameter(_) => "request.malformed-parameter",
            ApiError::NotFound { .. } => "resource.not-found",
            ApiError::Duplicate { .. } => "resource.duplicate",
            ApiError::NoRoute => "request.no-route",
            ApiError::MethodNotAllowed => "request.method-not-allowed",
            ApiError::PayloadTooLarge => "request.too-large",
            ApiError::Storage(_) => "internal.storage",
            ApiError::Password(_) => "internal.password",
            ApiError::Registration(_) => "registration.not-allowed",
            ApiError::DeliveryRejected { source, .. } => match source {
                IngestError::TooManyBadRows { .. } => "delivery.too-many-bad-rows",
                IngestError::UnknownEncoding => "delivery.unknown-encoding",
                IngestError::NoHeader => "delivery.no-header",
                IngestError::NoSuchSheet { .. } => "delivery.no-such-sheet",
                IngestError::UnknownField(_) => "delivery.unknown-field",
                IngestError::TypedFormat => "delivery.typed-format",
                IngestError::TooLargeToBuffer { .. } => "delivery.too-large-to-buffer",
                IngestError::Io(_) => "delivery.read-failed",
                _ => "delivery.malformed",
            },
            ApiError::RegistrationCancelled => "delivery.registration-cancelled",
            ApiError::Integrity(_) => "internal.integrity",
            ApiError::DataStorage(_) => "internal.data-storage",
            ApiError::CallStale => "use.retry",
            ApiError::Recording(_) => "internal.recording",
            ApiError::Transition(e) if e.is_wrong_party() => "access.wrong-party",
            ApiError::Transition(e) => match e.machine {
                "demand" => "workflow.demand-state",
                "demand-list" => "workflow.demand-list-state",
                "assessment" => "workflow.assessment-state",
                "authorization" => "workflow.authorization-state",
                "delivery-task" => "workflow.delivery-task-state",
                "dispute" => "workflow.dispute-state",
                _ => "workflow.state",
            },
            ApiError::Signature(_) => "workflow.signature-refused",
            ApiError::NotAParty(_) => "access.not-a-party",
            ApiError::MissingParty(_) => "workflow.missing-party",
            ApiError::Changed { .. } => "resource.changed",
            ApiError::UseRefused(refusal) => match refusal {
                UseRefusal::NoAgreement => "use.no-agreement",
                UseRefusal::NotSigned => "use.agreement-not-signed",
                UseRefusal::Terminated => "use.authorization-terminated",
                UseRefusal::OutsideTerm => "use.outside-term",
                UseRefusal::ModeNotAllowed(_) => "use.mode-not-authorized",
            },
            ApiError::SealedSecret => "internal.sealed-secret",
            ApiError::InvalidProduct { .. } => "product.invalid",
            ApiError::InvalidPipeline(_) => "product.invalid-pipeline",
            ApiError::ExceedsAuthorization(_) => "product.exceeds-authorization",
            ApiError::Price(PriceRefusal::AboveCap { .. }) => "pricing.above-cap",
            ApiError::Price(PriceRefusal::Negative) => "pricing.negative",
            ApiError::Price(PriceRefusal::AboveMaximum { .. }) => "pricing.above-maximum",
            ApiError::NoVersion(_) => "product.no-version",
            ApiError::ModeNotOffered(_) => "product.mode-not-offered",
            ApiError::Withdrawn(_) => "product.withdrawn",
            ApiError::Supply(refusal) => match refusal {
                Refusal::Suspended { .. } => "use.suspended",
                Refusal::QuotaExceeded { .. } => "use.quota-exceeded",
                Refusal::LimitReached { .. } => "use.authorization-limit-reached",
                Refusal::RateLimited { .. } => "use.rate-limited",
                Refusal::Use(_) => "use.refused",
            },
            ApiError::Statement(e) => match e {
                EngineError::NotAllowed(_) => "sandbox.not-allowed",
                EngineError::Sql(_) => "sandbox.sql",
                EngineError::MemoryLimit { .. } => "sandbox.memory-limit",
                EngineError::TimeLimit { .. } => "sandbox.time-limit",
                EngineError::Cancelled => "sandbox.cancelled",
                EngineError::NotReleasable(_) => "sandbox.not-releasable",
                EngineError::Unavailable(_) | EngineError::Data(_) | EngineError::Kept(_) => {
                    "internal.sandbox"
                }
            },
            ApiError::NoWorkspace(_) => "sandbox.no-workspace",
            ApiError::SandboxBusy { .. } => "sandbox.busy",
            ApiError::InvalidSandbox { .. } => "sandbox.invalid",
            ApiError::ReviewRefused(refusal) => match refusal {
                ReviewRefusal::OwnOutput => "sandbox.own-output",
                ReviewRefusal::AlreadyReviewed => "sandbox.already-reviewed",
                ReviewRefusal::NotAwaitingReview(_) => "sandbox.export-state",
            },
            ApiError::NotReleased { .. } => "sandbox.not-released",
            ApiError::Withheld { .. } => "sandbox.withheld",
            ApiError::ExportWithheld { .. } => "sandbox.export-withheld",
            ApiError::UploadRefused(_) => "sandbox.upload-refused",
            ApiError::ReadByExport { .. } => "sandbox.read-by-export",
            ApiError::TableGone(_) => "sandbox.table-gone",
            ApiError::FiledMeanwhile => "sandbox.filed-meanwhile",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotSignedIn
            | ApiError::InvalidCredentials
            | ApiError::KeyRefused(_)
            | ApiError::ApiKeyRequired => StatusCode::UNAUTHORIZED,
            ApiError::WrongParty(_)
            | ApiError::WrongRole(_)
            | ApiError::OtherOrganization
            | ApiError::SessionRequired
            | ApiError::CsrfMismatch
            | ApiError::WrongCurrentPassword
            | ApiError::NotAParty(_)
            | ApiError::UseRefused(_) => StatusCode::FORBIDDEN,
            ApiError::Supply(
                Refusal::QuotaExceeded { .. }
                | Refusal::LimitReached { .. }
                | Refusal::RateLimited { .. },
            ) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Supply(_) => StatusCode::FORBIDDEN,
            ApiError::Withdrawn(_) => StatusCode::GONE,
            ApiError::NoVersion(_)
            | ApiError::ModeNotOffered(_)
            | ApiError::SuspensionStep(_)
            | ApiError::OrderClosed(_) => StatusCode::CONFLICT,
            ApiError::InvalidProduct { .. }
            | ApiError::InvalidPipeline(_)
            | ApiError::ExceedsAuthorization(_)
            | ApiError::Price(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Transition(e) if e.is_wrong_party() => StatusCode::FORBIDDEN,
            ApiError::Transition(_)
            | ApiError::Signature(_)
            | ApiError::MissingParty(_)
            | ApiError::Changed { .. } => StatusCode::CONFLICT,
            ApiError::AccountLocked { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::WeakPassword(_)
            | ApiError::InvalidField { .. }
            | ApiError::BadName { .. }
            | ApiError::UnknownName(_)
            | ApiError::SelfDisable => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedBody(_) | ApiError::MalformedParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Registration(_) | ApiError::RegistrationCancelled => StatusCode::CONFLICT,
            ApiError::DeliveryRejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Storage(_)
            | ApiError::Password(_)
            | ApiError::Integrity(_)
            | ApiError::DataStorage(_)
            | ApiError::Recording(_)
            | ApiError::SealedSecret => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::CallStale => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Statement(e) => match e {
                EngineError::NotAllowed(_)
                | EngineError::Sql(_)
                | EngineError::MemoryLimit { .. }
                | EngineError::TimeLimit { .. }
                | EngineError::NotReleasable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                EngineError::Cancelled => StatusCode::CONFLICT,
                EngineError::Unavailable(_) | EngineError::Data(_) | EngineError::Kept(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            },
            ApiError::NoWorkspace(_) => StatusCode::NOT_FOUND,
            ApiError::SandboxBusy { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::InvalidSandbox { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::ReviewRefused(ReviewRefusal::OwnOutput) => StatusCode::FORBIDDEN,
            ApiError::ReviewRefused(_) | ApiError::NotReleased { .. } => StatusCode::CONFLICT,
            ApiError::Withheld { .. } | ApiError::ExportWithheld { .. } => StatusCode::FORBIDDEN,
            ApiError::UploadRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::ReadByExport { .. } | ApiError::TableGone(_) | ApiError::FiledMeanwhile => {
                StatusCode::CONFLICT
            }
        }
    }
}

/// The problem details body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:rongshu:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `access.wrong-party`.
    pub code: String,
    /// The request field the problem is about, where it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// Quote this when reporting a problem; the ledger records it too.
    pub request_id: String,
}

/// Whether a problem code refuses access, ledgered as a denial rather than
/// a failure: the gate's and handlers' access refusals, refused keys,
/// every step of the data-call chain after the key (a stale call is only
/// to be retried), and sandbox tables or results withheld with their
/// products.
pub(crate) fn is_denial(code: &str) -> bool {
    code.starts_with("access.")
        || code.starts_with("auth.key-")
        || (code.starts_with("use.") && code != "use.retry")
        || code == "product.withdrawn"
        || code == "auth.api-key-required"
        || code == "sandbox.withheld"
        || code == "sandbox.export-withheld"
}

/// Attached to error responses so the gate can ledger the failure's code
/// and the console can render it as a page.
#[derive(Clone, Debug)]
pub(crate) struct ProblemInfo {
    pub code: &'static str,
    pub detail: String,
    pub field: Option<&'static str>,
}

impl ProblemInfo {
    /// The problem as `application/problem+json` under `title`: the
    /// status's reason phrase, or on the console the code's own words in
    /// the reader's language.
    pub(crate) fn response(
        &self,
        status: StatusCode,
        title: String,
        request_id: String,
    ) -> Response {
        let body = Problem {
            kind: format!("urn:rongshu:problem:{}", self.code),
            title,
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            field: self.field,
            request_id,
        };
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl ApiError {
    /// A request field the route cannot accept, and why.
    pub(crate) fn invalid(field: &'static str, problem: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::InvalidField {
            field,
            problem: problem.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let request_id = REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        if status.is_server_error() {
            tracing::error!(request_id = %request_id, error = ?self, "request failed");
        }
        let info = ProblemInfo {
            code: self.code(),
            detail: self.to_string(),
            field: self.field(),
        };
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let mut response = info.response(status, title, request_id);
        if let ApiError::Supply(refusal) = &self
            && let Some(secs) = refusal.retry_after_secs(crate::state::now_ms())
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(info);
        response
    }
}

/// An error whose failure the handler already ledgered in its own
/// transaction (a failed sign-in counts towards lockout), so the gate
/// does not ledger it again.
#[derive(Debug)]
pub(crate) struct Ledgered(pub ApiError);

/// Marks a response whose outcome is already in the ledger.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AlreadyLedgered;

impl IntoResponse for Ledgered {
    fn into_response(self) -> Response {
        let mut r = self.0.into_response();
        r.extensions_mut().insert(AlreadyLedgered);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let all = [
            ApiError::NotSignedIn,
            ApiError::WrongParty(PartyType::User),
            ApiError::WrongRole(Role::Staff),
            ApiError::OtherOrganization,
            ApiError::SessionRequired,
            ApiError::ApiKeyRequired,
            ApiError::InvalidCredentials,
            ApiError::AccountLocked {
                until: String::new(),
            },
            ApiError::WrongCurrentPassword,
            ApiError::CsrfMismatch,
            ApiError::WeakPassword(WeakPassword::TooSimple),
            ApiError::invalid("f", "p"),
            ApiError::BadName {
                field: "f",
                source: BadName::Username,
            },
            ApiError::UnknownName(UnknownName {
                what: "x",
                name: String::new(),
                expected: String::new(),
            }),
            ApiError::SelfDisable,
            ApiError::MalformedBody(String::new()),
            ApiError::MalformedParameter(String::new()),
            ApiError::NotFound {
                what: "x",
                id: String::new(),
            },
            ApiError::Duplicate {
                what: "x",
                value: String::new(),
            },
            ApiError::NoRoute,
            ApiError::MethodNotAllowed,
            ApiError::PayloadTooLarge,
            ApiError::Storage(StoreError::Corrupt {
                what: "x",
                value: String::new(),
            }),
            ApiError::Registration(RegistrationError::Cancelled),
            ApiError::RegistrationCancelled,
            ApiError::Integrity(String::new()),
            ApiError::DataStorage(String::new()),
            ApiError::CallStale,
            ApiError::Recording(String::new()),
            ApiError::DeliveryRejected {
                ingest_id: 1,
                source: IngestError::NoHeader,
            },
            ApiError::Statement(EngineError::NotAllowed(String::new())),
            ApiError::Statement(EngineError::Sql(String::new())),
            ApiError::Statement(EngineError::MemoryLimit { limit_mb: 1 }),
            ApiError::Statement(EngineError::TimeLimit { seconds: 1 }),
            ApiError::Statement(EngineError::Cancelled),
            ApiError::Statement(EngineError::NotReleasable(String::new())),
            ApiError::Statement(EngineError::Unavailable(String::new())),
            ApiError::NoWorkspace(1),
            ApiError::SandboxBusy { running: 1 },
            ApiError::InvalidSandbox {
                field: "f",
                problem: String::new(),
            },
            ApiError::ReviewRefused(ReviewRefusal::OwnOutput),
            ApiError::ReviewRefused(ReviewRefusal::AlreadyReviewed),
            ApiError::ReviewRefused(ReviewRefusal::NotAwaitingReview(
                rongshu_domain::output::ExportStatus::Approved,
            )),
            ApiError::NotReleased {
                id: 1,
                status: String::new(),
            },
            ApiError::Withheld {
                table: String::new(),
                product: String::new(),
            },
            ApiError::ExportWithheld {
                export: 1,
                product: String::new(),
            },
            ApiError::UploadRefused(String::new()),
            ApiError::ReadByExport {
                table: String::new(),
                export: 1,
            },
            ApiError::TableGone(String::new()),
            ApiError::FiledMeanwhile,
            ApiError::KeyRefused(KeyRefusal::Unknown),
            ApiError::KeyRefused(KeyRefusal::OtherListener),
            ApiError::KeyRefused(KeyRefusal::Revoked),
            ApiError::KeyRefused(KeyRefusal::AccountDisabled),
            ApiError::KeyRefused(KeyRefusal::Expired),
            ApiError::SuspensionStep(SuspensionRefusal::Resumed),
            ApiError::SuspensionStep(SuspensionRefusal::NotRectified),
            ApiError::OrderClosed(1),
        ];
        let mut codes: Vec<_> = all.iter().map(ApiError::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn refusals_of_access_are_denials_and_failures_are_not() {
        let denials = [
            "access.wrong-party",
            "auth.key-revoked",
            "use.authorization-terminated",
            "use.suspended",
            "use.quota-exceeded",
            "product.withdrawn",
            "auth.api-key-required",
            "sandbox.withheld",
            "sandbox.export-withheld",
        ];
        assert!(denials.into_iter().all(super::is_denial));
        let failures = ["use.retry", "validation.invalid-field", "internal.storage"];
        assert!(!failures.into_iter().any(super::is_denial));
    }
}
