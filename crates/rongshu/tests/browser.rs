//! The console in a real browser: Debian's chromium driven through
//! chromedriver's WebDriver API. Two parties sign in, each lands on its own
//! workbench, and neither can open the other's.
//!
//! Runs when chromedriver is installed; `.ci/run` installs it and sets
//! `RONGSHU_BROWSER_TESTS=1`, which makes a missing browser a failure.

use std::io::{Read, Write};
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

    /// Navigates and waits (bounded) until the page has a body: under load
    /// ChromeDriver has answered a navigation before the new document
    /// was there to read.
    async fn go(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
        let ready = json!({
            "script": "return document.readyState === 'complete' && !!document.body && document.body.childElementCount > 0;",
            "args": [],
        });
        for _ in 0..200 {
            let done = self
                .cmd(reqwest::Method::POST, "/execute/sync", Some(ready.clone()))
                .await;
            if done == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{url} never loaded");
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

    /// Replaces the field's value with `text`.
    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
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

/// A demo server, chromedriver and one browser session; all end on drop.
struct Harness {
    b: Browser,
    base: String,
    dir: std::path::PathBuf,
    _server: Killed,
    _driver: Killed,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

/// Browser sessions at once: each is a seeded server and a Chromium, and
/// more than two on two cores starve one another into blank pages.
static SESSIONS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

impl Drop for Harness {
    fn drop(&mut self) {
        // Before chromedriver is killed: killed alone, it leaves its
        // browser running, orphaned, after the tests.
        end_session(&self.b.base);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Ends a WebDriver session (`http://host:port/session/id`), which makes
/// chromedriver quit the browser it started. Plain blocking HTTP: this
/// runs in `drop`, where the async client cannot be awaited.
fn end_session(session: &str) {
    let Some((host, path)) = session
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
    else {
        return;
    };
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let request = format!(
        "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // The answer comes once the browser has quit.
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

/// Starts the demo and a browser, or None when the browser is missing
/// and not required.
async fn start() -> Option<Harness> {
    let required = std::env::var("RONGSHU_BROWSER_TESTS").is_ok_and(|v| v == "1");
    let (Some(driver), Some(chromium)) = (find("chromedriver"), find("chromium")) else {
        assert!(
            !required,
            "RONGSHU_BROWSER_TESTS=1 but chromium or chromedriver is not installed"
        );
        eprintln!("skipped: chromium and chromedriver are not installed (.ci/run installs them)");
        return None;
    };
    let _slot = SESSIONS
        .acquire()
        .await
        .expect("the semaphore is never closed");
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
        http,
        base: format!("{driver_base}/session/{id}"),
    };
    Some(Harness {
        b,
        base,
        dir,
        _server,
        _driver,
        _slot,
    })
}

#[tokio::test]
async fn two_parties_each_see_only_their_own_workbench() {
    let Some(h) = start().await else { return };
    let (b, base, dir) = (&h.b, h.base.as_str(), &h.dir);
    // A provider: lands on the provider workbench, is refused the user's.
    sign_in(b, base, "scjgj-staff").await;
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
    sign_out(b).await;
    assert!(
        b.landed_on(&format!("{base}/login"))
            .await
            .starts_with(&format!("{base}/login"))
    );

    // A user: lands on the user workbench, is refused the provider's.
    sign_in(b, base, "corp-staff").await;
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
    sign_out(b).await;
    b.landed_on(&format!("{base}/login")).await;

    // The Big Data Center's auditor reads both sign-ins in the ledger viewer.
    sign_in(b, base, "bdc-auditor").await;
    b.landed_on(&format!("{base}/workbench/")).await;
    b.go(&format!("{base}/ledger?action=session.create")).await;
    let page = b.source().await;
    assert!(
        page.contains("scjgj-staff") && page.contains("corp-staff"),
        "both sign-ins are ledgered"
    );
    b.screenshot("ledger-viewer.png").await;
    sign_out(b).await;
    b.landed_on(&format!("{base}/login")).await;

    // The operator's administrator manages a provider's accounts.
    sign_in(b, base, "op-admin").await;
    b.landed_on(&format!("{base}/workbench/")).await;
    b.go(&format!("{base}/accounts")).await;
    let page = b.source().await;
    assert!(
        page.contains("op-auditor") && page.contains("name=\"org\""),
        "the operator's own accounts first"
    );
    b.screenshot("accounts-admin.png").await;

    let _ = b.http.delete(b.base.clone()).send().await;
}

/// The ids in `href="/<kind>/<id>"` links of a page, in page order.
fn linked_ids(page: &str, kind: &str) -> Vec<i64> {
    let needle = format!("href=\"/{kind}/");
    page.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &page[at + needle.len()..];
            let end = rest.find(|c: char| !c.is_ascii_digit())?;
            rest[..end].parse().ok()
        })
        .collect()
}

/// The number in the first `data-<attr>="<n>"` of a page.
fn first_data(page: &str, attr: &str) -> i64 {
    let needle = format!("data-{attr}=\"");
    let at = page
        .find(&needle)
        .unwrap_or_else(|| panic!("no data-{attr} in:\n{page}"))
        + needle.len();
    page[at..].split('"').next().unwrap().parse().unwrap()
}

/// Chooses the suspension form's scope whose name contains `named`; its
/// value.
async fn choose_scope(b: &Browser, named: &str) -> String {
    let chosen = b
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "var s = document.querySelector('#suspend select[name=scope]'); \
                 var o = Array.from(s.options).find(o => o.textContent.includes(arguments[0])); \
                 s.value = o.value; return o.value;",
                "args": [named],
            })),
        )
        .await;
    chosen.as_str().unwrap().to_owned()
}

