//! The data sandbox (数据沙箱, Art. 5): "原始数据不出域、数据可用不可见".
//!
//! A workspace per data use agreement that grants the sandbox mode. Its
//! tables are the products offering the sandbox under that agreement,
//! read through their pipelines (never more than the authorization lets
//! out) and held in memory by this process, plus the tables its users
//! upload or make from query results, kept sealed among the platform's
//! files (`Deliveries::keep`) and recorded with the products they were
//! made from. Queries run in `rongshu-engine` under limits; every
//! statement is kept in the workspace's history and ledgered with a digest
//! of its text and what it read. Results leave only as releases: the
//! automatic disclosure checks first (`rongshu_domain::output`), then the
//! operator's output checkers.
//!
//! *Invariants:* every use passes the same access chain as the other modes
//! (`Products::admit_sandbox`), before a query and again before its answer
//! leaves; a table made from a product is withheld whenever the product
//! is; no HTTP; nothing here writes plaintext outside memory.

mod cache;
mod export;
mod kept;
mod query;
mod workspace;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rongshu_domain::output::DisclosureRules;
use rongshu_engine::Engine;
use rongshu_products::{Caller, ProductError, Products};
use rongshu_store::{Store, StoreError};
use tokio_util::sync::CancellationToken;

pub use export::{ExportFailure, Release};
pub use kept::{Upload, kept_file};
pub use query::Answer;
pub use rongshu_engine::{EngineError, Limits};
pub use workspace::{Origin, Workspace, WorkspaceTable, table_name};

/// How the sandbox is run.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub limits: Limits,
    pub rules: DisclosureRules,
    /// Distinct checkers who must approve a release.
    pub approvals_required: u8,
    /// Queries one account may have running at once.
    pub queries_per_account: usize,
    /// The largest file a user may upload into a workspace.
    pub max_upload_bytes: u64,
    /// Memory this process's workspace tables may hold; the least
    /// recently used are dropped (and read again when next needed).
    pub cache_bytes: usize,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            limits: Limits::default(),
            rules: DisclosureRules::default(),
            approvals_required: 1,
            queries_per_account: 2,
            max_upload_bytes: 256 << 20,
            cache_bytes: 2 << 30,
        }
    }
}

/// Why a sandbox operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(
        "no workspace {0}: no data use agreement of your organisation grants the sandbox over a product"
    )]
    NoWorkspace(i64),
    #[error("table {table} was made from product {product}, which this workspace no longer reads")]
    Withheld { table: String, product: String },
    #[error("export {export} came from product {product}, which this workspace no longer reads")]
    ExportWithheld { export: i64, product: String },
    #[error("the upload was not read: {0}")]
    Upload(String),
    #[error(
        "table {table} is kept while export {export}, which read it, has left the workspace or may yet: later releases are compared with it"
    )]
    ReadByExport { table: String, export: i64 },
    #[error(
        "table {0} was dropped or made again while the export ran: later releases could not be compared with it; ask for the export again"
    )]
    TableGone(String),
    #[error(
        "another export of your organisation was filed while this one ran, so they were not compared; ask for the export again"
    )]
    FiledMeanwhile,
    #[error(transparent)]
    Kept(#[from] rongshu_delivery::DeliveryError),
    #[error("{running} queries of yours are running; wait for one to end or cancel it")]
    Busy { running: usize },
    #[error("{field} {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error(transparent)]
    Query(#[from] EngineError),
    #[error(transparent)]
    Product(#[from] ProductError),
    #[error(transparent)]
    Review(#[from] rongshu_domain::output::ReviewRefusal),
    #[error("export {id} is {status}; only approved exports are released")]
    NotReleased { id: i64, status: String },
    #[error("the released result does not open: {0}")]
    Sealed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sandbox of one server process.
#[derive(Clone, Debug)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    products: Products,
    engine: Engine,
    config: SandboxConfig,
    tables: cache::TableCache,
    /// Queries running, by account.
    running: Mutex<HashMap<i64, usize>>,
    /// Cancellation of running queries, by account and the run id the
    /// client chose.
    cancels: Mutex<HashMap<(i64, String), CancellationToken>>,
}

impl Sandbox {
    pub fn new(products: Products, config: SandboxConfig) -> Sandbox {
        Sandbox {
            inner: Arc::new(Inner {
                engine: Engine::new(config.limits.clone()),
                products,
                tables: cache::TableCache::new(config.cache_bytes),
                config,
                running: Mutex::default(),
                cancels: Mutex::default(),
            }),
        }
    }

    fn store(&self) -> &Store {
        self.inner.products.store()
    }

    fn products(&self) -> &Products {
        &self.inner.products
    }

    fn now_ms(&self) -> i64 {
        self.inner.products.workflow().now_ms()
    }

    /// Workspace tables this process holds in memory, and their bytes.
    pub fn cached(&self) -> (usize, usize) {
        self.inner.tables.footprint()
    }

    /// Cancels a running query of the caller's; false when none runs
    /// under that id.
    pub fn cancel(&self, caller: &Caller, run_id: &str) -> bool {
        let cancels = self.inner.cancels.lock().unwrap_or_else(|e| e.into_inner());
        match cancels.get(&(caller.account_id, run_id.to_owned())) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}
