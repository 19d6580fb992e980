//! The workloads written by hand for datafrog: each rule a merge join or a map over variables.

use super::{INDEPENDENT_C, INDEPENDENT_D};
use datafrog::{Iteration, Relation};

/// Transitive closure: the `path` rows.
pub fn tc(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut iteration = Iteration::new();
    let edge_by_dst: Relation<(u32, u32)> = edges.iter().map(|&(x, y)| (y, x)).collect();
    let path = iteration.variable::<(u32, u32)>("path");
    // path(x, y) :- edge(x, y).
    path.extend(edges.iter().copied());
    while iteration.changed() {
        // path(x, z) :- edge(x, y), path(y, z).
        path.from_join(&path, &edge_by_dst, |_y, &z, &x| (x, z));
    }
    path.complete().elements
}

/// Same generation over `parent(child, parent)`: the `sg` rows.
pub fn sg(parent: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut iteration = Iteration::new();
    let by_parent: Relation<(u32, u32)> = parent.iter().map(|&(c, p)| (p, c)).collect();
    let sg = iteration.variable::<(u32, u32)>("sg");
    let t = iteration.variable::<(u32, u32)>("t");
    // sg(x, y) :- parent(x, p), parent(y, p), x != y.
    let mut first = Relation::from_join(&by_parent, &by_parent, |_p, &x, &y| (x, y));
    first.elements.retain(|&(x, y)| x != y);
    sg.insert(first);
    while iteration.changed() {
        // t(b, x) :- parent(x, a), sg(a, b).
        t.from_join(&sg, &by_parent, |_a, &b, &x| (b, x));
        // sg(x, y) :- t(b, x), parent(y, b).
        sg.from_join(&t, &by_parent, |_b, &x, &y| (x, y));
    }
    sg.complete().elements
}

/// `a(x) :- b(x), c(y), d(y).` and `b(x + 1) :- a(x), x < n.` from `b(0)`: the `a` rows.
/// `c(y), d(y)` shares no variable with the rest of the rule, so it is checked once.
pub fn independent(n: i64) -> Vec<i64> {
    let holds = INDEPENDENT_C.clone().any(|y| INDEPENDENT_D.contains(&y));
    let mut iteration = Iteration::new();
    let a = iteration.variable::<(i64, ())>("a");
    let b = iteration.variable::<(i64, ())>("b");
    b.extend([(0, ())]);
    while iteration.changed() {
        if holds {
            // a(x) :- b(x), c(y), d(y).
            a.from_map(&b, |&(x, ())| (x, ()));
        }
        // b(x + 1) :- a(x), x < n.
        let next: Vec<(i64, ())> = a
            .recent
            .borrow()
            .iter()
            .filter(|&&(x, ())| x < n)
            .map(|&(x, ())| (x + 1, ()))
            .collect();
        b.insert(next.into());
    }
    a.complete().iter().map(|&(x, ())| x).collect()
}
