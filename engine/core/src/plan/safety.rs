//! Variable safety: which variables assignments bind, which aggregate variables are bound
//! outside the aggregate, and what an aggregate body reads without binding.

use super::ir::*;

/// Marks variables assigned by `v = expr` (either side) once the expression's inputs are bound.
pub(crate) fn assignment_fixpoint(
    constraints: &[Constraint],
    bound: &mut [bool],
    with_aggregates: bool,
) {
    loop {
        let mut changed = false;
        for c in constraints {
            if let Some((v, e)) = c.assignment(bound)
                && (with_aggregates || !e.has_aggregate())
            {
                bound[v] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

pub(crate) fn mark_aggregates_constraint(c: &mut Constraint, outer: &[bool]) {
    match c {
        Constraint::Cmp { left, right, .. } => {
            mark_aggregates(left, outer);
            mark_aggregates(right, outer);
        }
        Constraint::Negated { args, .. } => args
            .iter_mut()
            .flatten()
            .for_each(|a| mark_aggregates(a, outer)),
        Constraint::Text { pattern, text, .. } => {
            mark_aggregates(pattern, outer);
            mark_aggregates(text, outer);
        }
        Constraint::False => {}
    }
}

/// Splits each aggregate's variables into those bound outside (`outer`) and its own (`local`).
pub(crate) fn mark_aggregates(e: &mut IrExpr, outer: &[bool]) {
    match &mut e.kind {
        IrExprKind::Agg(agg) => {
            let mut all: Vec<VarId> = Vec::new();
            for a in &agg.atoms {
                for v in a.vars() {
                    if !all.contains(&v) {
                        all.push(v);
                    }
                }
            }
            for v in agg.reads() {
                if !all.contains(&v) {
                    all.push(v);
                }
            }
            // Variables bound by the aggregate's own atoms are local unless bound outside.
            agg.outer = all.iter().copied().filter(|&v| outer[v]).collect();
            agg.local = all.iter().copied().filter(|&v| !outer[v]).collect();
            let inner_outer: Vec<bool> = (0..outer.len())
                .map(|v| outer[v] || agg.local.contains(&v))
                .collect();
            for c in &mut agg.constraints {
                mark_aggregates_constraint(c, &inner_outer);
            }
            if let Some(t) = &mut agg.target {
                mark_aggregates(t, &inner_outer);
            }
        }
        IrExprKind::Unary(_, a) => mark_aggregates(a, outer),
        IrExprKind::Binary(_, a, b) => {
            mark_aggregates(a, outer);
            mark_aggregates(b, outer);
        }
        IrExprKind::Call(_, args) => args.iter_mut().for_each(|a| mark_aggregates(a, outer)),
        _ => {}
    }
}

/// Inside an aggregate, every local variable read by a constraint or the target must be bound
/// by the aggregate's atoms (or an assignment inside it).
pub(crate) fn check_aggregate_safety(c: &Constraint, bound: &[bool], unbound: &mut Vec<VarId>) {
    let exprs = c.exprs();
    for e in exprs {
        e.for_each_aggregate(&mut |agg| {
            let mut inner = bound.to_vec();
            for a in &agg.atoms {
                for v in a.vars() {
                    inner[v] = true;
                }
            }
            assignment_fixpoint(&agg.constraints, &mut inner, true);
            for v in agg.reads() {
                if !inner[v] && !unbound.contains(&v) {
                    unbound.push(v);
                }
            }
        });
    }
}
