//! Functor calls: the built-in ones (`cat`, `strlen`, ...) typed, and Soufflé's user-defined
//! functors: `.functor f(x: number, s: symbol): number` declares one,
//! `@f(a, b)` calls it. engram takes the function from the program that embeds it
//! (`Program::with_functor`, or Python's `Program.with_functor`), never from a shared
//! library: the declaration types the call, and evaluation refuses a program whose declared
//! functor nobody gave.

use super::PlanError;
use super::ir::*;
use super::rule::{RuleCx, konst};
use super::types::TypeTable;
use crate::value::{ColumnType, Value};
use engram_parser as ast;
use engram_parser::Span;
use std::sync::Arc;

/// A declared user-defined functor.
#[derive(Clone, Debug, PartialEq)]
pub struct UserFunctor {
    /// Its name (called as `@name(...)`).
    pub name: String,
    /// Its parameters' types.
    pub params: Vec<ColumnType>,
    /// The type of what it gives.
    pub ret: ColumnType,
    /// Where it is declared.
    pub span: engram_parser::Span,
    /// `file:line` of the declaration.
    pub origin: String,
    /// The function given for it ([`crate::Program::with_functor`]); none yet.
    pub function: Option<FunctorFn>,
}

/// The function of a user-defined functor: given its arguments as values of the types its
/// `.functor` declares, it gives a value of the declared type, or `None` for no value (the
/// binding then derives nothing, as a division by zero does), or an error that stops the
/// evaluation. It is called once per binding that reaches it, from the evaluating thread, in
/// no promised order.
#[derive(Clone)]
pub struct FunctorFn(pub Arc<FallibleFn>);

/// A functor's function that may fail (its message stops the evaluation).
pub type FallibleFn = dyn Fn(&[Value]) -> Result<Option<Value>, String> + Send + Sync;

impl std::fmt::Debug for FunctorFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FunctorFn")
    }
}

impl PartialEq for FunctorFn {
    fn eq(&self, other: &FunctorFn) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Declares functor `f` in `plan`: its types must be of numbers or symbols.
pub(super) fn declare(
    plan: &mut Plan,
    f: &ast::FunctorDecl,
    types: &TypeTable,
    origin: String,
    errors: &mut Vec<PlanError>,
) {
    if plan.functors.iter().any(|g| g.name == f.name) {
        let message = format!("functor `{}` is declared twice", f.name);
        errors.push(PlanError::new(f.span, message));
        return;
    }
    let mut ty = |name: &str| match types.base(name) {
        Some(ColumnType::Record(_)) => {
            let message = format!(
                "functor `{}`: `{name}` is a record type; a functor takes and gives numbers, \
                 floats and symbols",
                f.name
            );
            errors.push(PlanError::new(f.span, message));
            ColumnType::Number
        }
        Some(t) => t,
        None => {
            errors.push(PlanError::new(f.span, format!("unknown type `{name}`")));
            ColumnType::Number
        }
    };
    let params = f.params.iter().map(|p| ty(p)).collect();
    let ret = ty(&f.ret);
    plan.functors.push(UserFunctor {
        name: f.name.clone(),
        params,
        ret,
        span: f.span,
        origin,
        function: None,
    });
}

impl RuleCx<'_> {
    /// A built-in functor's call, `cat(a, b)`: its arguments typed as the functor takes them.
    pub(super) fn call(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
        want: ColumnType,
    ) -> IrExpr {
        use ColumnType::*;
        let Some(f) = functor(name) else {
            self.err(span, format!("unknown functor `{name}`"));
            return konst(0, want);
        };
        let (arity_ok, arg_types, ty): (bool, Vec<Option<ColumnType>>, ColumnType) = match f {
            Functor::Cat => (!args.is_empty(), vec![Some(Symbol); args.len()], Symbol),
            Functor::Strlen => (args.len() == 1, vec![Some(Symbol)], Number),
            Functor::Lower | Functor::Upper | Functor::Normalize => {
                (args.len() == 1, vec![Some(Symbol)], Symbol)
            }
            Functor::Ord => (args.len() == 1, vec![Some(Symbol)], Number),
            Functor::Substr => (
                args.len() == 3,
                vec![Some(Symbol), Some(Number), Some(Number)],
                Symbol,
            ),
            Functor::ToString => (args.len() == 1, vec![None], Symbol),
            Functor::ToNumber => (args.len() == 1, vec![None], Number),
            Functor::ToUnsigned => (args.len() == 1, vec![None], Unsigned),
            Functor::ToFloat => (args.len() == 1, vec![None], Float),
            Functor::Min | Functor::Max => {
                let t = args.iter().find_map(|a| self.natural(a)).unwrap_or(want);
                (!args.is_empty(), vec![Some(t); args.len()], t)
            }
            Functor::Now => {
                self.plan.uses_time = true;
                (args.is_empty(), Vec::new(), Number)
            }
            Functor::Skolem => (!args.is_empty(), vec![None; args.len()], Symbol),
            Functor::Range => return self.range(args, span, want),
            Functor::AutoInc => (args.is_empty(), Vec::new(), Number),
            // Made by the planner from `[a, b]` and `@f(...)`, never named.
            Functor::Record | Functor::Field(_) | Functor::User(_) => (false, Vec::new(), want),
        };
        if !arity_ok {
            self.err(span, format!("wrong number of arguments to `{name}`"));
            return konst(0, ty);
        }
        let mut lowered = Vec::new();
        for (a, t) in args.iter().zip(arg_types) {
            let t = t.or_else(|| self.natural(a));
            let x = self.expr(a, t);
            if let Some(t) = t {
                self.expect_type(&x, t, a.span);
            }
            lowered.push(x);
        }
        IrExpr {
            kind: IrExprKind::Call(f, lowered),
            ty,
        }
    }

