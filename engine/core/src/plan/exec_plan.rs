//! Soufflé's `.plan` after a rule, `r(x, z) :- r(x, y), e(y, z). .plan 0:(2,1)`: for each
//! version of a recursive rule (version `k` reads the last round's facts through the `k`-th
//! atom of the rule's own stratum), the order in which its atoms are joined. Checked as
//! Soufflé checks it (each order names every atom once; versions exist; the rule is
//! recursive) and honoured by the nested-loop evaluator (`eval/loops.rs`), which a stratum with
//! a planned rule goes to.
//!
//! Atoms are kept by where they are written: the planner's rewrites (inlining, witnesses,
//! parts settled once) may change a rule's atoms, and an order whose atoms the evaluated rule
//! no longer has exactly is not honoured (the cost-based order is used).

use super::PlanError;
use super::ir::{IrRule, Plan, RelId};
use engram_parser::{Literal, PlanOrder, Span};

/// A rule's `.plan`: its positive atoms as written and each version's order of them.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecPlan {
    /// Where each positive atom of the rule is written, in written order.
    pub atoms: Vec<Span>,
    /// Per version: its number, the atoms in join order (indexes into `atoms`), and where the
    /// order is written.
    pub orders: Vec<(usize, Vec<usize>, Span)>,
}

impl ExecPlan {
    /// The order of `rule`'s atoms for the version that reads the last round's facts through
    /// atom `delta`, when `.plan` gives one and the rule's atoms are those written; `live`
    /// tells the relations of the rule's stratum.
    pub fn order_for(
        &self,
        rule: &IrRule,
        delta: usize,
        live: impl Fn(RelId) -> bool,
    ) -> Option<Vec<usize>> {
        if rule.atoms.len() != self.atoms.len() {
            return None;
        }
        let index = |span: Span| rule.atoms.iter().position(|a| a.span == span);
        let written: Vec<usize> = self
            .atoms
            .iter()
            .map(|&s| index(s))
            .collect::<Option<_>>()?;
        let version = (written.iter())
            .filter(|&&i| live(rule.atoms[i].rel))
            .position(|&i| i == delta)?;
        let (_, order, _) = self.orders.iter().find(|(v, _, _)| *v == version)?;
        Some(order.iter().map(|&p| written[p]).collect())
    }
}

/// The `.plan` written after a rule whose body is `literals` (its positive atoms counted from
/// 1, as Soufflé counts them), or none; reports an order that does not name each atom once.
pub(super) fn written(
    literals: &[Literal],
    orders: &[PlanOrder],
    errors: &mut Vec<PlanError>,
) -> Option<Box<ExecPlan>> {
    if orders.is_empty() {
        return None;
    }
    let atoms: Vec<Span> = (literals.iter())
        .filter_map(|l| match l {
            Literal::Atom(a) => Some(a.span),
            _ => None,
        })
        .collect();
    let n = atoms.len();
    let mut planned = Vec::new();
    // A body with `;` is planned once per disjunct: each error is reported once.
    let mut report = |e: PlanError| {
        if !errors.contains(&e) {
            errors.push(e);
        }
    };
    for o in orders {
        let complete = (1..=n).all(|p| o.atoms.contains(&p));
        if o.atoms.len() != n {
            let message = format!(
                "invalid execution order in `.plan` (the rule has {n} atom{}, the order names {})",
                if n == 1 { "" } else { "s" },
                o.atoms.len()
            );
            report(PlanError::new(o.span, message));
        } else if !complete {
            report(PlanError::new(
                o.span,
                format!(
                    "invalid execution order in `.plan`: it must name each of the atoms 1 to {n} once"
                ),
            ));
        } else if orders
            .iter()
            .any(|p| p.version == o.version && !std::ptr::eq(p, o))
        {
            report(PlanError::new(
                o.span,
                format!("version {} is given two orders in `.plan`", o.version),
            ));
        } else {
            planned.push((o.version, o.atoms.iter().map(|p| p - 1).collect(), o.span));
        }
    }
    Some(Box::new(ExecPlan {
        atoms,
        orders: planned,
    }))
}

/// Reports each `.plan` of a rule that is not recursive (it runs once, Soufflé ignores its
/// plan and says so) and each version a rule does not have.
pub(super) fn check(plan: &Plan) -> Vec<PlanError> {
    let mut stratum_of = vec![usize::MAX; plan.relations.len()];
    for (i, st) in plan.strata.iter().enumerate() {
        for &r in &st.relations {
            stratum_of[r] = i;
        }
    }
    let mut errors = Vec::new();
    for rule in plan.rules.iter().chain(&plan.subsumptions) {
        let Some(ep) = &rule.exec_plan else { continue };
        let live = |span: Span| {
            (rule.atoms.iter())
                .any(|a| a.span == span && stratum_of[a.rel] == stratum_of[rule.head])
        };
        let versions = ep.atoms.iter().filter(|&&s| live(s)).count();
        let Some((_, _, first)) = ep.orders.first() else {
            continue;
        };
        if versions == 0 {
            errors.push(PlanError::new(
                *first,
                "`.plan` for a rule that is not recursive: it runs once, from the facts of \
                 earlier strata, in the order the planner chooses",
            ));
            continue;
        }
        for (v, _, span) in ep.orders.iter().filter(|(v, _, _)| *v >= versions) {
            errors.push(PlanError::new(
                *span,
                match versions {
                    1 => format!(
                        "`.plan` version {v}: this rule has one version, 0 (it has one atom of \
                         its own stratum)"
                    ),
                    n => format!(
                        "`.plan` version {v}: this rule has versions 0 to {} (one per atom of \
                         its own stratum)",
                        n - 1
                    ),
                },
            ));
        }
    }
    errors
}
