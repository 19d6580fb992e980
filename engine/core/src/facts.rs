//! Facts written as Datalog (`edge("a", "b") @ 0.8 ~ "2026-11-01T10:00:00Z".`), as `add`
//! and `retract` take them.

use crate::error::Error;
use crate::literal::{TIME_FORMS, constant_in, time_constant};
use crate::value::{ColumnType, Value};
use engram_parser as ast;

/// A fact as written: relation, argument constants (typed once the relation is known), and
/// the confidence after `@` and the time after `~`, if any.
#[derive(Clone, Debug)]
pub struct WrittenFact {
    /// The relation.
    pub relation: String,
    /// The arguments as parsed.
    args: Vec<(ast::ExprKind, String)>,
    /// The confidence written after the fact.
    pub confidence: Option<f64>,
    /// The time written after `~` (unix milliseconds).
    pub time: Option<i64>,
}

fn invalid(relation: &str, message: String) -> Error {
    Error::Value {
        relation: relation.to_string(),
        message,
    }
}

/// Parses one or more facts; the final `.` may be left off.
pub fn parse(text: &str, file: &str) -> Result<Vec<WrittenFact>, Error> {
    let trimmed = text.trim();
    let src = if trimmed.ends_with('.') {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    };
    let program = ast::parse(&src, file)?;
    let mut out = Vec::new();
    for item in &program.items {
        let ast::Item::Clause(c) = item else {
            return Err(invalid(file, "only facts can be added or retracted".into()));
        };
        let written = &src[c.span.start..c.span.end];
        if !c.body.is_empty() || !c.annotations.is_empty() {
            return Err(invalid(
                file,
                format!("`{written}` is a rule; add rules with `engram rules add`"),
            ));
        }
        let confidence = match &c.confidence {
            None => None,
            Some(e) => match &e.kind {
                ast::ExprKind::Float(x) => Some(*x),
                ast::ExprKind::Int(i) => Some(*i as f64),
                _ => {
                    return Err(invalid(
                        file,
                        format!("`{written}`: a confidence is a number in (0, 1]"),
                    ));
                }
            },
        };
        let time = match &c.time {
            None => None,
            Some(t) => Some(
                time_constant(&t.kind)
                    .ok_or_else(|| invalid(file, format!("`{written}`: {}", TIME_FORMS)))?,
            ),
        };
        for head in &c.heads {
            out.push(WrittenFact {
                relation: head.name.clone(),
                args: head
                    .args
                    .iter()
                    .map(|a| (a.kind.clone(), src[a.span.start..a.span.end].to_string()))
                    .collect(),
                confidence,
                time,
            });
        }
    }
    Ok(out)
}

impl WrittenFact {
    /// The column types these constants suggest, for a relation not yet declared: a string
    /// is a symbol, an integer a number, a `u`-suffixed integer unsigned, a decimal a float.
    pub fn inferred_types(&self) -> Result<Vec<ColumnType>, Error> {
        self.args
            .iter()
            .map(|(kind, text)| {
                Ok(match kind {
                    ast::ExprKind::Str(_) => ColumnType::Symbol,
                    ast::ExprKind::Int(_) => ColumnType::Number,
                    ast::ExprKind::Unsigned(_) => ColumnType::Unsigned,
                    ast::ExprKind::Float(_) => ColumnType::Float,
                    ast::ExprKind::Unary(ast::UnaryOp::Neg, e)
                        if matches!(e.kind, ast::ExprKind::Int(_)) =>
                    {
                        ColumnType::Number
                    }
                    ast::ExprKind::Unary(ast::UnaryOp::Neg, e)
                        if matches!(e.kind, ast::ExprKind::Float(_)) =>
                    {
                        ColumnType::Float
                    }
                    _ => {
                        return Err(invalid(
                            &self.relation,
                            format!("`{text}` is not a constant"),
                        ));
                    }
                })
            })
            .collect()
    }

    /// The values, typed by the relation's columns (a record column's fields by the types
    /// of `records`).
    pub fn values(
        &self,
        types: &[ColumnType],
        records: &crate::records::Records,
    ) -> Result<Vec<Value>, Error> {
        if types.len() != self.args.len() {
            return Err(invalid(
                &self.relation,
                format!("{} values given, {} expected", self.args.len(), types.len()),
            ));
        }
        self.args
            .iter()
            .zip(types)
            .map(|((kind, text), ty)| {
                constant_in(kind, *ty, records).ok_or_else(|| {
                    let ty = records.type_name(*ty);
                    invalid(&self.relation, format!("`{text}` is not a {ty} constant"))
                })
            })
            .collect()
    }
}
