//! Inlining of `inline` relations (Soufflé's qualifier): a positive use of an inline relation is
//! replaced by the bodies of its rules, so the relation is never materialised. A relation that
//! is also used under negation or in an aggregate stays materialised for those uses.

use super::ir::*;
use super::resolve::fresh_aggregate_id;
use engram_parser::CmpOp;
use std::collections::HashMap;

/// What an inline rule's variable becomes in the rule it is inlined into.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Subst {
    /// A variable.
    Var(VarId),
    /// A constant.
    Const(u64),
}

/// Inlines every inlinable relation, in up to `MAX_PASSES` passes (for inline relations whose
/// rules use other inline relations).
pub(crate) fn inline_relations(plan: &mut Plan) {
    const MAX_PASSES: usize = 16;
    for _ in 0..MAX_PASSES {
        let candidates: Vec<RelId> = (0..plan.relations.len())
            .filter(|&r| inlinable(plan, r))
            .collect();
        let mut changed = false;
        for rel in candidates {
            // Inlining one relation can make another recursive: check again.
            if inlinable(plan, rel) {
                changed |= inline_one(plan, rel);
            }
        }
        if !changed {
            break;
        }
    }
}

fn inlinable(plan: &Plan, rel: RelId) -> bool {
    let d = &plan.relations[rel];
    if !d.inline || d.is_input() || !d.outputs.is_empty() || d.printsize || d.eqrel {
        return false;
    }
    let rules: Vec<&IrRule> = plan.rules.iter().filter(|r| r.head == rel).collect();
    let used_positively = plan
        .rules
        .iter()
        .any(|r| r.head != rel && r.atoms.iter().any(|a| a.rel == rel));
    used_positively
        && rules.iter().all(|r| {
            r.atoms.iter().all(|a| a.rel != rel)
                && r.head_args
                    .iter()
                    .all(|e| matches!(e.kind, IrExprKind::Var(_) | IrExprKind::Const(_)))
        })
}

/// Whether `rel` is still read once its positive uses are inlined: by negation, aggregates,
/// queries or subsumption rules (which are not inlined into).
fn used_otherwise(plan: &Plan, rel: RelId) -> bool {
    (plan.rules.iter().chain(&plan.subsumptions)).any(|r| r.reads().contains(&rel))
        || plan.queries.iter().any(|q| q.rule.reads().contains(&rel))
}

/// Inlines `rel` into every rule that uses it positively; returns whether anything changed.
fn inline_one(plan: &mut Plan, rel: RelId) -> bool {
    let mut defs: Vec<IrRule> = plan
        .rules
        .iter()
        .filter(|r| r.head == rel)
        .cloned()
        .collect();
    // Facts of the relation are rules without a body.
    for (_, row, _, _) in plan.facts.iter().filter(|(r, _, _, _)| *r == rel) {
        let types = plan.relations[rel].types();
        defs.push(IrRule {
            head: rel,
            head_args: row
                .iter()
                .zip(types)
                .map(|(&v, ty)| IrExpr {
                    kind: IrExprKind::Const(v),
                    ty,
                })
                .collect(),
            atoms: Vec::new(),
            constraints: Vec::new(),
            var_names: Vec::new(),
            var_types: Vec::new(),
            span: plan.relations[rel].span,
            origin: format!("fact of {}", plan.relations[rel].name),
            meta: RuleMeta::default(),
            exec_plan: None,
        });
    }
    let mut out = Vec::with_capacity(plan.rules.len());
    let mut changed = false;
    for rule in std::mem::take(&mut plan.rules) {
        if rule.head == rel {
            out.push(rule);
            continue;
        }
        let mut pending = vec![rule];
        while let Some(r) = pending.pop() {
            match r.atoms.iter().position(|a| a.rel == rel) {
                None => out.push(r),
                Some(i) => {
                    changed = true;
                    for def in &defs {
                        if let Some(new) = substitute(&r, i, def) {
                            pending.push(new);
                        }
                    }
                }
            }
        }
    }
    plan.rules = out;
    if changed && !used_otherwise(plan, rel) {
        // Nothing reads the relation any more: do not materialise it.
        plan.rules.retain(|r| r.head != rel);
        plan.facts.retain(|(r, _, _, _)| *r != rel);
    }
    changed
}

