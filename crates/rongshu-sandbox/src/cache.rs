//! The workspace tables a process holds in memory, within a byte budget:
//! the least recently used go first. A statement holding a table keeps it
//! alive after it leaves the cache; the next statement reads it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rongshu_engine::Table;

/// What a cached table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// A product's output, by product, revision, version and
    /// authorization: any change of these makes another table.
    Product {
        product: i64,
        revision: i64,
        version: i64,
        authorization: i64,
    },
    /// A kept table, by workspace and id (it never changes; it is only
    /// dropped).
    Kept { agreement: i64, id: i64 },
}

#[derive(Debug)]
pub(crate) struct TableCache {
    budget: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    /// Counts uses, to tell the least recent.
    clock: u64,
}

#[derive(Debug)]
struct Entry {
    table: Arc<Table>,
    bytes: usize,
    used: u64,
}

impl TableCache {
    pub(crate) fn new(budget: usize) -> TableCache {
        TableCache {
            budget,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Arc<Table>> {
        let mut state = self.state();
        state.clock += 1;
        let now = state.clock;
        let entry = state.entries.get_mut(key)?;
        entry.used = now;
        Some(entry.table.clone())
    }

    /// Holds `table`, making room by dropping the least recently used; a
    /// table larger than the whole budget is not held.
    pub(crate) fn put(&self, key: Key, table: Arc<Table>) {
        let bytes = table.memory_bytes();
        if bytes > self.budget {
            tracing::warn!(
                table = table.name(),
                bytes,
                budget = self.budget,
                "a sandbox table is larger than the cache: it is read for every statement"
            );
            return;
        }
        let mut state = self.state();
        state.clock += 1;
        let used = state.clock;
        if let Some(old) = state.entries.insert(key, Entry { table, bytes, used }) {
            state.bytes -= old.bytes;
        }
        state.bytes += bytes;
        while state.bytes > self.budget {
            let Some(oldest) = state
                .entries
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(gone) = state.entries.remove(&oldest) {
                state.bytes -= gone.bytes;
            }
        }
    }

    /// Drops the tables `keep` says no.
    pub(crate) fn retain(&self, keep: impl Fn(&Key) -> bool) {
        let mut state = self.state();
        let gone: Vec<Key> = state.entries.keys().filter(|k| !keep(k)).copied().collect();
        for key in gone {
            if let Some(entry) = state.entries.remove(&key) {
                state.bytes -= entry.bytes;
            }
        }
    }

    /// Tables held and their bytes.
    pub(crate) fn footprint(&self) -> (usize, usize) {
        let state = self.state();
        (state.entries.len(), state.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rongshu_engine::{Batch, ColumnType, OutputColumn};

    fn table(name: &str, rows: usize) -> Arc<Table> {
        let columns = vec![OutputColumn {
            name: "v".into(),
            column_type: ColumnType::Text,
        }];
        let batch = Batch {
            rows,
            columns: vec![(0..rows).map(|i| Some(format!("value {i}"))).collect()],
        };
        Arc::new(Table::from_text(name, columns, [batch]).unwrap())
    }

    fn kept(id: i64) -> Key {
        Key::Kept { agreement: 1, id }
    }

    #[test]
    fn the_least_recently_used_table_leaves_first() {
        let one = table("a", 1000).memory_bytes();
        let cache = TableCache::new(one * 2 + one / 2);
        cache.put(kept(1), table("a", 1000));
        cache.put(kept(2), table("b", 1000));
        assert_eq!(cache.footprint(), (2, one * 2));
        assert!(cache.get(&kept(1)).is_some(), "1 is now the most recent");
        cache.put(kept(3), table("c", 1000));
        assert!(cache.get(&kept(2)).is_none(), "2 was the least recent");
        assert!(cache.get(&kept(1)).is_some() && cache.get(&kept(3)).is_some());
        assert_eq!(cache.footprint(), (2, one * 2));
    }

    #[test]
    fn a_table_larger_than_the_budget_is_not_held() {
        let cache = TableCache::new(100);
        cache.put(kept(1), table("a", 1000));
        assert_eq!(cache.footprint(), (0, 0));
    }

    #[test]
    fn dropped_tables_leave_and_replaced_ones_are_counted_once() {
        let cache = TableCache::new(usize::MAX);
        cache.put(kept(1), table("a", 10));
        cache.put(kept(1), table("a", 10));
        cache.put(kept(2), table("b", 10));
        let one = table("a", 10).memory_bytes();
        assert_eq!(cache.footprint(), (2, one * 2));
        cache.retain(|k| *k != kept(1));
        assert_eq!(cache.footprint(), (1, one));
    }
}
