//! Semi-naive evaluation on datafrog, one stratum at a time.
//!
//! Each relation of a stratum is a datafrog `Variable` of fixed-width rows; each projection of a
//! relation that a join needs (its key columns first) is another variable fed from the
//! relation's new rows every round; each rule with several atoms is a chain of binary merge
//! joins whose intermediates are variables too, so that datafrog's `recent`/`stable` split gives
//! semi-naive evaluation for free. Negation and aggregates read completed strata only.
//!
//! With provenance tracking, every row carries metadata cells behind its columns (`meta.rs`):
//! confidence and depth are never part of a fact's identity. A round's new facts go through
//! `AnyVar::insert_lattice`, which keeps one row per fact and only the ones that improve its
//! confidence or depth, so cycles terminate and only improvements propagate.

pub(crate) mod classes;
pub mod completed;
pub mod emit;
mod existence;
pub mod expr;
mod group_count;
mod join;
mod loops;
pub mod merge;
pub mod meta;
mod noisy;
pub mod query;
pub mod solve;
mod supersede;
mod table;
mod vars;

use crate::plan::ir::*;
use crate::plan::order::{Output, RulePlan, Source, compile_rule};
use crate::value::{ColumnType, Interner};
use completed::Caches;
use datafrog::Iteration;
use emit::{Emitter, HeadMeta, StepMeta, emit_head, project, run_step};
use expr::{Cx, run_ops};
use join::RowSlice;
use meta::{Meta, cells};
use std::collections::HashMap;
pub use vars::MAX_WIDTH;
use vars::{AnyVar, Flat};

/// A completed relation: rows sorted and distinct, stored flat.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    /// Number of columns (0 for a nullary relation).
    pub arity: usize,
    /// Cells per stored row: `max(arity, 1)` (a nullary row is stored as one 0), plus the
    /// metadata cells when `meta` (three, or five with a time).
    pub width: usize,
    /// Whether rows carry metadata cells (confidence, depth, rule) behind their columns.
    pub meta: bool,
    /// The rows, `width` cells each.
    pub data: Vec<u64>,
}

impl Rows {
    /// No rows, in the layout of a relation of `arity` columns.
    pub fn empty(arity: usize, mode: Mode) -> Rows {
        Rows {
            arity,
            width: arity.max(1) + if mode.meta { cells(mode.time) } else { 0 },
            meta: mode.meta,
            data: Vec::new(),
        }
    }
    /// How these rows were evaluated: with metadata, and with a time.
    pub(crate) fn mode(&self) -> Mode {
        let base = self.arity.max(1);
        Mode {
            meta: self.meta,
            time: self.meta && self.width > base + meta::FACT_CELLS,
        }
    }
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// Row `i`, `arity` values.
    pub fn row(&self, i: usize) -> &[u64] {
        &self.data[i * self.width..i * self.width + self.arity]
    }
    /// Row `i`'s metadata; asserted with confidence 1 when rows carry none.
    pub fn meta(&self, i: usize) -> Meta {
        if !self.meta {
            return Meta::asserted(1.0);
        }
        let end = (i + 1) * self.width;
        Meta::read(&self.data[i * self.width + self.arity.max(1)..end], true)
    }
    /// The index of the row with these column values (rows are sorted by their columns).
    pub(crate) fn find(&self, values: &[u64]) -> Option<usize> {
        let slice = RowSlice::new(&self.data, self.width);
        let range = join::prefix_range(slice, values);
        (!range.is_empty()).then_some(range.start)
    }
}

/// Errors raised while evaluating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A relation, projection or intermediate is wider than the engine supports.
    #[error("`{what}` needs rows of {width} columns; at most {max} are supported")]
    TooWide {
        /// What needed the width.
        what: String,
        /// The width.
        width: usize,
        /// The maximum.
        max: usize,
    },
    /// A bound on evaluation was passed ([`crate::Limits`]).
    #[error("evaluation stopped: relation `{relation}` {why}")]
    Limit {
        /// The relation that grew.
        relation: String,
        /// Which bound, and by how much.
        why: String,
    },
    /// Provenance tracking numbers rules in 16 bits.
    #[error(
        "the program has {rules} rules; tracking confidence and provenance supports at most {max} \
         (evaluate without provenance if it uses no confidence syntax)"
    )]
    TooManyRules {
        /// Rules in the program.
        rules: usize,
        /// The maximum.
        max: usize,
    },
}

