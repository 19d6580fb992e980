//! A relation's facts in memory: keys in one flat vector (32-bit cells for a relation of
//! symbols only), metadata in columns beside them, a hash table
//! from key to row, and hash indexes on column subsets that rule evaluation probes. No
//! allocation per fact. Rows are only appended; a removed row is marked dead (indexes skip
//! it) and the table is rebuilt densely once the dead outnumber the live.
//!
//! A table may start from a [`Base`]: sorted facts held elsewhere (a store's mapped run),
//! read in place and never copied. Then only what changed since is in memory: the rows
//! added, a bit per row for what was removed, and the base rows whose metadata changed.

use crate::value::ColumnType;
use hashbrown::HashTable;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// Sorted, distinct facts a [`Table`] starts from without copying them: rows `0..len()` in
/// key order, read in place (a store's mapped run).
///
/// Reads cannot fail: a base that finds its storage damaged answers with empty cells and
/// remembers the damage, and its owner checks for it before trusting what was computed.
pub trait Base: Send + Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether it holds no row.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Column `col` of row `row`.
    fn cell(&self, row: usize, col: usize) -> u64;
    /// The metadata of row `row`.
    fn meta(&self, row: usize) -> FactMeta;
    /// Calls `f` with each row whose columns `cols` (not the leading ones) hold `values`,
    /// until `f` returns false.
    fn matching(&self, cols: &[usize], values: &[u64], f: &mut dyn FnMut(usize) -> bool);
}

/// A fact's metadata as the store keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FactMeta {
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
    pub fn asserted(conf: f64, time: i64) -> FactMeta {
        FactMeta {
            conf,
            time,
            depth: 0,
            rule: 0,
        }
    }

    /// The metadata stored as a confidence, a time and the depth and rule packed in one
    /// cell ([`FactMeta::depth_rule`]).
    #[inline]
    pub fn from_cells(conf: f64, time: i64, depth_rule: u32) -> FactMeta {
        FactMeta {
            conf,
            time,
            depth: depth_rule >> 16,
            rule: depth_rule & 0xffff,
        }
    }

    /// The depth (at most 65,535) and rule packed in one cell, as tables and runs keep them.
    #[inline]
    pub fn depth_rule(&self) -> u32 {
        (self.depth.min(0xffff) << 16) | (self.rule & 0xffff)
    }
}

/// The end of an index chain.
const END: u32 = u32::MAX;

/// A hash index on some columns: for each distinct value of those columns, a chain of the rows
/// holding it (newest first; dead rows stay until the table is rebuilt).
#[derive(Clone)]
struct Index {
    cols: Vec<usize>,
    /// The first row chained (rows before it are the sorted part, for leading columns).
    base: usize,
    heads: HashTable<u32>,
    /// The next row of each chained row's chain, by `row - base`.
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
    fn bytes(&self) -> usize {
        match self {
            Cells::Narrow(v) => v.capacity() * 4,
            Cells::Wide(v) => v.capacity() * 8,
        }
    }
}

/// A fact's key copied out of a table (the engine's 64-bit encodings), inline up to 8 columns.
#[derive(Clone)]
pub struct Key {
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
///
/// Rows `0..sorted` are in key order and distinct (a layer loaded from its runs, or a
/// [`Base`] and what was loaded after it in order): a key there is found by binary search, and
/// an index on leading columns needs no chains for them. Rows after (facts added since) are
/// found through `map`. Rows `0..off` are the base's; the vectors below hold rows `off..`.
#[derive(Clone)]
pub struct Table {
    arity: usize,
    base: Option<Arc<dyn Base>>,
    /// Rows of the base (0 without one).
    off: usize,
    /// Base rows whose metadata was set since (the base is read-only).
    base_meta: rustc_hash::FxHashMap<u32, FactMeta>,
    /// Removed rows of this table's own (at or after `off`), for when to rebuild.
    dead_own: usize,
    keys: Cells,
    conf: Vec<f64>,
    time: Vec<i64>,
    /// Depth (high 16 bits) and rule (low 16 bits), as in a run.
    depth_rule: Vec<u32>,
    /// One bit per row: live.
    alive: Vec<u64>,
    rows: usize,
    live: usize,
    sorted: usize,
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

/// Makes room for `extra` more elements, growing by an eighth rather than doubling: a
/// writer's tables are most of its memory.
fn grow<T>(v: &mut Vec<T>, extra: usize) {
    if v.len() + extra > v.capacity() {
        v.reserve_exact(extra.max(v.capacity() / 8).max(64));
    }
}

impl Table {
    /// An empty table of facts with columns of these types.
    pub fn new(types: &[ColumnType]) -> Table {
        Table::with_capacity(types, 0)
    }

