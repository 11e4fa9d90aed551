//! A map that starts over when it is full: the caches of parsed keys, key sets and
//! imported `CryptoKey`s. Their entries change rarely (keys rotate over days), so an
//! eviction order would be code for nothing; the bound is what matters, since the keys
//! come from callers and, through them, from tokens.

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

#[cfg(test)]
mod tests {
    use super::*;

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
