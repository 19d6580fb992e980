//! Incremental inference: a commit's changes propagate through the materialised facts
//! instead of re-deriving the world. Delete-and-rederive (DRed) in the confidence lattice:
//!
//! 1. Over-delete: every fact with some derivation that used a retracted (or weakened)
//!    asserted fact goes, transitively, found by solving each rule forward from the lost
//!    facts over the old state.
//! 2. Apply the asserted changes.
//! 3. Re-derive: each over-deleted fact gets the best of its asserted value and its one-step
//!    derivations from what remains (solving its rules with the head bound).
//! 4. Insert: semi-naive propagation from the re-derived facts and the new assertions, keeping
//!    only improvements (higher confidence beyond the epsilon, smaller depth, later time).
//!
//! Facts outside the over-deleted set keep every derivation they had, so their values are
//! still exact; step 4 computes the rest of the fixpoint. Strata with negation, aggregates or
//! noisy-or are not handled here: a change that reaches one re-derives everything.

use super::solve::{self, BodyPlan, to_meta};
use super::table::{FactMeta, Table};
use crate::eval::expr::Cx;
use crate::eval::nested::Caches;
use crate::plan::ir::{Combine, Plan, RelId};
use crate::value::Interner;
use std::collections::{HashMap, HashSet};

/// A change to an asserted fact: its relation, key, and new metadata (`None`: retracted).
pub(crate) type Change = (RelId, Vec<u64>, Option<FactMeta>);

/// The facts incremental inference works on, by relation id of the plan.
pub(crate) struct Facts {
    /// What holds: for a relation rules derive, its derived layer; else its asserted facts.
    pub contents: Vec<Table>,
    /// For a relation rules derive, its asserted facts (`None` otherwise: `contents` is them).
    pub asserted: Vec<Option<Table>>,
}

/// The rule plans of a program, compiled once per program.
pub(crate) struct Plans {
    /// Per relation: plans that start from a fact of it bound to one body atom.
    forward: Vec<Vec<BodyPlan>>,
    /// Per relation: plans of its rules with the head bound.
    backward: Vec<Vec<BodyPlan>>,
}

impl Plans {
    /// Compiles every rule both ways.
    pub(crate) fn new(plan: &Plan) -> Plans {
        let n = plan.relations.len();
        let mut forward: Vec<Vec<BodyPlan>> = (0..n).map(|_| Vec::new()).collect();
        let mut backward: Vec<Vec<BodyPlan>> = (0..n).map(|_| Vec::new()).collect();
        for (ri, rule) in plan.rules.iter().enumerate() {
            if !solve::is_positive(rule) {
                continue;
            }
            for (ai, atom) in rule.atoms.iter().enumerate() {
                forward[atom.rel].push(BodyPlan::forward(plan, ri, ai));
            }
            backward[rule.head].push(BodyPlan::backward(plan, ri));
        }
        Plans { forward, backward }
    }

    /// Builds the indexes every plan probes.
    pub(crate) fn index(&self, contents: &mut [Table]) {
        for bp in self.forward.iter().chain(&self.backward).flatten() {
            for (rel, cols) in bp.probes() {
                contents[rel].ensure_index(cols);
            }
        }
    }
}

/// Whether every stratum a change to `changed` can reach is one this module maintains: no
/// negation, no aggregate, no noisy-or.
pub(crate) fn can_maintain(plan: &Plan, changed: &HashSet<RelId>) -> bool {
    let mut reached = changed.clone();
    loop {
        let before = reached.len();
        for rule in &plan.rules {
            if rule.reads().iter().any(|r| reached.contains(r)) {
                reached.insert(rule.head);
            }
        }
        if reached.len() == before {
            break;
        }
    }
    // An eqrel's classes are recomputed whole; so is which fact per key is the newest.
    if reached
        .iter()
        .any(|&r| plan.relations[r].eqrel || plan.relations[r].functional.is_some())
    {
        return false;
    }
    plan.strata.iter().all(|s| {
        !s.relations.iter().any(|r| reached.contains(r))
            || (s
                .relations
                .iter()
                .all(|&r| plan.relations[r].combine == Combine::Max)
                && s.rules
                    .iter()
                    .all(|&ri| solve::is_positive(&plan.rules[ri])))
    })
}

