//! API keys of data calls, cached per process under the access epoch they
//! were read in. A data call's use commits only if the epoch is unchanged
//! (`rongshu_products`), so a key revoked, expired by an administrator or
//! disabled with its account in any process stops the next call; every
//! other route reads its key from the database.
//!
//! Entries are found by the presented key's fingerprint (a keyed hash
//! under this process's own key, `Fingerprinter`): a key is entered only
//! after its MAC found it in the database, so a later call presenting the
//! same key skips the MAC, and the cache never holds a key itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rongshu_crypto::{Fingerprinter, KeyedHasher};
use rongshu_store::{Account, ApiKey, Store, StoreError};

/// More keys than this and the cache starts over.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    fingerprints: Fingerprinter,
    keys: Mutex<HashMap<u128, Arc<Found>>>,
}

/// A key as read, whatever its state, with its account and the epoch
/// they were read under.
#[derive(Debug)]
pub(crate) struct Found {
    pub stamp: i64,
    pub key: ApiKey,
    pub account: Account,
}

impl KeyCache {
    /// The key presented as `token`, live or not; none if no key has its
    /// MAC under `keyed`. Keys not honoured are cached too, so a refused
    /// key repeated costs no query.
    pub async fn key(
        &self,
        store: &Store,
        keyed: &KeyedHasher,
        token: &str,
    ) -> Result<Option<Arc<Found>>, StoreError> {
        let stamp = store.seen_epoch();
        let fingerprint = self.fingerprints.of(token);
        if let Some(found) = self.lock().get(&fingerprint).filter(|f| f.stamp == stamp) {
            return Ok(Some(Arc::clone(found)));
        }
        let Some((key, account)) = store.api_key_by_hash(&keyed.hash_hex(token)).await? else {
            return Ok(None);
        };
        let found = Arc::new(Found {
            stamp,
            key,
            account,
        });
        let mut keys = self.lock();
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(fingerprint, Arc::clone(&found));
        Ok(Some(found))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u128, Arc<Found>>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}
