//! The classes of an equivalence relation: a union-find over its pairs, flattened into its
//! class relation (one row per member: the member and its class's label), and every pair of
//! every class when a user asks for the whole relation (`.output`, a library view).
//!
//! A class's label is its smallest member by value (symbols by text), so it does not depend on
//! the order facts arrive in or on symbol ids. A member's confidence is that of its best
//! path to the label (the max-product over the eqrel's pairs, found by Dijkstra); the
//! confidence of the pair `e(a, b)` is `c(a) * c(b)` (both belong to the class; `c(a)²` for
//! `e(a, a)`), the same whether a rule reads the pair or a user lists it. A membership's
//! depth is the largest depth among the pairs on that path (of paths with the same
//! confidence, the one where it is smallest), its time the latest time among the class's
//! pairs.

use super::meta::{EQUIVALENCE, Meta};
use super::{Mode, Rows};
use crate::value::{self, ColumnType, Interner};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// The classes of an eqrel's pairs.
pub struct Classes {
    /// Every member, sorted by encoded value.
    members: Vec<u64>,
    /// Per member: the index of its class's label.
    label: Vec<u32>,
    /// Per member: its membership's confidence, depth and time.
    meta: Vec<Meta>,
    /// Per member: the member before it on its best path from the label and the row of the
    /// pair that links them (`None` for a label).
    via: Vec<Option<(u32, u32)>>,
}

impl Classes {
    /// The classes of `pairs` (rows of an eqrel, any order) whose values have type `ty`.
    pub(crate) fn build(pairs: &Rows, ty: ColumnType, interner: &Interner) -> Classes {
        let n_rows = pairs.len();
        let mut members: Vec<u64> = Vec::with_capacity(n_rows * 2);
        for i in 0..n_rows {
            members.extend_from_slice(&pairs.row(i)[..2]);
        }
        members.sort_unstable();
        members.dedup();
        let n = members.len();
        let index = |v: u64| members.binary_search(&v).expect("a member") as u32;
        let ends: Vec<(u32, u32)> = (0..n_rows)
            .map(|i| (index(pairs.row(i)[0]), index(pairs.row(i)[1])))
            .collect();
        let (root, label) = labels(&members, &ends, ty, interner);
        let (start, adj) = adjacency(n, &ends);
        let mut class_time = vec![i64::MIN; n];
        for (row, &(a, _)) in ends.iter().enumerate() {
            let t = &mut class_time[root[a as usize] as usize];
            *t = (*t).max(pairs.meta(row).time);
        }
        let (conf, depth, via) = best_paths(pairs, &label, &start, &adj);
        let meta = (0..n)
            .map(|m| Meta {
                conf: conf[m],
                depth: depth[m],
                rule: EQUIVALENCE,
                time: class_time[root[m] as usize].max(0),
            })
            .collect();
        Classes {
            members,
            label,
            meta,
            via,
        }
    }

    /// The class relation's rows: `member, label` per member, sorted.
    pub(crate) fn rows(&self, mode: Mode) -> Rows {
        let mut out = Rows::empty(2, mode);
        for (m, &v) in self.members.iter().enumerate() {
            out.data.push(v);
            out.data.push(self.members[self.label[m] as usize]);
            if mode.meta {
                self.meta[m].push(&mut out.data, true, mode.time);
            }
        }
        out
    }

    /// Every pair of every class, sorted: the eqrel as Soufflé writes it.
    pub(crate) fn pairs(&self, mode: Mode) -> Rows {
        let n = self.members.len();
        // Members of each class in ascending order, classes keyed by label.
        let mut by_label: Vec<u32> = (0..n as u32).collect();
        by_label.sort_by_key(|&m| (self.label[m as usize], m));
        let mut class_start = vec![0usize; n];
        let mut class_len = vec![0usize; n];
        let mut i = 0;
        while i < n {
            let l = self.label[by_label[i] as usize] as usize;
            let mut j = i;
            while j < n && self.label[by_label[j] as usize] as usize == l {
                j += 1;
            }
            class_start[l] = i;
            class_len[l] = j - i;
            i = j;
        }
        let mut out = Rows::empty(2, mode);
        for a in 0..n {
            let l = self.label[a] as usize;
            for &b in &by_label[class_start[l]..class_start[l] + class_len[l]] {
                out.data.push(self.members[a]);
                out.data.push(self.members[b as usize]);
                if mode.meta {
                    self.pair_meta(a, b as usize)
                        .push(&mut out.data, true, mode.time);
                }
            }
        }
        out
    }

    /// How many pairs the classes hold (the sum of the squares of their sizes).
    pub(crate) fn pair_count(&self) -> usize {
        let mut size = vec![0usize; self.members.len()];
        for &l in &self.label {
            size[l as usize] += 1;
        }
        size.iter().map(|s| s * s).sum()
    }

    /// The metadata of `e(a, b)`: both memberships.
    fn pair_meta(&self, a: usize, b: usize) -> Meta {
        let (x, y) = (self.meta[a], self.meta[b]);
        Meta {
            conf: x.conf * y.conf,
            depth: x.depth.max(y.depth),
            rule: EQUIVALENCE,
            time: x.time.max(y.time),
        }
    }