/// `rule` with its atom `i` replaced by the body of `def`, or `None` if they cannot unify.
fn substitute(rule: &IrRule, i: usize, def: &IrRule) -> Option<IrRule> {
    let atom = &rule.atoms[i];
    let mut new = rule.clone();
    new.atoms.remove(i);
    let base = new.var_names.len();
    let mut map: HashMap<VarId, Subst> = HashMap::new();
    let mut extra = Vec::new();
    for (h, a) in def.head_args.iter().zip(&atom.args) {
        let ty = h.ty;
        let q_term = match a {
            AtomArg::Var(q) => Some(Subst::Var(*q)),
            AtomArg::Const(c) => Some(Subst::Const(*c)),
            AtomArg::Wild => None,
        };
        match (&h.kind, q_term) {
            (_, None) => {}
            (IrExprKind::Var(s), Some(t)) => match map.get(s) {
                None => {
                    map.insert(*s, t);
                }
                Some(&prev) if prev == t => {}
                Some(&prev) => extra.push(equal(prev, t, ty)),
            },
            (IrExprKind::Const(k), Some(Subst::Const(c))) => {
                if *k != c {
                    return None;
                }
            }
            (IrExprKind::Const(k), Some(t)) => extra.push(equal(Subst::Const(*k), t, ty)),
            _ => return None,
        }
    }
    // Variables of the definition that are not unified with the atom become fresh variables.
    let mut fresh: HashMap<VarId, VarId> = HashMap::new();
    for (v, name) in def.var_names.iter().enumerate() {
        if !map.contains_key(&v) {
            let id = base + fresh.len();
            fresh.insert(v, id);
            new.var_names
                .push(format!("{name}'{}", rule.var_names.len()));
            new.var_types.push(def.var_types[v]);
        }
    }
    let rename = |v: VarId| -> Subst {
        map.get(&v)
            .copied()
            .unwrap_or_else(|| Subst::Var(fresh[&v]))
    };
    for (k, a) in def.atoms.iter().enumerate() {
        new.atoms
            .insert((i + k).min(new.atoms.len()), rename_atom(a, &rename));
    }
    for c in &def.constraints {
        new.constraints.push(rename_constraint(c, &rename));
    }
    new.constraints.extend(extra);
    Some(new)
}

fn equal(a: Subst, b: Subst, ty: crate::value::ColumnType) -> Constraint {
    let expr = |s: Subst| IrExpr {
        kind: match s {
            Subst::Var(v) => IrExprKind::Var(v),
            Subst::Const(c) => IrExprKind::Const(c),
        },
        ty,
    };
    Constraint::Cmp {
        op: CmpOp::Eq,
        left: expr(a),
        right: expr(b),
        span: Default::default(),
    }
}

pub(super) fn rename_atom(a: &IrAtom, rename: &dyn Fn(VarId) -> Subst) -> IrAtom {
    IrAtom {
        rel: a.rel,
        args: a
            .args
            .iter()
            .map(|arg| match arg {
                AtomArg::Var(v) => match rename(*v) {
                    Subst::Var(w) => AtomArg::Var(w),
                    Subst::Const(c) => AtomArg::Const(c),
                },
                other => other.clone(),
            })
            .collect(),
        // The planner rejects `@ c` in the rules of inline relations, so `c` is never a head
        // argument that could be unified with a constant.
        conf_var: a.conf_var.and_then(|v| match rename(v) {
            Subst::Var(w) => Some(w),
            Subst::Const(_) => None,
        }),
        time_var: a.time_var.and_then(|v| match rename(v) {
            Subst::Var(w) => Some(w),
            Subst::Const(_) => None,
        }),
        span: a.span,
    }
}

