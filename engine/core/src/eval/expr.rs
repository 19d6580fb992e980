//! Expressions, functors, comparisons and the ops (assignments and checks) that run on a binding.

use super::Rows;
use super::completed::{self, Caches};
use crate::plan::ir::*;
use crate::plan::order::Op;
use crate::value::{
    self, ColumnType, Interner, Value, dec_float, dec_number, enc_float, enc_number,
};
use engram_parser::{AggFunc, BinaryOp, CmpOp, UnaryOp};
use std::cmp::Ordering;

/// What expressions and ops need besides the binding.
pub struct Cx<'a> {
    /// Symbols (functors such as `cat` intern new ones).
    pub interner: &'a mut Interner,
    /// Completed relations by id (`None` while a relation is not complete).
    pub done: &'a [Option<Rows>],
    /// Indexes, compiled nested plans and regexes built so far.
    pub caches: &'a mut Caches,
    /// While a store maintains a commit: its tables, which negations and aggregates read
    /// instead of `done`.
    pub tables: Option<&'a dyn Lookup>,
    /// Set by a solution callback to end the solve that called it (a bounded count that
    /// reached its limit); the solve clears it as it returns.
    pub stop: bool,
    /// Whether symbols compare by their texts rather than by a ranking of every symbol: for
    /// a few comparisons (maintaining a commit, explaining a fact), where ranking a store's
    /// every string would cost more than all of them.
    pub few: bool,
}

/// Compares two values of one type by their meaning (symbols as [`Cx::few`] says).
fn order(cx: &Cx<'_>, ty: ColumnType, a: u64, b: u64) -> Ordering {
    match cx.few {
        true => value::compare_unranked(ty, a, b, cx.interner),
        false => value::compare(ty, a, b, cx.interner),
    }
}

/// Relations that negations and aggregates read from somewhere other than the completed
/// rows: a store's tables while incremental maintenance runs (`incremental::solve::TableCx`).
/// Evaluation names no store: the tables come in through this.
pub trait Lookup {
    /// Whether relation `rel` holds a fact with these column values.
    fn exists(&self, rel: RelId, key: &[(usize, u64)]) -> bool;
    /// Whether relation `rel` holds no fact.
    fn is_empty(&self, rel: RelId) -> bool;
    /// The label of `member`'s class in class relation `class`, if it is a member.
    fn class_label(&self, class: RelId, member: u64) -> Option<u64>;
    /// Solves the body of aggregate `agg` with its outer variables bound in `env`, calling
    /// `on` with each solution.
    fn aggregate(
        &self,
        agg: usize,
        env: &mut [u64],
        cx: &mut Cx<'_>,
        on: &mut dyn FnMut(&[u64], &mut Cx<'_>),
    );
}

impl<'a> Cx<'a> {
    /// A context over completed relations (no store tables).
    pub(crate) fn new(
        interner: &'a mut Interner,
        done: &'a [Option<Rows>],
        caches: &'a mut Caches,
    ) -> Cx<'a> {
        Cx {
            interner,
            done,
            caches,
            tables: None,
            stop: false,
            few: false,
        }
    }

    /// A context over completed relations for a few lookups (explaining a fact): symbols
    /// compare by their texts.
    pub(crate) fn for_lookups(
        interner: &'a mut Interner,
        done: &'a [Option<Rows>],
        caches: &'a mut Caches,
    ) -> Cx<'a> {
        Cx {
            few: true,
            ..Cx::new(interner, done, caches)
        }
    }
}

/// Runs ops in order on `env`; false as soon as one fails.
pub(crate) fn run_ops(ops: &[Op], env: &mut [u64], cx: &mut Cx<'_>) -> bool {
    for op in ops {
        match op {
            Op::Assign(v, e) => match eval(e, env, cx) {
                Some(x) => env[*v] = x,
                None => return false,
            },
            Op::Check(c) => {
                if !check(c, env, cx) {
                    return false;
                }
            }
        }
    }
    true
}