    fn position(&self, v: u64) -> Option<usize> {
        self.members.binary_search(&v).ok()
    }

    /// The label of `v`'s class and `v`'s membership, if `v` is a member.
    pub(crate) fn canonical(&self, v: u64) -> Option<(u64, Meta)> {
        let m = self.position(v)?;
        Some((self.members[self.label[m] as usize], self.meta[m]))
    }

    /// Whether both have the same members with the same membership times. Times only grow
    /// (each is the latest of some facts' times), so passes that compare them end.
    pub(crate) fn same_times(&self, other: &Classes) -> bool {
        self.members == other.members
            && (self.meta.iter().zip(&other.meta)).all(|(a, b)| a.time == b.time)
    }

    /// The members, sorted, whose label or membership differs from what they had in `old`
    /// (or that only one of the two holds).
    pub(crate) fn moved_since(&self, old: &Classes) -> Vec<u64> {
        let mut out: Vec<u64> = (self.members.iter().chain(&old.members))
            .copied()
            .filter(|&v| self.canonical(v) != old.canonical(v))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The metadata of `e(a, b)` when `a` and `b` are in one class.
    pub(crate) fn same(&self, a: u64, b: u64) -> Option<Meta> {
        let (i, j) = (self.position(a)?, self.position(b)?);
        (self.label[i] == self.label[j]).then(|| self.pair_meta(i, j))
    }

    /// The rows of the pairs on the best paths from `a` and from `b` to their label, each
    /// once, in path order: the premises of `e(a, b)`.
    pub(crate) fn path(&self, a: u64, b: u64) -> Vec<usize> {
        let mut rows = Vec::new();
        for v in [a, b] {
            let Some(mut m) = self.position(v) else {
                continue;
            };
            while let Some((prev, row)) = self.via[m] {
                if !rows.contains(&(row as usize)) {
                    rows.push(row as usize);
                }
                m = prev as usize;
            }
        }
        rows
    }
}

/// Disjoint sets over `0..n`: union by size, path halving.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// Whether two class relations hold the same classes with the same memberships (confidences
/// equal up to the lattice's precision): a recursive stratum over an eqrel is at its fixpoint.
pub(crate) fn same_classes(old: &Rows, new: &Rows) -> bool {
    old.len() == new.len()
        && (0..old.len()).all(|i| {
            old.row(i) == new.row(i)
                && new.meta(i).conf <= old.meta(i).conf * (1.0 + super::meta::EPSILON)
        })
}

/// Each member's class (its union-find root) and label: the class's smallest member by value.
fn labels(
    members: &[u64],
    ends: &[(u32, u32)],
    ty: ColumnType,
    interner: &Interner,
) -> (Vec<u32>, Vec<u32>) {
    let n = members.len();
    let mut sets = UnionFind::new(n);
    for &(a, b) in ends {
        sets.union(a, b);
    }
    let root: Vec<u32> = (0..n as u32).map(|m| sets.find(m)).collect();
    let mut label_of_root = vec![u32::MAX; n];
    for m in 0..n {
        let slot = &mut label_of_root[root[m] as usize];
        if *slot == u32::MAX
            || value::compare_unranked(ty, members[m], members[*slot as usize], interner)
                == Ordering::Less
        {
            *slot = m as u32;
        }
    }
    let label = root.iter().map(|&r| label_of_root[r as usize]).collect();
    (root, label)
}

/// The pairs as adjacency in compressed rows: (neighbour, pair row) per member, member `m`'s
/// from `start[m]` to `start[m + 1]`.
fn adjacency(n: usize, ends: &[(u32, u32)]) -> (Vec<u32>, Vec<(u32, u32)>) {
    let mut start = vec![0u32; n + 1];
    for &(a, b) in ends {
        start[a as usize + 1] += 1;
        if a != b {
            start[b as usize + 1] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![(0u32, 0u32); start[n] as usize];
    for (row, &(a, b)) in ends.iter().enumerate() {
        adj[fill[a as usize] as usize] = (b, row as u32);
        fill[a as usize] += 1;
        if a != b {
            adj[fill[b as usize] as usize] = (a, row as u32);
            fill[b as usize] += 1;
        }
    }
    (start, adj)
}

/// Each member's best path from its label: its confidence, its depth, and the member and pair
/// it is reached by.
type Paths = (Vec<f64>, Vec<u32>, Vec<Option<(u32, u32)>>);

/// Each member's best path from its label.
fn best_paths(pairs: &Rows, label: &[u32], start: &[u32], adj: &[(u32, u32)]) -> Paths {
    let n = label.len();
    // Best paths from each label: max-product Dijkstra, and of paths with the same product
    // the one whose deepest pair is shallowest, so that a tie does not resolve by symbol ids
    // or row order (extending two paths by one pair keeps their order, so Dijkstra holds).
    // Confidences are positive, so their bits order like the numbers.
    let mut conf = vec![0.0f64; n];
    let mut depth = vec![0u32; n];
    let mut via: Vec<Option<(u32, u32)>> = vec![None; n];
    let mut heap = BinaryHeap::new();
    for m in 0..n {
        if label[m] == m as u32 {
            conf[m] = 1.0;
            heap.push((1.0f64.to_bits(), Reverse(0u32), Reverse(m as u32)));
        }
    }
    while let Some((bits, Reverse(d), Reverse(m))) = heap.pop() {
        let c = f64::from_bits(bits);
        if c < conf[m as usize] || (c == conf[m as usize] && d > depth[m as usize]) {
            continue;
        }
        let (lo, hi) = (start[m as usize] as usize, start[m as usize + 1] as usize);
        for &(w, row) in &adj[lo..hi] {
            let pm = pairs.meta(row as usize);
            let next = c * pm.conf;
            let next_depth = d.max(pm.depth);
            let w_ = w as usize;
            if next > conf[w_] || (next == conf[w_] && next_depth < depth[w_]) {
                conf[w_] = next;
                depth[w_] = next_depth;
                via[w_] = Some((m, row));
                heap.push((next.to_bits(), Reverse(next_depth), Reverse(w)));
            }
        }
    }
    (conf, depth, via)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Program;

    /// One chain of 3,001 aliases is 3,001 memberships, not 9,006,001 pairs (issue 9: the
    /// closure used to be materialised).
    #[test]
    fn a_chain_of_aliases_is_one_class_of_members_not_pairs() {
        let mut src = String::from(
            ".decl eq(x: number, y: number) eqrel\n.decl first(x: number)\n\
             first(x) :- eq(0, x).\n",
        );
        for i in 0..3000 {
            src.push_str(&format!("eq({i}, {}).\n", i + 1));
        }
        let program = Program::compile(&src, "chain.dl").expect("compiles");
        let db = program.evaluate(&Default::default()).expect("evaluates");
        let stored = |name: &str| db.rows[db.plan.rel_index[name]].as_ref().unwrap().len();
        assert_eq!(stored("eq"), 3000);
        assert_eq!(stored("eq@class"), 3001);
        assert_eq!(db.relation("first").unwrap().len(), 3001);
        let eq = db.relation("eq").unwrap();
        assert_eq!(eq.len(), 3001 * 3001);
        assert!(
            db.closures[db.plan.rel_index["eq"]].get().is_none(),
            "counting the pairs lists none"
        );
        assert!(eq.contains(&[crate::Value::Number(3000), crate::Value::Number(0)]));
    }

    #[test]
    fn labels_are_the_smallest_member_by_text_and_confidences_follow_best_paths() {
        let program = Program::compile(
            r#"
            .decl same(x: symbol, y: symbol) eqrel
            same("b", "c") @ 0.5. same("c", "a") @ 0.5. same("b", "a") @ 0.9.
            "#,
            "labels.dl",
        )
        .expect("compiles");
        let db = program.evaluate(&Default::default()).expect("evaluates");
        let classes = db.classes(db.plan.rel_index["same"]);
        let rows = classes.rows(Mode {
            meta: true,
            time: false,
            best_first: false,
        });
        let sym = |s: &str| u64::from(db.interner.get(s).expect("interned").id());
        let member = |s: &str| {
            let i = rows.find(&[sym(s)]).expect("a member");
            (rows.row(i)[1], rows.meta(i).conf)
        };
        assert_eq!(member("a"), (sym("a"), 1.0));
        // b: directly 0.9 (not 0.25 through c); c: 0.5 directly.
        assert_eq!(member("b"), (sym("a"), 0.9));
        assert_eq!(member("c"), (sym("a"), 0.5));
        assert_eq!(classes.path(sym("b"), sym("c")).len(), 2);
    }

    /// Of two paths to the label with the same confidence, the membership takes the one whose
    /// deepest pair is shallowest, whatever order the symbols were interned in (a store that
    /// interned them as facts arrived used to disagree with one built from scratch).
    #[test]
    fn a_tie_in_confidence_goes_to_the_shallower_path_whatever_the_symbol_ids() {
        let rules = r#"
            .decl same(x: symbol, y: symbol) eqrel
            .decl shallow(x: symbol, y: symbol)
            .decl base(x: symbol, y: symbol)
            .decl deep(x: symbol, y: symbol)
            same(x, y) :- shallow(x, y).
            deep(x, y) :- base(x, y).
            same(x, y) :- deep(x, y).
            "#;
        for facts in [
            r#"base("a", "d"). shallow("a", "z"). shallow("z", "d")."#,
            r#"shallow("z", "d"). shallow("a", "z"). base("d", "a")."#,
        ] {
            let program = Program::compile(&format!("{rules}{facts}"), "tie.dl").expect("compiles");
            let db = program.evaluate(&Default::default()).expect("evaluates");
            let rows = db.classes(db.plan.rel_index["same"]).rows(Mode {
                meta: true,
                time: false,
                best_first: false,
            });
            let d = u64::from(db.interner.get("d").expect("interned").id());
            let i = rows.find(&[d]).expect("a member");
            assert_eq!((rows.meta(i).conf, rows.meta(i).depth), (1.0, 1), "{facts}");
        }
    }
}
