//! The console in a real browser: Debian's chromium driven through
//! chromedriver's WebDriver API. Two parties sign in, each lands on its own
//! workbench, and neither can open the other's.
//!
//! Runs when chromedriver is installed; `.ci/run` installs it and sets
//! `RONGSHU_BROWSER_TESTS=1`, which makes a missing browser a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const PASSWORD: &str = "Browser-Passw0rd!";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find(program: &str) -> Option<String> {
    ["/usr/bin", "/usr/local/bin"]
        .iter()
        .map(|d| format!("{d}/{program}"))
        .find(|p| std::path::Path::new(p).exists())
}

/// A WebDriver session.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(r["value"].get("error").is_none(), "webdriver {path}: {r}");
        r["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        match v[ELEMENT].as_str() {
            Some(id) => id.to_owned(),
            None => panic!(
                "no element {css} ({v}) on {}:\n{}",
                self.url().await,
                self.source().await
            ),
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (bounded) until a navigation started by a click has landed.
    async fn landed_on(&self, prefix: &str) -> String {
        for _ in 0..100 {
            let url = self.url().await;
            if url.starts_with(prefix) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.url().await
    }

    async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn screenshot(&self, name: &str) {
        use std::io::Write as _;
        let b64 = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let png = decode_base64(b64.as_str().unwrap());
        std::fs::File::create(dir.join(name))
            .unwrap()
            .write_all(&png)
            .unwrap();
    }
}

/// Standard base64, for the screenshot.
fn decode_base64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

async fn sign_in(b: &Browser, base: &str, username: &str) {
    b.go(&format!("{base}/login")).await;
    b.type_into("#username", username).await;
    b.type_into("#password", PASSWORD).await;
    b.click("#sign-in").await;
}

async fn sign_out(b: &Browser) {
    b.click("header form button").await;
}

#[tokio::test]
async fn two_parties_each_see_only_their_own_workbench() {
    let required = std::env::var("RONGSHU_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let (Some(driver), Some(chromium)) = (find("chromedriver"), find("chromium")) else {
        assert!(
            !required,
            "RONGSHU_BROWSER_TESTS=1 but chromium or chromedriver is not installed"
        );
        eprintln!("skipped: chromium and chromedriver are not installed (.ci/run installs them)");
        return;
    };
    let dir =
        std::env::temp_dir().join(format!("rongshu-browser-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Killed(
        Command::new(env!("CARGO_BIN_EXE_rongshu"))
            .arg("--data-dir")
            .arg(&dir)
            .args([
                "demo",
                "--demo-password",
                PASSWORD,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("RONGSHU_AUTH__ARGON2_MEMORY_KIB", "1024")
            .env("RONGSHU_FRONT__LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_port = free_port();
    let _driver = Killed(
        Command::new(driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let driver_base = format!("http://127.0.0.1:{driver_port}");
    // Wait (bounded) for the server and the driver to listen.
    for url in [format!("{base}/readyz"), format!("{driver_base}/status")] {
        let mut ready = false;
        for _ in 0..100 {
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "{url} never answered");
    }
    let profile = dir.join("chromium-profile");
    let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
        "binary": chromium,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
    } } } });
    let session: Value = http
        .post(format!("{driver_base}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("{session}"))
        .to_owned();
    let b = Browser {
        http: http.clone(),
        base: format!("{driver_base}/session/{id}"),
    };

    // A provider: lands on the provider workbench, is refused the user's.
    sign_in(&b, &base, "scjgj-staff").await;
    assert_eq!(
        b.landed_on(&format!("{base}/workbench/")).await,
        format!("{base}/workbench/provider")
    );
    let page = b.source().await;
    assert!(
        page.contains("成都市市场监督管理局") && page.contains("数据提供单位"),
        "provider workbench"
    );
    assert!(page.contains("data-workbench=\"provider\""));
    b.screenshot("provider-workbench.png").await;

    // The provider uploads a GB18030 file from its resource page; the
    // page's script streams it with a progress bar and opens the report.
    let upload = dir.join("许可.csv");
    let csv = "企业名称,法定代表人身份证号\n成都测试科技有限公司,11010519491231002X\n";
    std::fs::write(&upload, encoding_rs::GB18030.encode(csv).0).unwrap();
    b.go(&format!("{base}/catalogue/business-registrations"))
        .await;
    b.type_into("#deliver input[type=file]", &upload.display().to_string())
        .await;
    b.click("#deliver button").await;
    let report = b.landed_on(&format!("{base}/ingests/")).await;
    let page = b.source().await;
    assert!(
        page.contains("成功") && page.contains("居民身份证号"),
        "upload report at {report}"
    );
    b.screenshot("ingest-report.png").await;
    b.go(&format!("{base}/workbench/user")).await;
    let page = b.source().await;
    assert!(
        page.contains("access.wrong-party") && page.contains("无权访问"),
        "provider refused the user workbench"
    );
    assert!(!page.contains("data-workbench=\"user\""));
    b.go(&format!("{base}/home")).await;
    sign_out(&b).await;
    assert!(
        b.landed_on(&format!("{base}/login"))
            .await
            .starts_with(&format!("{base}/login"))
    );

    // A user: lands on the user workbench, is refused the provider's.
    sign_in(&b, &base, "corp-staff").await;
    assert_eq!(
        b.landed_on(&format!("{base}/workbench/")).await,
        format!("{base}/workbench/user")
    );
    let page = b.source().await;
    assert!(page.contains("成都蓉城智行科技有限公司") && page.contains("data-workbench=\"user\""));
    b.go(&format!("{base}/workbench/provider")).await;
    let page = b.source().await;
    assert!(
        page.contains("access.wrong-party"),
        "user refused the provider workbench"
    );
    // English works in the browser too.
    b.go(&format!("{base}/lang/en?back=/home")).await;
    assert!(b.source().await.contains("Data user"));
    b.screenshot("user-workbench-en.png").await;

    // On a phone-sized window nothing overflows sideways.
    b.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({ "width": 390, "height": 844 })),
    )
    .await;
    for page in ["/home", "/settings"] {
        b.go(&format!("{base}{page}")).await;
        let fits = b
            .cmd(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({ "script": "return document.documentElement.scrollWidth <= window.innerWidth;", "args": [] })),
            )
            .await;
        assert_eq!(fits, json!(true), "{page} overflows a narrow screen");
    }
    b.screenshot("user-settings-narrow.png").await;
    b.cmd(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({ "width": 1280, "height": 900 })),
    )
    .await;
    b.go(&format!("{base}/lang/zh?back=/home")).await;
    sign_out(&b).await;
    b.landed_on(&format!("{base}/login")).await;

    // The Big Data Center's auditor reads both sign-ins in the ledger viewer.
    sign_in(&b, &base, "bdc-auditor").await;
    b.landed_on(&format!("{base}/workbench/")).await;
    b.go(&format!("{base}/ledger?action=session.create")).await;
    let page = b.source().await;
    assert!(
        page.contains("scjgj-staff") && page.contains("corp-staff"),
        "both sign-ins are ledgered"
    );
    b.screenshot("ledger-viewer.png").await;
    sign_out(&b).await;
    b.landed_on(&format!("{base}/login")).await;

    // The operator's administrator manages a provider's accounts.
    sign_in(&b, &base, "op-admin").await;
    b.landed_on(&format!("{base}/workbench/")).await;
    b.go(&format!("{base}/accounts")).await;
    let page = b.source().await;
    assert!(
        page.contains("op-auditor") && page.contains("name=\"org\""),
        "the operator's own accounts first"
    );
    b.screenshot("accounts-admin.png").await;

    let _ = http.delete(b.base.clone()).send().await;
    let _ = std::fs::remove_dir_all(&dir);
}
