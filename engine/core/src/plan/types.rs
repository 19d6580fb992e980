//! Soufflé's type declarations reduced to the four base column types.

use super::PlanError;
use crate::value::ColumnType;
use engram_parser::{Item, Program, Span, TypeDef};
use std::collections::HashMap;

/// Maps every declared type name to its base column type.
pub(crate) struct TypeTable {
    defs: HashMap<String, (TypeDef, Span)>,
}

impl TypeTable {
    /// Collects the `.type` declarations, reporting duplicates and unresolvable ones.
    pub(crate) fn build(program: &Program, errors: &mut Vec<PlanError>) -> Self {
        let mut defs = HashMap::new();
        for item in &program.items {
            if let Item::Type(t) = item
                && defs
                    .insert(t.name.clone(), (t.def.clone(), t.span))
                    .is_some()
            {
                errors.push(PlanError::new(
                    t.span,
                    format!("type `{}` is declared twice", t.name),
                ));
            }
        }
        let table = TypeTable { defs };
        for (name, (_, span)) in &table.defs {
            if table.base(name).is_none() {
                errors.push(PlanError::new(
                    *span,
                    format!("type `{name}` does not resolve to symbol, number, unsigned or float"),
                ));
            }
        }
        table
    }

    /// The base type of a type name, if it resolves.
    pub(crate) fn base(&self, name: &str) -> Option<ColumnType> {
        self.base_depth(name, 0)
    }

    fn base_depth(&self, name: &str, depth: usize) -> Option<ColumnType> {
        match name {
            "symbol" => return Some(ColumnType::Symbol),
            "number" => return Some(ColumnType::Number),
            "unsigned" => return Some(ColumnType::Unsigned),
            "float" => return Some(ColumnType::Float),
            _ => {}
        }
        if depth > 64 {
            return None;
        }
        match &self.defs.get(name)?.0 {
            TypeDef::Subtype(base) => self.base_depth(base, depth + 1),
            TypeDef::Union(members) => {
                let mut bases = members.iter().map(|m| self.base_depth(m, depth + 1));
                let first = bases.next()??;
                bases.all(|b| b == Some(first)).then_some(first)
            }
        }
    }
}
