//! datafrog variables whose tuples are fixed-width rows, with the width chosen at run time: one
//! enum variant per width, so that no tuple is ever a heap allocation. Rows whose columns are
//! all symbols (32-bit ids) are stored as `[u32; N]`, others as `[u64; N]`: half the bytes to
//! sort, merge and compare for the symbol-heavy relations of a knowledge graph.

use super::meta::{Meta, cells};
use datafrog::{Iteration, Relation, Variable};

/// The widest row a relation, projection or intermediate can have, in cells: the columns plus
/// the metadata cells of provenance tracking.
pub const MAX_WIDTH: usize = 38;

/// A column value as stored in a row: `u32` for symbol-only rows, `u64` otherwise.
pub trait Cell: Copy + Ord + Send + Sync + 'static {
    /// The value as the engine's 64-bit encoding.
    fn get(self) -> u64;
    /// A cell holding `v` (a narrow cell keeps the low 32 bits).
    fn put(v: u64) -> Self;
}

impl Cell for u32 {
    #[inline(always)]
    fn get(self) -> u64 {
        u64::from(self)
    }
    #[inline(always)]
    fn put(v: u64) -> Self {
        v as u32
    }
}

impl Cell for u64 {
    #[inline(always)]
    fn get(self) -> u64 {
        self
    }
    #[inline(always)]
    fn put(v: u64) -> Self {
        v
    }
}

#[inline(always)]
fn meta_of<T: Cell>(row: &[T], time: bool) -> Meta {
    Meta::read_at(row, row.len() - cells(time), true, time)
}

#[inline(always)]
fn set_meta<T: Cell>(row: &mut [T], m: &Meta, time: bool) {
    let at = row.len() - cells(time);
    m.write_at(row, at, true, time);
}

/// Compares the first `k` cells of two rows (with fast paths for the common short keys).
#[inline(always)]
fn key_cmp<T: Cell>(a: &[T], b: &[T], k: usize) -> std::cmp::Ordering {
    match k {
        1 => a[0].cmp(&b[0]),
        2 => (a[0], a[1]).cmp(&(b[0], b[1])),
        _ => a[..k].cmp(&b[..k]),
    }
}

/// Keeps, of `rows` (facts with metadata cells), one per key with the join of their metadata,
/// and only where that improves on every version already in `batches`; the kept rows carry the
/// join with what they improve on. Works in place.
fn lattice_filter<T: Cell, const N: usize>(
    rows: &mut [[T; N]],
    batches: &[&[[T; N]]],
    time: bool,
) -> usize {
    let k = N - cells(time);
    // Only the key order matters: candidates end up one per key, so key order is row order.
    sort_by_key_prefix(rows, k);
    if rows.len() < PARALLEL_ROWS {
        return reduce_and_filter(rows, batches, k, time);
    }
    // Large rounds work on two halves on two threads: split where the key changes, so the
    // halves hold disjoint keys; the batches are only read.
    let mut mid = rows.len() / 2;
    while mid < rows.len() && key_cmp(&rows[mid - 1], &rows[mid], k).is_eq() {
        mid += 1;
    }
    let (a, b) = rows.split_at_mut(mid);
    let (ka, kb) = rayon::join(
        || reduce_and_filter(a, batches, k, time),
        || reduce_and_filter(b, batches, k, time),
    );
    rows.copy_within(mid..mid + kb, ka);
    ka + kb
}

/// Of sorted candidates: one per key (the join of that key's derivations), then only those that
/// improve on `batches`; compacted to the front, returning how many.
fn reduce_and_filter<T: Cell, const N: usize>(
    rows: &mut [[T; N]],
    batches: &[&[[T; N]]],
    k: usize,
    time: bool,
) -> usize {
    let mut w = 0;
    for i in 0..rows.len() {
        if w > 0 && key_cmp(&rows[w - 1], &rows[i], k).is_eq() {
            let merged = meta_of(&rows[w - 1], time).merge(&meta_of(&rows[i], time));
            set_meta(&mut rows[w - 1], &merged, time);
        } else {
            rows[w] = rows[i];
            w += 1;
        }
    }
    filter_against(&mut rows[..w], batches, k, time)
}