/// Clicks a submit button and waits (bounded) until the next page has
/// loaded, even when it has the same address.
async fn submit(b: &Browser, css: &str) {
    let script = |s: &str| json!({ "script": s, "args": [] });
    b.cmd(
        reqwest::Method::POST,
        "/execute/sync",
        Some(script("window.__before = true;")),
    )
    .await;
    b.click(css).await;
    for _ in 0..200 {
        let loaded = b
            .cmd(
                reqwest::Method::POST,
                "/execute/sync",
                Some(script(
                    "return window.__before === undefined && document.readyState === 'complete';",
                )),
            )
            .await;
        if loaded == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no page loaded after clicking {css}");
}

async fn as_party(b: &Browser, base: &str, username: &str) {
    if b.url().await.starts_with(base) && !b.url().await.contains("/login") {
        b.go(&format!("{base}/home")).await;
        sign_out(b).await;
        b.landed_on(&format!("{base}/login")).await;
    }
    sign_in(b, base, username).await;
    b.landed_on(&format!("{base}/workbench/")).await;
}

async fn status_of(b: &Browser, base: &str, demand: i64) -> String {
    b.go(&format!("{base}/demands/{demand}")).await;
    let page = b.source().await;
    let at = page
        .find("data-status=\"")
        .unwrap_or_else(|| panic!("no status on demand {demand}'s page:\n{page}"))
        + "data-status=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_demand_goes_from_filing_to_delivery_through_every_party() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());

    // The user files a demand from the form.
    as_party(b, base, "corp-staff").await;
    b.go(&format!("{base}/demands/new")).await;
    b.type_into("input[name=title]", "门店周边企业画像").await;
    b.click("input[name='item.business-registrations']").await;
    b.click("input[name='mode.sandbox']").await;
    b.type_into(
        "textarea[name=scenario]",
        "连锁门店选址时评估周边企业经营状况",
    )
    .await;
    b.type_into("textarea[name=purpose]", "门店选址").await;
    submit(b, "button[value=submit]").await;
    let url = b.landed_on(&format!("{base}/demands/")).await;
    let demand: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(status_of(b, base, demand).await, "pre-review");

    // The operator accepts it, opens a list, lists it and submits the list.
    as_party(b, base, "op-staff").await;
    b.go(&format!("{base}/demands/{demand}")).await;
    b.type_into("input[data-for=accept]", "需求合理可行").await;
    submit(b, "button[data-action=accept]").await;
    assert_eq!(status_of(b, base, demand).await, "accepted");
    b.go(&format!("{base}/lists")).await;
    b.type_into("input[name=period]", "浏览器测试批次").await;
    submit(b, "button[data-action=new-list]").await;
    b.landed_on(&format!("{base}/lists")).await;
    let list = first_data(&b.source().await, "list");
    b.go(&format!("{base}/demands/{demand}")).await;
    b.click(&format!("select[name=list] option[value='{list}']"))
        .await;
    submit(b, "button[data-action=list]").await;
    let after = b.source().await;
    assert!(!after.contains("notice error"), "{after}");
    assert_eq!(status_of(b, base, demand).await, "listed");
    b.go(&format!("{base}/lists")).await;
    submit(
        b,
        &format!("section[data-list='{list}'] button[data-action=submit-list]"),
    )
    .await;
    b.landed_on(&format!("{base}/lists")).await;
    assert_eq!(status_of(b, base, demand).await, "office-review");

    // The Office sees it in its queue with its deadline, and passes it.
    as_party(b, base, "gov-staff").await;
    let queue = b.source().await;
    assert!(queue.contains("门店周边企业画像"), "in the Office's queue");
    assert!(queue.contains("个工作日"), "working days left are shown");
    // The demo's provider answer passed 26 days ago is overdue, and the
    // Office, which supervises providers, sees it standing out.
    assert!(
        queue.contains("道路运输企业信用画像") && queue.contains("已逾期"),
        "an overdue answer in the Office's queue"
    );
    assert!(queue.contains("data-overdue="), "the overdue count");
    b.go(&format!("{base}/demands/{demand}")).await;
    submit(b, "button[data-action=pass]").await;
    assert_eq!(status_of(b, base, demand).await, "with-providers");
    b.screenshot("demand-with-providers.png").await;

    // The provider finds it due in 10 working days and authorizes.
    as_party(b, base, "scjgj-staff").await;
    let queue = b.source().await;
    assert!(
        queue.contains("门店周边企业画像"),
        "in the provider's queue"
    );
    b.go(&format!("{base}/demands/{demand}")).await;
    b.type_into("form.answer input[name=quota]", "每日 500 次")
        .await;
    b.type_into("form.answer input[name=daily_use_limit]", "500")
        .await;
    submit(b, "button[data-action=authorize]").await;
    assert_eq!(status_of(b, base, demand).await, "authorized");
    let page = b.source().await;
    let agreements = linked_ids(&page, "agreements");
    let authorization = linked_ids(&page, "authorizations")[0];
    assert_eq!(agreements.len(), 2, "tripartite and data use agreements");

    // Every party signs its agreements with its SM2 key.
    for signer in ["scjgj-staff", "op-staff", "bdc-staff", "corp-staff"] {
        as_party(b, base, signer).await;
        for agreement in &agreements {
            b.go(&format!("{base}/agreements/{agreement}")).await;
            if b.source().await.contains("data-action=\"sign\"") {
                submit(b, "button[data-action=sign]").await;
                let after = b.source().await;
                assert!(!after.contains("notice error"), "{signer}: {after}");
            }
        }
    }
    // The operator is party to both.
    as_party(b, base, "op-staff").await;
    for agreement in &agreements {
        b.go(&format!("{base}/agreements/{agreement}")).await;
        let page = b.source().await;
        let table = page.find("<table").unwrap_or(0)..page.find("</table>").unwrap_or(0);
        assert!(
            page.contains("data-status=\"signed\""),
            "agreement {agreement} signed: {}",
            &page[table]
        );
        assert!(page.contains("in-force"), "agreement {agreement} in force");
    }
    b.screenshot("agreement-signed.png").await;

    // The provider delivers; the task and the demand close.
    as_party(b, base, "scjgj-staff").await;
    let upload = h.dir.join("登记.csv");
    std::fs::write(
        &upload,
        "企业名称,成立日期\n成都门店测试有限公司,2021-03-01\n",
    )
    .unwrap();
    b.go(&format!("{base}/catalogue/business-registrations"))
        .await;
    b.type_into("#deliver input[type=file]", &upload.display().to_string())
        .await;
    b.click("#deliver button").await;
    b.landed_on(&format!("{base}/ingests/")).await;
    let mut status = String::new();
    for _ in 0..50 {
        status = status_of(b, base, demand).await;
        if status == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "delivered");

    // Termination with grounds ends the agreements at once.
    b.go(&format!("{base}/authorizations/{authorization}"))
        .await;
    let terms = b.source().await;
    assert!(
        terms.contains("每日调用上限") && terms.contains("<dd>500</dd>"),
        "the daily use limit among the terms"
    );
    b.type_into("textarea[name=grounds]", "依上级通知调整共享方式")
        .await;
    submit(b, "button[data-action=terminate]").await;
    let page = b.source().await;
    assert!(page.contains("data-status=\"terminated\""), "{page}");
    assert_eq!(
        page.matches("data-agreement=\"terminated\"").count(),
        2,
        "both agreements ended"
    );
    b.screenshot("authorization-terminated.png").await;
    let _ = b.http.delete(b.base.clone()).send().await;
}

#[tokio::test]
async fn a_researcher_downloads_a_product_watching_its_progress() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());
    as_party(b, base, "scu-researcher").await;
    b.go(&format!("{base}/products")).await;
    let page = b.source().await;
    assert!(
        page.contains("data-product=\"food-inspections-download\""),
        "the product list: {page}"
    );
    b.go(&format!("{base}/products/food-inspections-download"))
        .await;
    b.click("select[name=format] option[value='csv-gb18030']")
        .await;
    b.click("#download button").await;
    let probe = json!({
        "script": "var s = document.querySelector('#download [role=status]'); \
                   return [s.dataset.done || '', s.dataset.bytes || '0', s.textContent];",
        "args": [],
    });
    for _ in 0..200 {
        let seen = b
            .cmd(reqwest::Method::POST, "/execute/sync", Some(probe.clone()))
            .await;
        if seen[0] == json!("true") {
            let bytes: u64 = seen[1].as_str().unwrap().parse().unwrap();
            assert!(bytes > 1000, "the package streamed in: {seen}");
            let said = seen[2].as_str().unwrap();
            assert!(
                said.starts_with("已下载") && said.contains(".zip"),
                "{said}"
            );
            b.screenshot("product-download.png").await;
            refused_download_speaks_chinese(b).await;
            return;
        }
        assert!(
            !b.source().await.contains("notice error"),
            "{}",
            b.source().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the download did not finish");
}

/// A refused download says why in the console's language, not in the
/// problem's English detail.
async fn refused_download_speaks_chinese(b: &Browser) {
    let bogus = json!({
        "script": "var s = document.querySelector('select[name=format]'); \
                   var o = document.createElement('option'); o.value = 'docx'; \
                   s.appendChild(o); s.value = 'docx';",
        "args": [],
    });
    b.cmd(reqwest::Method::POST, "/execute/sync", Some(bogus))
        .await;
    b.click("#download button").await;
    let probe = json!({
        "script": "var s = document.querySelector('#download [role=status]'); \
                   return [s.className, s.textContent];",
        "args": [],
    });
    for _ in 0..200 {
        let seen = b
            .cmd(reqwest::Method::POST, "/execute/sync", Some(probe.clone()))
            .await;
        if seen[0] == json!("notice error") {
            assert_eq!(seen[1], json!("填写的内容不符合要求。"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the refused download said nothing");
}

#[tokio::test]
async fn the_operator_previews_and_changes_a_product_in_the_console() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());
    as_party(b, base, "op-staff").await;
    b.go(&format!("{base}/products/registrations-query")).await;
    submit(b, "#edit-product").await;
    let page = b.source().await;
    assert!(
        page.contains("\"op\": \"trim\""),
        "the pipeline, filled in: {page}"
    );

    // Preview: the delivered names, then the masked ones.
    submit(b, "button[value=preview]").await;
    let cells = |which: &str| {
        json!({
            "script": format!("return Array.from(document.querySelectorAll('table[data-sample={which}] td')).map(c => c.textContent);"),
            "args": [],
        })
    };
    let before = b
        .cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(cells("before")),
        )
        .await;
    let after = b
        .cmd(reqwest::Method::POST, "/execute/sync", Some(cells("after")))
        .await;
    let masked = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|c| c.as_str().unwrap().contains('*'))
            .count()
    };
    assert!(
        masked(&before) == 0 && masked(&after) >= 10,
        "{before} → {after}"
    );
    b.screenshot("product-preview.png").await;

    // A pipeline that does not read comes back with its problem, as typed.
    b.type_into("textarea[name=pipeline]", "{\"steps\":[{\"op\":\"blur\"}]}")
        .await;
    submit(b, "button[value=save]").await;
    let page = b.source().await;
    assert!(
        page.contains("notice error") && page.contains("blur"),
        "{page}"
    );

    // Put right and saved: the product page again, at the new price.
    b.type_into(
        "textarea[name=pipeline]",
        "{\"steps\":[{\"op\":\"mask\",\"field\":\"法定代表人\",\"preset\":\"name\"}]}",
    )
    .await;
    b.type_into("input[name=price_fen]", "3").await;
    submit(b, "button[value=save]").await;
    b.landed_on(&format!("{base}/products/registrations-query"))
        .await;
    let page = b.source().await;
    assert!(!page.contains("notice error"), "{page}");

    // Withdrawn for good, with its reason: marked, no more editing.
    b.type_into("#withdraw textarea[name=reason]", "数据源已停止更新")
        .await;
    submit(b, "#withdraw button").await;
    b.landed_on(&format!("{base}/products/registrations-query"))
        .await;
    let page = b.source().await;
    assert!(
        page.contains("id=\"withdrawn\"")
            && page.contains("数据源已停止更新")
            && !page.contains("id=\"edit-product\"")
            && !page.contains("id=\"withdraw\""),
        "{page}"
    );
    b.screenshot("product-withdrawn.png").await;
}

