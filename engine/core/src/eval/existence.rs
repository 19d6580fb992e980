//! Independent parts of rule bodies (`plan/independent.rs`) checked once per stratum: a part
//! over completed relations either holds, and the rule runs without it, or fails, and the
//! rule derives nothing. Without this, `a(x) :- b(x), c(y), d(y).` joins every new `b` row
//! with all of `c` in every round.
//!
//! With provenance a derivation's confidence, depth and time take in the part's facts: the
//! best the part offers (its solutions' highest confidence, least depth, latest time, each a
//! lattice component of its own) is one constant factor of every derivation of the rule, as
//! the lattice join over every pairing of the rest's and the part's solutions would give.
//! Proofs solve the whole rule again (`explain.rs`), the part's facts with it.

use super::expr::Cx;
use super::meta::Meta;
use super::solve::Fact as _;
use super::{completed, solve};
use crate::plan::independent::{Independent, independent_parts, without};
use crate::plan::ir::{Constraint, IrAtom, IrRule, Stratum};
use crate::plan::order::compile_nested;
use std::borrow::Cow;

/// Whether some binding of the part's atoms passes its constraints; with `meta`, the best
/// of its solutions' metadata (their facts' combined by the rule's t-norm), found by trying
/// every solution.
fn best(rule: &IrRule, part: &Independent, meta: bool, cx: &mut Cx<'_>) -> Option<Meta> {
    let atoms: Vec<IrAtom> = part.atoms.iter().map(|&i| rule.atoms[i].clone()).collect();
    let constraints: Vec<Constraint> = (part.constraints.iter())
        .map(|&i| rule.constraints[i].clone())
        .collect();
    let n = rule.var_names.len();
    let plan = solve::compile(&compile_nested(&atoms, &constraints, n, &[]), &[], n);
    let mut env = vec![0u64; n];
    let mut best: Option<Meta> = None;
    completed::solve(&plan, &mut env, cx, &mut |_, hits, cx| {
        let m = Meta::body(rule.meta.tnorm, hits.iter().map(|h| h.meta()));
        best = Some(best.map_or(m, |b| Meta {
            conf: b.conf.max(m.conf),
            depth: b.depth.min(m.depth),
            rule: b.rule,
            time: b.time.max(m.time),
        }));
        // Without provenance the first solution decides.
        cx.stop = !meta;
    });
    best
}

/// Whether every atom of `part` reads a relation of an earlier stratum than `stratum`.
pub(crate) fn outside(rule: &IrRule, part: &Independent, stratum: &Stratum) -> bool {
    (part.atoms.iter()).all(|&i| !stratum.relations.contains(&rule.atoms[i].rel))
}

/// The rule as the stratum evaluates it: without its independent parts over completed
/// relations when they all hold, `None` when one fails (the rule derives nothing), and the
/// rule itself when it has no such part; with the best metadata of the parts together (with
/// `meta`; neutral without, or without parts), for every derivation to take in.
pub(crate) fn settle<'r>(
    rule: &'r IrRule,
    stratum: &Stratum,
    meta: bool,
    cx: &mut Cx<'_>,
) -> Option<(Cow<'r, IrRule>, Meta)> {
    let parts = independent_parts(rule);
    let complete = |p: &&Independent| {
        outside(rule, p, stratum)
            && (p.atoms.iter())
                .all(|&i| cx.done.get(rule.atoms[i].rel).is_some_and(|r| r.is_some()))
    };
    let settled: Vec<&Independent> = parts.iter().filter(complete).collect();
    let mut factor = Meta::asserted(1.0);
    if settled.is_empty() {
        return Some((Cow::Borrowed(rule), factor));
    }
    for part in &settled {
        factor = factor.and(rule.meta.tnorm, &best(rule, part, meta, cx)?);
    }
    Some((Cow::Owned(without(rule, &settled)), factor))
}
