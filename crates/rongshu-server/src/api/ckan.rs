//! A CKAN-compatible read API (`/api/3/action/...`) and a DCAT JSON-LD
//! export of the catalogue, so open-data tools (the `ckanapi` client,
//! harvesters) read the operation catalogue unchanged. Callers who are not
//! signed in see open resources only; an API key (sent bare, as CKAN
//! clients do, or as a bearer token) shows the whole catalogue.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rongshu_domain::resource::Theme;
use rongshu_store::{Resource, ResourceFilter};
use serde_json::{Value, json};

use super::types::rfc3339;
use crate::context::{Path, RequestContext};
use crate::error::ApiError;
use crate::state::AppState;

/// CKAN's reply envelope.
fn reply(action: &str, result: Value) -> Response {
    axum::Json(json!({
        "help": format!("/api/3/action/help_show?name={action}"),
        "success": true,
        "result": result,
    }))
    .into_response()
}

/// CKAN's error envelope, which its clients map to their own exceptions.
fn ckan_error(status: StatusCode, kind: &str, message: String) -> Response {
    let mut r = (
        status,
        axum::Json(json!({
            "help": "/api/3/action/help_show",
            "success": false,
            "error": { "__type": kind, "message": message },
        })),
    )
        .into_response();
    // The gate ledgers failures by code, like any other refusal.
    r.extensions_mut().insert(crate::error::ProblemInfo {
        code: if status == StatusCode::NOT_FOUND {
            "resource.not-found"
        } else {
            "validation.invalid-field"
        },
        detail: kind.to_owned(),
        field: None,
    });
    r
}

fn validation(message: impl Into<String>) -> Response {
    ckan_error(StatusCode::CONFLICT, "Validation Error", message.into())
}

/// Parameters from the query string, then a JSON or form body (CKAN
/// clients POST JSON).
fn parameters(
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<BTreeMap<String, String>, String> {
    let mut params: BTreeMap<String, String> = query
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .collect();
    if body.is_empty() {
        return Ok(params);
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.contains("json"));
    if json {
        let Value::Object(map) =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?
        else {
            return Err("the body must be a JSON object".into());
        };
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s,
                Value::Null => continue,
                other => other.to_string(),
            };
            params.insert(k, text);
        }
    } else {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| format!("the body is not a form: {e}"))?;
        params.extend(form);
    }
    Ok(params)
}

/// A page size and start from `size_key` and `start_key`.
fn paging(
    params: &BTreeMap<String, String>,
    (size_key, default, max): (&str, u32, u32),
    start_key: &str,
) -> Result<(u32, u32), String> {
    let number = |key: &str, default: u32, max: u32| match params.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map(|n| n.min(max))
            .map_err(|_| format!("{key}: must be a non-negative whole number")),
    };
    Ok((
        number(size_key, default, max)?,
        number(start_key, 0, u32::MAX)?,
    ))
}

fn package(r: &Resource, themes: &[Theme]) -> Value {
    let theme = themes.iter().find(|t| t.code == r.about.theme);
    let grade = r.grade.or(r.suggested_grade);
    json!({
        "id": r.code,
        "name": r.code,
        "title": r.about.title,
        "notes": r.about.description,
        "type": "dataset",
        "state": "active",
        "private": !r.about.open_data,
        "license_id": if r.about.open_data { "other-open" } else { "other-closed" },
        "metadata_created": rfc3339(r.created_at_ms),
        "metadata_modified": rfc3339(r.updated_at_ms),
        "owner_org": r.provider_code,
        "organization": {
            "id": r.provider_code,
            "name": r.provider_code,
            "title": r.provider_name,
            "type": "organization",
            "state": "active",
            "is_organization": true,
        },
        "groups": theme.map(|t| vec![json!({
            "id": t.code, "name": t.code, "title": t.name_zh, "display_name": t.name_zh,
        })]).unwrap_or_default(),
        "tags": r.about.service_modes.iter().map(|m| json!({ "name": m.as_str(), "display_name": m.as_str() })).collect::<Vec<_>>(),
        "num_tags": r.about.service_modes.len(),
        "extras": [
            { "key": "grade", "value": grade.map_or("", |g| g.as_str()) },
            { "key": "grade_confirmed", "value": r.grade.is_some().to_string() },
            { "key": "update_frequency", "value": r.about.update_frequency.as_str() },
            { "key": "open_data", "value": r.about.open_data.to_string() },
            { "key": "registration_status", "value": r.registration.status.map_or("", |s| s.as_str()) },
            { "key": "registration_code", "value": r.registration.code.as_deref().unwrap_or("") },
        ],
        "num_resources": usize::from(r.latest_version.is_some()),
        "resources": r.latest_version.map(|n| vec![json!({
            "id": format!("{}-v{n}", r.code),
            "package_id": r.code,
            "name": format!("{} v{n}", r.about.title),
            "format": "Parquet",
            "description": format!("{} rows; served through the platform's service modes, never as a raw file", r.latest_rows.unwrap_or(0)),
            "url": format!("/catalogue/{}", r.code),
            "last_modified": r.last_delivered_at_ms.map(rfc3339),
            "state": "active",
        })]).unwrap_or_default(),
    })
}