#[tokio::test]
async fn the_center_suspends_the_operator_rectifies_and_supply_resumes() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());

    // The company's month: the demo's one verification, 5 fen.
    as_party(b, base, "corp-staff").await;
    b.go(&format!("{base}/usage")).await;
    let page = b.source().await;
    assert!(
        page.contains("id=\"statement-total\">0.05<") && page.contains("registrations-verify"),
        "{page}"
    );

    // The Center suspends the company's supply, with its findings.
    as_party(b, base, "bdc-staff").await;
    b.go(&format!("{base}/suspensions")).await;
    let chosen = choose_scope(b, "蓉城智行").await;
    assert!(chosen.starts_with("user-org:"), "{chosen}");
    b.type_into(
        "#suspend textarea[name=findings]",
        "日志抽查发现超出协议场景的批量调用",
    )
    .await;
    submit(b, "#suspend button").await;
    let page = b.source().await;
    assert!(page.contains("data-resumed=\"false\""), "{page}");
    b.screenshot("suspension.png").await;

    // The operator is told, and led to the suspensions; it records its
    // rectification; the Center resumes.
    as_party(b, base, "op-staff").await;
    b.go(&format!("{base}/inbox")).await;
    let inbox = b.source().await;
    assert!(
        inbox.contains("市大数据中心暂停了数据供给") && inbox.contains("href=\"/suspensions\""),
        "{inbox}"
    );
    b.go(&format!("{base}/suspensions")).await;
    b.type_into(
        "[data-resumed=false] textarea[name=rectification]",
        "已约谈使用单位并停止相关调用",
    )
    .await;
    submit(b, "[data-resumed=false] form button").await;
    assert!(b.source().await.contains("已约谈使用单位"));
    as_party(b, base, "bdc-staff").await;
    b.go(&format!("{base}/suspensions")).await;
    submit(b, "[data-resumed=false] form[action$=resume] button").await;
    let page = b.source().await;
    assert!(
        page.contains("data-resumed=\"true\"") && !page.contains("data-resumed=\"false\""),
        "{page}"
    );
}

