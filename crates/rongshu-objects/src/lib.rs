//! Data files at rest (Art. 7, 9; GB/T 39786 level 3).
//!
//! Every data file is sealed with its own data key before a byte of it
//! leaves memory ([`rongshu_crypto::seal`]) and stored through the
//! `object_store` crate: a local directory by default, any S3-compatible
//! store by configuration. Writes stream in parts, so a file of any size
//! passes through a few parts' worth of memory; reads fetch and decrypt
//! only the chunks covering the byte range asked for.
//!
//! This crate knows nothing of versions or databases: callers name the
//! objects, keep the wrapped keys and decide what is orphaned.

mod writer;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use rongshu_crypto::seal::{DataKey, SealError, SealedLayout};

pub use writer::{SealedObject, SealedWriter};

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object storage: {0}")]
    Store(#[from] object_store::Error),
    #[error("object storage location {0:?} is not usable: {1}")]
    Location(String, String),
    #[error("{object}: {source}")]
    Sealed { object: String, source: SealError },
    #[error("object {0} does not exist")]
    Missing(String),
}

/// Where sealed data files live.
#[derive(Clone)]
pub struct DataFiles {
    store: Arc<dyn ObjectStore>,
    /// The directory behind a local store, whose unfinished uploads
    /// (`name#n` files) must be swept by hand.
    local_root: Option<PathBuf>,
    chunk_size: u32,
    workers: usize,
    /// Bytes per uploaded part: S3 wants at least 5 MiB; a local directory
    /// takes small parts, which keeps memory low.
    part_size: usize,
}

impl std::fmt::Debug for DataFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataFiles({})", self.store)
    }
}

/// Plaintext bytes per sealed chunk: small enough that a range read of a
/// Parquet page decrypts little more than it needs, large enough that the
/// 16-byte tags cost nothing.
pub const CHUNK_SIZE: u32 = 64 * 1024;

impl DataFiles {
    /// A local directory, created if missing.
    pub fn local(root: &Path) -> Result<DataFiles, ObjectError> {
        std::fs::create_dir_all(root)
            .map_err(|e| ObjectError::Location(root.display().to_string(), e.to_string()))?;
        let root = root
            .canonicalize()
            .map_err(|e| ObjectError::Location(root.display().to_string(), e.to_string()))?;
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(DataFiles {
            store: Arc::new(store),
            local_root: Some(root),
            chunk_size: CHUNK_SIZE,
            workers: default_workers(),
            part_size: 1 << 20,
        })
    }

    /// `file:///path`, a plain path, or `s3://bucket/prefix`, configured by
    /// the usual `AWS_*` environment variables and then `options` (keys such
    /// as `aws_endpoint`, `aws_region`, `aws_access_key_id`,
    /// `aws_allow_http`), which is how S3-compatible stores are reached.
    pub fn from_url<'a>(
        url: &str,
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<DataFiles, ObjectError> {
        let location = |e: String| ObjectError::Location(url.to_owned(), e);
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            for (key, value) in options {
                let key: AmazonS3ConfigKey = key
                    .parse()
                    .map_err(|_| location(format!("unknown S3 option {key:?}")))?;
                builder = builder.with_config(key, value);
            }
            let store = builder.build().map_err(|e| location(e.to_string()))?;
            let store: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
                Arc::new(store)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(
                    store,
                    prefix.trim_matches('/'),
                ))
            };
            return Ok(DataFiles {
                store,
                local_root: None,
                chunk_size: CHUNK_SIZE,
                workers: default_workers(),
                part_size: 8 << 20,
            });
        }
        let path = url.strip_prefix("file://").unwrap_or(url);
        if path.contains("://") {
            return Err(ObjectError::Location(
                url.to_owned(),
                "use a directory, file:///path or s3://bucket/prefix".into(),
            ));
        }
        DataFiles::local(Path::new(path))
    }

    /// How many threads seal chunks in parallel.
    pub fn with_workers(mut self, workers: usize) -> DataFiles {
        self.workers = workers.max(1);
        self
    }

    /// Starts a sealed object at `name`. The writer is synchronous, for
    /// blocking threads inside a Tokio runtime (`spawn_blocking`).
    pub fn create(&self, name: &str, key: &DataKey) -> Result<SealedWriter, ObjectError> {
        // AES-GCM seals over a gigabyte a second on one core: spreading it
        // over threads costs more than it saves. SM4 needs every core.
        let workers = match key.suite() {
            rongshu_crypto::seal::Suite::Aes256Gcm => 1,
            rongshu_crypto::seal::Suite::Sm4Gcm => self.workers,
        };
        SealedWriter::start(
            self.store.clone(),
            ObjectPath::from(name),
            key,
            self.chunk_size,
            workers,
            self.part_size,
        )
    }

    /// The sealed layout of an object, from its header and size.
    pub async fn layout(&self, name: &str) -> Result<SealedLayout, ObjectError> {
        let path = ObjectPath::from(name);
        let meta = match self.store.head(&path).await {
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ObjectError::Missing(name.to_owned()));
            }
            other => other?,
        };
        let header_end = (SealedLayout::HEADER_LEN as u64).min(meta.size);
        let header = self.store.get_range(&path, 0..header_end).await?;
        SealedLayout::new(&header, meta.size).map_err(|source| ObjectError::Sealed {
            object: name.to_owned(),
            source,
        })
    }

    /// Reads a plaintext byte range, decrypting only the chunks covering it.
    pub async fn read_range(
        &self,
        name: &str,
        key: &DataKey,
        range: Range<u64>,
    ) -> Result<Vec<u8>, ObjectError> {
        let layout = self.layout(name).await?;
        self.read_with(name, &layout, key, range).await
    }

    /// Reads a range once the layout is known (saves a round trip).
    pub async fn read_with(
        &self,
        name: &str,
        layout: &SealedLayout,
        key: &DataKey,
        range: Range<u64>,
    ) -> Result<Vec<u8>, ObjectError> {
        let sealed_err = |source| ObjectError::Sealed {
            object: name.to_owned(),
            source,
        };
        let (_, fetch) = layout.plan(range.clone()).map_err(sealed_err)?;
        let fetched = self.store.get_range(&ObjectPath::from(name), fetch).await?;
        layout.open(key, range, &fetched).map_err(sealed_err)
    }

    /// Reads a whole object's plaintext.
    pub async fn read_all(&self, name: &str, key: &DataKey) -> Result<Vec<u8>, ObjectError> {
        let layout = self.layout(name).await?;
        self.read_with(name, &layout, key, 0..layout.plaintext_len())
            .await
    }

    /// Removes an object and any unfinished upload of it; nothing there is
    /// not an error.
    pub async fn discard(&self, name: &str) -> Result<(), ObjectError> {
        match self.store.delete(&ObjectPath::from(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(root) = &self.local_root {
            sweep_staged(&root.join(name));
        }
        Ok(())
    }

    /// The names of the objects under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        let prefix = ObjectPath::from(prefix);
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        Ok(metas.into_iter().map(|m| m.location.to_string()).collect())
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The local store stages a multipart upload as `name#n` beside the final
/// name and renames it on completion; a killed process leaves it behind.
fn sweep_staged(target: &Path) {
    let (Some(dir), Some(file)) = (target.parent(), target.file_name()) else {
        return;
    };
    let prefix = format!("{}#", file.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            // Best effort: a file that cannot be removed now is retried by
            // the next sweep.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
