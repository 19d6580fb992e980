//! The one solver of rule bodies (`docs/join-engine.md`): a loop nest, one atom per level,
//! each level probing its rows with the columns bound so far. No partial match is ever
//! stored.
//!
//! What varies between callers is only where a level's rows come from, behind [`Source`]:
//! the tables of a stratum being evaluated (`loops.rs`), completed relations sorted on the
//! probed columns (`completed.rs`: aggregates, negation, queries, noisy-or, explain), and a
//! store's tables with the facts a commit changed (`store/solve.rs`: incremental
//! maintenance).

use super::expr::{Cx, run_ops};
use super::meta::Meta;
use super::range::{self, Bindings};
use crate::plan::ir::{AtomArg, MetaVars, RelId, VarId};
use crate::plan::order::{NestedPlan, Op};

/// Probe keys of up to this many columns are built without allocating (the buffer is
/// zeroed at every level entered: a bigger one costs every probe).
const INLINE_KEY: usize = 8;

/// Where a key column's value comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum KeySrc {
    /// A constant of the atom.
    Const(u64),
    /// A variable bound before the level.
    Var(VarId),
}

/// One level of a loop nest: an atom, the columns it is probed on, and what its rows bind.
#[derive(Debug)]
pub struct Level {
    /// The atom's relation.
    pub(crate) rel: RelId,
    /// The columns bound on entry (by constants or variables bound before), in column order.
    pub(crate) key_cols: Vec<usize>,
    /// Where each key column's value comes from.
    pub(crate) key_src: Vec<KeySrc>,
    /// Columns that bind a variable (its first occurrence in the atom).
    pub(crate) binds: Vec<(usize, VarId)>,
    /// Pairs of columns that must hold the same value (a variable repeated in the atom, the
    /// first column binding it).
    pub(crate) same: Vec<(usize, usize)>,
    /// `@ c`, `~ t`: the variables bound to the matched fact's confidence and time.
    pub(crate) meta: MetaVars,
    /// Whether `meta` binds a variable.
    binds_meta: bool,
    /// Assignments and checks that run once the level is bound.
    pub(crate) ops: Vec<Op>,
    /// Whether `ops` make several bindings (a `range`).
    generates: bool,
}

/// A body compiled into a loop nest.
#[derive(Debug)]
pub struct Compiled {
    /// Ops that run before the first level.
    pub(crate) pre: Vec<Op>,
    /// The levels, outermost first.
    pub(crate) levels: Vec<Level>,
    /// Which variables hold a value once every level is bound.
    pub(crate) bound: Vec<bool>,
}

/// Works out, level by level, which columns are bound (the probe key) and which bind, for
/// a nested plan entered with `start` bound.
pub fn compile(plan: &NestedPlan, start: &[VarId], n_vars: usize) -> Compiled {
    let mut bound = vec![false; n_vars];
    for &v in start {
        bound[v] = true;
    }
    assigns(&plan.pre, &mut bound);
    let mut levels = Vec::new();
    for (atom, ops) in &plan.levels {
        let (mut key_cols, mut key_src) = (Vec::new(), Vec::new());
        let (mut binds, mut same) = (Vec::new(), Vec::new());
        for (col, a) in atom.args.iter().enumerate() {
            match *a {
                AtomArg::Const(c) => {
                    key_cols.push(col);
                    key_src.push(KeySrc::Const(c));
                }
                AtomArg::Var(v) if bound[v] => {
                    key_cols.push(col);
                    key_src.push(KeySrc::Var(v));
                }
                AtomArg::Var(v) => match binds.iter().find(|&&(_, b)| b == v) {
                    Some(&(first, _)) => same.push((first, col)),
                    None => binds.push((col, v)),
                },
                AtomArg::Wild => {}
            }
        }
        for &(_, v) in &binds {
            bound[v] = true;
        }
        for v in atom.meta_vars().vars() {
            bound[v] = true;
        }
        assigns(ops, &mut bound);
        levels.push(Level {
            rel: atom.rel,
            key_cols,
            key_src,
            binds,
            same,
            meta: atom.meta_vars(),
            binds_meta: !atom.meta_vars().is_empty(),
            ops: ops.clone(),
            generates: range::generates(ops),
        });
    }
    Compiled {
        pre: plan.pre.clone(),
        levels,
        bound,
    }
}

/// Marks the variables `ops` assign as bound.
fn assigns(ops: &[Op], bound: &mut [bool]) {
    for op in ops {
        if let Op::Assign(v, _) = op {
            bound[*v] = true;
        }
    }
}

/// A fact a level matched.
pub trait Fact: Copy {
    /// The value of column `col`.
    fn cell(&self, col: usize) -> u64;
    /// The fact's confidence, time, depth and rule (read only by levels that bind `@` or `~`
    /// variables, and by callers that propagate confidence).
    fn meta(&self) -> Meta;
}

/// A relation's row in column order, with no metadata (asserted, confidence 1).
impl Fact for &[u64] {
    #[inline]
    fn cell(&self, col: usize) -> u64 {
        self[col]
    }
    fn meta(&self) -> Meta {
        Meta::asserted(1.0)
    }
}

/// Where each level's rows come from. Facts live as long as `'a`.
pub trait Source<'a> {
    /// A matched fact.
    type Fact: Fact + 'a;

    /// Calls `f` with each fact of level `depth` (over `level.rel`) whose columns
    /// `level.key_cols` hold `key`, until `f` returns false.
    fn probe(&self, depth: usize, level: &Level, key: &[u64], f: impl FnMut(Self::Fact) -> bool);
}