/// The input facts of one evaluation, encoded.
#[derive(Clone, Debug, Default)]
pub struct Base {
    /// Per relation: rows of `max(arity, 1)` values, any order, duplicates allowed.
    pub rows: Vec<Vec<u64>>,
    /// Per relation: one confidence per row, or empty when every row has confidence 1.
    pub conf: Vec<Vec<f64>>,
    /// Per relation: one time per row, or empty when every row has time 0.
    pub time: Vec<Vec<i64>>,
    /// Per relation: one depth and rule per row, or empty when every row is asserted (a
    /// merge's rewritten facts and the pairs of earlier passes have origins of their own).
    origin: Vec<Vec<(u32, u32)>>,
    /// Per relation: values per row.
    width: Vec<usize>,
}

impl Base {
    /// No facts for the plan's relations.
    pub fn new(plan: &Plan) -> Base {
        let n = plan.relations.len();
        Base {
            rows: vec![Vec::new(); n],
            conf: vec![Vec::new(); n],
            time: vec![Vec::new(); n],
            origin: vec![Vec::new(); n],
            width: plan.relations.iter().map(|r| r.arity().max(1)).collect(),
        }
    }

    /// Adds one row with a confidence.
    pub(crate) fn push(&mut self, rel: RelId, row: &[u64], conf: f64) {
        self.push_at(rel, row, conf, 0);
    }

    /// Adds one row with a confidence and a time.
    pub fn push_at(&mut self, rel: RelId, row: &[u64], conf: f64, time: i64) {
        self.push_meta(rel, row, Meta::asserted_at(conf, time));
    }

    /// Adds one row with all its metadata (a depth and rule other than an assertion's).
    pub(crate) fn push_meta(&mut self, rel: RelId, row: &[u64], m: Meta) {
        let (conf, time) = (m.conf, m.time);
        let n = self.rows_of(rel);
        let asserted = m.depth == 0 && m.rule == meta::ASSERTED;
        if !asserted && self.origin[rel].len() < n {
            self.origin[rel].resize(n, (0, meta::ASSERTED));
        }
        if !self.origin[rel].is_empty() || !asserted {
            self.origin[rel].push((m.depth, m.rule));
        }
        if conf != 1.0 && self.conf[rel].len() < n {
            self.conf[rel].resize(n, 1.0);
        }
        if time != 0 && self.time[rel].len() < n {
            self.time[rel].resize(n, 0);
        }
        if !self.time[rel].is_empty() || time != 0 {
            self.time[rel].push(time);
        }
        if row.is_empty() {
            self.rows[rel].push(0);
        } else {
            self.rows[rel].extend_from_slice(row);
        }
        if !self.conf[rel].is_empty() || conf != 1.0 {
            self.conf[rel].push(conf);
        }
    }

    fn rows_of(&self, rel: RelId) -> usize {
        self.rows[rel].len() / self.width[rel]
    }

    /// Relation `rel`'s rows as facts with metadata cells (asserted), taking them out.
    fn take_facts(&mut self, rel: RelId, time: bool) -> Vec<u64> {
        let w = self.width[rel];
        let rows = std::mem::take(&mut self.rows[rel]);
        let conf = std::mem::take(&mut self.conf[rel]);
        let times = std::mem::take(&mut self.time[rel]);
        let origins = std::mem::take(&mut self.origin[rel]);
        let mut out = Vec::with_capacity(rows.len() / w * (w + cells(time)));
        for (i, row) in rows.chunks_exact(w).enumerate() {
            out.extend_from_slice(row);
            let c = conf.get(i).copied().unwrap_or(1.0);
            let t = times.get(i).copied().unwrap_or(0);
            let mut m = Meta::asserted_at(c, t);
            if let Some(&(depth, rule)) = origins.get(i) {
                (m.depth, m.rule) = (depth, rule);
            }
            m.push(&mut out, true, time);
        }
        out
    }

