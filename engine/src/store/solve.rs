//! Rule bodies solved by nested loops over in-memory tables, probing hash indexes on the bound
//! columns: the kernel of incremental inference, where a handful of changed facts meet
//! relations of millions.
//!
//! A body is solved either from one fact bound to one of its atoms (a change propagating
//! forward) or with the head bound (re-deriving one fact).

use super::table::{FactMeta, Table};
use crate::eval::emit::{HeadMeta, emit_head};
use crate::eval::expr::{Cx, run_ops};
use crate::eval::meta::Meta;
use crate::plan::ir::MetaVars;
use crate::plan::ir::{AtomArg, Constraint, IrAtom, IrExpr, IrRule, Plan, RelId, VarId};
use crate::plan::order::{Op, compile_nested};

/// Where a probe key's value comes from.
#[derive(Clone, Copy, Debug)]
enum Src {
    Const(u64),
    Var(VarId),
}

/// One atom of a nested plan: probe `key_cols`, then bind and check the other columns.
#[derive(Debug)]
struct Level {
    rel: RelId,
    key_cols: Vec<usize>,
    key_src: Vec<Src>,
    /// Columns that bind a variable (its first occurrence in the atom).
    binds: Vec<(usize, VarId)>,
    /// Columns that must equal a variable bound earlier in this atom.
    checks: Vec<(usize, VarId)>,
    meta: MetaVars,
    ops: Vec<Op>,
}

/// A rule body compiled for a start: one atom bound to a fact, or the head bound.
#[derive(Debug)]
pub(crate) struct BodyPlan {
    /// The rule (index into `Plan::rules`).
    pub rule: usize,
    /// For a forward plan, the atom bound to the changed fact.
    pub start_atom: Option<usize>,
    pre: Vec<Op>,
    levels: Vec<Level>,
}

/// Whether a rule can be evaluated incrementally: no negation and no aggregate anywhere.
pub(crate) fn is_positive(rule: &IrRule) -> bool {
    let no_agg = |e: &IrExpr| !e.has_aggregate();
    rule.constraints.iter().all(|c| match c {
        Constraint::Negated { .. } => false,
        Constraint::False => true,
        Constraint::Cmp { left, right, .. } => no_agg(left) && no_agg(right),
        Constraint::Text { pattern, text, .. } => no_agg(pattern) && no_agg(text),
    }) && rule.head_args.iter().all(no_agg)
        && rule.meta.head_conf.as_ref().is_none_or(no_agg)
}

fn compile_levels(atoms: Vec<(IrAtom, Vec<Op>)>, bound: &mut [bool]) -> Vec<Level> {
    let mut levels = Vec::new();
    for (atom, ops) in atoms {
        let mut key_cols = Vec::new();
        let mut key_src = Vec::new();
        let mut binds = Vec::new();
        let mut checks = Vec::new();
        for (col, a) in atom.args.iter().enumerate() {
            match *a {
                AtomArg::Const(c) => {
                    key_cols.push(col);
                    key_src.push(Src::Const(c));
                }
                AtomArg::Var(v) if bound[v] => {
                    key_cols.push(col);
                    key_src.push(Src::Var(v));
                }
                AtomArg::Var(v) => {
                    if binds.iter().any(|&(_, b)| b == v) {
                        checks.push((col, v));
                    } else {
                        binds.push((col, v));
                    }
                }
                AtomArg::Wild => {}
            }
        }
        for &(_, v) in &binds {
            bound[v] = true;
        }
        for v in atom.meta_vars().vars() {
            bound[v] = true;
        }
        for op in &ops {
            if let Op::Assign(v, _) = op {
                bound[*v] = true;
            }
        }
        levels.push(Level {
            rel: atom.rel,
            key_cols,
            key_src,
            binds,
            checks,
            meta: atom.meta_vars(),
            ops,
        });
    }
    levels
}

impl BodyPlan {
    /// The plan that starts from a fact bound to atom `start` of rule `ri`.
    pub(crate) fn forward(plan: &Plan, ri: usize, start: usize) -> BodyPlan {
        let rule = &plan.rules[ri];
        let n = rule.var_names.len();
        let start_vars = rule.atoms[start].vars();
        let mut rest = rule.atoms.clone();
        rest.remove(start);
        let nested = compile_nested(&rest, &rule.constraints, n, &start_vars);
        let mut bound = vec![false; n];
        for &v in &start_vars {
            bound[v] = true;
        }
        for v in rule.atoms[start].meta_vars().vars() {
            bound[v] = true;
        }
        let levels = compile_levels(nested.levels, &mut bound);
        BodyPlan {
            rule: ri,
            start_atom: Some(start),
            pre: nested.pre,
            levels,
        }
    }

