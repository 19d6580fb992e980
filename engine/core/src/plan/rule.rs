//! Lowering of one rule body: variables, typing of expressions, atoms, negations, comparisons,
//! aggregates, and the safety check that closes a rule.

use super::PlanError;
use super::functors::functor;
use super::ir::*;
use super::resolve::{columns, fresh_aggregate_id};
use crate::value::{ColumnType, enc_float, enc_number};
use engram_parser as ast;
use engram_parser::{AggFunc, BinaryOp, CmpOp, ExprKind, Literal, Span, UnaryOp};
use std::collections::HashMap;

/// Lowering state for one rule body.
pub(crate) struct RuleCx<'p> {
    pub(super) plan: &'p mut Plan,
    pub(super) errors: &'p mut Vec<PlanError>,
    pub(super) vars: HashMap<String, VarId>,
    pub(super) names: Vec<String>,
    pub(super) types: Vec<Option<ColumnType>>,
    pub(super) spans: Vec<Span>,
    pub(super) in_atom: Vec<bool>,
    /// An atom of the body was rejected: safety errors would only repeat it.
    pub(super) broken: bool,
    pub(super) atoms: Vec<IrAtom>,
    pub(super) constraints: Vec<Constraint>,
    pub(super) fresh: usize,
    /// The variables standing for `_` among a record pattern's fields (bound by nothing).
    pub(super) wildcards: Vec<VarId>,
    /// The head's variables and their columns' types: the type of a variable the body's atoms
    /// leave open (`o(x) :- x = 5.` with `o` unsigned).
    head_types: Vec<(String, ColumnType)>,
}

impl<'p> RuleCx<'p> {
    pub(crate) fn new(plan: &'p mut Plan, errors: &'p mut Vec<PlanError>) -> Self {
        RuleCx {
            plan,
            errors,
            vars: HashMap::new(),
            names: Vec::new(),
            types: Vec::new(),
            spans: Vec::new(),
            in_atom: Vec::new(),
            broken: false,
            atoms: Vec::new(),
            constraints: Vec::new(),
            fresh: 0,
            wildcards: Vec::new(),
            head_types: Vec::new(),
        }
    }

