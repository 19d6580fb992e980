//! Rule bodies solved over a store's in-memory tables by the one solver (`eval/solve.rs`),
//! each level probing a hash index on its bound columns (and, in a solve over the states
//! before and after a commit, the facts the commit changed as they were): the kernel of
//! incremental inference, where a handful of changed facts meet relations of millions.
//!
//! A body is solved either from one fact bound to one of its atoms (a change propagating
//! forward) or with the head bound (re-deriving one fact).

use super::table::{FactMeta, Table};
use crate::eval::emit::{HeadMeta, emit_head};
use crate::eval::expr::{Cx, Lookup, eval};
use crate::eval::meta::Meta;
use crate::eval::solve::{self as solver, Compiled, Fact, Level, Source, matches};
use crate::plan::ir::{
    AtomArg, Constraint, IrAggregate, IrAtom, IrExpr, IrRule, Plan, RelId, VarId,
};
use crate::plan::order::compile_nested;
use std::collections::HashMap;

/// A rule body compiled for a start: one atom bound to a fact, or the head bound.
#[derive(Debug)]
pub(crate) struct BodyPlan {
    /// The loop nest; its `bound` says which variables hold a value once a solution is
    /// reached (a relaxed plan leaves those of the constraints it dropped unbound).
    nest: Compiled,
}

/// Whether a rule has neither negation nor aggregates.
pub fn is_positive(rule: &IrRule) -> bool {
    rule.constraints.iter().all(is_monotone)
        && rule.head_args.iter().all(|e| !e.has_aggregate())
        && rule
            .meta
            .head_conf
            .as_ref()
            .is_none_or(|e| !e.has_aggregate())
}

/// Store tables that negations and aggregates read while a commit is maintained, and the
/// compiled bodies of the aggregates (by aggregate id).
#[derive(Clone, Copy)]
pub(crate) struct TableCx<'a> {
    /// The tables, by relation id of the plan.
    pub tables: &'a [Table],
    /// Each aggregate's body with its outer variables bound.
    pub aggregates: &'a HashMap<usize, BodyPlan>,
}

impl Lookup for TableCx<'_> {
    fn exists(&self, rel: RelId, key: &[(usize, u64)]) -> bool {
        let cols: Vec<usize> = key.iter().map(|k| k.0).collect();
        let vals: Vec<u64> = key.iter().map(|k| k.1).collect();
        let mut found = false;
        self.tables[rel].matching(&cols, &vals, |_| found = true);
        found
    }

    fn is_empty(&self, rel: RelId) -> bool {
        self.tables[rel].is_empty()
    }

    fn class_label(&self, class: RelId, member: u64) -> Option<u64> {
        class_label(&self.tables[class], member)
    }

    fn aggregate(
        &self,
        agg: usize,
        env: &mut [u64],
        cx: &mut Cx<'_>,
        on: &mut dyn FnMut(&[u64], &mut Cx<'_>),
    ) {
        let mut metas = Vec::new();
        solve(
            &self.aggregates[&agg],
            self.tables,
            None,
            env,
            &mut metas,
            cx,
            &mut |env, _, cx| on(env, cx),
        );
    }
}

/// The label of `member`'s class in a class relation's table (`member, label` rows), if it
/// is a member.
pub(crate) fn class_label(class: &Table, member: u64) -> Option<u64> {
    class_membership(class, member).map(|(label, _)| label)
}

/// The label of `member`'s class and its membership (the row's metadata), if it is a member.
pub(crate) fn class_membership(class: &Table, member: u64) -> Option<(u64, Meta)> {
    let mut out = None;
    class.matching(&[0], &[member], |r| {
        out = Some((class.cell(r, 1), to_meta(&class.meta(r))));
    });
    out
}

/// Whether a constraint is monotone: no negation and no aggregate. A relaxed solve keeps only
/// these.
fn is_monotone(c: &Constraint) -> bool {
    let no_agg = |e: &IrExpr| !e.has_aggregate();
    match c {
        Constraint::Negated { .. } => false,
        Constraint::False => true,
        Constraint::Cmp { left, right, .. } => no_agg(left) && no_agg(right),
        Constraint::Text { pattern, text, .. } => no_agg(pattern) && no_agg(text),
    }
}

