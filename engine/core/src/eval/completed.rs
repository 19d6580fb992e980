//! Completed relations as the solver's source (`solve.rs`), for aggregates, negation,
//! queries, noisy-or and explain: each level probes its relation through an index sorted on
//! the columns it binds, built once and kept in [`Caches`] (completed relations never
//! change).

use super::Rows;
use super::expr::Cx;
use super::join::{RowSlice, prefix_range};
use super::meta::Meta;
use super::solve::{self as solver, Compiled, Fact, Level, Source, compile};
use crate::plan::ir::*;
use crate::plan::order::compile_nested;

use rustc_hash::FxHashMap;
use std::sync::Arc as Rc;

/// A completed relation re-sorted with some columns first.
pub(crate) struct Index {
    /// Each cell's position in index order (relation columns first, then metadata cells,
    /// which keep theirs).
    at: Vec<usize>,
    /// Rows in index order, sorted.
    data: Vec<u64>,
    width: usize,
    arity: usize,
    meta: bool,
    /// Each value of the first index column and its rows: a probe costs a hash lookup, not
    /// a binary search whose every step misses the cache (`None` past `u32::MAX` rows).
    first: Option<FxHashMap<u64, (u32, u32)>>,
}

impl Index {
    /// The rows whose leading index columns hold `key`.
    fn range(&self, key: &[u64]) -> std::ops::Range<usize> {
        let w = self.width;
        match (&self.first, key.first()) {
            (Some(first), Some(k)) => {
                let Some(&(start, end)) = first.get(k) else {
                    return 0..0;
                };
                let (start, end) = (start as usize, end as usize);
                if key.len() == 1 {
                    return start..end;
                }
                let r = prefix_range(RowSlice::new(&self.data[start * w..end * w], w), key);
                r.start + start..r.end + start
            }
            _ => prefix_range(RowSlice::new(&self.data, w), key),
        }
    }

    /// The directory of the first column's values (rows sorted by it).
    fn directory(data: &[u64], width: usize) -> Option<FxHashMap<u64, (u32, u32)>> {
        let n = data.len().checked_div(width)?;
        u32::try_from(n).ok()?;
        let mut first = FxHashMap::default();
        let mut i = 0;
        while i < n {
            let v = data[i * width];
            let mut j = i + 1;
            while j < n && data[j * width] == v {
                j += 1;
            }
            first.insert(v, (i as u32, j as u32));
            i = j;
        }
        Some(first)
    }
}

/// A fact of a completed relation a level matched: row `pos` of an index.
#[derive(Clone, Copy)]
pub(crate) struct Hit<'a> {
    rel: RelId,
    ix: &'a Index,
    pos: usize,
}

impl Hit<'_> {
    /// The relation.
    pub(crate) fn rel(&self) -> RelId {
        self.rel
    }
    /// The fact's column values, in column order.
    pub(crate) fn row(&self) -> Vec<u64> {
        (0..self.ix.arity).map(|c| self.cell(c)).collect()
    }
}

impl Fact for Hit<'_> {
    #[inline]
    fn cell(&self, col: usize) -> u64 {
        self.ix.data[self.pos * self.ix.width + self.ix.at[col]]
    }
    /// The fact's metadata (asserted with confidence 1 when the relation carries none).
    fn meta(&self) -> Meta {
        if !self.ix.meta {
            return Meta::asserted(1.0);
        }
        let (w, start) = (self.ix.width, self.pos * self.ix.width);
        Meta::read(&self.ix.data[start + self.ix.arity.max(1)..start + w], true)
    }
}

/// Indexes, compiled plans and regexes, kept across strata (completed relations never change).
#[derive(Clone, Default)]
pub struct Caches {
    indexes: FxHashMap<(RelId, Vec<usize>), Rc<Index>>,
    plans: FxHashMap<usize, Rc<Compiled>>,
    regexes: FxHashMap<u64, Option<regex::Regex>>,
    /// Per aggregate, keyed by its id followed by the values of its outer variables: its
    /// result. An aggregate reads completed relations only, so a group is computed once,
    /// however many facts name it. Groups of up to three values are keyed inline (no
    /// allocation per group; an aggregate's groups all have the same length).
    aggregates: FxHashMap<[u64; 4], Option<u64>>,
    /// Groups of more than three values.
    wide_aggregates: FxHashMap<Vec<u64>, Option<u64>>,
    /// The key of the last aggregate lookup, reused so a lookup allocates nothing.
    group: Vec<u64>,
    /// The value the next `autoinc()` (or `$`) gives: 0, 1, 2, ... over one evaluation.
    pub(crate) counter: i64,
    /// The names and functions of the program's user-defined functors ([`Plan::functors`]).
    pub(crate) functors: Vec<(String, Option<crate::plan::functors::FunctorFn>)>,
    /// The first thing a user-defined functor did wrong (gave a value of another type than
    /// its declaration's, or was called without a function): evaluation stops with it.
    pub(crate) functor_error: Option<String>,
}

