//! API keys of data calls, cached per process by their keyed hash under
//! the access epoch they were read in. A data call's use commits only if
//! the epoch is unchanged (`rongshu_products`), so a key revoked, expired
//! by an administrator or disabled with its account in any process stops
//! the next call; every other route reads its key from the database.

use std::collections::HashMap;
use std::sync::Mutex;

use rongshu_store::{Account, ApiKey, Store, StoreError};

/// More keys than this and the cache starts over.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    keys: Mutex<HashMap<String, Found>>,
}

#[derive(Clone, Debug)]
struct Found {
    stamp: i64,
    key: ApiKey,
    account: Account,
}

impl KeyCache {
    /// The key with `key_hash`, live or not, its account and the epoch they
    /// were read under; none if no key has that hash. Keys not honoured
    /// are cached too, so a refused key repeated costs no query.
    pub async fn key(
        &self,
        store: &Store,
        key_hash: &str,
    ) -> Result<Option<(ApiKey, Account, i64)>, StoreError> {
        let stamp = store.seen_epoch();
        let cached = self
            .lock()
            .get(key_hash)
            .filter(|f| f.stamp == stamp)
            .cloned();
        let found = match cached {
            Some(found) => found,
            None => {
                let Some((key, account)) = store.api_key_by_hash(key_hash).await? else {
                    return Ok(None);
                };
                let found = Found {
                    stamp,
                    key,
                    account,
                };
                let mut keys = self.lock();
                if keys.len() >= MAX_KEYS {
                    keys.clear();
                }
                keys.insert(key_hash.to_owned(), found.clone());
                found
            }
        };
        Ok(Some((found.key, found.account, found.stamp)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Found>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}
