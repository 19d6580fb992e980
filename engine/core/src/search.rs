//! The one binary search of the engine, over anything indexable by position: sorted rows of
//! evaluation, a store run's columns, a batch of a datafrog variable.

use std::cmp::Ordering;
use std::ops::Range;

/// The first position in `from..n` where `less` stops holding (`less` holds on a prefix of
/// `0..n`), found by galloping from `from`: steps of 1, 2, 4, ... then a binary search of the
/// last step. Cheap when the answer is near, as it is for sorted probes and merge joins
/// (datafrog's strategy).
pub fn gallop(n: usize, from: usize, less: impl Fn(usize) -> bool) -> usize {
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

/// The positions of `0..n` (sorted) whose element compares equal to a key, `cmp(i)` being
/// element `i` compared with it: the start by binary search, the end by galloping from it (a
/// key's elements are seldom many).
pub fn equal_range(n: usize, cmp: impl Fn(usize) -> Ordering) -> Range<usize> {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if cmp(mid).is_lt() {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let start = lo;
    if start == n || cmp(start).is_ne() {
        return start..start;
    }
    start..gallop(n, start, |i| cmp(i).is_le())
}

#[cfg(test)]
mod tests {
    use super::{equal_range, gallop};

    /// Both searches agree with a scan, from every starting point and for every key, on
    /// sorted values with long and short runs of equal ones.
    #[test]
    fn searches_agree_with_a_scan() {
        let mut values = Vec::new();
        for a in 0..40u64 {
            for _ in 0..(a * 7) % 23 {
                values.push(a);
            }
        }
        let n = values.len();
        for key in 0..42u64 {
            let hits: Vec<usize> = (0..n).filter(|&i| values[i] == key).collect();
            let range = equal_range(n, |i| values[i].cmp(&key));
            match hits.first() {
                Some(&first) => assert_eq!(range, first..hits.last().unwrap() + 1, "{key}"),
                None => assert!(range.is_empty(), "{key}"),
            }
            for from in 0..=n {
                let want = (from..n).find(|&i| values[i] >= key).unwrap_or(n.max(from));
                assert_eq!(
                    gallop(n, from, |i| values[i] < key),
                    want,
                    "{key} from {from}"
                );
            }
        }
        assert_eq!(equal_range(0, |_| std::cmp::Ordering::Equal), 0..0);
    }
}
