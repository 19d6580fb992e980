//! Semi-naive evaluation on datafrog, one stratum at a time.
//!
//! Each relation of a stratum is a datafrog `Variable` of fixed-width rows; each projection of a
//! relation that a join needs (its key columns first) is another variable fed from the
//! relation's new rows every round; each rule with several atoms is a chain of binary merge
//! joins whose intermediates are variables too, so that datafrog's `recent`/`stable` split gives
//! semi-naive evaluation for free. Negation and aggregates read completed strata only.

pub(crate) mod expr;
mod join;
pub(crate) mod nested;
mod vars;

use crate::plan::ir::*;
use crate::plan::order::{
    Access, AccessFilter, Output, RulePlan, Side, Source, Step, compile_rule,
};
use crate::value::{ColumnType, Interner};
use datafrog::Iteration;
use expr::{Cx, eval, run_ops};
use join::{RowSlice, merge_join};
use nested::Caches;
use std::collections::HashMap;
pub use vars::MAX_WIDTH;
use vars::{AnyVar, Cell, Flat};

/// A completed relation: rows sorted and distinct, stored flat.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    /// Number of columns (0 for a nullary relation).
    pub arity: usize,
    /// Values per stored row: `max(arity, 1)` (a nullary row is stored as one 0).
    pub width: usize,
    /// The rows, `width` values each.
    pub data: Vec<u64>,
}

impl Rows {
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
}

/// Evaluates every stratum. `base[r]` holds relation `r`'s input rows (flat, `max(arity, 1)`
/// values per row, any order, duplicates allowed).
pub(crate) fn evaluate(
    plan: &Plan,
    mut base: Vec<Vec<u64>>,
    interner: &mut Interner,
) -> Result<Vec<Option<Rows>>, EvalError> {
    for (rel, row) in &plan.facts {
        if row.is_empty() {
            base[*rel].push(0);
        } else {
            base[*rel].extend_from_slice(row);
        }
    }
    let mut done: Vec<Option<Rows>> = vec![None; plan.relations.len()];
    let mut caches = Caches::default();
    for stratum in &plan.strata {
        let results = eval_stratum(plan, stratum, &mut base, &done, interner, &mut caches)?;
        for (rel, rows) in results {
            done[rel] = Some(rows);
        }
    }
    Ok(done)
}

fn width_of(plan: &Plan, rel: RelId) -> usize {
    plan.relations[rel].arity().max(1)
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
    AnyVar::new(it, width, narrow).ok_or_else(|| EvalError::TooWide {
        what: what.to_string(),
        width,
        max: MAX_WIDTH,
    })
}

