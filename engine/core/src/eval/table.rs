//! The tables index nested loops read (`loops.rs`): a relation's rows in insertion order,
//! with hash indexes on the column sets the loops probe. A relation of the stratum being
//! evaluated is held here once: its rows deduplicated through the index on all its columns,
//! the rows of the last round (its delta) a range of them.
//!
//! With provenance a row carries metadata cells after its columns (`meta.rs`) and a relation
//! of the stratum holds one live row per fact: a derivation that improves a fact's metadata
//! (the lattice join) replaces its row, in place when the row is of this round (the round's
//! derivations merged, as `Meta::merge` does, whatever their order), else by a new row of
//! this round (so the improvement is the next round's delta) and the old row marked dead.

use super::meta::{Meta, cells};
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::{FxHashSet, FxHasher};
use std::hash::Hasher;

/// The hash of a key's values.
pub(super) fn key_hash(values: impl Iterator<Item = u64>) -> u64 {
    let mut h = FxHasher::default();
    for v in values {
        h.write_u64(v);
    }
    h.finish()
}

/// The key hash of row `r` of `rows` (`width` cells a row) on columns `cols`.
fn row_hash(rows: &[u64], width: usize, cols: &[usize], r: usize) -> u64 {
    let row = &rows[r * width..(r + 1) * width];
    key_hash(cols.iter().map(|&c| row[c]))
}

/// The top half of a row's hash, which the distinct set keeps.
fn fragment(row: &[u64]) -> u32 {
    (key_hash(row.iter().copied()) >> 32) as u32
}

/// Whether entry `(r, h)` of a distinct set over `rows` (`width` cells a row) has key `key`
/// (its first cells), whose hash fragment is `fragment`.
fn holds(rows: &[u64], width: usize, (r, h): (u32, u32), fragment: u32, key: &[u64]) -> bool {
    let at = r as usize * width;
    // Compared cell by cell: a slice comparison calls `memcmp`, not inlined for short keys.
    h == fragment
        && rows[at..at + key.len()]
            .iter()
            .zip(key)
            .all(|(a, b)| a == b)
}

/// The entry of distinct set `set` over `rows` (`width` cells a row) for `key`, and the key's
/// hash fragment.
#[inline]
fn entry<'s>(
    set: &'s mut HashTable<(u32, u32)>,
    rows: &[u64],
    width: usize,
    key: &[u64],
) -> (Entry<'s, (u32, u32)>, u32) {
    let fragment = fragment(key);
    let same = |&e: &(u32, u32)| holds(rows, width, e, fragment, key);
    (
        set.entry(spread(fragment), same, |&(_, h)| spread(h)),
        fragment,
    )
}

/// The 64-bit hash the distinct set files a row under, from the 32 bits it keeps: the top
/// bits (the table's tag) and the low bits (its bucket) both from the fragment.
fn spread(fragment: u32) -> u64 {
    (u64::from(fragment) << 32) | u64::from(fragment)
}

/// Whether bit `r` of `bits` is set.
#[inline]
fn bit(bits: &[u64], r: usize) -> bool {
    bits.get(r / 64).is_some_and(|w| w & (1 << (r % 64)) != 0)
}

/// Sets bit `r` of `bits`, growing it as needed.
fn set_bit(bits: &mut Vec<u64>, r: usize) {
    if bits.len() <= r / 64 {
        bits.resize(r / 64 + 1, 0);
    }
    bits[r / 64] |= 1 << (r % 64);
}

/// A hash index: a directory of buckets (a power of two, at least one per row), each holding
/// the last row whose key hash falls in it, and per row the row before it in its bucket.
/// Probing walks the bucket's chain and compares keys there (other keys in the bucket cost a
/// compare). Four bytes per bucket and per row, 8 to 12 bytes a row: the hash map of key
/// hashes this replaces took about 30 (EL classification, 20,000 concepts: 23.5 MB of
/// indexes became about 12).
#[derive(Default)]
pub(super) struct Chains {
    heads: Vec<u32>,
    prev: Vec<u32>,
    /// 64 minus the directory's bits: a bucket is the hash's top bits (a multiplicative hash's
    /// best).
    shift: u32,
}

impl Chains {
    const END: u32 = u32::MAX;