    /// An empty table with room for `n` facts.
    pub fn with_capacity(types: &[ColumnType], n: usize) -> Table {
        let narrow = !types.is_empty() && types.iter().all(|t| *t == ColumnType::Symbol);
        let cells = n * types.len();
        Table {
            arity: types.len(),
            base: None,
            off: 0,
            base_meta: Default::default(),
            dead_own: 0,
            keys: if narrow {
                Cells::Narrow(Vec::with_capacity(cells))
            } else {
                Cells::Wide(Vec::with_capacity(cells))
            },
            conf: Vec::with_capacity(n),
            time: Vec::with_capacity(n),
            depth_rule: Vec::with_capacity(n),
            alive: Vec::with_capacity(n.div_ceil(64)),
            rows: 0,
            live: 0,
            sorted: 0,
            map: HashTable::new(),
            indexes: Vec::new(),
        }
    }

    /// A table holding `base`'s facts, read in place: only what changes is held in memory.
    pub fn based(types: &[ColumnType], base: Arc<dyn Base>) -> Table {
        let mut t = Table::new(types);
        let n = base.len();
        t.alive = vec![u64::MAX; n.div_ceil(64)];
        if !n.is_multiple_of(64) {
            t.alive[n / 64] = (1 << (n % 64)) - 1;
        }
        (t.off, t.sorted, t.rows, t.live) = (n, n, n, n);
        t.base = Some(base);
        t
    }

    /// Whether its facts start from a [`Base`].
    pub fn is_based(&self) -> bool {
        self.base.is_some()
    }

    /// An empty table of the same shape.
    fn empty_like(&self, n: usize) -> Table {
        let mut t = Table::with_capacity(&[], n);
        t.arity = self.arity;
        t.keys = match &self.keys {
            Cells::Narrow(_) => Cells::Narrow(Vec::with_capacity(n * self.arity)),
            Cells::Wide(_) => Cells::Wide(Vec::with_capacity(n * self.arity)),
        };
        t
    }

    /// Number of columns.
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// Number of facts.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the table holds no fact.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Column `c` of row `i`.
    #[inline]
    pub fn cell(&self, i: usize, c: usize) -> u64 {
        match &self.base {
            Some(b) if i < self.off => b.cell(i, c),
            _ => self.keys.get((i - self.off) * self.arity + c),
        }
    }

