//! Soufflé's subsumption rules, `r(x1) <= r(x2) :- body.`: a fact of `r` matching the first
//! atom is removed where a different fact matching the second holds and the body does. Each is
//! planned as the rule `r(x1) :- r(x1), r(x2), body.` without head arguments, its two atoms
//! first: the evaluator reads the facts they match (`Loops::subsume` in `eval/loops.rs`).

use super::PlanError;
use super::ir::*;
use super::rule::RuleCx;
use engram_parser as ast;
use engram_parser::Literal;

/// Plans subsumption rule `s` into [`Plan::subsumptions`], one rule per disjunct of its body.
pub(super) fn subsumption(
    plan: &mut Plan,
    s: &ast::Subsumption,
    file: &str,
    lines: &ast::LineIndex,
    errors: &mut Vec<PlanError>,
) {
    if s.dominated.name != s.dominating.name {
        errors.push(PlanError::new(
            s.dominating.span,
            format!(
                "a subsumption rule compares facts of one relation: `{}` is not `{}`",
                s.dominating.name, s.dominated.name
            ),
        ));
        return;
    }
    let Some(rel) = plan.relation_named(&s.dominated.name) else {
        errors.push(PlanError::new(
            s.dominated.span,
            format!("unknown relation `{}`", s.dominated.name),
        ));
        return;
    };
    if let Some(why) = refused(plan, rel) {
        errors.push(PlanError::new(
            s.span,
            format!(
                "`{}` cannot have subsumption rules: {why}",
                s.dominated.name
            ),
        ));
        return;
    }
    let (line, _) = lines.line_col(s.span.start);
    let origin = format!("{file}:{line}");
    let bodies: Vec<&[Literal]> = match s.body.is_empty() {
        true => vec![&[]],
        false => s.body.iter().map(Vec::as_slice).collect(),
    };
    for body in bodies {
        let mut literals = vec![
            Literal::Atom(s.dominated.clone()),
            Literal::Atom(s.dominating.clone()),
        ];
        literals.extend_from_slice(body);
        let mut cx = RuleCx::new(plan, errors);
        cx.body(&literals);
        let mut rule = cx.finish(rel, Vec::new(), s.span, origin.clone(), RuleMeta::default());
        if let Some(rule) = &mut rule {
            rule.exec_plan = super::exec_plan::written(&literals, &s.plan, errors);
        }
        // A rule whose atoms were refused has been reported.
        if let Some(rule) =
            rule.filter(|r| r.atoms.len() >= 2 && r.atoms[..2].iter().all(|a| a.rel == rel))
        {
            plan.subsumptions.push(rule);
        }
    }
}

/// Why relation `rel` cannot have subsumption rules, if it cannot.
fn refused(plan: &Plan, rel: RelId) -> Option<&'static str> {
    let d = &plan.relations[rel];
    Some(if d.eqrel {
        "an eqrel holds every pair its classes make, none can be removed"
    } else if d.inline {
        "it is inline, so it holds no facts to remove"
    } else if d.combine == Combine::NoisyOr {
        "its facts combine by noisy_or, which counts every derivation"
    } else if !d.choice.is_empty() {
        "it has a choice-domain, which already decides which facts it keeps"
    } else if plan.merge.is_some() {
        "the program merges entities (`.merge`), whose identities a removed fact would \
         change"
    } else {
        return None;
    })
}
