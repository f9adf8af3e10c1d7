//! API keys: shown once, stored as a keyed hash, revocable, expiring.

use rongshu_domain::{PartyType, Role};
use serde_json::json;
use sqlx::Executor;

use crate::common::{TestServer, client, expect_problem};

#[tokio::test]
async fn api_keys_work_until_revoked_and_are_stored_only_hashed() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::BigDataCenter, Role::Staff).await;
    let r = client()
        .post(server.url("/api/v1/me/api-keys"))
        .bearer_auth(&token)
        .json(&json!({ "name": "sharing platform sync", "expires_in_days": 30 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
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

    let r = client()
        .delete(server.url(&format!("/api/v1/me/api-keys/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.sign-in-required").await;
}

#[tokio::test]
async fn key_lifetimes_are_bounded_and_keys_are_personal() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::User, Role::Staff).await;
    for days in [0, 366] {
        let r = client()
            .post(server.url("/api/v1/me/api-keys"))
            .bearer_auth(&token)
            .json(&json!({ "name": "k", "expires_in_days": days }))
            .send()
            .await
            .unwrap();
        let body = expect_problem(r, 422, "validation.invalid-field").await;
        assert!(body["detail"].as_str().unwrap().contains("expires_in_days"));
    }
    let r = client()
        .post(server.url("/api/v1/me/api-keys"))
        .bearer_auth(&token)
        .json(&json!({ "name": "mine" }))
        .send()
        .await
        .unwrap();
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let other = server.token(PartyType::User, Role::Admin).await;
    let r = client()
        .delete(server.url(&format!("/api/v1/me/api-keys/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    expect_problem(r, 404, "resource.not-found").await;
}

#[tokio::test]
async fn a_key_cannot_mint_keys_and_an_admin_reset_revokes_keys() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::Provider, Role::Staff).await;
    let r = client()
        .post(server.url("/api/v1/me/api-keys"))
        .bearer_auth(&token)
        .json(&json!({ "name": "etl" }))
        .send()
        .await
        .unwrap();
    let key = r.json::<serde_json::Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = client()
        .post(server.url("/api/v1/me/api-keys"))
        .bearer_auth(&key)
        .json(&json!({ "name": "spawned" }))
        .send()
        .await
        .unwrap();
    expect_problem(r, 403, "access.session-required").await;

    let admin = server.token(PartyType::Provider, Role::Admin).await;
    let staff = server.account(PartyType::Provider, Role::Staff).id;
    let r = client()
        .put(server.url(&format!("/api/v1/accounts/{staff}/password")))
        .bearer_auth(&admin)
        .json(&json!({ "new_password": "After-Breach-2026" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.sign-in-required").await;
}
