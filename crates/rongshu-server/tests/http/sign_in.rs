//! Sign-in, lockout, sessions.

use rongshu_domain::{PartyType, Role};
use rongshu_ledger::Outcome;
use serde_json::json;

use reqwest::Method;

use crate::common::{PASSWORD, TestServer, client, expect_problem};

async fn sign_in(server: &TestServer, username: &str, password: &str) -> reqwest::Response {
    client()
        .post(server.url("/api/v1/sessions"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bearer_session_round_trip() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::Provider, Role::Staff).await;
    assert!(token.starts_with("rss_"));
    let me: serde_json::Value = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "provider-staff");
    assert_eq!(me["party_type"], "provider");
    let r = server
        .call(Method::DELETE, "/api/v1/sessions/current", &token, None)
        .await;
    assert_eq!(r.status(), 204);
    let r = server.call(Method::GET, "/api/v1/me", &token, None).await;
    expect_problem(r, 401, "auth.sign-in-required").await;
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_and_every_attempt_is_ledgered() {
    let server = TestServer::start().await;
    let before = server.head().await;
    let name = &server.account(PartyType::User, Role::Staff).username;
    for _ in 0..2 {
        expect_problem(
            sign_in(&server, name, "Wrong-Passw0rd").await,
            401,
            "auth.invalid-credentials",
        )
        .await;
    }
    // The third failure reaches the test limit of three.
    expect_problem(
        sign_in(&server, name, "Wrong-Passw0rd").await,
        429,
        "auth.account-locked",
    )
    .await;
    // Even the right password is refused while locked.
    expect_problem(
        sign_in(&server, name, PASSWORD).await,
        429,
        "auth.account-locked",
    )
    .await;
    let entries = server.entries_after(before).await;
    let failures: Vec<_> = entries
        .iter()
        .filter(|e| e.draft.action == "session.create")
        .collect();
    assert_eq!(failures.len(), 4, "each attempt once, not twice");
    assert!(failures.iter().all(|e| e.draft.outcome == Outcome::Failed));
    assert_eq!(
        failures[2].draft.reason.as_deref(),
        Some("wrong-password; account locked")
    );
    assert_eq!(failures[3].draft.reason.as_deref(), Some("account-locked"));
    assert_eq!(
        failures[0].draft.actor_username.as_deref(),
        Some(name.as_str())
    );
}

#[tokio::test]
async fn unknown_accounts_look_like_wrong_passwords() {
    let server = TestServer::start().await;
    let before = server.head().await;
    let body = expect_problem(
        sign_in(&server, "nobody-here", PASSWORD).await,
        401,
        "auth.invalid-credentials",
    )
    .await;
    assert_eq!(body["detail"], "user name or password is wrong");
    let entries = server.entries_after(before).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].draft.reason.as_deref(), Some("unknown-account"));
    assert_eq!(entries[0].draft.object_id.as_deref(), Some("nobody-here"));
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let server = TestServer::start().await;
    let name = server
        .account(PartyType::Expert, Role::Staff)
        .username
        .clone();
    for _ in 0..2 {
        sign_in(&server, &name, "Wrong-Passw0rd").await;
    }
    assert_eq!(sign_in(&server, &name, PASSWORD).await.status(), 201);
    for _ in 0..2 {
        expect_problem(
            sign_in(&server, &name, "Wrong-Passw0rd").await,
            401,
            "auth.invalid-credentials",
        )
        .await;
    }
}

#[tokio::test]
async fn changing_ones_password_ends_every_session() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::Economy, Role::Staff).await;
    let other = server.token(PartyType::Economy, Role::Staff).await;
    let change = |current: &str, new: &str| {
        client()
            .put(server.url("/api/v1/me/password"))
            .bearer_auth(&token)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
    };
    expect_problem(
        change("Not-The-Passw0rd", "New-Passw0rd-1").await.unwrap(),
        403,
        "auth.wrong-current-password",
    )
    .await;
    let weak = expect_problem(
        change(PASSWORD, "short").await.unwrap(),
        422,
        "validation.weak-password",
    )
    .await;
    assert!(weak["detail"].as_str().unwrap().contains("at least 10"));
    assert_eq!(
        change(PASSWORD, "New-Passw0rd-1").await.unwrap().status(),
        204
    );
    for t in [&token, &other] {
        let r = server.call(Method::GET, "/api/v1/me", t, None).await;
        expect_problem(r, 401, "auth.sign-in-required").await;
    }
    assert_eq!(
        sign_in(&server, "economy-staff", "New-Passw0rd-1")
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn tokens_of_one_kind_do_not_open_the_other_surface() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::Operator, Role::Staff).await;
    // A bearer token is not a console session.
    let r = client()
        .get(server.url("/settings"))
        .header("cookie", format!("rongshu_session={token}"))
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.sign-in-required").await;
}

#[tokio::test]
async fn concurrent_wrong_guesses_cannot_clear_the_lock() {
    let server = TestServer::start().await;
    let name = server
        .account(PartyType::Governance, Role::Auditor)
        .username
        .clone();
    // Seven at once with a limit of three: the lock, once set, must hold.
    let url = server.url("/api/v1/sessions");
    let guesses: Vec<_> = (0..7)
        .map(|_| {
            let (url, name) = (url.clone(), name.clone());
            tokio::spawn(async move {
                let body = json!({ "username": name, "password": "Wrong-Passw0rd" });
                client()
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let account = server
        .state
        .store()
        .account_by_username(&name)
        .await
        .unwrap()
        .unwrap();
    assert!(
        account.locked_until_ms.is_some(),
        "still locked after every guess: {statuses:?}"
    );
    expect_problem(
        sign_in(&server, &name, PASSWORD).await,
        429,
        "auth.account-locked",
    )
    .await;
}

#[tokio::test]
async fn typed_names_are_clipped_in_the_ledger() {
    let server = TestServer::start().await;
    let before = server.head().await;
    let long = "x".repeat(10_000);
    expect_problem(
        sign_in(&server, &long, PASSWORD).await,
        401,
        "auth.invalid-credentials",
    )
    .await;
    let entries = server.entries_after(before).await;
    assert_eq!(
        entries[0]
            .draft
            .object_id
            .as_deref()
            .map(|s| s.chars().count()),
        Some(65)
    );
}

#[tokio::test]
async fn ended_sessions_are_purged_and_the_purge_is_ledgered() {
    let server = TestServer::start().await;
    let token = server.token(PartyType::User, Role::Staff).await;
    server
        .call(Method::DELETE, "/api/v1/sessions/current", &token, None)
        .await;
    // Revoked just now: within the day's grace, so it stays.
    assert_eq!(
        rongshu_server::purge_ended_sessions(&server.state)
            .await
            .unwrap(),
        0
    );
    let pool = sqlx::AnyPool::connect(&server.db.url).await.unwrap();
    sqlx::query("UPDATE sessions SET revoked_at = 1 WHERE revoked_at IS NOT NULL")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let before = server.head().await;
    assert_eq!(
        rongshu_server::purge_ended_sessions(&server.state)
            .await
            .unwrap(),
        1
    );
    let entries = server.entries_after(before).await;
    assert_eq!(entries[0].draft.action, "session.purge");
}