/// Inserts into `var` the rows of `rows` that improve on what it holds ([`lattice_filter`]
/// against its stable batches and its recent rows).
fn insert_improvements<T: Cell, const N: usize>(
    var: &Variable<[T; N]>,
    rows: &mut [[T; N]],
    time: bool,
) {
    let stable = var.stable.borrow();
    let recent = var.recent.borrow();
    let mut batches: Vec<&[[T; N]]> = stable.iter().map(|r| &r.elements[..]).collect();
    batches.push(&recent.elements);
    let kept = lattice_filter(rows, &batches, time);
    drop((stable, recent));
    var.insert(Relation {
        elements: rows[..kept].to_vec(),
    });
}

/// Sorts rows by their first `k` cells (rows with equal keys in any order): keys of one or
/// two cells by a radix sort of the key packed into one integer (a confidence closure's
/// candidates: two threads of comparison sort took 22% of the run), longer ones by
/// comparison, on two threads for many rows.
fn sort_by_key_prefix<T: Cell, const N: usize>(rows: &mut [[T; N]], k: usize) {
    let narrow = std::mem::size_of::<T>() == 4;
    if rows.len() >= RADIX_FROM && k <= 2 {
        match k {
            1 => radsort::sort_by_key(rows, |r| r[0].get()),
            _ if narrow => radsort::sort_by_key(rows, |r| (r[0].get() << 32) | r[1].get()),
            _ => radsort::sort_by_key(rows, |r| {
                (u128::from(r[0].get()) << 64) | u128::from(r[1].get())
            }),
        }
        return;
    }
    if rows.len() >= PARALLEL_ROWS {
        use rayon::slice::ParallelSliceMut;
        match k {
            1 => rows.par_sort_unstable_by_key(|r| r[0]),
            2 => rows.par_sort_unstable_by_key(|r| (r[0], r[1])),
            _ => rows.par_sort_unstable_by(|a, b| a[..k].cmp(&b[..k])),
        }
    } else {
        match k {
            1 => rows.sort_unstable_by_key(|r| r[0]),
            2 => rows.sort_unstable_by_key(|r| (r[0], r[1])),
            _ => rows.sort_unstable_by(|a, b| a[..k].cmp(&b[..k])),
        }
    }
}

/// Rounds with at least this many candidate facts filter them on two threads.
const PARALLEL_ROWS: usize = 1 << 16;

/// Keeps the candidates (sorted, one per key) that improve on every version in `batches`,
/// compacted to the front with their joined metadata; returns how many.
fn filter_against<T: Cell, const N: usize>(
    rows: &mut [[T; N]],
    batches: &[&[[T; N]]],
    k: usize,
    time: bool,
) -> usize {
    let mut n = rows.len();
    for batch in batches {
        // Walk the batch alongside the sorted candidates: linearly when it is not bigger
        // (sequential reads), by galloping otherwise.
        let linear = batch.len() <= 4 * n;
        let mut j = 0;
        let mut kept = 0;
        for i in 0..n {
            let cand = rows[i];
            if linear {
                while j < batch.len() && key_cmp(&batch[j], &cand, k).is_lt() {
                    j += 1;
                }
            } else {
                j = crate::search::gallop(batch.len(), j, |i| key_cmp(&batch[i], &cand, k).is_lt());
            }
            let mut cur = meta_of(&cand, time);
            let mut keep = true;
            let mut jj = j;
            while jj < batch.len() && key_cmp(&batch[jj], &cand, k).is_eq() {
                let (joined, improved) = meta_of(&batch[jj], time).join(&cur);
                if !improved {
                    keep = false;
                    break;
                }
                cur = joined;
                jj += 1;
            }
            if keep {
                rows[kept] = cand;
                set_meta(&mut rows[kept], &cur, time);
                kept += 1;
            }
        }
        n = kept;
    }
    n
}

