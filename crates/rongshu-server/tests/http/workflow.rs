//! The demand workflow over HTTP: each party's token takes its steps; the
//! wrong party and the wrong moment get specific problems; termination
//! stops use at the access check.

use reqwest::Method;
use rongshu_domain::{PartyType as P, Role};
use rongshu_ledger::Outcome;
use serde_json::{Value, json};

use crate::common::{TestServer, expect_problem};
use crate::deliveries::{create_resource, front_key, push};

async fn ok(r: reqwest::Response, status: u16) -> Value {
    let code = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

#[tokio::test]
async fn a_demand_from_filing_to_termination() {
    let server = TestServer::start().await;
    let [user, operator, office, provider, center] = [
        P::User,
        P::Operator,
        P::Governance,
        P::Provider,
        P::BigDataCenter,
    ];
    let mut tokens = std::collections::HashMap::new();
    for party in [user, operator, office, provider, center] {
        tokens.insert(party, server.token(party, Role::Staff).await);
    }
    let t = |p: P| tokens[&p].clone();
    create_resource(&server, &t(provider), "registrations", false).await;

    let demand = ok(
        server
            .call(
                Method::POST,
                "/api/v1/demands",
                &t(user),
                Some(json!({
                    "title": "小微企业信用评估",
                    "modes": ["sandbox"],
                    "scenario": "普惠金融授信前的经营状况评估",
                    "purpose": "降低融资成本",
                    "term_months": 12,
                    "items": [{ "resource": "registrations" }],
                    "submit": true
                })),
            )
            .await,
        201,
    )
    .await;
    assert_eq!(demand["status"], "pre-review");
    let id = demand["id"].as_i64().unwrap();
    let steps = format!("/api/v1/demands/{id}/steps");

    // A provider is not a party that files demands at all.
    let r = server
        .call(
            Method::POST,
            &steps,
            &t(provider),
            Some(json!({ "action": "accept" })),
        )
        .await;
    expect_problem(r, 403, "access.wrong-party").await;
    // The user may take steps, but not the operator's.
    let r = server
        .call(
            Method::POST,
            &steps,
            &t(user),
            Some(json!({ "action": "accept" })),
        )
        .await;
    expect_problem(r, 403, "access.wrong-party").await;
    let r = server
        .call(
            Method::POST,
            &steps,
            &t(operator),
            Some(json!({ "action": "launch" })),
        )
        .await;
    expect_problem(r, 422, "validation.unknown-name").await;
    ok(
        server
            .call(
                Method::POST,
                &steps,
                &t(operator),
                Some(json!({ "action": "accept", "note": "可行" })),
            )
            .await,
        200,
    )
    .await;
    let r = server
        .call(
            Method::POST,
            &steps,
            &t(operator),
            Some(json!({ "action": "accept" })),
        )
        .await;
    expect_problem(r, 409, "workflow.demand-state").await;

    let list = ok(
        server
            .call(
                Method::POST,
                "/api/v1/demand-lists",
                &t(operator),
                Some(json!({ "period": "2026-11" })),
            )
            .await,
        201,
    )
    .await;
    let list_id = list["id"].as_i64().unwrap();
    ok(
        server
            .call(
                Method::PUT,
                &format!("/api/v1/demand-lists/{list_id}/demands/{id}"),
                &t(operator),
                None,
            )
            .await,
        200,
    )
    .await;
    let list = ok(
        server
            .call(
                Method::POST,
                &format!("/api/v1/demand-lists/{list_id}/submit"),
                &t(operator),
                None,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(list["status"], "submitted");
    assert!(
        list["due"]["working_days_left"].as_i64().unwrap() >= 9,
        "{list}"
    );

    let review = format!("/api/v1/demands/{id}/review");
    let r = server
        .call(
            Method::POST,
            &review,
            &t(office),
            Some(json!({ "decision": "return" })),
        )
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let passed = ok(
        server
            .call(
                Method::POST,
                &review,
                &t(office),
                Some(json!({ "decision": "pass" })),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(passed["status"], "with-providers");
    let assessment = &passed["assessments"][0];
    assert_eq!(assessment["status"], "pending");
    assert!(assessment["due"]["on"].is_string());

    let queue = ok(
        server
            .call(Method::GET, "/api/v1/assessments", &t(provider), None)
            .await,
        200,
    )
    .await;
    let assessment_id = queue[0]["id"].as_i64().unwrap();
    let answer = format!("/api/v1/assessments/{assessment_id}/answer");
    let no_uses = json!({
        "decision": "authorize", "deidentification": "sandbox-only", "daily_use_limit": 0
    });
    let r = server
        .call(Method::POST, &answer, &t(provider), Some(no_uses))
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let answered = ok(
        server
            .call(
                Method::POST,
                &format!("/api/v1/assessments/{assessment_id}/answer"),
                &t(provider),
                Some(json!({
                    "decision": "authorize",
                    "deidentification": "sandbox-only",
                    "quota": "每日 1000 次",
                    "daily_use_limit": 1000
                })),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(answered["status"], "authorized");
    let authorization = answered["assessments"][0]["authorization_id"]
        .as_i64()
        .unwrap();
    let granted = ok(
        server
            .call(
                Method::GET,
                &format!("/api/v1/authorizations/{authorization}"),
                &t(provider),
                None,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(granted["daily_use_limit"], 1000);

    // The use check refuses until every party has signed.
    let uses = "/api/v1/uses/registrations?mode=sandbox";
    expect_problem(
        server.call(Method::GET, uses, &t(user), None).await,
        403,
        "use.agreement-not-signed",
    )
    .await;
    let agreements = ok(
        server
            .call(Method::GET, "/api/v1/agreements", &t(operator), None)
            .await,
        200,
    )
    .await;
    assert_eq!(agreements.as_array().unwrap().len(), 2);
    for agreement in agreements.as_array().unwrap() {
        let sign = format!("/api/v1/agreements/{}/sign", agreement["id"]);
        for signature in agreement["signatures"].as_array().unwrap() {
            let party: P = signature["party"].as_str().unwrap().parse().unwrap();
            ok(server.call(Method::POST, &sign, &t(party), None).await, 200).await;
        }
        let r = server.call(Method::POST, &sign, &t(operator), None).await;
        expect_problem(r, 409, "workflow.signature-refused").await;
        let signed = ok(
            server
                .call(
                    Method::GET,
                    &format!("/api/v1/agreements/{}", agreement["id"]),
                    &t(office),
                    None,
                )
                .await,
            200,
        )
        .await;
        assert_eq!(signed["in_force"], true, "{signed}");
    }
    let grant = ok(server.call(Method::GET, uses, &t(user), None).await, 200).await;
    assert_eq!(grant["authorization_id"], authorization);
    let r = server
        .call(
            Method::GET,
            "/api/v1/uses/registrations?mode=download",
            &t(user),
            None,
        )
        .await;
    expect_problem(r, 403, "use.mode-not-authorized").await;

    // Delivery through the front system closes the task and the demand.
    let key = front_key(&server, &t(provider)).await;
    let r = push(
        &server,
        &key,
        "registrations",
        "file_name=data.csv",
        "名称,代码\n甲,1\n".as_bytes().to_vec(),
    )
    .await;
    ok(r, 201).await;
    let tasks = ok(
        server
            .call(Method::GET, "/api/v1/delivery-tasks", &t(provider), None)
            .await,
        200,
    )
    .await;
    assert_eq!(tasks[0]["status"], "delivered");
    let done = ok(
        server
            .call(
                Method::GET,
                &format!("/api/v1/demands/{id}"),
                &t(user),
                None,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "delivered");

    // Termination: grounds required, then every use stops.
    let terminate = format!("/api/v1/authorizations/{authorization}/terminate");
    let r = server
        .call(
            Method::POST,
            &terminate,
            &t(provider),
            Some(json!({ "grounds": " " })),
        )
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let ended = ok(
        server
            .call(
                Method::POST,
                &terminate,
                &t(provider),
                Some(json!({ "grounds": "法规调整" })),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(ended["status"], "terminated");
    let before = server.head().await;
    expect_problem(
        server.call(Method::GET, uses, &t(user), None).await,
        403,
        "use.authorization-terminated",
    )
    .await;
    let ledgered: Vec<_> = server
        .entries_after(before)
        .await
        .into_iter()
        .map(|e| (e.draft.outcome, e.draft.reason))
        .collect();
    assert_eq!(
        ledgered,
        [(Outcome::Denied, Some("use.authorization-terminated".into()))],
        "a refusal of use is a denial"
    );
    let r = server
        .call(
            Method::POST,
            &terminate,
            &t(provider),
            Some(json!({ "grounds": "again" })),
        )
        .await;
    expect_problem(r, 409, "workflow.authorization-state").await;

    // The regular report counts it; users do not read reports.
    let report = ok(
        server
            .call(Method::GET, "/api/v1/workflow/report", &t(office), None)
            .await,
        200,
    )
    .await;
    assert_eq!(report["authorizations_terminated"], 1, "{report}");
    assert_eq!(report["demands"]["delivered"], 1, "{report}");
    assert_eq!(report["deliveries_open"], 0, "{report}");
    let r = server
        .call(Method::GET, "/api/v1/workflow/report", &t(user), None)
        .await;
    expect_problem(r, 403, "access.wrong-party").await;

    // The Office was formally told; reading the notice clears it.
    let inbox = ok(
        server
            .call(Method::GET, "/api/v1/notifications", &t(office), None)
            .await,
        200,
    )
    .await;
    let kinds: Vec<&str> = inbox["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"authorization.terminated"), "{kinds:?}");
    assert!(inbox["unread"].as_i64().unwrap() >= 2);
    let read = ok(
        server
            .call(
                Method::POST,
                "/api/v1/notifications/read",
                &t(office),
                Some(json!({})),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(read["unread"], 0);

    // Colleagues in the same organisation see it; an unknown record is 404.
    let other = server.token(P::User, Role::Admin).await;
    ok(
        server
            .call(Method::GET, &format!("/api/v1/demands/{id}"), &other, None)
            .await,
        200,
    )
    .await;
    let stranger = server.token(P::Expert, Role::Staff).await;
    let r = server
        .call(Method::GET, "/api/v1/authorizations/999", &stranger, None)
        .await;
    expect_problem(r, 404, "resource.not-found").await;
}

#[tokio::test]
async fn consent_evidence_is_sealed_and_read_only_by_those_who_see_the_demand() {
    let server = TestServer::start().await;
    let user = server.token(P::User, Role::Staff).await;
    let operator = server.token(P::Operator, Role::Staff).await;
    let provider = server.token(P::Provider, Role::Staff).await;
    let demand = ok(
        server
            .call(
                Method::POST,
                "/api/v1/demands",
                &user,
                Some(json!({
                    "title": "征信评估",
                    "wanted": "企业纳税信用等级（尚未编目）",
                    "modes": ["sandbox"],
                    "scenario": "授信评估",
                    "purpose": "评估",
                    "term_months": 6,
                    "consent": "企业书面授权"
                })),
            )
            .await,
        201,
    )
    .await;
    let id = demand["id"].as_i64().unwrap();
    let path = format!("/api/v1/demands/{id}/consent-evidence");
    let letter = "本企业同意成都市公共数据运营平台使用本企业登记信息。"
        .as_bytes()
        .to_vec();
    let put = |token: String, body: Vec<u8>| {
        let url = server.url(&format!("{path}?file_name=授权书.txt"));
        async move {
            crate::common::client()
                .put(url)
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let attached = ok(put(user.clone(), letter.clone()).await, 201).await;
    assert_eq!(attached["byte_size"], letter.len());
    assert_eq!(attached["digest"].as_str().unwrap().len(), 64);
    // A scan above the server's body limit (kept small for JSON) but
    // within the evidence's own limit is taken; a larger one is refused.
    let scan = vec![b'%'; 5 << 20];
    let replaced = ok(put(user.clone(), scan.clone()).await, 201).await;
    assert_eq!(replaced["byte_size"], scan.len());
    let too_large = vec![b'%'; rongshu_workflow::MAX_EVIDENCE_BYTES + 1];
    expect_problem(put(user.clone(), too_large).await, 413, "request.too-large").await;
    ok(put(user.clone(), letter.clone()).await, 201).await;
    expect_problem(
        put(user.clone(), Vec::new()).await,
        422,
        "validation.invalid-field",
    )
    .await;
    // The file is not stored in the clear.
    let stored = server
        .state
        .store()
        .consent_evidence(id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.sealed.contains(&hex_of(&letter[..12])));

    let r = server.call(Method::GET, &path, &operator, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), letter);
    // A provider that was not asked about the demand cannot read it.
    let r = server.call(Method::GET, &path, &provider, None).await;
    expect_problem(r, 403, "access.not-a-party").await;

    // Once submitted, the evidence no longer changes.
    let steps = format!("/api/v1/demands/{id}/steps");
    ok(
        server
            .call(
                Method::POST,
                &steps,
                &user,
                Some(json!({ "action": "submit" })),
            )
            .await,
        200,
    )
    .await;
    expect_problem(
        put(user.clone(), letter).await,
        422,
        "validation.invalid-field",
    )
    .await;
    // The operator accepts an uncatalogued demand only naming its provider.
    let r = server
        .call(
            Method::POST,
            &steps,
            &operator,
            Some(json!({ "action": "accept" })),
        )
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let provider_org = server.account(P::Provider, Role::Staff).org_id;
    let accepted = ok(
        server
            .call(
                Method::POST,
                &steps,
                &operator,
                Some(json!({ "action": "accept", "providers": [provider_org] })),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(accepted["status"], "accepted");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stand-in office system: records every post it receives.
async fn receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
) {
    use axum::http::HeaderMap;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let record = record.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                record.lock().unwrap().push((
                    header("x-rongshu-timestamp"),
                    header("x-rongshu-signature"),
                    body,
                ));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

#[tokio::test]
async fn notices_reach_webhooks_signed_with_hmac_sm3() {
    let server = TestServer::start().await;
    let admin = server.token(P::Operator, Role::Admin).await;
    let staff = server.token(P::Operator, Role::Staff).await;
    let user = server.token(P::User, Role::Staff).await;
    let (url, seen) = receiver().await;

    let r = server
        .call(
            Method::POST,
            "/api/v1/me/webhooks",
            &staff,
            Some(json!({ "url": url })),
        )
        .await;
    expect_problem(r, 403, "access.wrong-role").await;
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/webhooks",
            &admin,
            Some(json!({ "url": "ftp://x" })),
        )
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let hook = ok(
        server
            .call(
                Method::POST,
                "/api/v1/me/webhooks",
                &admin,
                Some(json!({ "url": url })),
            )
            .await,
        201,
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("rswh_"));
    // A second hook that nobody answers.
    ok(
        server
            .call(
                Method::POST,
                "/api/v1/me/webhooks",
                &admin,
                Some(json!({ "url": "http://127.0.0.1:9/none" })),
            )
            .await,
        201,
    )
    .await;

    // A submitted demand notifies the operator.
    ok(
        server
            .call(
                Method::POST,
                "/api/v1/demands",
                &user,
                Some(json!({
                    "title": "网点选址",
                    "wanted": "人口热力（尚未编目）",
                    "modes": ["consulting"],
                    "scenario": "网点选址咨询",
                    "purpose": "选址",
                    "term_months": 3,
                    "submit": true
                })),
            )
            .await,
        201,
    )
    .await;
    let accepted = rongshu_server::dispatch_webhooks(&server.state)
        .await
        .unwrap();
    assert_eq!(accepted, 1, "one hook answered, one did not");
    let posts = seen.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    let (timestamp, signature, body) = &posts[0];
    let body_json: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body_json["kind"], "demand.submitted");
    assert_eq!(
        signature,
        &rongshu_server::webhook_signature(&secret, timestamp.parse().unwrap(), body)
    );
    assert_ne!(
        signature,
        &rongshu_server::webhook_signature("rswh_wrong", timestamp.parse().unwrap(), body)
    );
    // Delivered once; the failed one waits for its retry.
    assert_eq!(
        rongshu_server::dispatch_webhooks(&server.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    let hooks = ok(
        server
            .call(Method::GET, "/api/v1/me/webhooks", &admin, None)
            .await,
        200,
    )
    .await;
    assert_eq!(hooks.as_array().unwrap().len(), 2);
    assert!(hooks[0].get("secret").is_none(), "secrets are shown once");
    let id = hooks[0]["id"].as_i64().unwrap();
    let r = server
        .call(
            Method::DELETE,
            &format!("/api/v1/me/webhooks/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn administrators_manage_webhooks_in_the_console() {
    let server = TestServer::start().await;
    let admin = server.console(P::Provider, Role::Admin).await;
    let csrf = crate::common::console_csrf(&admin, &server).await;
    let page = crate::common::page(&admin, &server, "/settings").await;
    assert!(
        page.contains("消息推送"),
        "the webhooks section is shown to administrators"
    );
    let r = admin
        .post(server.url("/settings/webhooks"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", "https://oa.example.gov.cn/hooks/rongshu"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("id=\"new-webhook-secret\""),
        "the secret is shown once"
    );
    assert!(page.contains("https://oa.example.gov.cn/hooks/rongshu"));
    let again = crate::common::page(&admin, &server, "/settings").await;
    assert!(!again.contains("new-webhook-secret"));

    let staff = server.console(P::Provider, Role::Staff).await;
    let staff_csrf = crate::common::console_csrf(&staff, &server).await;
    assert!(
        !crate::common::page(&staff, &server, "/settings")
            .await
            .contains("消息推送")
    );
    let r = staff
        .post(server.url("/settings/webhooks"))
        .form(&[("csrf", staff_csrf.as_str()), ("url", "https://x.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_operator_names_providers_of_uncatalogued_data_in_the_console() {
    let server = TestServer::start().await;
    let user = server.token(P::User, Role::Staff).await;
    let demand = ok(
        server
            .call(
                Method::POST,
                "/api/v1/demands",
                &user,
                Some(json!({
                    "title": "社保缴纳人数",
                    "wanted": "按街道统计的社保缴纳人数（尚未编目）",
                    "modes": ["consulting"],
                    "scenario": "人力资源规划咨询",
                    "purpose": "规划",
                    "term_months": 6,
                    "submit": true
                })),
            )
            .await,
        201,
    )
    .await;
    let id = demand["id"].as_i64().unwrap();
    let operator = server.console(P::Operator, Role::Staff).await;
    let csrf = crate::common::console_csrf(&operator, &server).await;
    let page = crate::common::page(&operator, &server, &format!("/demands/{id}")).await;
    let provider = server.account(P::Provider, Role::Staff).org_id;
    let checkbox = format!("provider.{provider}");
    assert!(page.contains(&checkbox), "the accept form lists providers");
    let r = operator
        .post(server.url(&format!("/demands/{id}/steps")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "accept"),
            ("note", "由人社局提供"),
            (checkbox.as_str(), "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let read = ok(
        server
            .call(Method::GET, &format!("/api/v1/demands/{id}"), &user, None)
            .await,
        200,
    )
    .await;
    assert_eq!(read["status"], "accepted");
}

#[tokio::test]
async fn fields_are_asked_and_resources_narrowed_in_the_console() {
    let server = TestServer::start().await;
    let provider = server.token(P::Provider, Role::Staff).await;
    let operator = server.token(P::Operator, Role::Staff).await;
    let office = server.token(P::Governance, Role::Staff).await;
    create_resource(&server, &provider, "registrations", false).await;
    create_resource(&server, &provider, "licences", false).await;
    let key = front_key(&server, &provider).await;
    let csv = "名称,代码\n甲,1\n".as_bytes().to_vec();
    ok(
        push(&server, &key, "registrations", "file_name=a.csv", csv).await,
        201,
    )
    .await;

    // The user asks for one field of one resource and all of another.
    let user = server.console(P::User, Role::Staff).await;
    let csrf = crate::common::console_csrf(&user, &server).await;
    let form = crate::common::page(&user, &server, "/demands/new").await;
    assert!(
        form.contains("name=\"field.registrations.名称\""),
        "fields to pick"
    );
    let r = user
        .post(server.url("/demands"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "企业名称核验"),
            ("scenario", "开户前核验企业名称"),
            ("purpose", "核验"),
            ("term_months", "12"),
            ("item.registrations", "on"),
            ("item.licences", "on"),
            ("field.registrations.名称", "on"),
            ("mode.sandbox", "on"),
            ("submit", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let demand = ok(
        server
            .call(
                Method::GET,
                &format!("/api/v1/demands/{id}"),
                &operator,
                None,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(demand["items"][0]["resource"], "registrations");
    assert_eq!(demand["items"][0]["fields"], json!(["名称"]));
    assert_eq!(demand["items"][1]["resource"], "licences");
    assert_eq!(demand["items"][1]["fields"], json!([]));

    let steps = format!("/api/v1/demands/{id}/steps");
    ok(
        server
            .call(
                Method::POST,
                &steps,
                &operator,
                Some(json!({ "action": "accept" })),
            )
            .await,
        200,
    )
    .await;
    let list = ok(
        server
            .call(
                Method::POST,
                "/api/v1/demand-lists",
                &operator,
                Some(json!({ "period": "P" })),
            )
            .await,
        201,
    )
    .await;
    let list_id = list["id"].as_i64().unwrap();
    ok(
        server
            .call(
                Method::PUT,
                &format!("/api/v1/demand-lists/{list_id}/demands/{id}"),
                &operator,
                None,
            )
            .await,
        200,
    )
    .await;
    ok(
        server
            .call(
                Method::POST,
                &format!("/api/v1/demand-lists/{list_id}/submit"),
                &operator,
                None,
            )
            .await,
        200,
    )
    .await;
    let passed = ok(
        server
            .call(
                Method::POST,
                &format!("/api/v1/demands/{id}/review"),
                &office,
                Some(json!({ "decision": "pass" })),
            )
            .await,
        200,
    )
    .await;
    let assessment = passed["assessments"][0]["id"].as_i64().unwrap().to_string();

    // The provider authorizes only the registrations, as asked.
    let console = server.console(P::Provider, Role::Staff).await;
    let csrf = crate::common::console_csrf(&console, &server).await;
    let page = crate::common::page(&console, &server, &format!("/demands/{id}")).await;
    assert!(
        page.contains("name=\"resource.licences\""),
        "a choice of resources"
    );
    let answer = |extra: Vec<(&'static str, &'static str)>| {
        let mut fields = vec![
            ("csrf", csrf.clone()),
            ("assessment", assessment.clone()),
            ("decision", "authorize".to_owned()),
            ("deidentification", "de-identified".to_owned()),
            ("mode.sandbox", "on".to_owned()),
            ("narrow", "on".to_owned()),
        ];
        fields.extend(extra.into_iter().map(|(k, v)| (k, v.to_owned())));
        console
            .post(server.url(&format!("/demands/{id}/answer")))
            .form(&fields)
            .send()
    };
    let r = answer(vec![]).await.unwrap();
    assert_eq!(r.status(), 422, "at least one resource");
    let r = answer(vec![("resource.registrations", "on")])
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let authorizations = ok(
        server
            .call(Method::GET, "/api/v1/authorizations", &provider, None)
            .await,
        200,
    )
    .await;
    let resources = &authorizations[0]["resources"];
    assert_eq!(resources.as_array().unwrap().len(), 1, "{resources}");
    assert_eq!(resources[0]["fields"], json!(["名称"]));
}
