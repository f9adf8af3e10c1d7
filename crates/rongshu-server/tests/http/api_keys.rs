//! API keys: shown once, stored as a keyed hash, revocable, expiring.

use rongshu_domain::{PartyType, Role};
use serde_json::json;
use sqlx::Executor;

use reqwest::Method;

use crate::common::{TestServer, client, expect_problem};

/// A fresh key of the account signed in with `token`.
async fn new_key(server: &TestServer, token: &str) -> String {
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/api-keys",
            token,
            Some(json!({ "name": "etl" })),
        )
        .await;
    r.json::<serde_json::Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn api_keys_work_until_revoked_and_are_stored_only_hashed() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::BigDataCenter, Role::Staff).await;
    let epoch = server.state.store().refresh_epoch().await.unwrap();
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/api-keys",
            &token,
            Some(json!({ "name": "sharing platform sync", "expires_in_days": 30 })),
        )
        .await;
    assert_eq!(r.status(), 201);
    let after = server.state.store().refresh_epoch().await.unwrap();
    assert_eq!(after, epoch, "a new key changes no key a call rests on");
    let created: serde_json::Value = r.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rsk_"));
    let id = created["id"].as_i64().unwrap();

    let me: serde_json::Value = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "bigdata-center-staff");

    let listed: Vec<serde_json::Value> = client()
        .get(server.url("/api/v1/me/api-keys"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("key").is_none(), "the key is never listed");
    assert_eq!(listed[0]["prefix"], &key[..12]);

    // The database holds neither the key nor its plain SM3 digest.
    let pool = sqlx::AnyPool::connect(&server.db.url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, key);
    assert_ne!(stored, rongshu_crypto::sm3_hex(&key));
    pool.execute("SELECT 1").await.unwrap();
    pool.close().await;

    let r = server
        .call(
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let revoked = server.state.store().refresh_epoch().await.unwrap();
    assert!(revoked > epoch, "a revoked key stops the next call");
    let r = server.call(Method::GET, "/api/v1/me", &key, None).await;
    expect_problem(r, 401, "auth.key-revoked").await;
}

#[tokio::test]
async fn a_key_not_honoured_is_refused_with_its_reason_and_ledgered() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::User, Role::Staff).await;
    let key = new_key(&server, &token).await;
    let pool = sqlx::AnyPool::connect(&server.db.url).await.unwrap();
    let set = |sql: &'static str| {
        let pool = pool.clone();
        async move { pool.execute(sql).await.unwrap() }
    };
    let before = server.head().await;
    let refused = async |key: &str, code: &str| {
        let r = server.call(Method::GET, "/api/v1/me", key, None).await;
        expect_problem(r, 401, code).await;
    };
    refused("rsk_0000000000000000000000000000", "auth.key-unknown").await;
    set("UPDATE api_keys SET expires_at = 1").await;
    refused(&key, "auth.key-expired").await;
    set("UPDATE api_keys SET expires_at = 9000000000000").await;
    set("UPDATE accounts SET disabled = 1 WHERE username = 'user-staff'").await;
    refused(&key, "auth.key-account-disabled").await;
    set("UPDATE accounts SET disabled = 0").await;
    let r = server.call(Method::GET, "/api/v1/me", &key, None).await;
    assert_eq!(r.status(), 200, "live again");
    pool.close().await;

    let entries = server.entries_after(before).await;
    let denials: Vec<_> = entries
        .iter()
        .filter(|e| e.draft.outcome == rongshu_ledger::Outcome::Denied)
        .filter_map(|e| e.draft.reason.as_deref())
        .collect();
    assert_eq!(
        denials,
        [
            "auth.key-unknown",
            "auth.key-expired",
            "auth.key-account-disabled"
        ]
    );
}

#[tokio::test]
async fn key_lifetimes_are_bounded_and_keys_are_personal() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::User, Role::Staff).await;
    for days in [0, 366] {
        let r = server
            .call(
                Method::POST,
                "/api/v1/me/api-keys",
                &token,
                Some(json!({ "name": "k", "expires_in_days": days })),
            )
            .await;
        let body = expect_problem(r, 422, "validation.invalid-field").await;
        assert!(body["detail"].as_str().unwrap().contains("expires_in_days"));
    }
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/api-keys",
            &token,
            Some(json!({ "name": "mine" })),
        )
        .await;
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let other = server.token(PartyType::User, Role::Admin).await;
    let r = server
        .call(
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            &other,
            None,
        )
        .await;
    expect_problem(r, 404, "resource.not-found").await;
}

#[tokio::test]
async fn a_key_cannot_mint_keys_and_an_admin_reset_revokes_keys() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::Provider, Role::Staff).await;
    let key = new_key(&server, &token).await;
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/api-keys",
            &key,
            Some(json!({ "name": "spawned" })),
        )
        .await;
    expect_problem(r, 403, "access.session-required").await;

    let admin = server.token(PartyType::Provider, Role::Admin).await;
    let staff = server.account(PartyType::Provider, Role::Staff).id;
    let r = server
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{staff}/password"),
            &admin,
            Some(json!({ "new_password": "After-Breach-2026" })),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = server.call(Method::GET, "/api/v1/me", &key, None).await;
    expect_problem(r, 401, "auth.key-revoked").await;
}

#[tokio::test]
async fn data_calls_take_an_api_key_not_a_session() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::User, Role::Staff).await;
    let before = server.head().await;
    let body = json!({ "parameters": { "统一社会信用代码": "91510100MA61R9XX01" } });
    let r = server
        .call(
            Method::POST,
            "/api/v1/products/registrations-query/query",
            &token,
            Some(body),
        )
        .await;
    expect_problem(r, 401, "auth.api-key-required").await;
    let entries = server.entries_after(before).await;
    assert!(
        entries.iter().any(|e| {
            e.draft.outcome == rongshu_ledger::Outcome::Denied
                && e.draft.reason.as_deref() == Some("auth.api-key-required")
        }),
        "ledgered as a denial"
    );
}