/// Solr-style filter queries CKAN clients send: `field:value` terms,
/// joined by spaces or AND, on the fields this catalogue has.
fn apply_fq(
    fq: &str,
    filter: &mut ResourceFilter,
    provider_code: &mut Option<String>,
) -> Result<(), String> {
    for term in fq.split_whitespace().filter(|t| *t != "AND" && *t != "+") {
        let (field, value) = term
            .split_once(':')
            .ok_or_else(|| format!("fq: {term:?} is not field:value"))?;
        let value = value.trim_matches('"').to_owned();
        match field.trim_start_matches('+') {
            "organization" | "owner_org" => *provider_code = Some(value),
            "groups" => filter.theme = Some(value),
            "name" | "id" => filter.text = Some(value),
            "private" => filter.open_only = value == "false",
            other => {
                return Err(format!(
                    "fq: filtering on {other:?} is not supported; use organization, groups, name or private"
                ));
            }
        }
    }
    Ok(())
}

pub(crate) async fn action(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(action): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = match parameters(uri.query(), &headers, &body) {
        Ok(p) => p,
        Err(message) => return Ok(validation(message)),
    };
    let signed_in = ctx.principal.is_some();
    let visible = ResourceFilter {
        open_only: !signed_in,
        ..ResourceFilter::default()
    };
    let store = state.store();
    Ok(match action.as_str() {
        "package_list" => {
            let (limit, offset) = match paging(&params, ("limit", 1000, 1000), "offset") {
                Ok(p) => p,
                Err(message) => return Ok(validation(message)),
            };
            let page = ResourceFilter {
                limit: Some(limit),
                offset,
                ..visible
            };
            let names: Vec<String> = store
                .resources(&page)
                .await?
                .into_iter()
                .map(|r| r.code)
                .collect();
            reply(&action, json!(names))
        }
        "package_search" => {
            let (rows, start) = match paging(&params, ("rows", 10, 1000), "start") {
                Ok(p) => p,
                Err(message) => return Ok(validation(message)),
            };
            let mut filter = visible.clone();
            let q = params.get("q").map(String::as_str).unwrap_or("").trim();
            if !q.is_empty() && q != "*:*" {
                filter.text = Some(q.to_owned());
            }
            let mut provider_code = None;
            if let Some(fq) = params.get("fq")
                && let Err(message) = apply_fq(fq, &mut filter, &mut provider_code)
            {
                return Ok(validation(message));
            }
            filter.open_only |= visible.open_only;
            if let Some(code) = provider_code {
                match store.organization_by_code(&code).await? {
                    Some(org) => filter.provider_id = Some(org.id),
                    None => {
                        return Ok(reply(
                            &action,
                            json!({ "count": 0, "results": [], "facets": {}, "search_facets": {}, "sort": "score desc, metadata_modified desc" }),
                        ));
                    }
                }
            }
            let count = store.count_resources(&filter).await?;
            let page = ResourceFilter {
                limit: Some(rows),
                offset: start,
                ..filter
            };
            let results: Vec<Value> = store
                .resources(&page)
                .await?
                .iter()
                .map(|r| package(r, &state.settings().themes))
                .collect();
            reply(
                &action,
                json!({
                    "count": count,
                    "results": results,
                    "facets": {},
                    "search_facets": {},
                    "sort": "score desc, metadata_modified desc",
                }),
            )
        }
        "package_show" => {
            let Some(id) = params.get("id").or_else(|| params.get("name")) else {
                return Ok(validation("id: missing value"));
            };
            match store.resource_by_code(id).await {
                Ok(r) if r.about.open_data || signed_in => {
                    reply(&action, package(&r, &state.settings().themes))
                }
                Ok(_) | Err(rongshu_store::StoreError::NotFound { .. }) => {
                    ckan_error(StatusCode::NOT_FOUND, "Not Found Error", "Not found".into())
                }
                Err(e) => return Err(e.into()),
            }
        }
        "organization_list" => {
            let all_fields = params
                .get("all_fields")
                .is_some_and(|v| v == "true" || v == "True");
            let resources = store.resources(&visible).await?;
            let mut providers: Vec<(&str, &str, usize)> = Vec::new();
            for r in &resources {
                match providers.iter_mut().find(|p| p.0 == r.provider_code) {
                    Some(p) => p.2 += 1,
                    None => providers.push((&r.provider_code, &r.provider_name, 1)),
                }
            }
            providers.sort();
            let result: Vec<Value> = providers
                .iter()
                .map(|(code, name, count)| {
                    if all_fields {
                        json!({ "id": code, "name": code, "title": name, "display_name": name, "package_count": count, "type": "organization", "is_organization": true, "state": "active" })
                    } else {
                        json!(code)
                    }
                })
                .collect();
            reply(&action, json!(result))
        }
        "group_list" => {
            let themes: Vec<Value> = state
                .settings()
                .themes
                .iter()
                .map(|t| json!(t.code))
                .collect();
            reply(&action, json!(themes))
        }
        "status_show" => reply(
            &action,
            json!({
                "site_title": "蓉数 Rongshu",
                "ckan_version": "2.10.0",
                "api_version": 3,
                "extensions": [],
            }),
        ),
        other => ckan_error(
            StatusCode::BAD_REQUEST,
            "Bad request",
            format!("Bad request - Action name not known: {other}"),
        ),
    })
}

