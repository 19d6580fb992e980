//! The metadata cells that ride behind a row's columns when evaluation tracks provenance, and
//! the lattice they live in (DESIGN §4): confidence combines by max, depth by min.
//!
//! A stored fact carries `FACT_CELLS` cells after its columns: the confidence's bits split
//! into a high and a low 32-bit half (a non-negative `f64`'s bits order like the number, so
//! rows still sort), and the depth and the rule packed in one cell (depth in the high 16 bits,
//! saturating at `MAX_DEPTH`; rule in the low 16: 0 for an asserted fact, `i + 1` for
//! `Plan::rules[i]`). Projections and join intermediates carry as many cells: the
//! confidence and depth of the partial derivation, without a rule. Every cell fits in 32 bits,
//! so symbol-only relations keep their narrow `u32` rows, 12 bytes of metadata a fact.
//!
//! A store's evaluation also tracks each fact's time (DESIGN §2, a max lattice like
//! confidence): `TIME_CELLS` more cells, the time's high and low halves, after the three.

use super::vars::Cell;
use crate::plan::ir::TNorm;

/// Metadata cells behind a fact's columns: confidence high, confidence low, depth and rule.
pub(crate) const FACT_CELLS: usize = 3;
/// Cells a tracked time adds after the others (its high and low 32 bits).
pub(crate) const TIME_CELLS: usize = 2;

/// Metadata cells behind a row (fact or partial derivation), with or without time.
#[inline(always)]
pub(crate) fn cells(time: bool) -> usize {
    FACT_CELLS + if time { TIME_CELLS } else { 0 }
}
/// Depths saturate here (a fact this deep reports this depth).
pub(crate) const MAX_DEPTH: u32 = 0xffff;
/// The most rules a program evaluated with provenance can have (rule ids are 16 bits; the
/// top two are [`MERGED`] and [`EQUIVALENCE`]).
pub(crate) const MAX_RULES: usize = 0xfffd;
/// The rule id of an asserted fact.
pub(crate) const ASSERTED: u32 = 0;
/// The rule id of a class membership of an eqrel, and of a pair read through its classes
/// (the origin `eqrel`); above every rule's id.
pub(crate) const EQUIVALENCE: u32 = 0xffff;
/// The rule id of a fact rewritten by a merge (`.merge`): its symbols read through their
/// classes (the origin `merge`).
pub(crate) const MERGED: u32 = 0xfffe;
/// An improvement smaller than this, relative, is not propagated: it ends float ping-pong on
/// cycles without changing any answer beyond this precision.
pub(crate) const EPSILON: f64 = 1e-9;

/// A fact's (or partial derivation's) metadata.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Meta {
    /// Confidence in (0, 1].
    pub conf: f64,
    /// Depth: 0 for asserted facts.
    pub depth: u32,
    /// Rule id (`ASSERTED` or rule index + 1).
    pub rule: u32,
    /// Unix milliseconds: the latest time among the facts of its derivations (0 when
    /// evaluation does not track time).
    pub time: i64,
}

impl Meta {
    /// An asserted fact's metadata.
    pub(crate) fn asserted(conf: f64) -> Meta {
        Meta::asserted_at(conf, 0)
    }

    /// An asserted fact's metadata with its time.
    pub(crate) fn asserted_at(conf: f64, time: i64) -> Meta {
        Meta {
            conf,
            depth: 0,
            rule: ASSERTED,
            time,
        }
    }

    /// Reads metadata from its cells: three, or five with a time.
    #[inline(always)]
    pub(crate) fn read(cells: &[u64], fact: bool) -> Meta {
        let mut m = Meta::from_cells(cells[0], cells[1], cells[2], fact);
        if cells.len() > FACT_CELLS {
            m.time = ((cells[3] << 32) | cells[4]) as i64;
        }
        m
    }

    /// Reads the metadata cells of `row` that start at `at` (a time follows when `time`).
    #[inline(always)]
    pub(crate) fn read_at<T: Cell>(row: &[T], at: usize, fact: bool, time: bool) -> Meta {
        let mut m = Meta::from_cells(row[at].get(), row[at + 1].get(), row[at + 2].get(), fact);
        if time {
            m.time = ((row[at + 3].get() << 32) | row[at + 4].get()) as i64;
        }
        m
    }

    /// Overwrites the metadata cells of `row` that start at `at`.
    #[inline(always)]
    pub(crate) fn write_at<T: Cell>(&self, row: &mut [T], at: usize, fact: bool, time: bool) {
        let bits = self.conf.to_bits();
        row[at] = T::put(bits >> 32);
        row[at + 1] = T::put(bits & 0xffff_ffff);
        row[at + 2] = T::put(self.last_cell(fact));
        if time {
            let t = self.time as u64;
            row[at + 3] = T::put(t >> 32);
            row[at + 4] = T::put(t & 0xffff_ffff);
        }
    }

    /// Metadata from its three cells.
    #[inline(always)]
    pub(crate) fn from_cells(hi: u64, lo: u64, last: u64, fact: bool) -> Meta {
        let (depth, rule) = if fact {
            ((last >> 16) as u32, (last & 0xffff) as u32)
        } else {
            (last as u32, ASSERTED)
        };
        Meta {
            conf: f64::from_bits((hi << 32) | lo),
            depth,
            rule,
            time: 0,
        }
    }

    /// The third cell: the depth, or for a fact the depth and rule packed.
    #[inline(always)]
    pub(crate) fn last_cell(&self, fact: bool) -> u64 {
        if fact {
            (u64::from(self.depth.min(MAX_DEPTH)) << 16) | u64::from(self.rule & 0xffff)
        } else {
            u64::from(self.depth)
        }
    }

