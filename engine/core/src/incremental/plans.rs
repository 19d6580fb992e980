//! The plans incremental inference solves, compiled once per program: for every rule, one
//! per place a change can enter it (each positive atom, each negated atom, each aggregate),
//! full and relaxed, and its plan with the head bound.

use super::solve::BodyPlan;
use super::table::Table;
use crate::plan::ir::{
    Combine, Constraint, Functor, IrAggregate, IrExpr, IrExprKind, Plan, RelId, VarId,
};
use std::collections::{HashMap, HashSet};

/// How a column of a negated atom meets a changed fact.
pub(super) enum Bind {
    Var(VarId),
    Const(u64),
    Any,
}

/// A negated atom of a rule, as a start: a fact of its relation binds these variables.
pub(super) struct NegStart {
    pub(super) rel: RelId,
    pub(super) cols: Vec<Bind>,
    pub(super) relaxed: BodyPlan,
    pub(super) full: BodyPlan,
}

/// An aggregate of a rule, as a start: a fact of one of its atoms names the groups it
/// counts in; a group binds the outer variables.
pub(super) struct AggStart {
    pub(super) agg: IrAggregate,
    /// Per atom of the aggregate's body: the relaxed plan from a fact bound to it.
    pub(super) from_atom: Vec<BodyPlan>,
    pub(super) relaxed: BodyPlan,
    pub(super) full: BodyPlan,
}

/// A rule compiled for every start a change can come from.
pub(super) struct RulePlans {
    /// Per positive atom: its index, its relation, and the full and relaxed plans from it.
    pub(super) forward: Vec<(usize, RelId, BodyPlan, BodyPlan)>,
    pub(super) backward: BodyPlan,
    pub(super) negations: Vec<NegStart>,
    pub(super) aggregates: Vec<AggStart>,
}

/// The rule plans of a program, compiled once per program.
pub struct Plans {
    /// Per rule; `None` for a rule this module cannot maintain.
    pub(super) rules: Vec<Option<RulePlans>>,
    /// Each aggregate's body with its outer variables bound, by aggregate id.
    pub(super) aggregates: HashMap<usize, BodyPlan>,
    /// Per stratum: whether it is maintained.
    pub(super) maintained: Vec<bool>,
    /// Probes made outside the plans (negations, class labels, head patterns, aliases).
    pub(super) probes: Vec<(RelId, Vec<usize>)>,
}

impl Plans {
    /// Compiles every rule for every start.
    pub fn new(plan: &Plan) -> Plans {
        let mut aggregates = HashMap::new();
        let mut probes = Vec::new();
        let rules: Vec<Option<RulePlans>> = (0..plan.rules.len())
            .map(|ri| rule_plans(plan, ri, &mut aggregates, &mut probes))
            .collect();
        let maintained = plan
            .strata
            .iter()
            .map(|s| {
                s.rules.iter().all(|&ri| rules[ri].is_some())
                    && s.relations.iter().all(|&r| {
                        let d = &plan.relations[r];
                        !d.eqrel
                            && d.class_of.is_none()
                            && d.functional.is_none()
                            && d.choice.is_empty()
                            && d.superseded_of.is_none()
                            && d.combine == Combine::Max
                            && plan.merge != Some(r)
                    })
                    // A subsumption rule removes facts that still have derivations, which
                    // counting derivations cannot follow: evaluated again whole.
                    && s.subsumptions.is_empty()
            })
            .collect();
        if let Some(class) = plan.merge.and_then(|m| plan.relations[m].class) {
            probes.push((class, vec![0]));
        }
        Plans {
            rules,
            aggregates,
            maintained,
            probes,
        }
    }

    /// Builds the indexes every plan probes.
    pub(crate) fn index(&self, contents: &mut [Table]) {
        let plans = self.rules.iter().flatten().flat_map(|rp| {
            let starts = rp.forward.iter().flat_map(|f| [&f.2, &f.3]);
            let negs = rp.negations.iter().flat_map(|n| [&n.relaxed, &n.full]);
            let aggs = rp
                .aggregates
                .iter()
                .flat_map(|a| a.from_atom.iter().chain([&a.relaxed, &a.full]));
            starts.chain(negs).chain(aggs).chain([&rp.backward])
        });
        for bp in plans.chain(self.aggregates.values()) {
            for (rel, cols) in bp.probes() {
                ensure(contents, rel, cols);
            }
        }
        for (rel, cols) in &self.probes {
            ensure(contents, *rel, cols);
        }
    }
}

/// An index on `cols` of `rel`, unless a probe on them needs none.
fn ensure(contents: &mut [Table], rel: RelId, cols: &[usize]) {
    let t = &mut contents[rel];
    let whole = cols.len() == t.arity() && cols.iter().enumerate().all(|(i, &c)| i == c);
    if !cols.is_empty() && !whole {
        t.ensure_index(cols);
    }
}