/// The catalogue as a DCAT-AP style JSON-LD document.
pub(crate) async fn dcat(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scheme = if state.settings().secure_cookies {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b))
        })
        .unwrap_or("localhost");
    let base = format!("{scheme}://{host}");
    let filter = ResourceFilter {
        open_only: ctx.principal.is_none(),
        ..ResourceFilter::default()
    };
    let datasets: Vec<Value> = state
        .store()
        .resources(&filter)
        .await?
        .iter()
        .map(|r| {
            json!({
                "@id": format!("{base}/catalogue/{}", r.code),
                "@type": "dcat:Dataset",
                "dct:identifier": r.code,
                "dct:title": { "@value": r.about.title, "@language": "zh" },
                "dct:description": { "@value": r.about.description, "@language": "zh" },
                "dct:publisher": { "@type": "foaf:Organization", "foaf:name": r.provider_name },
                "dcat:theme": r.about.theme,
                "dcat:keyword": r.about.service_modes.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "dct:accrualPeriodicity": r.about.update_frequency.as_str(),
                "dct:issued": { "@value": rfc3339(r.created_at_ms), "@type": "xsd:dateTime" },
                "dct:modified": { "@value": rfc3339(r.updated_at_ms), "@type": "xsd:dateTime" },
                "dct:accessRights": if r.about.open_data { "PUBLIC" } else { "RESTRICTED" },
                "rongshu:grade": r.grade.or(r.suggested_grade).map(|g| g.as_str()),
                "dcat:distribution": r.latest_version.map(|n| vec![json!({
                    "@id": format!("{base}/catalogue/{}#v{n}", r.code),
                    "@type": "dcat:Distribution",
                    "dct:title": format!("v{n}"),
                    "dcat:mediaType": "application/vnd.apache.parquet",
                    "dcat:accessURL": { "@id": format!("{base}/catalogue/{}", r.code) },
                })]).unwrap_or_default(),
            })
        })
        .collect();
    let doc = json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "rongshu": format!("{base}/ns#"),
        },
        "@id": format!("{base}/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": { "@value": "公共数据运营清单", "@language": "zh" },
        "dct:publisher": { "@type": "foaf:Organization", "foaf:name": "蓉数 Rongshu" },
        "dcat:dataset": datasets,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/ld+json")],
        doc.to_string(),
    )
        .into_response())
}
