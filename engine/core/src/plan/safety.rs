//! Variable safety: which variables assignments bind, which aggregate variables are bound
//! outside the aggregate, and what an aggregate body reads without binding.

use super::ir::*;
use super::rule::RuleCx;
use crate::value::ColumnType;
use engram_parser::Span;

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
            // A nested aggregate reads variables bound outside this one through it: they are
            // this aggregate's outer variables too, so that its body is evaluated with them
            // bound (`m = min c : { s(c), t = sum x : { r(p, x), x <= c } }`, `p` from the rule).
            for c in &agg.constraints {
                for e in c.exprs() {
                    nested_vars(e, &mut all, outer);
                }
            }
            if let Some(t) = &agg.target {
                nested_vars(t, &mut all, outer);
            }
            // Variables bound by the aggregate's own atoms are local unless bound outside.
            agg.outer = all.iter().copied().filter(|&v| outer[v]).collect();
            agg.local = all.iter().copied().filter(|&v| !outer[v]).collect();
            let unnamed = (agg.atoms.iter()).any(|a| a.args.contains(&AtomArg::Wild));
            agg.distinct = (unnamed && materialised(agg)).then(|| agg.local.clone());
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

/// Whether Soufflé evaluates `agg` over a relation its body is first materialised into, one
/// row per binding of its named variables (its `MaterializeAggregationQueries`): a body of
/// two atoms or more, with a nested aggregate or a `range`, or whose one atom repeats a
/// variable.
fn materialised(agg: &IrAggregate) -> bool {
    let exprs = || (agg.constraints.iter().flat_map(|c| c.exprs())).chain(&agg.target);
    let repeats = |a: &IrAtom| {
        let vars = a
            .args
            .iter()
            .filter(|x| matches!(x, AtomArg::Var(_)))
            .count();
        vars > a.vars().len()
    };
    agg.atoms.len() > 1
        || exprs().any(|e| e.has_aggregate() || e.calls(Functor::Range))
        || agg.atoms.iter().any(repeats)
}