/// Whether a constraint holds for the binding.
pub(crate) fn check(c: &Constraint, env: &mut [u64], cx: &mut Cx<'_>) -> bool {
    match c {
        Constraint::Cmp {
            op, left, right, ..
        } => {
            let (Some(a), Some(b)) = (eval(left, env, cx), eval(right, env, cx)) else {
                return false;
            };
            if left.ty == ColumnType::Float {
                // IEEE comparison, as Soufflé's: `0.0 = -0.0` holds, nothing equals NaN.
                let (x, y) = (dec_float(a), dec_float(b));
                return match op {
                    CmpOp::Eq => x == y,
                    CmpOp::Ne => x != y,
                    CmpOp::Lt => x < y,
                    CmpOp::Le => x <= y,
                    CmpOp::Gt => x > y,
                    CmpOp::Ge => x >= y,
                };
            }
            let ord = order(cx, left.ty, a, b);
            match op {
                CmpOp::Eq => ord == Ordering::Equal,
                CmpOp::Ne => ord != Ordering::Equal,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
            }
        }
        Constraint::Negated {
            rel,
            args,
            classes: true,
            ..
        } => not_in_one_class(*rel, args, env, cx),
        Constraint::Negated { rel, args, .. } => not_held(*rel, args, env, cx),
        Constraint::Text {
            pred,
            pattern,
            text,
            holds,
        } => text_holds(*pred, pattern, text, env, cx) == Some(*holds),
        Constraint::False => false,
    }
}

/// `!e(a, b)` through e's classes: not both members of one class.
fn not_in_one_class(rel: RelId, args: &[Option<IrExpr>], env: &[u64], cx: &mut Cx<'_>) -> bool {
    let mut labels = Vec::with_capacity(2);
    for a in args.iter().flatten() {
        match eval(a, env, cx) {
            Some(v) => labels.push(match cx.tables {
                Some(t) => t.class_label(rel, v),
                None => completed::class_label(rel, v, cx),
            }),
            None => return false,
        }
    }
    match labels.as_slice() {
        [] => match cx.tables {
            Some(t) => t.is_empty(rel),
            None => cx.done[rel].as_ref().is_none_or(|r| r.is_empty()),
        },
        [a] => a.is_none(),
        [a, b] => a.is_none() || a != b,
        _ => unreachable!("an eqrel has two columns"),
    }
}

/// `!r(...)`: no fact of `rel` has the values the arguments give.
fn not_held(rel: RelId, args: &[Option<IrExpr>], env: &[u64], cx: &mut Cx<'_>) -> bool {
    let mut key = Vec::with_capacity(args.len());
    for (col, a) in args.iter().enumerate() {
        if let Some(e) = a {
            match eval(e, env, cx) {
                Some(v) => key.push((col, v)),
                None => return false,
            }
        }
    }
    match cx.tables {
        Some(t) => !t.exists(rel, &key),
        None => !completed::exists(rel, &key, cx),
    }
}

/// Whether `text` contains or matches `pattern`; `None` when either is undefined, or the
/// pattern is not a regular expression (then neither `match` nor `!match` holds: Soufflé's
/// answer).
fn text_holds(
    pred: TextPred,
    pattern: &IrExpr,
    text: &IrExpr,
    env: &[u64],
    cx: &mut Cx<'_>,
) -> Option<bool> {
    let (p, t) = (eval(pattern, env, cx)?, eval(text, env, cx)?);
    Some(match pred {
        TextPred::Contains => {
            let p = cx.interner.resolve_enc(p);
            cx.interner.resolve_enc(t).contains(p)
        }
        TextPred::Match => {
            let text = cx.interner.resolve_enc(t).to_string();
            let pat = cx.interner.resolve_enc(p).to_string();
            cx.caches.regex(p, &pat)?.is_match(&text)
        }
    })
}

/// Evaluates an expression; `None` when undefined (an empty aggregate, division by zero, a
/// failed conversion).
pub(crate) fn eval(e: &IrExpr, env: &[u64], cx: &mut Cx<'_>) -> Option<u64> {
    match &e.kind {
        IrExprKind::Var(v) => Some(env[*v]),
        IrExprKind::Const(c) => Some(*c),
        IrExprKind::Unary(op, a) => {
            let x = eval(a, env, cx)?;
            unary(*op, e.ty, x)
        }
        IrExprKind::Binary(op, a, b) => {
            let x = eval(a, env, cx)?;
            let y = eval(b, env, cx)?;
            binary(*op, a.ty, x, y)
        }
        IrExprKind::Call(f, args) => call(*f, args, e.ty, env, cx),
        IrExprKind::Agg(agg) => aggregate(agg, env, cx),
    }
}

