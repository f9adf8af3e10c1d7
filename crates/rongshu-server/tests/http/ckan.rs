//! The CKAN-compatible API and the DCAT export, read by hand and by the
//! real `ckanapi` client.

use reqwest::Method;
use rongshu_domain::{PartyType as P, Role};
use serde_json::{Value, json};

use crate::common::{TestServer, client};
use crate::deliveries::{create_resource, front_key, push};

async fn action(server: &TestServer, key: Option<&str>, name: &str, query: &str) -> (u16, Value) {
    let mut req = client().get(server.url(&format!("/api/3/action/{name}?{query}")));
    if let Some(key) = key {
        // CKAN clients send the key bare.
        req = req.header("authorization", key);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn seeded() -> (TestServer, String) {
    let server = TestServer::start().await;
    let staff = server.token(P::Provider, Role::Staff).await;
    create_resource(&server, &staff, "bus-stops", true).await;
    create_resource(&server, &staff, "permits", false).await;
    let front = front_key(&server, &staff).await;
    let csv = "站点,线路\n天府广场,1路\n春熙路,2路\n".as_bytes().to_vec();
    assert_eq!(
        push(&server, &front, "bus-stops", "file_name=s.csv", csv)
            .await
            .status(),
        201
    );
    let r = server
        .call(
            Method::POST,
            "/api/v1/me/api-keys",
            &staff,
            Some(json!({ "name": "ckan" })),
        )
        .await;
    let key = r.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    (server, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ckan_actions_answer_in_ckans_envelope() {
    let (server, key) = seeded().await;
    let (status, list) = action(&server, None, "package_list", "").await;
    assert_eq!(status, 200);
    assert_eq!(list["success"], true);
    assert_eq!(
        list["result"],
        json!(["bus-stops"]),
        "anonymous callers see open data only"
    );
    let (_, list) = action(&server, Some(&key), "package_list", "").await;
    assert_eq!(list["result"], json!(["bus-stops", "permits"]));

    let (_, found) = action(
        &server,
        Some(&key),
        "package_search",
        "q=企业&rows=1&start=0",
    )
    .await;
    assert_eq!(found["result"]["count"], 2);
    assert_eq!(found["result"]["results"].as_array().unwrap().len(), 1);
    let (_, found) = action(
        &server,
        Some(&key),
        "package_search",
        "fq=organization:provider%20AND%20private:false",
    )
    .await;
    assert_eq!(found["result"]["count"], 1);
    let (status, bad) = action(&server, None, "package_search", "fq=colour:red").await;
    assert_eq!((status, bad["success"].as_bool()), (409, Some(false)));
    assert_eq!(bad["error"]["__type"], "Validation Error");

    let (_, shown) = action(&server, None, "package_show", "id=bus-stops").await;
    let pkg = &shown["result"];
    assert_eq!(pkg["name"], "bus-stops");
    assert_eq!(pkg["organization"]["name"], "provider");
    assert_eq!(pkg["num_resources"], 1);
    assert_eq!(pkg["groups"][0]["name"], "market-regulation");
    let (status, hidden) = action(&server, None, "package_show", "id=permits").await;
    assert_eq!(
        (status, hidden["error"]["__type"].as_str()),
        (404, Some("Not Found Error"))
    );
    let (_, orgs) = action(&server, None, "organization_list", "all_fields=true").await;
    assert_eq!(orgs["result"][0]["package_count"], 1);
    let (status, _) = action(&server, None, "resource_delete", "").await;
    assert_eq!(status, 400);

    // CKAN clients POST JSON.
    let r = client()
        .post(server.url("/api/3/action/package_show"))
        .json(&json!({ "id": "bus-stops" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["result"]["title"],
        "企业登记信息"
    );

    let dcat: Value = client()
        .get(server.url("/api/v1/catalog.jsonld"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dcat["@type"], "dcat:Catalog");
    let datasets = dcat["dcat:dataset"].as_array().unwrap();
    assert_eq!(datasets.len(), 1);
    assert_eq!(datasets[0]["dct:accessRights"], "PUBLIC");
    assert_eq!(
        datasets[0]["dcat:distribution"][0]["dcat:mediaType"],
        "application/vnd.apache.parquet"
    );
}

/// The `ckanapi` command-line client (pip install ckanapi) reads the
/// catalogue unchanged. CI installs it; elsewhere the test says it did
/// not run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ckanapi_client_reads_the_catalogue() {
    if std::process::Command::new("ckanapi")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("ckanapi is not installed; skipping (pip install ckanapi)");
        assert!(std::env::var_os("CI").is_none(), "CI must install ckanapi");
        return;
    }
    let (server, key) = seeded().await;
    let run = |args: Vec<String>| async move {
        let out = tokio::process::Command::new("ckanapi")
            .args(&args)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "ckanapi {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let remote = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend(["-r".into(), server.base.clone(), "-a".into(), key.clone()]);
        args
    };
    let list = run(remote(&["action", "package_list"])).await;
    assert_eq!(list, json!(["bus-stops", "permits"]));
    let shown = run(remote(&["action", "package_show", "id=permits"])).await;
    assert_eq!(shown["private"], true);
    let found = run(remote(&["action", "package_search", "q=企业", "rows:5"])).await;
    assert_eq!(found["count"], 2);
    let orgs = run(remote(&["action", "organization_list"])).await;
    assert_eq!(orgs, json!(["provider"]));
}