    /// The facts of `rel` with their metadata, in the order they were added.
    pub(crate) fn facts_of(&self, rel: RelId) -> impl Iterator<Item = (&[u64], Meta)> + '_ {
        let w = self.width[rel];
        self.rows[rel]
            .chunks_exact(w)
            .enumerate()
            .map(move |(i, row)| {
                let mut m = Meta::asserted_at(
                    self.conf[rel].get(i).copied().unwrap_or(1.0),
                    self.time[rel].get(i).copied().unwrap_or(0),
                );
                if let Some(&(depth, rule)) = self.origin[rel].get(i) {
                    (m.depth, m.rule) = (depth, rule);
                }
                (row, m)
            })
    }

    /// A copy holding only the facts of `rels` (for evaluating a stratum again).
    fn clone_of(&self, rels: &[RelId]) -> Base {
        let n = self.rows.len();
        let mut out = Base {
            rows: vec![Vec::new(); n],
            conf: vec![Vec::new(); n],
            time: vec![Vec::new(); n],
            origin: vec![Vec::new(); n],
            width: self.width.clone(),
        };
        out.restore(self, rels);
        out
    }

    /// Puts back the facts of `rels` from a copy made by [`Base::clone_of`].
    fn restore(&mut self, saved: &Base, rels: &[RelId]) {
        for &r in rels {
            self.rows[r] = saved.rows[r].clone();
            self.conf[r] = saved.conf[r].clone();
            self.time[r] = saved.time[r].clone();
            self.origin[r] = saved.origin[r].clone();
        }
    }

    /// Whether some row has a time.
    pub(crate) fn has_time(&self) -> bool {
        self.time.iter().any(|t| t.iter().any(|&x| x != 0))
    }

    /// Whether some row has a confidence below 1.
    pub(crate) fn has_confidence(&self) -> bool {
        self.conf.iter().any(|c| c.iter().any(|&x| x != 1.0))
    }
}

/// A head's derivations of one round, in the cell type of its variable.
enum Pending {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Pending {
    fn new(var: &AnyVar) -> Pending {
        if var.is_narrow() {
            Pending::Narrow(Vec::new())
        } else {
            Pending::Wide(Vec::new())
        }
    }
}

/// How a run evaluates.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Whether rows carry confidence, depth and rule.
    pub meta: bool,
    /// Whether they also carry a time (a store's evaluation; needs `meta`).
    pub time: bool,
}

/// What an evaluation produced.
pub struct Evaluated {
    /// Every relation's facts.
    pub done: Vec<Option<Rows>>,
    /// With `.merge`: the program with its constants read through the classes (what the
    /// facts answer to), and the facts the merge rewrote.
    pub merged: Option<merge::Merged>,
}

/// Evaluates the program: every stratum, and with `.merge`, again until the merges settle.
pub fn evaluate(
    plan: &Plan,
    mut base: Base,
    interner: &mut Interner,
    mode: Mode,
) -> Result<Evaluated, EvalError> {
    for (rel, row, conf, time) in &plan.facts {
        base.push_at(*rel, row, *conf, *time);
    }
    interner.refresh_order();
    if mode.meta && plan.rules.len() > meta::MAX_RULES {
        return Err(EvalError::TooManyRules {
            rules: plan.rules.len(),
            max: meta::MAX_RULES,
        });
    }
    match plan.merge {
        Some(m) => {
            let (done, merged) = merge::evaluate_merging(plan, m, base, interner, mode)?;
            Ok(Evaluated {
                done,
                merged: Some(merged),
            })
        }
        None => Ok(Evaluated {
            done: evaluate_strata(plan, base, interner, mode)?,
            merged: None,
        }),
    }
}

/// Evaluates every stratum in order over the base facts (the program's own included).
pub(crate) fn evaluate_strata(
    plan: &Plan,
    base: Base,
    interner: &mut Interner,
    mode: Mode,
) -> Result<Vec<Option<Rows>>, EvalError> {
    let mut strata = Strata::new(plan, base);
    strata.run(plan, interner, mode, None)?;
    Ok(strata.done)
}

/// An evaluation stratum by stratum that can evaluate what one relation needs and go on
/// later.
pub(crate) struct Strata {
    /// The completed relations.
    pub done: Vec<Option<Rows>>,
    base: Base,
    caches: Caches,
    /// Per stratum: evaluated yet.
    evaluated: Vec<bool>,
}

impl Strata {
    /// Nothing evaluated yet.
    pub(crate) fn new(plan: &Plan, base: Base) -> Strata {
        Strata {
            done: vec![None; plan.relations.len()],
            base,
            caches: Caches::default(),
            evaluated: vec![false; plan.strata.len()],
        }
    }