/// All versions of each fact, sorted, reduced to the best one per key.
fn lattice_complete<T: Cell, const N: usize>(rows: Vec<[T; N]>, time: bool) -> Vec<[T; N]> {
    let k = N - cells(time);
    let mut out: Vec<[T; N]> = Vec::with_capacity(rows.len());
    for row in rows {
        match out.last_mut() {
            Some(last) if key_cmp(last, &row, k).is_eq() => {
                if meta_of(last, time).beaten_by(&meta_of(&row, time)) {
                    *last = row;
                }
            }
            _ => out.push(row),
        }
    }
    out
}

/// Sorted rows of one variable batch, flat, in their stored cell type.
#[derive(Clone, Copy)]
pub(crate) enum Flat<'a> {
    /// 32-bit cells.
    Narrow(&'a [u32]),
    /// 64-bit cells.
    Wide(&'a [u64]),
}

/// Rows that sort by a radix sort of the whole row packed into one integer when they fit in
/// 128 bits (one or two cells), by comparison otherwise.
trait SortRows: Ord + Copy + Sized {
    /// Sorts `rows` (in no particular order among equal rows: equal rows are identical).
    fn sort_rows(rows: &mut [Self]);
}

/// Below this many rows a comparison sort beats the radix sort's passes.
const RADIX_FROM: usize = 2048;

impl<const N: usize> SortRows for [u32; N] {
    fn sort_rows(rows: &mut [Self]) {
        match N {
            _ if rows.len() < RADIX_FROM => rows.sort_unstable(),
            1 => radsort::sort_by_key(rows, |r| r[0]),
            2 => radsort::sort_by_key(rows, |r| (u64::from(r[0]) << 32) | u64::from(r[1])),
            _ => rows.sort_unstable(),
        }
    }
}

impl<const N: usize> SortRows for [u64; N] {
    fn sort_rows(rows: &mut [Self]) {
        match N {
            _ if rows.len() < RADIX_FROM => rows.sort_unstable(),
            1 => radsort::sort_by_key(rows, |r| r[0]),
            2 if rows
                .iter()
                .all(|r| r.iter().all(|&v| v <= u64::from(u32::MAX))) =>
            {
                // Two cells of 32 bits: a radix sort of the rows packed into one `u64` each
                // (half the passes of two cells, and half the bytes each moves).
                let mut keys: Vec<u64> = rows.iter().map(|r| (r[0] << 32) | r[1]).collect();
                radsort::sort(&mut keys);
                for (row, k) in rows.iter_mut().zip(keys) {
                    row[0] = k >> 32;
                    row[1] = k & u64::from(u32::MAX);
                }
            }
            2 => radsort::sort_by_key(rows, |r| (u128::from(r[0]) << 64) | u128::from(r[1])),
            _ => rows.sort_unstable(),
        }
    }
}

/// Sorts flat rows of `width` cells (distinct rows, as a table of the stratum holds them).
pub(crate) fn sort_flat(data: &mut [u64], width: usize) {
    fn rows<const N: usize>(data: &mut [u64]) {
        <[u64; N]>::sort_rows(data.as_chunks_mut::<N>().0);
    }
    macro_rules! by_width {
        ($($n:literal)*) => {
            match width {
                $($n => rows::<$n>(data),)*
                _ => {
                    let mut sorted: Vec<&[u64]> = data.chunks_exact(width).collect();
                    sorted.sort_unstable();
                    let sorted: Vec<u64> = sorted.concat();
                    data.copy_from_slice(&sorted);
                }
            }
        };
    }
    by_width!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

fn sorted_distinct<T: SortRows>(mut elements: Vec<T>) -> Relation<T> {
    // datafrog's `from_vec` sorts stably; an unstable order is equal here since equal rows are
    // identical.
    T::sort_rows(&mut elements);
    elements.dedup();
    Relation { elements }
}

macro_rules! any_var {
    ($($n:literal => $w:ident, $s:ident);* $(;)?) => {
        /// A datafrog variable of rows of some width and cell type.
        pub(crate) enum AnyVar {
            $(
                #[doc = concat!("Rows of ", stringify!($n), " 64-bit cells.")]
                $w(Variable<[u64; $n]>),
                #[doc = concat!("Rows of ", stringify!($n), " 32-bit cells.")]
                $s(Variable<[u32; $n]>),
            )*
        }

        impl AnyVar {
            /// A new variable of `width`-column rows, narrow (32-bit) if `narrow`. A
            /// variable fed only through [`AnyVar::insert_lattice`] (which passes only rows
            /// that are new) is created without datafrog's own deduplication: `lattice`.
            pub(crate) fn new(
                iteration: &mut Iteration,
                width: usize,
                narrow: bool,
                lattice: bool,
            ) -> Option<AnyVar> {
                match (width, narrow, lattice) {
                    $(
                        ($n, false, false) => Some(AnyVar::$w(iteration.variable(concat!("w", $n)))),
                        ($n, true, false) => Some(AnyVar::$s(iteration.variable(concat!("s", $n)))),
                        ($n, false, true) => {
                            Some(AnyVar::$w(iteration.variable_indistinct(concat!("w", $n))))
                        }
                        ($n, true, true) => {
                            Some(AnyVar::$s(iteration.variable_indistinct(concat!("s", $n))))
                        }
                    )*
                    _ => None,
                }
            }

            /// Row width.
            pub(crate) fn width(&self) -> usize {
                match self {
                    $(AnyVar::$w(_) | AnyVar::$s(_) => $n,)*
                }
            }

            /// Adds rows given as a flat slice of encoded values (`width` per row), any order.
            /// A narrow variable keeps the low 32 bits (symbol ids always fit).
            pub(crate) fn insert_flat(&self, data: &[u64]) {
                if data.is_empty() {
                    return;
                }
                match self {
                    $(
                        AnyVar::$w(var) => {
                            let (rows, _) = data.as_chunks::<$n>();
                            var.insert(sorted_distinct(rows.to_vec()));
                        }
                        AnyVar::$s(var) => {
                            let (rows, _) = data.as_chunks::<$n>();
                            let narrow: Vec<[u32; $n]> =
                                rows.iter().map(|r| r.map(|v| v as u32)).collect();
                            var.insert(sorted_distinct(narrow));
                        }
                    )*
                }
            }

            /// Adds facts with metadata cells (see `meta.rs`), keeping only those that improve
            /// on what the variable holds: the lattice step that lets cycles terminate.
            pub(crate) fn insert_lattice(&self, data: &mut [u64], time: bool) {
                if data.is_empty() {
                    return;
                }
                match self {
                    $(
                        AnyVar::$w(var) => insert_improvements(var, data.as_chunks_mut::<$n>().0, time),
                        AnyVar::$s(_) => {
                            let mut narrow: Vec<u32> = data.iter().map(|&v| v as u32).collect();
                            self.insert_lattice_narrow(&mut narrow, time);
                        }
                    )*
                }
            }

            /// [`AnyVar::insert_lattice`] for rows already in 32-bit cells (a symbol-only
            /// relation's derivations).
            pub(crate) fn insert_lattice_narrow(&self, data: &mut [u32], time: bool) {
                if data.is_empty() {
                    return;
                }
                match self {
                    $(
                        AnyVar::$s(var) => insert_improvements(var, data.as_chunks_mut::<$n>().0, time),
                        AnyVar::$w(_) => {
                            let mut wide: Vec<u64> = data.iter().map(|&v| u64::from(v)).collect();
                            self.insert_lattice(&mut wide, time);
                        }
                    )*
                }
            }

            /// Whether rows are stored in 32-bit cells.
            pub(crate) fn is_narrow(&self) -> bool {
                match self {
                    $(AnyVar::$w(_) => false, AnyVar::$s(_) => true,)*
                }
            }

            /// The facts, one per key with its best metadata, once the iteration has stopped.
            pub(crate) fn complete_lattice(self, time: bool) -> Vec<u64> {
                match self {
                    $(
                        AnyVar::$w(var) => {
                            lattice_complete(var.complete().elements, time).into_flattened()
                        }
                        AnyVar::$s(var) => lattice_complete(var.complete().elements, time)
                            .as_flattened()
                            .iter()
                            .map(|&v| u64::from(v))
                            .collect(),
                    )*
                }
            }

            /// The rows it holds so far (a fact improved in the lattice counts once more for
            /// each improvement): what a runaway bound ([`crate::limits`]) measures.
            pub(crate) fn rows(&self) -> usize {
                match self {
                    $(
                        AnyVar::$w(var) => {
                            let stable: usize = var.stable.borrow().iter().map(|r| r.len()).sum();
                            stable + var.recent.borrow().len()
                        }
                        AnyVar::$s(var) => {
                            let stable: usize = var.stable.borrow().iter().map(|r| r.len()).sum();
                            stable + var.recent.borrow().len()
                        }
                    )*
                }
            }

            /// Calls `f` with the rows that became visible in this round, sorted, flat.
            pub(crate) fn with_recent<R>(&self, f: impl FnOnce(Flat<'_>) -> R) -> R {
                match self {
                    $(
                        AnyVar::$w(var) => f(Flat::Wide(var.recent.borrow().elements.as_flattened())),
                        AnyVar::$s(var) => f(Flat::Narrow(var.recent.borrow().elements.as_flattened())),
                    )*
                }
            }

            /// Calls `f` with the batches of rows accepted before this round, each sorted, flat.
            pub(crate) fn with_stable<R>(&self, f: impl FnOnce(&[Flat<'_>]) -> R) -> R {
                match self {
                    $(
                        AnyVar::$w(var) => {
                            let stable = var.stable.borrow();
                            let batches: Vec<Flat<'_>> = stable
                                .iter()
                                .map(|r| Flat::Wide(r.elements.as_flattened()))
                                .collect();
                            f(&batches)
                        }
                        AnyVar::$s(var) => {
                            let stable = var.stable.borrow();
                            let batches: Vec<Flat<'_>> = stable
                                .iter()
                                .map(|r| Flat::Narrow(r.elements.as_flattened()))
                                .collect();
                            f(&batches)
                        }
                    )*
                }
            }

            /// All rows as encoded values, sorted and distinct, once the iteration has stopped.
            pub(crate) fn complete(self) -> Vec<u64> {
                match self {
                    $(
                        AnyVar::$w(var) => var.complete().elements.into_flattened(),
                        AnyVar::$s(var) => var
                            .complete()
                            .elements
                            .as_flattened()
                            .iter()
                            .map(|&v| u64::from(v))
                            .collect(),
                    )*
                }
            }
        }
    };
}

any_var!(
    1 => W1, S1; 2 => W2, S2; 3 => W3, S3; 4 => W4, S4; 5 => W5, S5; 6 => W6, S6;
    7 => W7, S7; 8 => W8, S8; 9 => W9, S9; 10 => W10, S10; 11 => W11, S11; 12 => W12, S12;
    13 => W13, S13; 14 => W14, S14; 15 => W15, S15; 16 => W16, S16; 17 => W17, S17;
    18 => W18, S18; 19 => W19, S19; 20 => W20, S20; 21 => W21, S21; 22 => W22, S22;
    23 => W23, S23; 24 => W24, S24; 25 => W25, S25; 26 => W26, S26; 27 => W27, S27;
    28 => W28, S28; 29 => W29, S29; 30 => W30, S30; 31 => W31, S31; 32 => W32, S32;
    33 => W33, S33; 34 => W34, S34; 35 => W35, S35; 36 => W36, S36; 37 => W37, S37;
    38 => W38, S38;
);