impl Caches {
    /// Empty caches with the functions of user-defined functors `functors`.
    pub(crate) fn with_functors(functors: &[crate::plan::functors::UserFunctor]) -> Caches {
        Caches {
            functors: (functors.iter())
                .map(|f| (f.name.clone(), f.function.clone()))
                .collect(),
            ..Caches::default()
        }
    }

    /// The compiled nested plan of an aggregate (cached by its id).
    pub(crate) fn nested_for(&mut self, agg: &IrAggregate, n_vars: usize) -> Rc<Compiled> {
        let key = agg.id;
        if let Some(c) = self.plans.get(&key) {
            return c.clone();
        }
        let plan = compile_nested(&agg.atoms, &agg.constraints, n_vars, &agg.outer);
        let c = Rc::new(compile(&plan, &agg.outer, n_vars));
        self.plans.insert(key, c.clone());
        c
    }

    /// Drops the indexes of a relation whose rows were replaced, and every aggregate result
    /// (one may have read it).
    pub(crate) fn forget(&mut self, rel: RelId) {
        self.indexes.retain(|(r, _), _| *r != rel);
        self.aggregates.clear();
        self.wide_aggregates.clear();
    }

    /// The result of aggregate `id` for the outer values `outer` gives, if it was computed.
    /// On a miss, [`Caches::take_group`] hands out the key looked up.
    pub(crate) fn aggregate(
        &mut self,
        id: usize,
        outer: impl Iterator<Item = u64>,
    ) -> Option<Option<u64>> {
        self.group.clear();
        self.group.push(id as u64);
        self.group.extend(outer);
        match inline_group(&self.group) {
            Some(k) => self.aggregates.get(&k).copied(),
            None => self.wide_aggregates.get(self.group.as_slice()).copied(),
        }
    }

    /// The key the last [`Caches::aggregate`] lookup asked for (taken before computing the
    /// group, which may look up groups of its own).
    pub(crate) fn take_group(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.group)
    }

    /// Records the result of a group, keyed as [`Caches::take_group`] gave it.
    pub(crate) fn remember_aggregate(&mut self, group: Vec<u64>, result: Option<u64>) {
        match inline_group(&group) {
            Some(k) => {
                self.aggregates.insert(k, result);
            }
            None => {
                self.wide_aggregates.insert(group, result);
            }
        }
    }

    /// The regular expression of a pattern symbol, compiled once (`None` if invalid).
    pub(crate) fn regex(&mut self, sym: u64, pattern: &str) -> Option<&regex::Regex> {
        self.regexes
            .entry(sym)
            .or_insert_with(|| whole_match(pattern).ok())
            .as_ref()
    }

    /// `rows` (relation `rel`, completed) sorted with `key_cols` first (built once).
    fn index(&mut self, rel: RelId, rows: &Rows, key_cols: &[usize]) -> Rc<Index> {
        let mut perm: Vec<usize> = key_cols.to_vec();
        for c in 0..rows.width {
            if !perm.contains(&c) {
                perm.push(c);
            }
        }
        if let Some(ix) = self.indexes.get(&(rel, perm.clone())) {
            return ix.clone();
        }
        let w = rows.width;
        let identity = perm.iter().enumerate().all(|(i, &c)| i == c);
        let data = if identity {
            rows.data.clone()
        } else {
            let row = |i: u32| &rows.data[i as usize * w..(i as usize + 1) * w];
            let mut order: Vec<u32> = (0..rows.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                let (ra, rb) = (row(a), row(b));
                perm.iter().map(|&c| ra[c]).cmp(perm.iter().map(|&c| rb[c]))
            });
            let mut data = Vec::with_capacity(rows.data.len());
            for i in order {
                let r = row(i);
                data.extend(perm.iter().map(|&c| r[c]));
            }
            data
        };
        let mut at = vec![0; w];
        for (i, &c) in perm.iter().enumerate() {
            at[c] = i;
        }
        let ix = Rc::new(Index {
            at,
            first: Index::directory(&data, w),
            data,
            width: w,
            arity: rows.arity,
            meta: rows.meta,
        });
        self.indexes.insert((rel, perm), ix.clone());
        ix
    }
}

/// An aggregate's id and group as an inline key, if the group has at most three values.
fn inline_group(group: &[u64]) -> Option<[u64; 4]> {
    let mut k = [0; 4];
    k.get_mut(..group.len())?.copy_from_slice(group);
    Some(k)
}

/// The indexes of one solve, a level each: completed relations sorted on the columns the
/// level probes.
struct Indexes<'a> {
    levels: &'a [(RelId, Rc<Index>)],
}

