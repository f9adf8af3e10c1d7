//! Throwaway databases for tests: a SQLite file in a fresh temporary
//! folder, or, when `RONGSHU_TEST_POSTGRES_URL` names a server, a fresh
//! PostgreSQL database on it. Both are removed on drop.

use std::path::PathBuf;

use sqlx::{Connection, Executor, Row};

use crate::{Backend, LedgerFilter, Store};

/// The environment variable naming a PostgreSQL server for tests, e.g.
/// `postgres://postgres@localhost/postgres`.
pub const POSTGRES_ENV: &str = "RONGSHU_TEST_POSTGRES_URL";

/// The backends the tests should run on: SQLite always, PostgreSQL when
/// [`POSTGRES_ENV`] is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var_os(POSTGRES_ENV).is_some() {
        v.push(Backend::Postgres);
    }
    v
}

/// Runs `test` once on a fresh database of every backend in [`backends`].
pub async fn on_every_backend<F, Fut>(test: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        eprintln!("backend: {backend:?}");
        test(TestDatabase::new(backend).await).await;
    }
}

/// A migrated, empty database that disappears on drop.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub store: Store,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Folder(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("rongshu-test-{tag}"));
                std::fs::create_dir_all(&dir).expect("create temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("rongshu.db").display());
                (url, Cleanup::Folder(dir))
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_ENV).expect("RONGSHU_TEST_POSTGRES_URL");
                let name = format!("rongshu_test_{tag}");
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .expect("connect to test server");
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let url = replace_database(&admin_url, &name);
                (url, Cleanup::PostgresDatabase { admin_url, name })
            }
        };
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        TestDatabase {
            url,
            store,
            cleanup,
        }
    }
}

impl TestDatabase {
    /// Runs `statements` as a database administrator bent on rewriting
    /// history would: first switching off the ledger's append-only
    /// triggers. Each statement must change at least one row.
    pub async fn tamper_as_administrator(&self, statements: &[&str]) {
        let pool = sqlx::AnyPool::connect(&self.url).await.expect("connect");
        let mut conn = pool.acquire().await.expect("acquire");
        let disable: &[&str] = match self.store.backend() {
            Backend::Sqlite => &[
                "DROP TRIGGER ledger_entries_no_update",
                "DROP TRIGGER ledger_entries_no_delete",
            ],
            Backend::Postgres => &["ALTER TABLE ledger_entries DISABLE TRIGGER USER"],
        };
        for s in disable {
            conn.execute(*s).await.expect("switch off the triggers");
        }
        for s in statements {
            let done = conn.execute(*s).await.expect("tampering statement");
            assert!(done.rows_affected() > 0, "{s} changed nothing");
        }
        drop(conn);
        pool.close().await;
    }
}

impl TestDatabase {
    /// How the database plans the ledger search for `filter`: its
    /// `EXPLAIN` as text. Sequential scans are switched off on PostgreSQL,
    /// so that a test's small table still shows the index a large one uses.
    pub async fn ledger_search_plan(&self, filter: &LedgerFilter) -> String {
        let (sql, conditions) = crate::ledger::ledger_search(filter, 100);
        let mut conn = sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("connect");
        let explain = match self.store.backend() {
            Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
            Backend::Postgres => {
                conn.execute("SET enable_seqscan = off")
                    .await
                    .expect("switch off sequential scans");
                format!("EXPLAIN {sql}")
            }
        };
        let rows = conditions
            .bound(&explain)
            .fetch_all(&mut conn)
            .await
            .expect("explain the ledger search");
        let column = match self.store.backend() {
            Backend::Sqlite => "detail",
            Backend::Postgres => "QUERY PLAN",
        };
        let lines: Vec<String> = rows
            .iter()
            .map(|row| row.try_get(column).expect("plan line"))
            .collect();
        conn.close().await.ok();
        lines.join("\n")
    }
}

/// Swaps the database name in a PostgreSQL URL.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop cannot await; a thread with its own runtime can.
                let done = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    // FORCE ends the pool's connections server-side; closing the
                    // pool from here would wait on the test's blocked runtime.
                    rt.block_on(async move {
                        if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                            let _ = conn
                                .execute(
                                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                                )
                                .await;
                        }
                    });
                });
                let _ = done.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            replace_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
    }
}
