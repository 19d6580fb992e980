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
//! is an error (Soufflé's "witness problem").

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
    for c in constraints.iter_mut() {
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
            cx.result = to_left;
            cx.visit(left);
            cx.result = to_right;
            cx.visit(right);
        }
    }
    atoms.extend(cx.atoms);
    constraints.extend(cx.constraints);
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
                    if !self.bound[v] && !locals.contains(&v) {
                        locals.push(v);
                    }
                }
                let witnesses: Vec<VarId> = in_atoms
                    .iter()
                    .copied()
                    .filter(|v| locals.contains(v))
                    .filter(|v| self.outside.contains(v) && self.result != Some(*v))
                    .fold(Vec::new(), |mut w, v| {
                        if !w.contains(&v) {
                            w.push(v);
                        }
                        w
                    });
                if witnesses.is_empty() {
                    return;
                }
                if !matches!(agg.func, AggFunc::Min | AggFunc::Max) {
                    self.errors.extend(witnesses);
                    return;
                }
                let ty = e.ty;
                let result = (self.fresh)(None, ty);
                // The aggregate with variables of its own.
                let own: HashMap<VarId, VarId> = locals
                    .iter()
                    .map(|&v| (v, (self.fresh)(Some(v), ty)))
                    .collect();
                let agg_expr = IrExpr {
                    kind: IrExprKind::Agg(agg.clone()),
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
                self.atoms
                    .extend(agg.atoms.iter().map(|a| rename_atom(a, &rename)));
                self.constraints.extend(
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
                *e = var(result);
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
}