impl<'a> Source<'a> for Indexes<'a> {
    type Fact = Hit<'a>;

    #[inline]
    fn probe(&self, depth: usize, _: &Level, key: &[u64], mut f: impl FnMut(Hit<'a>) -> bool) {
        let (rel, ix) = &self.levels[depth];
        for pos in ix.range(key) {
            if !f(Hit { rel: *rel, ix, pos }) {
                return;
            }
        }
    }
}

/// What a solution callback gets: the binding, the facts matched (one per level) and the
/// evaluation context.
pub(crate) type OnSolution<'f> = dyn FnMut(&[u64], &[Hit<'_>], &mut Cx<'_>) + 'f;

/// Calls `f` for every solution of the plan over the completed relations, with `env`
/// holding the binding.
pub(crate) fn solve(plan: &Compiled, env: &mut [u64], cx: &mut Cx<'_>, f: &mut OnSolution<'_>) {
    // Each level probes one index, the same for every probe: found once here. A level over
    // a relation with no rows has no solutions, and so has the plan.
    let mut levels = Vec::with_capacity(plan.levels.len());
    for level in &plan.levels {
        let Some(rows) = cx.done.get(level.rel).and_then(|r| r.as_ref()) else {
            return;
        };
        levels.push((level.rel, cx.caches.index(level.rel, rows, &level.key_cols)));
    }
    solver::solve(
        plan,
        &Indexes { levels: &levels },
        env,
        cx,
        &mut |env, hits, cx| f(env, hits, cx),
    );
}

/// The label of `member`'s class in a completed class relation (`member, label` rows, one
/// per member), if it is a member.
pub(crate) fn class_label(class: RelId, member: u64, cx: &mut Cx<'_>) -> Option<u64> {
    let rows = cx.done.get(class)?.as_ref()?;
    rows.find(&[member]).map(|i| rows.row(i)[1])
}

/// Whether a completed relation has a row with the given column values.
pub(crate) fn exists(rel: RelId, key: &[(usize, u64)], cx: &mut Cx<'_>) -> bool {
    let Some(rows) = cx.done.get(rel).and_then(|r| r.as_ref()) else {
        return false;
    };
    if rows.arity == 0 {
        return !rows.data.is_empty();
    }
    let cols: Vec<usize> = key.iter().map(|k| k.0).collect();
    let vals: Vec<u64> = key.iter().map(|k| k.1).collect();
    let ix = cx.caches.index(rel, rows, &cols);
    !ix.range(&vals).is_empty()
}

/// The regular expression `match(pattern, text)` tests: `pattern` against the whole text.
pub(crate) fn whole_match(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
}

/// A warning for each `match` pattern written in a rule that is not a regular expression:
/// neither `match` nor `!match` holds for it, as in Soufflé.
pub(crate) fn pattern_warnings(plan: &crate::plan::ir::Plan) -> Vec<String> {
    use crate::plan::ir::{Constraint, IrExprKind, TextPred};
    let mut warnings = Vec::new();
    for rule in &plan.rules {
        for c in &rule.constraints {
            if let Constraint::Text {
                pred: TextPred::Match,
                pattern,
                ..
            } = c
                && let IrExprKind::Const(sym) = pattern.kind
                && let Err(e) = whole_match(plan.interner.resolve_enc(sym))
            {
                let e = e.to_string().replace('\n', " ");
                warnings.push(format!(
                    "rule {}: `{}` is not a regular expression ({e}): neither `match` nor \
                     `!match` holds for it",
                    rule.label(),
                    plan.interner.resolve_enc(sym)
                ));
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probe through the first column's directory finds exactly the rows a binary search
    /// over the whole index finds, for keys of one and two columns, present or not (37 values
    /// of the first column are present, 40 probed).
    #[test]
    fn a_probe_through_the_directory_finds_what_a_search_finds() {
        let width = 3;
        let mut rows: Vec<[u64; 3]> = (0..500u64)
            .map(|i| [(i * 7919) % 37, (i * 104_729) % 11, i])
            .collect();
        rows.sort_unstable();
        let data: Vec<u64> = rows.concat();
        let ix = Index {
            at: vec![0, 1, 2],
            first: Index::directory(&data, width),
            data: data.clone(),
            width,
            arity: 3,
            meta: false,
        };
        let whole = RowSlice::new(&data, width);
        // The same rows (an empty range may sit anywhere).
        let same = |key: &[u64]| {
            let (got, want) = (ix.range(key), prefix_range(whole, key));
            assert!(
                got == want || (got.is_empty() && want.is_empty()),
                "key {key:?}"
            );
        };
        for a in 0..40 {
            same(&[a]);
            for b in 0..12 {
                same(&[a, b]);
            }
        }
        assert_eq!(ix.range(&[]), 0..500);
    }
}
