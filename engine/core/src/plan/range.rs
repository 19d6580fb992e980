//! Lowering of Soufflé's `range(from, to[, step])`: each use gets a variable of its own,
//! bound to each value by an assignment `v = range(...)` that evaluation runs as a generator
//! (`eval/range.rs`).

use super::ir::*;
use super::rule::{RuleCx, konst};
use crate::value::ColumnType;
use engram_parser as ast;
use engram_parser::{CmpOp, Span};

impl RuleCx<'_> {
    /// `range(from, to[, step])`: a variable of its own, bound to each value by the assignment
    /// `v = range(...)` added to the body it is in (the rule's, or an aggregate's); the use
    /// reads the variable, wherever it is written.
    pub(super) fn range(&mut self, args: &[ast::Expr], span: Span, want: ColumnType) -> IrExpr {
        let ty = args.iter().find_map(|a| self.natural(a)).unwrap_or(want);
        if !(2..=3).contains(&args.len()) {
            self.err(
                span,
                "`range` takes 2 or 3 arguments: range(from, to[, step])",
            );
            return konst(0, ty);
        }
        if ty == ColumnType::Symbol {
            self.err(span, "`range` of symbols: it counts numbers");
            return konst(0, ty);
        }
        let lowered: Vec<IrExpr> = (args.iter())
            .map(|a| {
                let x = self.expr(a, Some(ty));
                self.expect_type(&x, ty, a.span);
                x
            })
            .collect();
        let v = self.fresh_var(span);
        self.types[v] = Some(ty);
        let var = IrExpr {
            kind: IrExprKind::Var(v),
            ty,
        };
        self.constraints.push(Constraint::Cmp {
            op: CmpOp::Eq,
            left: var.clone(),
            right: IrExpr {
                kind: IrExprKind::Call(Functor::Range, lowered),
                ty,
            },
            span,
        });
        var
    }
}
