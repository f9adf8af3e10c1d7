//! The ledger over HTTP: scope, filters, verification, the viewer.

use rongshu_domain::{PartyType, Role};

use reqwest::Method;

use crate::common::{TestServer, expect_problem};

async fn entries(server: &TestServer, token: &str, query: &str) -> Vec<serde_json::Value> {
    let r = server
        .call(Method::GET, &format!("/api/v1/ledger{query}"), token, None)
        .await;
    assert_eq!(r.status(), 200);
    let page: serde_json::Value = r.json().await.unwrap();
    page["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn auditors_see_their_own_organisation_and_the_big_data_center_sees_all() {
    let server = TestServer::start().await;
    // Some activity by two organisations.
    server.token(PartyType::Provider, Role::Staff).await;
    server.token(PartyType::User, Role::Staff).await;
    let provider_auditor = server.token(PartyType::Provider, Role::Auditor).await;
    let bdc = server.token(PartyType::BigDataCenter, Role::Staff).await;
    let provider_org = server.account(PartyType::Provider, Role::Auditor).org_id;

    let own = entries(&server, &provider_auditor, "?limit=500").await;
    assert!(!own.is_empty());
    assert!(
        own.iter().all(|e| e["organization_id"] == provider_org),
        "only the provider's entries"
    );
    let all = entries(&server, &bdc, "?limit=500").await;
    assert!(all.iter().any(|e| e["actor_username"] == "user-staff"));
    assert!(all.len() > own.len());

    let logins = entries(&server, &bdc, "?action=session.create&actor=user-staff").await;
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0]["outcome"], "success");
    assert_eq!(logins[0]["client_addr"], "127.0.0.1");
}

#[tokio::test]
async fn reads_of_the_ledger_are_ledgered() {
    let server = TestServer::start().await;
    let bdc = server.token(PartyType::BigDataCenter, Role::Auditor).await;
    entries(&server, &bdc, "").await;
    let reads = entries(&server, &bdc, "?action=ledger.read").await;
    assert_eq!(
        reads.len(),
        1,
        "the first read is in the ledger by the time of the second"
    );
    assert_eq!(reads[0]["object_id"], "GET /api/v1/ledger");
}

#[tokio::test]
async fn paging_and_bad_filters() {
    let server = TestServer::start().await;
    let bdc = server.token(PartyType::BigDataCenter, Role::Staff).await;
    let r = server
        .call(Method::GET, "/api/v1/ledger?limit=2", &bdc, None)
        .await;
    let page: serde_json::Value = r.json().await.unwrap();
    let next = page["next_before_seq"].as_i64().unwrap();
    let older = entries(&server, &bdc, &format!("?limit=2&before_seq={next}")).await;
    assert!(older.iter().all(|e| e["seq"].as_i64().unwrap() < next));
    let r = server
        .call(Method::GET, "/api/v1/ledger?since=yesterday", &bdc, None)
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let r = server
        .call(Method::GET, "/api/v1/ledger?limit=0", &bdc, None)
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let r = server
        .call(Method::GET, "/api/v1/ledger?object_id=12", &bdc, None)
        .await;
    let problem = expect_problem(r, 422, "validation.invalid-field").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("object_type"),
        "{problem}"
    );
    assert_eq!(problem["field"], "object_id");
    let by_object = "?object_type=product&object_id=12";
    assert!(entries(&server, &bdc, by_object).await.is_empty());
    let r = server
        .call(Method::GET, "/api/v1/ledger?colour=red", &bdc, None)
        .await;
    expect_problem(r, 400, "request.malformed-parameter").await;
}

#[tokio::test]
async fn verification_reports_an_intact_chain() {
    let server = TestServer::start().await;
    let bdc = server.token(PartyType::BigDataCenter, Role::Staff).await;
    let r = server
        .call(Method::GET, "/api/v1/ledger/verification", &bdc, None)
        .await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["intact"], true, "{v}");
    assert!(v["entries_checked"].as_u64().unwrap() > 20);
    assert_eq!(v["first_bad_seq"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_viewer_renders_and_filters() {
    let server = TestServer::start().await;
    let console = server
        .console(PartyType::BigDataCenter, Role::Auditor)
        .await;
    let page = console
        .get(server.url("/ledger?action=session.create"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("全流程日志"));
    assert!(page.contains("bigdata-center-auditor"));
    assert!(
        !page.contains("organization.create"),
        "filtered to sign-ins"
    );
    // The Chinese page cannot show the English detail, so it names the
    // field itself.
    let refused = console
        .get(server.url("/ledger?object_id=12"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("（字段 <code>object_id</code>）"), "{page}");
}
