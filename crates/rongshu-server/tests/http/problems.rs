//! Bad input always gets a specific problem, never a panic.

use rongshu_domain::{PartyType, Role};

use reqwest::Method;

use crate::common::{TestServer, client, expect_problem};

#[tokio::test]
async fn malformed_bodies_and_parameters() {
    let server = TestServer::start().await;
    let r = client()
        .post(server.url("/api/v1/sessions"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_problem(r, 400, "request.malformed-body").await;
    let r = client()
        .post(server.url("/api/v1/sessions"))
        .header("content-type", "application/json")
        .body(r#"{"username":"a","password":"b","extra":1}"#)
        .send()
        .await
        .unwrap();
    expect_problem(r, 400, "request.malformed-body").await;
    let token = server.token(PartyType::Operator, Role::Admin).await;
    let r = server
        .call(Method::POST, "/api/v1/accounts/abc/disable", &token, None)
        .await;
    expect_problem(r, 400, "request.malformed-parameter").await;
    let r = server
        .call(Method::POST, "/api/v1/accounts/99999/disable", &token, None)
        .await;
    expect_problem(r, 404, "resource.not-found").await;
}

#[tokio::test]
async fn unknown_routes_methods_and_oversized_bodies() {
    let server = TestServer::start().await;
    let r = client()
        .get(server.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    expect_problem(r, 404, "request.no-route").await;
    let r = client()
        .patch(server.url("/api/v1/sessions"))
        .send()
        .await
        .unwrap();
    expect_problem(r, 405, "request.method-not-allowed").await;
    let big = format!(
        r#"{{"username":"{}","password":"x"}}"#,
        "a".repeat(100 * 1024)
    );
    let r = client()
        .post(server.url("/api/v1/sessions"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    expect_problem(r, 413, "request.too-large").await;
}

#[tokio::test]
async fn failures_are_ledgered_with_their_code() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::Operator, Role::Admin).await;
    let before = server.head().await;
    let r = client()
        .post(server.url("/api/v1/organizations"))
        .bearer_auth(&token)
        .header("x-request-id", "req-bad-org")
        .json(&serde_json::json!({ "code": "Bad Code", "name": "x", "party_type": "provider" }))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422, "validation.bad-name").await;
    let entries = server.entries_after(before).await;
    assert_eq!(entries.len(), 1);
    let d = &entries[0].draft;
    assert_eq!(d.outcome, rongshu_ledger::Outcome::Failed);
    assert_eq!(d.reason.as_deref(), Some("validation.bad-name"));
    assert_eq!(d.request_id.as_deref(), Some("req-bad-org"));
    assert_eq!(d.actor_username.as_deref(), Some("operator-admin"));
}

#[tokio::test]
async fn health_metrics_and_api_description() {
    let server = TestServer::start().await;
    assert_eq!(
        client()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(
        client()
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.token(PartyType::User, Role::Staff).await;
    let metrics = client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(
        r#"rongshu_http_requests_total{route="/api/v1/sessions",method="POST",status="201"} 1"#
    ));
    assert!(
        metrics.contains("rongshu_http_request_duration_seconds_bucket{route=\"/api/v1/sessions\"")
    );
    assert!(metrics.contains("rongshu_ledger_entries_written_total"));
    let doc: serde_json::Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let docs = client()
        .get(server.url("/api/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(docs.contains("/api/v1/ledger/verification"));
}