fn unary(op: UnaryOp, ty: ColumnType, x: u64) -> Option<u64> {
    use ColumnType::*;
    Some(match (op, ty) {
        (UnaryOp::Neg, Float) => enc_float(-dec_float(x)),
        (UnaryOp::Neg, _) => x.wrapping_neg(),
        (UnaryOp::BNot, Float) => return None,
        (UnaryOp::BNot, _) => !x,
        (UnaryOp::LNot, Float) => enc_float(if dec_float(x) == 0.0 { 1.0 } else { 0.0 }),
        (UnaryOp::LNot, _) => u64::from(x == 0),
    })
}

fn binary(op: BinaryOp, ty: ColumnType, x: u64, y: u64) -> Option<u64> {
    use BinaryOp::*;
    match ty {
        ColumnType::Float => {
            let (a, b) = (dec_float(x), dec_float(y));
            let r = match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div => a / b,
                Mod => a % b,
                Pow => a.powf(b),
                LAnd => f64::from(u8::from(a != 0.0 && b != 0.0)),
                LOr => f64::from(u8::from(a != 0.0 || b != 0.0)),
                _ => return None,
            };
            Some(enc_float(r))
        }
        ColumnType::Unsigned => Some(match op {
            Add => x.wrapping_add(y),
            Sub => x.wrapping_sub(y),
            Mul => x.wrapping_mul(y),
            Div => x.checked_div(y)?,
            Mod => x.checked_rem(y)?,
            Pow => x.wrapping_pow(y.min(u64::from(u32::MAX)) as u32),
            BAnd => x & y,
            BOr => x | y,
            BXor => x ^ y,
            Shl => x.wrapping_shl(y as u32),
            Shr | ShrU => x.wrapping_shr(y as u32),
            LAnd => u64::from(x != 0 && y != 0),
            LOr => u64::from(x != 0 || y != 0),
        }),
        _ => {
            let (a, b) = (dec_number(x), dec_number(y));
            let r = match op {
                Add => a.wrapping_add(b),
                Sub => a.wrapping_sub(b),
                Mul => a.wrapping_mul(b),
                Div => a.checked_div(b)?,
                Mod => a.checked_rem(b)?,
                Pow => {
                    if b < 0 {
                        0
                    } else {
                        a.wrapping_pow(b.min(i64::from(u32::MAX)) as u32)
                    }
                }
                BAnd => a & b,
                BOr => a | b,
                BXor => a ^ b,
                Shl => a.wrapping_shl(b as u32),
                Shr => a.wrapping_shr(b as u32),
                ShrU => ((a as u64).wrapping_shr(b as u32)) as i64,
                LAnd => i64::from(a != 0 && b != 0),
                LOr => i64::from(a != 0 || b != 0),
            };
            Some(enc_number(r))
        }
    }
}

/// `@f(args)`: the function given for user-defined functor `i`, on the arguments' values; its
/// value encoded as `ret`. A function missing, or a value of another type, is recorded in the
/// caches (evaluation stops with it) and gives no value.
fn user_call(
    i: usize,
    args: &[IrExpr],
    vals: &[u64],
    ret: ColumnType,
    cx: &mut Cx<'_>,
) -> Option<u64> {
    // The name is only read for an error: a call clones no more than the function's `Arc`.
    let name = |cx: &Cx<'_>| {
        cx.caches
            .functors
            .get(i)
            .map_or("", |(n, _)| n.as_str())
            .to_string()
    };
    let Some(f) = cx.caches.functors.get(i).and_then(|(_, f)| f.clone()) else {
        let e = format!(
            "`@{}` has no function (`Program::with_functor` gives one)",
            name(cx)
        );
        cx.caches.functor_error.get_or_insert(e);
        return None;
    };
    let values: Vec<Value> = (args.iter().zip(vals))
        .map(|(a, &v)| value::decode(a.ty, v, cx.interner))
        .collect();
    let out = match (f.0)(&values) {
        Ok(out) => out?,
        Err(message) => {
            let e = format!("`@{}` failed: {message}", name(cx));
            cx.caches.functor_error.get_or_insert(e);
            return None;
        }
    };
    let encoded = value::encode(ret, &out, cx.interner);
    if encoded.is_none() {
        let e = format!(
            "`@{}` gave {out:?} where its declaration says {ret}",
            name(cx)
        );
        cx.caches.functor_error.get_or_insert(e);
    }
    encoded
}

