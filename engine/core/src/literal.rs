//! Constants as rule and fact text writes them (`"a"`, `-3`, `2.5`, `7u`), read into values of
//! a column's type, and a fact's time after `~`: the one reader of written constants, for the
//! planner, the fact parser and proofs.

use crate::value::{self, Value};

/// What a fact's time may be written as.
pub const TIME_FORMS: &str = "a fact's time is a date in ISO 8601 \
     (\"2026-11-01T10:00:00Z\") or milliseconds since the epoch";

/// A fact's time written after `~`: an ISO 8601 string or unix milliseconds.
pub fn time_constant(kind: &engram_parser::ExprKind) -> Option<i64> {
    match kind {
        engram_parser::ExprKind::Int(ms) => Some(*ms),
        engram_parser::ExprKind::Str(s) => value::parse_time(s),
        _ => None,
    }
}

/// A constant argument as a value of type `ty`.
pub fn constant(kind: &engram_parser::ExprKind, ty: value::ColumnType) -> Option<Value> {
    use engram_parser::{ExprKind as K, UnaryOp};
    use value::ColumnType as T;
    Some(match (kind, ty) {
        (K::Str(s), T::Symbol) => Value::Symbol(s.clone()),
        (K::Int(i), T::Number) => Value::Number(*i),
        (K::Int(i), T::Unsigned) => Value::Unsigned(u64::try_from(*i).ok()?),
        (K::Int(i), T::Float) => Value::Float(*i as f64),
        (K::Unsigned(u), T::Unsigned) => Value::Unsigned(*u),
        (K::Float(x), T::Float) => Value::Float(*x),
        (K::Unary(UnaryOp::Neg, e), T::Number | T::Float) => match constant(&e.kind, ty)? {
            Value::Number(i) => Value::Number(-i),
            Value::Float(x) => Value::Float(-x),
            _ => return None,
        },
        _ => return None,
    })
}

/// [`constant`], records and ADT values included (`[1, "a"]`, `nil`, `$B(2)`), their field
/// types from `records`.
pub fn constant_in(
    kind: &engram_parser::ExprKind,
    ty: value::ColumnType,
    records: &crate::records::Records,
) -> Option<Value> {
    use engram_parser::ExprKind as K;
    let value::ColumnType::Record(t) = ty else {
        return constant(kind, ty);
    };
    let fields = |items: &[engram_parser::Expr], fields: &[crate::records::Field]| {
        (items.len() == fields.len()).then_some(())?;
        (items.iter().zip(fields))
            .map(|(item, f)| constant_in(&item.kind, f.ty, records))
            .collect::<Option<Vec<Value>>>()
    };
    let record = records.get_type(t)?;
    match kind {
        K::Nil => Some(Value::Nil),
        K::Record(items) => Some(Value::Record(fields(items, record.fields())?)),
        K::Branch(name, items) => {
            let (_, branch) = record.branch(name)?;
            Some(Value::Branch(name.clone(), fields(items, branch)?))
        }
        _ => None,
    }
}
