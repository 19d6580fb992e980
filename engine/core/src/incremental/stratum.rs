//! One stratum brought to its new fixpoint once the strata below it are (steps 1-4 of the
//! module's algorithm), or, for a stratum only a full evaluation maintains, whether the
//! changes reach it at all.

use super::merging;
use super::plans::{AggStart, Plans, bind_neg};
use super::{Changed, Facts, Pending, Touched, improve, weakened};
use crate::eval::EvalError;
use crate::eval::completed::Caches;
use crate::eval::expr::{Cx, Lookup};
use crate::incremental::solve::{self, BodyPlan, Ghosts, TableCx, from_meta, to_meta};
use crate::incremental::table::{FactMeta, Table};
use crate::plan::ir::{Plan, RelId, Stratum};
use crate::value::Interner;
use std::collections::{HashMap, HashSet};

/// A head found by a relaxed solve: its known columns (`None`: any value).
type Pattern = Vec<Option<u64>>;

/// A derived fact found: its relation, key and metadata.
type Found = (RelId, Vec<u64>, FactMeta);

/// A solve a change starts in one rule: the plan, the binding and the facts matched so far.
struct Seed<'p> {
    rule: usize,
    plan: &'p BodyPlan,
    env: Vec<u64>,
    metas: Vec<FactMeta>,
}

/// The solves the changes start in the stratum's rules: relaxed ones that find what the
/// old state derived (for over-deletion), full ones that find what the new state derives.
#[derive(Default)]
struct Seeds<'p> {
    relaxed: Vec<Seed<'p>>,
    full: Vec<Seed<'p>>,
}

/// Maintains one stratum.
pub(super) struct Maintainer<'a> {
    pub plan: &'a Plan,
    pub plans: &'a Plans,
    pub stratum: &'a Stratum,
    pub caches: &'a mut Caches,
    pub interner: &'a mut Interner,
}

