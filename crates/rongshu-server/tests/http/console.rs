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
