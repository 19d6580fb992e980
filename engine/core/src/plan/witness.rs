//! Aggregate witnesses (Soufflé's): in `longest(x, y, l) :- l = max m : { length(x, y, m) }.`,
//! `x` and `y` are bound by the aggregate's body, to the values of a tuple that reaches the
//! maximum (every such tuple, on a tie). As Soufflé does, the aggregate is computed with its
//! own variables, and its body is joined again in the rule with the target equal to the result:
//!
//! ```text
//! l = max m : { length(x, y, m) }
//!   ->  r = max m' : { length(x', y', m') }, length(x, y, m2), m2 = r, l = r
//! ```
//!
//! Only `min` and `max` have witnesses; a variable bound only inside a `count`, `sum` or `mean`
//! is an error (Soufflé's "witness problem"); a `min` or `max` nested in another aggregate has
//! witnesses too (`Witnesses::ground_inner`).

use super::inline::{Subst, rename_atom, rename_constraint, rename_expr};
use super::ir::*;
use super::safety::assignment_fixpoint;
use crate::value::ColumnType;
use engram_parser::{AggFunc, CmpOp};
use std::collections::HashMap;

/// Rewrites the aggregates of `constraints` that have witnesses; returns the variables bound
/// only inside a `count`, `sum` or `mean` and read outside it (errors). `fresh(v)` makes a new
/// variable of `v`'s type (of `ty` for a result).
pub(crate) fn bind_witnesses(
    atoms: &mut Vec<IrAtom>,
    constraints: &mut Vec<Constraint>,
    head_args: &[IrExpr],
    n_vars: usize,
    fresh: &mut dyn FnMut(Option<VarId>, ColumnType) -> VarId,
) -> Vec<VarId> {
    let mut bound = vec![false; n_vars];
    for a in atoms.iter() {
        for v in a.vars().into_iter().chain(a.meta_vars().vars()) {
            bound[v] = true;
        }
    }
    assignment_fixpoint(constraints, &mut bound, false);
    // Variables read outside every aggregate (an aggregate's own are not listed yet).
    let mut outside: Vec<VarId> = Vec::new();
    for e in head_args {
        e.vars(&mut outside);
    }
    for c in constraints.iter() {
        outside.extend(c.vars());
    }
    let mut cx = Witnesses {
        result: None,
        bound,
        outside,
        fresh,
        atoms: Vec::new(),
        constraints: Vec::new(),
        errors: Vec::new(),
    };
    let mut from = 0;
    // What a rewrite adds to the rule (a body joined again) may hold aggregates with
    // witnesses of their own.
    while from < constraints.len() {
        for c in &mut constraints[from..] {
            cx.constraint(c);
        }
        from = constraints.len();
        for a in &cx.atoms {
            for v in a.vars() {
                if cx.bound.len() <= v {
                    cx.bound.resize(v + 1, false);
                }
                cx.bound[v] = true;
            }
        }
        atoms.append(&mut cx.atoms);
        constraints.append(&mut cx.constraints);
    }
    cx.errors
}

struct Witnesses<'f> {
    /// The variable the aggregates being visited are assigned to, if any.
    result: Option<VarId>,
    bound: Vec<bool>,
    outside: Vec<VarId>,
    fresh: &'f mut dyn FnMut(Option<VarId>, ColumnType) -> VarId,
    atoms: Vec<IrAtom>,
    constraints: Vec<Constraint>,
    errors: Vec<VarId>,
}