/// Calls `f` for every solution of `plan` over `source`, with `env` holding the binding (the
/// variables bound on entry set) and the facts matched, one per level. A callback that sets
/// `cx.stop` ends the solve.
pub fn solve<'a, S: Source<'a>>(
    plan: &Compiled,
    source: &S,
    env: &mut [u64],
    cx: &mut Cx<'_>,
    f: &mut impl FnMut(&[u64], &[S::Fact], &mut Cx<'_>),
) {
    run(plan, source, true, env, cx, f);
}

/// [`solve`] for a caller that needs only the bindings: `f` gets no facts (the matched
/// facts are not kept, which the loops of a stratum without provenance save).
pub(crate) fn solve_bindings<'a, S: Source<'a>>(
    plan: &Compiled,
    source: &S,
    env: &mut [u64],
    cx: &mut Cx<'_>,
    f: &mut impl FnMut(&[u64], &mut Cx<'_>),
) {
    run(plan, source, false, env, cx, &mut |env, _, cx| f(env, cx));
}

fn run<'a, S: Source<'a>>(
    plan: &Compiled,
    source: &S,
    record: bool,
    env: &mut [u64],
    cx: &mut Cx<'_>,
    f: &mut impl FnMut(&[u64], &[S::Fact], &mut Cx<'_>),
) {
    let mut nest = Nest {
        plan,
        source,
        f,
        record,
        facts: Vec::with_capacity(plan.levels.len()),
        until_pulse: crate::limits::PULSE,
    };
    if !range::generates(&plan.pre) {
        if run_ops(&plan.pre, env, cx) {
            nest.level(0, env, cx);
        }
    } else {
        let mut pre = Bindings::new(&plan.pre);
        while !cx.stop && pre.next(env, cx) {
            nest.level(0, env, cx);
        }
    }
    cx.stop = false;
}

/// A solve in progress.
struct Nest<'p, 'a, S: Source<'a>, F> {
    plan: &'p Compiled,
    source: &'p S,
    f: &'p mut F,
    /// Whether the facts matched are kept for `f`.
    record: bool,
    /// The facts of the levels bound so far.
    facts: Vec<S::Fact>,
    /// Solutions until the next check of the limits ([`crate::limits::pulse`]).
    until_pulse: u32,
}

impl<'a, S, F> Nest<'_, 'a, S, F>
where
    S: Source<'a>,
    F: FnMut(&[u64], &[S::Fact], &mut Cx<'_>),
{
    /// The solutions of levels `depth..` under `env`.
    fn level(&mut self, depth: usize, env: &mut [u64], cx: &mut Cx<'_>) {
        let plan = self.plan;
        let Some(level) = plan.levels.get(depth) else {
            (self.f)(env, &self.facts, cx);
            self.until_pulse -= 1;
            if self.until_pulse == 0 {
                self.until_pulse = crate::limits::PULSE;
                // A limit passed inside the round: this solve stops (`run` clears `stop`
                // for the next one, whose first pulse stops it too).
                cx.stop |= crate::limits::pulse(0);
            }
            return;
        };
        let value = |s: &KeySrc| match *s {
            KeySrc::Const(c) => c,
            KeySrc::Var(x) => env[x],
        };
        let mut inline = [0u64; INLINE_KEY];
        let wide: Vec<u64>;
        let key: &[u64] = match inline.get_mut(..level.key_src.len()) {
            Some(k) => {
                for (k, s) in k.iter_mut().zip(&level.key_src) {
                    *k = value(s);
                }
                k
            }
            None => {
                wide = level.key_src.iter().map(value).collect();
                &wide
            }
        };
        let source = self.source;
        source.probe(depth, level, key, |fact| {
            if level
                .same
                .iter()
                .any(|&(a, b)| fact.cell(a) != fact.cell(b))
            {
                return true;
            }
            for &(col, x) in &level.binds {
                env[x] = fact.cell(col);
            }
            if level.binds_meta {
                let m = fact.meta();
                level.meta.bind(env, m.conf, m.time);
            }
            if level.generates {
                let mut each = Bindings::new(&level.ops);
                while !cx.stop && each.next(env, cx) {
                    self.deeper(depth, fact, env, cx);
                }
            } else if run_ops(&level.ops, env, cx) {
                self.deeper(depth, fact, env, cx);
            }
            !cx.stop
        });
    }
}

impl<'a, S, F> Nest<'_, 'a, S, F>
where
    S: Source<'a>,
    F: FnMut(&[u64], &[S::Fact], &mut Cx<'_>),
{
    /// The solutions of levels after `depth`, with `fact` matched at `depth`.
    fn deeper(&mut self, depth: usize, fact: S::Fact, env: &mut [u64], cx: &mut Cx<'_>) {
        if self.record {
            self.facts.push(fact);
        }
        self.level(depth + 1, env, cx);
        if self.record {
            self.facts.pop();
        }
    }
}

/// Whether `row`'s columns `cols` hold `key` (a probe's check of a hashed or scanned row).
#[inline]
pub(crate) fn matches(row: impl Fact, cols: &[usize], key: &[u64]) -> bool {
    cols.iter().zip(key).all(|(&c, &k)| row.cell(c) == k)
}
