//! What a dead process leaves behind is removed: its unfinished objects
//! and staged uploads, any object no version or running ingest names, and
//! any kept file no sandbox table names.

use std::collections::HashSet;

use rongshu_domain::resource::IngestState;
use rongshu_ledger::{Attribution, Outcome};

use crate::{Deliveries, DeliveryError, Inner, Platform, now_ms};

/// What a recovery pass removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    pub abandoned_ingests: usize,
    pub orphaned_objects: usize,
}

impl Deliveries {
    pub async fn recover(&self) -> Result<Recovered, DeliveryError> {
        let Inner {
            store,
            files,
            config,
            ..
        } = &*self.inner;
        let mut recovered = Recovered::default();
        let now = now_ms();
        for ingest in store.stale_ingests(now - config.stale_after_ms).await? {
            files.discard(&ingest.object_name).await?;
            let mut tx = store.begin().await?;
            let ended = tx
                .end_ingest(
                    ingest.id,
                    IngestState::Abandoned,
                    "the process reading this delivery stopped; nothing of it was kept",
                    &[],
                    ingest.bad_rows,
                    now,
                )
                .await?;
            if ended {
                tx.append(rongshu_ledger::EntryDraft {
                    outcome: Outcome::Failed,
                    reason: Some(format!("abandoned ingest of {:?}", ingest.file_name)),
                    ..Platform.entry("delivery.abandon", "ingest", Some(ingest.id.to_string()))
                })
                .await?;
                tx.commit().await?;
                recovered.abandoned_ingests += 1;
            }
        }
        // Objects are listed before the database is read: every object was
        // named by an ingest row before its first byte was written, so one
        // that existed at listing time is known to the reads that follow.
        let objects = files.list("versions").await?;
        let mut known: HashSet<String> = store
            .all_versions()
            .await?
            .into_iter()
            .map(|v| v.object_name)
            .collect();
        known.extend(
            store
                .stale_ingests(i64::MAX)
                .await?
                .into_iter()
                .map(|i| i.object_name),
        );
        for name in objects {
            if !known.contains(&name) {
                tracing::warn!(object = %name, "removing an object no version names");
                files.discard(&name).await?;
                recovered.orphaned_objects += 1;
            }
        }
        recovered.orphaned_objects += self.sweep_kept(now).await?;
        Ok(recovered)
    }

    /// Removes kept files no sandbox table names. A kept file is recorded
    /// right after it is sealed, so only one older than the stale age
    /// (by the time in its name) can be an orphan.
    async fn sweep_kept(&self, now: i64) -> Result<usize, DeliveryError> {
        let Inner {
            store,
            files,
            config,
            ..
        } = &*self.inner;
        let objects = files.list(crate::KEPT_PREFIX).await?;
        let known: HashSet<String> = store
            .sandbox_tables(None)
            .await?
            .into_iter()
            .map(|t| t.table.object_name)
            .collect();
        let mut swept = 0;
        for name in objects {
            let made_at = name
                .rsplit('/')
                .next()
                .and_then(|file| file.split('-').next())
                .and_then(|ms| ms.parse::<i64>().ok())
                .unwrap_or(0);
            if !known.contains(&name) && made_at < now - config.stale_after_ms {
                tracing::warn!(object = %name, "removing a kept file no table names");
                files.discard(&name).await?;
                swept += 1;
            }
        }
        Ok(swept)
    }
}
