//! What one query may use, and the session that enforces it.

use std::sync::Arc;
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::object_store::ObjectStore;
use datafusion::prelude::{SessionConfig, SessionContext};
use url::Url;

/// A query's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Memory its operators may reserve (hash tables, sorts, buffers).
    pub memory_bytes: usize,
    pub time: Duration,
    /// Rows of a query's result returned at most.
    pub max_rows: usize,
    /// Threads a query fans out to.
    pub partitions: usize,
    pub max_sql_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory_bytes: 512 << 20,
            time: Duration::from_secs(60),
            max_rows: 10_000,
            partitions: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_sql_bytes: 64 << 10,
        }
    }
}

impl Limits {
    /// A session that knows no tables yet, cannot spill to disk and can
    /// open no object store.
    pub(crate) fn session(&self) -> Result<SessionContext> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(self.memory_bytes)))
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .with_object_store_registry(Arc::new(NoObjectStores))
            .build_arc()?;
        let mut config = SessionConfig::new()
            .with_target_partitions(self.partitions.max(1))
            .with_information_schema(false);
        // Build a join's hash table once from its smaller side (up to a
        // quarter of the memory cap) rather than repartitioning both sides
        // by key: on a few cores the shuffle of the larger table costs
        // more than the join (1.85 to 0.85-1.39 of DuckDB in the sandbox
        // benchmark). Either way the table counts against the cap.
        let optimizer = &mut config.options_mut().optimizer;
        optimizer.hash_join_single_partition_threshold = self.memory_bytes / 4;
        optimizer.hash_join_single_partition_threshold_rows = 4 << 20;
        let context = SessionContext::new_with_config_rt(config, runtime);
        // Field metadata is where kept tables mark their trace.
        context.deregister_udf("with_metadata");
        Ok(context)
    }
}

/// Refuses every URL: a sandbox query reads its workspace's tables and
/// nothing else, not even a local file.
#[derive(Debug)]
struct NoObjectStores;

impl ObjectStoreRegistry for NoObjectStores {
    fn register_store(
        &self,
        _url: &Url,
        _store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        None
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        Err(DataFusionError::Plan(format!(
            "the sandbox reads no files or URLs ({url})"
        )))
    }
}