fn eval_stratum(
    plan: &Plan,
    stratum: &Stratum,
    base: &mut [Vec<u64>],
    done: &[Option<Rows>],
    interner: &mut Interner,
    caches: &mut Caches,
) -> Result<Vec<(RelId, Rows)>, EvalError> {
    let mut accesses: Vec<Access> = Vec::new();
    let rule_plans: Vec<RulePlan> = stratum
        .rules
        .iter()
        .map(|&i| compile_rule(i, &plan.rules[i], &mut accesses))
        .collect();
    let mut it = Iteration::new();
    // One variable per relation of the stratum and per completed relation a rule reads.
    let mut canon: HashMap<RelId, AnyVar> = HashMap::new();
    for &rel in &stratum.relations {
        let name = &plan.relations[rel].name;
        let var = new_var(&mut it, width_of(plan, rel), narrow_rel(plan, rel), name)?;
        var.insert_flat(&std::mem::take(&mut base[rel]));
        canon.insert(rel, var);
    }
    for a in &accesses {
        if let std::collections::hash_map::Entry::Vacant(e) = canon.entry(a.rel) {
            let name = &plan.relations[a.rel].name;
            let var = new_var(
                &mut it,
                width_of(plan, a.rel),
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
                a.cols.len().max(1),
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
                vs.push(new_var(&mut it, layout.len().max(1), narrow, &rule.origin)?);
            }
        }
        inter_vars.push(vs);
    }
    let mut cx = Cx {
        interner,
        done,
        caches,
    };
    // Rules without positive atoms fire once.
    for rp in rule_plans.iter().filter(|rp| rp.steps.is_empty()) {
        let rule = &plan.rules[rp.rule];
        let mut env = vec![0u64; rule.var_names.len()];
        let mut buf = Vec::new();
        if run_ops(&rp.once_ops, &mut env, &mut cx) {
            emit_head(&rule.head_args, &env, &mut cx, &mut buf);
        }
        canon[&rule.head].insert_flat(&buf);
    }
    let mut buf: Vec<u64> = Vec::new();
    while it.changed() {
        for (a, var) in accesses.iter().zip(&access_vars) {
            if let Some(var) = var {
                buf.clear();
                let src = &canon[&a.rel];
                let w = src.width();
                src.with_recent(|rows| match rows {
                    Flat::Narrow(d) => project(a, RowSlice::new(d, w), &mut buf),
                    Flat::Wide(d) => project(a, RowSlice::new(d, w), &mut buf),
                });
                var.insert_flat(&buf);
            }
        }
        for (rp, inters) in rule_plans.iter().zip(&inter_vars) {
            let rule = &plan.rules[rp.rule];
            let mut env = vec![0u64; rule.var_names.len()];
            for step in &rp.steps {
                let input = |s: Source| -> &AnyVar {
                    match s {
                        Source::Access(i) => access_vars[i]
                            .as_ref()
                            .unwrap_or_else(|| &canon[&accesses[i].rel]),
                        Source::Intermediate(i) => &inters[i],
                    }
                };
                let out = match &step.out {
                    Output::Intermediate(i, _) => &inters[*i],
                    Output::Head(_) => &canon[&rule.head],
                };
                buf.clear();
                let mut em = Emitter::new(step, &mut env, &mut cx, &mut buf);
                run_step(step, input(step.left), step.right.map(input), &mut em);
                out.insert_flat(&buf);
            }
        }
    }
    let mut out = Vec::new();
    for &rel in &stratum.relations {
        let var = canon.remove(&rel).expect("stratum relation has a variable");
        out.push((
            rel,
            Rows {
                arity: plan.relations[rel].arity(),
                width: var.width(),
                data: var.complete(),
            },
        ));
    }
    Ok(out)
}

/// Projects rows through an access: filters, then picks the access's columns.
fn project<T: Cell>(a: &Access, rows: RowSlice<'_, T>, out: &mut Vec<u64>) {
    'rows: for i in 0..rows.len() {
        let row = rows.row(i);
        for f in &a.filters {
            let ok = match *f {
                AccessFilter::Const(c, v) => row[c].get() == v,
                AccessFilter::SameAs(x, y) => row[x] == row[y],
            };
            if !ok {
                continue 'rows;
            }
        }
        if a.cols.is_empty() {
            out.push(0);
        } else {
            out.extend(a.cols.iter().map(|&c| row[c].get()));
        }
    }
}

/// Turns joined row pairs into output rows: loads variables, runs the step's ops, projects.
struct Emitter<'s, 'e, 'c, 'a> {
    step: &'s Step,
    env: &'e mut [u64],
    cx: &'c mut Cx<'a>,
    buf: &'e mut Vec<u64>,
    /// When the step has no ops and every output value is an input cell or a constant: where
    /// each output value comes from, so rows are copied without going through `env`.
    direct: Option<Vec<Src>>,
}

/// Where a directly copied output value comes from.
#[derive(Clone, Copy)]
enum Src {
    Left(usize),
    Right(usize),
    Const(u64),
}

