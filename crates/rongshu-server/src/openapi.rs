//! The OpenAPI 3.1 description, generated from the route table and the
//! wire types, and a human reference page rendered from it.

use std::sync::LazyLock;

use maud::{DOCTYPE, html};
use rongshu_domain::{Access, PartySet, RoleSet};
use utoipa::IntoParams;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ArrayBuilder, ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, ObjectBuilder,
    OpenApi, OpenApiBuilder, Paths, Ref, Required, ResponseBuilder, Type,
};

use crate::api::product_types::*;
use crate::api::resource_types::*;
use crate::api::sandbox_types::*;
use crate::api::types::*;
use crate::api::workflow_types::*;
use crate::error::Problem;
use crate::routes::{RouteSpec, Surface, routes};

/// Who may call a route, in words.
pub(crate) fn describe_access(access: &Access) -> String {
    match access {
        Access::Public => "public".to_owned(),
        Access::Restricted(grants) => grants
            .iter()
            .map(|g| {
                let parties = if g.parties == PartySet::ALL {
                    "any party".to_owned()
                } else {
                    g.parties
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let roles = if g.roles == RoleSet::ALL {
                    "any role".to_owned()
                } else {
                    g.roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!("{parties} ({roles})")
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn method(spec: &RouteSpec) -> HttpMethod {
    match spec.method.as_str() {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        "PATCH" => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

/// `Name` refers to a component schema; `Name[]` to an array of them.
fn json_content(schema: &str) -> utoipa::openapi::Content {
    let content = match schema.strip_suffix("[]") {
        Some(item) => ContentBuilder::new()
            .schema(Some(ArrayBuilder::new().items(Ref::from_schema_name(item)))),
        None => ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))),
    };
    content.build()
}

fn build() -> OpenApi {
    let mut paths = Paths::new();
    for spec in routes().iter().filter(|s| {
        (s.path.starts_with("/api/v1/") && s.surface == Surface::Api) || s.surface == Surface::Front
    }) {
        let tag = spec.action.split('.').next().unwrap_or("api");
        let mut op = OperationBuilder::new()
            .operation_id(Some(format!(
                "{}-{}",
                spec.method.as_str().to_lowercase(),
                spec.action
            )))
            .summary(Some(spec.summary))
            .description(Some(format!("Access: {}.", describe_access(&spec.access))))
            .tag(tag);
        if let Some(query) = spec.wire.query {
            for p in query_parameters(query)
                .unwrap_or_else(|| panic!("no query parameters named {query}"))
            {
                op = op.parameter(p);
            }
        }
        for name in path_parameters(spec.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(if name == "code" {
                        Type::String
                    } else {
                        Type::Integer
                    }))),
            );
        }
        if spec.surface == Surface::Front && spec.method == axum::http::Method::POST {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/octet-stream", ContentBuilder::new().build())
                    .build(),
            ));
        }
        if let Some(req) = spec.wire.body {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(req))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        let ok = ResponseBuilder::new().description("Success");
        let ok = match spec.wire.reply {
            Some(resp) => ok.content("application/json", json_content(resp)),
            None => ok,
        };
        op = op.response("2XX", ok.build()).response(
            "default",
            ResponseBuilder::new()
                .description("A problem: application/problem+json with a stable `code`")
                .content("application/problem+json", json_content("Problem"))
                .build(),
        );
        if spec.access != Access::Public {
            op = op.securities(Some([SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            )]));
        }
        paths.add_path_operation(spec.path, vec![method(spec)], op.build());
    }
    let components = ComponentsBuilder::new()
        .schema_from::<Problem>()
        .schema_from::<SignInRequest>()
        .schema_from::<SessionCreated>()
        .schema_from::<AccountView>()
        .schema_from::<ChangePasswordRequest>()
        .schema_from::<ResetPasswordRequest>()
        .schema_from::<CreateApiKeyRequest>()
        .schema_from::<ApiKeyView>()
        .schema_from::<ApiKeyCreated>()
        .schema_from::<OrganizationView>()
        .schema_from::<CreateOrganizationRequest>()
        .schema_from::<CreateAccountRequest>()
        .schema_from::<LedgerEntryView>()
        .schema_from::<LedgerPage>()
        .schema_from::<LedgerQuery>()
        .schema_from::<VerificationView>()
        .schema_from::<ThemeView>()
        .schema_from::<CatalogueQuery>()
        .schema_from::<ResourceView>()
        .schema_from::<ProviderRef>()
        .schema_from::<RegistrationView>()
        .schema_from::<RegistrationFields>()
        .schema_from::<CreateResourceRequest>()
        .schema_from::<ResourceRequest>()
        .schema_from::<RegistrationRequest>()
        .schema_from::<FieldView>()
        .schema_from::<GradingRequest>()
        .schema_from::<FieldDecisionRequest>()
        .schema_from::<VersionView>()
        .schema_from::<VersionFieldView>()
        .schema_from::<CompareQuery>()
        .schema_from::<VersionComparison>()
        .schema_from::<RetypedField>()
        .schema_from::<IngestView>()
        .schema_from::<DeliveryQuery>()
        .schema_from::<DeliveryReceipt>()
        .schema_from::<PullRequest>()
        .schema_from::<PullView>()
        .schema_from::<DueView>()
        .schema_from::<DemandItemView>()
        .schema_from::<DemandView>()
        .schema_from::<DemandDetail>()
        .schema_from::<DemandRequest>()
        .schema_from::<DemandStepRequest>()
        .schema_from::<ReviewRequest>()
        .schema_from::<DemandListView>()
        .schema_from::<ListRequest>()
        .schema_from::<AssessmentView>()
        .schema_from::<AnswerRequest>()
        .schema_from::<AuthorizedResourceView>()
        .schema_from::<AuthorizationView>()
        .schema_from::<TerminateRequest>()
        .schema_from::<DeliveryTaskView>()
        .schema_from::<SignatureView>()
        .schema_from::<AgreementView>()
        .schema_from::<DisputeView>()
        .schema_from::<DisputeRequest>()
        .schema_from::<DisputeStepRequest>()
        .schema_from::<NotificationView>()
        .schema_from::<Inbox>()
        .schema_from::<ReadRequest>()
        .schema_from::<UseQuery>()
        .schema_from::<UseView>()
        .schema_from::<ReportView>()
        .schema_from::<EvidenceView>()
        .schema_from::<EvidenceQuery>()
        .schema_from::<WebhookView>()
        .schema_from::<WebhookCreated>()
        .schema_from::<WebhookRequest>()
        .schema_from::<ProductRequest>()
        .schema_from::<CallExample>()
        .schema_from::<ProductView>()
        .schema_from::<PriceCapRequest>()
        .schema_from::<WithdrawRequest>()
        .schema_from::<WithdrawalView>()
        .schema_from::<QueryRequest>()
        .schema_from::<QueryResult>()
        .schema_from::<VerifyRequest>()
        .schema_from::<Verdict>()
        .schema_from::<VerifyResult>()
        .schema_from::<DownloadQuery>()
        .schema_from::<PreviewQuery>()
        .schema_from::<SampleView>()
        .schema_from::<KAnonymityView>()
        .schema_from::<PreviewView>()
        .schema_from::<SuspensionRequest>()
        .schema_from::<RectificationRequest>()
        .schema_from::<SuspensionView>()
        .schema_from::<UsageQuery>()
        .schema_from::<UsageView>()
        .schema_from::<StatementLineView>()
        .schema_from::<StatementView>()
        .schema_from::<PriceView>()
        .schema_from::<ConsultingRequest>()
        .schema_from::<MessageRequest>()
        .schema_from::<DeliverableQuery>()
        .schema_from::<ConsultingMessageView>()
        .schema_from::<ConsultingOrderView>()
        .schema_from::<FeedbackRequest>()
        .schema_from::<FeedbackFileQuery>()
        .schema_from::<FeedbackView>()
        .schema_from::<OverdueFeedbackView>()
        .schema_from::<SandboxColumnView>()
        .schema_from::<SandboxTableView>()
        .schema_from::<UploadQuery>()
        .schema_from::<WorkspaceView>()
        .schema_from::<StatementRequest>()
        .schema_from::<AnswerView>()
        .schema_from::<HistoryEntryView>()
        .schema_from::<ExportRequest>()
        .schema_from::<CheckFailureView>()
        .schema_from::<ExportView>()
        .schema_from::<OutputReviewRequest>()
        .schema_from::<ExportsQuery>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from POST /api/v1/sessions, or an API key (rsk_...); \
                         query, verification and download calls take an API key only.",
                    ))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Rongshu (蓉数) public data operation platform API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Every call is recorded in the tamper-evident ledger. Errors are application/problem+json.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

