//! A relation's facts in memory: keys in one flat vector (32-bit cells for a relation of
//! symbols only), metadata in columns beside them, a hash table
//! from key to row, and hash indexes on column subsets that rule evaluation probes. No
//! allocation per fact. Rows are only appended; a removed row is marked dead (indexes skip
//! it) and the table is rebuilt densely once the dead outnumber the live.

use crate::value::ColumnType;
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

/// Key cells: 32-bit for a relation of symbols only, else 64-bit.
#[derive(Clone)]
enum Cells {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Cells {
    #[inline]
    fn get(&self, at: usize) -> u64 {
        match self {
            Cells::Narrow(v) => u64::from(v[at]),
            Cells::Wide(v) => v[at],
        }
    }
    fn push(&mut self, key: &[u64]) {
        match self {
            Cells::Narrow(v) => v.extend(key.iter().map(|&k| k as u32)),
            Cells::Wide(v) => v.extend_from_slice(key),
        }
    }
    fn bytes(&self) -> usize {
        match self {
            Cells::Narrow(v) => v.capacity() * 4,
            Cells::Wide(v) => v.capacity() * 8,
        }
    }
}

/// A fact's key copied out of a table (the engine's 64-bit encodings), inline up to 8 columns.
#[derive(Clone)]
pub(crate) struct Key {
    len: usize,
    inline: [u64; 8],
    heap: Vec<u64>,
}

impl std::ops::Deref for Key {
    type Target = [u64];
    #[inline]
    fn deref(&self) -> &[u64] {
        if self.len <= 8 {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

/// One relation's facts.
#[derive(Clone)]
pub(crate) struct Table {
    arity: usize,
    keys: Cells,
    conf: Vec<f64>,
    time: Vec<i64>,
    /// Depth (high 16 bits) and rule (low 16 bits), as in a run.
    depth_rule: Vec<u32>,
    /// One bit per row: live.
    alive: Vec<u64>,
    rows: usize,
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
    /// An empty table of facts with columns of these types.
    pub(crate) fn new(types: &[ColumnType]) -> Table {
        let narrow = !types.is_empty() && types.iter().all(|t| *t == ColumnType::Symbol);
        Table {
            arity: types.len(),
            keys: if narrow {
                Cells::Narrow(Vec::new())
            } else {
                Cells::Wide(Vec::new())
            },
            conf: Vec::new(),
            time: Vec::new(),
            depth_rule: Vec::new(),
            alive: Vec::new(),
            rows: 0,
            live: 0,
            map: HashTable::new(),
            indexes: Vec::new(),
        }
    }

    /// An empty table of the same shape.
    fn empty_like(&self) -> Table {
        let mut t = self.clone();
        t.keys = match &self.keys {
            Cells::Narrow(_) => Cells::Narrow(Vec::new()),
            Cells::Wide(_) => Cells::Wide(Vec::new()),
        };
        t.conf = Vec::new();
        t.time = Vec::new();
        t.depth_rule = Vec::new();
        t.alive = Vec::new();
        t.rows = 0;
        t.live = 0;
        t.map = HashTable::new();
        t.indexes = Vec::new();
        t
    }

    /// Number of columns.
    pub(crate) fn arity(&self) -> usize {
        self.arity
    }

    /// Number of facts.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Column `c` of row `i`.
    #[inline]
    pub(crate) fn cell(&self, i: usize, c: usize) -> u64 {
        self.keys.get(i * self.arity + c)
    }

    /// The key of row `i`.
    #[inline]
    pub(crate) fn key(&self, i: usize) -> Key {
        let mut k = Key {
            len: self.arity,
            inline: [0; 8],
            heap: Vec::new(),
        };
        if self.arity <= 8 {
            for c in 0..self.arity {
                k.inline[c] = self.cell(i, c);
            }
        } else {
            k.heap = (0..self.arity).map(|c| self.cell(i, c)).collect();
        }
        k
    }

    #[inline]
    fn is_alive(&self, i: usize) -> bool {
        self.alive[i / 64] >> (i % 64) & 1 == 1
    }

    #[inline]
    fn row_is(&self, r: usize, key: &[u64]) -> bool {
        key.iter().enumerate().all(|(c, &v)| self.cell(r, c) == v)
    }

    /// The metadata of row `i`.
    #[inline]
    pub(crate) fn meta(&self, i: usize) -> FactMeta {
        let dr = self.depth_rule[i];
        FactMeta {
            conf: self.conf[i],
            time: self.time[i],
            depth: dr >> 16,
            rule: dr & 0xffff,
        }
    }

    fn set_meta(&mut self, i: usize, m: FactMeta) {
        self.conf[i] = m.conf;
        self.time[i] = m.time;
        self.depth_rule[i] = (m.depth.min(0xffff) << 16) | (m.rule & 0xffff);
    }

    /// The row holding `key`.
    pub(crate) fn find(&self, key: &[u64]) -> Option<usize> {
        self.map
            .find(hash_key(key), |&r| self.row_is(r as usize, key))
            .map(|&r| r as usize)
    }

    /// The metadata of `key`, if it holds.
    pub(crate) fn get(&self, key: &[u64]) -> Option<FactMeta> {
        self.find(key).map(|i| self.meta(i))
    }

    /// Sets the metadata of `key`, adding it if new; returns the previous metadata.
    pub(crate) fn upsert(&mut self, key: &[u64], meta: FactMeta) -> Option<FactMeta> {
        debug_assert_eq!(key.len(), self.arity);
        if let Some(i) = self.find(key) {
            let old = self.meta(i);
            self.set_meta(i, meta);
            return Some(old);
        }
        let row = self.rows;
        self.keys.push(key);
        self.conf.push(0.0);
        self.time.push(0);
        self.depth_rule.push(0);
        self.set_meta(row, meta);
        if row % 64 == 0 {
            self.alive.push(0);
        }
        self.alive[row / 64] |= 1 << (row % 64);
        self.rows += 1;
        self.live += 1;
        let (keys, a) = (&self.keys, self.arity);
        self.map.insert_unique(hash_key(key), row as u32, |&r| {
            hash_values((0..a).map(|c| keys.get(r as usize * a + c)))
        });
        for ix in &mut self.indexes {
            link(ix, &self.keys, a, row as u32);
        }
        None
    }

    /// Removes `key`; returns its metadata if it held.
    pub(crate) fn remove(&mut self, key: &[u64]) -> Option<FactMeta> {
        let i = self.find(key)?;
        if let Ok(e) = self.map.find_entry(hash_key(key), |&r| r as usize == i) {
            e.remove();
        }
        self.alive[i / 64] &= !(1 << (i % 64));
        self.live -= 1;
        let old = self.meta(i);
        let dead = self.rows - self.live;
        if dead > 1024 && dead > self.live {
            self.rebuild();
        }
        Some(old)
    }

    /// Rewrites the table with only its live rows (row numbers change).
    fn rebuild(&mut self) {
        let cols: Vec<Vec<usize>> = self.indexes.iter().map(|ix| ix.cols.clone()).collect();
        let mut fresh = self.empty_like();
        for (k, m) in self.iter() {
            fresh.upsert(&k, m);
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
            next: Vec::with_capacity(self.rows),
        };
        for row in 0..self.rows as u32 {
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
            for i in 0..self.rows {
                if self.is_alive(i) {
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
        let matches = |r: u32| {
            cols.iter()
                .zip(values)
                .all(|(&c, &v)| self.cell(r as usize, c) == v)
        };
        let h = hash_values(values.iter().copied());
        let Some(&head) = ix.heads.find(h, |&r| matches(r)) else {
            return;
        };
        let mut r = head;
        while r != END {
            if self.is_alive(r as usize) && matches(r) {
                f(r as usize);
            }
            r = ix.next[r as usize];
        }
    }

    /// Row numbers of the live facts, in key order.
    pub(crate) fn sorted(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.rows as u32)
            .filter(|&r| self.is_alive(r as usize))
            .collect();
        let a = self.arity;
        order.sort_unstable_by(|&x, &y| {
            (0..a)
                .map(|c| self.cell(x as usize, c))
                .cmp((0..a).map(|c| self.cell(y as usize, c)))
        });
        order
    }

    /// Every fact, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, FactMeta)> + '_ {
        (0..self.rows)
            .filter(|&i| self.is_alive(i))
            .map(|i| (self.key(i), self.meta(i)))
    }

    /// Bytes held in memory.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys.bytes()
            + self.conf.capacity() * 8
            + self.time.capacity() * 8
            + self.depth_rule.capacity() * 4
            + self.alive.capacity() * 8
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
fn link(ix: &mut Index, keys: &Cells, arity: usize, row: u32) {
    let cell = |r: u32, c: usize| keys.get(r as usize * arity + c);
    let cols = &ix.cols;
    let h = hash_values(cols.iter().map(|&c| cell(row, c)));
    let same = |r: &u32| cols.iter().all(|&c| cell(*r, c) == cell(row, c));
    debug_assert_eq!(ix.next.len(), row as usize);
    match ix.heads.find_mut(h, same) {
        Some(head) => {
            ix.next.push(*head);
            *head = row;
        }
        None => {
            ix.next.push(END);
            ix.heads
                .insert_unique(h, row, |&r| hash_values(cols.iter().map(|&c| cell(r, c))));
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
            let mut t = Table::new(&[ColumnType::Symbol, ColumnType::Symbol]);
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