impl<'s, 'e, 'c, 'a> Emitter<'s, 'e, 'c, 'a> {
    fn new(step: &'s Step, env: &'e mut [u64], cx: &'c mut Cx<'a>, buf: &'e mut Vec<u64>) -> Self {
        let from_var = |v: VarId| {
            step.loads
                .iter()
                .find(|l| l.0 == v)
                .map(|&(_, side, c)| match side {
                    Side::Left => Src::Left(c),
                    Side::Right => Src::Right(c),
                })
        };
        let direct = if !step.ops.is_empty() {
            None
        } else {
            match &step.out {
                Output::Intermediate(_, layout) if !layout.is_empty() => {
                    layout.iter().map(|&v| from_var(v)).collect()
                }
                Output::Head(args) if !args.is_empty() => args
                    .iter()
                    .map(|a| match a.kind {
                        IrExprKind::Var(v) => from_var(v),
                        IrExprKind::Const(c) => Some(Src::Const(c)),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        };
        Emitter {
            step,
            env,
            cx,
            buf,
            direct,
        }
    }

    #[inline]
    fn emit<L: Cell, R: Cell>(&mut self, l: &[L], r: &[R]) {
        if let Some(direct) = &self.direct {
            self.buf.extend(direct.iter().map(|s| match *s {
                Src::Left(c) => l[c].get(),
                Src::Right(c) => r[c].get(),
                Src::Const(k) => k,
            }));
            return;
        }
        for &(v, side, c) in &self.step.loads {
            self.env[v] = match side {
                Side::Left => l[c].get(),
                Side::Right => r[c].get(),
            };
        }
        if !self.step.ops.is_empty() && !run_ops(&self.step.ops, self.env, self.cx) {
            return;
        }
        match &self.step.out {
            Output::Intermediate(_, layout) => {
                if layout.is_empty() {
                    self.buf.push(0);
                } else {
                    self.buf.extend(layout.iter().map(|&v| self.env[v]));
                }
            }
            Output::Head(args) => emit_head(args, self.env, self.cx, self.buf),
        }
    }

    fn map(&mut self, rows: Flat<'_>, w: usize) {
        match rows {
            Flat::Narrow(d) => self.map_rows(RowSlice::new(d, w)),
            Flat::Wide(d) => self.map_rows(RowSlice::new(d, w)),
        }
    }

    fn map_rows<T: Cell>(&mut self, rows: RowSlice<'_, T>) {
        for i in 0..rows.len() {
            self.emit::<T, u64>(rows.row(i), &[]);
        }
    }

    fn join(&mut self, l: Flat<'_>, lw: usize, r: Flat<'_>, rw: usize) {
        let k = self.step.key_len;
        match (l, r) {
            (Flat::Narrow(a), Flat::Narrow(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y)
                })
            }
            (Flat::Narrow(a), Flat::Wide(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y)
                })
            }
            (Flat::Wide(a), Flat::Narrow(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y)
                })
            }
            (Flat::Wide(a), Flat::Wide(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y)
                })
            }
        }
    }
}

/// One semi-naive round of one step: new-left x old-right, old-left x new-right, new x new.
fn run_step(step: &Step, left: &AnyVar, right: Option<&AnyVar>, em: &mut Emitter<'_, '_, '_, '_>) {
    let lw = left.width();
    let Some(right) = right else {
        left.with_recent(|rows| em.map(rows, lw));
        return;
    };
    debug_assert!(step.right.is_some());
    let rw = right.width();
    left.with_recent(|lr| {
        right.with_stable(|batches| {
            for &b in batches {
                em.join(lr, lw, b, rw);
            }
        })
    });
    left.with_stable(|batches| {
        right.with_recent(|rr| {
            for &b in batches {
                em.join(b, lw, rr, rw);
            }
        })
    });
    left.with_recent(|lr| right.with_recent(|rr| em.join(lr, lw, rr, rw)));
}

/// Appends the head row for the binding, or nothing if an expression is undefined.
fn emit_head(args: &[IrExpr], env: &[u64], cx: &mut Cx<'_>, buf: &mut Vec<u64>) {
    let mark = buf.len();
    if args.is_empty() {
        buf.push(0);
        return;
    }
    for a in args {
        let v = match a.kind {
            IrExprKind::Var(v) => env[v],
            IrExprKind::Const(c) => c,
            _ => match eval(a, env, cx) {
                Some(v) => v,
                None => {
                    buf.truncate(mark);
                    return;
                }
            },
        };
        buf.push(v);
    }
}

/// Answers a query over completed relations: distinct rows of the answer columns, sorted.
pub(crate) fn answer_query(
    q: &IrQuery,
    done: &[Option<Rows>],
    interner: &mut Interner,
) -> Vec<Vec<u64>> {
    let rule = &q.rule;
    let n = rule.var_names.len();
    let nplan = crate::plan::order::compile_nested(&rule.atoms, &rule.constraints, n, &[]);
    let compiled = nested::compile(&nplan, &[], n);
    let mut caches = Caches::default();
    let mut cx = Cx {
        interner,
        done,
        caches: &mut caches,
    };
    let mut env = vec![0u64; n];
    let mut rows: Vec<Vec<u64>> = Vec::new();
    nested::solve(&compiled, &mut env, &mut cx, &mut |env, cx| {
        let mut buf = Vec::new();
        emit_head(&rule.head_args, env, cx, &mut buf);
        if !rule.head_args.is_empty() && buf.len() == rule.head_args.len() {
            rows.push(buf);
        } else if rule.head_args.is_empty() {
            rows.push(Vec::new());
        }
    });
    rows.sort_unstable();
    rows.dedup();
    rows
}