    /// `@name(args)`: the declared functor called on its arguments, typed by its declaration.
    pub(super) fn user_call(
        &mut self,
        name: &str,
        args: &[ast::Expr],
        span: ast::Span,
        want: ColumnType,
    ) -> IrExpr {
        let Some(i) = self.plan.functors.iter().position(|f| f.name == name) else {
            self.err(
                span,
                format!("unknown functor `@{name}`: declare it with `.functor {name}(...): type`"),
            );
            return konst(0, want);
        };
        let f = self.plan.functors[i].clone();
        if args.len() != f.params.len() {
            self.err(
                span,
                format!(
                    "`@{name}` takes {} argument{}, given {}",
                    f.params.len(),
                    if f.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            );
            return konst(0, f.ret);
        }
        let lowered = (args.iter().zip(&f.params))
            .map(|(a, &t)| {
                let x = self.expr(a, Some(t));
                self.expect_type(&x, t, a.span);
                x
            })
            .collect();
        IrExpr {
            kind: IrExprKind::Call(Functor::User(i), lowered),
            ty: f.ret,
        }
    }

    /// The type `@name(...)` gives, if `name` is declared.
    pub(super) fn user_type(&self, name: &str) -> Option<ColumnType> {
        (self.plan.functors.iter())
            .find(|f| f.name == name)
            .map(|f| f.ret)
    }
}

pub(super) fn functor(name: &str) -> Option<Functor> {
    Some(match name {
        "cat" => Functor::Cat,
        "strlen" => Functor::Strlen,
        "substr" => Functor::Substr,
        "ord" => Functor::Ord,
        "to_string" => Functor::ToString,
        "to_number" | "ftoi" | "utoi" => Functor::ToNumber,
        "to_unsigned" | "itou" | "ftou" => Functor::ToUnsigned,
        "to_float" | "itof" | "utof" => Functor::ToFloat,
        "min" => Functor::Min,
        "range" => Functor::Range,
        "autoinc" => Functor::AutoInc,
        "max" => Functor::Max,
        "lower" => Functor::Lower,
        "upper" => Functor::Upper,
        "normalize" => Functor::Normalize,
        "now" => Functor::Now,
        "sk" => Functor::Skolem,
        _ => return None,
    })
}
