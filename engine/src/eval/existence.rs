//! Independent parts of rule bodies (`plan/independent.rs`) checked once per stratum: a part
//! over completed relations either holds, and the rule runs without it, or fails, and the
//! rule derives nothing. Without this, `a(x) :- b(x), c(y), d(y).` joins every new `b` row
//! with all of `c` in every round.
//!
//! Only for evaluation without provenance: with it, a derivation's confidence, depth and proof
//! take in the part's facts, so the part stays in the join.

use super::expr::Cx;
use super::{completed, solve};
use crate::plan::independent::{Independent, independent_parts, without};
use crate::plan::ir::{Constraint, IrAtom, IrRule, Stratum};
use crate::plan::order::compile_nested;
use std::borrow::Cow;

/// Whether some binding of the part's atoms passes its constraints.
fn holds(rule: &IrRule, part: &Independent, cx: &mut Cx<'_>) -> bool {
    let atoms: Vec<IrAtom> = part.atoms.iter().map(|&i| rule.atoms[i].clone()).collect();
    let constraints: Vec<Constraint> = (part.constraints.iter())
        .map(|&i| rule.constraints[i].clone())
        .collect();
    let n = rule.var_names.len();
    let plan = solve::compile(&compile_nested(&atoms, &constraints, n, &[]), &[], n);
    let mut env = vec![0u64; n];
    let mut found = false;
    completed::solve(&plan, &mut env, cx, &mut |_, _, cx| {
        found = true;
        cx.stop = true;
    });
    found
}

/// The rule as the stratum evaluates it: without its independent parts over completed
/// relations when they all hold, `None` when one fails (the rule derives nothing), and the
/// rule itself when it has no such part.
pub(crate) fn settle<'r>(
    rule: &'r IrRule,
    stratum: &Stratum,
    cx: &mut Cx<'_>,
) -> Option<Cow<'r, IrRule>> {
    let parts = independent_parts(rule);
    let complete = |p: &&Independent| {
        p.atoms.iter().all(|&i| {
            let rel = rule.atoms[i].rel;
            !stratum.relations.contains(&rel) && cx.done.get(rel).is_some_and(|r| r.is_some())
        })
    };
    let settled: Vec<&Independent> = parts.iter().filter(complete).collect();
    if settled.is_empty() {
        return Some(Cow::Borrowed(rule));
    }
    for part in &settled {
        if !holds(rule, part, cx) {
            return None;
        }
    }
    Some(Cow::Owned(without(rule, &settled)))
}