/// Adds to `out` the variables bound outside (`outer`) that the aggregates nested in `e` read,
/// at any depth.
fn nested_vars(e: &IrExpr, out: &mut Vec<VarId>, outer: &[bool]) {
    e.for_each_aggregate(&mut |agg| {
        let mut inside: Vec<VarId> = agg.atoms.iter().flat_map(IrAtom::vars).collect();
        inside.extend(agg.reads());
        for v in inside {
            if outer[v] && !out.contains(&v) {
                out.push(v);
            }
        }
        for c in &agg.constraints {
            for e in c.exprs() {
                nested_vars(e, out, outer);
            }
        }
        if let Some(t) = &agg.target {
            nested_vars(t, out, outer);
        }
    });
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

impl RuleCx<'_> {
    /// Checks variable safety, splits aggregate variables into outer and local, builds the rule.
    pub(crate) fn finish(
        mut self,
        head: RelId,
        mut head_args: Vec<IrExpr>,
        span: Span,
        origin: String,
        mut meta: RuleMeta,
    ) -> Option<IrRule> {
        let problems = self.bind_witnesses(&head_args);
        // An inline relation's head is bound where it is used (Soufflé checks such a rule
        // once inlined: `plan::inline::unbound_after_inlining`).
        let by_head: Vec<VarId> = if self.plan.relations.get(head).is_some_and(|r| r.inline) {
            head_args.iter().filter_map(|e| e.as_var()).collect()
        } else {
            Vec::new()
        };
        let bound = self.mark_aggregates(&mut head_args, &mut meta, &by_head);
        let unbound = self.unbound(&bound, &head_args, &meta);
        for v in unbound {
            let name = self.names[v].clone();
            if name.starts_with("_e") || problems.contains(&v) {
                continue;
            }
            let span = self.spans[v];
            self.err(
                span,
                format!("variable `{name}` is not bound by a positive atom"),
            );
        }
        let var_types = (self.types.iter())
            .map(|t| t.unwrap_or(ColumnType::Number))
            .collect();
        Some(IrRule {
            head,
            head_args,
            atoms: self.atoms,
            constraints: self.constraints,
            var_names: self.names,
            var_types,
            span,
            origin,
            meta,
            exec_plan: None,
        })
    }

    /// Aggregate witnesses: `min` and `max` bind the variables of a best tuple. Reports the
    /// variables used outside an aggregate that cannot have one; returns them.
    fn bind_witnesses(&mut self, head_args: &[IrExpr]) -> Vec<VarId> {
        let mut atoms = std::mem::take(&mut self.atoms);
        let mut constraints = std::mem::take(&mut self.constraints);
        let n = self.names.len();
        let problems = super::witness::bind_witnesses(
            &mut atoms,
            &mut constraints,
            head_args,
            n,
            &mut |v, ty| self.fresh_like(v, ty),
        );
        self.atoms = atoms;
        self.constraints = constraints;
        for &v in &problems {
            let name = self.names[v].clone();
            self.err(
                self.spans[v],
                format!(
                    "witness problem: `{name}` is bound only inside a count, sum or mean \
                     aggregate and used outside it (only min and max have witnesses)"
                ),
            );
        }
        problems
    }

    /// Marks each aggregate's variables bound outside it (by positive atoms and assignments,
    /// those of other aggregates included) as outer; the variables bound once assignments
    /// with aggregates are taken too.
    fn mark_aggregates(
        &mut self,
        head_args: &mut [IrExpr],
        meta: &mut RuleMeta,
        by_head: &[VarId],
    ) -> Vec<bool> {
        let mut bound = vec![false; self.names.len()];
        by_head.iter().for_each(|&v| bound[v] = true);
        for a in &self.atoms {
            for v in a.vars().into_iter().chain(a.meta_vars().vars()) {
                bound[v] = true;
            }
        }
        assignment_fixpoint(&self.constraints, &mut bound, false);
        let outer_bound = bound.clone();
        for i in 0..self.constraints.len() {
            if !self.constraints[i]
                .exprs()
                .iter()
                .any(|e| e.has_aggregate())
            {
                continue;
            }
            // Bound outside this constraint, the other aggregates' results included: a variable
            // another aggregate gives is read by this one as an outer variable (`w2 = min w :
            // { e(w), w > w1 }, id = min i : { e2(i, w), w = w2 }`), as in Soufflé.
            let mut outer = outer_bound.clone();
            let mut others = self.constraints.clone();
            others.remove(i);
            assignment_fixpoint(&others, &mut outer, true);
            mark_aggregates_constraint(&mut self.constraints[i], &outer);
        }
        let mut outer = outer_bound;
        assignment_fixpoint(&self.constraints, &mut outer, true);
        for e in head_args.iter_mut().chain(&mut meta.head_conf) {
            mark_aggregates(e, &outer);
        }
        assignment_fixpoint(&self.constraints, &mut bound, true);
        bound
    }

    /// Safety: the variables read but not bound (none when an atom was already rejected).
    fn unbound(&self, bound: &[bool], head_args: &[IrExpr], meta: &RuleMeta) -> Vec<VarId> {
        let mut unbound: Vec<VarId> = Vec::new();
        if self.broken {
            return unbound;
        }
        let check = |vars: Vec<VarId>, unbound: &mut Vec<VarId>| {
            for v in vars {
                if !bound[v] && !unbound.contains(&v) {
                    unbound.push(v);
                }
            }
        };
        for c in &self.constraints {
            check(c.vars(), &mut unbound);
            check_aggregate_safety(c, bound, &mut unbound);
        }
        for e in head_args.iter().chain(&meta.head_conf) {
            let mut vs = Vec::new();
            e.vars(&mut vs);
            check(vs, &mut unbound);
        }
        unbound
    }
}