    pub(super) fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.errors.push(PlanError::new(span, msg));
    }

    pub(super) fn var(&mut self, name: &str, span: Span) -> VarId {
        if let Some(&v) = self.vars.get(name) {
            return v;
        }
        let v = self.names.len();
        self.vars.insert(name.to_string(), v);
        self.names.push(name.to_string());
        self.types.push(None);
        self.spans.push(span);
        self.in_atom.push(false);
        v
    }

    /// A new variable like `v` (its type and place), or of type `ty` without one.
    pub(super) fn fresh_like(&mut self, v: Option<VarId>, ty: ColumnType) -> VarId {
        let id = self.names.len();
        let (name, ty, span) = match v {
            Some(v) => (
                format!("_w{}{id}", self.names[v]),
                self.types[v].unwrap_or(ty),
                self.spans[v],
            ),
            None => (format!("_w{id}"), ty, Span::default()),
        };
        self.names.push(name);
        self.types.push(Some(ty));
        self.spans.push(span);
        self.in_atom.push(false);
        id
    }

    pub(super) fn fresh_var(&mut self, span: Span) -> VarId {
        self.fresh += 1;
        let name = format!("_e{}", self.fresh);
        self.var(&name, span)
    }

    pub(super) fn set_type(&mut self, v: VarId, ty: ColumnType, span: Span) {
        match self.types[v] {
            None => self.types[v] = Some(ty),
            Some(t) if t == ty => {}
            Some(t) => {
                let name = self.names[v].clone();
                self.err(
                    span,
                    format!("variable `{name}` is used as {t} and as {ty}"),
                );
            }
        }
    }

    /// The named (not `_`-prefixed) variables bound by positive atoms: a query's answer columns.
    pub(crate) fn answer_columns(&self) -> Vec<(VarId, String, ColumnType)> {
        (0..self.names.len())
            .filter(|&v| !self.names[v].starts_with('_') && self.in_atom[v])
            .map(|v| {
                let ty = self.types[v].unwrap_or(ColumnType::Number);
                (v, self.names[v].clone(), ty)
            })
            .collect()
    }

    /// Declares the relation a constraint's body derives into.
    pub(crate) fn declare(&mut self, decl: RelDecl) -> RelId {
        self.plan.push_relation(decl)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rule(
        mut self,
        rel: RelId,
        head: &ast::Atom,
        body: &[Literal],
        confidence: Option<&ast::Expr>,
        span: Span,
        origin: String,
        mut meta: RuleMeta,
    ) -> Option<IrRule> {
        let types = self.plan.relations[rel].types();
        let mut head_types = Vec::new();
        for (a, &ty) in head.args.iter().zip(&types) {
            self.pattern_types(a, ty, &mut head_types);
        }
        self.head_types = head_types;
        self.body(body);
        let mut head_args = Vec::new();
        for (arg, ty) in head.args.iter().zip(types) {
            if matches!(arg.kind, ExprKind::Wildcard) {
                self.err(arg.span, "`_` cannot appear in a head");
                continue;
            }
            if let ExprKind::Var(name) = &arg.kind
                && !self.vars.contains_key(name)
            {
                self.err(
                    arg.span,
                    format!("variable `{name}` in the head is not bound in the body"),
                );
                continue;
            }
            self.collect_types(arg);
            let e = self.expr(arg, Some(ty));
            self.expect_type(&e, ty, arg.span);
            self.check_wildcards([&e]);
            let e = self.inline_head_pattern(rel, e, arg.span);
            head_args.push(e);
        }
        if let Some(c) = confidence {
            self.collect_types(c);
            let e = self.expr(c, Some(ColumnType::Float));
            self.expect_type(&e, ColumnType::Float, c.span);
            meta.head_conf = Some(e);
        }
        self.finish(rel, head_args, span, origin, meta)
    }

    /// Lowers the body literals into atoms and constraints.
    pub(crate) fn body(&mut self, body: &[Literal]) {
        // Pass 1: variable types from atoms (positive, negated, inside aggregates).
        for lit in body {
            self.collect_literal_types(lit);
        }
        // A variable the atoms leave untyped takes its head column's type.
        for (name, ty) in std::mem::take(&mut self.head_types) {
            if let Some(&v) = self.vars.get(&name)
                && self.types[v].is_none()
            {
                self.types[v] = Some(ty);
            }
        }
        // Pass 2: types of variables defined by `v = expr`.
        for _ in 0..4 {
            for lit in body {
                if let Literal::Compare(c) = lit
                    && c.op == CmpOp::Eq
                {
                    self.infer_assignment(&c.left, &c.right);
                    self.infer_assignment(&c.right, &c.left);
                    self.infer_record(&c.left, &c.right);
                    self.infer_record(&c.right, &c.left);
                }
            }
        }
        // Pass 3: lowering.
        self.lower_literals(body);
    }

    /// Lowers literals into the rule's atoms and constraints.
    fn lower_literals(&mut self, literals: &[Literal]) {
        let start = self.constraints.len();
        self.lower_each(literals);
        let added = self.constraints.split_off(start);
        let split = self.split_records(added);
        let exprs: Vec<IrExpr> = split.iter().flat_map(|c| c.exprs()).cloned().collect();
        self.check_wildcards(&exprs);
        self.constraints.extend(split);
    }

    fn lower_each(&mut self, literals: &[Literal]) {
        for lit in literals {
            match lit {
                Literal::Atom(a) => {
                    if let Some(atom) = self.atom(a, true) {
                        self.atoms.push(atom);
                    }
                }
                Literal::Negated(a) => {
                    if let Some(c) = self.negated(a) {
                        self.constraints.push(c);
                    }
                }
                Literal::Compare(c) => {
                    let cons = self.comparison(c);
                    self.constraints.push(cons);
                }
                Literal::Bool(true, _) => {}
                Literal::Bool(false, _) => self.constraints.push(Constraint::False),
            }
        }
    }

    fn collect_literal_types(&mut self, lit: &Literal) {
        match lit {
            Literal::Atom(a) | Literal::Negated(a) => {
                let positive = matches!(lit, Literal::Atom(_));
                if let Some(rel) = self.plan.relation_named(&a.name) {
                    let types = self.plan.relations[rel].types();
                    for (arg, ty) in a.args.iter().zip(types) {
                        if let ExprKind::Var(name) = &arg.kind {
                            let v = self.var(name, arg.span);
                            self.set_type(v, ty, arg.span);
                            if positive {
                                self.in_atom[v] = true;
                            }
                        } else {
                            self.type_pattern(arg, ty, positive);
                        }
                    }
                } else {
                    for arg in &a.args {
                        self.collect_types(arg);
                    }
                }
                if let Some((name, span)) = &a.conf_var
                    && positive
                {
                    let v = self.var(name, *span);
                    self.set_type(v, ColumnType::Float, *span);
                    self.in_atom[v] = true;
                }
                if let Some((name, span)) = &a.time_var
                    && positive
                {
                    let v = self.var(name, *span);
                    self.set_type(v, ColumnType::Number, *span);
                    self.in_atom[v] = true;
                }
            }
            Literal::Compare(c) => {
                self.collect_types(&c.left);
                self.collect_types(&c.right);
            }
            Literal::Bool(..) => {}
        }
    }

    /// Registers variables inside an expression and the atoms of nested aggregates.
    pub(super) fn collect_types(&mut self, e: &ast::Expr) {
        match &e.kind {
            ExprKind::Var(name) => {
                self.var(name, e.span);
            }
            ExprKind::Unary(_, a) => self.collect_types(a),
            ExprKind::Binary(_, a, b) => {
                self.collect_types(a);
                self.collect_types(b);
            }
            ExprKind::Call(_, args) | ExprKind::Record(args) | ExprKind::Branch(_, args) => {
                args.iter().for_each(|a| self.collect_types(a))
            }
            ExprKind::Aggregate(agg) => {
                for lit in &agg.body {
                    self.collect_literal_types(lit);
                }
                if let Some(t) = &agg.target {
                    self.collect_types(t);
                }
            }
            _ => {}
        }
    }

    fn infer_assignment(&mut self, lhs: &ast::Expr, rhs: &ast::Expr) {
        if let ExprKind::Var(name) = &lhs.kind {
            let v = self.var(name, lhs.span);
            if self.types[v].is_none()
                && let Some(t) = self.natural(rhs)
            {
                self.types[v] = Some(t);
            }
        }
    }

    /// The type an expression has regardless of context, if it has one.
    pub(super) fn natural(&self, e: &ast::Expr) -> Option<ColumnType> {
        use ColumnType::*;
        match &e.kind {
            ExprKind::Var(n) => self.vars.get(n).and_then(|&v| self.types[v]),
            ExprKind::Int(_) | ExprKind::Wildcard | ExprKind::Counter => None,
            ExprKind::Unsigned(_) => Some(Unsigned),
            ExprKind::Float(_) => Some(Float),
            ExprKind::Str(_) => Some(Symbol),
            ExprKind::Unary(_, a) => self.natural(a),
            ExprKind::Binary(op, a, b) => match op {
                BinaryOp::LAnd | BinaryOp::LOr => self.natural(a).or(self.natural(b)),
                _ => self.natural(a).or(self.natural(b)),
            },
            ExprKind::UserCall(name, _) => self.user_type(name),
            ExprKind::Call(name, args) => match functor(name) {
                Some(
                    Functor::Cat
                    | Functor::Substr
                    | Functor::ToString
                    | Functor::Lower
                    | Functor::Upper
                    | Functor::Normalize,
                ) => Some(Symbol),
                Some(Functor::Strlen | Functor::Ord | Functor::ToNumber) => Some(Number),
                Some(Functor::ToUnsigned) => Some(Unsigned),
                Some(Functor::ToFloat) => Some(Float),
                Some(Functor::Min | Functor::Max | Functor::Range) => {
                    args.iter().find_map(|a| self.natural(a))
                }
                Some(Functor::Now | Functor::AutoInc) => Some(Number),
                Some(Functor::Skolem) => Some(Symbol),
                Some(Functor::Record | Functor::Field(_) | Functor::User(_)) | None => None,
            },
            ExprKind::Aggregate(agg) => match agg.func {
                AggFunc::Count => Some(Number),
                AggFunc::Mean => Some(Float),
                _ => agg.target.as_ref().and_then(|t| self.natural(t)),
            },
            ExprKind::Record(_) | ExprKind::Nil => None,
            ExprKind::Branch(name, _) => self.branch(name).map(|(t, ..)| Record(t)),
        }
    }

    pub(super) fn expect_type(&mut self, e: &IrExpr, ty: ColumnType, span: Span) {
        if e.ty != ty {
            self.err(
                span,
                format!("type mismatch: expected {ty}, found {}", e.ty),
            );
        }
    }

    fn atom(&mut self, a: &ast::Atom, positive: bool) -> Option<IrAtom> {
        if !self.plan.rel_index.contains_key(&a.name)
            && let Some(c) = self.builtin_predicate(a)
        {
            self.constraints.push(c);
            return None;
        }
        let (rel, types) = self.relation_of(a)?;
        let mut args = Vec::new();
        for (arg, ty) in a.args.iter().zip(types) {
            let lowered = match &arg.kind {
                ExprKind::Var(name) => {
                    let v = self.var(name, arg.span);
                    if positive {
                        self.in_atom[v] = true;
                    }
                    AtomArg::Var(v)
                }
                ExprKind::Wildcard => AtomArg::Wild,
                _ => {
                    let e = self.expr(arg, Some(ty));
                    self.expect_type(&e, ty, arg.span);
                    match e.kind {
                        IrExprKind::Const(c) => AtomArg::Const(c),
                        _ => {
                            // a(x + 1): bind a fresh variable and check it equals the expression.
                            let v = self.fresh_var(arg.span);
                            self.types[v] = Some(ty);
                            self.in_atom[v] = true;
                            self.constraints.push(Constraint::Cmp {
                                op: CmpOp::Eq,
                                left: IrExpr {
                                    kind: IrExprKind::Var(v),
                                    ty,
                                },
                                right: e,
                                span: arg.span,
                            });
                            AtomArg::Var(v)
                        }
                    }
                }
            };
            args.push(lowered);
        }
        let mut meta_var = |bind: &Option<(String, Span)>, mark: &str, other: Option<VarId>| {
            let (name, span) = bind.as_ref().filter(|_| positive)?;
            let v = self.var(name, *span);
            let reused = args.contains(&AtomArg::Var(v))
                || other == Some(v)
                || self.atoms.iter().any(|b| {
                    b.conf_var == Some(v)
                        || b.time_var == Some(v)
                        || b.args.contains(&AtomArg::Var(v))
                });
            if reused {
                self.err(
                    *span,
                    format!(
                        "`{mark} {name}` needs a variable of its own: `{name}` is already bound \
                         by an atom"
                    ),
                );
            }
            Some(v)
        };
        let conf_var = meta_var(&a.conf_var, "@", None);
        let time_var = meta_var(&a.time_var, "~", conf_var);
        // Reading a fact's metadata needs evaluation to track it.
        if conf_var.is_some() || time_var.is_some() {
            self.plan.uses_confidence = true;
        }
        if time_var.is_some() {
            self.plan.uses_time = true;
        }
        Some(IrAtom {
            rel,
            args,
            conf_var,
            time_var,
            span: a.span,
        })
    }

    /// The relation of an atom and its column types; reports an unknown name or a wrong arity.
    fn relation_of(&mut self, a: &ast::Atom) -> Option<(RelId, Vec<ColumnType>)> {
        let Some(rel) = self.plan.relation_named(&a.name) else {
            self.err(a.span, format!("unknown relation `{}`", a.name));
            self.broken = true;
            return None;
        };
        let decl = &self.plan.relations[rel];
        if a.args.len() != decl.arity() {
            let mut msg = format!(
                "relation `{}` has {}, the atom gives {}",
                a.name,
                columns(decl.arity()),
                a.args.len()
            );
            let own = self.plan.own_relations_named(&a.name);
            if !own.is_empty() {
                msg += &format!(
                    " (a rule file's own relation of this name is `{}`)",
                    own.join("`, `")
                );
            }
            self.err(a.span, msg);
            self.broken = true;
            return None;
        }
        Some((rel, decl.types()))
    }

    fn builtin_predicate(&mut self, a: &ast::Atom) -> Option<Constraint> {
        let pred = match a.name.as_str() {
            "contains" => TextPred::Contains,
            "match" => TextPred::Match,
            _ => return None,
        };
        if a.args.len() != 2 {
            self.err(a.span, format!("`{}` takes two arguments", a.name));
            return Some(Constraint::False);
        }
        let x = self.expr(&a.args[0], Some(ColumnType::Symbol));
        let y = self.expr(&a.args[1], Some(ColumnType::Symbol));
        self.expect_type(&x, ColumnType::Symbol, a.args[0].span);
        self.expect_type(&y, ColumnType::Symbol, a.args[1].span);
        Some(Constraint::Text {
            pred,
            pattern: x,
            text: y,
            holds: true,
        })
    }

    fn negated(&mut self, a: &ast::Atom) -> Option<Constraint> {
        if !self.plan.rel_index.contains_key(&a.name)
            && let Some(mut c) = self.builtin_predicate(a)
        {
            if let Constraint::Text { holds, .. } = &mut c {
                *holds = false;
            }
            return Some(c);
        }
        let (rel, types) = self.relation_of(a)?;
        let mut args = Vec::new();
        for (arg, ty) in a.args.iter().zip(types) {
            if matches!(arg.kind, ExprKind::Wildcard) {
                args.push(None);
            } else {
                let e = self.expr(arg, Some(ty));
                self.expect_type(&e, ty, arg.span);
                args.push(Some(e));
            }
        }
        Some(Constraint::Negated {
            rel,
            args,
            classes: false,
            span: a.span,
        })
    }

    fn comparison(&mut self, c: &ast::Comparison) -> Constraint {
        let ty = self
            .natural(&c.left)
            .or(self.natural(&c.right))
            .unwrap_or(ColumnType::Number);
        // `_ = e` (Soufflé's): `e` is computed and its value dropped, as for a fresh variable.
        let mut side = |e: &ast::Expr| match e.kind {
            ExprKind::Wildcard if c.op == CmpOp::Eq => {
                let v = self.fresh_var(e.span);
                self.types[v] = Some(ty);
                IrExpr {
                    kind: IrExprKind::Var(v),
                    ty,
                }
            }
            _ => self.expr(e, Some(ty)),
        };
        let left = side(&c.left);
        let right = side(&c.right);
        if matches!(left.ty, ColumnType::Record(_)) && !matches!(c.op, CmpOp::Eq | CmpOp::Ne) {
            self.err(c.span, "records are compared only with `=` and `!=`");
        }
        if left.ty != right.ty {
            self.err(
                c.span,
                format!("cannot compare {} with {}", left.ty, right.ty),
            );
        }
        Constraint::Cmp {
            op: c.op,
            left,
            right,
            span: c.span,
        }
    }

    pub(super) fn expr(&mut self, e: &ast::Expr, expected: Option<ColumnType>) -> IrExpr {
        use ColumnType::*;
        let want = expected.unwrap_or(Number);
        match &e.kind {
            ExprKind::Var(name) => {
                let v = self.var(name, e.span);
                let ty = match self.types[v] {
                    Some(t) => t,
                    None => {
                        self.types[v] = Some(want);
                        want
                    }
                };
                IrExpr {
                    kind: IrExprKind::Var(v),
                    ty,
                }
            }
            ExprKind::Wildcard => {
                self.err(e.span, "`_` is only allowed as an atom argument");
                konst(0, want)
            }
            // Soufflé's counter, the old spelling of `autoinc()`.
            ExprKind::Counter => IrExpr {
                kind: IrExprKind::Call(Functor::AutoInc, Vec::new()),
                ty: Number,
            },
            ExprKind::Int(v) => match want {
                Number => konst(enc_number(*v), Number),
                Unsigned => {
                    if *v < 0 {
                        self.err(e.span, "negative literal where an unsigned is expected");
                    }
                    konst(*v as u64, Unsigned)
                }
                Float => konst(enc_float(*v as f64), Float),
                Symbol | Record(_) => {
                    let found = self.plan.interner.records().type_name(want);
                    self.err(
                        e.span,
                        format!("type mismatch: expected {found}, found a number"),
                    );
                    konst(0, want)
                }
            },
            ExprKind::Unsigned(v) => konst(*v, Unsigned),
            ExprKind::Float(x) => konst(enc_float(*x), Float),
            ExprKind::Str(s) => {
                let id = self.plan.interner.enc(s);
                konst(id, Symbol)
            }
            ExprKind::Unary(op, a) => {
                let inner = self.expr(a, Some(want));
                if inner.ty == Symbol {
                    self.err(e.span, "arithmetic on a symbol");
                }
                if let (UnaryOp::Neg, IrExprKind::Const(c)) = (op, &inner.kind) {
                    return match inner.ty {
                        Number => konst(enc_number((*c as i64).wrapping_neg()), Number),
                        Float => konst(enc_float(-f64::from_bits(*c)), Float),
                        t => konst(c.wrapping_neg(), t),
                    };
                }
                let ty = inner.ty;
                IrExpr {
                    kind: IrExprKind::Unary(*op, Box::new(inner)),
                    ty,
                }
            }
            ExprKind::Binary(op, a, b) => {
                let ty = self.natural(a).or(self.natural(b)).unwrap_or(want);
                let l = self.expr(a, Some(ty));
                let r = self.expr(b, Some(ty));
                // Soufflé's `+` on two symbols is their concatenation, `cat(a, b)`.
                if *op == ast::BinaryOp::Add && l.ty == Symbol && r.ty == Symbol {
                    return IrExpr {
                        kind: IrExprKind::Call(Functor::Cat, vec![l, r]),
                        ty: Symbol,
                    };
                }
                if l.ty == Symbol || r.ty == Symbol {
                    self.err(e.span, "arithmetic on a symbol");
                } else if l.ty != r.ty {
                    self.err(e.span, format!("mixed operand types {} and {}", l.ty, r.ty));
                }
                IrExpr {
                    kind: IrExprKind::Binary(*op, Box::new(l), Box::new(r)),
                    ty,
                }
            }
            ExprKind::Call(name, args) => self.call(name, args, e.span, want),
            ExprKind::UserCall(name, args) => self.user_call(name, args, e.span, want),
            ExprKind::Aggregate(agg) => self.aggregate(agg, want),
            ExprKind::Record(_) | ExprKind::Nil | ExprKind::Branch(..) => self.record_expr(e, want),
        }
    }

    fn aggregate(&mut self, agg: &ast::Aggregate, want: ColumnType) -> IrExpr {
        let saved_atoms = std::mem::take(&mut self.atoms);
        let saved_cons = std::mem::take(&mut self.constraints);
        let saved_in_atom = self.in_atom.clone();
        self.lower_literals(&agg.body);
        let target_ty = match agg.func {
            AggFunc::Count => None,
            AggFunc::Mean => Some(
                agg.target
                    .as_ref()
                    .and_then(|t| self.natural(t))
                    .unwrap_or(want),
            ),
            _ => Some(
                agg.target
                    .as_ref()
                    .and_then(|t| self.natural(t))
                    .unwrap_or(want),
            ),
        };
        let target = agg.target.as_ref().map(|t| self.expr(t, target_ty));
        let atoms = std::mem::replace(&mut self.atoms, saved_atoms);
        let constraints = std::mem::replace(&mut self.constraints, saved_cons);
        // Variables bound inside an aggregate do not bind the outer rule. Those it introduced
        // stay known (its body refers to them), bound in no outer atom.
        let outer = saved_in_atom.len();
        self.in_atom[..outer].copy_from_slice(&saved_in_atom);
        self.in_atom[outer..].fill(false);
        let ty = match agg.func {
            AggFunc::Count => ColumnType::Number,
            AggFunc::Mean => ColumnType::Float,
            _ => target.as_ref().map_or(want, |t| t.ty),
        };
        IrExpr {
            kind: IrExprKind::Agg(Box::new(IrAggregate {
                id: fresh_aggregate_id(),
                func: agg.func,
                target,
                atoms,
                constraints,
                outer: Vec::new(),
                local: Vec::new(),
                limit: None,
                distinct: None,
            })),
            ty,
        }
    }
}

pub(super) fn konst(v: u64, ty: ColumnType) -> IrExpr {
    IrExpr {
        kind: IrExprKind::Const(v),
        ty,
    }
}
