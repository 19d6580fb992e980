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

/// The first index `>= from` whose row's key is not less than `key`.
fn gallop<T: Cell, K: Cell>(rows: RowSlice<'_, T>, from: usize, k: usize, key: &[K]) -> usize {
    crate::search::gallop(rows.len(), from, |i| cmp_key(rows.row(i), key, k).is_lt())
}

/// Calls `f(l, r)` for every pair of rows whose first `k` columns are equal.
///
/// Both inputs must be sorted (lexicographically on whole rows, which sorts them by key).
pub(crate) fn merge_join<L: Cell, R: Cell>(
    left: RowSlice<'_, L>,
    right: RowSlice<'_, R>,
    k: usize,
    mut f: impl FnMut(&[L], &[R]) -> bool,
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
                        if !f(l, right.row(b)) {
                            return;
                        }
                    }
                }
                i = i_end;
                j = j_end;
            }
        }
    }
}

/// The range of rows whose first `key.len()` columns equal `key` (rows sorted).
pub(crate) fn prefix_range(rows: RowSlice<'_, u64>, key: &[u64]) -> std::ops::Range<usize> {
    let k = key.len();
    if k == 0 {
        return 0..rows.len();
    }
    crate::search::equal_range(rows.len(), |i| cmp_key(rows.row(i), key, k))
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
            |a: &[u64], b: &[u64]| {
                out.push((a[1], b[1]));
                true
            },
        );
        assert_eq!(out, vec![(20, 7), (21, 7), (40, 9), (40, 10)]);
        assert_eq!(prefix_range(RowSlice::new(&r, 2), &[4]), 2..4);
        assert_eq!(prefix_range(RowSlice::new(&r, 2), &[5]), 4..4);
        let mut cross = 0;
        merge_join(RowSlice::new(&l, 2), RowSlice::new(&r, 2), 0, |_, _| {
            cross += 1;
            true
        });
        assert_eq!(cross, 16);
    }

    #[test]
    fn prefix_range_agrees_with_a_scan() {
        // Sorted 2-column rows with long and short runs of equal first columns.
        let mut rows = Vec::new();
        for a in 0..40u64 {
            for b in 0..(a * 7) % 23 {
                rows.extend([a, b]);
            }
        }
        let slice = RowSlice::new(&rows, 2);
        for key in (0..42u64).flat_map(|a| [vec![a], vec![a, 3], vec![a, 30]]) {
            let hits: Vec<usize> = (0..slice.len())
                .filter(|&i| slice.row(i)[..key.len()] == key[..])
                .collect();
            let range = prefix_range(slice, &key);
            match hits.first() {
                Some(&first) => assert_eq!(range, first..hits.last().unwrap() + 1, "{key:?}"),
                None => assert!(range.is_empty(), "{key:?}"),
            }
        }
        assert_eq!(prefix_range(slice, &[]), 0..slice.len());
    }
}