#[tokio::test]
async fn a_consulting_order_is_asked_answered_with_a_file_and_closed() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());

    // The researcher asks under its agreement.
    as_party(b, base, "scu-researcher").await;
    b.go(&format!("{base}/consulting")).await;
    b.type_into("#open-order input[name=subject]", "区县样本量")
        .await;
    b.type_into(
        "#open-order textarea[name=question]",
        "请提供各区县 2026 年抽检样本量。",
    )
    .await;
    submit(b, "#open-order button").await;
    let order = b.landed_on(&format!("{base}/consulting/")).await;
    assert!(b.source().await.contains("data-status=\"open\""));

    // The operator answers and delivers a file.
    as_party(b, base, "op-staff").await;
    b.go(&order).await;
    b.type_into("#reply textarea[name=body]", "样本量见附件。")
        .await;
    submit(b, "#reply button").await;
    let file = h.dir.join("样本量.csv");
    std::fs::write(&file, "区县,样本量\n锦江区,120\n").unwrap();
    b.type_into("#deliverable input[name=body]", "2026 年各区县样本量")
        .await;
    b.type_into("#deliverable input[type=file]", &file.display().to_string())
        .await;
    submit(b, "#deliverable button").await;
    let page = b.source().await;
    assert!(
        page.contains("data-status=\"answered\"") && page.contains(">样本量.csv</a>"),
        "{page}"
    );

    // The researcher reads it, fetches the file and closes the order.
    as_party(b, base, "scu-researcher").await;
    b.go(&order).await;
    let fetched = b
        .cmd(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({
                "script": "var done = arguments[0]; fetch(document.querySelector('a.file').href).then(r => r.text()).then(done);",
                "args": [],
            })),
        )
        .await;
    assert_eq!(fetched, json!("区县,样本量\n锦江区,120\n"));
    submit(b, "#close button").await;
    assert!(b.source().await.contains("data-status=\"closed\""));
}