impl Witnesses<'_> {
    /// Whether `v` is bound outside the aggregates (a variable made since never is).
    fn bound(&self, v: VarId) -> bool {
        self.bound.get(v).copied().unwrap_or(false)
    }

    fn constraint(&mut self, c: &mut Constraint) {
        if let Constraint::Cmp {
            op, left, right, ..
        } = c
        {
            // In `y = max z : {...}`, `y` is the result, not a witness (an inner `y` is the
            // aggregate's own).
            let op = *op;
            let assigned = |e: &IrExpr| match (op, &e.kind) {
                (CmpOp::Eq, IrExprKind::Var(v)) => Some(*v),
                _ => None,
            };
            let (to_left, to_right) = (assigned(right), assigned(left));
            self.result = to_left;
            self.visit(left);
            self.result = to_right;
            self.visit(right);
        }
    }

    fn visit(&mut self, e: &mut IrExpr) {
        match &mut e.kind {
            IrExprKind::Agg(agg) => {
                // The aggregate's own variables: those of its body not bound outside.
                let mut locals: Vec<VarId> = Vec::new();
                let mut in_atoms: Vec<VarId> = Vec::new();
                for a in &agg.atoms {
                    in_atoms.extend(a.vars());
                }
                for v in in_atoms.iter().copied().chain(agg.reads()) {
                    if !self.bound(v) && !locals.contains(&v) {
                        locals.push(v);
                    }
                }
                let witnesses = self.witnesses(&in_atoms, &locals);
                if witnesses.is_empty() {
                    self.ground_inner(agg);
                    return;
                }
                if !matches!(agg.func, AggFunc::Min | AggFunc::Max) {
                    self.errors.extend(witnesses);
                    return;
                }
                let result = self.join_again(agg, &locals, &witnesses, e.ty);
                *e = IrExpr {
                    kind: IrExprKind::Var(result),
                    ty: e.ty,
                };
            }
            IrExprKind::Unary(_, a) => self.visit(a),
            IrExprKind::Binary(_, a, b) => {
                self.visit(a);
                self.visit(b);
            }
            IrExprKind::Call(_, args) => args.iter_mut().for_each(|a| self.visit(a)),
            IrExprKind::Var(_) | IrExprKind::Const(_) => {}
        }
    }

    /// The variables of `in_atoms` that are `locals` and read outside (not as the result):
    /// the witnesses, once each.
    fn witnesses(&self, in_atoms: &[VarId], locals: &[VarId]) -> Vec<VarId> {
        let mut out: Vec<VarId> = Vec::new();
        for &v in in_atoms {
            let open = locals.contains(&v) && self.outside.contains(&v) && self.result != Some(v);
            if open && !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// Joins `agg`'s body again in the rule, its `witnesses` shared and its other `locals`
    /// fresh, its target equal to a new variable `r` (of type `ty`), and `r = agg` with every
    /// local fresh; returns `r`.
    fn join_again(
        &mut self,
        agg: &IrAggregate,
        locals: &[VarId],
        witnesses: &[VarId],
        ty: ColumnType,
    ) -> VarId {
        let result = (self.fresh)(None, ty);
        // The aggregate with variables of its own.
        let own: HashMap<VarId, VarId> = locals
            .iter()
            .map(|&v| (v, (self.fresh)(Some(v), ty)))
            .collect();
        let agg_expr = IrExpr {
            kind: IrExprKind::Agg(Box::new(agg.clone())),
            ty,
        };
        let renamed = rename_expr(&agg_expr, &|v| {
            Subst::Var(own.get(&v).copied().unwrap_or(v))
        });
        // Its body again in the rule: witnesses shared, other locals fresh.
        let copy: HashMap<VarId, VarId> = locals
            .iter()
            .filter(|v| !witnesses.contains(v))
            .map(|&v| (v, (self.fresh)(Some(v), ty)))
            .collect();
        let rename = |v: VarId| Subst::Var(copy.get(&v).copied().unwrap_or(v));
        (self.atoms).extend(agg.atoms.iter().map(|a| rename_atom(a, &rename)));
        (self.constraints).extend(
            agg.constraints
                .iter()
                .map(|c| rename_constraint(c, &rename)),
        );
        let var = |v| IrExpr {
            kind: IrExprKind::Var(v),
            ty,
        };
        if let Some(t) = &agg.target {
            self.constraints.push(Constraint::Cmp {
                op: CmpOp::Eq,
                left: rename_expr(t, &rename),
                right: var(result),
                span: Default::default(),
            });
        }
        self.constraints.push(Constraint::Cmp {
            op: CmpOp::Eq,
            left: var(result),
            right: renamed,
            span: Default::default(),
        });
        result
    }

    /// In `n = count : { b(x, _), x > min y : { d(y, w) } }` with `w` read outside the count,
    /// `w` is a witness of the inner `min` (Soufflé's): as Soufflé grounds it, the inner
    /// aggregate's body is joined again in the rule, binding `w` to the inner minimum's
    /// witnesses, and inside the count `w` becomes the inner aggregate's own variable (the
    /// count does not depend on it).
    fn ground_inner(&mut self, agg: &mut IrAggregate) {
        // Each inner aggregate with witnesses, its variables not bound outside, its witnesses.
        let mut found: Vec<(IrAggregate, Vec<VarId>, Vec<VarId>)> = Vec::new();
        for e in agg.constraints.iter().flat_map(|c| c.exprs()) {
            e.for_each_aggregate(&mut |inner| {
                if !matches!(inner.func, AggFunc::Min | AggFunc::Max) {
                    return;
                }
                let mut all = Vec::new();
                aggregate_vars(inner, &mut all);
                all.retain(|&v| !self.bound(v));
                let in_atoms: Vec<VarId> = inner.atoms.iter().flat_map(|a| a.vars()).collect();
                let witnesses = self.witnesses(&in_atoms, &all);
                if !witnesses.is_empty() {
                    found.push((inner.clone(), all, witnesses));
                }
            });
        }
        let mut inside: HashMap<VarId, VarId> = HashMap::new();
        for (inner, locals, witnesses) in found {
            let ty = inner.target.as_ref().map_or(ColumnType::Number, |t| t.ty);
            self.join_again(&inner, &locals, &witnesses, ty);
            for w in witnesses {
                inside.entry(w).or_insert_with(|| (self.fresh)(Some(w), ty));
            }
        }
        if !inside.is_empty() {
            let rename = |v: VarId| Subst::Var(inside.get(&v).copied().unwrap_or(v));
            agg.constraints = (agg.constraints.iter())
                .map(|c| rename_constraint(c, &rename))
                .collect();
        }
    }
}

/// Every variable of aggregate `agg`, its nested aggregates' included, once each.
fn aggregate_vars(agg: &IrAggregate, out: &mut Vec<VarId>) {
    fn expr(e: &IrExpr, out: &mut Vec<VarId>) {
        match &e.kind {
            IrExprKind::Var(v) => out.push(*v),
            IrExprKind::Const(_) => {}
            IrExprKind::Unary(_, a) => expr(a, out),
            IrExprKind::Binary(_, a, b) => {
                expr(a, out);
                expr(b, out);
            }
            IrExprKind::Call(_, args) => args.iter().for_each(|a| expr(a, out)),
            IrExprKind::Agg(inner) => aggregate_vars(inner, out),
        }
    }
    out.extend(agg.atoms.iter().flat_map(|a| a.vars()));
    for c in &agg.constraints {
        c.exprs().into_iter().for_each(|e| expr(e, out));
    }
    agg.target.iter().for_each(|t| expr(t, out));
    out.sort_unstable();
    out.dedup();
}
