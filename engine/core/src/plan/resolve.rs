//! Name resolution and typing: turns the syntax tree into typed relations and rules, and checks
//! arity, types and variable safety.

use super::PlanError;
use super::ir::*;
use super::rule::RuleCx;
use super::types::TypeTable;
use crate::plan::directives::{Channel, Direction, Format};
use crate::value::{ColumnType, Interner};
use engram_parser as ast;
use engram_parser::Literal;
use std::collections::{BTreeMap, HashMap};

/// Builds the relations, facts, rules and queries of a program (strata are left empty).
pub(crate) fn resolve(
    program: &ast::Program,
    file: &str,
    src: &str,
    interner: Interner,
) -> Result<Plan, Vec<PlanError>> {
    let mut errors = Vec::new();
    let mut interner = interner;
    let types = TypeTable::build(program, &mut interner, &mut errors);
    let mut plan = Plan {
        relations: Vec::new(),
        rel_index: HashMap::new(),
        facts: Vec::new(),
        rules: Vec::new(),
        subsumptions: Vec::new(),
        functors: Vec::new(),
        strata: Vec::new(),
        queries: Vec::new(),
        interner,
        pragmas: Vec::new(),
        min_confidence: DEFAULT_MIN_CONFIDENCE,
        limits: crate::Limits::NONE,
        uses_confidence: false,
        forget: Vec::new(),
        merge: None,
        uses_time: false,
        now: None,
    };
    let lines = ast::LineIndex::new(src);
    for item in &program.items {
        match item {
            ast::Item::Decl(d) => declare(&mut plan, d, &types, &mut errors),
            ast::Item::Functor(f) => {
                let origin = format!("{file}:{}", lines.line_col(f.span.start).0);
                super::functors::declare(&mut plan, f, &types, origin, &mut errors)
            }
            _ => {}
        }
    }
    for item in &program.items {
        match item {
            ast::Item::Directive(d) => directive(&mut plan, d, &mut errors),
            ast::Item::Pragma(p) => pragma(&mut plan, p, &mut errors),
            _ => {}
        }
    }
    for item in &program.items {
        match item {
            ast::Item::Clause(c) => clause(&mut plan, c, file, &lines, &mut errors),
            ast::Item::Integrity(c) => integrity(&mut plan, c, file, &lines, &mut errors),
            ast::Item::Subsumption(s) => {
                super::subsume::subsumption(&mut plan, s, file, &lines, &mut errors)
            }
            ast::Item::Query(q) => query(&mut plan, q, src, &mut errors),
            _ => {}
        }
    }
    super::eqrel::index_classes(&mut plan);
    check_inline_confidence(&plan, &mut errors);
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
    if columns.len() > crate::plan::ir::MAX_COLUMNS {
        errors.push(PlanError::new(
            d.span,
            format!(
                "relation `{}` has {} columns; engram supports at most {}",
                d.name,
                columns.len(),
                crate::plan::ir::MAX_COLUMNS
            ),
        ));
    }
    let mut rel = RelDecl::new(d.name.clone(), columns, d.span);
    if let Some((policy, span)) = &d.combine {
        plan.uses_confidence = true;
        match policy.as_str() {
            "max" => {}
            "noisy_or" => rel.combine = Combine::NoisyOr,
            other => errors.push(PlanError::new(
                *span,
                format!("unknown combination `{other}`: use `max` or `noisy_or`"),
            )),
        }
    }
    for q in &d.qualifiers {
        match q.as_str() {
            "input" => rel.inputs.push(Format::plain()),
            "output" => rel.outputs.push(Format::plain()),
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
    if let Some((keys, span)) = &d.functional {
        functional(&mut rel, keys, *span, errors);
    }
    if let Some((domains, span)) = &d.choice {
        choice(&mut rel, domains, *span, errors);
    }
    if rel.eqrel && rel.combine == Combine::NoisyOr {
        errors.push(PlanError::new(
            d.span,
            format!(
                "eqrel relation `{}` is recursive (transitive), so it cannot combine by noisy_or",
                d.name
            ),
        ));
    }
    let history = rel.functional.is_some().then(|| RelDecl {
        superseded_of: Some(plan.relations.len()),
        ..RelDecl::new(
            format!("{}@superseded", d.name),
            rel.columns.clone(),
            d.span,
        )
    });
    let id = plan.push_relation(rel);
    if let Some(history) = history {
        // Supersession compares times and keeps the metadata of what it replaced.
        plan.uses_confidence = true;
        plan.relations[id].superseded = Some(plan.push_relation(history));
    }
}

/// Checks `functional(keys...)` and records the key columns.
fn functional(rel: &mut RelDecl, keys: &[String], span: ast::Span, errors: &mut Vec<PlanError>) {
    let mut cols = Vec::new();
    for k in keys {
        match rel.columns.iter().position(|c| &c.0 == k) {
            Some(i) if cols.contains(&i) => {
                errors.push(PlanError::new(
                    span,
                    format!("key column `{k}` named twice"),
                ));
            }
            Some(i) => cols.push(i),
            None => errors.push(PlanError::new(
                span,
                format!("`{}` has no column `{k}` to be a key", rel.name),
            )),
        }
    }
    if rel.eqrel || rel.inline {
        let what = if rel.eqrel { "an eqrel" } else { "inline" };
        errors.push(PlanError::new(
            span,
            format!("`{}` is {what}, so it cannot be functional", rel.name),
        ));
    } else if cols.len() == rel.arity() {
        errors.push(PlanError::new(
            span,
            format!(
                "every column of `{}` is a key: functional(...) names the columns that \
                 identify a fact, and another column holds its value",
                rel.name
            ),
        ));
    }
    rel.functional = Some(cols);
}

/// Checks `choice-domain` and records each domain's columns.
fn choice(
    rel: &mut RelDecl,
    domains: &[Vec<String>],
    span: ast::Span,
    errors: &mut Vec<PlanError>,
) {
    for names in domains {
        let mut cols = Vec::new();
        for n in names {
            match rel.columns.iter().position(|c| &c.0 == n) {
                Some(i) if !cols.contains(&i) => cols.push(i),
                Some(_) => errors.push(PlanError::new(span, format!("column `{n}` named twice"))),
                None => errors.push(PlanError::new(
                    span,
                    format!("`{}` has no column `{n}` for its choice-domain", rel.name),
                )),
            }
        }
        rel.choice.push(cols);
    }
    let other = if rel.eqrel {
        Some("an eqrel")
    } else if rel.inline {
        Some("inline")
    } else if rel.functional.is_some() {
        Some("functional")
    } else if rel.combine == Combine::NoisyOr {
        Some("combined by noisy_or")
    } else {
        None
    };
    if let Some(what) = other {
        errors.push(PlanError::new(
            span,
            format!(
                "`{}` is {what}, so it cannot have a choice-domain",
                rel.name
            ),
        ));
    }
}

fn directive(plan: &mut Plan, d: &ast::Directive, errors: &mut Vec<PlanError>) {
    let params: BTreeMap<String, String> = d.params.iter().cloned().collect();
    for (name, span) in &d.relations {
        let Some(id) = plan.relation_named(name) else {
            errors.push(PlanError::new(*span, format!("unknown relation `{name}`")));
            continue;
        };
        let rel = &mut plan.relations[id];
        let direction = match d.kind {
            ast::DirectiveKind::Input => Some(Direction::Input),
            ast::DirectiveKind::Output => Some(Direction::Output),
            _ => None,
        };
        if let Some(direction) = direction {
            match Format::parse(direction, &params, rel.arity()) {
                Ok(format) => {
                    plan.uses_confidence |= format.confidence;
                    let rel = &mut plan.relations[id];
                    match direction {
                        Direction::Input => rel.inputs.push(format),
                        Direction::Output if format.channel == Channel::PrintSize => {
                            rel.printsize = true
                        }
                        Direction::Output => rel.outputs.push(format),
                    }
                }
                Err(message) => errors.push(PlanError::new(d.span, message)),
            }
            continue;
        }
        let rel = &mut plan.relations[id];
        match d.kind {
            ast::DirectiveKind::Input | ast::DirectiveKind::Output => {}
            ast::DirectiveKind::PrintSize => rel.printsize = true,
            ast::DirectiveKind::LimitSize => match limit_size(rel, &params) {
                Ok(n) => rel.limit = Some(n),
                Err(message) => errors.push(PlanError::new(d.span, message)),
            },
            ast::DirectiveKind::Merge => {
                let symbols = rel.arity() == 2 && rel.columns[0].1 == ColumnType::Symbol;
                let eqrel = rel.eqrel;
                plan.uses_confidence = true;
                if !eqrel || !symbols {
                    errors.push(PlanError::new(
                        *span,
                        format!(
                            "`.merge {name}`: `{name}` must be declared as an eqrel of two \
                             symbols, e.g. `.decl {name}(a: symbol, b: symbol) eqrel`"
                        ),
                    ));
                } else if plan.merge.is_some_and(|m| m != id) {
                    errors.push(PlanError::new(
                        *span,
                        "a program merges through one relation: `.merge` is given twice",
                    ));
                } else {
                    plan.merge = Some(id);
                }
            }
        }
    }
}

/// The limit `.limitsize r(n=N)` sets on `rel`.
fn limit_size(rel: &RelDecl, params: &BTreeMap<String, String>) -> Result<usize, String> {
    let name = &rel.name;
    if rel.eqrel || rel.inline {
        let what = if rel.eqrel {
            "an eqrel"
        } else {
            "an inline relation"
        };
        return Err(format!(
            "`.limitsize {name}`: `{name}` is {what}, whose facts are not counted by rounds"
        ));
    }
    match params.get("n") {
        None => Err(format!(
            "`.limitsize {name}` needs its number of facts: `.limitsize {name}(n=100)`"
        )),
        Some(v) => (v.trim().parse::<usize>())
            .map_err(|_| format!("`.limitsize {name}`: `n` is a number of facts, found `{v}`")),
    }
}

fn pragma(plan: &mut Plan, p: &ast::Pragma, errors: &mut Vec<PlanError>) {
    if p.key == "min_confidence" {
        plan.uses_confidence = true;
        match p.value.trim().parse::<f64>() {
            Ok(x) if (0.0..1.0).contains(&x) => plan.min_confidence = x,
            _ => errors.push(PlanError::new(
                p.span,
                format!(
                    "min_confidence `{}` must be a number from 0 up to (not including) 1",
                    p.value
                ),
            )),
        }
    }
    let value = p.value.trim();
    let bad = |what: &str| PlanError::new(p.span, format!("{} `{value}`: {what}", p.key));
    match p.key.as_str() {
        "max_facts" => match value.parse::<usize>() {
            Ok(n) => plan.limits.max_facts = Some(n),
            Err(_) => errors.push(bad("give a number of facts")),
        },
        "timeout" => match value.parse::<f64>() {
            Ok(s) if s > 0.0 && s <= 86_400.0 => {
                plan.limits.timeout = Some(std::time::Duration::from_secs_f64(s))
            }
            _ => errors.push(bad("give seconds, more than 0 and at most 86400")),
        },
        "max_memory" => match crate::limits::Limits::parse_size(value) {
            Some(b) => plan.limits.max_memory = Some(b),
            None => errors.push(bad("give bytes, or a size such as 512M or 2G")),
        },
        _ => {}
    }
    plan.pragmas.push((p.key.clone(), p.value.clone()));
}

/// The confidence settings written as annotations before a rule.
fn rule_meta(annotations: &[ast::Annotation], errors: &mut Vec<PlanError>) -> RuleMeta {
    use ast::AnnotationArg as A;
    let mut meta = RuleMeta::default();
    let mut seen: Vec<&str> = Vec::new();
    for a in annotations {
        if seen.contains(&a.name.as_str()) {
            errors.push(PlanError::new(
                a.span,
                format!("`@{}` is given twice", a.name),
            ));
            continue;
        }
        seen.push(&a.name);
        let mut bad = |what: &str| {
            let found = a
                .arg
                .as_ref()
                .map_or("nothing".to_string(), |x| x.to_string());
            errors.push(PlanError::new(
                a.span,
                format!("`@{}` takes {what}, found {found}", a.name),
            ));
        };
        match (a.name.as_str(), &a.arg) {
            ("name", Some(A::Str(s) | A::Ident(s))) if !s.is_empty() => meta.name = Some(s.clone()),
            ("name", _) => bad("a name such as \"transitive\""),
            ("weight", Some(A::Float(w))) if *w > 0.0 && *w <= 1.0 => meta.weight = *w,
            ("weight", Some(A::Int(1))) => meta.weight = 1.0,
            ("weight", _) => bad("a number in (0, 1]"),
            ("max_depth", Some(A::Int(n))) if *n >= 1 && *n <= i64::from(u32::MAX) => {
                meta.max_depth = Some(*n as u32)
            }
            ("max_depth", _) => bad("a whole number of at least 1"),
            ("tnorm", Some(A::Ident(t))) if t == "product" => meta.tnorm = TNorm::Product,
            ("tnorm", Some(A::Ident(t))) if t == "min" => meta.tnorm = TNorm::Min,
            ("tnorm", _) => bad("`product` or `min`"),
            (other, _) => errors.push(PlanError::new(
                a.span,
                format!(
                    "unknown annotation `@{other}`: engram knows @name, @weight, @max_depth \
                     and @tnorm"
                ),
            )),
        }
    }
    meta
}

/// Inline relations are substituted into the rules that use them, so nothing of theirs can
/// carry a confidence of its own.
fn check_inline_confidence(plan: &Plan, errors: &mut Vec<PlanError>) {
    for rule in &plan.rules {
        let rel = &plan.relations[rule.head];
        if rel.inline
            && (!rule.meta.is_default() || rule.atoms.iter().any(|a| a.conf_var.is_some()))
        {
            errors.push(PlanError::new(
                rule.span,
                format!(
                    "`{}` is inline: its rules cannot have annotations or a confidence",
                    rel.name
                ),
            ));
        }
        for a in &rule.atoms {
            if a.conf_var.is_some() && plan.relations[a.rel].inline {
                errors.push(PlanError::new(
                    a.span,
                    format!(
                        "`{}` is inline and has no facts of its own: `@` cannot bind a \
                         confidence here",
                        plan.relations[a.rel].name
                    ),
                ));
            }
        }
    }
    for (rel, _, conf, _) in &plan.facts {
        let d = &plan.relations[*rel];
        if d.inline && *conf != 1.0 {
            errors.push(PlanError::new(
                d.span,
                format!("`{}` is inline: its facts cannot have a confidence", d.name),
            ));
        }
    }
}

fn clause(
    plan: &mut Plan,
    c: &ast::Clause,
    file: &str,
    lines: &ast::LineIndex,
    errors: &mut Vec<PlanError>,
) {
    let (line, _) = lines.line_col(c.span.start);
    let origin = format!("{file}:{line}");
    let meta = rule_meta(&c.annotations, errors);
    if !c.annotations.is_empty() || c.confidence.is_some() {
        plan.uses_confidence = true;
    }
    if c.body.is_empty() && !c.annotations.is_empty() {
        errors.push(PlanError::new(
            c.annotations[0].span,
            "annotations apply to rules; a fact is asserted, not derived",
        ));
    }
    let bodies: Vec<&[Literal]> = if c.body.is_empty() {
        vec![&[]]
    } else {
        c.body.iter().map(|b| b.as_slice()).collect()
    };
    for head in &c.heads {
        let Some(rel) = plan.relation_named(&head.name) else {
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
            let rule = cx.rule(
                rel,
                head,
                body,
                c.confidence.as_ref(),
                c.span,
                origin.clone(),
                meta.clone(),
            );
            if let Some(mut rule) = rule {
                rule.exec_plan = super::exec_plan::written(body, &c.plan, errors);
                push_rule_or_fact(plan, rule, c, errors);
            }
        }
    }
}

/// An integrity constraint: a rule whose head is a relation of its own (one per disjunct),
/// whose columns are the body's named variables; its facts are the violations.
fn integrity(
    plan: &mut Plan,
    c: &ast::Integrity,
    file: &str,
    lines: &ast::LineIndex,
    errors: &mut Vec<PlanError>,
) {
    let (line, _) = lines.line_col(c.span.start);
    let origin = format!("{file}:{line}");
    let meta = rule_meta(&c.annotations, errors);
    if !c.annotations.is_empty() {
        plan.uses_confidence = true;
    }
    let name = meta.name.clone().unwrap_or_else(|| origin.clone());
    for body in &c.body {
        let n = plan
            .relations
            .iter()
            .filter(|d| d.constraint.is_some())
            .count();
        let mut cx = RuleCx::new(plan, errors);
        cx.body(body);
        let answer = cx.answer_columns();
        let columns = answer.iter().map(|(_, v, ty)| (v.clone(), *ty)).collect();
        let rel = cx.declare(RelDecl {
            constraint: Some(name.clone()),
            ..RelDecl::new(format!("violation@{n}"), columns, c.span)
        });
        let head_args = answer_args(&answer);
        if let Some(rule) = cx.finish(rel, head_args, c.span, origin.clone(), meta.clone()) {
            plan.rules.push(rule);
        }
    }
}

fn push_rule_or_fact(plan: &mut Plan, rule: IrRule, c: &ast::Clause, errors: &mut Vec<PlanError>) {
    if rule.atoms.is_empty() && rule.constraints.is_empty() {
        let consts: Option<Vec<u64>> = rule
            .head_args
            .iter()
            .map(|e| match e.kind {
                IrExprKind::Const(v) => Some(v),
                _ => None,
            })
            .collect();
        let conf = match &rule.meta.head_conf {
            None => Some(1.0),
            Some(IrExpr {
                kind: IrExprKind::Const(bits),
                ..
            }) => Some(crate::value::dec_float(*bits)),
            Some(_) => None,
        };
        if let (Some(row), Some(conf)) = (consts, conf) {
            if !(conf > 0.0 && conf <= 1.0) {
                let span = c.confidence.as_ref().map_or(c.span, |e| e.span);
                errors.push(PlanError::new(
                    span,
                    format!("a fact's confidence must be in (0, 1], found {conf}"),
                ));
            }
            let time = match &c.time {
                None => 0,
                Some(t) => {
                    plan.uses_time = true;
                    crate::literal::time_constant(&t.kind).unwrap_or_else(|| {
                        errors.push(PlanError::new(t.span, crate::literal::TIME_FORMS));
                        0
                    })
                }
            };
            plan.facts.push((rule.head, row, conf, time));
            return;
        }
    }
    if let Some(t) = &c.time {
        errors.push(PlanError::new(
            t.span,
            "`~` gives a fact its time; a derived fact's time is the latest of its body's",
        ));
    }
    plan.rules.push(rule);
}

/// Resolves the queries of `program` (which must hold nothing else that changes the plan)
/// against a planned program, interning their literals in its interner.
pub(crate) fn queries(
    plan: &mut Plan,
    program: &ast::Program,
    src: &str,
) -> Result<Vec<IrQuery>, Vec<PlanError>> {
    let mut errors = Vec::new();
    let before = plan.queries.len();
    for item in &program.items {
        match item {
            ast::Item::Query(q) => query(plan, q, src, &mut errors),
            other => errors.push(PlanError::new(
                item_span(other),
                "only `?-` queries can be asked here",
            )),
        }
    }
    let mut asked = plan.queries.split_off(before);
    super::eqrel::rewrite_queries(plan, &mut asked);
    if errors.is_empty() {
        Ok(asked)
    } else {
        Err(errors)
    }
}

fn item_span(item: &ast::Item) -> engram_parser::Span {
    item.span()
}

/// The head arguments that give a body's answer columns.
fn answer_args(answer: &[(VarId, String, crate::value::ColumnType)]) -> Vec<IrExpr> {
    answer
        .iter()
        .map(|&(v, _, ty)| IrExpr {
            kind: IrExprKind::Var(v),
            ty,
        })
        .collect()
}

fn query(plan: &mut Plan, q: &ast::Query, src: &str, errors: &mut Vec<PlanError>) {
    let text = src[q.span.start..q.span.end.min(src.len())].to_string();
    for body in &q.body {
        let mut cx = RuleCx::new(plan, errors);
        cx.body(body);
        let answer = cx.answer_columns();
        let head_args = answer_args(&answer);
        let columns = answer.into_iter().map(|(v, name, _)| (v, name)).collect();
        let finished = cx.finish(
            usize::MAX,
            head_args,
            q.span,
            "query".into(),
            RuleMeta::default(),
        );
        if let Some(rule) = finished {
            plan.queries.push(IrQuery {
                rule,
                columns,
                text: text.clone(),
            });
        }
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
