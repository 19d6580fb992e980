//! Merges: `.merge e` makes the eqrel `e` an identity. Every symbol of every fact is read
//! through the label of its class in `e` (its smallest member by text), so facts about
//! aliases become facts about one entity, and two facts that become equal are one fact.
//!
//! Evaluation saturates and rebuilds, as egglog does: the base facts are rewritten through
//! the classes of the pairs known so far (a rewritten fact's confidence is multiplied by the
//! memberships that rewrote it, and its origin is `merge`), the program's constants likewise,
//! and the program is evaluated; the pairs of `e` it derived (a merge can enable rules that
//! merge more) join the pairs known, and if the classes changed the program is evaluated
//! again from the base facts. Classes only grow, so this ends; merges are never undone within
//! one evaluation. A pass first evaluates only what the identity depends on (nothing else
//! changes the classes), and unless its classes hold stops there: every pass but the last
//! evaluates only those strata. A store re-derives (retracting the evidence of a merge
//! un-merges).

use super::classes::{self, Classes};
use super::meta::{MAX_DEPTH, MERGED, Meta};
use super::{Base, EvalError, Mode, Rows, Strata};
use crate::plan::ir::*;
use crate::value::{ColumnType, Interner};
use std::collections::HashMap;

/// Per relation and rewritten row: the facts the merge rewrote into it, as they were.
pub type Rewritten = HashMap<(RelId, Vec<u64>), Vec<(Vec<u64>, Meta)>>;

/// What a merging evaluation adds to its facts.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The program with its symbol constants read through the final classes.
    pub plan: Plan,
    /// The facts each rewritten fact came from.
    pub rewritten: Rewritten,
}

/// Evaluates `plan` until its merges through `merge` settle.
pub(crate) fn evaluate_merging(
    plan: &Plan,
    merge: RelId,
    base: Base,
    interner: &mut Interner,
    mode: Mode,
) -> Result<(Vec<Option<Rows>>, Merged), EvalError> {
    // The identity's pairs: the asserted ones, then every pass adds those it derived.
    let mut pairs: Vec<(Vec<u64>, Meta)> = base
        .facts_of(merge)
        .map(|(row, m)| (row.to_vec(), m))
        .collect();
    // The previous pass: its classes and what it evaluated.
    let mut previous: Option<(Classes, Strata)> = None;
    loop {
        let classes = Classes::build(&pair_rows(&pairs, mode), ColumnType::Symbol, interner);
        let canon_plan = canonical_plan(plan, &classes);
        let (canon_base, rewritten) = canonical_base(plan, merge, &base, &pairs, &classes);
        // Only what the identity depends on can change its classes: a pass evaluates that,
        // and unless the classes it started from hold, stops there.
        let mut strata = Strata::new(&canon_plan, canon_base);
        if let Some((old, mut before)) = previous.take() {
            let unchanged = unchanged_relations(plan, merge, &base, &old, &classes);
            strata.adopt(&canon_plan, &mut before, &unchanged);
        }
        strata.run(&canon_plan, interner, mode, Some(merge))?;
        let derived = strata.done[merge]
            .as_ref()
            .expect("the identity is evaluated");
        let next = Classes::build(derived, ColumnType::Symbol, interner);
        // Settled when the classes and memberships the facts were read through are the ones
        // derived, times too (a store reads later facts through the derived ones).
        if classes::same_classes(&classes.rows(mode), &next.rows(mode))
            && (!mode.time || classes.same_times(&next))
        {
            strata.run(&canon_plan, interner, mode, None)?;
            let merged = Merged {
                plan: canon_plan,
                rewritten,
            };
            return Ok((strata.done, merged));
        }
        pairs = (0..derived.len())
            .map(|i| (derived.row(i).to_vec(), derived.meta(i)))
            .collect();
        previous = Some((classes, strata));
    }
}

