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

mod choice;
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
mod range;
mod rounds;
pub mod solve;
mod supersede;
mod table;
mod vars;

use crate::plan::ir::*;
use crate::value::Interner;
use completed::Caches;
use expr::Cx;
use join::RowSlice;
use meta::{Meta, cells};
pub use vars::MAX_WIDTH;

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
            best_first: false,
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
    /// A user-defined functor had no function, or gave a value of another type than its
    /// declaration's.
    #[error("user-defined functor {0}")]
    Functor(String),
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

/// How a run evaluates.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Whether rows carry confidence, depth and rule.
    pub meta: bool,
    /// Whether they also carry a time (a store's evaluation; needs `meta`).
    pub time: bool,
    /// Whether a stratum whose lattice allows it has its facts settled best-first, each once
    /// at its final confidence (`loops/best_first.rs`), rather than improved round by round
    /// ([`crate::EvalOptions::best_first`]).
    pub best_first: bool,
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
            caches: Caches::with_functors(&plan.functors),
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
            if let Some(e) = self.caches.functor_error.take() {
                return Err(EvalError::Functor(e));
            }
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
        rounds::eval_stratum(plan, stratum, base, done, interner, caches, mode)?
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
        subsumptions: stratum.subsumptions.clone(),
    };
    // The first classes come from the asserted pairs.
    let saved = base.clone_of(&rest.relations);
    for &class in &class_rels {
        let eqrel = plan.relations[class].class_of.expect("a class relation");
        let pairs = Rows {
            arity: 2,
            width: rounds::width_of(plan, eqrel, mode),
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
        let results = rounds::eval_stratum(plan, &rest, base, done, interner, caches, mode)?;
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