    fn bucket(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// Makes room for `rows` rows: when the directory would have fewer buckets than rows, one
    /// of the next power of two, the rows so far chained again by `hash_of(row)`.
    fn reserve(&mut self, rows: usize, hash_of: impl Fn(usize) -> u64) {
        if rows > self.heads.len() {
            self.rebuild(rows, self.prev.len(), hash_of);
        }
    }

    /// A directory with room for `capacity` rows, rows `0..rows` chained in it by
    /// `hash_of(row)`.
    fn rebuild(&mut self, capacity: usize, rows: usize, hash_of: impl Fn(usize) -> u64) {
        let n = capacity.next_power_of_two().max(64);
        self.heads = vec![Self::END; n];
        self.shift = 64 - n.trailing_zeros();
        self.prev.clear();
        for r in 0..rows {
            self.push(hash_of(r), r as u32);
        }
    }

    /// Chains `row` (after [`Chains::reserve`] made room for it).
    fn push(&mut self, hash: u64, row: u32) {
        let b = self.bucket(hash);
        self.prev.push(self.heads[b]);
        self.heads[b] = row;
    }

    /// The rows in this key hash's bucket, latest first.
    pub(super) fn rows(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let mut at = match self.heads.is_empty() {
            true => Self::END,
            false => self.heads[self.bucket(hash)],
        };
        std::iter::from_fn(move || {
            (at != Self::END).then(|| {
                let r = at;
                at = self.prev[r as usize];
                r
            })
        })
    }
}

/// A relation's rows (column order) and hash indexes on them.
#[derive(Default)]
pub(super) struct Table {
    pub(super) width: usize,
    /// The cells that make a row's key: its columns (all cells without provenance).
    pub(super) key: usize,
    /// With provenance: whether the metadata cells (from [`Table::key`] on) hold a time.
    pub(super) lattice: Option<bool>,
    /// Rows replaced by a better version, removed by a subsumption rule, or (best-first) not
    /// yet settled (a bit each), skipped by every read.
    dead: Vec<u64>,
    /// A relation of the stratum (it grows every round), not a completed one.
    pub(super) live: bool,
    rows: Vec<u64>,
    /// The rows of the last round (the delta): `round_start..round_end`. Rows past
    /// `round_end` were added this round.
    round_start: usize,
    round_end: usize,
    /// Per indexed column set: its rows chained by key hash.
    pub(super) indexes: Vec<(Vec<usize>, Chains)>,
    /// A relation of the stratum: each row's number and the top half of its hash, to keep
    /// rows distinct. The hash fragment decides most probes without reading the row, and
    /// growing rehashes without reading any.
    set: HashTable<(u32, u32)>,
    /// Distinct values per column, when last counted.
    distinct: Vec<usize>,
}

impl Table {
    /// The table of a completed relation: `rows` (`width` cells each), all there from the
    /// start.
    pub(super) fn completed(width: usize, lattice: Option<bool>, rows: &[u64]) -> Table {
        let mut t = Table {
            width,
            key: width - lattice.map_or(0, cells),
            lattice,
            rows: rows.to_vec(),
            ..Table::default()
        };
        t.round_end = t.len();
        t.count();
        t
    }

    /// The empty table of a relation of the stratum (with `lattice`, rows carry metadata
    /// cells, with a time or not).
    pub(super) fn live(width: usize, lattice: Option<bool>) -> Table {
        Table {
            width,
            key: width - lattice.map_or(0, cells),
            lattice,
            live: true,
            ..Table::default()
        }
    }

    /// Marks row `r` dead: its fact no longer holds (a subsumption rule removed it), and is not
    /// added again.
    pub(super) fn kill(&mut self, r: usize) {
        set_bit(&mut self.dead, r);
    }

    /// Whether row `r` was replaced by a better version or removed.
    #[inline]
    pub(super) fn is_dead(&self, r: usize) -> bool {
        bit(&self.dead, r)
    }

    /// The metadata of `row`, one of this table's (asserted with confidence 1 in a table
    /// without provenance).
    #[inline]
    pub(super) fn meta(&self, row: &[u64]) -> Meta {
        match self.lattice {
            Some(time) => Meta::read_at(row, self.key, true, time),
            None => Meta::asserted(1.0),
        }
    }

    /// Rows held.
    pub(super) fn len(&self) -> usize {
        self.rows.len() / self.width.max(1)
    }

    /// The facts it holds: its rows less the dead ones.
    pub(super) fn facts(&self) -> usize {
        self.len()
            - (self.dead.iter())
                .map(|w| w.count_ones() as usize)
                .sum::<usize>()
    }

    /// The index on `cols`, made if new.
    pub(super) fn index_on(&mut self, cols: &[usize]) -> usize {
        if let Some(i) = self.indexes.iter().position(|(c, _)| c == cols) {
            return i;
        }
        let mut chains = Chains::default();
        let n = self.len();
        chains.rebuild(n, n, |r| row_hash(&self.rows, self.width, cols, r));
        self.indexes.push((cols.to_vec(), chains));
        self.indexes.len() - 1
    }

