//! Walks every declared route with every party and role, and with nobody
//! signed in: whatever a route's access rule does not admit is refused
//! with a problem and ledgered as denied; whatever it admits gets past
//! the gate.

use rongshu_domain::{Access, PartyType, Role};
use rongshu_ledger::Outcome;
use rongshu_server::routes::{Audit, RouteSpec, Surface, routes};
use rongshu_store::testing::backends;

use crate::common::{TestServer, client};

const GATE_CODES: [&str; 3] = [
    "auth.sign-in-required",
    "access.wrong-party",
    "access.wrong-role",
];

fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{lang}", "en")
        .replace("{code}", "no-such-resource")
        .replace("{number}", "1")
        .replace("{action}", "package_list")
}

/// Routes that end the caller's own session or revoke keys (key 1 is the
/// operator admin's) go last, so the walk's credentials stay valid.
fn walk_order() -> Vec<&'static RouteSpec> {
    const ENDING: [&str; 4] = [
        "api-key.revoke",
        "account.reset-password",
        "account.disable",
        "session.revoke",
    ];
    let mut specs: Vec<_> = routes().iter().collect();
    specs.sort_by_key(|s| ENDING.iter().position(|a| *a == s.action));
    specs
}

struct Caller {
    who: Option<(PartyType, Role)>,
    bearer: Option<String>,
    front_key: Option<String>,
    /// Data calls take an API key, never a session.
    data_key: Option<String>,
    cookie_client: reqwest::Client,
}

async fn call(
    server: &TestServer,
    caller: &Caller,
    spec: &RouteSpec,
    request_id: &str,
) -> reqwest::Response {
    let url = match spec.surface {
        Surface::Front => format!("{}{}", server.front, concrete(spec.path)),
        _ => server.url(&concrete(spec.path)),
    };
    let http = match spec.surface {
        Surface::Console => caller.cookie_client.clone(),
        _ => client(),
    };
    let mut req = http
        .request(spec.method.clone(), url)
        .header("x-request-id", request_id);
    let api_token = if spec.audit == Audit::DataCall {
        &caller.data_key
    } else {
        &caller.bearer
    };
    match (spec.surface, api_token, &caller.front_key) {
        (Surface::Api, Some(token), _) | (Surface::Front, _, Some(token)) => {
            req = req.bearer_auth(token);
        }
        _ => {}
    }
    if spec.method != "GET" {
        req = match spec.surface {
            Surface::Console => req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(""),
            _ => req.header("content-type", "application/json").body("{}"),
        };
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn every_route_admits_exactly_its_declared_parties() {
    for backend in backends() {
        walk(TestServer::start_on(backend).await).await;
    }
}

async fn walk(server: TestServer) {
    let mut callers = vec![Caller {
        who: None,
        bearer: None,
        front_key: None,
        data_key: None,
        cookie_client: client(),
    }];
    for party in PartyType::ALL {
        for role in Role::ALL {
            callers.push(Caller {
                who: Some((party, role)),
                bearer: Some(server.token(party, role).await),
                front_key: Some(server.front_key(party, role).await),
                data_key: Some(server.api_key(party, role).await),
                cookie_client: server.console(party, role).await,
            });
        }
    }
    let mut checked = 0;
    for spec in walk_order() {
        if spec.access == Access::Public {
            continue;
        }
        for caller in &callers {
            let request_id = format!("walk-{checked}");
            let before = server.head().await;
            let r = call(&server, caller, spec, &request_id).await;
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
            let code = body["code"].as_str().unwrap_or("");
            let label = format!(
                "{} {} as {:?}: {status} {code}",
                spec.method, spec.path, caller.who
            );
            let admitted = caller.who.is_some_and(|(p, r)| spec.access.admits(p, r));
            if admitted {
                assert!(
                    !GATE_CODES.contains(&code),
                    "admitted caller was refused at the gate: {label}"
                );
            } else {
                assert!(status == 401 || status == 403, "{label}");
                assert!(GATE_CODES.contains(&code), "{label}");
                let expected = match caller.who {
                    None => "auth.sign-in-required",
                    Some((p, _))
                        if !spec.access.admits(p, Role::Admin)
                            && !spec.access.admits(p, Role::Staff)
                            && !spec.access.admits(p, Role::Auditor) =>
                    {
                        "access.wrong-party"
                    }
                    Some(_) => "access.wrong-role",
                };
                assert_eq!(code, expected, "{label}");
                let entries = server.entries_after(before).await;
                let denial = entries
                    .iter()
                    .find(|e| e.draft.request_id.as_deref() == Some(&request_id));
                let denial = denial.unwrap_or_else(|| panic!("denial not ledgered: {label}"));
                assert_eq!(denial.draft.outcome, Outcome::Denied, "{label}");
                assert_eq!(denial.draft.action, spec.action);
                assert_eq!(denial.draft.reason.as_deref(), Some(code));
                assert_eq!(denial.draft.actor_username.is_some(), caller.who.is_some());
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "walked {checked} route-caller pairs");
    let report = server.state.store().verify_ledger().await.unwrap();
    assert_eq!(report.result, Ok(()));
}

#[tokio::test]
async fn workbenches_are_each_open_to_one_party() {
    let server = TestServer::start().await;
    let provider = server.console(PartyType::Provider, Role::Staff).await;
    let r = provider
        .get(server.url("/workbench/provider"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for other in [
        "/workbench/operator",
        "/workbench/user",
        "/workbench/bigdata-center",
    ] {
        let r = provider
            .get(server.url(other))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{other}");
        let page = r.text().await.unwrap();
        assert!(
            page.contains("access.wrong-party"),
            "the page names the problem"
        );
    }
}
