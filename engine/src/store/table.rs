//! A relation's facts in memory: keys in one flat vector, metadata beside them, a hash table
//! from key to row, and hash indexes on column subsets that rule evaluation probes. No
//! allocation per fact. Rows are only appended; a removed row is marked dead (indexes skip
//! it) and the table is rebuilt densely once the dead outnumber the live.

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

/// The end of an index chain.
const END: u32 = u32::MAX;

/// A hash index on some columns: for each distinct value of those columns, a chain of the rows
/// holding it (newest first; dead rows stay until the table is rebuilt).
#[derive(Clone)]
struct Index {
    cols: Vec<usize>,
    heads: HashTable<u32>,
    next: Vec<u32>,
}

/// One relation's facts.
#[derive(Clone)]
pub(crate) struct Table {
    arity: usize,
    keys: Vec<u64>,
    metas: Vec<FactMeta>,
    alive: Vec<bool>,
    live: usize,
    map: HashTable<u32>,
    indexes: Vec<Index>,
}

fn hash_values(values: impl Iterator<Item = u64>) -> u64 {
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    for v in values {
        h.write_u64(v);
    }
    h.finish()
}

fn hash_key(key: &[u64]) -> u64 {
    hash_values(key.iter().copied())
}

impl Table {
    /// An empty table of facts with `arity` columns.
    pub(crate) fn new(arity: usize) -> Table {
        Table {
            arity,
            keys: Vec::new(),
            metas: Vec::new(),
            alive: Vec::new(),
            live: 0,
            map: HashTable::new(),
            indexes: Vec::new(),
        }
    }

    /// Number of columns.
    pub(crate) fn arity(&self) -> usize {
        self.arity
    }

    /// Number of facts.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The key of row `i`.
    #[inline]
    pub(crate) fn key(&self, i: usize) -> &[u64] {
        &self.keys[i * self.arity..(i + 1) * self.arity]
    }

    /// The metadata of row `i`.
    #[inline]
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
        self.alive.push(true);
        self.live += 1;
        let (keys, a) = (&self.keys, self.arity);
        self.map.insert_unique(hash_key(key), row, |&r| {
            hash_key(&keys[r as usize * a..(r as usize + 1) * a])
        });
        for ix in &mut self.indexes {
            link(ix, &self.keys, a, row);
        }
        None
    }

    /// Removes `key`; returns its metadata if it held.
    pub(crate) fn remove(&mut self, key: &[u64]) -> Option<FactMeta> {
        let i = self.find(key)?;
        if let Ok(e) = self.map.find_entry(hash_key(key), |&r| r as usize == i) {
            e.remove();
        }
        self.alive[i] = false;
        self.live -= 1;
        let dead = self.metas.len() - self.live;
        if dead > 1024 && dead > self.live {
            self.rebuild();
        }
        Some(self.metas[i])
    }

    /// Rewrites the table with only its live rows (row numbers change).
    fn rebuild(&mut self) {
        let cols: Vec<Vec<usize>> = self.indexes.iter().map(|ix| ix.cols.clone()).collect();
        let mut fresh = Table::new(self.arity);
        for (k, m) in self.iter() {
            fresh.upsert(k, m);
        }
        for c in cols {
            fresh.ensure_index(&c);
        }
        *self = fresh;
    }

    /// Builds (once) the index on `cols`, for [`Table::matching`].
    pub(crate) fn ensure_index(&mut self, cols: &[usize]) {
        if cols.is_empty() || is_whole_key(cols, self.arity) || self.index_of(cols).is_some() {
            return;
        }
        let mut ix = Index {
            cols: cols.to_vec(),
            heads: HashTable::new(),
            next: Vec::with_capacity(self.metas.len()),
        };
        for row in 0..self.metas.len() as u32 {
            link(&mut ix, &self.keys, self.arity, row);
        }
        self.indexes.push(ix);
    }

    fn index_of(&self, cols: &[usize]) -> Option<&Index> {
        self.indexes.iter().find(|ix| ix.cols == cols)
    }

    /// Calls `f` with each live row whose columns `cols` hold `values` (an index on `cols`
    /// must exist unless `cols` is empty or every column).
    #[inline]
    pub(crate) fn matching(&self, cols: &[usize], values: &[u64], mut f: impl FnMut(usize)) {
        if cols.is_empty() {
            for (i, &alive) in self.alive.iter().enumerate() {
                if alive {
                    f(i);
                }
            }
            return;
        }
        if is_whole_key(cols, self.arity) {
            if let Some(i) = self.find(values) {
                f(i);
            }
            return;
        }
        let ix = self
            .index_of(cols)
            .expect("ensure_index was called for every probed column set");
        let a = self.arity;
        let keys = &self.keys;
        let matches = |r: u32| {
            let k = &keys[r as usize * a..(r as usize + 1) * a];
            cols.iter().zip(values).all(|(&c, &v)| k[c] == v)
        };
        let h = hash_values(values.iter().copied());
        let Some(&head) = ix.heads.find(h, |&r| matches(r)) else {
            return;
        };
        let mut r = head;
        while r != END {
            if self.alive[r as usize] && matches(r) {
                f(r as usize);
            }
            r = ix.next[r as usize];
        }
    }

    /// Row numbers of the live facts, in key order.
    pub(crate) fn sorted(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.metas.len() as u32)
            .filter(|&r| self.alive[r as usize])
            .collect();
        order.sort_unstable_by(|&x, &y| self.key(x as usize).cmp(self.key(y as usize)));
        order
    }

    /// Every fact, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u64], FactMeta)> + '_ {
        (0..self.metas.len())
            .filter(|&i| self.alive[i])
            .map(|i| (self.key(i), self.metas[i]))
    }

    /// Bytes held in memory.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8
            + self.metas.capacity() * std::mem::size_of::<FactMeta>()
            + self.alive.capacity()
            + self.map.capacity() * (std::mem::size_of::<u32>() + 1)
            + self
                .indexes
                .iter()
                .map(|ix| ix.next.capacity() * 4 + ix.heads.capacity() * 5)
                .sum::<usize>()
    }
}

/// Whether `cols` is every column in order (the primary map answers it).
fn is_whole_key(cols: &[usize], arity: usize) -> bool {
    cols.len() == arity && cols.iter().enumerate().all(|(i, &c)| i == c)
}

/// Adds row `row` to the front of its chain in `ix`.
fn link(ix: &mut Index, keys: &[u64], arity: usize, row: u32) {
    let key_of = |r: u32| &keys[r as usize * arity..(r as usize + 1) * arity];
    let cols = &ix.cols;
    let h = hash_values(cols.iter().map(|&c| key_of(row)[c]));
    let same = |r: &u32| cols.iter().all(|&c| key_of(*r)[c] == key_of(row)[c]);
    debug_assert_eq!(ix.next.len(), row as usize);
    match ix.heads.find_mut(h, same) {
        Some(head) => {
            ix.next.push(*head);
            *head = row;
        }
        None => {
            ix.next.push(END);
            ix.heads
                .insert_unique(h, row, |&r| hash_values(cols.iter().map(|&c| key_of(r)[c])));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in prop::collection::vec((any::<bool>(), 0u64..20, 0u64..3), 0..3000)) {
            let mut t = Table::new(2);
            t.ensure_index(&[1]);
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
            for b in 0..3 {
                let mut found = Vec::new();
                t.matching(&[1], &[b], |r| found.push(t.key(r).to_vec()));
                found.sort();
                let want: Vec<Vec<u64>> = m.keys().filter(|k| k[1] == b).cloned().collect();
                prop_assert_eq!(found, want);
            }
        }
    }
}