/// The query parameters of a named query type.
fn query_parameters(name: &str) -> Option<Vec<utoipa::openapi::path::Parameter>> {
    match name {
        "LedgerQuery" => Some(LedgerQuery::into_params(|| Some(ParameterIn::Query))),
        "CatalogueQuery" => Some(CatalogueQuery::into_params(|| Some(ParameterIn::Query))),
        "CompareQuery" => Some(CompareQuery::into_params(|| Some(ParameterIn::Query))),
        "DeliveryQuery" => Some(DeliveryQuery::into_params(|| Some(ParameterIn::Query))),
        "UseQuery" => Some(UseQuery::into_params(|| Some(ParameterIn::Query))),
        "EvidenceQuery" => Some(EvidenceQuery::into_params(|| Some(ParameterIn::Query))),
        "DownloadQuery" => Some(DownloadQuery::into_params(|| Some(ParameterIn::Query))),
        "PreviewQuery" => Some(PreviewQuery::into_params(|| Some(ParameterIn::Query))),
        "UsageQuery" => Some(UsageQuery::into_params(|| Some(ParameterIn::Query))),
        "DeliverableQuery" => Some(DeliverableQuery::into_params(|| Some(ParameterIn::Query))),
        "FeedbackFileQuery" => Some(FeedbackFileQuery::into_params(|| Some(ParameterIn::Query))),
        "UploadQuery" => Some(UploadQuery::into_params(|| Some(ParameterIn::Query))),
        "ExportsQuery" => Some(ExportsQuery::into_params(|| Some(ParameterIn::Query))),
        _ => None,
    }
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string_pretty(&build()).expect("the OpenAPI document serialises")
});