/// The constraints a relaxed solve keeps: the monotone ones that can be computed from what
/// the atoms bind and the assignments kept. Dropping the others (negations, aggregates and
/// what reads them) can only add solutions, so a relaxed solve finds every derivation a fact
/// had before a change, whatever the negated and aggregated relations held then.
pub(crate) fn relax(constraints: &[Constraint], bound: &mut [bool]) -> Vec<Constraint> {
    let mut kept = vec![false; constraints.len()];
    loop {
        let mut progressed = false;
        for (i, c) in constraints.iter().enumerate() {
            if kept[i] || !is_monotone(c) {
                continue;
            }
            if let Some((v, _)) = c.assignment(bound) {
                bound[v] = true;
            } else if !c.vars().iter().all(|&v| bound[v]) {
                continue;
            }
            kept[i] = true;
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    constraints
        .iter()
        .zip(kept)
        .filter(|(_, k)| *k)
        .map(|(c, _)| c.clone())
        .collect()
}

impl BodyPlan {
    /// A plan over `atoms` and `constraints` with `start` bound on entry (relaxed: see
    /// [`relax`]).
    fn over(
        atoms: &[IrAtom],
        constraints: &[Constraint],
        n_vars: usize,
        start: &[VarId],
        relaxed: bool,
    ) -> BodyPlan {
        let relaxed_constraints;
        let constraints = if relaxed {
            let mut all = vec![false; n_vars];
            for &v in start {
                all[v] = true;
            }
            for a in atoms {
                for v in a.vars().into_iter().chain(a.meta_vars().vars()) {
                    all[v] = true;
                }
            }
            relaxed_constraints = relax(constraints, &mut all);
            &relaxed_constraints
        } else {
            constraints
        };
        let nested = compile_nested(atoms, constraints, n_vars, start);
        BodyPlan {
            nest: solver::compile(&nested, start, n_vars),
        }
    }

    /// The plan that starts from a fact bound to atom `start` of rule `ri`.
    pub(crate) fn forward(plan: &Plan, ri: usize, start: usize, relaxed: bool) -> BodyPlan {
        let rule = &plan.rules[ri];
        let (rest, start_vars) = split_start(&rule.atoms, start);
        let n = rule.var_names.len();
        BodyPlan::over(&rest, &rule.constraints, n, &start_vars, relaxed)
    }

    /// The plan that starts with `vars` of rule `ri` bound (from a negated atom's fact, or an
    /// aggregate's group).
    pub(crate) fn from_vars(plan: &Plan, ri: usize, vars: &[VarId], relaxed: bool) -> BodyPlan {
        let rule = &plan.rules[ri];
        let n = rule.var_names.len();
        BodyPlan::over(&rule.atoms, &rule.constraints, n, vars, relaxed)
    }

    /// The plan of an aggregate's body with its outer variables bound (to compute a group).
    pub(crate) fn aggregate(agg: &IrAggregate, n_vars: usize) -> BodyPlan {
        BodyPlan::over(&agg.atoms, &agg.constraints, n_vars, &agg.outer, false)
    }

    /// The relaxed plan of an aggregate's body from a fact bound to its atom `start`: its
    /// solutions bind the outer variables of every group the fact counts in.
    pub(crate) fn aggregate_from(agg: &IrAggregate, start: usize, n_vars: usize) -> BodyPlan {
        let (rest, start_vars) = split_start(&agg.atoms, start);
        BodyPlan::over(&rest, &agg.constraints, n_vars, &start_vars, true)
    }

    /// The plan that starts with the head's variables bound (to re-derive one fact).
    pub(crate) fn backward(plan: &Plan, ri: usize) -> BodyPlan {
        let rule = &plan.rules[ri];
        let head_vars: Vec<VarId> = rule
            .head_args
            .iter()
            .filter_map(|a| match a.kind {
                crate::plan::ir::IrExprKind::Var(v) => Some(v),
                _ => None,
            })
            .collect();
        let n = rule.var_names.len();
        BodyPlan::over(&rule.atoms, &rule.constraints, n, &head_vars, false)
    }

    /// The number of variables of the rule (or aggregate) the plan binds.
    pub(crate) fn n_vars(&self) -> usize {
        self.nest.bound.len()
    }

    /// The head columns [`BodyPlan::head_pattern`] knows.
    pub(crate) fn known_head_cols(&self, rule: &IrRule) -> Vec<usize> {
        (0..rule.head_args.len())
            .filter(|&c| {
                let a = &rule.head_args[c];
                let mut vs = Vec::new();
                a.vars(&mut vs);
                vs.iter().all(|&v| self.nest.bound[v]) && !a.has_aggregate()
            })
            .collect()
    }

    /// The (relation, columns) probes this plan makes, for building indexes first.
    pub(crate) fn probes(&self) -> impl Iterator<Item = (RelId, &[usize])> {
        (self.nest.levels.iter()).map(|l| (l.rel, l.key_cols.as_slice()))
    }

    /// The head a solution of this plan reaches, as far as it is known: `None` for an
    /// argument that reads a variable a relaxed plan left unbound.
    pub(crate) fn head_pattern(
        &self,
        rule: &IrRule,
        env: &[u64],
        cx: &mut Cx<'_>,
        out: &mut Vec<Option<u64>>,
    ) {
        out.clear();
        let known = self.known_head_cols(rule);
        for (c, a) in rule.head_args.iter().enumerate() {
            out.push(if known.contains(&c) {
                eval(a, env, cx)
            } else {
                None
            });
        }
    }
}

/// The atoms other than `start`, and the variables a fact bound to `start` binds (its
/// columns', confidence's and time's).
fn split_start(atoms: &[IrAtom], start: usize) -> (Vec<IrAtom>, Vec<VarId>) {
    let atom = &atoms[start];
    let vars = atom
        .vars()
        .into_iter()
        .chain(atom.meta_vars().vars())
        .collect();
    let mut rest = atoms.to_vec();
    rest.remove(start);
    (rest, vars)
}

/// Binds `key` to `atom`'s arguments in `env`: false if a constant or a repeated variable
/// does not match.
fn bind_atom(atom: &IrAtom, key: &[u64], env: &mut [u64], set: &mut [bool]) -> bool {
    for (a, &v) in atom.args.iter().zip(key) {
        match *a {
            AtomArg::Const(c) if c != v => return false,
            AtomArg::Var(x) if set[x] && env[x] != v => return false,
            AtomArg::Var(x) if set[x] => {}
            AtomArg::Var(x) => {
                env[x] = v;
                set[x] = true;
            }
            _ => {}
        }
    }
    true
}

/// A binding of `n` variables with fact `key` (metadata `meta`) bound to `atom`, its
/// confidence and time variables included; `None` if the fact does not match the atom.
pub(crate) fn bind_fact(atom: &IrAtom, key: &[u64], meta: FactMeta, n: usize) -> Option<Vec<u64>> {
    let mut env = vec![0u64; n];
    let mut set = vec![false; n];
    bind_atom(atom, key, &mut env, &mut set).then(|| {
        atom.meta_vars().bind(&mut env, meta.conf, meta.time);
        env
    })
}

/// Binds the head's variable arguments to `key`: false if a constant argument differs.
/// Arguments that are expressions are checked after solving.
pub(crate) fn bind_head(rule: &IrRule, key: &[u64], env: &mut [u64]) -> bool {
    for (a, &v) in rule.head_args.iter().zip(key) {
        match a.kind {
            crate::plan::ir::IrExprKind::Var(x) => env[x] = v,
            crate::plan::ir::IrExprKind::Const(c) if c != v => return false,
            _ => {}
        }
    }
    true
}

/// A fact a level of a store solve matched: a table's row, or a fact given by its key and
/// metadata (as it was before a commit, or as read from the mapped runs).
#[derive(Clone, Copy)]
pub enum StoreFact<'a> {
    /// Row `.1` of a table.
    Row(&'a Table, usize),
    /// A fact's key and metadata.
    Given(&'a [u64], FactMeta),
}

impl StoreFact<'_> {
    /// The fact's metadata in the store's form.
    fn fact_meta(&self) -> FactMeta {
        match *self {
            StoreFact::Row(t, r) => t.meta(r),
            StoreFact::Given(_, m) => m,
        }
    }
}

impl Fact for StoreFact<'_> {
    #[inline]
    fn cell(&self, col: usize) -> u64 {
        match *self {
            StoreFact::Row(t, r) => t.cell(r, col),
            StoreFact::Given(k, _) => k[col],
        }
    }
    fn meta(&self) -> Meta {
        to_meta(&self.fact_meta())
    }
}

/// A store's tables as the solver's source, with the facts a commit removed or changed
/// when a solve is over the old and new states together.
struct Tables<'a> {
    tables: &'a [Table],
    ghosts: Option<&'a Ghosts>,
}

