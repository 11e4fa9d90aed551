//! Maps that start over when they are full: the caches of parsed keys, key sets and
//! imported `CryptoKey`s. Their entries change rarely (keys rotate over days), so an
//! eviction order would be code for nothing; the bound is what matters, since the keys
//! come from callers and, through them, from tokens.
//!
//! [`BoundedCache`] hashes, for the provider's caches of up to a thousand entries;
//! [`SmallCache`] searches a list, for the JS API's caches of 16 to 64, so that the npm
//! package carries no hashing code (2 KB gzipped; benches/README.md, "Package size").

use core::borrow::Borrow;
use core::hash::Hash;
use std::collections::HashMap;

/// At most `max` entries: inserting into a full cache empties it first (callers insert
/// after a miss, so what is inserted is always new).
pub struct BoundedCache<K, V> {
    entries: HashMap<K, V>,
    max: usize,
}

/// The size only: entries may be keys, claims or anything else not for logs.
impl<K, V> core::fmt::Debug for BoundedCache<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BoundedCache")
            .field("len", &self.entries.len())
            .field("max", &self.max)
            .finish()
    }
}

impl<K: Eq + Hash, V: Clone> BoundedCache<K, V> {
    /// An empty cache of at most `max` entries.
    pub fn new(max: usize) -> Self {
        BoundedCache {
            entries: HashMap::new(),
            max,
        }
    }

    /// A copy of the value under `key`, if it is cached.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.get(key).cloned()
    }

    /// Caches `value` under `key`.
    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.len() >= self.max {
            self.entries.clear();
        }
        self.entries.insert(key, value);
    }
}

/// At most `max` entries, searched in order: [`BoundedCache`] without hashing, for caches
/// small enough that comparing keys (lengths first) costs what hashing one would.
/// Inserting into a full cache empties it first; callers insert after a miss, so what is
/// inserted is new, or at worst a second copy when two calls missed the same key while
/// awaiting its import (harmless, and still bounded).
pub struct SmallCache<K, V> {
    entries: Vec<(K, V)>,
    max: usize,
}

/// The size only, as for [`BoundedCache`].
impl<K, V> core::fmt::Debug for SmallCache<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmallCache")
            .field("len", &self.entries.len())
            .field("max", &self.max)
            .finish()
    }
}

impl<K: Eq, V: Clone> SmallCache<K, V> {
    /// An empty cache of at most `max` entries.
    pub fn new(max: usize) -> Self {
        SmallCache {
            entries: Vec::new(),
            max,
        }
    }

    /// A copy of the value under `key`, if it is cached.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.entries
            .iter()
            .find(|(k, _)| k.borrow() == key)
            .map(|(_, v)| v.clone())
    }

    /// Caches `value` under `key`.
    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.len() >= self.max {
            self.entries.clear();
        }
        self.entries.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cache_starts_over_when_full() {
        let mut cache = SmallCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!((cache.get("a"), cache.get("b")), (Some(1), Some(2)));
        cache.insert("c", 3);
        assert_eq!(
            (cache.get("a"), cache.get("b"), cache.get("c")),
            (None, None, Some(3))
        );
    }

    #[test]
    fn starts_over_when_full() {
        let mut cache = BoundedCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!((cache.get("a"), cache.get("b")), (Some(1), Some(2)));
        cache.insert("c", 3);
        assert_eq!(
            (cache.get("a"), cache.get("b"), cache.get("c")),
            (None, None, Some(3))
        );
    }
}
