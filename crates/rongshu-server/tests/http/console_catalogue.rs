//! The catalogue in the console: public open data, a provider's resource
//! page, upload, grading and the ingest report.

use rongshu_domain::{PartyType as P, Role};

use crate::common::{TestServer, client, console_csrf, page};
use crate::deliveries::create_resource;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_upload_grade_and_read_reports_in_the_console() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "bus-stops", true).await;
    create_resource(&server, &staff, "permits", false).await;

    // Open data needs no sign-in; the rest does.
    let anonymous = client();
    let open = anonymous
        .get(server.url("/open-data"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(open.contains("/catalogue/bus-stops") && !open.contains("/catalogue/permits"));
    let r = anonymous
        .get(server.url("/catalogue/bus-stops"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = anonymous
        .get(server.url("/catalogue/permits"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "to the sign-in page");

    let browser = server.console(P::Provider, Role::Staff).await;
    let catalogue = page(&browser, &server, "/catalogue").await;
    assert!(catalogue.contains("/catalogue/permits") && catalogue.contains("/catalogue/new"));
    let resource = page(&browser, &server, "/catalogue/permits").await;
    assert!(resource.contains("id=\"deliver\"") && resource.contains("/assets/deliver.js"));
    let csrf = console_csrf(&browser, &server).await;

    // The upload: the body is the file; the CSRF token rides in a header.
    let csv = "许可证号,持证人,联系电话\nXK1,张伟,13812345678\nXK2,李娜,13987654321\n";
    let upload = |token: &str| {
        browser
            .post(server.url("/catalogue/permits/deliveries?file_name=permits.csv"))
            .header("x-csrf-token", token)
            .body(csv.as_bytes().to_vec())
            .send()
    };
    assert_eq!(upload("forged").await.unwrap().status(), 403);
    let r = upload(&csrf).await.unwrap();
    assert_eq!(r.status(), 201);
    let receipt: serde_json::Value = r.json().await.unwrap();
    assert_eq!(receipt["version"]["channel"], "console");
    let report = page(
        &browser,
        &server,
        &format!("/ingests/{}", receipt["ingest"]["id"]),
    )
    .await;
    assert!(
        report.contains("成功") && report.contains("手机号码"),
        "{report}"
    );

    // Grading: an override without a reason is refused on the page itself.
    let form = |reason: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("grade", "general-2".to_owned()),
            ("level.联系电话", "general-2".to_owned()),
            ("level.持证人", "general-2".to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let r = browser
        .post(server.url("/catalogue/permits/grading"))
        .header("accept", "text/html")
        .form(&form(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("填写的内容不符合要求"));
    let r = browser
        .post(server.url("/catalogue/permits/grading"))
        .form(&form("联系电话仅为单位座机转接号码"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let resource = page(&browser, &server, "/catalogue/permits").await;
    assert!(resource.contains("已确认"));

    // Registration through the console.
    let r = browser
        .post(server.url("/catalogue/permits/registration"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "register"),
            ("data_type", "库表"),
            ("registration_code", "DJ-9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        page(&browser, &server, "/catalogue/permits")
            .await
            .contains("已首次登记")
    );

    // Another party sees the catalogue but neither the upload nor the versions.
    let user = server.console(P::User, Role::Staff).await;
    let seen = page(&user, &server, "/catalogue/permits").await;
    assert!(!seen.contains("id=\"deliver\"") && !seen.contains("SM3 摘要"));
}

#[tokio::test]
async fn catalogue_pages_read_in_english() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "bus-stops", true).await;
    let text = client()
        .get(server.url("/open-data"))
        .header("cookie", "rongshu_lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("Open data") && text.contains("Provider") && !text.contains("提供单位"));
}