fn call(f: Functor, args: &[IrExpr], ret: ColumnType, env: &[u64], cx: &mut Cx<'_>) -> Option<u64> {
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(eval(a, env, cx)?);
    }
    let text = |cx: &Cx<'_>, i: usize| cx.interner.resolve_enc(vals[i]).to_string();
    match f {
        // Evaluation fixes `now()` before it starts (`Plan::fix_now`); unfixed, it has no
        // value.
        Functor::Now => None,
        // Several values: run by `range::Bindings` as an assignment's generator, never here.
        Functor::Range => None,
        Functor::Record => Some(cx.interner.records_mut().intern(&vals)),
        Functor::Field(i) => cx.interner.records().fields(vals[0])?.get(i).copied(),
        Functor::AutoInc => {
            let n = cx.caches.counter;
            cx.caches.counter += 1;
            Some(enc_number(n))
        }
        Functor::Skolem => {
            let text = skolem(args, &vals, cx.interner);
            Some(cx.interner.enc(&text))
        }
        Functor::Cat => {
            let mut s = String::new();
            for &v in &vals {
                s.push_str(cx.interner.resolve_enc(v));
            }
            Some(cx.interner.enc(&s))
        }
        Functor::Strlen => Some(enc_number(cx.interner.resolve_enc(vals[0]).len() as i64)),
        Functor::Lower | Functor::Upper | Functor::Normalize => {
            let s = text(cx, 0);
            let out: String = match f {
                Functor::Lower => s.to_lowercase(),
                Functor::Upper => s.to_uppercase(),
                _ => s
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .flat_map(char::to_lowercase)
                    .collect(),
            };
            Some(cx.interner.enc(&out))
        }
        Functor::Ord => Some(enc_number(vals[0] as i64)),
        Functor::Substr => {
            let s = text(cx, 0);
            let start = usize::try_from(dec_number(vals[1])).ok()?;
            let len = usize::try_from(dec_number(vals[2])).unwrap_or(0);
            let sub = s.get(start..).map_or("", |rest| {
                let end = len.min(rest.len());
                rest.get(..end).unwrap_or(rest)
            });
            let sub = sub.to_string();
            Some(cx.interner.enc(&sub))
        }
        Functor::ToString => {
            let s = match args[0].ty {
                // C++'s `std::to_string`, which Soufflé calls: six decimals.
                ColumnType::Float if dec_float(vals[0]).is_finite() => {
                    format!("{:.6}", dec_float(vals[0]))
                }
                ty => value::render(ty, vals[0], cx.interner),
            };
            Some(cx.interner.enc(&s))
        }
        Functor::ToNumber => match args[0].ty {
            // Soufflé's reading: decimal, `0x` hexadecimal, `0b` binary, with a sign.
            ColumnType::Symbol => engram_parser::parse_int(text(cx, 0).trim()).map(enc_number),
            ColumnType::Float => Some(enc_number(dec_float(vals[0]) as i64)),
            _ => Some(vals[0]),
        },
        Functor::ToUnsigned => match args[0].ty {
            ColumnType::Symbol => engram_parser::parse_uint(text(cx, 0).trim()),
            ColumnType::Float => Some(dec_float(vals[0]) as u64),
            _ => Some(vals[0]),
        },
        Functor::ToFloat => match args[0].ty {
            ColumnType::Symbol => text(cx, 0).trim().parse::<f64>().ok().map(enc_float),
            ColumnType::Number => Some(enc_float(dec_number(vals[0]) as f64)),
            ColumnType::Unsigned => Some(enc_float(vals[0] as f64)),
            ColumnType::Float => Some(vals[0]),
            ColumnType::Record(_) => None,
        },
        Functor::User(i) => user_call(i, args, &vals, ret, cx),
        Functor::Min | Functor::Max => {
            let ty = args[0].ty;
            let mut best = vals[0];
            for &v in &vals[1..] {
                let ord = order(cx, ty, v, best);
                if (f == Functor::Min && ord == Ordering::Less)
                    || (f == Functor::Max && ord == Ordering::Greater)
                {
                    best = v;
                }
            }
            Some(best)
        }
    }
}