    /// Takes over from `before` (an evaluation of the same program over other facts) each
    /// stratum it evaluated whose relations are all `unchanged` (they derive the same rows).
    pub(crate) fn adopt(&mut self, plan: &Plan, before: &mut Strata, unchanged: &[bool]) {
        for (s, stratum) in plan.strata.iter().enumerate() {
            if self.evaluated[s]
                || !before.evaluated[s]
                || !stratum.relations.iter().all(|&r| unchanged[r])
            {
                continue;
            }
            self.evaluated[s] = true;
            for &r in &stratum.relations {
                self.done[r] = before.done[r].take();
            }
        }
    }

    /// Evaluates, in order, the strata not evaluated yet: those `only` depends on (itself
    /// included), or every one. Skipping the others keeps the order valid: nothing `only`
    /// needs depends on them, and a later run takes them in their place.
    pub(crate) fn run(
        &mut self,
        plan: &Plan,
        interner: &mut Interner,
        mode: Mode,
        only: Option<RelId>,
    ) -> Result<(), EvalError> {
        let mut wanted = vec![only.is_none(); plan.relations.len()];
        if let Some(rel) = only {
            for r in plan.depends(rel) {
                wanted[r] = true;
            }
        }
        for (s, stratum) in plan.strata.iter().enumerate() {
            if self.evaluated[s] || !stratum.relations.iter().any(|&r| wanted[r]) {
                continue;
            }
            self.evaluated[s] = true;
            eval_one(plan, stratum, self, interner, mode)?;
        }
        Ok(())
    }
}

/// Evaluates one stratum, its relations completed into `st.done`.
fn eval_one(
    plan: &Plan,
    stratum: &Stratum,
    st: &mut Strata,
    interner: &mut Interner,
    mode: Mode,
) -> Result<(), EvalError> {
    let (base, done, caches) = (&mut st.base, &mut st.done[..], &mut st.caches);
    // A history relation is filled when its functional relation's stratum ends.
    if stratum
        .relations
        .iter()
        .all(|&r| plan.relations[r].superseded_of.is_some())
    {
        return Ok(());
    }
    if stratum
        .relations
        .iter()
        .any(|&r| plan.relations[r].class_of.is_some())
    {
        return eval_with_classes(plan, stratum, st, interner, mode);
    }
    let noisy = mode.meta
        && stratum.relations.len() == 1
        && plan.relations[stratum.relations[0]].combine == Combine::NoisyOr;
    let results = if noisy {
        let rel = stratum.relations[0];
        let mut cx = Cx::new(interner, done, caches);
        vec![(
            rel,
            noisy::eval_noisy_or(
                plan,
                stratum,
                base.take_facts(rel, mode.time),
                mode,
                &mut cx,
            ),
        )]
    } else {
        eval_stratum(plan, stratum, base, done, interner, caches, mode)?
    };
    for (rel, rows) in results {
        let d = &plan.relations[rel];
        match (&d.functional, d.superseded) {
            (Some(keys), Some(history)) => {
                let (live, old) = supersede::split(d, keys, rows, interner);
                done[rel] = Some(live);
                done[history] = Some(old);
            }
            _ => done[rel] = Some(rows),
        }
    }
    Ok(())
}

