//! The workloads in Crepe (each program in its own module: `crepe!` names its runtime `Crepe`).

mod tc {
    use crepe::crepe;
    crepe! {
        @input
        struct Edge(u32, u32);
        @output
        struct Path(u32, u32);
        Path(x, y) <- Edge(x, y);
        Path(x, z) <- Edge(x, y), Path(y, z);
    }

    /// Transitive closure: the `path` rows.
    pub(super) fn run(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let mut rt = Crepe::new();
        rt.extend(edges.iter().map(|&(x, y)| Edge(x, y)));
        let (path,) = rt.run();
        path.into_iter().map(|Path(x, y)| (x, y)).collect()
    }
}

mod sg {
    use crepe::crepe;
    crepe! {
        @input
        struct Parent(u32, u32);
        @output
        struct Sg(u32, u32);
        Sg(x, y) <- Parent(x, p), Parent(y, p), (x != y);
        Sg(x, y) <- Parent(x, a), Sg(a, b), Parent(y, b);
    }

    /// Same generation: the `sg` rows.
    pub(super) fn run(parent: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let mut rt = Crepe::new();
        rt.extend(parent.iter().map(|&(x, y)| Parent(x, y)));
        let (sg,) = rt.run();
        sg.into_iter().map(|Sg(x, y)| (x, y)).collect()
    }
}

mod independent {
    use super::super::{INDEPENDENT_C, INDEPENDENT_D};
    use crepe::crepe;
    crepe! {
        @input
        struct Start(i64);
        @input
        struct C(i64);
        @input
        struct D(i64);
        @input
        struct Limit(i64);
        @output
        struct A(i64);
        struct B(i64);
        B(x) <- Start(x);
        A(x) <- B(x), C(y), D(y);
        B(x + 1) <- A(x), Limit(n), (x < n);
    }

    /// The independent-body workload: the `a` rows.
    pub(super) fn run(n: i64) -> Vec<i64> {
        let mut rt = Crepe::new();
        rt.extend([Start(0)]);
        rt.extend(INDEPENDENT_C.map(C));
        rt.extend(INDEPENDENT_D.map(D));
        rt.extend([Limit(n)]);
        let (a,) = rt.run();
        a.into_iter().map(|A(x)| x).collect()
    }
}

mod el {
    crepe::crepe! {
        @input
        struct Concept(u32);
        @input
        struct Told(u32, u32);
        @input
        struct Conj(u32, u32, u32);
        @input
        struct Exr(u32, u32, u32);
        @input
        struct Exl(u32, u32, u32);
        @input
        struct Subrole(u32, u32);
        @input
        struct Chain(u32, u32, u32);
        @input
        struct Role(u32);
        struct Subroles(u32, u32);
        @output
        struct Sub(u32, u32);
        struct Rel(u32, u32, u32);
        Subroles(r, r) <- Role(r);
        Subroles(r, t) <- Subrole(r, s), Subroles(s, t);
        Sub(x, x) <- Concept(x);
        Sub(x, b) <- Sub(x, a), Told(a, b);
        Sub(x, b) <- Sub(x, a1), Sub(x, a2), Conj(a1, a2, b);
        Rel(x, r, b) <- Sub(x, a), Exr(a, r, b);
        Sub(x, b) <- Rel(x, r, y), Sub(y, a), Subroles(r, s), Exl(s, a, b);
        Rel(x, t, z) <- Rel(x, r1, y), Rel(y, r2, z), Subroles(r1, s1), Subroles(r2, s2), Chain(s1, s2, t);
    }

    /// The EL classification: the `sub` rows.
    pub(super) fn run(i: super::super::El) -> Vec<(u32, u32)> {
        let mut rt = Crepe::new();
        rt.extend(i.concept.into_iter().map(Concept));
        rt.extend(i.told.into_iter().map(|(a, b)| Told(a, b)));
        rt.extend(i.conj.into_iter().map(|(a, b, c)| Conj(a, b, c)));
        rt.extend(i.exr.into_iter().map(|(a, b, c)| Exr(a, b, c)));
        rt.extend(i.exl.into_iter().map(|(a, b, c)| Exl(a, b, c)));
        rt.extend(i.subrole.into_iter().map(|(a, b)| Subrole(a, b)));
        rt.extend(i.chain.into_iter().map(|(a, b, c)| Chain(a, b, c)));
        rt.extend(i.role.into_iter().map(Role));
        let (sub,) = rt.run();
        sub.into_iter().map(|Sub(x, a)| (x, a)).collect()
    }
}

/// The EL classification: the `sub` rows.
pub fn el(input: super::El) -> Vec<(u32, u32)> {
    el::run(input)
}

/// Transitive closure: the `path` rows.
pub fn tc(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    tc::run(edges)
}

/// Same generation: the `sg` rows.
pub fn sg(parent: &[(u32, u32)]) -> Vec<(u32, u32)> {
    sg::run(parent)
}

/// The independent-body workload: the `a` rows.
pub fn independent(n: i64) -> Vec<i64> {
    independent::run(n)
}
