//! Deliveries become versions (Art. 8, 14, 18).
//!
//! A delivery is read by `rongshu-ingest` into Parquet, scanned and graded
//! with `rongshu-classify`, sealed with a fresh data key into object
//! storage by `rongshu-objects`, and published as an immutable version in
//! one transaction with its ledger entries. Until that commit nothing of it
//! is visible; if the process dies first, [`Deliveries::recover`] (run at
//! start-up and periodically) removes what it wrote.

mod deliver;
mod kept;
mod keys;
mod pull;
mod recover;

use std::sync::Arc;

use rongshu_classify::GradeScale;
use rongshu_crypto::seal::{DataKey, MasterKey, SealError, SealedLayout, Suite};
use rongshu_ingest::IngestError;
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_objects::{DataFiles, ObjectError};
use rongshu_store::{Store, StoreError, Version};

pub use deliver::{Delivered, DeliveryRequest};
pub use kept::{KEPT_PREFIX, KeptFile};
pub use keys::rewrap_all;
pub use pull::{PullError, plain_table_name, redacted};
pub use recover::Recovered;

/// How deliveries are read and stored.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    pub suite: Suite,
    /// Bytes one ingest may hold in row groups and batches.
    pub memory_budget: usize,
    pub sample_rows: usize,
    pub scan_rows: u64,
    pub max_bad_share: f64,
    pub max_listed_bad_rows: usize,
    pub max_buffered_bytes: u64,
    pub grade_scale: GradeScale,
    /// A running ingest not heard from for this long is abandoned.
    pub stale_after_ms: i64,
    /// How often a running ingest records its progress (its heartbeat).
    pub progress_every_ms: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            suite: Suite::Sm4Gcm,
            memory_budget: 64 << 20,
            sample_rows: 1000,
            scan_rows: 200_000,
            max_bad_share: 0.01,
            max_listed_bad_rows: 1000,
            max_buffered_bytes: 512 << 20,
            grade_scale: GradeScale::default(),
            stale_after_ms: 120_000,
            progress_every_ms: 1000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Objects(#[from] ObjectError),
    #[error("the resource's registration was cancelled: it takes no more deliveries")]
    Cancelled,
    #[error("the file's format could not be told from its name {0:?}: state it")]
    UnknownFormat(String),
    /// The delivery was read and refused; the ingest record says why.
    #[error("delivery refused: {source}")]
    Rejected {
        ingest_id: i64,
        #[source]
        source: IngestError,
    },
    #[error("resource {resource} version {version}: {detail}")]
    Integrity {
        resource: String,
        version: i64,
        detail: String,
    },
    #[error("kept file {object}: {detail}")]
    KeptIntegrity { object: String, detail: String },
    #[error("a data key could not be unwrapped: {0}")]
    Key(#[from] SealError),
    #[error("the ingest task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Workflow(#[from] rongshu_workflow::WorkflowError),
}

impl DeliveryError {
    /// Whether the object asked for is not in the store (discarded, or
    /// lost).
    pub fn is_missing(&self) -> bool {
        matches!(self, DeliveryError::Objects(ObjectError::Missing(_)))
    }
}

/// The platform acting on its own (recovery), for the ledger.
#[derive(Clone, Copy, Debug)]
pub struct Platform;

impl Attribution for Platform {
    fn entry(&self, action: &str, object_type: &str, object_id: Option<String>) -> EntryDraft {
        EntryDraft {
            actor_username: Some("system".into()),
            object_id,
            ..EntryDraft::new(now_ms(), action, object_type)
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The context a data key is wrapped under: the object it seals, so a
/// wrapped key copied onto another version does not open.
pub(crate) fn key_context(object_name: &str) -> Vec<u8> {
    format!("rongshu data key for {object_name}").into_bytes()
}

/// Deliveries and the versions they make.
#[derive(Clone, Debug)]
pub struct Deliveries {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    files: DataFiles,
    master: Arc<MasterKey>,
    config: DeliveryConfig,
}

impl Deliveries {
    pub fn new(
        store: Store,
        files: DataFiles,
        master: impl Into<Arc<MasterKey>>,
        config: DeliveryConfig,
    ) -> Self {
        Deliveries {
            inner: Arc::new(Inner {
                store,
                files,
                master: master.into(),
                config,
            }),
        }
    }

    /// The master key, shared with whatever else seals under it.
    pub fn master(&self) -> Arc<MasterKey> {
        Arc::clone(&self.inner.master)
    }

    pub fn config(&self) -> &DeliveryConfig {
        &self.inner.config
    }

    pub fn files(&self) -> &DataFiles {
        &self.inner.files
    }

    /// The data key of a version, unwrapped.
    pub fn data_key(&self, version: &Version) -> Result<DataKey, DeliveryError> {
        let wrapped = hex::decode(&version.wrapped_key).map_err(|_| SealError::KeyUnwrap)?;
        Ok(self
            .inner
            .master
            .unwrap(&wrapped, &key_context(&version.object_name))?)
    }

    /// A version's file for reading by range: each read decrypts (and
    /// authenticates) only the chunks it covers.
    pub async fn version_file(&self, version: &Version) -> Result<VersionFile, DeliveryError> {
        let key = self.data_key(version)?;
        let layout = self.inner.files.layout(&version.object_name).await?;
        Ok(VersionFile {
            files: self.inner.files.clone(),
            name: version.object_name.clone(),
            layout,
            key,
        })
    }

    /// A version's Parquet bytes, decrypted in memory and checked against
    /// the digest recorded at delivery.
    pub async fn read_version(
        &self,
        resource_code: &str,
        version: &Version,
    ) -> Result<Vec<u8>, DeliveryError> {
        self.open_checked(&version.object_name, &version.wrapped_key, &version.digest)
            .await
            .map_err(|e| match e {
                kept::Unsealed::Damaged(detail) => DeliveryError::Integrity {
                    resource: resource_code.to_owned(),
                    version: version.number,
                    detail,
                },
                kept::Unsealed::Failed(e) => e,
            })
    }
}

/// A stored version, read by range.
pub struct VersionFile {
    files: DataFiles,
    name: String,
    layout: SealedLayout,
    key: DataKey,
}

impl std::fmt::Debug for VersionFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VersionFile({})", self.name)
    }
}

impl VersionFile {
    /// The plaintext's length.
    pub fn len(&self) -> u64 {
        self.layout.plaintext_len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub async fn read(&self, range: std::ops::Range<u64>) -> Result<Vec<u8>, DeliveryError> {
        Ok(self
            .files
            .read_with(&self.name, &self.layout, &self.key, range)
            .await?)
    }
}
