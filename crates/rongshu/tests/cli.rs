//! The `rongshu` binary, run as a user would: demo seeding, admin
//! commands, ledger verification against real tampering, export, and two
//! servers sharing one database (sessions, and suspensions of supply). SQLite always; PostgreSQL too when
//! `RONGSHU_TEST_POSTGRES_URL` is set.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use rongshu_store::Backend;
use rongshu_store::testing::{TestDatabase, backends};
use serde_json::json;

const PASSWORD: &str = "Demo-Passw0rd!";

/// A data directory and database for one test.
struct Site {
    db: TestDatabase,
    dir: PathBuf,
}

impl Site {
    async fn new(backend: Backend) -> Site {
        let db = TestDatabase::new(backend).await;
        let dir =
            std::env::temp_dir().join(format!("rongshu-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Site { db, dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rongshu"));
        c.arg("--data-dir")
            .arg(&self.dir)
            .arg("--database-url")
            .arg(&self.db.url)
            .args(args);
        // Cheap hashing keeps the tests fast; the defaults are for production.
        c.env("RONGSHU_AUTH__ARGON2_MEMORY_KIB", "1024")
            .env("RONGSHU_AUTH__ARGON2_ITERATIONS", "1")
            .env("RONGSHU_FRONT__LISTEN", "127.0.0.1:0");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Seeds the demo; returns what it printed.
    fn seed(&self) -> String {
        let out = self.run(&["demo", "--seed-only", "--demo-password", PASSWORD]);
        assert_succeeded(&out);
        stdout(&out)
    }

    /// Starts `rongshu serve` on a free port; returns the process and its base URL.
    fn serve(&self) -> (Killed, String) {
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("rongshu listening on ")
            .unwrap_or_else(|| panic!("{line}"))
            .trim_end_matches('/');
        (Killed(child), url.to_owned())
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills the server when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails with the command's standard error unless it succeeded.
fn assert_succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn verify_after(backend: Backend, statements: &[&str]) -> (bool, String) {
    let site = Site::new(backend).await;
    site.seed();
    let out = site.run(&["ledger", "verify"]);
    assert!(
        out.status.success(),
        "intact before tampering: {}",
        stdout(&out)
    );
    assert!(stdout(&out).starts_with("ledger intact"));
    site.db.tamper_as_administrator(statements).await;
    let out = site.run(&["ledger", "verify"]);
    (out.status.success(), stdout(&out))
}

#[tokio::test]
async fn ledger_verify_names_an_altered_entry() {
    for backend in backends() {
        let (ok, out) = verify_after(
            backend,
            &["UPDATE ledger_entries SET actor_username = 'someone-else' WHERE seq = 7"],
        )
        .await;
        assert!(!ok, "{backend:?}");
        assert!(
            out.contains("BROKEN at entry 7") && out.contains("altered"),
            "{backend:?}: {out}"
        );
    }
}

#[tokio::test]
async fn ledger_verify_names_a_deleted_entry() {
    for backend in backends() {
        let (ok, out) = verify_after(backend, &["DELETE FROM ledger_entries WHERE seq = 5"]).await;
        assert!(!ok, "{backend:?}");
        assert!(
            out.contains("BROKEN at entry 5") && out.contains("missing"),
            "{backend:?}: {out}"
        );
    }
}

#[tokio::test]
async fn ledger_verify_names_swapped_entries() {
    for backend in backends() {
        let (ok, out) = verify_after(
            backend,
            &[
                "UPDATE ledger_entries SET seq = 1003 WHERE seq = 3",
                "UPDATE ledger_entries SET seq = 3 WHERE seq = 9",
                "UPDATE ledger_entries SET seq = 9 WHERE seq = 1003",
            ],
        )
        .await;
        assert!(!ok, "{backend:?}");
        assert!(out.contains("BROKEN at entry 3"), "{backend:?}: {out}");
    }
}

#[tokio::test]
async fn ledger_export_writes_json_lines_from_a_sequence_number() {
    let site = Site::new(Backend::Sqlite).await;
    site.seed();
    let head = site.db.store.ledger_head().await.unwrap().seq;
    let file = site.dir.join("export.jsonl");
    let out = site.run(&[
        "ledger",
        "export",
        "--since",
        "3",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as i64, head - 3);
    assert_eq!(lines[0]["seq"], 4);
    assert_eq!(
        lines.last().unwrap()["hash"],
        site.db.store.ledger_head().await.unwrap().hash.to_hex()
    );
    assert_eq!(lines[0]["prev_hash"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn demo_seeding_is_idempotent() {
    let site = Site::new(Backend::Sqlite).await;
    let first = site.run(&["demo", "--seed-only"]);
    assert!(first.status.success());
    let text = stdout(&first);
    assert!(text.contains("password of the new demo accounts (shown once): "));
    for name in [
        "op-admin",
        "gov-staff",
        "eco-staff",
        "bdc-staff",
        "scjgj-admin",
        "jtysj-staff",
        "corp-staff",
        "scu-researcher",
        "expert-member",
    ] {
        assert!(text.contains(name), "{name}");
    }
    let accounts = site.db.store.accounts(None).await.unwrap().len();
    let again = site.run(&["demo", "--seed-only"]);
    assert!(stdout(&again).contains("demo already seeded: passwords unchanged"));
    assert_eq!(site.db.store.accounts(None).await.unwrap().len(), accounts);
    assert_eq!(site.db.store.organizations().await.unwrap().len(), 9);
}

#[tokio::test]
async fn admin_commands_manage_organisations_and_accounts() {
    let site = Site::new(Backend::Sqlite).await;
    let ok = |args: &[&str]| {
        let out = site.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out)
    };
    ok(&[
        "admin",
        "org",
        "create",
        "--code",
        "cdwsj",
        "--name",
        "成都市卫生健康委员会",
        "--party",
        "provider",
    ]);
    let created = ok(&[
        "admin",
        "account",
        "create",
        "--org",
        "cdwsj",
        "--username",
        "wsj-admin",
        "--name",
        "卫健管理员",
        "--role",
        "admin",
    ]);
    assert!(created.contains("password (shown once): "));
    assert!(ok(&["admin", "org", "list"]).contains("cdwsj"));
    assert!(ok(&["admin", "account", "list", "--org", "cdwsj"]).contains("wsj-admin"));
    ok(&["admin", "account", "disable", "wsj-admin"]);
    assert!(ok(&["admin", "account", "list"]).contains("disabled"));
    let bad = site.run(&[
        "admin", "org", "create", "--code", "x", "--name", "n", "--party", "ministry",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("organisation codes have 2 to 32 characters")
    );
    let entries = site.db.store.ledger_after(0, 100).await.unwrap();
    assert!(entries.iter().any(|e| {
        e.draft.action == "account.disable"
            && e.draft
                .actor_username
                .as_deref()
                .is_some_and(|u| u.starts_with("cli:"))
    }));
}

#[tokio::test]
async fn a_second_server_on_the_same_database_accepts_the_first_ones_session() {
    for backend in backends() {
        let site = Site::new(backend).await;
        site.seed();
        let (_a, url_a) = site.serve();
        let (_b, url_b) = site.serve();
        assert_ne!(url_a, url_b);
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{url_a}/api/v1/sessions"))
            .json(&json!({ "username": "bdc-staff", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{backend:?}");
        let token = r.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let me = http
            .get(format!("{url_b}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.status(),
            200,
            "{backend:?}: server B accepts server A's session"
        );
        let r = http
            .delete(format!("{url_b}/api/v1/sessions/current"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let me = http
            .get(format!("{url_a}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.status(),
            401,
            "{backend:?}: the revocation on B holds on A"
        );
        let out = site.run(&["ledger", "verify"]);
        assert!(
            out.status.success(),
            "two writers kept one chain: {}",
            stdout(&out)
        );
    }
}

#[tokio::test]
async fn serves_https_with_secure_cookies() {
    let site = Site::new(Backend::Sqlite).await;
    let (cert, key) = (site.dir.join("cert.pem"), site.dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut command = site.command(&["serve", "--listen", "127.0.0.1:0"]);
    command
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("RONGSHU_FRONT__TLS_CERT", &cert)
        .env("RONGSHU_FRONT__TLS_KEY", &key);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut line, mut front_line) = (String::new(), String::new());
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    out.read_line(&mut front_line).unwrap();
    let _server = Killed(child);
    let front = front_line
        .trim()
        .strip_prefix("rongshu front system listening on ")
        .unwrap_or_else(|| panic!("{front_line}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(front.starts_with("https://"), "{front_line}");
    let url = line
        .trim()
        .strip_prefix("rongshu listening on ")
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("https://"), "{line}");
    let curl = |path: &str, head: bool| {
        let mut c = Command::new("curl");
        c.args(["-s", "--cacert"]).arg(&cert);
        if head {
            c.arg("-i");
        }
        let out = c
            .arg(format!("{url}{path}"))
            .output()
            .expect("curl is installed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(
        curl("/healthz", false),
        "ok",
        "the certificate verifies and the server answers"
    );
    let out = Command::new("curl")
        .args(["-s", "--cacert"])
        .arg(&cert)
        .arg(format!("{front}/healthz"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok",
        "the front system speaks HTTPS too"
    );
    let login = curl("/login", true);
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn ledger_archive_keeps_the_retention_period_and_the_chain() {
    for backend in backends() {
        let site = Site::new(backend).await;
        let day = 86_400_000i64;
        let now = chrono::Utc::now().timestamp_millis();
        for (i, age_days) in [400, 300, 250, 10, 1].into_iter().enumerate() {
            let mut d = old_entry(i);
            d.at_ms = now - age_days * day;
            site.db.store.append(d).await.unwrap();
        }
        let file = site.dir.join("archive.jsonl");
        let too_recent = site.run(&[
            "ledger",
            "archive",
            "--before",
            "2999-01-01",
            "-o",
            file.to_str().unwrap(),
        ]);
        assert!(!too_recent.status.success());
        assert!(
            String::from_utf8_lossy(&too_recent.stderr)
                .contains("entries from the last 180 days must be kept")
        );
        assert!(!file.exists(), "nothing written when refused");

        let cutoff = chrono::DateTime::from_timestamp_millis(now - 200 * day)
            .unwrap()
            .to_rfc3339();
        let out = site.run(&[
            "ledger",
            "archive",
            "--before",
            &cutoff,
            "-o",
            file.to_str().unwrap(),
        ]);
        assert_succeeded(&out);
        assert!(
            stdout(&out).starts_with("archived 3 entries (1..=3)"),
            "{}",
            stdout(&out)
        );
        let lines = std::fs::read_to_string(&file).unwrap();
        assert_eq!(lines.lines().count(), 3);
        let verify = site.run(&["ledger", "verify"]);
        assert!(verify.status.success(), "{}", stdout(&verify));
        assert!(stdout(&verify).contains("entries up to 3 archived"));
        let again = site.run(&[
            "ledger",
            "archive",
            "--before",
            &cutoff,
            "-o",
            site.dir.join("b.jsonl").to_str().unwrap(),
        ]);
        assert!(
            stdout(&again).starts_with("nothing to archive"),
            "{backend:?}"
        );
    }
}

fn old_entry(i: usize) -> rongshu_ledger::EntryDraft {
    rongshu_ledger::EntryDraft {
        actor_username: Some("archivist-test".into()),
        ..rongshu_ledger::EntryDraft::new(0, &format!("test.step{i}"), "test")
    }
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A generated CSV of about `bytes` bytes.
fn bus_stops_csv(path: &std::path::Path, bytes: usize) {
    dataset_csv(rongshu_synth::Dataset::BusStops, path, bytes);
}

/// About `bytes` of a generated dataset as CSV.
fn dataset_csv(dataset: rongshu_synth::Dataset, path: &std::path::Path, bytes: usize) {
    let mut text = String::new();
    text.push_str(&dataset.header().join(","));
    text.push('\n');
    let mut rng = rongshu_synth::Rng::new(9);
    let mut i = 0;
    while text.len() < bytes {
        dataset.push_row(&mut rng, i, &mut text);
        i += 1;
    }
    std::fs::write(path, text).unwrap();
}

fn delivered(out: &Output) -> serde_json::Value {
    assert_succeeded(out);
    serde_json::from_str(stdout(out).lines().last().unwrap()).unwrap()
}

#[tokio::test]
async fn a_killed_ingest_leaves_nothing_behind() {
    for backend in backends() {
        let site = Site::new(backend).await;
        site.seed();
        let store = &site.db.store;
        let resource = store.resource_by_code("bus-stops").await.unwrap();
        let file = site.dir.join("stops.csv");
        bus_stops_csv(&file, 60 << 20);
        let objects = site.dir.join("objects");
        let before = files_under(&objects);

        let mut child = Killed(
            site.command(&["data", "deliver", "--resource", "bus-stops"])
                .arg(&file)
                .env("RONGSHU_INGEST__MEMORY_BUDGET_MB", "4")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        // Wait (bounded) until the ingest reports progress, then kill it.
        let mut running = None;
        for _ in 0..600 {
            let ingests = store.ingests(resource.id, 10).await.unwrap();
            running = ingests.into_iter().find(|i| {
                i.state == rongshu_domain::resource::IngestState::Running && i.bytes_read > 0
            });
            if running.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let running = running.expect("the ingest reported progress");
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        assert!(
            files_under(&objects).len() > before.len(),
            "the killed ingest had started writing"
        );
        assert_eq!(
            store.versions(resource.id).await.unwrap().len(),
            1,
            "nothing visible"
        );

        std::thread::sleep(std::time::Duration::from_millis(1100));
        let out = site
            .command(&["data", "recover"])
            .env("RONGSHU_INGEST__STALE_AFTER_SECS", "1")
            .output()
            .unwrap();
        assert_succeeded(&out);
        assert!(
            stdout(&out).contains("abandoned ingests removed: 1"),
            "{}",
            stdout(&out)
        );
        let ingest = store.ingest(running.id).await.unwrap();
        assert_eq!(
            ingest.state,
            rongshu_domain::resource::IngestState::Abandoned
        );
        assert_eq!(files_under(&objects), before, "no orphaned files");
        assert_eq!(store.versions(resource.id).await.unwrap().len(), 1);
    }
}

/// Memory stays flat as files grow: a file ten times larger than another
/// (and many times the budget) needs no more memory to ingest.
#[tokio::test]
async fn ingest_memory_does_not_grow_with_the_file() {
    let site = Site::new(Backend::Sqlite).await;
    site.seed();
    let (small, large) = (site.dir.join("small.csv"), site.dir.join("large.csv"));
    bus_stops_csv(&small, 8 << 20);
    bus_stops_csv(&large, 80 << 20);
    let peak = |file: &PathBuf| {
        let out = site
            .command(&["data", "deliver", "--resource", "bus-stops"])
            .arg(file)
            .env("RONGSHU_INGEST__MEMORY_BUDGET_MB", "8")
            .output()
            .unwrap();
        delivered(&out)["peak_rss_bytes"].as_u64().unwrap()
    };
    let (small_peak, large_peak) = (peak(&small), peak(&large));
    eprintln!("peak RSS: 8 MB file {small_peak} bytes, 80 MB file {large_peak} bytes");
    // The binary's own pages (DataFusion's among them) set the floor; what
    // matters is that 72 MB more file adds almost nothing above it.
    assert!(
        large_peak < small_peak + (20 << 20),
        "peak grew from {small_peak} to {large_peak} bytes: the file was held in memory"
    );
}

/// The most memory a process has held, from the kernel (Linux).
fn peak_rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

/// Delivers `file` as the food inspections' newest version, serves, and
/// downloads the demo's download product as the researcher; the server's
/// peak memory and the bytes downloaded.
async fn download_peak(site: &Site, file: &std::path::Path) -> (u64, u64) {
    let out = site
        .command(&["data", "deliver", "--resource", "food-inspections"])
        .arg(file)
        .output()
        .unwrap();
    assert_succeeded(&out);
    let (server, url) = site.serve();
    let http = reqwest::Client::new();
    let key = api_key_of(&http, &url, "scu-researcher", "download").await;
    let mut response = http
        .get(format!(
            "{url}/api/v1/products/food-inspections-download/download?format=csv"
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut received = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len() as u64;
    }
    (peak_rss_of(server.0.id()), received)
}

#[tokio::test]
async fn download_memory_does_not_grow_with_the_version() {
    let site = Site::new(Backend::Sqlite).await;
    site.seed();
    let (small, large) = (site.dir.join("small.csv"), site.dir.join("large.csv"));
    let inspections = rongshu_synth::Dataset::FoodInspections;
    dataset_csv(inspections, &small, 8 << 20);
    dataset_csv(inspections, &large, 80 << 20);
    let (small_peak, small_bytes) = download_peak(&site, &small).await;
    let (large_peak, large_bytes) = download_peak(&site, &large).await;
    eprintln!(
        "server peak RSS: {small_bytes}-byte download {small_peak} bytes, \
         {large_bytes}-byte download {large_peak} bytes"
    );
    assert!(
        large_bytes > 5 * small_bytes,
        "the large version was served"
    );
    // 72 MB more data (read, de-identified, zipped) adds almost nothing:
    // it streamed.
    assert!(
        large_peak < small_peak + (20 << 20),
        "peak grew from {small_peak} to {large_peak} bytes: the download was held in memory"
    );
}

#[tokio::test]
async fn keys_rotate_and_stored_data_verifies_until_tampered() {
    let site = Site::new(Backend::Sqlite).await;
    site.seed();
    let out = site.run(&["data", "verify"]);
    assert_succeeded(&out);
    // Four resources, and one delivered again for a demand; the
    // researcher's upload into the sandbox.
    assert!(stdout(&out).contains("5 versions verified; 1 sandbox tables verified"));
    let key_file = site.dir.join("master.key");
    let old = std::fs::read_to_string(&key_file).unwrap();
    let out = site.run(&["keys", "init"]);
    assert!(!out.status.success(), "init refuses to overwrite a key");
    let out = site.run(&["keys", "rotate"]);
    assert_succeeded(&out);
    assert!(
        // Five versions' data keys, the researcher's uploaded table's, the
        // six signers' SM2 keys, the six products' keys and the sandbox
        // export awaiting its checkers.
        stdout(&out).contains("re-wrapped 19 keys and sealed secrets"),
        "{}",
        stdout(&out)
    );
    assert_ne!(std::fs::read_to_string(&key_file).unwrap(), old);
    assert!(
        site.run(&["data", "verify"]).status.success(),
        "data opens under the new key"
    );

    let version = site.db.store.all_versions().await.unwrap().remove(0);
    let object = site.dir.join("objects").join(&version.object_name);
    let mut sealed = std::fs::read(&object).unwrap();
    let at = sealed.len() / 2;
    sealed[at] ^= 1;
    std::fs::write(&object, sealed).unwrap();
    let out = site.run(&["data", "verify"]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "business-registrations version {}",
            version.number
        )) && text.contains("integrity check failed"),
        "{text}"
    );
}

#[tokio::test]
async fn agreements_verify_offline_and_edits_are_caught() {
    let site = Site::new(Backend::Sqlite).await;
    site.seed();
    let signed = site
        .db
        .store
        .agreements(None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.status == rongshu_domain::workflow::AgreementStatus::Signed)
        .expect("the demo has a signed agreement");
    let file = site.dir.join("agreement.json");
    let out = site.run(&[
        "agreement",
        "export",
        &signed.id.to_string(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_succeeded(&out);
    // Verification needs nothing but the file: no database, no data dir.
    let verify = |path: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_rongshu"))
            .args(["agreement", "verify"])
            .arg(path)
            .output()
            .unwrap()
    };
    let out = verify(&file);
    assert_succeeded(&out);
    let text = stdout(&out);
    assert!(text.contains("verifies: SM3"), "{text}");
    assert!(text.contains("signed by operator operator (SM2)"), "{text}");

    let original = std::fs::read_to_string(&file).unwrap();
    let edited = original.replacen("de-identified", "anonymised", 1);
    assert_ne!(
        edited, original,
        "the export names its de-identification level"
    );
    let tampered = site.dir.join("edited.json");
    std::fs::write(&tampered, edited).unwrap();
    let out = verify(&tampered);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the text was changed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify(&site.dir.join("missing.json"));
    assert!(!out.status.success());
}

async fn sign_in(http: &reqwest::Client, url: &str, username: &str) -> String {
    let sessions = http.post(format!("{url}/api/v1/sessions"));
    let body = json!({ "username": username, "password": PASSWORD });
    created(sessions.json(&body), "token").await
}

/// A fresh API key of `username`: data calls take nothing else.
async fn api_key_of(http: &reqwest::Client, url: &str, username: &str, name: &str) -> String {
    let session = sign_in(http, url, username).await;
    let keys = http.post(format!("{url}/api/v1/me/api-keys"));
    created(
        keys.bearer_auth(&session).json(&json!({ "name": name })),
        "key",
    )
    .await
}

/// The text `field` of what `request` created.
async fn created(request: reqwest::RequestBuilder, field: &str) -> String {
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), 201);
    let body = r.json::<serde_json::Value>().await.unwrap();
    body[field].as_str().unwrap().to_owned()
}

/// The status and problem code (if any) of a response.
async fn outcome(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// Every product's generated reference: an example for each of its modes,
/// Python that reads, and the API calls answering as printed.
async fn references_hold(http: &reqwest::Client, url: &str, key: &str) {
    let r = http.get(format!("{url}/api/v1/products")).bearer_auth(key);
    let products: serde_json::Value = r.send().await.unwrap().json().await.unwrap();
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    for product in products.as_array().unwrap() {
        let code = text(&product["code"]);
        let examples = product["reference"].as_array().unwrap();
        let covered: Vec<String> = examples.iter().map(|e| text(&e["mode"])).collect();
        let modes: Vec<String> = product["modes"]
            .as_array()
            .unwrap()
            .iter()
            .map(text)
            .collect();
        assert_eq!(covered, modes, "{code}");
        for example in examples {
            let python = text(&example["python"]);
            let parsed = Command::new("python3")
                .args(["-c", "import ast, sys; ast.parse(sys.argv[1])", &python])
                .status()
                .unwrap();
            assert!(parsed.success(), "{code}: {python}");
            let answers = match example["mode"].as_str() {
                Some("query-api") => "rows",
                Some("verification-api") => "results",
                _ => continue,
            };
            let ran = Command::new("sh")
                .args(["-c", &text(&example["curl"])])
                .env("RONGSHU_URL", url)
                .env("RONGSHU_API_KEY", key)
                .output()
                .unwrap();
            let answer: serde_json::Value = serde_json::from_slice(&ran.stdout)
                .unwrap_or_else(|e| panic!("{code}: {e}: {ran:?}"));
            assert!(answer[answers].is_array(), "{code}: {answer}");
        }
    }
}

#[tokio::test]
async fn a_suspension_stops_data_calls_in_every_server_at_once() {
    for backend in backends() {
        let site = Site::new(backend).await;
        let printed = site.seed();
        // The demo prints a working key and ready calls.
        let key = printed
            .split("(shown once): ")
            .filter_map(|rest| rest.split_whitespace().next())
            .find(|word| word.starts_with("rsk_"))
            .unwrap_or_else(|| panic!("{printed}"))
            .to_owned();
        let body = |call: &str| -> serde_json::Value {
            let line = printed.lines().find(|l| l.contains(call)).unwrap();
            let json = line.rsplit("-d '").next().unwrap().trim_end_matches('\'');
            serde_json::from_str(json).unwrap()
        };
        let (query, verify) = (body("/query'"), body("/verify'"));
        let (_a, url_a) = site.serve();
        let (_b, url_b) = site.serve();
        let http = reqwest::Client::new();
        let call = |url: &str, what: &str, json: &serde_json::Value| {
            http.post(format!("{url}/api/v1/products/{what}"))
                .bearer_auth(&key)
                .json(json)
                .send()
        };
        let r = call(&url_a, "registrations-query/query", &query)
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{backend:?}");
        let rows = r.json::<serde_json::Value>().await.unwrap();
        assert_eq!(rows["rows"].as_array().unwrap().len(), 1, "{rows}");
        let keys: Vec<&String> = rows["rows"][0].as_object().unwrap().keys().collect();
        let fields: Vec<&str> = rows["fields"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f.as_str())
            .collect();
        assert_eq!(keys, fields, "a row's fields in the product's order");
        let r = call(&url_b, "registrations-verify/verify", &verify)
            .await
            .unwrap();
        let verdicts = r.json::<serde_json::Value>().await.unwrap();
        assert!(
            verdicts["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["result"] == "match"),
            "{verdicts}"
        );

        references_hold(&http, &url_b, &key).await;

        // The Big Data Center suspends supply platform-wide through A: B
        // refuses the very next call.
        let center = sign_in(&http, &url_a, "bdc-staff").await;
        let suspend = |findings: &str| {
            http.post(format!("{url_a}/api/v1/suspensions"))
                .bearer_auth(&center)
                .json(&json!({ "scope": "platform", "findings": findings }))
                .send()
        };
        let refused = outcome(suspend(" ").await.unwrap()).await;
        assert_eq!(refused, (422, "validation.invalid-field".to_owned()));
        let r = suspend("日志抽查发现超范围调用").await.unwrap();
        assert_eq!(r.status(), 201);
        let suspension = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        for (url, what, json) in [
            (&url_b, "registrations-query/query", &query),
            (&url_a, "registrations-verify/verify", &verify),
        ] {
            let refused = outcome(call(url, what, json).await.unwrap()).await;
            assert_eq!(
                refused,
                (403, "use.suspended".to_owned()),
                "{backend:?} {what}"
            );
        }

        // The operator records its rectification; the Center resumes on B.
        let operator = sign_in(&http, &url_b, "op-staff").await;
        let r = http
            .post(format!(
                "{url_b}/api/v1/suspensions/{suspension}/rectification"
            ))
            .bearer_auth(&operator)
            .json(&json!({ "rectification": "已核查并停止超范围调用" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = http
            .post(format!("{url_b}/api/v1/suspensions/{suspension}/resume"))
            .bearer_auth(&center)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = call(&url_a, "registrations-query/query", &query)
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{backend:?}: supply resumed");

        // The provider caps the price; the operator cannot price above it.
        let provider = sign_in(&http, &url_a, "scjgj-staff").await;
        let r = http
            .put(format!(
                "{url_a}/api/v1/products/registrations-query/price-cap"
            ))
            .bearer_auth(&provider)
            .json(&json!({ "price_cap_fen": 8 }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        for (cap, code) in [
            (json!(-1), "pricing.negative"),
            (json!(i64::MAX), "pricing.above-maximum"),
        ] {
            let r = http
                .put(format!(
                    "{url_a}/api/v1/products/registrations-query/price-cap"
                ))
                .bearer_auth(&provider)
                .json(&json!({ "price_cap_fen": cap }))
                .send()
                .await
                .unwrap();
            assert_eq!(outcome(r).await, (422, code.to_owned()));
        }
        let mut product = http
            .get(format!("{url_b}/api/v1/products/registrations-query"))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(product["price_cap_fen"], 8);
        let object = product.as_object_mut().unwrap();
        for generated in ["resource_id", "price_cap_fen", "updated_at", "reference"] {
            object.remove(generated);
        }
        object.insert("resource".into(), json!("business-registrations"));
        for (price, code) in [
            (12_i64, "pricing.above-cap"),
            (5_000_000_000_000_000_000, "pricing.above-maximum"),
        ] {
            product["price_fen"] = json!(price);
            let r = http
                .put(format!("{url_b}/api/v1/products/registrations-query"))
                .bearer_auth(&operator)
                .json(&product)
                .send()
                .await
                .unwrap();
            assert_eq!(outcome(r).await, (422, code.to_owned()));
        }

        // B's cached key is honoured until the user revokes it through A:
        // the very next call on B is refused.
        let r = call(&url_b, "registrations-query/query", &query)
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{backend:?}: the key cached on B");
        let user = sign_in(&http, &url_a, "corp-staff").await;
        let keys = http
            .get(format!("{url_a}/api/v1/me/api-keys"))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let id = keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| key.starts_with(k["prefix"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("{keys}"))["id"]
            .as_i64()
            .unwrap();
        let r = http
            .delete(format!("{url_a}/api/v1/me/api-keys/{id}"))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let refused = outcome(
            call(&url_b, "registrations-query/query", &query)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(refused, (401, "auth.key-revoked".to_owned()), "{backend:?}");

        // A rate limit refuses with the time it lifts.
        product["price_fen"] = json!(8);
        product["rate_per_minute"] = json!(1);
        let r = http
            .put(format!("{url_a}/api/v1/products/registrations-query"))
            .bearer_auth(&operator)
            .json(&product)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let fresh = api_key_of(&http, &url_a, "corp-staff", "limited").await;
        let mut limited = None;
        for _ in 0..2 {
            let r = http
                .post(format!("{url_a}/api/v1/products/registrations-query/query"))
                .bearer_auth(&fresh)
                .json(&query)
                .send()
                .await
                .unwrap();
            let retry = r.headers().get("retry-after").cloned();
            if r.status() == 429 {
                limited = Some((retry, outcome(r).await));
            }
        }
        let (retry, refused) = limited.expect("one call a minute at most");
        assert_eq!(refused, (429, "use.rate-limited".to_owned()));
        let secs: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&secs), "{secs}");

        let out = site.run(&["ledger", "verify"]);
        assert!(out.status.success(), "{}", stdout(&out));
    }
}

#[tokio::test]
async fn sandbox_tables_are_uploaded_and_dropped_through_the_api() {
    let site = Site::new(Backend::Sqlite).await;
    site.seed();
    let (_server, url) = site.serve();
    let http = reqwest::Client::new();
    let token = sign_in(&http, &url, "scu-researcher").await;
    let workspaces: serde_json::Value = http
        .get(format!("{url}/api/v1/sandbox/workspaces"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = workspaces[0]["agreement_id"].as_i64().unwrap();
    let tables = format!("{url}/api/v1/sandbox/workspaces/{id}/tables");
    let upload = |name: &str, body: &'static str| {
        http.post(&tables)
            .query(&[("name", name), ("file_name", "区县面积.csv")])
            .bearer_auth(&token)
            .body(body)
            .send()
    };
    for (name, body, refused) in [
        (
            "district_population",
            "区县,面积\n锦江区,61\n",
            "sandbox.invalid",
        ),
        ("Areas", "区县,面积\n锦江区,61\n", "sandbox.invalid"),
        ("ragged", "区县,面积\n锦江区\n", "sandbox.upload-refused"),
    ] {
        let r = upload(name, body).await.unwrap();
        assert_eq!(outcome(r).await, (422, refused.to_owned()), "{name}");
    }
    let made = upload("areas", "区县,面积\n锦江区,61\n").await.unwrap();
    assert_eq!(made.status(), 201);
    let view: serde_json::Value = made.json().await.unwrap();
    assert_eq!(
        (view["origin"].as_str(), view["rows"].as_u64()),
        (Some("upload"), Some(1))
    );
    let answer: serde_json::Value = http
        .post(format!("{url}/api/v1/sandbox/workspaces/{id}/statements"))
        .bearer_auth(&token)
        .json(&json!({ "sql": "SELECT 面积 FROM areas" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["rows"], json!([[61]]));
    let drop = || {
        http.delete(format!("{tables}/areas"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(drop().await.unwrap().status(), 204);
    assert_eq!(
        outcome(drop().await.unwrap()).await,
        (404, "resource.not-found".to_owned())
    );
}