#[tokio::test]
async fn the_provider_caps_a_price_and_the_user_reports_what_it_made() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());

    as_party(b, base, "scjgj-staff").await;
    b.go(&format!("{base}/products/registrations-query")).await;
    b.type_into("#price-cap input[name=price_cap_fen]", "8")
        .await;
    submit(b, "#price-cap button").await;
    let page = b.source().await;
    assert!(page.contains("value=\"8\""), "{page}");

    as_party(b, base, "corp-staff").await;
    b.go(&format!("{base}/products/registrations-query")).await;
    assert!(
        !b.source().await.contains("id=\"price-cap\""),
        "only the provider caps"
    );
    // Feedback on what the company made: only on a product it used (the
    // demo verified one company), and only with a web link.
    let feedback = async |product: &str, link: &str| {
        b.go(&format!("{base}/products/{product}")).await;
        b.type_into("#feedback input[name=title]", "供应链授信风控模型")
            .await;
        b.type_into("#feedback input[name=link]", link).await;
        submit(b, "#feedback button").await;
    };
    feedback("registrations-query", "https://example.com/model").await;
    assert!(b.source().await.contains("notice error"), "never used");
    feedback("registrations-verify", "javascript:alert(1)").await;
    assert!(b.source().await.contains("notice error"), "only web links");
    feedback("registrations-verify", "https://example.com/model").await;
    b.landed_on(&format!("{base}/feedback")).await;
    // The work itself as a file, no link: the page's script uploads it.
    let report = h.dir.join("风控模型说明.pdf");
    std::fs::write(&report, b"%PDF-1.7 model").unwrap();
    b.go(&format!("{base}/products/registrations-verify")).await;
    b.type_into("#feedback input[name=title]", "风控模型说明书")
        .await;
    b.type_into("#feedback input[type=file]", &report.display().to_string())
        .await;
    b.click("#feedback button").await;
    b.landed_on(&format!("{base}/feedback")).await;

    as_party(b, base, "op-staff").await;
    b.go(&format!("{base}/feedback")).await;
    let page = b.source().await;
    assert!(
        page.contains("id=\"overdue\"")
            && page.contains("供应链授信风控模型")
            && page.contains(">风控模型说明.pdf</a>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_researcher_queries_the_sandbox_and_a_checker_releases_an_aggregate() {
    let Some(h) = start().await else { return };
    let (b, base) = (&h.b, h.base.as_str());

    // The researcher's workspace: both authorized resources, never the
    // fields the authorization left out.
    as_party(b, base, "scu-researcher").await;
    b.go(&format!("{base}/sandbox")).await;
    let workspace = first_data(&b.source().await, "workspace");
    b.go(&format!("{base}/sandbox/{workspace}")).await;
    let page = b.source().await;
    assert!(page.contains("registrations_lab") && page.contains("food_inspections_lab"));
    assert!(!page.contains("法定代表人"), "an excluded field is shown");
    assert!(
        page.contains("data-table=\"district_population\""),
        "the demo's upload"
    );

    // The researcher's own data: uploaded, sealed, a table of the workspace.
    let file = h.dir.join("区县面积.csv");
    std::fs::write(
        &file,
        "区县,面积_平方公里\n锦江区,61\n青羊区,66\n金牛区,108\n武侯区,123\n成华区,110\n",
    )
    .unwrap();
    b.type_into("#upload input[name=name]", "district_area")
        .await;
    b.type_into("#upload input[type=file]", &file.display().to_string())
        .await;
    submit(b, "#upload button").await;
    assert!(
        b.source().await.contains("data-table=\"district_area\""),
        "the upload is a table"
    );

    let run = async |sql: &str| {
        b.type_into("#statement textarea[name=sql]", sql).await;
        submit(b, "#statement button").await;
        b.source().await
    };
    let refused = run("SELECT 法定代表人 FROM registrations_lab").await;
    assert!(
        refused.contains("notice error") && refused.contains("法定代表人"),
        "{refused}"
    );
    let file = run("SELECT * FROM '/etc/passwd'").await;
    assert!(
        file.contains("notice error") && !file.contains("root:"),
        "{file}"
    );
    let joined = run(
        "SELECT i.区县, count(*) AS n FROM food_inspections_lab i JOIN registrations_lab r \
         ON replace(replace(r.登记机关, '成都市', ''), '市场监督管理局', '') = i.区县 GROUP BY i.区县",
    )
    .await;
    assert!(first_data(&joined, "rows") > 0, "{joined}");
    // Two authorized resources and the upload in one query.
    let with_upload = run(
        "SELECT i.区县, count(*) AS n, max(a.面积_平方公里) AS area, max(r.c) AS companies \
         FROM food_inspections_lab i JOIN district_area a ON a.区县 = i.区县 \
         JOIN (SELECT replace(replace(登记机关, '成都市', ''), '市场监督管理局', '') AS 区县, \
         count(*) AS c FROM registrations_lab GROUP BY 1) r ON r.区县 = i.区县 GROUP BY i.区县",
    )
    .await;
    assert_eq!(first_data(&with_upload, "rows"), 5, "{with_upload}");
    assert!(
        joined.contains("data-outcome=\"failed\""),
        "the refusals are in the history"
    );

    // A small-cell export fails its checks, with the reason shown.
    b.type_into(
        "#export textarea[name=sql]",
        "SELECT 被抽检单位, count(*) AS n FROM food_inspections_lab GROUP BY 被抽检单位",
    )
    .await;
    b.type_into("#export input[name=purpose]", "门店明细").await;
    submit(b, "#export button").await;
    let page = b.source().await;
    assert!(
        page.contains("data-status=\"failed-checks\"")
            && page.contains("data-check=\"small-cell\""),
        "{page}"
    );
    // Changed to coarser cells, it is resubmitted in the failed one's place.
    b.click("details.resubmit summary").await;
    b.type_into(
        "details.resubmit textarea[name=sql]",
        "SELECT 区县, count(*) AS 批次 FROM food_inspections_lab GROUP BY 区县",
    )
    .await;
    submit(b, "details.resubmit button").await;
    let page = b.source().await;
    assert!(
        page.contains("data-status=\"resubmitted\"") && page.contains("class=\"resubmits\""),
        "{page}"
    );

    // The operator's checker approves the demo's aggregate.
    as_party(b, base, "op-staff").await;
    b.go(&format!("{base}/sandbox/checks")).await;
    let queue = b.source().await;
    let export = first_data(&queue, "export");
    assert!(queue.contains("data-status=\"awaiting-review\""), "{queue}");
    assert!(
        queue.contains("class=\"grid\""),
        "the checker sees the result"
    );
    b.type_into("form.review input[name=comment]", "各单元格不少于 10 批次")
        .await;
    submit(b, "form.review button").await;
    assert!(
        !b.source()
            .await
            .contains(&format!("data-export=\"{export}\""))
    );

    // The researcher downloads the release.
    as_party(b, base, "scu-researcher").await;
    b.go(&format!("{base}/sandbox/{workspace}")).await;
    let page = b.source().await;
    assert!(
        page.contains(&format!("/sandbox/exports/{export}/release")),
        "{page}"
    );
    let fetched = b
        .cmd(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({
                "script": "var done = arguments[0]; fetch(document.querySelector('a.download').href).then(r => r.arrayBuffer()).then(b => done(new Uint8Array(b).slice(0, 2).join(',')));",
                "args": [],
            })),
        )
        .await;
    assert_eq!(fetched, json!("80,75"), "a ZIP (PK)");

    // A table made from the registrations is withheld with them: the Center
    // suspends that one resource; the inspections and the uploads stay.
    let made = run(
        "CREATE TABLE offices AS SELECT 登记机关, count(*) AS n FROM registrations_lab GROUP BY 1",
    )
    .await;
    assert!(made.contains("data-rows="), "{made}");
    b.go(&format!("{base}/sandbox/{workspace}")).await;
    let page = b.source().await;
    assert!(
        page.contains("汇总表：每行保留其背后的记录数"),
        "the schema says offices' rows keep their records: {page}"
    );
    as_party(b, base, "bdc-staff").await;
    b.go(&format!("{base}/suspensions")).await;
    let chosen = choose_scope(b, "（business-registrations）").await;
    assert!(chosen.starts_with("resource:"), "{chosen}");
    b.type_into("#suspend textarea[name=findings]", "登记数据核查中")
        .await;
    submit(b, "#suspend button").await;
    let page = b.source().await;
    assert!(page.contains("data-resumed=\"false\""), "{page}");
    as_party(b, base, "scu-researcher").await;
    b.go(&format!("{base}/sandbox/{workspace}")).await;
    let page = b.source().await;
    for (table, shown) in [
        ("food_inspections_lab", true),
        ("district_area", true),
        ("registrations_lab", false),
        ("offices", false),
    ] {
        assert_eq!(
            page.contains(&format!("data-table=\"{table}\"")),
            shown,
            "{table}"
        );
    }
    let withheld = run("SELECT count(*) FROM offices").await;
    assert!(
        withheld.contains("notice error") && withheld.contains("市大数据中心已暂停该数据的供给"),
        "{withheld}"
    );
}