    /// The plan that starts with the head's variables bound (to re-derive one fact).
    pub(crate) fn backward(plan: &Plan, ri: usize) -> BodyPlan {
        let rule = &plan.rules[ri];
        let n = rule.var_names.len();
        let head_vars: Vec<VarId> = rule
            .head_args
            .iter()
            .filter_map(|a| match a.kind {
                crate::plan::ir::IrExprKind::Var(v) => Some(v),
                _ => None,
            })
            .collect();
        let nested = compile_nested(&rule.atoms, &rule.constraints, n, &head_vars);
        let mut bound = vec![false; n];
        for &v in &head_vars {
            bound[v] = true;
        }
        let levels = compile_levels(nested.levels, &mut bound);
        BodyPlan {
            rule: ri,
            start_atom: None,
            pre: nested.pre,
            levels,
        }
    }

    /// The (relation, columns) probes this plan makes, for building indexes first.
    pub(crate) fn probes(&self) -> impl Iterator<Item = (RelId, &[usize])> {
        self.levels.iter().map(|l| (l.rel, l.key_cols.as_slice()))
    }
}

/// Binds `key` to `atom`'s arguments in `env`: false if a constant or a repeated variable
/// does not match.
pub(crate) fn bind_atom(atom: &IrAtom, key: &[u64], env: &mut [u64], set: &mut [bool]) -> bool {
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

/// What a solution callback gets: the binding, the matched facts' metadata (the start
/// fact first, for a forward plan), and the evaluation context.
pub(crate) type OnSolution<'f> = dyn FnMut(&[u64], &[FactMeta], &mut Cx<'_>) + 'f;

/// Calls `f` for every solution of the plan from the binding in `env`. `metas` holds the
/// metadata of facts already matched (the start fact).
pub(crate) fn solve(
    plan: &BodyPlan,
    tables: &[Table],
    env: &mut [u64],
    metas: &mut Vec<FactMeta>,
    cx: &mut Cx<'_>,
    f: &mut OnSolution<'_>,
) {
    if !run_ops(&plan.pre, env, cx) {
        return;
    }
    level(plan, 0, tables, env, metas, cx, f);
}

fn level(
    plan: &BodyPlan,
    depth: usize,
    tables: &[Table],
    env: &mut [u64],
    metas: &mut Vec<FactMeta>,
    cx: &mut Cx<'_>,
    f: &mut OnSolution<'_>,
) {
    let Some(l) = plan.levels.get(depth) else {
        f(env, metas, cx);
        return;
    };
    let table = &tables[l.rel];
    let mut key = [0u64; 8];
    let key_vals: Vec<u64>;
    let key_vals: &[u64] = if l.key_src.len() <= key.len() {
        for (k, s) in key.iter_mut().zip(&l.key_src) {
            *k = match *s {
                Src::Const(c) => c,
                Src::Var(v) => env[v],
            };
        }
        &key[..l.key_src.len()]
    } else {
        key_vals = l
            .key_src
            .iter()
            .map(|s| match *s {
                Src::Const(c) => c,
                Src::Var(v) => env[v],
            })
            .collect();
        &key_vals
    };
    table.matching(&l.key_cols, key_vals, |row| {
        for &(col, v) in &l.binds {
            env[v] = table.cell(row, col);
        }
        if l.checks
            .iter()
            .any(|&(col, v)| table.cell(row, col) != env[v])
        {
            return;
        }
        let m = table.meta(row);
        l.meta.bind(env, m.conf, m.time);
        if !run_ops(&l.ops, env, cx) {
            return;
        }
        metas.push(m);
        level(plan, depth + 1, tables, env, metas, cx, f);
        metas.pop();
    });
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
    let head = HeadMeta {
        rule: &rule.meta,
        id: ri as u32 + 1,
        magic: plan.relations[rule.head].magic,
        min_conf: plan.min_confidence,
        forget: &plan.forget,
    };
    head.derive(part, env, cx).map(|m| FactMeta {
        conf: m.conf,
        time: m.time,
        depth: m.depth,
        rule: m.rule,
    })
}

/// A store fact's metadata in the evaluator's form.
pub(crate) fn to_meta(m: &FactMeta) -> Meta {
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
