//! Equivalence relations held as classes. Every `eqrel` relation `e` gets a hidden class
//! relation `e@class(member, label)`: its union-find flattened, one row per member. Rules keep
//! deriving pairs of `e` (its rows are the pairs asserted or derived, never the closure), and
//! every body atom that reads `e` is rewritten to read the classes, so a class of n members
//! costs n rows, not n² pairs:
//!
//! ```text
//! e(a, b)        ->  e@class(a, r), e@class(b, r)      (r fresh: both in one class)
//! e(a, _)        ->  e@class(a, _)                      (a is a member; in an aggregate,
//!                                                        `_` is a fresh variable: it counts)
//! e(a, b) @ c    ->  e@class(a, r) @ c1, e@class(b, r) @ c2, c = c1 * c2
//! !e(a, b)       ->  a and b are not in one class       (a negation through the classes)
//! ```
//!
//! Soufflé does the same with its `EquivalenceRelation`: a union-find that joins by class and
//! enumerates pairs only when asked.

use super::ir::*;
use engram_parser::{BinaryOp, CmpOp};

/// Declares a class relation for every eqrel and rewrites every rule and query to read it.
pub(crate) fn index_classes(plan: &mut Plan) {
    for id in 0..plan.relations.len() {
        let d = &plan.relations[id];
        if !d.eqrel || d.arity() != 2 || d.class.is_some() {
            continue;
        }
        let ty = d.columns[0].1;
        let columns = vec![("member".into(), ty), ("class".into(), ty)];
        let class = RelDecl {
            class_of: Some(id),
            ..RelDecl::new(format!("{}@class", d.name), columns, d.span)
        };
        let class_id = plan.push_relation(class);
        plan.relations[id].class = Some(class_id);
    }
    let classes = class_map(plan);
    if classes.iter().all(Option::is_none) {
        return;
    }
    for rule in plan.rules.iter_mut().chain(&mut plan.subsumptions) {
        rewrite_rule(rule, &classes);
    }
    let mut queries = std::mem::take(&mut plan.queries);
    rewrite_queries(plan, &mut queries);
    plan.queries = queries;
}

/// Rewrites queries planned against `plan` (after [`index_classes`]) to read its classes.
pub(crate) fn rewrite_queries(plan: &Plan, queries: &mut [IrQuery]) {
    let classes = class_map(plan);
    for q in queries {
        rewrite_rule(&mut q.rule, &classes);
    }
}

/// Per relation: its class relation and column type, when it is an eqrel.
fn class_map(plan: &Plan) -> Vec<Option<Class>> {
    plan.relations
        .iter()
        .map(|d| d.class.map(|rel| (rel, d.columns[0].1)))
        .collect()
}

/// Rewrites one rule (or query body) so that it reads eqrels through their classes.
/// `classes[rel]` is the class relation of `rel` and its column type when it is an eqrel.
fn rewrite_rule(rule: &mut IrRule, classes: &[Option<Class>]) {
    let mut vars = Vars {
        names: &mut rule.var_names,
        types: &mut rule.var_types,
    };
    let mut extra = Vec::new();
    let atoms = std::mem::take(&mut rule.atoms);
    rule.atoms = rewrite_atoms(
        atoms,
        classes,
        &mut vars,
        &mut extra,
        &mut Vec::new(),
        false,
    );
    for c in &mut rule.constraints {
        rewrite_constraint(c, classes, &mut vars);
    }
    rule.constraints.extend(extra);
    for e in rule.head_args.iter_mut().chain(&mut rule.meta.head_conf) {
        rewrite_expr(e, classes, &mut vars);
    }
}

/// The variables of the rule being rewritten, to which fresh ones are added.
struct Vars<'a> {
    names: &'a mut Vec<String>,
    types: &'a mut Vec<crate::value::ColumnType>,
}

impl Vars<'_> {
    fn fresh(&mut self, ty: crate::value::ColumnType) -> VarId {
        let v = self.names.len();
        self.names.push(format!("_class{v}"));
        self.types.push(ty);
        v
    }
}