/// The contents each touched fact had before (`None`: it did not hold), per relation.
pub(crate) type Before = Vec<HashMap<Vec<u64>, Option<FactMeta>>>;

/// Applies the changes and brings every relation's contents to the new fixpoint. Returns
/// the contents touched, with what they were before.
pub(crate) fn apply(
    plan: &Plan,
    plans: &Plans,
    facts: &mut Facts,
    changes: Vec<Change>,
    interner: &mut Interner,
) -> Before {
    let n = plan.relations.len();
    let mut before: Before = (0..n).map(|_| HashMap::new()).collect();
    let mut caches = Caches::default();
    let mut cx = Cx {
        interner,
        done: &[],
        caches: &mut caches,
    };
    plans.index(&mut facts.contents);

    // 1. Over-delete, from asserted facts that go or weaken.
    let mut dead: Vec<HashSet<Vec<u64>>> = (0..n).map(|_| HashSet::new()).collect();
    let mut frontier: Vec<(RelId, Vec<u64>, FactMeta)> = Vec::new();
    for (rel, key, new) in &changes {
        let table = facts.asserted[*rel]
            .as_ref()
            .unwrap_or(&facts.contents[*rel]);
        let weakened = match (table.get(key), new) {
            (Some(old), Some(new)) => to_meta(&old).join(&to_meta(new)).0 != to_meta(new),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if let Some(m) = facts.contents[*rel].get(key)
            && weakened
            && dead[*rel].insert(key.clone())
        {
            frontier.push((*rel, key.clone(), m));
        }
    }
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (rel, key, meta) in &frontier {
            for bp in &plans.forward[*rel] {
                each_forward(
                    plan,
                    bp,
                    key,
                    *meta,
                    &facts.contents,
                    &mut cx,
                    &mut |head, hkey, _| {
                        if let Some(m) = facts.contents[head].get(hkey)
                            && !dead[head].contains(hkey)
                        {
                            dead[head].insert(hkey.to_vec());
                            next.push((head, hkey.to_vec(), m));
                        }
                    },
                );
            }
        }
        frontier = next;
    }

    // 2. Remove the over-deleted facts; apply the asserted changes.
    let note = |before: &mut Before, rel: RelId, key: &[u64], m: Option<FactMeta>| {
        if !before[rel].contains_key(key) {
            before[rel].insert(key.to_vec(), m);
        }
    };
    for (rel, keys) in dead.iter().enumerate() {
        for key in keys {
            let old = facts.contents[rel].remove(key);
            note(&mut before, rel, key, old);
        }
    }
    let mut seeds: Vec<(RelId, Vec<u64>)> = Vec::new();
    let mut asserted_now: Vec<(RelId, Vec<u64>, FactMeta)> = Vec::new();
    for (rel, key, new) in changes {
        match &mut facts.asserted[rel] {
            Some(a) => match new {
                Some(m) => {
                    a.upsert(&key, m);
                    asserted_now.push((rel, key, m));
                }
                None => {
                    a.remove(&key);
                }
            },
            None => {
                let old = facts.contents[rel].get(&key);
                note(&mut before, rel, &key, old);
                match new {
                    Some(m) => {
                        facts.contents[rel].upsert(&key, m);
                        if old != Some(m) {
                            seeds.push((rel, key));
                        }
                    }
                    None => {
                        facts.contents[rel].remove(&key);
                    }
                }
            }
        }
    }

    // 3. Re-derive the over-deleted facts of derived relations from what remains.
    let mut hkey = Vec::new();
    for (rel, keys) in dead.iter().enumerate() {
        let Some(asserted) = &facts.asserted[rel] else {
            continue;
        };
        for key in keys {
            let mut best = asserted.get(key).map(|m| to_meta(&m));
            for bp in &plans.backward[rel] {
                let rule = &plan.rules[bp.rule];
                let mut env = vec![0u64; rule.var_names.len()];
                if !solve::bind_head(rule, key, &mut env) {
                    continue;
                }
                let mut metas = Vec::new();
                solve::solve(
                    bp,
                    &facts.contents,
                    &mut env,
                    &mut metas,
                    &mut cx,
                    &mut |env, metas, cx| {
                        if let Some(m) = solve::derive(plan, bp.rule, env, metas, cx, &mut hkey)
                            && hkey == *key
                        {
                            let m = to_meta(&m);
                            best = Some(best.map_or(m, |b| b.merge(&m)));
                        }
                    },
                );
            }
            if let Some(b) = best {
                facts.contents[rel].upsert(key, solve::from_meta(&b));
                seeds.push((rel, key.clone()));
            }
        }
    }

    // 4. Insert: new assertions into derived relations, then propagate improvements.
    for (rel, key, m) in asserted_now {
        if improve(&mut facts.contents[rel], &key, m, &mut before, rel) {
            seeds.push((rel, key));
        }
    }
    let mut frontier = seeds;
    while !frontier.is_empty() {
        let mut found: Vec<(RelId, Vec<u64>, FactMeta)> = Vec::new();
        for (rel, key) in &frontier {
            let Some(meta) = facts.contents[*rel].get(key) else {
                continue;
            };
            for bp in &plans.forward[*rel] {
                each_forward(
                    plan,
                    bp,
                    key,
                    meta,
                    &facts.contents,
                    &mut cx,
                    &mut |head, hkey, m| {
                        if let Some(m) = m {
                            found.push((head, hkey.to_vec(), m));
                        }
                    },
                );
            }
        }
        let mut next = Vec::new();
        let mut queued: HashSet<(RelId, Vec<u64>)> = HashSet::new();
        for (rel, key, m) in found {
            if improve(&mut facts.contents[rel], &key, m, &mut before, rel)
                && queued.insert((rel, key.clone()))
            {
                next.push((rel, key));
            }
        }
        frontier = next;
    }
    before
}

