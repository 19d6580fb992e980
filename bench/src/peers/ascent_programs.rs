//! The workloads in Ascent.

use super::{INDEPENDENT_C, INDEPENDENT_D};
use ascent::ascent;

ascent! {
    struct Tc;
    relation edge(u32, u32);
    relation path(u32, u32);
    path(x, y) <-- edge(x, y);
    path(x, z) <-- edge(x, y), path(y, z);
}

ascent! {
    struct Sg;
    relation parent(u32, u32);
    relation sg(u32, u32);
    sg(x, y) <-- parent(x, p), parent(y, p), if x != y;
    sg(x, y) <-- parent(x, a), sg(a, b), parent(y, b);
}

ascent! {
    struct Independent;
    relation a(i64);
    relation b(i64);
    relation c(i64);
    relation d(i64);
    relation limit(i64);
    a(x) <-- b(x), c(y), d(y);
    b(x + 1) <-- a(x), limit(n), if x < n;
}

/// Transitive closure: the `path` rows.
pub fn tc(edges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut p = Tc {
        edge: edges,
        ..Default::default()
    };
    p.run();
    p.path
}

/// Same generation: the `sg` rows.
pub fn sg(parent: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut p = Sg {
        parent,
        ..Default::default()
    };
    p.run();
    p.sg
}

/// The independent-body workload: the `a` rows.
pub fn independent(n: i64) -> Vec<i64> {
    let mut p = Independent {
        b: vec![(0,)],
        c: INDEPENDENT_C.map(|y| (y,)).collect(),
        d: INDEPENDENT_D.map(|y| (y,)).collect(),
        limit: vec![(n,)],
        ..Default::default()
    };
    p.run();
    p.a.into_iter().map(|(x,)| x).collect()
}

ascent! {
    struct El;
    relation concept(u32);
    relation told(u32, u32);
    relation conj(u32, u32, u32);
    relation exr(u32, u32, u32);
    relation exl(u32, u32, u32);
    relation subrole(u32, u32);
    relation chain(u32, u32, u32);
    relation role(u32);
    relation subroles(u32, u32);
    relation sub(u32, u32);
    relation rel(u32, u32, u32);
    subroles(r, r) <-- role(r);
    subroles(r, t) <-- subrole(r, s), subroles(s, t);
    sub(x, x) <-- concept(x);
    sub(x, b) <-- sub(x, a), told(a, b);
    sub(x, b) <-- sub(x, a1), sub(x, a2), conj(a1, a2, b);
    rel(x, r, b) <-- sub(x, a), exr(a, r, b);
    sub(x, b) <-- rel(x, r, y), sub(y, a), subroles(r, s), exl(s, a, b);
    rel(x, t, z) <-- rel(x, r1, y), rel(y, r2, z), subroles(r1, s1), subroles(r2, s2), chain(s1, s2, t);
}

/// The EL classification: the `sub` rows.
pub fn el(input: super::El) -> Vec<(u32, u32)> {
    let mut p = El {
        concept: input.concept.into_iter().map(|c| (c,)).collect(),
        told: input.told,
        conj: input.conj,
        exr: input.exr,
        exl: input.exl,
        subrole: input.subrole,
        chain: input.chain,
        role: input.role.into_iter().map(|r| (r,)).collect(),
        ..Default::default()
    };
    p.run();
    p.sub
}