/// Per relation: whether a pass with classes `new` derives exactly what a pass with classes
/// `old` derived. It does when nothing it depends on reads differently: no symbol of its
/// facts, nor of the program's constants, changed label or membership. (Classes only grow,
/// and evaluation is deterministic, so the same facts and rules give the same rows.)
fn unchanged_relations(
    plan: &Plan,
    merge: RelId,
    base: &Base,
    old: &Classes,
    new: &Classes,
) -> Vec<bool> {
    let moved = new.moved_since(old);
    let n = plan.relations.len();
    if moved.is_empty() {
        return (0..n).map(|r| r != merge).collect();
    }
    let is_moved = |v: u64| moved.binary_search(&v).is_ok();
    let types: Vec<Vec<ColumnType>> = plan.relations.iter().map(|d| d.types()).collect();
    let mut constants = Vec::new();
    for rule in &plan.rules {
        symbol_constants(rule, &types, &mut constants);
    }
    if constants.into_iter().any(is_moved) {
        return vec![false; n];
    }
    // Relations whose own facts read differently (the identity always does).
    let changed: Vec<bool> = (0..n)
        .map(|rel| {
            let symbols: Vec<usize> = (types[rel].iter().enumerate())
                .filter(|(_, t)| **t == ColumnType::Symbol)
                .map(|(c, _)| c)
                .collect();
            rel == merge
                || base
                    .facts_of(rel)
                    .any(|(row, _)| symbols.iter().any(|&c| is_moved(row[c])))
        })
        .collect();
    (0..n)
        .map(|rel| !plan.depends(rel).into_iter().any(|d| changed[d]))
        .collect()
}

/// The symbol constants [`canonical_rule`] reads through the classes, appended to `out`.
pub(crate) fn symbol_constants(rule: &IrRule, types: &[Vec<ColumnType>], out: &mut Vec<u64>) {
    let mut rule = rule.clone();
    for_each_symbol_constant(&mut rule, types, &mut |c| out.push(*c));
}

/// The pairs as rows of the eqrel.
fn pair_rows(pairs: &[(Vec<u64>, Meta)], mode: Mode) -> Rows {
    let mut rows = Rows::empty(2, mode);
    for (row, m) in pairs {
        rows.data.extend_from_slice(row);
        if mode.meta {
            m.push(&mut rows.data, true, mode.time);
        }
    }
    rows
}

/// The base facts with every symbol read through the classes; the identity's own pairs as
/// they are (with those derived in earlier passes).
fn canonical_base(
    plan: &Plan,
    merge: RelId,
    base: &Base,
    pairs: &[(Vec<u64>, Meta)],
    classes: &Classes,
) -> (Base, Rewritten) {
    let mut out = Base::new(plan);
    let mut rewritten = Rewritten::new();
    for (row, m) in pairs {
        out.push_meta(merge, row, *m);
    }
    for (rel, decl) in plan.relations.iter().enumerate() {
        if rel == merge || decl.class_of.is_some() {
            continue;
        }
        let types = decl.types();
        for (row, m) in base.facts_of(rel) {
            match canonical_row(row, &types, classes) {
                Some((canon, membership)) => {
                    out.push_meta(rel, &canon, rewritten_meta(m, membership));
                    rewritten
                        .entry((rel, canon))
                        .or_default()
                        .push((row.to_vec(), m));
                }
                None => out.push_meta(rel, row, m),
            }
        }
    }
    (out, rewritten)
}

/// The metadata of a fact `m` rewritten through classes by memberships `membership`: its
/// confidence multiplied by them, one deeper, from `merge`.
pub(crate) fn rewritten_meta(m: Meta, membership: Meta) -> Meta {
    Meta {
        conf: m.conf * membership.conf,
        depth: (1 + m.depth.max(membership.depth)).min(MAX_DEPTH),
        rule: MERGED,
        time: m.time.max(membership.time),
    }
}

/// `row` with each symbol read through its class, and the memberships that changed it
/// combined (`None` when nothing changes).
pub fn canonical_row(
    row: &[u64],
    types: &[ColumnType],
    classes: &Classes,
) -> Option<(Vec<u64>, Meta)> {
    canonical_row_by(row, types, |v| classes.canonical(v))
}