    /// The number of `row` if the table holds it (a relation of the stratum only: the one
    /// probe that needs no index, every column being bound).
    #[inline]
    pub(super) fn find(&self, key: &[u64]) -> Option<usize> {
        debug_assert!(self.live && key.len() == self.key);
        let fragment = fragment(key);
        (self.set.find(spread(fragment), |&e| {
            holds(&self.rows, self.width, e, fragment, key)
        }))
        .map(|&(r, _)| r as usize)
    }

    /// Adds `row` unless the table holds it (a relation of the stratum only); true when
    /// added.
    pub(super) fn insert(&mut self, row: &[u64]) -> bool {
        // The distinct set's lookup written out here, not through `entry`: through it, the
        // same generation took 10% longer (measured, 2026-12-08).
        debug_assert!(self.live && row.len() == self.width);
        let key = &row[..self.key];
        let fragment = fragment(key);
        let (width, rows) = (self.width, &mut self.rows);
        let n = rows.len() / width;
        let same = |&e: &(u32, u32)| holds(rows, width, e, fragment, key);
        match self.set.entry(spread(fragment), same, |&(_, h)| spread(h)) {
            Entry::Occupied(mut e) => {
                let Some(time) = self.lattice else {
                    return false;
                };
                let r = e.get().0 as usize;
                if bit(&self.dead, r) {
                    // Removed by a subsumption rule (a replaced row is no longer indexed).
                    return false;
                }
                let old = &mut rows[r * width..(r + 1) * width];
                let (was, new) = (
                    Meta::read_at(old, self.key, true, time),
                    Meta::read_at(row, self.key, true, time),
                );
                if r >= self.round_end {
                    // A row of this round: the round's derivations merged in place.
                    let merged = was.merge(&new);
                    if merged != was {
                        merged.write_at(old, self.key, true, time);
                    }
                    return false;
                }
                let (joined, improved) = was.join(&new);
                if !improved {
                    return false;
                }
                // An older row improved: replaced by a row of this round.
                e.get_mut().0 = n as u32;
                set_bit(&mut self.dead, r);
                rows.extend_from_slice(row);
                joined.write_at(&mut rows[n * width..], self.key, true, time);
            }
            Entry::Vacant(e) => {
                e.insert((n as u32, fragment));
                rows.extend_from_slice(row);
            }
        }
        let rows = &self.rows;
        for (cols, chains) in &mut self.indexes {
            chains.reserve(n + 1, |r| row_hash(rows, width, cols, r));
            chains.push(row_hash(rows, width, cols, n), n as u32);
        }
        true
    }

    /// Chains row `n`, the last added, into every index.
    #[inline]
    fn index_row(&mut self, n: usize) {
        let (width, rows) = (self.width, &self.rows);
        for (cols, chains) in &mut self.indexes {
            chains.reserve(n + 1, |r| row_hash(rows, width, cols, r));
            chains.push(row_hash(rows, width, cols, n), n as u32);
        }
    }

    /// Best-first (`loops/best_first.rs`): adds `row` as a fact not yet settled, held and
    /// indexed but skipped by every read until [`Table::settle`], and returns its number; or
    /// the number of the row that holds its fact already, as `Err`.
    pub(super) fn offer(&mut self, row: &[u64]) -> Result<usize, usize> {
        debug_assert!(self.live && row.len() == self.width);
        let n = self.len();
        match entry(&mut self.set, &self.rows, self.width, &row[..self.key]) {
            (Entry::Occupied(e), _) => return Err(e.get().0 as usize),
            (Entry::Vacant(e), fragment) => {
                e.insert((n as u32, fragment));
                self.rows.extend_from_slice(row);
            }
        }
        set_bit(&mut self.dead, n);
        self.index_row(n);
        Ok(n)
    }

    /// Best-first: every row held becomes a fact not yet settled.
    pub(super) fn unsettle_all(&mut self) {
        debug_assert!(self.dead.iter().all(|&w| w == 0), "no row replaced yet");
        let n = self.len();
        self.dead = vec![u64::MAX; n.div_ceil(64)];
        if let Some(last) = self.dead.last_mut().filter(|_| !n.is_multiple_of(64)) {
            *last = (1 << (n % 64)) - 1;
        }
    }

    /// Best-first: whether row `r` is settled (read by rules).
    #[inline]
    pub(super) fn is_settled(&self, r: usize) -> bool {
        !bit(&self.dead, r)
    }

    /// Best-first: row `r`'s fact is settled, read by rules from now on.
    pub(super) fn settle(&mut self, r: usize) {
        if let Some(w) = self.dead.get_mut(r / 64) {
            *w &= !(1 << (r % 64));
        }
    }

    /// Best-first: the delta is row `r` alone.
    pub(super) fn focus(&mut self, r: usize) {
        self.round_start = r;
        self.round_end = r + 1;
    }

