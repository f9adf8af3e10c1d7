//! The console over HTTP: sign-in form, cookies, CSRF, language, pages.

use rongshu_domain::{PartyType, Role};

use crate::common::{PASSWORD, TestServer, browser_like, console_csrf, login_csrf};

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_lands_on_the_workbench() {
    let server = TestServer::start().await;
    let client = browser_like();
    let csrf = login_csrf(&client, &server).await;
    let r = client
        .post(server.url("/login"))
        .form(&[
            ("username", "governance-staff"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/home"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("rongshu_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let r = client.get(server.url("/home")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/workbench/governance");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    let page = client
        .get(server.url("/workbench/governance"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("市网络理政办"), "Chinese by default");
    assert!(page.contains("10 个工作日内复审需求清单"));
}

#[tokio::test]
async fn sign_in_without_the_form_token_is_refused() {
    let server = TestServer::start().await;
    let client = browser_like();
    let r = client
        .post(server.url("/login"))
        .form(&[
            ("username", "governance-staff"),
            ("password", PASSWORD),
            ("csrf", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_failed_sign_in_shows_the_form_again_with_the_reason() {
    let server = TestServer::start().await;
    let client = browser_like();
    let csrf = login_csrf(&client, &server).await;
    let r = client
        .post(server.url("/login"))
        .form(&[
            ("username", "user-staff"),
            ("password", "Wrong-Passw0rd"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let page = r.text().await.unwrap();
    assert!(page.contains("用户名或密码错误"));
    assert!(
        page.contains("value=\"user-staff\""),
        "the user name is kept"
    );
}

#[tokio::test]
async fn console_forms_need_the_sessions_csrf_token() {
    let server = TestServer::start().await;
    let client = server.console(PartyType::User, Role::Staff).await;
    let r = client
        .post(server.url("/settings/api-keys"))
        .header("accept", "text/html")
        .form(&[("csrf", "forged"), ("name", "k"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let csrf = console_csrf(&client, &server).await;
    let r = client
        .post(server.url("/settings/api-keys"))
        .form(&[("csrf", csrf.as_str()), ("name", "etl"), ("days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("id=\"new-key\">rsk_"),
        "the new key is shown once"
    );
    let again = client
        .get(server.url("/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("id=\"new-key\""));
}

#[tokio::test]
async fn language_switch_and_english_pages() {
    let server = TestServer::start().await;
    let client = server.console(PartyType::Provider, Role::Staff).await;
    let r = client
        .get(server.url("/lang/en?back=/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/settings");
    let page = client
        .get(server.url("/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Account settings") && page.contains("lang=\"en\""));
    let r = client.get(server.url("/lang/fr")).send().await.unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let server = TestServer::start().await;
    let client = server.console(PartyType::Expert, Role::Staff).await;
    let csrf = console_csrf(&client, &server).await;
    let r = client
        .post(server.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = client
        .get(server.url("/settings"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "back to the sign-in page");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
}

#[tokio::test]
async fn changing_the_password_in_the_console_signs_out() {
    let server = TestServer::start().await;
    let client = server.console(PartyType::Economy, Role::Admin).await;
    let csrf = console_csrf(&client, &server).await;
    let r = client
        .post(server.url("/settings/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "weak"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("新密码不符合复杂度要求"));
    let r = client
        .post(server.url("/settings/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "Another-Passw0rd"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?notice=password-changed");
}

#[tokio::test]
async fn organisation_admins_manage_their_accounts_in_the_console() {
    let server = TestServer::start().await;
    let client = server.console(PartyType::Provider, Role::Admin).await;
    let csrf = console_csrf(&client, &server).await;
    let page = client
        .get(server.url("/accounts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("provider-staff") && !page.contains("user-staff"));

    let r = client
        .post(server.url("/accounts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "new-clerk"),
            ("display_name", "新职员"),
            ("role", "staff"),
            ("password", "Clerk-Passw0rd"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("账号已创建"));
    let clerk = server
        .state
        .store()
        .account_by_username("new-clerk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        clerk.org_id,
        server.account(PartyType::Provider, Role::Admin).org_id
    );

    let r = client
        .post(server.url(&format!("/accounts/{}/disable", clerk.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        server
            .state
            .store()
            .account(clerk.id)
            .await
            .unwrap()
            .disabled
    );

    let r = client
        .post(server.url(&format!("/accounts/{}/password", clerk.id)))
        .form(&[("csrf", csrf.as_str()), ("new_password", "weak")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a weak password is refused on the page");

    let user_org = server.account(PartyType::User, Role::Admin).org_id;
    let r = client
        .get(server.url(&format!("/accounts?org={user_org}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "another organisation's accounts");
    let user_staff = server.account(PartyType::User, Role::Staff).id;
    let r = client
        .post(server.url(&format!("/accounts/{user_staff}/disable")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        !server
            .state
            .store()
            .account(user_staff)
            .await
            .unwrap()
            .disabled
    );
}

#[tokio::test]
async fn the_operators_admins_manage_every_organisation() {
    let server = TestServer::start().await;
    let client = server.console(PartyType::Operator, Role::Admin).await;
    let user_org = server.account(PartyType::User, Role::Admin).org_id;
    let page = client
        .get(server.url(&format!("/accounts?org={user_org}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("user-staff") && page.contains("<select name=\"org\""));
}
