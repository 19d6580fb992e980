//! Name resolution and typing: turns the syntax tree into typed relations and rules, and checks
//! arity, types and variable safety.

use super::PlanError;
use super::ir::*;
use super::rule::RuleCx;
use super::types::TypeTable;
use crate::value::{ColumnType, Interner};
use engram_parser as ast;
use engram_parser::Literal;
use std::collections::{BTreeMap, HashMap};

/// Builds the relations, facts, rules and queries of a program (strata are left empty).
pub(crate) fn resolve(
    program: &ast::Program,
    file: &str,
    src: &str,
) -> Result<Plan, Vec<PlanError>> {
    let mut errors = Vec::new();
    let types = TypeTable::build(program, &mut errors);
    let mut plan = Plan {
        relations: Vec::new(),
        rel_index: HashMap::new(),
        facts: Vec::new(),
        rules: Vec::new(),
        strata: Vec::new(),
        queries: Vec::new(),
        interner: Interner::default(),
        pragmas: Vec::new(),
    };
    for item in &program.items {
        if let ast::Item::Decl(d) = item {
            declare(&mut plan, d, &types, &mut errors);
        }
    }
    for item in &program.items {
        match item {
            ast::Item::Directive(d) => directive(&mut plan, d, &mut errors),
            ast::Item::Pragma(p) => plan.pragmas.push((p.key.clone(), p.value.clone())),
            _ => {}
        }
    }
    for item in &program.items {
        match item {
            ast::Item::Clause(c) => clause(&mut plan, c, file, src, &mut errors),
            ast::Item::Query(q) => query(&mut plan, q, src, &mut errors),
            _ => {}
        }
    }
    add_eqrel_rules(&mut plan);
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn declare(plan: &mut Plan, d: &ast::Decl, types: &TypeTable, errors: &mut Vec<PlanError>) {
    if plan.rel_index.contains_key(&d.name) {
        errors.push(PlanError::new(
            d.span,
            format!("relation `{}` is declared twice", d.name),
        ));
        return;
    }
    let mut columns = Vec::new();
    for a in &d.attributes {
        match types.base(&a.ty) {
            Some(t) => columns.push((a.name.clone(), t)),
            None => {
                errors.push(PlanError::new(a.span, format!("unknown type `{}`", a.ty)));
                columns.push((a.name.clone(), ColumnType::Number));
            }
        }
    }
    if columns.len() > crate::eval::MAX_WIDTH {
        errors.push(PlanError::new(
            d.span,
            format!(
                "relation `{}` has {} columns; engram supports at most {}",
                d.name,
                columns.len(),
                crate::eval::MAX_WIDTH
            ),
        ));
    }
    let mut rel = RelDecl {
        name: d.name.clone(),
        columns,
        input: None,
        outputs: Vec::new(),
        printsize: false,
        eqrel: false,
        inline: false,
        span: d.span,
    };
    for q in &d.qualifiers {
        match q.as_str() {
            "input" => rel.input = Some(BTreeMap::new()),
            "output" => rel.outputs.push(BTreeMap::new()),
            "printsize" => rel.printsize = true,
            "inline" => rel.inline = true,
            "eqrel" => {
                if rel.arity() != 2 {
                    errors.push(PlanError::new(
                        d.span,
                        format!("eqrel relation `{}` must have two columns", d.name),
                    ));
                }
                rel.eqrel = true;
            }
            _ => {}
        }
    }
    plan.rel_index.insert(d.name.clone(), plan.relations.len());
    plan.relations.push(rel);
}

fn directive(plan: &mut Plan, d: &ast::Directive, errors: &mut Vec<PlanError>) {
    let params: BTreeMap<String, String> = d.params.iter().cloned().collect();
    for (name, span) in &d.relations {
        let Some(&id) = plan.rel_index.get(name) else {
            errors.push(PlanError::new(*span, format!("unknown relation `{name}`")));
            continue;
        };
        let rel = &mut plan.relations[id];
        match d.kind {
            ast::DirectiveKind::Input => rel.input = Some(params.clone()),
            ast::DirectiveKind::Output => rel.outputs.push(params.clone()),
            ast::DirectiveKind::PrintSize => rel.printsize = true,
            ast::DirectiveKind::LimitSize => {
                errors.push(PlanError::new(d.span, "`.limitsize` is not supported"))
            }
        }
    }
}

fn clause(plan: &mut Plan, c: &ast::Clause, file: &str, src: &str, errors: &mut Vec<PlanError>) {
    let (line, _) = engram_parser::line_col(src, c.span.start);
    let origin = format!("{file}:{line}");
    let bodies: Vec<&[Literal]> = if c.body.is_empty() {
        vec![&[]]
    } else {
        c.body.iter().map(|b| b.as_slice()).collect()
    };
    for head in &c.heads {
        let Some(&rel) = plan.rel_index.get(&head.name) else {
            errors.push(PlanError::new(
                head.span,
                format!("unknown relation `{}`", head.name),
            ));
            continue;
        };
        if head.args.len() != plan.relations[rel].arity() {
            errors.push(PlanError::new(
                head.span,
                format!(
                    "relation `{}` has {}, the head gives {}",
                    head.name,
                    columns(plan.relations[rel].arity()),
                    head.args.len()
                ),
            ));
            continue;
        }
        for body in &bodies {
            let cx = RuleCx::new(plan, errors);
            if let Some(rule) = cx.rule(rel, head, body, c.span, origin.clone()) {
                push_rule_or_fact(plan, rule);
            }
        }
    }
}

fn push_rule_or_fact(plan: &mut Plan, rule: IrRule) {
    if rule.atoms.is_empty() && rule.constraints.is_empty() {
        let consts: Option<Vec<u64>> = rule
            .head_args
            .iter()
            .map(|e| match e.kind {
                IrExprKind::Const(v) => Some(v),
                _ => None,
            })
            .collect();
        if let Some(row) = consts {
            plan.facts.push((rule.head, row));
            return;
        }
    }
    plan.rules.push(rule);
}

fn query(plan: &mut Plan, q: &ast::Query, src: &str, errors: &mut Vec<PlanError>) {
    let text = src[q.span.start..q.span.end.min(src.len())].to_string();
    for body in &q.body {
        let mut cx = RuleCx::new(plan, errors);
        cx.body(body);
        let answer = cx.answer_columns();
        let head_args = answer
            .iter()
            .map(|&(v, _, ty)| IrExpr {
                kind: IrExprKind::Var(v),
                ty,
            })
            .collect();
        let columns = answer.into_iter().map(|(v, name, _)| (v, name)).collect();
        if let Some(rule) = cx.finish(usize::MAX, head_args, q.span, "query".into()) {
            plan.queries.push(IrQuery {
                rule,
                columns,
                text: text.clone(),
            });
        }
    }
}

/// `e` eqrel: e(x, x) :- e(x, _).  e(y, y) :- e(_, y).  e(y, x) :- e(x, y).
/// e(x, z) :- e(x, y), e(y, z).
fn add_eqrel_rules(plan: &mut Plan) {
    for (id, rel) in plan.relations.iter().enumerate() {
        if !rel.eqrel || rel.arity() != 2 {
            continue;
        }
        let ty = rel.columns[0].1;
        let var = |v: VarId| IrExpr {
            kind: IrExprKind::Var(v),
            ty,
        };
        let atom = |a: AtomArg, b: AtomArg| IrAtom {
            rel: id,
            args: vec![a, b],
            span: rel.span,
        };
        let mk = |head: Vec<IrExpr>, atoms: Vec<IrAtom>, n: usize, what: &str| IrRule {
            head: id,
            head_args: head,
            atoms,
            constraints: Vec::new(),
            var_names: (0..n).map(|i| format!("v{i}")).collect(),
            var_types: vec![ty; n],
            span: rel.span,
            origin: format!("eqrel {} ({what})", rel.name),
        };
        use AtomArg::{Var, Wild};
        plan.rules.extend([
            mk(
                vec![var(0), var(0)],
                vec![atom(Var(0), Wild)],
                1,
                "reflexive",
            ),
            mk(
                vec![var(0), var(0)],
                vec![atom(Wild, Var(0))],
                1,
                "reflexive",
            ),
            mk(
                vec![var(1), var(0)],
                vec![atom(Var(0), Var(1))],
                2,
                "symmetric",
            ),
            mk(
                vec![var(0), var(2)],
                vec![atom(Var(0), Var(1)), atom(Var(1), Var(2))],
                3,
                "transitive",
            ),
        ]);
    }
}

pub(crate) fn columns(n: usize) -> String {
    if n == 1 {
        "1 column".into()
    } else {
        format!("{n} columns")
    }
}

static NEXT_AGGREGATE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A new aggregate id, unique in the process (evaluation caches key on it).
pub(crate) fn fresh_aggregate_id() -> usize {
    NEXT_AGGREGATE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
