//! Stratification: strongly connected components of the dependency graph, in evaluation order,
//! with negation and aggregation only on relations of earlier strata.

use super::PlanError;
use super::ir::*;

/// One dependency of a rule's head on a body relation.
struct Edge {
    from: RelId,
    to: RelId,
    negative: bool,
    span: engram_parser::Span,
}

/// Fills `plan.strata`, or reports each cycle through negation or aggregation.
pub(crate) fn stratify(plan: &mut Plan) -> Result<(), Vec<PlanError>> {
    let n = plan.relations.len();
    let edges = dependencies(plan);
    let mut succ = vec![Vec::new(); n];
    for e in &edges {
        succ[e.from].push(e.to);
    }
    let comps = tarjan(n, &succ);
    // Tarjan yields components in reverse topological order.
    let mut comp_of = vec![0; n];
    for (i, c) in comps.iter().enumerate() {
        for &r in c {
            comp_of[r] = i;
        }
    }
    let mut errors = Vec::new();
    for e in &edges {
        if e.negative && comp_of[e.from] == comp_of[e.to] {
            errors.push(PlanError::new(
                e.span,
                format!(
                    "`{}` depends on `{}` through negation or aggregation inside a cycle: {}",
                    plan.relations[e.to].name,
                    plan.relations[e.from].name,
                    cycle_text(plan, &comps[comp_of[e.from]])
                ),
            ));
        }
    }
    unbounded_skolems(plan, &comps, &comp_of, &mut errors);
    recursive_combinations(plan, &edges, &comps, &comp_of, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    plan.strata = comps.iter().rev().map(|comp| stratum(plan, comp)).collect();
    let mut errors = choices_beside_subsumption(plan);
    errors.extend(super::exec_plan::check(plan));
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

/// A relation with a `choice-domain` chooses as facts enter it, a subsumption rule removes
/// facts during the rounds: the two are evaluated apart, so they may not share a recursion.
fn choices_beside_subsumption(plan: &Plan) -> Vec<PlanError> {
    let mut errors = Vec::new();
    for st in plan.strata.iter().filter(|st| !st.subsumptions.is_empty()) {
        let rule = &plan.subsumptions[st.subsumptions[0]];
        for &rel in &st.relations {
            let d = &plan.relations[rel];
            if !d.choice.is_empty() {
                errors.push(PlanError::new(
                    d.span,
                    format!(
                        "`{}` has a choice-domain and is recursive with `{}`, which has a \
                         subsumption rule ({}): the two cannot be evaluated together",
                        d.name, plan.relations[rule.head].name, rule.origin
                    ),
                ));
            }
        }
    }
    errors
}

/// Every dependency of a rule's head on a relation of its body (negative through negation and
/// aggregates), and of an eqrel's classes on its pairs and a functional relation's history on
/// its facts. A subsumption rule's relation depends on its body's (its own two atoms, the
/// facts compared, make it no more recursive than its rules do).
fn dependencies(plan: &Plan) -> Vec<Edge> {
    let mut edges = Vec::new();
    let rules = (plan.rules.iter().map(|r| (r, 0))).chain(plan.subsumptions.iter().map(|r| (r, 2)));
    for (rule, compared) in rules {
        let to = rule.head;
        for a in &rule.atoms[compared..] {
            edges.push(Edge {
                from: a.rel,
                to,
                negative: false,
                span: a.span,
            });
        }
        let mut negative = |from, span| {
            edges.push(Edge {
                from,
                to,
                negative: true,
                span,
            })
        };
        for c in &rule.constraints {
            negative_deps(c, &mut negative);
        }
        for e in rule.head_args.iter().chain(&rule.meta.head_conf) {
            expr_deps(e, &mut negative);
        }
    }
    for (id, d) in plan.relations.iter().enumerate() {
        if let Some(from) = d.class_of.or(d.superseded_of) {
            edges.push(Edge {
                from,
                to: id,
                negative: false,
                span: d.span,
            });
        }
    }
    edges
}

/// A rule that makes new entities (`sk(...)`) must not feed them back into itself unbounded:
/// each lap could name a new one.
fn unbounded_skolems(
    plan: &Plan,
    comps: &[Vec<RelId>],
    comp_of: &[usize],
    errors: &mut Vec<PlanError>,
) {
    for rule in &plan.rules {
        let makes = rule.calls(Functor::Skolem);
        let comp = comp_of[rule.head];
        if makes
            && rule.meta.max_depth.is_none()
            && rule.atoms.iter().any(|a| comp_of[a.rel] == comp)
        {
            errors.push(PlanError::new(
                rule.span,
                format!(
                    "`{}` makes new entities with sk(...) and feeds them back into itself ({}): \
                     it could make infinitely many; bound the rule with @max_depth(n)",
                    plan.relations[rule.head].name,
                    cycle_text(plan, &comps[comp])
                ),
            ));
        }
    }
}

/// A recursive relation may neither combine by noisy-or nor be functional.
fn recursive_combinations(
    plan: &Plan,
    edges: &[Edge],
    comps: &[Vec<RelId>],
    comp_of: &[usize],
    errors: &mut Vec<PlanError>,
) {
    for (rel, d) in plan.relations.iter().enumerate() {
        let comp = &comps[comp_of[rel]];
        let recursive = comp.len() > 1 || edges.iter().any(|e| e.from == rel && e.to == rel);
        if !recursive {
            continue;
        }
        if d.combine == Combine::NoisyOr {
            errors.push(PlanError::new(
                d.span,
                format!(
                    "`{}` combines by noisy_or but is recursive ({}): noisy_or would count one \
                     derivation again on every lap; use combine(max)",
                    d.name,
                    cycle_text(plan, comp)
                ),
            ));
        }
        if d.functional.is_some() {
            errors.push(PlanError::new(
                d.span,
                format!(
                    "`{}` is functional but recursive ({}): the newest fact per key is known \
                     only once every fact is, so nothing may derive it from itself",
                    d.name,
                    cycle_text(plan, comp)
                ),
            ));
        }
    }
}

/// The stratum of one component: its relations, the rules deriving them, whether it recurses,
/// its subsumption rules.
fn stratum(plan: &Plan, comp: &[RelId]) -> Stratum {
    let mut relations = comp.to_vec();
    relations.sort_unstable();
    let rules: Vec<usize> = (plan.rules.iter().enumerate())
        .filter(|(_, r)| relations.contains(&r.head))
        .map(|(i, _)| i)
        .collect();
    let recursive = rules
        .iter()
        .any(|&i| (plan.rules[i].atoms.iter()).any(|a| relations.contains(&a.rel)));
    let subsumptions = (plan.subsumptions.iter().enumerate())
        .filter(|(_, r)| relations.contains(&r.head))
        .map(|(i, _)| i)
        .collect();
    Stratum {
        relations,
        rules,
        recursive,
        subsumptions,
    }
}

/// A strongly connected component as `a -> b -> a` (names sorted).
fn cycle_text(plan: &Plan, comp: &[RelId]) -> String {
    let mut cycle: Vec<&str> = comp
        .iter()
        .map(|&r| plan.relations[r].name.as_str())
        .collect();
    cycle.sort_unstable();
    cycle.push(cycle[0]);
    cycle.join(" -> ")
}

fn negative_deps(c: &Constraint, f: &mut dyn FnMut(RelId, engram_parser::Span)) {
    if let Constraint::Negated { rel, span, .. } = c {
        f(*rel, *span);
    }
    for e in c.exprs() {
        expr_deps(e, f);
    }
}

/// Relations read by aggregates inside an expression: all count as negative dependencies.
fn expr_deps(e: &IrExpr, f: &mut dyn FnMut(RelId, engram_parser::Span)) {
    e.for_each_aggregate(&mut |agg| {
        for a in &agg.atoms {
            f(a.rel, a.span);
        }
        for c in &agg.constraints {
            negative_deps(c, f);
        }
        if let Some(t) = &agg.target {
            expr_deps(t, f);
        }
    });
}

/// Tarjan's strongly connected components, iterative; components come out in reverse
/// topological order (a component before every component it depends on... reversed).
fn tarjan(n: usize, succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut comps = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if *i < succ[v].len() {
                let w = succ[v][*i];
                *i += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comps.push(comp);
            }
        }
    }
    comps
}