impl<'a> Source<'a> for Tables<'a> {
    type Fact = StoreFact<'a>;

    fn probe(&self, _: usize, l: &Level, key: &[u64], mut f: impl FnMut(StoreFact<'a>) -> bool) {
        let table = &self.tables[l.rel];
        let mut go = true;
        table.matching_while(&l.key_cols, key, |row| {
            go = f(StoreFact::Row(table, row));
            go
        });
        for (k, m) in self.ghosts.map_or(&[][..], |g| &g[l.rel]) {
            let ghost = StoreFact::Given(k, *m);
            if go && matches(ghost, &l.key_cols, key) {
                go = f(ghost);
            }
        }
    }
}

/// Facts given as keys and metadata, as the source of a one-atom body (a query answered from
/// the mapped runs).
pub struct Given<'a>(pub &'a [(Vec<u64>, FactMeta)]);

impl<'a> Source<'a> for Given<'a> {
    type Fact = StoreFact<'a>;

    fn probe(&self, _: usize, l: &Level, key: &[u64], mut f: impl FnMut(StoreFact<'a>) -> bool) {
        for (k, m) in self.0 {
            let fact = StoreFact::Given(k, *m);
            if matches(fact, &l.key_cols, key) && !f(fact) {
                return;
            }
        }
    }
}

