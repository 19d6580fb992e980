//! Lowering of records and ADT values (Soufflé's `[a, b]`, `nil`, `$B(a, b)`): their types,
//! their construction, and their destructuring.
//!
//! A record written in a body is a pattern: `p([x, y])` reads the record of `p` and binds `x`
//! and `y` to its fields. Lowering makes each pattern an equation `r = [x, y]` on a variable of
//! its own, then splits the equation into one per field, `x = field0(r)` and `y = field1(r)`,
//! keeping `r = [x, y]` itself: whichever side the body binds first, the planner's scheduler
//! finds an assignment (destructuring when `r` is bound, construction when `x` and `y` are),
//! and what is left runs as a check. An ADT value is a record whose first field is its branch,
//! so `$B(x)` as a pattern also checks `field0(r) = B`. A record of constants is made at plan
//! time, a constant.

use super::ir::*;
use super::rule::{RuleCx, konst};
use crate::records::{Field, RecordTypeId, Shape};
use crate::value::ColumnType;
use engram_parser as ast;
use engram_parser::{CmpOp, ExprKind, Span};

impl RuleCx<'_> {
    /// Types the variables of an atom argument from its column type: a variable takes it, the
    /// fields of a record pattern take their field types.
    pub(super) fn type_pattern(&mut self, arg: &ast::Expr, ty: ColumnType, positive: bool) {
        match &arg.kind {
            ExprKind::Var(name) => {
                let v = self.var(name, arg.span);
                self.set_type(v, ty, arg.span);
                if positive {
                    self.in_atom[v] = true;
                }
            }
            ExprKind::Record(items) | ExprKind::Branch(_, items) => {
                match self.field_types(arg, Some(ty)) {
                    Some(fields) if fields.len() == items.len() => {
                        for (item, f) in items.iter().zip(fields) {
                            self.type_pattern(item, f.ty, positive);
                        }
                    }
                    _ => self.collect_types(arg),
                }
            }
            _ => self.collect_types(arg),
        }
    }

    /// The variables of an expression of type `ty` that are it or one of its record fields,
    /// with their types (a head's `[x, y]` gives `x` and `y` their fields' types).
    pub(super) fn pattern_types(
        &self,
        e: &ast::Expr,
        ty: ColumnType,
        out: &mut Vec<(String, ColumnType)>,
    ) {
        match &e.kind {
            ExprKind::Var(name) => out.push((name.clone(), ty)),
            ExprKind::Record(items) | ExprKind::Branch(_, items) => {
                if let Some(fields) = self.field_types(e, Some(ty)) {
                    for (item, f) in items.iter().zip(fields) {
                        self.pattern_types(item, f.ty, out);
                    }
                }
            }
            _ => {}
        }
    }

    /// `v = [..]` where `v` has a record type: the pattern's fields take their types; where
    /// `v` has none, it takes the type of a record of its fields' types.
    pub(super) fn infer_record(&mut self, lhs: &ast::Expr, rhs: &ast::Expr) {
        let ExprKind::Var(name) = &lhs.kind else {
            return;
        };
        if !matches!(rhs.kind, ExprKind::Record(_) | ExprKind::Branch(..)) {
            return;
        }
        let v = self.var(name, lhs.span);
        match self.types[v] {
            Some(ty) => self.type_pattern(rhs, ty, false),
            None => self.types[v] = self.anonymous_record(rhs),
        }
    }

    /// The type of `[a, b]` written where no type names it: a record of its fields' types,
    /// when each is known.
    fn anonymous_record(&mut self, e: &ast::Expr) -> Option<ColumnType> {
        let ExprKind::Record(items) = &e.kind else {
            return self.natural(e);
        };
        let mut types = Vec::new();
        for item in items {
            types.push(self.anonymous_record(item)?);
        }
        let id = self.plan.interner.records_mut().anonymous(&types);
        Some(ColumnType::Record(id))
    }

    /// The ADT type a branch name belongs to, the branch's number and its fields.
    pub(super) fn branch(&self, name: &str) -> Option<(RecordTypeId, usize, Vec<Field>)> {
        let records = self.plan.interner.records();
        (0..)
            .map_while(|id| records.get_type(id).map(|t| (id, t)))
            .find_map(|(id, t)| {
                let (b, fields) = t.branch(name)?;
                Some((id, b, fields.to_vec()))
            })
    }

    /// The fields a record or branch expression has at type `ty` (or, for a branch, its own
    /// type): `None` when it does not fit.
    fn field_types(&self, e: &ast::Expr, ty: Option<ColumnType>) -> Option<Vec<Field>> {
        match &e.kind {
            ExprKind::Record(_) => {
                let Some(ColumnType::Record(t)) = ty else {
                    return None;
                };
                let rt = self.plan.interner.records().get_type(t)?;
                matches!(rt.shape, Shape::Tuple(_)).then(|| rt.fields().to_vec())
            }
            ExprKind::Branch(name, _) => Some(self.branch(name)?.2),
            _ => None,
        }
    }

    /// Lowers `[a, b]`, `nil` or `$B(a, b)` where a value of type `want` is expected. A `_`
    /// among its fields becomes a variable of its own, which nothing binds (the record can be
    /// matched, never made).
    pub(super) fn record_expr(&mut self, e: &ast::Expr, want: ColumnType) -> IrExpr {
        let (ty, branch, items): (ColumnType, Option<usize>, &[ast::Expr]) = match &e.kind {
            ExprKind::Nil => {
                if !matches!(want, ColumnType::Record(_)) {
                    self.err(e.span, format!("`nil` where a {want} is expected"));
                }
                return konst(0, want);
            }
            ExprKind::Record(items) => {
                let ty = match want {
                    ColumnType::Record(_) => want,
                    _ => match self.anonymous_record(e) {
                        Some(t) => t,
                        None => {
                            self.err(e.span, "the type of this record is not known: bind it to a variable of a record type");
                            return konst(0, want);
                        }
                    },
                };
                (ty, None, items)
            }
            ExprKind::Branch(name, items) => {
                let Some((t, b, _)) = self.branch(name) else {
                    self.err(e.span, format!("no ADT has a branch `{name}`"));
                    return konst(0, want);
                };
                (ColumnType::Record(t), Some(b), items)
            }
            _ => unreachable!("record_expr lowers records"),
        };
        let fields = self.field_types(e, Some(ty)).unwrap_or_default();
        if fields.len() != items.len() || fields.is_empty() && branch.is_none() {
            let what = match &e.kind {
                ExprKind::Branch(name, _) => format!("branch `{name}`"),
                _ => format!("`{}`", self.plan.interner.records().type_name(ty)),
            };
            self.err(
                e.span,
                format!(
                    "{what} has {} fields, the record gives {}",
                    fields.len(),
                    items.len()
                ),
            );
            return konst(0, ty);
        }
        let mut args: Vec<IrExpr> = branch
            .map(|b| konst(b as u64, ColumnType::Unsigned))
            .into_iter()
            .collect();
        for (item, f) in items.iter().zip(&fields) {
            let x = if matches!(item.kind, ExprKind::Wildcard) {
                let v = self.fresh_var(item.span);
                self.types[v] = Some(f.ty);
                self.wildcards.push(v);
                IrExpr {
                    kind: IrExprKind::Var(v),
                    ty: f.ty,
                }
            } else {
                self.expr(item, Some(f.ty))
            };
            self.expect_type(&x, f.ty, item.span);
            args.push(x);
        }
        let constants: Option<Vec<u64>> = (args.iter())
            .map(|a| match a.kind {
                IrExprKind::Const(c) => Some(c),
                _ => None,
            })
            .collect();
        if let Some(row) = constants {
            return konst(self.plan.interner.records_mut().intern(&row), ty);
        }
        IrExpr {
            kind: IrExprKind::Call(Functor::Record, args),
            ty,
        }
    }

    /// A record in the head of an `inline` relation's rule is a pattern its uses match
    /// (Soufflé's `cross([a0, a1], ...) :- value = a0 * ...` binds `a0` from the use): the
    /// head gets a variable of its own, matched against the record in the body.
    pub(super) fn inline_head_pattern(&mut self, head: RelId, e: IrExpr, span: Span) -> IrExpr {
        if !self.plan.relations[head].inline || !is_pattern(&e) {
            return e;
        }
        let ty = e.ty;
        let v = self.fresh_var(span);
        self.types[v] = Some(ty);
        let split = self.split_records(vec![eq(var(v, ty), e, span)]);
        self.constraints.extend(split);
        var(v, ty)
    }

    /// Splits every equation on a record pattern among `constraints` into one per field
    /// (see the module's comment).
    pub(super) fn split_records(&mut self, constraints: Vec<Constraint>) -> Vec<Constraint> {
        let mut out = Vec::with_capacity(constraints.len());
        for c in constraints {
            match c {
                Constraint::Cmp {
                    op: CmpOp::Eq,
                    left,
                    right,
                    span,
                } if is_pattern(&left) || is_pattern(&right) => {
                    let (pattern, other) = if is_pattern(&left) {
                        (left, right)
                    } else {
                        (right, left)
                    };
                    self.split(pattern, other, span, &mut out);
                }
                c => out.push(c),
            }
        }
        out
    }

    /// Reports each `_` among a record's fields where the record is made rather than matched
    /// (a head, a negated atom, a comparison other than `=`, a functor's argument).
    pub(super) fn check_wildcards<'e>(&mut self, exprs: impl IntoIterator<Item = &'e IrExpr>) {
        for e in exprs {
            let mut vars = Vec::new();
            e.vars(&mut vars);
            if let Some(&w) = vars.iter().find(|v| self.wildcards.contains(v)) {
                self.err(
                    self.spans[w],
                    "`_` in a record is only allowed where the record is matched (an atom's \
                     argument, or a side of `=`): a record made here needs every field",
                );
            }
        }
    }

    /// `other = pattern`, one constraint per field of the pattern (nested ones too).
    fn split(&mut self, pattern: IrExpr, other: IrExpr, span: Span, out: &mut Vec<Constraint>) {
        let ty = pattern.ty;
        let IrExprKind::Call(Functor::Record, args) = pattern.kind else {
            unreachable!("split takes a record pattern");
        };
        let r = match other.kind {
            IrExprKind::Var(v) => v,
            _ if is_pattern(&other) => {
                let v = self.fresh_var(span);
                self.types[v] = Some(ty);
                self.split(other, var(v, ty), span, out);
                v
            }
            _ => {
                let v = self.fresh_var(span);
                self.types[v] = Some(ty);
                out.push(eq(var(v, ty), other, span));
                v
            }
        };
        let mut made = Vec::with_capacity(args.len());
        let mut matched_only = false;
        for (i, a) in args.into_iter().enumerate() {
            let field = IrExpr {
                kind: IrExprKind::Call(Functor::Field(i), vec![var(r, ty)]),
                ty: a.ty,
            };
            match a.kind {
                IrExprKind::Var(w) if self.wildcards.contains(&w) => matched_only = true,
                IrExprKind::Var(_) => {
                    out.push(eq(a.clone(), field, span));
                    made.push(a);
                }
                _ if is_pattern(&a) => {
                    let (v, fty) = (self.fresh_var(span), a.ty);
                    self.types[v] = Some(fty);
                    out.push(eq(var(v, fty), field, span));
                    made.push(var(v, fty));
                    self.split(a, var(v, fty), span, out);
                }
                _ => {
                    out.push(eq(field, a.clone(), span));
                    made.push(a);
                }
            }
        }
        if !matched_only {
            let record = IrExpr {
                kind: IrExprKind::Call(Functor::Record, made),
                ty,
            };
            out.push(eq(var(r, ty), record, span));
        }
    }
}

fn is_pattern(e: &IrExpr) -> bool {
    matches!(e.kind, IrExprKind::Call(Functor::Record, _))
}

fn var(v: VarId, ty: ColumnType) -> IrExpr {
    IrExpr {
        kind: IrExprKind::Var(v),
        ty,
    }
}

fn eq(left: IrExpr, right: IrExpr, span: Span) -> Constraint {
    Constraint::Cmp {
        op: CmpOp::Eq,
        left,
        right,
        span,
    }
}