pub(crate) fn document_json() -> &'static str {
    &DOCUMENT
}

/// A self-contained HTML reference, with no script and no external asset.
pub(crate) fn reference_page() -> String {
    let api: Vec<&RouteSpec> = routes()
        .iter()
        .filter(|s| s.path.starts_with("/api/v1/"))
        .collect();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Rongshu API reference" }
                link rel="stylesheet" href="/assets/style.css";
            }
            body.reference {
                main.page {
                    h1 { "Rongshu API reference · 蓉数接口说明" }
                    p { "Machine-readable description: " a href="/api/v1/openapi.json" { "/api/v1/openapi.json" } " (OpenAPI 3.1). "
                        "Authenticate with " code { "Authorization: Bearer <token>" } " using a session token or an API key (query, verification and download calls: an API key only). "
                        "Errors are " code { "application/problem+json" } " with a stable " code { "code" } " and the " code { "request_id" } "." }
                    table.grid {
                        thead { tr { th { "Method" } th { "Path" } th { "What it does" } th { "Who may call it" } th { "Body → reply" } } }
                        tbody {
                            @for s in &api {
                                tr {
                                    td { code { (s.method.as_str()) } }
                                    td { code { (s.path) } }
                                    td { (s.summary) }
                                    td { (describe_access(&s.access)) }
                                    td { (s.wire.body.unwrap_or("–")) " → " (s.wire.reply.unwrap_or("–")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_and_every_schema_named_exists() {
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for spec in routes() {
            for name in [spec.wire.body, spec.wire.reply].into_iter().flatten() {
                let name = name.trim_end_matches("[]");
                assert!(
                    schemas.contains_key(name),
                    "{} {} names missing schema {name}",
                    spec.method,
                    spec.path
                );
            }
        }
        assert!(doc["paths"]["/api/v1/accounts/{id}/disable"]["post"].is_object());
        let params = doc["paths"]["/api/v1/ledger"]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "before_seq" && p["in"] == "query")
        );
        let list = &doc["paths"]["/api/v1/me/api-keys"]["get"]["responses"]["2XX"]["content"]["application/json"];
        assert_eq!(list["schema"]["type"], "array", "{list}");
        assert!(doc["paths"]["/api/v1/me/api-keys"]["post"].is_object());
    }

    #[test]
    fn access_reads_plainly() {
        assert_eq!(describe_access(&Access::Public), "public");
        let ledger = routes()
            .iter()
            .find(|r| r.path == "/api/v1/ledger")
            .unwrap();
        assert_eq!(
            describe_access(&ledger.access),
            "any party (auditor); bigdata_center (any role)"
        );
    }
}