/// Joins a candidate into `table`; true if it improved what was there.
fn improve(table: &mut Table, key: &[u64], m: FactMeta, before: &mut Before, rel: RelId) -> bool {
    let cur = table.get(key);
    let joined = match cur {
        None => m,
        Some(c) => {
            let (j, improved) = to_meta(&c).join(&to_meta(&m));
            if !improved {
                return false;
            }
            solve::from_meta(&j)
        }
    };
    if !before[rel].contains_key(key) {
        before[rel].insert(key.to_vec(), cur);
    }
    table.upsert(key, joined);
    true
}

/// What a forward solve reports: the head relation, the head key, and the derivation's
/// metadata (`None` when it is ruled out).
type OnHead<'f> = dyn FnMut(RelId, &[u64], Option<FactMeta>) + 'f;

/// Solves every derivation of `bp`'s rule that uses the fact `key` (of the start atom's
/// relation) and calls `f` with the head relation, head key and the derivation's metadata
/// (`None` when a threshold, depth bound or forgetting policy rules it out).
fn each_forward(
    plan: &Plan,
    bp: &BodyPlan,
    key: &[u64],
    meta: FactMeta,
    contents: &[Table],
    cx: &mut Cx<'_>,
    f: &mut OnHead<'_>,
) {
    let rule = &plan.rules[bp.rule];
    let start = &rule.atoms[bp.start_atom.expect("a forward plan")];
    let n = rule.var_names.len();
    let mut env = vec![0u64; n];
    let mut set = vec![false; n];
    if !solve::bind_atom(start, key, &mut env, &mut set) {
        return;
    }
    start.meta_vars().bind(&mut env, meta.conf, meta.time);
    let mut metas = vec![meta];
    let mut hkey = Vec::new();
    solve::solve(
        bp,
        contents,
        &mut env,
        &mut metas,
        cx,
        &mut |env, metas, cx| {
            let m = solve::derive(plan, bp.rule, env, metas, cx, &mut hkey);
            if !hkey.is_empty() || rule.head_args.is_empty() {
                f(rule.head, &hkey, m);
            }
        },
    );
}