    /// The key of row `i`.
    #[inline]
    pub fn key(&self, i: usize) -> Key {
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

    /// Compares row `r`'s first `vals.len()` columns with `vals`.
    #[inline]
    fn cmp_prefix(&self, r: usize, vals: &[u64]) -> std::cmp::Ordering {
        for (c, &v) in vals.iter().enumerate() {
            match self.cell(r, c).cmp(&v) {
                std::cmp::Ordering::Equal => {}
                o => return o,
            }
        }
        std::cmp::Ordering::Equal
    }

    /// The rows of the sorted part whose leading columns equal `vals`.
    fn sorted_range(&self, vals: &[u64]) -> std::ops::Range<usize> {
        crate::search::equal_range(self.sorted, |r| self.cmp_prefix(r, vals))
    }

    /// The metadata of row `i`.
    #[inline]
    pub fn meta(&self, i: usize) -> FactMeta {
        if let Some(b) = &self.base
            && i < self.off
        {
            return (self.base_meta.get(&(i as u32)).copied()).unwrap_or_else(|| b.meta(i));
        }
        let i = i - self.off;
        FactMeta::from_cells(self.conf[i], self.time[i], self.depth_rule[i])
    }

    fn set_meta(&mut self, i: usize, m: FactMeta) {
        if i < self.off {
            self.base_meta.insert(i as u32, m);
            return;
        }
        let i = i - self.off;
        self.conf[i] = m.conf;
        self.time[i] = m.time;
        self.depth_rule[i] = m.depth_rule();
    }

    /// The row holding `key`.
    pub fn find(&self, key: &[u64]) -> Option<usize> {
        if let Some(&r) = self
            .map
            .find(hash_key(key), |&r| self.row_is(r as usize, key))
        {
            return Some(r as usize);
        }
        let range = self.sorted_range(key);
        (range.start < range.end && self.is_alive(range.start)).then_some(range.start)
    }

    /// The metadata of `key`, if it holds.
    pub fn get(&self, key: &[u64]) -> Option<FactMeta> {
        self.find(key).map(|i| self.meta(i))
    }

    /// Appends a row (not yet in any map or index).
    fn push_row(&mut self, key: &[u64], meta: FactMeta) -> usize {
        let row = self.rows;
        match &mut self.keys {
            Cells::Narrow(v) => {
                grow(v, key.len());
                v.extend(key.iter().map(|&k| k as u32));
            }
            Cells::Wide(v) => {
                grow(v, key.len());
                v.extend_from_slice(key);
            }
        }
        grow(&mut self.conf, 1);
        grow(&mut self.time, 1);
        grow(&mut self.depth_rule, 1);
        self.conf.push(0.0);
        self.time.push(0);
        self.depth_rule.push(0);
        self.rows += 1;
        self.set_meta(row, meta);
        if row.is_multiple_of(64) {
            grow(&mut self.alive, 1);
            self.alive.push(0);
        }
        self.alive[row / 64] |= 1 << (row % 64);
        self.live += 1;
        row
    }

    /// Adds a fact known to sort after every fact held, to the sorted part (loading a run).
    /// Falls back to [`Table::upsert`] when the table is not purely sorted.
    pub fn push_sorted(&mut self, key: &[u64], meta: FactMeta) {
        let in_order = self.rows == self.sorted
            && self.indexes.is_empty()
            && (self.rows == 0 || self.cmp_prefix(self.rows - 1, key).is_lt());
        if in_order {
            self.push_row(key, meta);
            self.sorted += 1;
        } else {
            self.upsert(key, meta);
        }
    }

    /// Sets the metadata of `key`, adding it if new; returns the previous metadata.
    pub fn upsert(&mut self, key: &[u64], meta: FactMeta) -> Option<FactMeta> {
        debug_assert_eq!(key.len(), self.arity);
        if let Some(i) = self.find(key) {
            let old = self.meta(i);
            self.set_meta(i, meta);
            return Some(old);
        }
        let row = self.push_row(key, meta) as u32;
        let (keys, a, off) = (&self.keys, self.arity, self.off);
        self.map.insert_unique(hash_key(key), row, |&r| {
            hash_values((0..a).map(|c| keys.get((r as usize - off) * a + c)))
        });
        for ix in &mut self.indexes {
            link(ix, &self.keys, a, off, row);
        }
        None
    }

    /// Removes `key`; returns its metadata if it held.
    pub fn remove(&mut self, key: &[u64]) -> Option<FactMeta> {
        let i = self.find(key)?;
        if i >= self.sorted
            && let Ok(e) = self.map.find_entry(hash_key(key), |&r| r as usize == i)
        {
            e.remove();
        }
        self.alive[i / 64] &= !(1 << (i % 64));
        self.live -= 1;
        let old = self.meta(i);
        if i < self.off {
            self.base_meta.remove(&(i as u32));
        } else {
            self.dead_own += 1;
        }
        let own = self.rows - self.off;
        if self.dead_own > 1024 && self.dead_own > own - self.dead_own {
            self.rebuild();
        }
        Some(old)
    }

    /// Rewrites the table's own rows with only the live ones, sorted (row numbers change); a
    /// base and what was removed from it stay.
    fn rebuild(&mut self) {
        let cols: Vec<Vec<usize>> = self.indexes.iter().map(|ix| ix.cols.clone()).collect();
        let order = self.sorted();
        let mut fresh = match &self.base {
            None => self.empty_like(self.live),
            Some(base) => {
                // The base as it is, with what was removed from it and changed in it.
                let mut fresh = Table::based(&[], base.clone());
                fresh.keys = self.empty_like(0).keys;
                fresh.arity = self.arity;
                let words = fresh.alive.len();
                fresh.alive.copy_from_slice(&self.alive[..words]);
                if !self.off.is_multiple_of(64) {
                    fresh.alive[self.off / 64] &= (1 << (self.off % 64)) - 1;
                }
                fresh.live = self.live - (self.rows - self.off - self.dead_own);
                fresh.base_meta = std::mem::take(&mut self.base_meta);
                fresh
            }
        };
        for r in order.into_iter().map(|r| r as usize) {
            if r >= self.off {
                fresh.push_sorted(&self.key(r), self.meta(r));
            }
        }
        for c in cols {
            fresh.ensure_index(&c);
        }
        *self = fresh;
    }

    /// Builds (once) the index on `cols`, for [`Table::matching`].
    pub fn ensure_index(&mut self, cols: &[usize]) {
        if cols.is_empty() || is_whole_key(cols, self.arity) || self.index_of(cols).is_some() {
            return;
        }
        // Leading columns are found in the sorted part by binary search, other columns of a
        // base by the base: chain only the rest.
        let base = if is_prefix(cols) {
            self.sorted
        } else {
            self.off
        };
        let mut ix = Index {
            cols: cols.to_vec(),
            base,
            heads: HashTable::new(),
            next: Vec::with_capacity(self.rows - base),
        };
        for row in base..self.rows {
            link(&mut ix, &self.keys, self.arity, self.off, row as u32);
        }
        self.indexes.push(ix);
    }

    fn index_of(&self, cols: &[usize]) -> Option<&Index> {
        self.indexes.iter().find(|ix| ix.cols == cols)
    }

    /// Calls `f` with each live row whose columns `cols` hold `values` (an index on `cols`
    /// must exist unless `cols` is empty or every column).
    #[inline]
    pub fn matching(&self, cols: &[usize], values: &[u64], mut f: impl FnMut(usize)) {
        self.matching_while(cols, values, |r| {
            f(r);
            true
        });
    }

    /// [`Table::matching`] until `f` returns false.
    pub(crate) fn matching_while(
        &self,
        cols: &[usize],
        values: &[u64],
        mut f: impl FnMut(usize) -> bool,
    ) {
        if cols.is_empty() {
            for i in 0..self.rows {
                if self.is_alive(i) && !f(i) {
                    return;
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
        if ix.base > 0 && is_prefix(cols) {
            for r in self.sorted_range(values) {
                if self.is_alive(r) && !f(r) {
                    return;
                }
            }
        } else if let Some(b) = &self.base {
            let mut stopped = false;
            b.matching(cols, values, &mut |r| {
                stopped = self.is_alive(r) && !f(r);
                !stopped
            });
            if stopped {
                return;
            }
        }
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
            if self.is_alive(r as usize) && matches(r) && !f(r as usize) {
                return;
            }
            r = ix.next[r as usize - ix.base];
        }
    }

    /// Row numbers of the live facts, in key order: the sorted part as it is, the rows added
    /// since sorted on their own and merged in.
    pub fn sorted(&self) -> Vec<u32> {
        let live = |range: std::ops::Range<usize>| {
            range
                .filter(|&r| self.is_alive(r))
                .map(|r| r as u32)
                .collect::<Vec<u32>>()
        };
        let head = live(0..self.sorted);
        if self.rows == self.sorted {
            return head;
        }
        let a = self.arity;
        let cmp = |x: u32, y: u32| {
            (0..a)
                .map(|c| self.cell(x as usize, c))
                .cmp((0..a).map(|c| self.cell(y as usize, c)))
        };
        let mut tail = live(self.sorted..self.rows);
        tail.sort_unstable_by(|&x, &y| cmp(x, y));
        let mut order = Vec::with_capacity(head.len() + tail.len());
        let (mut i, mut j) = (0, 0);
        while i < head.len() && j < tail.len() {
            if cmp(head[i], tail[j]).is_le() {
                order.push(head[i]);
                i += 1;
            } else {
                order.push(tail[j]);
                j += 1;
            }
        }
        order.extend_from_slice(&head[i..]);
        order.extend_from_slice(&tail[j..]);
        order
    }

    /// The latest time of a fact it holds.
    pub fn latest_time(&self) -> Option<i64> {
        (0..self.rows)
            .filter(|&i| self.is_alive(i))
            .map(|i| self.meta(i).time)
            .max()
    }

    /// Every fact, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, FactMeta)> + '_ {
        (0..self.rows)
            .filter(|&i| self.is_alive(i))
            .map(|i| (self.key(i), self.meta(i)))
    }

    /// Bytes held in memory.
    pub fn heap_bytes(&self) -> usize {
        self.keys.bytes()
            + self.conf.capacity() * 8
            + self.time.capacity() * 8
            + self.depth_rule.capacity() * 4
            + self.alive.capacity() * 8
            + self.base_meta.capacity() * 24
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
    cols.len() == arity && is_prefix(cols)
}

/// Whether `cols` are the leading columns in order.
fn is_prefix(cols: &[usize]) -> bool {
    cols.iter().enumerate().all(|(i, &c)| i == c)
}

/// Adds row `row` to the front of its chain in `ix` (rows before `off` are a base's: never
/// chained).
fn link(ix: &mut Index, keys: &Cells, arity: usize, off: usize, row: u32) {
    let cell = |r: u32, c: usize| keys.get((r as usize - off) * arity + c);
    let cols = &ix.cols;
    let h = hash_values(cols.iter().map(|&c| cell(row, c)));
    let same = |r: &u32| cols.iter().all(|&c| cell(*r, c) == cell(row, c));
    debug_assert_eq!(ix.next.len() + ix.base, row as usize);
    grow(&mut ix.next, 1);
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

    /// Sorted rows in a vector, as a store's run would be.
    struct VecBase(Vec<[u64; 2]>);

    impl Base for VecBase {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn cell(&self, row: usize, col: usize) -> u64 {
            self.0[row][col]
        }
        fn meta(&self, _: usize) -> FactMeta {
            FactMeta::asserted(0.5, 0)
        }
        fn matching(&self, cols: &[usize], values: &[u64], f: &mut dyn FnMut(usize) -> bool) {
            for (r, row) in self.0.iter().enumerate() {
                if cols.iter().zip(values).all(|(&c, &v)| row[c] == v) && !f(r) {
                    return;
                }
            }
        }
    }

    proptest! {
        #[test]
        fn behaves_like_a_map(
            loaded in prop::collection::btree_set((0u64..20, 0u64..3), 0..40),
            based in any::<bool>(),
            ops in prop::collection::vec((any::<bool>(), 0u64..20, 0u64..3), 0..3000),
        ) {
            let types = [ColumnType::Symbol, ColumnType::Symbol];
            let mut t = Table::new(&types);
            let mut m: BTreeMap<Vec<u64>, f64> = BTreeMap::new();
            // A sorted load first, as from a run: copied, or read in place from a base.
            if based {
                t = Table::based(&types, Arc::new(VecBase(loaded.iter().map(|&(a, b)| [a, b]).collect())));
            }
            for &(a, b) in &loaded {
                if !based {
                    t.push_sorted(&[a, b], FactMeta::asserted(0.5, 0));
                }
                m.insert(vec![a, b], 0.5);
            }
            t.ensure_index(&[1]);
            t.ensure_index(&[0]);
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
            for (col, v) in [(1usize, 0u64), (1, 1), (1, 2), (0, 0), (0, 7), (0, 19)] {
                let mut found = Vec::new();
                t.matching(&[col], &[v], |r| found.push(t.key(r).to_vec()));
                found.sort();
                let want: Vec<Vec<u64>> = m.keys().filter(|k| k[col] == v).cloned().collect();
                prop_assert_eq!(found, want);
            }
        }
    }

    #[test]
    fn a_table_of_mostly_dead_rows_is_rebuilt_sorted() {
        let mut t = Table::new(&[ColumnType::Number]);
        for k in 0..3000u64 {
            t.push_sorted(&[k], FactMeta::asserted(1.0, 0));
        }
        t.ensure_index(&[0]);
        for k in (0..3000u64).rev().filter(|k| k % 3 != 0) {
            assert!(t.remove(&[k]).is_some());
        }
        assert!(t.rows < 3000, "rebuilt: {} rows", t.rows);
        for k in 0..2000u64 {
            t.upsert(&[k + 5000], FactMeta::asserted(0.5, 0));
        }
        assert_eq!(t.len(), 1000 + 2000);
        assert_eq!(t.get(&[3]).map(|m| m.conf), Some(1.0));
        assert_eq!(t.get(&[4]), None);
        assert_eq!(t.get(&[5004]).map(|m| m.conf), Some(0.5));
        let keys: Vec<u64> = t.sorted().iter().map(|&r| t.cell(r as usize, 0)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_based_table_rebuilds_its_own_rows_and_keeps_the_base_as_changed() {
        let base: Vec<[u64; 2]> = (0..100u64).map(|k| [k, k % 7]).collect();
        let types = [ColumnType::Number, ColumnType::Number];
        let mut t = Table::based(&types, Arc::new(VecBase(base)));
        t.ensure_index(&[1]);
        assert!(t.remove(&[3, 3]).is_some());
        t.upsert(&[4, 4], FactMeta::asserted(0.25, 9));
        for k in 1000..4000u64 {
            t.upsert(&[k, k % 7], FactMeta::asserted(0.75, 0));
        }
        for k in 1000..3900u64 {
            assert!(t.remove(&[k, k % 7]).is_some());
        }
        assert!(
            t.rows - t.off < 3000,
            "rebuilt: {} own rows",
            t.rows - t.off
        );
        assert_eq!(t.len(), 99 + 100);
        assert_eq!(t.get(&[3, 3]), None);
        assert_eq!(t.get(&[4, 4]), Some(FactMeta::asserted(0.25, 9)));
        assert_eq!(t.get(&[3950, 3950 % 7]).map(|m| m.conf), Some(0.75));
        let mut found = Vec::new();
        t.matching(&[1], &[3], |r| found.push(t.cell(r, 0)));
        found.sort();
        let want: Vec<u64> = (0..100)
            .chain(3900..4000)
            .filter(|k| k % 7 == 3 && *k != 3)
            .collect();
        assert_eq!(found, want);
        let keys: Vec<u64> = t.sorted().iter().map(|&r| t.cell(r as usize, 0)).collect();
        assert_eq!(keys.len(), t.len());
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }
}
