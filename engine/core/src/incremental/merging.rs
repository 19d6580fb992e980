//! Asserted facts under a merge. As the bulk evaluator's canonical base does
//! (`eval/merge.rs`), an asserted fact enters its relation's contents read through the
//! classes (its confidence multiplied by the memberships that rewrote it, its origin
//! `merge`), and a fact of the contents is supported by every asserted fact read into it: an
//! alias's fact and its label's fact are one fact, which holds while either is asserted.
//!
//! Classes do not change in a maintained commit (a change that reaches the merged eqrel
//! re-derives everything, and so does one naming an alias in a relation the classes depend
//! on: it may be the evidence of a pair a merge has since rewritten, which only a full
//! evaluation sees), so reading through them is a lookup in the class relation.

use super::solve::{class_label, class_membership, from_meta, to_meta};
use super::table::{FactMeta, Table};
use crate::eval::merge::{canonical_row_by, rewritten_meta};
use crate::eval::meta::Meta;
use crate::plan::ir::{Plan, RelId};
use crate::value::ColumnType;

/// The class relation of the program's merge, if it merges, and whether facts of `rel` are
/// read through it (every relation's but the merged eqrel's and the class relation's own).
fn class_for(plan: &Plan, rel: RelId) -> Option<RelId> {
    let merge = plan.merge?;
    let class = plan.relations[merge].class?;
    (rel != merge && plan.relations[rel].class_of.is_none()).then_some(class)
}

/// Whether a change can move the merge's classes, which a maintained commit keeps as they are
/// (so it re-derives everything instead): one naming an alias in a relation the classes depend
/// on (it may be the evidence of a pair a merge has since rewritten), or one that weakens a
/// fact of such a relation naming a merged symbol (a retraction, or a re-assertion with lower
/// confidence or an earlier time): a membership may rest on that fact through the rules, and
/// the fact on the membership (its time read back from the fact it made), a circle that only
/// a full evaluation undoes.
pub(super) fn evidence_moves_classes(
    plan: &Plan,
    facts: &super::Facts,
    changes: &[super::Change],
) -> bool {
    let Some(merge) = plan.merge else {
        return false;
    };
    let Some(class) = plan.relations[merge].class else {
        return false;
    };
    let class = &facts.contents[class];
    if class.is_empty() {
        return false;
    }
    let evidence = plan.depends(merge);
    let aliased = |v: u64| class_label(class, v).is_some_and(|label| label != v);
    let merged = |v: u64| class_label(class, v).is_some();
    (changes.iter())
        .filter(|(rel, _, _)| evidence.contains(rel))
        .any(|(rel, key, new)| {
            let types = plan.relations[*rel].types();
            let names = |p: &dyn Fn(u64) -> bool| {
                (key.iter().zip(&types)).any(|(&v, ty)| *ty == ColumnType::Symbol && p(v))
            };
            if names(&aliased) {
                return true;
            }
            let old = match &facts.asserted[*rel] {
                Some(a) => a.get(key),
                None => facts.contents[*rel].get(key),
            };
            names(&merged) && old.is_some_and(|old| super::weakened(old, *new))
        })
}

/// The symbol constants of the plan's rules that the merge's classes read as another (an
/// alias, and its label), sorted: empty when the program does not merge or names no alias.
pub fn aliased_constants(plan: &Plan, contents: &mut [Table]) -> Vec<(u64, u64)> {
    let Some(class) = plan.merge.and_then(|m| plan.relations[m].class) else {
        return Vec::new();
    };
    contents[class].ensure_index(&[0]);
    let class = &contents[class];
    let types: Vec<Vec<ColumnType>> = plan.relations.iter().map(|d| d.types()).collect();
    let mut constants = Vec::new();
    for rule in (plan.rules.iter()).chain(plan.queries.iter().map(|q| &q.rule)) {
        crate::eval::merge::symbol_constants(rule, &types, &mut constants);
    }
    constants.sort_unstable();
    constants.dedup();
    (constants.into_iter())
        .filter_map(|v| {
            class_label(class, v)
                .filter(|&label| label != v)
                .map(|l| (v, l))
        })
        .collect()
}

/// The plan with the constants `aliased` ([`aliased_constants`]) read as their labels, as the
/// bulk evaluator runs it under a merge.
pub fn merged_plan(plan: &Plan, aliased: &[(u64, u64)]) -> Plan {
    crate::eval::merge::canonical_plan_by(plan, |v| {
        let at = aliased.binary_search_by_key(&v, |a| a.0).ok()?;
        Some(aliased[at].1)
    })
}

/// The indexes the lookups below probe, on the class relation's table.
pub(super) fn index(plan: &Plan, contents: &mut [Table]) {
    if let Some(class) = plan.merge.and_then(|m| plan.relations[m].class) {
        contents[class].ensure_index(&[0]);
        contents[class].ensure_index(&[1]);
    }
}

/// The contents key and metadata of an asserted fact of `rel`: read through the classes.
pub(super) fn entering(
    plan: &Plan,
    contents: &[Table],
    rel: RelId,
    key: &[u64],
    m: FactMeta,
) -> (Vec<u64>, FactMeta) {
    let Some(class) = class_for(plan, rel) else {
        return (key.to_vec(), m);
    };
    let types = plan.relations[rel].types();
    match canonical_row_by(key, &types, |v| class_membership(&contents[class], v)) {
        Some((canon, membership)) => (canon, from_meta(&rewritten_meta(to_meta(&m), membership))),
        None => (key.to_vec(), m),
    }
}

/// The best metadata that the asserted facts of `rel` read into contents key `key` give it
/// (`None`: no asserted fact is).
pub(super) fn asserted_best(
    plan: &Plan,
    contents: &[Table],
    asserted: &Table,
    rel: RelId,
    key: &[u64],
) -> Option<Meta> {
    let Some(class) = class_for(plan, rel) else {
        return asserted.get(key).map(|m| to_meta(&m));
    };
    let class = &contents[class];
    let types = plan.relations[rel].types();
    // Each column's values that read as the key's: a label's class members (itself among
    // them), a symbol in no class itself; an alias stands for nothing (it reads as its label).
    let mut choices: Vec<Vec<u64>> = Vec::with_capacity(key.len());
    for (&v, ty) in key.iter().zip(&types) {
        if *ty != ColumnType::Symbol {
            choices.push(vec![v]);
            continue;
        }
        match class_membership(class, v) {
            Some((label, _)) if label != v => return None,
            Some(_) => {
                let mut members = Vec::new();
                class.matching(&[1], &[v], |r| members.push(class.cell(r, 0)));
                choices.push(members);
            }
            None => choices.push(vec![v]),
        }
    }
    let mut best: Option<Meta> = None;
    let mut pick = vec![0usize; key.len()];
    let mut row = key.to_vec();
    loop {
        for (c, &i) in pick.iter().enumerate() {
            row[c] = choices[c][i];
        }
        if let Some(m) = asserted.get(&row) {
            let (canon, m) = entering(plan, contents, rel, &row, m);
            debug_assert_eq!(canon, key);
            let m = to_meta(&m);
            best = Some(best.map_or(m, |b| b.merge(&m)));
        }
        // The next choice, odometer-wise; done after the last.
        let Some(c) = (0..key.len())
            .rev()
            .find(|&c| pick[c] + 1 < choices[c].len())
        else {
            return best;
        };
        pick[c] += 1;
        pick[c + 1..].iter_mut().for_each(|p| *p = 0);
    }
}