    /// Appends the metadata cells (each fits in 32 bits), with the time when `time`.
    #[inline(always)]
    pub fn push<C: Cell>(&self, out: &mut Vec<C>, fact: bool, time: bool) {
        let bits = self.conf.to_bits();
        out.push(C::put(bits >> 32));
        out.push(C::put(bits & 0xffff_ffff));
        out.push(C::put(self.last_cell(fact)));
        if time {
            let t = self.time as u64;
            out.push(C::put(t >> 32));
            out.push(C::put(t & 0xffff_ffff));
        }
    }

    /// The lattice join with a newer candidate: the higher confidence (and its rule) when it is
    /// better by more than [`EPSILON`], the smaller depth, the later time. Returns the join
    /// and whether it improves on `self`.
    #[inline]
    pub(crate) fn join(&self, new: &Meta) -> (Meta, bool) {
        let better_conf = new.conf > self.conf * (1.0 + EPSILON);
        let better_depth = new.depth < self.depth;
        let better_time = new.time > self.time;
        let joined = Meta {
            conf: if better_conf { new.conf } else { self.conf },
            rule: if better_conf { new.rule } else { self.rule },
            depth: self.depth.min(new.depth),
            time: self.time.max(new.time),
        };
        (joined, better_conf || better_depth || better_time)
    }
}

impl Meta {
    /// A body's combined metadata: its facts' confidences by the t-norm (1 for none), the
    /// largest of their depths, the latest of their times.
    pub(crate) fn body(t: TNorm, facts: impl IntoIterator<Item = Meta>) -> Meta {
        let mut part = Meta::asserted(1.0);
        for m in facts {
            part = part.and(t, &m);
        }
        part
    }

    /// Two parts of one derivation combined: confidences by the t-norm, the larger depth, the
    /// later time.
    #[inline(always)]
    pub(crate) fn and(&self, t: TNorm, other: &Meta) -> Meta {
        Meta {
            conf: tnorm(t, self.conf, other.conf),
            depth: self.depth.max(other.depth),
            rule: ASSERTED,
            time: self.time.max(other.time),
        }
    }

    /// The join of two derivations found in the same round, independent of their order: the
    /// higher confidence with its rule (the smaller rule id on a tie), the smaller depth.
    #[inline]
    pub(crate) fn merge(&self, other: &Meta) -> Meta {
        let take_other =
            other.conf > self.conf || (other.conf == self.conf && other.rule < self.rule);
        let best = if take_other { other } else { self };
        Meta {
            conf: best.conf,
            rule: best.rule,
            depth: self.depth.min(other.depth),
            time: self.time.max(other.time),
        }
    }

    /// Whether, of two versions of one fact, `other` is the more complete: the higher
    /// confidence, then the smaller depth, then the later time.
    #[inline]
    pub(crate) fn beaten_by(&self, other: &Meta) -> bool {
        (other.conf, std::cmp::Reverse(other.depth), other.time)
            > (self.conf, std::cmp::Reverse(self.depth), self.time)
    }
}

/// Combines two partial confidences by a rule's t-norm.
#[inline(always)]
pub(crate) fn tnorm(t: TNorm, a: f64, b: f64) -> f64 {
    match t {
        TNorm::Product => a * b,
        TNorm::Min => a.min(b),
    }
}

/// A head expression's value as a confidence: clamped to at most 1; `None` (no fact) when it
/// is not a positive number.
pub(crate) fn clamp_confidence(x: f64) -> Option<f64> {
    if x > 0.0 { Some(x.min(1.0)) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_and_sort_like_the_confidence() {
        let mut out: Vec<u64> = Vec::new();
        Meta {
            conf: 0.375,
            depth: 7,
            rule: 3,
            time: 1_700_000_000_123,
        }
        .push(&mut out, true, true);
        assert!(out.iter().all(|&c| c <= u64::from(u32::MAX)));
        let m = Meta::read(&out, true);
        assert_eq!((m.conf, m.depth, m.rule), (0.375, 7, 3));
        assert_eq!(m.time, 1_700_000_000_123);
        assert_eq!(Meta::read(&out[..FACT_CELLS], true).time, 0);
        let cells = |x: f64| {
            let mut v: Vec<u64> = Vec::new();
            Meta::asserted(x).push(&mut v, false, false);
            v
        };
        assert!(cells(0.25) < cells(0.5) && cells(0.5) < cells(1.0));
    }

    #[test]
    fn join_keeps_the_best_of_each_component() {
        let old = Meta {
            conf: 0.5,
            depth: 2,
            rule: 1,
            time: 10,
        };
        let (j, improved) = old.join(&Meta {
            conf: 0.8,
            depth: 5,
            rule: 2,
            time: 5,
        });
        assert!(improved);
        assert_eq!((j.conf, j.depth, j.rule, j.time), (0.8, 2, 2, 10));
        let (_, improved) = j.join(&Meta {
            conf: 0.8 * (1.0 + 1e-12),
            depth: 3,
            rule: 3,
            time: 10,
        });
        assert!(!improved, "below epsilon, deeper, no later: no change");
        let (j2, improved) = j.join(&Meta {
            conf: 0.1,
            depth: 9,
            rule: 3,
            time: 11,
        });
        assert!(improved, "a later time is an improvement");
        assert_eq!((j2.conf, j2.depth, j2.time), (0.8, 2, 11));
    }
}
