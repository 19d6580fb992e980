//! Counts that only comparisons with constants read stop counting once every comparison is
//! decided: `hub(n) :- node(n), k = count : { edge(_, n) }, k > 50.` needs to know whether
//! `n` has 51 members, not how many, so a node with 30,000 is counted to 51. The count an
//! evaluation sees is then `min(count, limit)`, which compares with each constant exactly as
//! the full count does.

use super::ir::{Constraint, IrExprKind, IrRule, Plan, VarId};
use crate::value::dec_number;
use engram_parser::CmpOp;

/// Sets the limit of every count whose result only comparisons with constants read.
pub(crate) fn bound_counts(plan: &mut Plan) {
    for rule in &mut plan.rules {
        for ci in 0..rule.constraints.len() {
            let Some((k, _)) = rule.constraints[ci].count_assignment() else {
                continue;
            };
            let Some(limit) = limit_of(rule, ci, k) else {
                continue;
            };
            if let Constraint::Cmp { left, right, .. } = &mut rule.constraints[ci] {
                for e in [left, right] {
                    if let IrExprKind::Agg(agg) = &mut e.kind {
                        agg.limit = Some(limit);
                    }
                }
            }
        }
    }
}

/// The count at which every other use of `k` in the rule is decided, if each is a comparison
/// of `k` with a constant (and no atom binds `k`, which would make `k = count` a check, and
/// `k` is not in the head).
fn limit_of(rule: &IrRule, assignment: usize, k: VarId) -> Option<i64> {
    let mut elsewhere = Vec::new();
    for e in rule.head_args.iter().chain(&rule.meta.head_conf) {
        e.vars(&mut elsewhere);
    }
    for a in &rule.atoms {
        elsewhere.extend(a.vars());
        elsewhere.extend(a.meta_vars().vars());
    }
    if elsewhere.contains(&k) {
        return None;
    }
    let mut limit = 0i64;
    for (ci, c) in rule.constraints.iter().enumerate() {
        if ci == assignment || !c.vars().contains(&k) {
            continue;
        }
        let Constraint::Cmp {
            op, left, right, ..
        } = c
        else {
            return None;
        };
        // `k op v`, turning `v op k` round.
        let (op, v) = match (&left.kind, &right.kind) {
            (IrExprKind::Var(x), IrExprKind::Const(v)) if *x == k => (*op, *v),
            (IrExprKind::Const(v), IrExprKind::Var(x)) if *x == k => (flip(*op), *v),
            _ => return None,
        };
        let v = dec_number(v);
        // The smallest count from which the comparison no longer changes.
        let decided = match op {
            CmpOp::Gt | CmpOp::Le | CmpOp::Eq | CmpOp::Ne => v.checked_add(1)?,
            CmpOp::Ge | CmpOp::Lt => v,
        };
        limit = limit.max(decided);
    }
    (limit > 0).then_some(limit)
}

/// The operator with its operands swapped.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Eq | CmpOp::Ne => op,
    }
}

#[cfg(test)]
mod tests {

    /// The limit of each rule's first aggregate, in rule order.
    fn limits(src: &str) -> Vec<Option<i64>> {
        let program = engram_parser::parse(src, "t.dl").expect("parses");
        let plan = crate::plan::plan(&program, "t.dl", src).expect("plans");
        plan.rules
            .iter()
            .map(|r| {
                let mut found = None;
                for c in &r.constraints {
                    for e in c.exprs() {
                        e.for_each_aggregate(&mut |a| found = found.or(Some(a.limit)));
                    }
                }
                found.flatten()
            })
            .collect()
    }

    #[test]
    fn only_counts_that_comparisons_read_are_bounded() {
        let src = r#"
            .decl e(x: symbol, n: symbol)
            .decl node(n: symbol)
            .decl hub(n: symbol)
            .decl deg(n: symbol, k: number)
            .decl same(n: symbol)
            .decl sized(n: symbol)
            hub(n) :- node(n), k = count : { e(_, n) }, k > 50, 10 <= k.
            deg(n, k) :- node(n), k = count : { e(_, n) }, k > 50.
            same(n) :- deg(n, k), k = count : { e(_, n) }, k > 5.
            sized(n) :- node(n), k = count : { e(_, n) }, k * 2 > 50.
        "#;
        assert_eq!(limits(src), vec![Some(51), None, None, None]);
    }
}
