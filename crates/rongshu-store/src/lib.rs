//! Persistence for Rongshu on SQLite (the embedded default) and PostgreSQL
//! (production), through one sqlx implementation over the `Any` driver.
//!
//! Portable SQL only: `$n` placeholders (SQLite accepts them too), integer
//! times and flags, `RETURNING`. Each backend has its own `migrations/`.
//!
//! Every change happens inside a [`WriteTx`], which locks the ledger head as
//! its first statement: changes and their ledger entries commit together,
//! and appends are serialised across every server sharing the database.
//! Locking the head also moves the access epoch on (see [`Store::begin`]),
//! except in the batches that record data calls ([`UseWriter`]) and in
//! changes no data call rests on ([`Store::begin_aside`]).

mod accounts;
mod agreements;
mod authorizations;
mod conditions;
mod consulting;
mod demands;
mod error;
mod evidence;
mod ledger;
mod notifications;
mod products;
mod pulls;
mod records;
mod resources;
mod sandbox;
mod sandbox_tables;
mod sealed;
mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
mod uses;
mod versions;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use agreements::{Agreement, AgreementSignature, Dispute, NewAgreement, SigningKeyRecord};
pub use authorizations::{Authorization, AuthorizationScope, AuthorizedResource, DeliveryTask};
pub use consulting::{ConsultingMessage, ConsultingOrder, Feedback, NewFeedback, SealedFile};
pub use demands::{
    AnswerProgress, Assessment, AssessmentDecision, Demand, DemandFilter, DemandInput, DemandItem,
    DemandList,
};
pub use error::StoreError;
pub use evidence::ConsentEvidence;
pub use ledger::{ARCHIVE_ACTION, ChainPoint, LedgerFilter, ObjectFilter, VerifyReport};
pub use notifications::{NewNotification, Notification};
pub use products::{
    FirstUse, Product, ProductInput, Suspension, Usage, UseScope, UseTotals, Withdrawal,
};
pub use pulls::{NewPullSource, PullSource};
pub use records::{
    Account, AccountCredentials, ApiKey, NewAccount, NewApiKey, NewOrganization, Organization,
    SessionKind, SessionPrincipal,
};
pub use resources::{Registration, Resource, ResourceDescription, ResourceField, ResourceFilter};
pub use sandbox::{NewSandboxExport, NewSandboxQuery, SandboxExport, SandboxQuery, SandboxReview};
pub use sandbox_tables::{NewSandboxTable, SandboxTable, TableOrigin};
pub use sealed::Sealed;
pub use uses::{AuthorizationDay, UseAt, UseCounts, UseReads, UseWriter, UseWrites};
pub use versions::{BadRowRecord, Ingest, NewIngest, NewVersion, Version, VersionField};
pub use webhooks::{PendingDelivery, Webhook};

/// Which database engine a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl {
                scheme: url.split(':').next().unwrap_or("").to_owned(),
            })
        }
    }
}

/// The platform's database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The newest access epoch this process has seen committed.
    seen_epoch: Arc<AtomicI64>,
    /// The database file, for connections of the store's own.
    sqlite_path: Option<Arc<Path>>,
}

/// Every SQLite connection's settings: WAL lets readers run beside the
/// single writer; FULL makes each commit durable; the busy timeout queues
/// writers instead of failing them.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::of_url(url)?;
        install_default_drivers();
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        let options = match backend {
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let pool = options.connect(url).await?;
        Ok(Store {
            pool,
            backend,
            seen_epoch: Arc::new(AtomicI64::new(0)),
            sqlite_path: sqlite_path(url).map(Arc::from),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; already applied ones are checked, not rerun.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write transaction, first locking the ledger head so every
    /// change and its ledger entries are serialised and commit together.
    /// It moves the access epoch on: whatever it changes, caches of what
    /// data calls rest on are void once it commits.
    pub async fn begin(&self) -> Result<WriteTx<'static>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE ledger_head SET epoch = epoch + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(WriteTx {
            tx,
            appended: 0,
            head: None,
        })
    }

    /// A write transaction for changes no data call rests on (sign-ins,
    /// their counters, notices read, entries appended alone, new API keys
    /// and demands, consulting messages and deliverables, feedback, sandbox
    /// tables and exports, pull sources, webhooks): it locks the head like
    /// [`Store::begin`] but leaves the access epoch, so that what anyone
    /// may do at will does not send other organisations' calls in flight
    /// back to be admitted again. What a call's admission reads (keys,
    /// accounts, organisations, products, resources, versions,
    /// authorizations, agreements, the demands they grant, suspensions)
    /// is never changed here.
    pub async fn begin_aside(&self) -> Result<WriteTx<'static>, StoreError> {
        Ok(self.begin_uses().await?.0)
    }

    /// Reads the committed access epoch, so that caches stamped before it
    /// are void from now on in this process too (a change made through
    /// another process otherwise shows at this one's next data use).
    pub async fn refresh_epoch(&self) -> Result<i64, StoreError> {
        let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM ledger_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(self
            .seen_epoch
            .fetch_max(epoch, Ordering::AcqRel)
            .max(epoch))
    }

    /// The newest access epoch this process has seen committed. Anything
    /// read from the database after this call is at least as new, so a
    /// cache stamps what it reads with the value read before it.
    pub fn seen_epoch(&self) -> i64 {
        self.seen_epoch.load(Ordering::Acquire)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file of a `sqlite://path?options` URL.
fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    Some(Path::new(rest.split('?').next().unwrap_or(rest)))
}

/// A write transaction. Dropping it without [`WriteTx::commit`] rolls back
/// the changes and their ledger entries alike.
#[derive(Debug)]
pub struct WriteTx<'c> {
    tx: Transaction<'c, Any>,
    appended: u64,
    /// The ledger head as this transaction last read or moved it.
    head: Option<ChainPoint>,
}

impl WriteTx<'_> {
    /// Commits; returns how many ledger entries it wrote.
    pub async fn commit(self) -> Result<u64, StoreError> {
        self.tx.commit().await?;
        Ok(self.appended)
    }
}

/// The one row `sql` finds for `id` (bound as `$1`), parsed; NotFound
/// names `what` when there is none.
async fn by_id<T>(
    pool: &AnyPool,
    sql: &'static str,
    id: i64,
    what: &'static str,
    parse: fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
    row.as_ref()
        .map(parse)
        .transpose()?
        .ok_or(StoreError::NotFound {
            what,
            id: id.to_string(),
        })
}

fn parse_code<T: FromStr>(what: &'static str, value: String) -> Result<T, StoreError> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt { what, value })
}
