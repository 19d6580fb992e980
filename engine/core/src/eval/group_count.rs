//! Rules that count their own body per group, evaluated in one pass over the body instead of
//! one count per binding. The memory library's pair counts have this shape:
//!
//! ```text
//! shared(a, b, k) :- spoke(a, x), spoke(b, x), a < b, k = count : { spoke(a, n), spoke(b, n) }.
//! ```
//!
//! For a group (the values of `a` and `b`) the count is the number of bindings of the body's
//! other variables, which are exactly the bindings the body itself enumerates. So the body is
//! solved once by nested loops led by an atom whose first column is a group variable: every
//! binding of a group comes while that column holds one value, so the groups are counted in a
//! small map emptied each time it moves on. Each binding's head metadata is derived as the
//! rule derives it, and a group's are joined, so the facts are those of the rule evaluated
//! binding by binding.

use super::completed;
use super::emit::{HeadMeta, emit_head};
use super::expr::{Cx, check};
use super::meta::Meta;
use super::solve::{self, Fact as _};
use crate::plan::ir::{AtomArg, Combine, Constraint, IrAtom, IrExpr, Plan, VarId};
use crate::plan::order::{compile_nested, join_order};
use crate::value::enc_number;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// Groups of at most this many values besides the leading one are counted (keys inline).
const MAX_KEY: usize = 4;

/// A rule that counts its own body, as evaluation needs it.
#[derive(Debug)]
pub(crate) struct GroupCount {
    /// The count's variable.
    k: VarId,
    /// The group variable the first atom's first column binds.
    lead: VarId,
    /// The other group variables.
    rest: Vec<VarId>,
    /// The body's atoms, the leading one first.
    atoms: Vec<IrAtom>,
    /// Constraints on the group variables alone, checked while solving.
    pre: Vec<Constraint>,
    /// Constraints that read the count, checked per group.
    post: Vec<Constraint>,
}

/// For `k = count : { ... }` with an aggregate that has no constraints of its own: `k` and
/// the aggregate's atoms and outer variables.
fn count_of(c: &Constraint) -> Option<(VarId, &[IrAtom], &[VarId])> {
    let (k, agg) = c.count_assignment()?;
    // A count of distinct bindings (`IrAggregate::distinct`) is not the body's bindings.
    (agg.target.is_none() && agg.constraints.is_empty() && agg.distinct.is_none()).then_some((
        k,
        agg.atoms.as_slice(),
        agg.outer.as_slice(),
    ))
}