/// Compiles rule `ri` for every start, or `None` if it has a shape this module does not
/// maintain (a negated atom over an expression or through classes, a nested aggregate, an
/// aggregate whose outer variables its atoms do not bind, `autoinc()`).
fn rule_plans(
    plan: &Plan,
    ri: usize,
    aggregates: &mut HashMap<usize, BodyPlan>,
    probes: &mut Vec<(RelId, Vec<usize>)>,
) -> Option<RulePlans> {
    let rule = &plan.rules[ri];
    // `autoinc()` numbers facts in the order one evaluation makes them: a stratum that uses
    // it is evaluated again whole.
    if rule.calls(Functor::AutoInc) {
        return None;
    }
    let forward = rule
        .atoms
        .iter()
        .enumerate()
        .map(|(ai, atom)| {
            let full = BodyPlan::forward(plan, ri, ai, false);
            let relaxed = BodyPlan::forward(plan, ri, ai, true);
            probes.push((rule.head, relaxed.known_head_cols(rule)));
            (ai, atom.rel, full, relaxed)
        })
        .collect();
    let mut negations = Vec::new();
    let mut aggs: Vec<&IrAggregate> = Vec::new();
    for c in &rule.constraints {
        let exprs = match c {
            Constraint::Negated {
                rel, args, classes, ..
            } => {
                if *classes {
                    return None;
                }
                negations.push(negation_start(plan, ri, *rel, args, probes)?);
                continue;
            }
            Constraint::Cmp { left, right, .. } => vec![left, right],
            Constraint::Text { pattern, text, .. } => vec![pattern, text],
            Constraint::False => Vec::new(),
        };
        for e in exprs {
            e.for_each_aggregate(&mut |a| aggs.push(a));
        }
    }
    for e in rule.head_args.iter().chain(&rule.meta.head_conf) {
        e.for_each_aggregate(&mut |a| aggs.push(a));
    }
    let starts = (aggs.into_iter())
        .map(|agg| aggregate_start(plan, ri, agg, aggregates, probes))
        .collect::<Option<Vec<AggStart>>>()?;
    Some(RulePlans {
        forward,
        backward: BodyPlan::backward(plan, ri),
        negations,
        aggregates: starts,
    })
}

/// Compiles the start of a change through the negated atom `!rel(args)` of rule `ri`, or
/// `None` when an argument is an expression.
fn negation_start(
    plan: &Plan,
    ri: usize,
    rel: RelId,
    args: &[Option<IrExpr>],
    probes: &mut Vec<(RelId, Vec<usize>)>,
) -> Option<NegStart> {
    let rule = &plan.rules[ri];
    let mut cols = Vec::new();
    let mut vars = Vec::new();
    for a in args {
        cols.push(match a.as_ref().map(|e| &e.kind) {
            None => Bind::Any,
            Some(IrExprKind::Var(v)) => {
                vars.push(*v);
                Bind::Var(*v)
            }
            Some(IrExprKind::Const(c)) => Bind::Const(*c),
            Some(_) => return None,
        });
    }
    let probe: Vec<usize> = (0..args.len()).filter(|&i| args[i].is_some()).collect();
    probes.push((rel, probe));
    let relaxed = BodyPlan::from_vars(plan, ri, &vars, true);
    probes.push((rule.head, relaxed.known_head_cols(rule)));
    Some(NegStart {
        rel,
        cols,
        relaxed,
        full: BodyPlan::from_vars(plan, ri, &vars, false),
    })
}

/// Compiles the start of a change through aggregate `agg` of rule `ri` (its body, with its
/// outer variables bound, into `aggregates`), or `None` for a nested aggregate or one whose
/// outer variables its atoms do not bind.
fn aggregate_start(
    plan: &Plan,
    ri: usize,
    agg: &IrAggregate,
    aggregates: &mut HashMap<usize, BodyPlan>,
    probes: &mut Vec<(RelId, Vec<usize>)>,
) -> Option<AggStart> {
    let rule = &plan.rules[ri];
    let n = rule.var_names.len();
    let nested = agg.constraints.iter().any(|c| match c {
        Constraint::Negated { .. } => true,
        Constraint::Cmp { left, right, .. } => left.has_aggregate() || right.has_aggregate(),
        Constraint::Text { pattern, text, .. } => pattern.has_aggregate() || text.has_aggregate(),
        Constraint::False => false,
    });
    let bound: HashSet<VarId> = agg.atoms.iter().flat_map(|a| a.vars()).collect();
    if nested || !agg.outer.iter().all(|v| bound.contains(v)) {
        return None;
    }
    aggregates.insert(agg.id, BodyPlan::aggregate(agg, n));
    let relaxed = BodyPlan::from_vars(plan, ri, &agg.outer, true);
    probes.push((rule.head, relaxed.known_head_cols(rule)));
    Some(AggStart {
        agg: agg.clone(),
        from_atom: (0..agg.atoms.len())
            .map(|j| BodyPlan::aggregate_from(agg, j, n))
            .collect(),
        relaxed,
        full: BodyPlan::from_vars(plan, ri, &agg.outer, false),
    })
}

/// Binds a negated atom's variables to a fact of its relation: false if a constant or a
/// repeated variable does not match.
pub(super) fn bind_neg(neg: &NegStart, key: &[u64], env: &mut [u64]) -> bool {
    let mut set = vec![false; env.len()];
    for (b, &v) in neg.cols.iter().zip(key) {
        match *b {
            Bind::Const(c) if c != v => return false,
            Bind::Var(x) if set[x] && env[x] != v => return false,
            Bind::Var(x) => {
                env[x] = v;
                set[x] = true;
            }
            _ => {}
        }
    }
    true
}
