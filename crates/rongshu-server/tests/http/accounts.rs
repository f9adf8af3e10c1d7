//! Organisations and accounts through the API.

use rongshu_domain::{PartyType, Role};
use serde_json::json;

use reqwest::Method;

use crate::common::{PASSWORD, TestServer, client, expect_problem};

#[tokio::test]
async fn operator_admin_registers_organisations_and_accounts() {
    let server = TestServer::start().await;
    let admin = server.token(PartyType::Operator, Role::Admin).await;
    let r = server
        .call(
            Method::POST,
            "/api/v1/organizations",
            &admin,
            Some(json!({ "code": "cdgaj", "name": "成都市公安局", "party_type": "provider" })),
        )
        .await;
    assert_eq!(r.status(), 201);
    let org: serde_json::Value = r.json().await.unwrap();
    assert_eq!(org["party_type"], "provider");
    let id = org["id"].as_i64().unwrap();

    let dup = server
        .call(
            Method::POST,
            "/api/v1/organizations",
            &admin,
            Some(json!({ "code": "cdgaj", "name": "x", "party_type": "provider" })),
        )
        .await;
    expect_problem(dup, 409, "resource.duplicate").await;

    let bad = server
        .call(
            Method::POST,
            "/api/v1/organizations",
            &admin,
            Some(json!({ "code": "x y", "name": "x", "party_type": "ministry" })),
        )
        .await;
    expect_problem(bad, 422, "validation.bad-name").await;

    // Parties overseeing the operator stay out of its hands: it registers
    // none, and manages (resets, disables, adds to) none of their accounts.
    let supervisor = server
        .call(
            Method::POST,
            "/api/v1/organizations",
            &admin,
            Some(json!({ "code": "cddsj2", "name": "第二大数据中心", "party_type": "bigdata_center" })),
        )
        .await;
    expect_problem(supervisor, 403, "access.not-a-party").await;
    let center = server.account(PartyType::BigDataCenter, Role::Admin);
    let takeover = server
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{}/password", center.id),
            &admin,
            Some(json!({ "new_password": PASSWORD })),
        )
        .await;
    expect_problem(takeover, 403, "access.other-organization").await;
    let planted = server
        .call(
            Method::POST,
            &format!("/api/v1/organizations/{}/accounts", center.org_id),
            &admin,
            Some(json!({ "username": "fake-center", "display_name": "x", "role": "admin", "password": PASSWORD })),
        )
        .await;
    expect_problem(planted, 403, "access.other-organization").await;

    let r = server.call(Method::POST, &format!("/api/v1/organizations/{id}/accounts"), &admin, Some(json!({ "username": "gaj-admin", "display_name": "公安管理员", "role": "admin", "password": PASSWORD }))).await;
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["organization_name"], "成都市公安局");
    let r = client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({ "username": "gaj-admin", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the new account signs in");
}

#[tokio::test]
async fn an_organisations_admin_manages_only_its_own_accounts() {
    let server = TestServer::start().await;
    let provider_admin = server.token(PartyType::Provider, Role::Admin).await;
    let own_org = server.account(PartyType::Provider, Role::Admin).org_id;
    let user_org = server.account(PartyType::User, Role::Admin).org_id;

    let r = server
        .call(
            Method::GET,
            &format!("/api/v1/organizations/{own_org}/accounts"),
            &provider_admin,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let list: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(list.len(), 3);

    let r = server
        .call(
            Method::GET,
            &format!("/api/v1/organizations/{user_org}/accounts"),
            &provider_admin,
            None,
        )
        .await;
    expect_problem(r, 403, "access.other-organization").await;

    let user_staff = server.account(PartyType::User, Role::Staff).id;
    let r = server
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{user_staff}/disable"),
            &provider_admin,
            None,
        )
        .await;
    expect_problem(r, 403, "access.other-organization").await;
}

#[tokio::test]
async fn disabling_ends_sessions_and_blocks_sign_in() {
    let server = TestServer::start().await;
    let admin = server.token(PartyType::Provider, Role::Admin).await;
    let staff_token = server.token(PartyType::Provider, Role::Staff).await;
    let staff = server.account(PartyType::Provider, Role::Staff).id;
    let me = server.account(PartyType::Provider, Role::Admin).id;

    let r = server
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{me}/disable"),
            &admin,
            None,
        )
        .await;
    expect_problem(r, 422, "validation.self-disable").await;

    let r = server
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{staff}/disable"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = server
        .call(Method::GET, "/api/v1/me", &staff_token, None)
        .await;
    expect_problem(r, 401, "auth.sign-in-required").await;
    let r = client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({ "username": "provider-staff", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.invalid-credentials").await;

    let r = server
        .call(
            Method::POST,
            &format!("/api/v1/accounts/{staff}/enable"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    server.token(PartyType::Provider, Role::Staff).await;
}

#[tokio::test]
async fn an_admin_reset_clears_a_lockout() {
    let server = TestServer::start().await;
    let admin = server.token(PartyType::User, Role::Admin).await;
    let auditor = server.account(PartyType::User, Role::Auditor);
    for _ in 0..3 {
        client()
            .post(server.url("/api/v1/sessions"))
            .json(&json!({ "username": auditor.username, "password": "Wrong-Passw0rd" }))
            .send()
            .await
            .unwrap();
    }
    let r = server
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{}/password", auditor.id),
            &admin,
            Some(json!({ "new_password": "Fresh-Start-2026" })),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({ "username": auditor.username, "password": "Fresh-Start-2026" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}