/// The atoms with every eqrel atom replaced by class atoms; the constraints that combine
/// a bound confidence go to `extra`, the fresh variables to `fresh` (an aggregate's locals).
fn rewrite_atoms(
    atoms: Vec<IrAtom>,
    classes: &[Option<Class>],
    vars: &mut Vars<'_>,
    extra: &mut Vec<Constraint>,
    fresh: &mut Vec<VarId>,
    counted: bool,
) -> Vec<IrAtom> {
    let mut out = Vec::with_capacity(atoms.len());
    for a in atoms {
        let Some((class, ty)) = classes[a.rel] else {
            out.push(a);
            continue;
        };
        let [x, y] = [a.args[0].clone(), a.args[1].clone()];
        // A membership's time is its class's: the first class atom binds `~ t`.
        let one = |arg: AtomArg, conf_var: Option<VarId>| IrAtom {
            rel: class,
            args: vec![arg, AtomArg::Wild],
            conf_var,
            time_var: a.time_var,
            span: a.span,
        };
        match (x, y) {
            // e(a, _), e(_, a), e(_, _) outside an aggregate: a is a member (its best pair is
            // with the label, of confidence c(a)). An aggregate counts every pair.
            (x, AtomArg::Wild) | (AtomArg::Wild, x) if !counted => out.push(one(x, a.conf_var)),
            (x, y) => {
                let mut wild = |arg: AtomArg, vars: &mut Vars<'_>| match arg {
                    AtomArg::Wild => {
                        let w = vars.fresh(ty);
                        fresh.push(w);
                        AtomArg::Var(w)
                    }
                    other => other,
                };
                let (x, y) = (wild(x, vars), wild(y, vars));
                let r = vars.fresh(ty);
                fresh.push(r);
                let (cx, cy) = match a.conf_var {
                    Some(c) => {
                        let (c1, c2) = (vars.fresh(FLOAT), vars.fresh(FLOAT));
                        fresh.extend([c1, c2]);
                        extra.push(product(c, c1, c2, a.span));
                        (Some(c1), Some(c2))
                    }
                    None => (None, None),
                };
                out.push(IrAtom {
                    rel: class,
                    args: vec![x, AtomArg::Var(r)],
                    conf_var: cx,
                    time_var: a.time_var,
                    span: a.span,
                });
                out.push(IrAtom {
                    rel: class,
                    args: vec![y, AtomArg::Var(r)],
                    conf_var: cy,
                    time_var: None,
                    span: a.span,
                });
            }
        }
    }
    out
}

/// An eqrel's class relation and the type of its columns.
pub(crate) type Class = (RelId, crate::value::ColumnType);

const FLOAT: crate::value::ColumnType = crate::value::ColumnType::Float;

/// `c = c1 * c2`.
fn product(c: VarId, c1: VarId, c2: VarId, span: engram_parser::Span) -> Constraint {
    let var = |v| IrExpr {
        kind: IrExprKind::Var(v),
        ty: FLOAT,
    };
    Constraint::Cmp {
        op: CmpOp::Eq,
        left: var(c),
        right: IrExpr {
            kind: IrExprKind::Binary(BinaryOp::Mul, Box::new(var(c1)), Box::new(var(c2))),
            ty: FLOAT,
        },
        span,
    }
}

fn rewrite_constraint(c: &mut Constraint, classes: &[Option<Class>], vars: &mut Vars<'_>) {
    if let Constraint::Negated {
        rel,
        classes: through,
        ..
    } = c
        && let Some((class, _)) = classes[*rel]
    {
        *rel = class;
        *through = true;
    }
    match c {
        Constraint::Cmp { left, right, .. } => {
            rewrite_expr(left, classes, vars);
            rewrite_expr(right, classes, vars);
        }
        Constraint::Negated { args, .. } => {
            for e in args.iter_mut().flatten() {
                rewrite_expr(e, classes, vars);
            }
        }
        Constraint::Text { pattern, text, .. } => {
            rewrite_expr(pattern, classes, vars);
            rewrite_expr(text, classes, vars);
        }
        Constraint::False => {}
    }
}

/// Rewrites the atoms of the aggregates inside an expression; their fresh variables are
/// local to the aggregate.
fn rewrite_expr(e: &mut IrExpr, classes: &[Option<Class>], vars: &mut Vars<'_>) {
    match &mut e.kind {
        IrExprKind::Agg(agg) => {
            let atoms = std::mem::take(&mut agg.atoms);
            let mut extra = Vec::new();
            let mut fresh = Vec::new();
            agg.atoms = rewrite_atoms(atoms, classes, vars, &mut extra, &mut fresh, true);
            agg.local.extend(fresh);
            for c in &mut agg.constraints {
                rewrite_constraint(c, classes, vars);
            }
            agg.constraints.extend(extra);
            if let Some(t) = &mut agg.target {
                rewrite_expr(t, classes, vars);
            }
        }
        IrExprKind::Unary(_, a) => rewrite_expr(a, classes, vars),
        IrExprKind::Binary(_, a, b) => {
            rewrite_expr(a, classes, vars);
            rewrite_expr(b, classes, vars);
        }
        IrExprKind::Call(_, args) => args.iter_mut().for_each(|a| rewrite_expr(a, classes, vars)),
        IrExprKind::Var(_) | IrExprKind::Const(_) => {}
    }
}