/// [`canonical_row`] with the classes read by `canonical` (a member's label and membership;
/// `None` for a symbol in no class).
pub(crate) fn canonical_row_by(
    row: &[u64],
    types: &[ColumnType],
    canonical: impl Fn(u64) -> Option<(u64, Meta)>,
) -> Option<(Vec<u64>, Meta)> {
    let mut out: Option<(Vec<u64>, Meta)> = None;
    for (col, ty) in types.iter().enumerate() {
        if *ty != ColumnType::Symbol {
            continue;
        }
        let Some((label, member)) = canonical(row[col]) else {
            continue;
        };
        if label == row[col] {
            continue;
        }
        let (canon, m) = out.get_or_insert_with(|| (row.to_vec(), Meta::asserted(1.0)));
        canon[col] = label;
        *m = m.and(TNorm::Product, &member);
    }
    out
}

/// The program with its symbol constants read through the classes: constant atom arguments,
/// and constants standing alone as a head argument or a comparison operand (a constant
/// inside a functor call, such as `cat("a", x)`, is text and stays as written).
pub(crate) fn canonical_plan(plan: &Plan, classes: &Classes) -> Plan {
    canonical_plan_by(plan, |v| classes.canonical(v).map(|(label, _)| label))
}

/// The program with its symbol constants read through classes, as `canonical_plan` does, the
/// classes read by `label` (a member's label; `None` for a symbol in no class).
pub fn canonical_plan_by(plan: &Plan, mut label: impl FnMut(u64) -> Option<u64>) -> Plan {
    let mut out = plan.clone();
    let types: Vec<Vec<ColumnType>> = plan.relations.iter().map(|d| d.types()).collect();
    let mut read = |c: &mut u64| *c = label(*c).unwrap_or(*c);
    for rule in &mut out.rules {
        for_each_symbol_constant(rule, &types, &mut read);
    }
    for q in &mut out.queries {
        for_each_symbol_constant(&mut q.rule, &types, &mut read);
    }
    out
}

/// [`canonical_plan`] for one rule (or query); `types` are the relations' column types.
pub(crate) fn canonical_rule(rule: &mut IrRule, types: &[Vec<ColumnType>], classes: &Classes) {
    for_each_symbol_constant(rule, types, &mut |c| {
        *c = classes.canonical(*c).map_or(*c, |(label, _)| label);
    });
}

/// Calls `f` on each symbol constant of `rule` that stands for an entity: constant atom
/// arguments, and constants standing alone as a head argument or a comparison operand.
fn for_each_symbol_constant(
    rule: &mut IrRule,
    types: &[Vec<ColumnType>],
    f: &mut dyn FnMut(&mut u64),
) {
    let atoms = |atoms: &mut [IrAtom], f: &mut dyn FnMut(&mut u64)| {
        for a in atoms {
            for (arg, ty) in a.args.iter_mut().zip(&types[a.rel]) {
                if let AtomArg::Const(c) = arg
                    && *ty == ColumnType::Symbol
                {
                    f(c);
                }
            }
        }
    };
    let expr = |e: &mut IrExpr, f: &mut dyn FnMut(&mut u64)| {
        if let IrExprKind::Const(c) = &mut e.kind
            && e.ty == ColumnType::Symbol
        {
            f(c);
        }
    };
    atoms(&mut rule.atoms, f);
    for e in &mut rule.head_args {
        expr(e, f);
    }
    for c in &mut rule.constraints {
        match c {
            Constraint::Cmp { left, right, .. } => {
                expr(left, f);
                expr(right, f);
                for side in [left, right] {
                    side.for_each_aggregate_mut(&mut |agg| atoms(&mut agg.atoms, f));
                }
            }
            Constraint::Negated { args, .. } => args.iter_mut().flatten().for_each(|e| expr(e, f)),
            Constraint::Text { .. } | Constraint::False => {}
        }
    }
}