/// Evaluates an aggregate over the completed relations its body reads: once per group (the
/// values of its outer variables), however many bindings of the rule reach it.
fn aggregate(agg: &IrAggregate, env: &[u64], cx: &mut Cx<'_>) -> Option<u64> {
    if let Some(result) = cx
        .caches
        .aggregate(agg.id, agg.outer.iter().map(|&v| env[v]))
    {
        return result;
    }
    let group = cx.caches.take_group();
    let result = aggregate_group(agg, env, cx);
    cx.caches.remember_aggregate(group, result);
    result
}

fn aggregate_group(agg: &IrAggregate, env: &[u64], cx: &mut Cx<'_>) -> Option<u64> {
    let mut scratch = env.to_vec();
    let ty = agg
        .target
        .as_ref()
        .map(|t| t.ty)
        .unwrap_or(ColumnType::Number);
    let mut count: i64 = 0;
    let mut acc_i: i64 = 0;
    let mut acc_u: u64 = 0;
    let mut acc_f: f64 = 0.0;
    let mut best: Option<u64> = None;
    let mut failed = false;
    let limit = agg.limit.unwrap_or(i64::MAX);
    // Bindings of the aggregate's variables seen, when only distinct ones count.
    let mut seen: rustc_hash::FxHashSet<Vec<u64>> = Default::default();
    let mut on = |env: &[u64], cx: &mut Cx<'_>| {
        if let Some(vars) = &agg.distinct
            && !seen.insert(vars.iter().map(|&v| env[v]).collect())
        {
            return;
        }
        count += 1;
        if count >= limit {
            cx.stop = true;
        }
        let Some(t) = &agg.target else {
            return;
        };
        let Some(v) = eval(t, env, cx) else {
            failed = true;
            return;
        };
        match agg.func {
            AggFunc::Sum | AggFunc::Mean => match ty {
                ColumnType::Float => acc_f += dec_float(v),
                ColumnType::Unsigned => acc_u = acc_u.wrapping_add(v),
                _ => acc_i = acc_i.wrapping_add(dec_number(v)),
            },
            AggFunc::Min | AggFunc::Max => {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let ord = order(cx, ty, v, b);
                        let better = if agg.func == AggFunc::Min {
                            ord == Ordering::Less
                        } else {
                            ord == Ordering::Greater
                        };
                        if better { v } else { b }
                    }
                })
            }
            AggFunc::Count => {}
        }
    };
    match cx.tables {
        Some(t) => t.aggregate(agg.id, &mut scratch, cx, &mut |env, cx| on(env, cx)),
        None => {
            let compiled = cx.caches.nested_for(agg, env.len());
            completed::solve(&compiled, &mut scratch, cx, &mut |env, _, cx| on(env, cx));
        }
    }
    if failed {
        return None;
    }
    match agg.func {
        AggFunc::Count => Some(enc_number(count)),
        AggFunc::Sum => Some(match ty {
            ColumnType::Float => enc_float(acc_f),
            ColumnType::Unsigned => acc_u,
            _ => enc_number(acc_i),
        }),
        AggFunc::Mean => {
            if count == 0 {
                return None;
            }
            let total = match ty {
                ColumnType::Float => acc_f,
                ColumnType::Unsigned => acc_u as f64,
                _ => acc_i as f64,
            };
            Some(enc_float(total / count as f64))
        }
        AggFunc::Min | AggFunc::Max => best,
    }
}

/// The text of the entity `sk(args...)` names (see [`value::skolem`]).
pub(crate) fn skolem(args: &[IrExpr], vals: &[u64], interner: &crate::value::Interner) -> String {
    let parts: Vec<(ColumnType, String)> = (args.iter().zip(vals))
        .map(|(a, &v)| (a.ty, value::render(a.ty, v, interner)))
        .collect();
    value::skolem(&parts)
}
