//! A real server on a throwaway database, with one organisation per party
//! and an admin, a staff member and an auditor in each.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use rongshu_crypto::seal::MasterKey;
use rongshu_crypto::{KeyedHasher, PasswordHasher, PasswordParams};
use rongshu_delivery::{Deliveries, DeliveryConfig};
use rongshu_domain::calendar::WorkingCalendar;
use rongshu_domain::{LockoutPolicy, PartyType, Role};
use rongshu_ledger::{Entry, EntryDraft};
use rongshu_objects::DataFiles;
use rongshu_server::admin::{self, AccountRequest, Attribution};
use rongshu_server::{AppState, ServerSettings};
use rongshu_store::testing::TestDatabase;
use rongshu_store::{Backend, Store};
use rongshu_workflow::{Deadlines, Workflow};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "Test-Passw0rd!";

pub struct Seeder;

impl Attribution for Seeder {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        EntryDraft {
            actor_username: Some("test-seeder".into()),
            object_id,
            ..EntryDraft::new(0, action, object_type)
        }
    }
}

/// A seeded account.
#[derive(Clone, Debug)]
pub struct TestAccount {
    pub id: i64,
    pub org_id: i64,
    pub username: String,
}

pub struct TestServer {
    pub base: String,
    /// The front system's listener.
    pub front: String,
    /// The object store's directory.
    pub files: tempfile::TempDir,
    pub state: AppState,
    pub accounts: BTreeMap<(PartyType, Role), TestAccount>,
    pub db: TestDatabase,
    stop: Option<oneshot::Sender<()>>,
}

pub fn username(party: PartyType, role: Role) -> String {
    format!("{}-{}", party.as_str().replace('_', "-"), role.as_str())
}

/// Cheap hashing and a short lockout, so tests stay fast.
pub fn test_settings() -> ServerSettings {
    ServerSettings {
        lockout: LockoutPolicy {
            max_failures: 3,
            lock_ms: 60_000,
        },
        body_limit_bytes: 64 * 1024,
        ..ServerSettings::default()
    }
}