impl Maintainer<'_> {
    fn own(&self, rel: RelId) -> bool {
        self.stratum.relations.contains(&rel)
    }

    /// The changed lower relations the stratum's rules read (positively, negated or in an
    /// aggregate), with their changes.
    fn lower_changes(&self, facts: &Facts, t: &Touched) -> HashMap<RelId, Vec<Changed>> {
        let mut out = HashMap::new();
        for &ri in &self.stratum.rules {
            for rel in self.plan.rules[ri].reads() {
                if !self.own(rel) && !out.contains_key(&rel) && !t.before[rel].is_empty() {
                    let ch = t.changed(rel, &facts.contents);
                    if !ch.is_empty() {
                        out.insert(rel, ch);
                    }
                }
            }
        }
        out
    }

    /// The solves the lower changes start in rule `ri`. With `relaxed_only`, those that
    /// find what the new state derives are relaxed too (to learn whether any derivation,
    /// before or after, touches a change).
    #[allow(clippy::too_many_arguments)]
    fn seeds<'p>(
        &mut self,
        ri: usize,
        changes: &HashMap<RelId, Vec<Changed>>,
        facts: &Facts,
        ghosts: &Ghosts,
        plans: &'p Plans,
        relaxed_only: bool,
        out: &mut Seeds<'p>,
    ) {
        // The plan that finds what the new state derives: full, or its relaxed twin.
        let new_state = |full: &'p BodyPlan, relaxed: &'p BodyPlan| {
            if relaxed_only { relaxed } else { full }
        };
        let rule = &self.plan.rules[ri];
        let n = rule.var_names.len();
        let rp = plans.rules[ri].as_ref().expect("a maintained rule");
        for (ai, rel, full, relaxed) in &rp.forward {
            let atom = &rule.atoms[*ai];
            for (key, old, new) in changes.get(rel).into_iter().flatten() {
                let bind = |m: FactMeta| solve::bind_fact(atom, key, m, n);
                if let Some(o) = *old
                    && weakened(o, *new)
                    && let Some(env) = bind(o)
                {
                    out.relaxed.push(Seed {
                        rule: ri,
                        plan: relaxed,
                        env,
                        metas: vec![o],
                    });
                }
                if let Some(m) = *new
                    && let Some(env) = bind(m)
                {
                    out.full.push(Seed {
                        rule: ri,
                        plan: new_state(full, relaxed),
                        env,
                        metas: vec![m],
                    });
                }
            }
        }
        for neg in &rp.negations {
            for (key, old, new) in changes.get(&neg.rel).into_iter().flatten() {
                let mut env = vec![0u64; n];
                if !bind_neg(neg, key, &mut env) {
                    continue;
                }
                // A fact that appears rules out what its absence allowed; one that goes
                // allows it.
                let (plan, to) = match (old, new) {
                    (None, Some(_)) => (&neg.relaxed, &mut out.relaxed),
                    (Some(_), None) => (new_state(&neg.full, &neg.relaxed), &mut out.full),
                    _ => continue,
                };
                to.push(Seed {
                    rule: ri,
                    plan,
                    env,
                    metas: Vec::new(),
                });
            }
        }
        for agg in &rp.aggregates {
            for group in self.groups(agg, changes, facts, ghosts) {
                let mut env = vec![0u64; n];
                for (&v, &x) in agg.agg.outer.iter().zip(&group) {
                    env[v] = x;
                }
                out.relaxed.push(Seed {
                    rule: ri,
                    plan: &agg.relaxed,
                    env: env.clone(),
                    metas: Vec::new(),
                });
                out.full.push(Seed {
                    rule: ri,
                    plan: new_state(&agg.full, &agg.relaxed),
                    env,
                    metas: Vec::new(),
                });
            }
        }
    }

    /// The groups (values of the outer variables) of an aggregate that a change counts in,
    /// before or after it.
    fn groups(
        &mut self,
        agg: &AggStart,
        changes: &HashMap<RelId, Vec<Changed>>,
        facts: &Facts,
        ghosts: &Ghosts,
    ) -> HashSet<Vec<u64>> {
        let mut out: HashSet<Vec<u64>> = HashSet::new();
        let n = agg.full.n_vars();
        for (j, atom) in agg.agg.atoms.iter().enumerate() {
            for (key, old, new) in changes.get(&atom.rel).into_iter().flatten() {
                for m in [old, new].into_iter().flatten() {
                    let Some(mut env) = solve::bind_fact(atom, key, *m, n) else {
                        continue;
                    };
                    let mut cx = self.cx(None);
                    let bp = &agg.from_atom[j];
                    solve::solve(
                        bp,
                        &facts.contents,
                        Some(ghosts),
                        &mut env,
                        &mut vec![*m],
                        &mut cx,
                        &mut |env, _, _| {
                            out.insert(agg.agg.outer.iter().map(|&v| env[v]).collect());
                        },
                    );
                }
            }
        }
        out
    }

    fn cx<'c>(&'c mut self, tables: Option<&'c dyn Lookup>) -> Cx<'c> {
        Cx {
            interner: self.interner,
            done: &[],
            caches: self.caches,
            tables,
            stop: false,
            few: true,
        }
    }

    /// The heads of the relaxed solves, over the old and new states together.
    fn patterns(
        &mut self,
        seeds: &mut [Seed<'_>],
        facts: &Facts,
        ghosts: &Ghosts,
    ) -> Vec<(RelId, Pattern)> {
        let mut out = Vec::new();
        let plan = self.plan;
        let mut cx = self.cx(None);
        for s in seeds {
            let rule = &plan.rules[s.rule];
            let bp = s.plan;
            solve::solve(
                bp,
                &facts.contents,
                Some(ghosts),
                &mut s.env,
                &mut s.metas,
                &mut cx,
                &mut |env, _, cx| {
                    let mut p = Vec::new();
                    bp.head_pattern(rule, env, cx, &mut p);
                    out.push((rule.head, p));
                },
            );
        }
        out
    }

    /// The facts the full solves derive from the tables as they are.
    fn derive(&mut self, seeds: &mut [Seed<'_>], contents: &[Table]) -> Vec<Found> {
        let mut out = Vec::new();
        let plan = self.plan;
        let tables = TableCx {
            tables: contents,
            aggregates: &self.plans.aggregates,
        };
        let mut cx = self.cx(Some(&tables));
        let mut hkey = Vec::new();
        for s in seeds {
            let rule = &plan.rules[s.rule];
            let ri = s.rule;
            solve::solve(
                s.plan,
                contents,
                None,
                &mut s.env,
                &mut s.metas,
                &mut cx,
                &mut |env, metas, cx| {
                    if let Some(m) = solve::derive(plan, ri, env, metas, cx, &mut hkey)
                        && (!hkey.is_empty() || rule.head_args.is_empty())
                    {
                        out.push((rule.head, hkey.clone(), m));
                    }
                },
            );
        }
        out
    }

    /// The solves the stratum's own facts start (within a recursive stratum), relaxed or
    /// full.
    fn own_seeds<'p>(&self, facts: &[Found], relaxed: bool, plans: &'p Plans) -> Vec<Seed<'p>> {
        let mut out = Vec::new();
        for &ri in &self.stratum.rules {
            let rule = &self.plan.rules[ri];
            let n = rule.var_names.len();
            let rp = plans.rules[ri].as_ref().expect("a maintained rule");
            for (ai, rel, full, lax) in &rp.forward {
                let atom = &rule.atoms[*ai];
                for (r, key, m) in facts {
                    if r != rel {
                        continue;
                    }
                    let Some(env) = solve::bind_fact(atom, key, *m, n) else {
                        continue;
                    };
                    let plan = if relaxed { lax } else { full };
                    out.push(Seed {
                        rule: ri,
                        plan,
                        env,
                        metas: vec![*m],
                    });
                }
            }
        }
        out
    }

    /// For a stratum only a full evaluation maintains: whether anything reaches it (an
    /// asserted change to its relations, or a derivation of its rules, before or after,
    /// that touches a changed fact).
    pub(super) fn reached(&mut self, facts: &Facts, t: &Touched, pending: &Pending) -> bool {
        if self
            .stratum
            .relations
            .iter()
            .any(|&r| !pending[r].is_empty())
        {
            return true;
        }
        let changes = self.lower_changes(facts, t);
        if changes.is_empty() {
            return false;
        }
        let plans = self.plans;
        let mut seeds = Seeds::default();
        for &ri in &self.stratum.rules {
            if plans.rules[ri].is_none() {
                // A rule of a shape not maintained, reading a changed relation.
                return true;
            }
            self.seeds(ri, &changes, facts, &t.ghosts, plans, true, &mut seeds);
        }
        let mut all = seeds.relaxed;
        all.append(&mut seeds.full);
        !self.patterns(&mut all, facts, &t.ghosts).is_empty()
    }

    /// Brings the stratum to its new fixpoint, or stops at a bound ([`crate::limits`]).
    pub(super) fn maintain(
        &mut self,
        facts: &mut Facts,
        t: &mut Touched,
        pending: &mut Pending,
    ) -> Result<(), EvalError> {
        let changes = self.lower_changes(facts, t);
        let asserted: Vec<(RelId, Vec<u64>, Option<FactMeta>)> = self
            .stratum
            .relations
            .iter()
            .flat_map(|&r| {
                std::mem::take(&mut pending[r])
                    .into_iter()
                    .map(move |(k, m)| (r, k, m))
            })
            .collect();
        if changes.is_empty() && asserted.is_empty() {
            return Ok(());
        }
        let plans = self.plans;
        let mut seeds = Seeds::default();
        for &ri in &self.stratum.rules {
            self.seeds(ri, &changes, facts, &t.ghosts, plans, false, &mut seeds);
        }
        let dead = self.over_delete(&mut seeds.relaxed, &asserted, facts, t);

        // 2. Remove the over-deleted facts; apply the asserted changes.
        for (rel, keys) in dead.iter().enumerate() {
            for key in keys {
                let old = facts.contents[rel].remove(key);
                t.touch(rel, key, old);
            }
        }
        let mut found: Vec<Found> = Vec::new();
        for (rel, key, new) in asserted {
            let a = facts.asserted[rel].as_mut().expect("an asserted layer");
            let old = match new {
                Some(m) => a.upsert(&key, m),
                None => a.remove(&key),
            };
            t.asserted_undo.push((rel, key.clone(), old));
            if let Some(m) = new {
                let (key, m) = merging::entering(self.plan, &facts.contents, rel, &key, m);
                found.push((rel, key, m));
            }
        }
        self.rederive(&dead, facts, &mut found);

        // 4. Insert: what the new state of the lower changes derives, then propagation
        //    within the stratum.
        found.extend(self.derive(&mut seeds.full, &facts.contents));
        loop {
            // A runaway program stops here, naming its biggest relation.
            crate::eval::check_limits(
                self.plan,
                (self.stratum.relations.iter()).map(|&r| (r, facts.contents[r].len())),
            )?;
            let mut next: Vec<Found> = Vec::new();
            let mut queued: HashSet<(RelId, Vec<u64>)> = HashSet::new();
            for (rel, key, m) in found.drain(..) {
                if improve(&mut facts.contents[rel], &key, m, t, rel)
                    && queued.insert((rel, key.clone()))
                {
                    next.push((rel, key, m));
                }
            }
            if next.is_empty() {
                break;
            }
            for f in &mut next {
                f.2 = facts.contents[f.0].get(&f.1).expect("just improved");
            }
            let mut own = self.own_seeds(&next, false, plans);
            found = self.derive(&mut own, &facts.contents);
        }
        Ok(())
    }

    /// Step 1: the facts of the stratum some derivation of which may have used a changed
    /// lower fact or a weakened assertion, and, transitively, what they derived within it.
    fn over_delete(
        &mut self,
        relaxed: &mut [Seed<'_>],
        asserted: &[(RelId, Vec<u64>, Option<FactMeta>)],
        facts: &Facts,
        t: &Touched,
    ) -> Vec<HashSet<Vec<u64>>> {
        let mut dead: Vec<HashSet<Vec<u64>>> = (0..self.plan.relations.len())
            .map(|_| HashSet::new())
            .collect();
        let mut frontier: Vec<Found> = Vec::new();
        for (head, p) in self.patterns(relaxed, facts, &t.ghosts) {
            mark_dead(&facts.contents[head], head, &p, &mut dead, &mut frontier);
        }
        for (rel, key, new) in asserted {
            let table = facts.asserted[*rel].as_ref().expect("an asserted layer");
            if let Some(old) = table.get(key)
                && weakened(old, *new)
            {
                // The contents fact it is read into (through the classes, under a merge).
                let (key, _) = merging::entering(self.plan, &facts.contents, *rel, key, old);
                if let Some(m) = facts.contents[*rel].get(&key)
                    && dead[*rel].insert(key.clone())
                {
                    frontier.push((*rel, key, m));
                }
            }
        }
        let plans = self.plans;
        while !frontier.is_empty() {
            let mut own = self.own_seeds(&frontier, true, plans);
            frontier.clear();
            for (head, p) in self.patterns(&mut own, facts, &t.ghosts) {
                mark_dead(&facts.contents[head], head, &p, &mut dead, &mut frontier);
            }
        }
        dead
    }

    /// Step 3: each over-deleted fact's best of its asserted value and its one-step
    /// derivations from what remains.
    fn rederive(&mut self, dead: &[HashSet<Vec<u64>>], facts: &Facts, found: &mut Vec<Found>) {
        let (plan, plans, stratum) = (self.plan, self.plans, self.stratum);
        let tables = TableCx {
            tables: &facts.contents,
            aggregates: &plans.aggregates,
        };
        let mut cx = self.cx(Some(&tables));
        let mut hkey = Vec::new();
        for (rel, keys) in dead.iter().enumerate() {
            for key in keys {
                let mut best = (facts.asserted[rel].as_ref())
                    .and_then(|a| merging::asserted_best(plan, &facts.contents, a, rel, key));
                for &ri in &stratum.rules {
                    let rule = &plan.rules[ri];
                    let mut env = vec![0u64; rule.var_names.len()];
                    if rule.head != rel || !solve::bind_head(rule, key, &mut env) {
                        continue;
                    }
                    let bp = &plans.rules[ri]
                        .as_ref()
                        .expect("a maintained rule")
                        .backward;
                    solve::solve(
                        bp,
                        tables.tables,
                        None,
                        &mut env,
                        &mut Vec::new(),
                        &mut cx,
                        &mut |env, metas, cx| {
                            if let Some(m) = solve::derive(plan, ri, env, metas, cx, &mut hkey)
                                && hkey == *key
                            {
                                let m = to_meta(&m);
                                best = Some(best.map_or(m, |b| b.merge(&m)));
                            }
                        },
                    );
                }
                if let Some(b) = best {
                    found.push((rel, key.clone(), from_meta(&b)));
                }
            }
        }
    }
}

/// Marks dead every fact of `table` (relation `rel`) that matches the pattern.
fn mark_dead(
    table: &Table,
    rel: RelId,
    p: &Pattern,
    dead: &mut [HashSet<Vec<u64>>],
    frontier: &mut Vec<Found>,
) {
    if p.iter().all(Option::is_some) {
        let key: Vec<u64> = p.iter().map(|v| v.expect("known")).collect();
        if let Some(m) = table.get(&key)
            && dead[rel].insert(key.clone())
        {
            frontier.push((rel, key, m));
        }
        return;
    }
    let cols: Vec<usize> = (0..p.len()).filter(|&c| p[c].is_some()).collect();
    let vals: Vec<u64> = p.iter().flatten().copied().collect();
    table.matching(&cols, &vals, |r| {
        let key: Vec<u64> = (0..table.arity()).map(|c| table.cell(r, c)).collect();
        if dead[rel].insert(key.clone()) {
            frontier.push((rel, key, table.meta(r)));
        }
    });
}