/// Whether the aggregate's atoms are the rule's atoms with its local variables renamed to the
/// rule's other variables, one for one.
fn same_body(rule_atoms: &[IrAtom], agg_atoms: &[IrAtom], outer: &[VarId]) -> bool {
    if rule_atoms.len() != agg_atoms.len() {
        return false;
    }
    let mut rename: HashMap<VarId, VarId> = HashMap::new();
    for (p, q) in rule_atoms.iter().zip(agg_atoms) {
        if p.rel != q.rel
            || p.args.len() != q.args.len()
            || !p.meta_vars().is_empty()
            || !q.meta_vars().is_empty()
        {
            return false;
        }
        for (a, b) in p.args.iter().zip(&q.args) {
            let ok = match (a, b) {
                (AtomArg::Const(x), AtomArg::Const(y)) => x == y,
                (AtomArg::Wild, AtomArg::Wild) => true,
                (AtomArg::Var(x), AtomArg::Var(y)) if outer.contains(y) => x == y,
                (AtomArg::Var(x), AtomArg::Var(y)) => {
                    !outer.contains(x) && *rename.entry(*y).or_insert(*x) == *x
                }
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    // One for one: no two local variables renamed to one rule variable.
    let mut images: Vec<VarId> = rename.values().copied().collect();
    images.sort_unstable();
    images.dedup();
    images.len() == rename.len()
}

/// Rule `ri` as a group count, if it has that shape: one `count` over exactly its own atoms,
/// its other constraints and its head reading only the group and the count, a head relation
/// that keeps the best derivation, no head confidence expression.
pub(crate) fn detect(plan: &Plan, ri: usize) -> Option<GroupCount> {
    let rule = &plan.rules[ri];
    if rule.meta.head_conf.is_some() || plan.relations[rule.head].combine != Combine::Max {
        return None;
    }
    let mut found = None;
    for (ci, c) in rule.constraints.iter().enumerate() {
        if let Some(x) = count_of(c) {
            if found.is_some() {
                return None;
            }
            found = Some((ci, x));
        }
    }
    let (assign, (k, agg_atoms, outer)) = found?;
    if !same_body(&rule.atoms, agg_atoms, outer) || rule.atoms.iter().any(|a| a.vars().contains(&k))
    {
        return None;
    }
    let group_only = |vs: &[VarId]| vs.iter().all(|v| *v == k || outer.contains(v));
    let no_agg = |e: &IrExpr| !e.has_aggregate();
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    for (ci, c) in rule.constraints.iter().enumerate() {
        if ci == assign {
            continue;
        }
        if !group_only(&c.vars()) || !c.exprs().into_iter().all(no_agg) {
            return None;
        }
        if c.vars().contains(&k) {
            post.push(c.clone());
        } else {
            pre.push(c.clone());
        }
    }
    let mut head_vars = Vec::new();
    for a in &rule.head_args {
        a.vars(&mut head_vars);
    }
    if !group_only(&head_vars) || !rule.head_args.iter().all(no_agg) {
        return None;
    }
    // The leading atom: one whose first column is a group variable, and that the join order
    // keeps first.
    let lead_at = rule
        .atoms
        .iter()
        .position(|a| matches!(a.args.first(), Some(AtomArg::Var(v)) if outer.contains(v)))?;
    let mut atoms = rule.atoms.clone();
    atoms.swap(0, lead_at);
    if join_order(&atoms, &[]).first() != Some(&0) {
        return None;
    }
    let Some(AtomArg::Var(lead)) = atoms[0].args.first().cloned() else {
        return None;
    };
    let rest: Vec<VarId> = outer.iter().copied().filter(|&v| v != lead).collect();
    (rest.len() <= MAX_KEY).then_some(GroupCount {
        k,
        lead,
        rest,
        atoms,
        pre,
        post,
    })
}

/// The counts of one leading value's groups: by value in an array when a group is one value
/// below `dense.len()` (a symbol's id), in a hash map otherwise.
struct Counts {
    dense: Vec<u32>,
    /// The values whose count in `dense` is not zero.
    touched: Vec<u32>,
    sparse: FxHashMap<[u64; MAX_KEY], i64>,
}

impl Counts {
    /// Counts for groups of `width` values besides the leading one; an array of `symbols`
    /// counters when that is one value.
    fn new(width: usize, symbols: usize) -> Counts {
        Counts {
            dense: vec![0; if width == 1 { symbols } else { 0 }],
            touched: Vec::new(),
            sparse: FxHashMap::default(),
        }
    }

    fn add(&mut self, key: [u64; MAX_KEY]) {
        // (A counter that would overflow goes on in `sparse`; `drain` adds the two.)
        match usize::try_from(key[0])
            .ok()
            .and_then(|v| self.dense.get_mut(v))
        {
            Some(c) if *c < u32::MAX => {
                if *c == 0 {
                    self.touched.push(key[0] as u32);
                }
                *c += 1;
            }
            _ => *self.sparse.entry(key).or_insert(0) += 1,
        }
    }

    /// Calls `f` with each group and its count, and forgets them.
    fn drain(&mut self, mut f: impl FnMut([u64; MAX_KEY], i64)) {
        for v in self.touched.drain(..) {
            let mut key = [0; MAX_KEY];
            key[0] = u64::from(v);
            let more = self.sparse.remove(&key).unwrap_or(0);
            f(
                key,
                i64::from(std::mem::take(&mut self.dense[v as usize])) + more,
            );
        }
        for (key, count) in self.sparse.drain() {
            f(key, count);
        }
    }
}

/// Evaluates rule `ri` (shaped as `gc`) over the completed relations, appending its head rows
/// (with their metadata cells when `head` is given) to `out`.
///
/// Groups are counted first, without metadata; a group's head metadata (the join of its
/// bindings' derivations) is derived only when its count passes the rule's constraints, by
/// solving the body again for that group's leading value. Pair counts keep few of the groups
/// they count, so most bindings cost one increment.
pub(crate) fn evaluate(
    plan: &Plan,
    ri: usize,
    gc: &GroupCount,
    head: Option<(&HeadMeta<'_>, bool)>,
    cx: &mut Cx<'_>,
    out: &mut Vec<u64>,
) {
    let rule = &plan.rules[ri];
    let n = rule.var_names.len();
    let passed = gc.passing_groups(n, cx);
    let mut env = vec![0u64; n];
    let Some((hm, time)) = head else {
        for (lead, key, count) in passed {
            gc.group_env(&mut env, lead, &key, count, cx);
            emit_head(&rule.head_args, &env, cx, out);
        }
        return;
    };
    // The metadata of the groups that passed, one leading value at a time.
    let bound = solve::compile(
        &compile_nested(&gc.atoms, &gc.pre, n, &[gc.lead]),
        &[gc.lead],
        n,
    );
    let mut metas: FxHashMap<[u64; MAX_KEY], Option<Meta>> = FxHashMap::default();
    for groups in passed.chunk_by(|a, b| a.0 == b.0) {
        metas.clear();
        metas.extend(groups.iter().map(|g| (g.1, None)));
        env[gc.lead] = groups[0].0;
        completed::solve(&bound, &mut env, cx, &mut |env, hits, cx| {
            let Some(slot) = metas.get_mut(&gc.key_of(env)) else {
                return;
            };
            let part = Meta::body(hm.rule.tnorm, hits.iter().map(|h| h.meta()));
            if let Some(m) = hm.derive(part, env, cx) {
                *slot = Some(match *slot {
                    None => m,
                    Some(o) => o.join(&m).0,
                });
            }
        });
        for &(lead, key, count) in groups {
            // None: no derivation survived the rule's depth bound, threshold or forgetting.
            let Some(m) = metas[&key] else { continue };
            gc.group_env(&mut env, lead, &key, count, cx);
            if emit_head(&rule.head_args, &env, cx, out) {
                m.push(out, true, time);
            }
        }
    }
}

/// A group that passed the rule's constraints on its count: its leading value, the rest of
/// its key, its count.
type Passed = (u64, [u64; MAX_KEY], i64);

impl GroupCount {
    /// The group of a binding, past its leading value.
    fn key_of(&self, env: &[u64]) -> [u64; MAX_KEY] {
        let mut key = [0u64; MAX_KEY];
        for (i, &v) in self.rest.iter().enumerate() {
            key[i] = env[v];
        }
        key
    }

    /// Sets the group's variables and its count in `env`; whether the rule's constraints on
    /// the count hold.
    fn group_env(
        &self,
        env: &mut [u64],
        lead: u64,
        key: &[u64; MAX_KEY],
        count: i64,
        cx: &mut Cx<'_>,
    ) -> bool {
        env[self.lead] = lead;
        for (i, &v) in self.rest.iter().enumerate() {
            env[v] = key[i];
        }
        env[self.k] = enc_number(count);
        self.post.iter().all(|c| check(c, env, cx))
    }

    /// Counts the groups of every binding of the body, one leading value at a time; the
    /// groups that pass, in leading-value order.
    fn passing_groups(&self, n: usize, cx: &mut Cx<'_>) -> Vec<Passed> {
        let compiled = solve::compile(&compile_nested(&self.atoms, &self.pre, n, &[]), &[], n);
        let mut passed: Vec<Passed> = Vec::new();
        let mut counts = Counts::new(self.rest.len(), cx.interner.len());
        let mut flush = |lead: u64, counts: &mut Counts, cx: &mut Cx<'_>| {
            let mut env = vec![0u64; n];
            counts.drain(|key, count| {
                if self.group_env(&mut env, lead, &key, count, cx) {
                    passed.push((lead, key, count));
                }
            });
        };
        let mut lead: Option<u64> = None;
        let mut env = vec![0u64; n];
        completed::solve(&compiled, &mut env, cx, &mut |env, _, cx| {
            let at = env[self.lead];
            if lead != Some(at) {
                if let Some(l) = lead {
                    flush(l, &mut counts, cx);
                }
                lead = Some(at);
            }
            counts.add(self.key_of(env));
        });
        if let Some(l) = lead {
            flush(l, &mut counts, cx);
        }
        passed
    }
}

#[cfg(test)]
mod tests {
    /// The rules of the library's neighbourhoods and `extra` that evaluate as group counts,
    /// by head name.
    fn counting(extra: &str) -> Vec<String> {
        let lib = |name: &str| {
            crate::library::file(name)
                .expect("a library file")
                .lines()
                .filter(|l| !l.starts_with(".include"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let src = format!("{}\n{}\n{extra}", lib("schema.dl"), lib("neighbours.dl"));
        let program = engram_parser::parse(&src, "t.dl").expect("parses");
        let plan = crate::plan::plan(&program, "t.dl", &src).expect("plans");
        (0..plan.rules.len())
            .filter(|&ri| super::detect(&plan, ri).is_some())
            .map(|ri| plan.relations[plan.rules[ri].head].name.clone())
            .collect()
    }

    /// Groups count the same whether their value has an array counter or a hash map's, and
    /// draining forgets them.
    #[test]
    fn counts_by_array_and_by_map_agree() {
        let mut counts = super::Counts::new(1, 8);
        for v in [3u64, 9, 3, 1_000_000, 3, 9, 7] {
            counts.add([v, 0, 0, 0]);
        }
        let mut seen = Vec::new();
        counts.drain(|key, count| seen.push((key[0], count)));
        seen.sort_unstable();
        assert_eq!(seen, vec![(3, 3), (7, 1), (9, 2), (1_000_000, 1)]);
        counts.drain(|_, _| panic!("drained groups are forgotten"));
        let mut wide = super::Counts::new(2, 8);
        wide.add([1, 2, 0, 0]);
        wide.add([1, 2, 0, 0]);
        wide.drain(|key, count| assert_eq!((key, count), ([1, 2, 0, 0], 2)));
    }

    #[test]
    fn the_library_pair_counts_are_group_counts_and_lookalikes_are_not() {
        let src = r#"
            .decl other(a: symbol, b: symbol, k: number)
            .decl filtered(a: symbol, b: symbol, k: number)
            // The count is over a different body (one atom fewer): not the body's own count.
            other(a, b, k) :- spoke(a, x), spoke(b, x), k = count : { spoke(a, n) }.
            // A constraint on a local variable filters the body but not the count.
            filtered(a, b, k) :- spoke(a, x), spoke(b, x), x != "hub", k = count : { spoke(a, n), spoke(b, n) }.
        "#;
        assert_eq!(counting(src), vec!["shared_neighbours", "shared_tags"]);
    }
}
