//! Renaming the relations a statement names (its declaration, atoms, directives), for
//! namespaces and component instances; and where a statement is written.

use crate::ast::*;

impl Item {
    /// Calls `rename` on every relation name the statement holds: a declaration's, each atom's
    /// (heads, bodies, negations, aggregates), a directive's; inside a component, its
    /// statements'.
    pub fn rename_relations(&mut self, rename: &dyn Fn(&mut String)) {
        match self {
            Item::Decl(d) => rename(&mut d.name),
            Item::Directive(d) => d.relations.iter_mut().for_each(|(n, _)| rename(n)),
            Item::Clause(c) => {
                for head in &mut c.heads {
                    rename_atom(head, rename);
                }
                for e in c.confidence.iter_mut().chain(c.time.iter_mut()) {
                    rename_expr(e, rename);
                }
                rename_body(&mut c.body, rename);
            }
            Item::Query(q) => rename_body(&mut q.body, rename),
            Item::Integrity(i) => rename_body(&mut i.body, rename),
            Item::Subsumption(s) => {
                rename_atom(&mut s.dominated, rename);
                rename_atom(&mut s.dominating, rename);
                rename_body(&mut s.body, rename);
            }
            Item::Component(c) => c.items.iter_mut().for_each(|i| i.rename_relations(rename)),
            Item::Type(_) | Item::Pragma(_) | Item::Include(_) | Item::Init(_) => {}
            Item::Functor(_) => {}
        }
    }

    /// Where the statement is written.
    pub fn span(&self) -> Span {
        match self {
            Item::Decl(d) => d.span,
            Item::Type(t) => t.span,
            Item::Directive(d) => d.span,
            Item::Pragma(p) => p.span,
            Item::Clause(c) => c.span,
            Item::Query(q) => q.span,
            Item::Integrity(i) => i.span,
            Item::Subsumption(s) => s.span,
            Item::Include(i) => i.span,
            Item::Component(c) => c.span,
            Item::Init(i) => i.span,
            Item::Functor(f) => f.span,
        }
    }
}

fn rename_body(body: &mut [Vec<Literal>], rename: &dyn Fn(&mut String)) {
    for literal in body.iter_mut().flatten() {
        rename_literal(literal, rename);
    }
}

fn rename_literal(literal: &mut Literal, rename: &dyn Fn(&mut String)) {
    match literal {
        Literal::Atom(a) | Literal::Negated(a) => rename_atom(a, rename),
        Literal::Compare(c) => {
            rename_expr(&mut c.left, rename);
            rename_expr(&mut c.right, rename);
        }
        Literal::Bool(..) => {}
    }
}

fn rename_atom(atom: &mut Atom, rename: &dyn Fn(&mut String)) {
    rename(&mut atom.name);
    for e in &mut atom.args {
        rename_expr(e, rename);
    }
}

fn rename_expr(e: &mut Expr, rename: &dyn Fn(&mut String)) {
    match &mut e.kind {
        ExprKind::Unary(_, a) => rename_expr(a, rename),
        ExprKind::Binary(_, a, b) => {
            rename_expr(a, rename);
            rename_expr(b, rename);
        }
        ExprKind::Call(_, args)
        | ExprKind::UserCall(_, args)
        | ExprKind::Record(args)
        | ExprKind::Branch(_, args) => args.iter_mut().for_each(|a| rename_expr(a, rename)),
        ExprKind::Aggregate(agg) => {
            if let Some(t) = &mut agg.target {
                rename_expr(t, rename);
            }
            for literal in &mut agg.body {
                rename_literal(literal, rename);
            }
        }
        _ => {}
    }
}