/// A stratum that holds the classes of an eqrel. When the eqrel is complete (an earlier
/// stratum) they are computed once from its pairs. When rules of the stratum read the classes
/// to derive more pairs (recursion through the eqrel), the stratum runs to a fixpoint with the
/// classes fixed, the classes are computed again from the pairs it derived, and it runs again
/// from its base facts until they no longer change (classes only grow, so this ends).
fn eval_with_classes(
    plan: &Plan,
    stratum: &Stratum,
    st: &mut Strata,
    interner: &mut Interner,
    mode: Mode,
) -> Result<(), EvalError> {
    let (base, done, caches) = (&mut st.base, &mut st.done[..], &mut st.caches);
    let (class_rels, relations): (Vec<RelId>, Vec<RelId>) = stratum
        .relations
        .iter()
        .partition(|&&r| plan.relations[r].class_of.is_some());
    let classes_of = |pairs: &Rows, class: RelId, interner: &Interner| {
        let eqrel = plan.relations[class].class_of.expect("a class relation");
        let ty = plan.relations[eqrel].columns[0].1;
        classes::Classes::build(pairs, ty, interner).rows(mode)
    };
    if relations.is_empty() {
        for class in class_rels {
            let eqrel = plan.relations[class].class_of.expect("a class relation");
            let pairs = done[eqrel].take().unwrap_or_else(|| Rows::empty(2, mode));
            done[class] = Some(classes_of(&pairs, class, interner));
            done[eqrel] = Some(pairs);
        }
        return Ok(());
    }
    let rest = Stratum {
        relations,
        rules: stratum.rules.clone(),
        recursive: stratum.recursive,
    };
    // The first classes come from the asserted pairs.
    let saved = base.clone_of(&rest.relations);
    for &class in &class_rels {
        let eqrel = plan.relations[class].class_of.expect("a class relation");
        let pairs = Rows {
            arity: 2,
            width: width_of(plan, eqrel, mode),
            meta: mode.meta,
            data: if mode.meta {
                base.clone_of(&[eqrel]).take_facts(eqrel, mode.time)
            } else {
                base.rows[eqrel].clone()
            },
        };
        done[class] = Some(classes_of(&pairs, class, interner));
    }
    loop {
        let results = eval_stratum(plan, &rest, base, done, interner, caches, mode)?;
        let mut stable = true;
        for &class in &class_rels {
            let eqrel = plan.relations[class].class_of.expect("a class relation");
            let (_, pairs) = results
                .iter()
                .find(|(r, _)| *r == eqrel)
                .expect("the eqrel is in its classes' stratum");
            let next = classes_of(pairs, class, interner);
            let old = done[class].as_ref().expect("classes computed");
            if !classes::same_classes(old, &next) {
                stable = false;
                done[class] = Some(next);
                caches.forget(class);
            }
        }
        if stable {
            for (rel, rows) in results {
                done[rel] = Some(rows);
            }
            return Ok(());
        }
        base.restore(&saved, &rest.relations);
    }
}

fn width_of(plan: &Plan, rel: RelId, mode: Mode) -> usize {
    plan.relations[rel].arity().max(1) + if mode.meta { cells(mode.time) } else { 0 }
}

fn narrow_rel(plan: &Plan, rel: RelId) -> bool {
    let d = &plan.relations[rel];
    d.arity() > 0 && d.columns.iter().all(|c| c.1 == ColumnType::Symbol)
}

fn new_var(
    it: &mut Iteration,
    width: usize,
    narrow: bool,
    what: &str,
) -> Result<AnyVar, EvalError> {
    new_var_of(it, width, narrow, false, what)
}

fn new_var_of(
    it: &mut Iteration,
    width: usize,
    narrow: bool,
    lattice: bool,
    what: &str,
) -> Result<AnyVar, EvalError> {
    AnyVar::new(it, width, narrow, lattice).ok_or_else(|| EvalError::TooWide {
        what: what.to_string(),
        width,
        max: MAX_WIDTH,
    })
}