pub(super) fn rename_constraint(c: &Constraint, rename: &dyn Fn(VarId) -> Subst) -> Constraint {
    match c {
        Constraint::Cmp {
            op,
            left,
            right,
            span,
        } => Constraint::Cmp {
            op: *op,
            left: rename_expr(left, rename),
            right: rename_expr(right, rename),
            span: *span,
        },
        Constraint::Negated {
            rel,
            args,
            classes,
            span,
        } => Constraint::Negated {
            rel: *rel,
            classes: *classes,
            args: args
                .iter()
                .map(|a| a.as_ref().map(|e| rename_expr(e, rename)))
                .collect(),
            span: *span,
        },
        Constraint::Text {
            pred,
            pattern,
            text,
            holds,
        } => Constraint::Text {
            pred: *pred,
            pattern: rename_expr(pattern, rename),
            text: rename_expr(text, rename),
            holds: *holds,
        },
        Constraint::False => Constraint::False,
    }
}

pub(super) fn rename_expr(e: &IrExpr, rename: &dyn Fn(VarId) -> Subst) -> IrExpr {
    let kind = match &e.kind {
        IrExprKind::Var(v) => match rename(*v) {
            Subst::Var(w) => IrExprKind::Var(w),
            Subst::Const(c) => IrExprKind::Const(c),
        },
        IrExprKind::Const(c) => IrExprKind::Const(*c),
        IrExprKind::Unary(op, a) => IrExprKind::Unary(*op, Box::new(rename_expr(a, rename))),
        IrExprKind::Binary(op, a, b) => IrExprKind::Binary(
            *op,
            Box::new(rename_expr(a, rename)),
            Box::new(rename_expr(b, rename)),
        ),
        IrExprKind::Call(f, args) => {
            IrExprKind::Call(*f, args.iter().map(|a| rename_expr(a, rename)).collect())
        }
        IrExprKind::Agg(agg) => {
            let vars = |vs: &[VarId]| -> Vec<VarId> {
                vs.iter()
                    .filter_map(|&v| match rename(v) {
                        Subst::Var(w) => Some(w),
                        Subst::Const(_) => None,
                    })
                    .collect()
            };
            IrExprKind::Agg(Box::new(IrAggregate {
                id: fresh_aggregate_id(),
                func: agg.func,
                target: agg.target.as_ref().map(|t| rename_expr(t, rename)),
                atoms: agg.atoms.iter().map(|a| rename_atom(a, rename)).collect(),
                constraints: agg
                    .constraints
                    .iter()
                    .map(|c| rename_constraint(c, rename))
                    .collect(),
                outer: vars(&agg.outer),
                local: vars(&agg.local),
                limit: agg.limit,
                distinct: agg.distinct.as_deref().map(vars),
            }))
        }
    };
    IrExpr { kind, ty: e.ty }
}

/// Safety once inlined: an `inline` relation's rule may bind variables through its head only
/// (its uses give them values), so a rule it was inlined into, or the rule itself where it
/// stays materialised (read by a negation, an aggregate, a query), must bind them. Reports
/// each rule that does not, naming a variable.
pub(crate) fn unbound_after_inlining(plan: &Plan) -> Vec<super::PlanError> {
    let mut errors = Vec::new();
    for rule in &plan.rules {
        let mut bound = vec![false; rule.var_names.len()];
        for a in &rule.atoms {
            for v in a.vars().into_iter().chain(a.meta_vars().vars()) {
                bound[v] = true;
            }
        }
        super::safety::assignment_fixpoint(&rule.constraints, &mut bound, true);
        let mut read = Vec::new();
        let checks = rule
            .constraints
            .iter()
            .filter(|c| !c.exprs().iter().any(|e| e.has_aggregate()));
        for c in checks {
            read.extend(c.vars());
        }
        for e in rule.head_args.iter().filter(|e| !e.has_aggregate()) {
            e.vars(&mut read);
        }
        let mut names: Vec<&str> = Vec::new();
        for &v in read.iter().filter(|&&v| !bound[v]) {
            let name = rule.var_names[v].split('\'').next().unwrap_or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        // The planner's own variables (`_e3`) only when no variable the user named is unbound.
        if names.iter().any(|n| !n.starts_with('_')) {
            names.retain(|n| !n.starts_with('_'));
        }
        if !names.is_empty() {
            errors.push(super::PlanError::new(
                rule.span,
                format!(
                    "`{}` not bound: bound only through the head of an `inline` relation, and \
                     read here without a value (an inline relation whose rule binds a variable \
                     only by its head must be used in positive atoms that give that argument \
                     a value)",
                    names.join("`, `")
                ),
            ));
        }
    }
    errors
}