/// What a solution callback gets: the binding, the matched facts' metadata (the start
/// fact first, for a forward plan), and the evaluation context.
pub(crate) type OnSolution<'f> = dyn FnMut(&[u64], &[FactMeta], &mut Cx<'_>) + 'f;

/// Facts a commit removed or changed, as they were, per relation: a solve over the old and
/// new states together also matches these.
pub(crate) type Ghosts = [Vec<(Vec<u64>, FactMeta)>];

/// Calls `f` for every solution of the plan from the binding in `env`. `metas` holds the
/// metadata of facts already matched (the start fact). With `ghosts`, atoms also match the
/// facts as they were before the commit (a solve over the union of both states).
pub(crate) fn solve(
    plan: &BodyPlan,
    tables: &[Table],
    ghosts: Option<&Ghosts>,
    env: &mut [u64],
    metas: &mut Vec<FactMeta>,
    cx: &mut Cx<'_>,
    f: &mut OnSolution<'_>,
) {
    let start = metas.len();
    let source = Tables { tables, ghosts };
    solver::solve(&plan.nest, &source, env, cx, &mut |env, facts, cx| {
        metas.truncate(start);
        metas.extend(facts.iter().map(StoreFact::fact_meta));
        f(env, metas, cx);
    });
    metas.truncate(start);
}

/// A solution's head fact and its metadata, or `None` when the head is undefined or the
/// derivation is ruled out (depth bound, confidence threshold, forgetting policy).
pub(crate) fn derive(
    plan: &Plan,
    ri: usize,
    env: &[u64],
    metas: &[FactMeta],
    cx: &mut Cx<'_>,
    key: &mut Vec<u64>,
) -> Option<FactMeta> {
    let rule = &plan.rules[ri];
    key.clear();
    if !emit_head(&rule.head_args, env, cx, key) {
        return None;
    }
    if rule.head_args.is_empty() {
        key.clear();
    }
    let part = Meta::body(rule.meta.tnorm, metas.iter().map(to_meta));
    let head = HeadMeta::of(plan, ri);
    head.derive(part, env, cx).map(|m| FactMeta {
        conf: m.conf,
        time: m.time,
        depth: m.depth,
        rule: m.rule,
    })
}

/// A store fact's metadata in the evaluator's form.
pub fn to_meta(m: &FactMeta) -> Meta {
    Meta {
        conf: m.conf,
        depth: m.depth,
        rule: m.rule,
        time: m.time,
    }
}

/// The evaluator's metadata in the store's form.
pub(crate) fn from_meta(m: &Meta) -> FactMeta {
    FactMeta {
        conf: m.conf,
        time: m.time,
        depth: m.depth,
        rule: m.rule,
    }
}