pub async fn state_for(store: Store, key: Vec<u8>, files: &std::path::Path) -> AppState {
    let passwords = PasswordHasher::new(PasswordParams {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let deliveries = Deliveries::new(
        store.clone(),
        DataFiles::local(files).unwrap(),
        MasterKey::from_bytes(&[7; 32]).unwrap(),
        DeliveryConfig::default(),
    );
    let workflow = Workflow::new(
        store.clone(),
        Arc::new(WorkingCalendar::shipped()),
        Deadlines::default(),
        deliveries.master(),
    );
    AppState::new(
        store,
        passwords,
        KeyedHasher::new(key),
        test_settings(),
        deliveries,
        workflow,
    )
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_on(Backend::Sqlite).await
    }

    pub async fn start_on(backend: Backend) -> TestServer {
        let db = TestDatabase::new(backend).await;
        let files = tempfile::tempdir().unwrap();
        let state = state_for(
            db.store.clone(),
            b"test-key-of-at-least-thirty-two-bytes".to_vec(),
            files.path(),
        )
        .await;
        let mut accounts = BTreeMap::new();
        // The operator's admin is seeded first, so it is account 1.
        for party in PartyType::ALL {
            let code = party.as_str().replace('_', "-");
            let org = admin::create_organization(
                &state,
                &Seeder,
                &code,
                &format!("{code} org"),
                party.as_str(),
            )
            .await
            .unwrap();
            for role in Role::ALL {
                let name = username(party, role);
                let request = AccountRequest {
                    org_id: org.id,
                    username: &name,
                    display_name: &name,
                    role: role.as_str(),
                    password: PASSWORD,
                };
                let a = admin::create_account(&state, &Seeder, request)
                    .await
                    .unwrap();
                accounts.insert(
                    (party, role),
                    TestAccount {
                        id: a.id,
                        org_id: org.id,
                        username: name,
                    },
                );
            }
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = futures_stopped(stopped);
        let base = listen(rongshu_server::app(state.clone()), stopped.clone()).await;
        let front = listen(rongshu_server::front_app(state.clone()), stopped).await;
        TestServer {
            base,
            front,
            files,
            state,
            accounts,
            db,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn account(&self, party: PartyType, role: Role) -> &TestAccount {
        &self.accounts[&(party, role)]
    }

    /// A bearer token for the account.
    pub async fn token(&self, party: PartyType, role: Role) -> String {
        let a = self.account(party, role);
        let r = client()
            .post(self.url("/api/v1/sessions"))
            .json(&serde_json::json!({ "username": a.username, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "sign-in of {}", a.username);
        let body: serde_json::Value = r.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// A front-system key for the account, written straight to the store so
    /// that even parties the issuing rule refuses can be walked through the
    /// front system's gate.
    pub async fn front_key(&self, party: PartyType, role: Role) -> String {
        self.stored_key(party, role, true).await
    }

    /// A public API key for the account, written straight to the store:
    /// data calls take nothing else.
    pub async fn api_key(&self, party: PartyType, role: Role) -> String {
        self.stored_key(party, role, false).await
    }

    async fn stored_key(&self, party: PartyType, role: Role, front: bool) -> String {
        let a = self.account(party, role);
        let listener = if front { "front" } else { "api" };
        let secret = format!("rsk_{listener}_{}", a.username);
        let hash = self.state.keys().hash_hex(&secret);
        let mut tx = self.state.store().begin().await.unwrap();
        let key = rongshu_store::NewApiKey {
            account_id: a.id,
            name: "walk",
            display_prefix: "rsk_walk",
            key_hash: &hash,
            expires_at_ms: i64::MAX / 2,
            front,
        };
        tx.insert_api_key(&key, 0).await.unwrap();
        tx.commit().await.unwrap();
        secret
    }

    /// Signs in through the console form; returns a client holding the
    /// session cookie.
    pub async fn console(&self, party: PartyType, role: Role) -> reqwest::Client {
        let client = browser_like();
        let a = self.account(party, role);
        let csrf = login_csrf(&client, self).await;
        let r = client
            .post(self.url("/login"))
            .form(&[
                ("username", a.username.as_str()),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/home"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "console sign-in of {}", a.username);
        client
    }

    /// Entries appended after `seq`, oldest first.
    pub async fn entries_after(&self, seq: i64) -> Vec<Entry> {
        self.state.store().ledger_after(seq, 10_000).await.unwrap()
    }

    pub async fn head(&self) -> i64 {
        self.state.store().ledger_head().await.unwrap().seq
    }
}

/// One stop signal that any number of listeners can wait on.
fn futures_stopped(stopped: oneshot::Receiver<()>) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = stopped.await;
        let _ = tx.send(true);
    });
    rx
}

/// Serves `app` on a fresh loopback port until stopped; returns its base URL.
async fn listen(app: axum::Router, mut stopped: tokio::sync::watch::Receiver<bool>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        rongshu_server::serve(listener, app, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client that keeps cookies and does not follow redirects.
pub fn browser_like() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The text of a page fetched with `client`.
pub async fn page(client: &reqwest::Client, server: &TestServer, path: &str) -> String {
    client
        .get(server.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Fetches the sign-in page (setting the login CSRF cookie) and returns
/// the token from its form.
pub async fn login_csrf(client: &reqwest::Client, server: &TestServer) -> String {
    hidden_field(&page(client, server, "/login").await, "csrf")
}

/// The session's CSRF token, read from the settings page's forms.
pub async fn console_csrf(client: &reqwest::Client, server: &TestServer) -> String {
    hidden_field(&page(client, server, "/settings").await, "csrf")
}

/// The value of a hidden form field in a page.
pub fn hidden_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in page"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// Asserts a response is a problem with this status and code; returns the body.
pub async fn expect_problem(r: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "status for {code}");
    let ct = r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let request_id = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    body
}

impl TestServer {
    /// Calls the API as the holder of `token`, with an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = client().request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }
}

/// Whether any file under `dir` contains `needle`.
pub fn contains_anywhere(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            contains_anywhere(&path, needle)
        } else {
            std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
        }
    })
}