    /// The metadata of row `r` (a table with provenance).
    #[inline]
    pub(super) fn meta_of(&self, r: usize) -> Meta {
        self.meta(self.row(r))
    }

    /// Overwrites the metadata of row `r` (a table with provenance).
    pub(super) fn set_meta(&mut self, r: usize, meta: &Meta) {
        let time = self.lattice.expect("a table with provenance");
        let (key, width) = (self.key, self.width);
        meta.write_at(&mut self.rows[r * width..(r + 1) * width], key, true, time);
    }

    /// Adds each row of `cells` (`width` values a row) the table does not hold.
    pub(super) fn insert_all(&mut self, cells: &[u64]) {
        let n = cells.len() / self.width.max(1);
        // Room for the rows at once, but never more than doubling (most may be held already).
        let room = n.min(self.set.len().max(1024));
        self.set.reserve(room, |&(_, h)| spread(h));
        self.rows.reserve(room * self.width);
        for row in cells.chunks_exact(self.width) {
            self.insert(row);
        }
    }

    /// Row `r`.
    #[inline]
    pub(super) fn row(&self, r: usize) -> &[u64] {
        &self.rows[r * self.width..(r + 1) * self.width]
    }

    /// Every row, flat.
    pub(super) fn all(&self) -> &[u64] {
        &self.rows
    }

    /// The number of the last round's first row.
    pub(super) fn delta_start(&self) -> usize {
        self.round_start
    }

    /// The rows of the last round, flat.
    pub(super) fn delta(&self) -> &[u64] {
        &self.rows[self.round_start * self.width..self.round_end * self.width]
    }

    /// Whether rows were added since the last [`Table::advance`].
    pub(super) fn grew(&self) -> bool {
        self.len() > self.round_end
    }

    /// Ends a round: the rows added in it become the delta.
    pub(super) fn advance(&mut self) {
        self.round_start = self.round_end;
        self.round_end = self.len();
    }

    /// The live rows, flat, in insertion order (the indexes dropped).
    pub(super) fn into_rows(mut self) -> Vec<u64> {
        if self.dead.iter().any(|&w| w != 0) {
            let w = self.width;
            let mut kept = 0;
            for r in 0..self.len() {
                if !self.is_dead(r) {
                    self.rows.copy_within(r * w..(r + 1) * w, kept * w);
                    kept += 1;
                }
            }
            self.rows.truncate(kept * w);
        }
        self.rows
    }

    /// Counts each column's distinct values again.
    pub(super) fn count(&mut self) {
        let n = self.len();
        self.distinct = (0..self.key)
            .map(|c| {
                let set: FxHashSet<u64> = (0..n).map(|r| self.rows[r * self.width + c]).collect();
                set.len()
            })
            .collect();
    }

    /// Expected rows matching a probe on `cols` (one at most when every column is bound).
    pub(super) fn fan_out(&self, cols: &[usize]) -> f64 {
        let rows = self.len().max(1) as f64;
        if cols.len() >= self.key {
            return 1.0;
        }
        let distinct: f64 = (cols.iter())
            .map(|&c| self.distinct.get(c).copied().unwrap_or(1).max(1) as f64)
            .product();
        (rows / distinct.min(rows)).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Table, key_hash};

    /// Rows added round by round (the bucket directory growing and re-chaining as they come)
    /// are all found by their key, only rows with that key match it, and a row added twice is
    /// held once.
    #[test]
    fn an_index_finds_every_row_of_a_key_as_the_table_grows() {
        let mut t = Table::live(2, None);
        t.insert(&[1, 2]);
        let i = t.index_on(&[1]);
        let mut all = vec![[1u64, 2]];
        let mut seen: std::collections::HashSet<[u64; 2]> = all.iter().copied().collect();
        for round in 0..12u64 {
            for k in 0..(1u64 << round) {
                let row = [k, (k * 31 + round) % 97];
                if seen.insert(row) {
                    all.push(row);
                }
                t.insert(&row);
                assert!(!t.insert(&row), "{row:?} added twice");
            }
            t.advance();
        }
        assert_eq!(t.len(), all.len());
        let (cols, chains) = &t.indexes[i];
        assert_eq!(cols, &[1]);
        for key in 0..97u64 {
            let mut got: Vec<usize> = chains
                .rows(key_hash(std::iter::once(key)))
                .map(|r| r as usize)
                .filter(|&r| t.row(r)[1] == key)
                .collect();
            got.sort_unstable();
            let want: Vec<usize> = (0..all.len()).filter(|&r| all[r][1] == key).collect();
            assert_eq!(got, want, "key {key}");
        }
    }
}
