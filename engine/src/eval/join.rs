//! Merge joins over sorted flat rows, the kernel under every rule with two or more atoms.

use std::cmp::Ordering;

use super::vars::Cell;

/// Sorted rows of a fixed width, stored flat.
#[derive(Clone, Copy)]
pub(crate) struct RowSlice<'a, T = u64> {
    pub data: &'a [T],
    pub width: usize,
}

impl<'a, T> RowSlice<'a, T> {
    pub(crate) fn new(data: &'a [T], width: usize) -> Self {
        RowSlice { data, width }
    }
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.data.len() / self.width
    }
    #[inline(always)]
    pub(crate) fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.width..(i + 1) * self.width]
    }
}

/// Compares the first `k` cells of two rows by their encoded values.
#[inline(always)]
fn cmp_key<A: Cell, B: Cell>(a: &[A], b: &[B], k: usize) -> Ordering {
    if k == 1 {
        return a[0].get().cmp(&b[0].get());
    }
    for i in 0..k {
        let o = a[i].get().cmp(&b[i].get());
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// The first index `>= from` whose row's key is not less than `key`, found by galloping
/// (datafrog's strategy: cheap when the answer is near).
fn gallop<T: Cell, K: Cell>(rows: RowSlice<'_, T>, from: usize, k: usize, key: &[K]) -> usize {
    let n = rows.len();
    let less = |i: usize| cmp_key(rows.row(i), key, k) == Ordering::Less;
    if from >= n || !less(from) {
        return from;
    }
    let mut lo = from;
    let mut step = 1;
    while lo + step < n && less(lo + step) {
        lo += step;
        step <<= 1;
    }
    let mut hi = (lo + step).min(n);
    // Invariant: less(lo), and hi == n or !less(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if less(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Calls `f(l, r)` for every pair of rows whose first `k` columns are equal.
///
/// Both inputs must be sorted (lexicographically on whole rows, which sorts them by key).
pub(crate) fn merge_join<L: Cell, R: Cell>(
    left: RowSlice<'_, L>,
    right: RowSlice<'_, R>,
    k: usize,
    mut f: impl FnMut(&[L], &[R]),
) {
    let (nl, nr) = (left.len(), right.len());
    let (mut i, mut j) = (0, 0);
    while i < nl && j < nr {
        let (lrow, rrow) = (left.row(i), right.row(j));
        match cmp_key(lrow, rrow, k) {
            Ordering::Less => i = gallop(left, i, k, rrow),
            Ordering::Greater => j = gallop(right, j, k, lrow),
            Ordering::Equal => {
                let mut i_end = i + 1;
                while i_end < nl && cmp_key(left.row(i_end), lrow, k).is_eq() {
                    i_end += 1;
                }
                let mut j_end = j + 1;
                while j_end < nr && cmp_key(right.row(j_end), rrow, k).is_eq() {
                    j_end += 1;
                }
                for a in i..i_end {
                    let l = left.row(a);
                    for b in j..j_end {
                        f(l, right.row(b));
                    }
                }
                i = i_end;
                j = j_end;
            }
        }
    }
}

/// The range of rows whose first `key.len()` columns equal `key`.
pub(crate) fn prefix_range(rows: RowSlice<'_, u64>, key: &[u64]) -> std::ops::Range<usize> {
    let k = key.len();
    let n = rows.len();
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if rows.row(mid)[..k] < *key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let start = lo;
    let mut hi = n;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if rows.row(mid)[..k] <= *key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    start..lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_on_prefix_and_finds_ranges() {
        let l = [1, 10, 2, 20, 2, 21, 4, 40];
        let r = [2, 7, 3, 8, 4, 9, 4, 10];
        let mut out = Vec::new();
        merge_join(
            RowSlice::new(&l, 2),
            RowSlice::new(&r, 2),
            1,
            |a: &[u64], b: &[u64]| out.push((a[1], b[1])),
        );
        assert_eq!(out, vec![(20, 7), (21, 7), (40, 9), (40, 10)]);
        assert_eq!(prefix_range(RowSlice::new(&r, 2), &[4]), 2..4);
        assert_eq!(prefix_range(RowSlice::new(&r, 2), &[5]), 4..4);
        let mut cross = 0;
        merge_join(RowSlice::new(&l, 2), RowSlice::new(&r, 2), 0, |_, _| {
            cross += 1
        });
        assert_eq!(cross, 16);
    }
}
