//! Resources, the front system and the catalogue over HTTP.

use reqwest::Method;
use rongshu_domain::{PartyType as P, Role};
use serde_json::{Value, json};

use crate::common::{TestServer, client, expect_problem};

const ID_NUMBER: &str = "11010519491231002X";

fn registrations_gb18030(rows: usize) -> Vec<u8> {
    let mut text =
        String::from("企业名称,统一社会信用代码,法定代表人,法定代表人身份证号,成立日期\n");
    for i in 0..rows {
        text.push_str(&format!(
            "成都第{i}贸易有限公司,91510100MA61R9XX4U,王芳,{ID_NUMBER},2020-01-0{}\n",
            1 + i % 9
        ));
    }
    encoding_rs::GB18030.encode(&text).0.into_owned()
}

/// Creates a resource as the provider's staff; returns its code.
pub async fn create_resource(server: &TestServer, token: &str, code: &str, open: bool) -> Value {
    let r = server
        .call(
            Method::POST,
            "/api/v1/resources",
            token,
            Some(json!({
                "code": code,
                "title": "企业登记信息",
                "description": "市场主体登记",
                "theme": "market-regulation",
                "update_frequency": "daily",
                "open_data": open,
                "service_modes": ["sandbox", "download"],
                "registration": { "data_type": "库表", "data_format": "CSV" }
            })),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// A front-system key made through the API, as a provider would.
pub async fn front_key(server: &TestServer, token: &str) -> String {
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/api-keys",
            token,
            Some(json!({ "name": "前置机", "surface": "front" })),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["surface"], "front");
    body["key"].as_str().unwrap().to_owned()
}

pub async fn push(
    server: &TestServer,
    key: &str,
    code: &str,
    query: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    client()
        .post(format!(
            "{}/front/v1/resources/{code}/deliveries?{query}",
            server.front
        ))
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_delivers_through_the_front_system_and_grades() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "business-registrations", false).await;
    let key = front_key(&server, &staff).await;

    // The front key opens the front system only; the public key the reverse.
    let r = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.key-other-listener").await;
    let r = client()
        .get(format!("{}/front/v1/resources", server.front))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.sign-in-required").await;
    let r = client()
        .get(server.url("/front/v1/resources"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_problem(r, 404, "request.no-route").await;

    let r = push(
        &server,
        &key,
        "business-registrations",
        "file_name=登记.csv",
        registrations_gb18030(40),
    )
    .await;
    assert_eq!(r.status(), 201);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["version"]["number"], 1);
    assert_eq!(receipt["version"]["rows"], 40);
    assert_eq!(receipt["version"]["source_encoding"], "gb18030");
    assert_eq!(receipt["version"]["channel"], "front-push");
    assert_eq!(receipt["ingest"]["state"], "succeeded");

    let fields: Value = server
        .call(
            Method::GET,
            "/api/v1/resources/business-registrations/fields",
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let id_field = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "法定代表人身份证号")
        .unwrap();
    assert_eq!(id_field["detected_kind"], "resident_id");
    assert_eq!(id_field["sensitivity"], "general-4");
    let resource: Value = server
        .call(
            Method::GET,
            "/api/v1/resources/business-registrations",
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resource["suggested_grade"], "general-4");
    assert_eq!(resource["grade_confirmed"], false);

    // Lowering a field needs a reason, and never below 就高从严.
    let lower = json!({
        "grade": "general-3",
        "fields": [{ "name": "法定代表人身份证号", "sensitivity": "general-3", "personal_kind": "resident_id" }]
    });
    let r = server
        .call(
            Method::PUT,
            "/api/v1/resources/business-registrations/grading",
            &staff,
            Some(lower.clone()),
        )
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let too_low = json!({ "grade": "general-2", "reason": "x" });
    let r = server
        .call(
            Method::PUT,
            "/api/v1/resources/business-registrations/grading",
            &staff,
            Some(too_low),
        )
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;
    let mut with_reason = lower;
    with_reason["reason"] = json!("身份证号已按规定脱敏为前六位");
    let before = server.head().await;
    let r = server
        .call(
            Method::PUT,
            "/api/v1/resources/business-registrations/grading",
            &staff,
            Some(with_reason),
        )
        .await;
    assert_eq!(r.status(), 200);
    let graded: Value = r.json().await.unwrap();
    assert_eq!(
        (
            graded["grade"].as_str(),
            graded["grade_confirmed"].as_bool()
        ),
        (Some("general-3"), Some(true))
    );
    let entries = server.entries_after(before).await;
    let entry = entries
        .iter()
        .find(|e| e.draft.action == "grading.override")
        .unwrap();
    assert!(entry.draft.reason.as_deref().unwrap().contains("脱敏"));

    // A second delivery, then the versions compare.
    let r = push(
        &server,
        &key,
        "business-registrations",
        "file_name=登记2.csv",
        registrations_gb18030(45),
    )
    .await;
    assert_eq!(r.status(), 201);
    let cmp: Value = server
        .call(
            Method::GET,
            "/api/v1/resources/business-registrations/comparison?from=1&to=2",
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cmp["row_change"], 5);
    assert_eq!(cmp["same_content"], false);
    assert_eq!(cmp["added_fields"], json!([]));
    let versions: Value = server
        .call(
            Method::GET,
            "/api/v1/resources/business-registrations/versions",
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // Another provider can neither deliver nor inspect it.
    let stranger = server.token(P::User, Role::Staff).await;
    let r = server
        .call(
            Method::GET,
            "/api/v1/resources/business-registrations/versions",
            &stranger,
            None,
        )
        .await;
    expect_problem(r, 403, "access.wrong-party").await;

    // The data directory holds no plaintext.
    assert!(!crate::common::contains_anywhere(
        server.files.path(),
        ID_NUMBER.as_bytes()
    ));
    assert!(!crate::common::contains_anywhere(
        server.files.path(),
        "贸易有限公司".as_bytes()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deliveries_have_an_error_report() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "licences", false).await;
    let key = front_key(&server, &staff).await;
    let mut csv = String::from("许可证号,核定载客\n");
    for i in 0..30 {
        csv.push_str(&format!(
            "XK{i:04},{}\n",
            if i % 3 == 0 { "五" } else { "5" }
        ));
    }
    let r = push(
        &server,
        &key,
        "licences",
        "file_name=l.csv&types=核定载客:integer",
        csv.into_bytes(),
    )
    .await;
    let problem = expect_problem(r, 422, "delivery.too-many-bad-rows").await;
    let detail = problem["detail"].as_str().unwrap();
    let ingest_id: i64 = detail
        .split("ingest ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    let ingest: Value = server
        .call(
            Method::GET,
            &format!("/api/v1/ingests/{ingest_id}"),
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (ingest["state"].as_str(), ingest["bad_rows"].as_i64()),
        (Some("failed"), Some(10))
    );
    let report = server
        .call(
            Method::GET,
            &format!("/api/v1/ingests/{ingest_id}/errors.csv"),
            &staff,
            None,
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(report.lines().count(), 11, "{report}");
    assert!(report.contains("核定载客"));

    for (query, code) in [
        ("file_name=x", "validation.invalid-field"),
        (
            "file_name=x.csv&encoding=latin1",
            "validation.invalid-field",
        ),
        ("file_name=x.csv&types=a", "validation.invalid-field"),
        ("file_name=x.xlsx&sheet=S", "delivery.malformed"),
    ] {
        let r = push(&server, &key, "licences", query, b"a,b\n1,2\n".to_vec()).await;
        expect_problem(r, 422, code).await;
    }
    let r = push(
        &server,
        &key,
        "no-such",
        "file_name=x.csv",
        b"a\n1\n".to_vec(),
    )
    .await;
    expect_problem(r, 404, "resource.not-found").await;
}

#[tokio::test]
async fn the_catalogue_shows_open_resources_to_everyone() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "bus-stops", true).await;
    create_resource(&server, &staff, "permits", false).await;
    let anonymous: Value = client()
        .get(server.url("/api/v1/resources"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous.as_array().unwrap().len(), 1);
    let r = client()
        .get(server.url("/api/v1/resources/permits"))
        .send()
        .await
        .unwrap();
    expect_problem(r, 401, "auth.sign-in-required").await;
    let user = server.token(P::User, Role::Staff).await;
    let all: Value = server
        .call(Method::GET, "/api/v1/resources?q=企业", &user, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let r = server
        .call(Method::GET, "/api/v1/resources?grade=top", &user, None)
        .await;
    expect_problem(r, 422, "validation.invalid-field").await;

    // Registration: register, change, cancel; then nothing more.
    let path = "/api/v1/resources/permits/registration";
    for (action, status) in [
        ("change", 409),
        ("register", 200),
        ("register", 409),
        ("change", 200),
        ("cancel", 200),
        ("edit", 409),
    ] {
        let r = server
            .call(
                Method::PUT,
                path,
                &staff,
                Some(json!({ "action": action, "data_type": "库表", "registration_code": "DJ-1" })),
            )
            .await;
        assert_eq!(r.status(), status, "{action}");
    }
    let csv = server
        .call(Method::GET, "/api/v1/registrations.csv", &staff, None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("permits") && csv.contains("cancelled") && csv.contains("DJ-1"),
        "{csv}"
    );
}

#[tokio::test]
async fn front_keys_of_other_parties_meet_the_front_gate() {
    let server = TestServer::start().await;
    let key = server.front_key(P::Operator, Role::Admin).await;
    let r = client()
        .get(format!("{}/front/v1/resources", server.front))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_problem(r, 403, "access.wrong-party").await;
}

/// Serves `body` at `/exports/<name>` on a loopback port until dropped.
async fn file_server(name: &'static str, body: &'static str) -> String {
    let app = axum::Router::new().route(
        &format!("/exports/{name}"),
        axum::routing::get(move || async move { body }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/exports/{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_system_pulls_from_urls_and_tables_on_schedule() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "licences", false).await;
    let key = front_key(&server, &staff).await;
    let front = |method: Method, path: String, body: Option<Value>| {
        let mut req = client()
            .request(method, format!("{}{path}", server.front))
            .bearer_auth(&key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move { req.send().await.unwrap() }
    };
    let create = "/front/v1/resources/licences/pulls".to_owned();
    let due = || {
        server
            .state
            .deliveries()
            .run_due_pulls(&rongshu_delivery::Platform)
    };

    let url = file_server(
        "licences.csv",
        "许可证号,车牌号\nXK1,川A12345\nXK2,川A6789D\n",
    )
    .await;
    let http_pull = json!({ "kind": "http", "location": url, "interval_minutes": 60 });
    let r = front(Method::POST, create.clone(), Some(http_pull)).await;
    assert_eq!(r.status(), 201);
    let pull: Value = r.json().await.unwrap();

    // The schedule: a new source is due at once; a second run is not.
    assert_eq!(due().await.unwrap(), 1);
    assert_eq!(due().await.unwrap(), 0);
    let versions: Value = server
        .call(
            Method::GET,
            "/api/v1/resources/licences/versions",
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions[0]["channel"], "front-pull");
    assert_eq!(versions[0]["rows"], 2);

    // Run now, by hand; then stop it.
    let run = |pull: &Value| format!("/front/v1/pulls/{}/run", pull["id"]);
    let r = front(Method::POST, run(&pull), None).await;
    assert_eq!(r.status(), 201);
    let listed: Value = front(Method::GET, "/front/v1/pulls".into(), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed[0]["last_status"]
            .as_str()
            .unwrap()
            .starts_with("delivered version 2")
    );
    let r = front(
        Method::DELETE,
        format!("/front/v1/pulls/{}", pull["id"]),
        None,
    )
    .await;
    assert_eq!(r.status(), 204);

    // Bad sources are refused before they are stored.
    for bad in [
        json!({ "kind": "ftp", "location": "ftp://x", "interval_minutes": 5 }),
        json!({ "kind": "postgres", "location": "postgres://h/db", "table": "t; drop", "interval_minutes": 5 }),
        json!({ "kind": "http", "location": url, "interval_minutes": 0 }),
    ] {
        let r = front(Method::POST, create.clone(), Some(bad)).await;
        expect_problem(r, 422, "validation.invalid-field").await;
    }

    // A PostgreSQL table, when a server is at hand; its password never shows.
    let Ok(pg) = std::env::var(rongshu_store::testing::POSTGRES_ENV) else {
        return;
    };
    let table = format!("pull_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut conn,
        format!(
            "CREATE TABLE {table} (plate text, seats int, issued date, fee numeric(8,2)); \
             INSERT INTO {table} VALUES ('川A12345', 5, '2024-05-06', 12.50), ('川A6789D', 7, NULL, 3)"
        )
        .as_str(),
    )
    .await
    .unwrap();
    let table_pull =
        json!({ "kind": "postgres", "location": pg, "table": table, "interval_minutes": 1440 });
    let r = front(Method::POST, create, Some(table_pull)).await;
    assert_eq!(r.status(), 201);
    let pull: Value = r.json().await.unwrap();
    assert!(
        pull["location"].as_str().unwrap().contains(":***@"),
        "{pull}"
    );
    let r = front(Method::POST, run(&pull), None).await;
    let status = r.status();
    let receipt: Value = r.json().await.unwrap();
    sqlx::Executor::execute(&mut conn, format!("DROP TABLE {table}").as_str())
        .await
        .unwrap();
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["version"]["rows"], 2);
    assert_eq!(receipt["version"]["source_format"], "ndjson");
}

/// The done-means of issue 3: GB18030 CSV (above), XLSX and Parquet through
/// the front system, classified, in the catalogue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_and_parquet_arrive_through_the_front_system() {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "licences", false).await;
    let key = front_key(&server, &staff).await;

    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("车辆").unwrap();
    for (c, h) in ["车牌号", "驾驶员", "驾驶员手机"].iter().enumerate() {
        sheet.write(0, c as u16, *h).unwrap();
    }
    for r in 1..=20u32 {
        sheet.write(r, 0, format!("川A{:05}", 10000 + r)).unwrap();
        sheet.write(r, 1, "王芳").unwrap();
        sheet.write(r, 2, 13800000000.0 + f64::from(r)).unwrap();
    }
    let xlsx = workbook.save_to_buffer().unwrap();
    let delivered = |query: &'static str, body: Vec<u8>| {
        let (server, key) = (&server, &key);
        async move {
            let r = push(server, key, "licences", query, body).await;
            assert_eq!(r.status(), 201, "{query}");
            let receipt: Value = r.json().await.unwrap();
            let v = &receipt["version"];
            (
                v["rows"].as_i64().unwrap(),
                v["source_format"].as_str().unwrap().to_owned(),
            )
        }
    };
    let xlsx_version = delivered("file_name=车辆.xlsx&sheet=车辆", xlsx).await;
    assert_eq!(xlsx_version, (20, "xlsx".to_owned()));

    let (_, parquet) = rongshu_ingest::ingest(
        registrations_gb18030(30).as_slice(),
        &rongshu_ingest::IngestOptions::new(rongshu_ingest::Format::Csv),
        Vec::new(),
        &mut |_| {},
    )
    .unwrap();
    let parquet_version = delivered("file_name=export.parquet", parquet).await;
    assert_eq!(parquet_version, (30, "parquet".to_owned()));

    let fields: Value = server
        .call(
            Method::GET,
            "/api/v1/resources/licences/fields",
            &staff,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = fields
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["detected_kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"resident_id") && kinds.contains(&"credit_code"),
        "{kinds:?}"
    );
    let operator = server.token(P::Operator, Role::Staff).await;
    let catalogue: Value = server
        .call(Method::GET, "/api/v1/resources?q=licences", &operator, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(catalogue[0]["latest_version"], 2);
}
