//! A relation's facts in memory: keys in one flat vector, metadata beside them, a hash table
//! from key to row. No allocation per fact; rows stay dense (a removal moves the last row
//! into the hole).

use hashbrown::HashTable;
use std::hash::{BuildHasher, Hasher};

/// A fact's metadata as the store keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FactMeta {
    /// Confidence in (0, 1].
    pub conf: f64,
    /// Unix milliseconds: when it was asserted, or the latest time among the facts of its
    /// derivations.
    pub time: i64,
    /// 0 for an asserted fact; 1 + the largest body depth of its shallowest derivation.
    pub depth: u32,
    /// 0 for an asserted fact; `i + 1` for the program's rule `i`.
    pub rule: u32,
}

impl FactMeta {
    /// An asserted fact's metadata.
    pub(crate) fn asserted(conf: f64, time: i64) -> FactMeta {
        FactMeta {
            conf,
            time,
            depth: 0,
            rule: 0,
        }
    }
}

/// One relation's facts.
#[derive(Clone)]
pub(crate) struct Table {
    arity: usize,
    keys: Vec<u64>,
    metas: Vec<FactMeta>,
    map: HashTable<u32>,
}

fn hash_key(key: &[u64]) -> u64 {
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    for &k in key {
        h.write_u64(k);
    }
    h.finish()
}

impl Table {
    /// An empty table of facts with `arity` columns.
    pub(crate) fn new(arity: usize) -> Table {
        Table {
            arity,
            keys: Vec::new(),
            metas: Vec::new(),
            map: HashTable::new(),
        }
    }

    /// Number of columns.
    pub(crate) fn arity(&self) -> usize {
        self.arity
    }

    /// Number of facts.
    pub(crate) fn len(&self) -> usize {
        self.metas.len()
    }

    /// The key of row `i`.
    pub(crate) fn key(&self, i: usize) -> &[u64] {
        &self.keys[i * self.arity..(i + 1) * self.arity]
    }

    /// The metadata of row `i`.
    pub(crate) fn meta(&self, i: usize) -> FactMeta {
        self.metas[i]
    }

    /// The row holding `key`.
    pub(crate) fn find(&self, key: &[u64]) -> Option<usize> {
        let (keys, a) = (&self.keys, self.arity);
        self.map
            .find(hash_key(key), |&r| {
                &keys[r as usize * a..(r as usize + 1) * a] == key
            })
            .map(|&r| r as usize)
    }

    /// The metadata of `key`, if it holds.
    pub(crate) fn get(&self, key: &[u64]) -> Option<FactMeta> {
        self.find(key).map(|i| self.metas[i])
    }

    /// Sets the metadata of `key`, adding it if new; returns the previous metadata.
    pub(crate) fn upsert(&mut self, key: &[u64], meta: FactMeta) -> Option<FactMeta> {
        debug_assert_eq!(key.len(), self.arity);
        if let Some(i) = self.find(key) {
            return Some(std::mem::replace(&mut self.metas[i], meta));
        }
        let row = self.metas.len() as u32;
        self.keys.extend_from_slice(key);
        self.metas.push(meta);
        let (keys, a) = (&self.keys, self.arity);
        self.map.insert_unique(hash_key(key), row, |&r| {
            hash_key(&keys[r as usize * a..(r as usize + 1) * a])
        });
        None
    }

    /// Removes `key`; returns its metadata if it held.
    pub(crate) fn remove(&mut self, key: &[u64]) -> Option<FactMeta> {
        let i = self.find(key)?;
        let a = self.arity;
        let h = hash_key(key);
        if let Ok(e) = self.map.find_entry(h, |&r| r as usize == i) {
            e.remove();
        }
        let last = self.metas.len() - 1;
        if i != last {
            // Move the last row into the hole and repoint its entry.
            let lh = hash_key(&self.keys[last * a..(last + 1) * a]);
            if let Some(r) = self.map.find_mut(lh, |&r| r as usize == last) {
                *r = i as u32;
            }
            self.keys.copy_within(last * a..(last + 1) * a, i * a);
            self.metas.swap(i, last);
        }
        self.keys.truncate(last * a);
        self.metas.pop()
    }

    /// Row numbers in key order.
    pub(crate) fn sorted(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by(|&x, &y| self.key(x as usize).cmp(self.key(y as usize)));
        order
    }

    /// Every fact, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u64], FactMeta)> + '_ {
        (0..self.len()).map(|i| (self.key(i), self.metas[i]))
    }

    /// Bytes held in memory.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8
            + self.metas.capacity() * std::mem::size_of::<FactMeta>()
            + self.map.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in prop::collection::vec((any::<bool>(), 0u64..20, 0u64..3), 0..200)) {
            let mut t = Table::new(2);
            let mut m: BTreeMap<Vec<u64>, f64> = BTreeMap::new();
            for (i, (add, a, b)) in ops.into_iter().enumerate() {
                let key = [a, b];
                if add {
                    let conf = 1.0 / (i + 1) as f64;
                    t.upsert(&key, FactMeta::asserted(conf, 0));
                    m.insert(key.to_vec(), conf);
                } else {
                    prop_assert_eq!(t.remove(&key).map(|f| f.conf), m.remove(key.as_slice()));
                }
                prop_assert_eq!(t.len(), m.len());
            }
            for (k, c) in &m {
                prop_assert_eq!(t.get(k).map(|f| f.conf), Some(*c));
            }
            let sorted: Vec<Vec<u64>> = t.sorted().iter().map(|&r| t.key(r as usize).to_vec()).collect();
            prop_assert_eq!(sorted, m.keys().cloned().collect::<Vec<_>>());
        }
    }
}