fn eval_stratum(
    plan: &Plan,
    stratum: &Stratum,
    base: &mut Base,
    done: &[Option<Rows>],
    interner: &mut Interner,
    caches: &mut Caches,
    mode: Mode,
) -> Result<Vec<(RelId, Rows)>, EvalError> {
    if loops::takes(plan, stratum, mode) {
        // Strata of long bodies: index nested loops, each relation held once (`loops.rs`).
        let mut cx = Cx::new(interner, done, caches);
        return loops::evaluate(plan, stratum, base, &mut cx, mode);
    }
    let part = if mode.meta { cells(mode.time) } else { 0 };
    let mut accesses = Vec::new();
    // Rules that count their own body run once, before the others (see `group_count.rs`).
    let mut counting = Vec::new();
    let mut rule_plans: Vec<RulePlan> = Vec::new();
    let mut cx = Cx::new(interner, done, caches);
    for &i in &stratum.rules {
        match group_count::detect(plan, i) {
            Some(gc) => counting.push((i, gc)),
            None if mode.meta => rule_plans.push(compile_rule(i, &plan.rules[i], &mut accesses)),
            None => {
                // Parts of the body independent of the rest are checked once, here.
                if let Some((rule, _)) = existence::settle(&plan.rules[i], stratum, false, &mut cx)
                {
                    rule_plans.push(compile_rule(i, &rule, &mut accesses));
                }
            }
        }
    }
    let mut it = Iteration::new();
    // One variable per relation of the stratum and per completed relation a rule reads.
    let mut canon: HashMap<RelId, AnyVar> = HashMap::new();
    for &rel in &stratum.relations {
        let name = &plan.relations[rel].name;
        let width = width_of(plan, rel, mode);
        let var = new_var_of(&mut it, width, narrow_rel(plan, rel), mode.meta, name)?;
        if mode.meta {
            var.insert_lattice(&mut base.take_facts(rel, mode.time), mode.time);
        } else {
            var.insert_flat(&std::mem::take(&mut base.rows[rel]));
        }
        canon.insert(rel, var);
    }
    for a in &accesses {
        if let std::collections::hash_map::Entry::Vacant(e) = canon.entry(a.rel) {
            let name = &plan.relations[a.rel].name;
            let var = new_var(
                &mut it,
                width_of(plan, a.rel, mode),
                narrow_rel(plan, a.rel),
                name,
            )?;
            if let Some(rows) = &done[a.rel] {
                var.insert_flat(&rows.data);
            }
            e.insert(var);
        }
    }
    let mut access_vars: Vec<Option<AnyVar>> = Vec::new();
    for a in &accesses {
        let arity = plan.relations[a.rel].arity();
        if a.is_identity(arity) {
            access_vars.push(None);
        } else {
            let d = &plan.relations[a.rel];
            let narrow =
                !a.cols.is_empty() && a.cols.iter().all(|&c| d.columns[c].1 == ColumnType::Symbol);
            access_vars.push(Some(new_var(
                &mut it,
                a.cols.len().max(1) + part,
                narrow,
                &d.name,
            )?));
        }
    }
    let mut inter_vars: Vec<Vec<AnyVar>> = Vec::new();
    for rp in &rule_plans {
        let rule = &plan.rules[rp.rule];
        let mut vs = Vec::new();
        for step in &rp.steps {
            if let Output::Intermediate(_, layout) = &step.out {
                let narrow = !layout.is_empty()
                    && layout
                        .iter()
                        .all(|&v| rule.var_types[v] == ColumnType::Symbol);
                vs.push(new_var(
                    &mut it,
                    layout.len().max(1) + part,
                    narrow,
                    &rule.origin,
                )?);
            }
        }
        inter_vars.push(vs);
    }
    let head_meta = |rp: &RulePlan| HeadMeta::of(plan, rp.rule);
    for (ri, gc) in &counting {
        let rule = &plan.rules[*ri];
        let hm = HeadMeta::of(plan, *ri);
        let mut buf = Vec::new();
        let head = mode.meta.then_some((&hm, mode.time));
        group_count::evaluate(plan, *ri, gc, head, &mut cx, &mut buf);
        if mode.meta {
            canon[&rule.head].insert_lattice(&mut buf, mode.time);
        } else {
            canon[&rule.head].insert_flat(&buf);
        }
    }
    // Rules without positive atoms fire once.
    for rp in rule_plans.iter().filter(|rp| rp.steps.is_empty()) {
        let rule = &plan.rules[rp.rule];
        let mut env = vec![0u64; rule.var_names.len()];
        let mut buf = Vec::new();
        if run_ops(&rp.once_ops, &mut env, &mut cx)
            && emit_head(&rule.head_args, &env, &mut cx, &mut buf)
        {
            if mode.meta {
                match head_meta(rp).derive(Meta::asserted(1.0), &env, &mut cx) {
                    Some(m) => m.push(&mut buf, true, mode.time),
                    None => buf.clear(),
                }
                canon[&rule.head].insert_lattice(&mut buf, mode.time);
            } else {
                canon[&rule.head].insert_flat(&buf);
            }
        }
    }
    let mut buf: Vec<u64> = Vec::new();
    // With provenance: each head's derivations of the round, in its variable's cell type.
    let mut pending: HashMap<RelId, Pending> = HashMap::new();
    while it.changed() {
        // A runaway program stops here, naming its biggest relation.
        check_limits(
            plan,
            (stratum.relations.iter()).filter_map(|r| canon.get(r).map(|v| (*r, v.rows()))),
        )?;
        for (a, var) in accesses.iter().zip(&access_vars) {
            if let Some(var) = var {
                buf.clear();
                let src = &canon[&a.rel];
                let w = src.width();
                src.with_recent(|rows| match rows {
                    Flat::Narrow(d) => {
                        project(a, RowSlice::new(d, w), mode.meta, mode.time, &mut buf)
                    }
                    Flat::Wide(d) => {
                        project(a, RowSlice::new(d, w), mode.meta, mode.time, &mut buf)
                    }
                });
                var.insert_flat(&buf);
            }
        }
        for (rp, inters) in rule_plans.iter().zip(&inter_vars) {
            let rule = &plan.rules[rp.rule];
            let mut env = vec![0u64; rule.var_names.len()];
            for step in &rp.steps {
                // The variable a source reads, and whether its rows are facts (else partial
                // derivations), which decides their metadata cells.
                let input = |s: Source| -> (&AnyVar, bool) {
                    match s {
                        Source::Access(i) => match &access_vars[i] {
                            Some(v) => (v, false),
                            None => (&canon[&accesses[i].rel], true),
                        },
                        Source::Intermediate(i) => (&inters[i], false),
                    }
                };
                let n = cells(mode.time);
                let (left, lfact) = input(step.left);
                let right = step.right.map(input);
                let meta = mode.meta.then(|| StepMeta {
                    left_at: left.width() - n,
                    left_fact: lfact,
                    right_at: right.map_or(0, |(v, _)| v.width() - n),
                    right_fact: right.is_some_and(|(_, fact)| fact),
                    time: mode.time,
                    head: head_meta(rp),
                });
                // With provenance a head's derivations collect in its pending buffer for the
                // round's lattice step; everything else is inserted straight away.
                let to_pending = mode.meta && matches!(step.out, Output::Head(_));
                let right = right.map(|r| r.0);
                if to_pending {
                    let head = &canon[&rule.head];
                    match pending
                        .entry(rule.head)
                        .or_insert_with(|| Pending::new(head))
                    {
                        Pending::Narrow(out) => {
                            let mut em = Emitter::new(step, &mut env, &mut cx, out, meta);
                            run_step(step, left, right, &mut em);
                        }
                        Pending::Wide(out) => {
                            let mut em = Emitter::new(step, &mut env, &mut cx, out, meta);
                            run_step(step, left, right, &mut em);
                        }
                    }
                    continue;
                }
                buf.clear();
                let mut em = Emitter::new(step, &mut env, &mut cx, &mut buf, meta);
                run_step(step, left, right, &mut em);
                match &step.out {
                    Output::Intermediate(i, _) => inters[*i].insert_flat(&buf),
                    Output::Head(_) => canon[&rule.head].insert_flat(&buf),
                }
            }
        }
        for (rel, rows) in pending.iter_mut() {
            match rows {
                Pending::Narrow(r) => {
                    canon[rel].insert_lattice_narrow(r, mode.time);
                    r.clear();
                }
                Pending::Wide(r) => {
                    canon[rel].insert_lattice(r, mode.time);
                    r.clear();
                }
            }
        }
    }
    let mut out = Vec::new();
    for &rel in &stratum.relations {
        let var = canon.remove(&rel).expect("stratum relation has a variable");
        let width = var.width();
        let data = if mode.meta {
            var.complete_lattice(mode.time)
        } else {
            var.complete()
        };
        out.push((
            rel,
            Rows {
                arity: plan.relations[rel].arity(),
                width,
                meta: mode.meta,
                data,
            },
        ));
    }
    Ok(out)
}

/// Stops an evaluation that passed a bound, naming the biggest of the relations whose sizes
/// `sizes` gives (the ones growing now): the one check of bulk evaluation and incremental
/// maintenance.
pub fn check_limits(
    plan: &Plan,
    sizes: impl Iterator<Item = (RelId, usize)>,
) -> Result<(), EvalError> {
    let Some((rel, rows)) = sizes.max_by_key(|x| x.1) else {
        return Ok(());
    };
    match crate::limits::exceeded(rows) {
        Some(why) => Err(EvalError::Limit {
            relation: plan.relations[rel].name.clone(),
            why,
        }),
        None => Ok(()),
    }
}
