//! Soufflé's type declarations reduced to the base column types: the four primitive ones, and
//! a record type (record or ADT) declared into the interner's record table.

use super::PlanError;
use crate::records::{Field, RecordTypeId, Shape};
use crate::value::{ColumnType, Interner};
use engram_parser::{Attribute, Item, Program, Span, TypeDef};
use std::collections::HashMap;

/// Maps every declared type name to its base column type.
pub(crate) struct TypeTable {
    defs: HashMap<String, (TypeDef, Span)>,
    records: HashMap<String, RecordTypeId>,
}

impl TypeTable {
    /// Collects the `.type` declarations, reporting duplicates and unresolvable ones, and
    /// declares the record and ADT types in `interner`.
    pub(crate) fn build(
        program: &Program,
        interner: &mut Interner,
        errors: &mut Vec<PlanError>,
    ) -> Self {
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
        let mut table = TypeTable {
            defs,
            records: HashMap::new(),
        };
        table.declare_records(program, interner, errors);
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
            TypeDef::Record(_) | TypeDef::Adt(_) => {
                self.records.get(name).copied().map(ColumnType::Record)
            }
            TypeDef::Union(members) => {
                let mut bases = members.iter().map(|m| self.base_depth(m, depth + 1));
                let first = bases.next()??;
                bases.all(|b| b == Some(first)).then_some(first)
            }
        }
    }
}

impl TypeTable {
    /// Declares each record and ADT type (in program order, so ids do not depend on hashing),
    /// then gives each its fields' types; a branch name names one branch of one ADT.
    fn declare_records(
        &mut self,
        program: &Program,
        interner: &mut Interner,
        errors: &mut Vec<PlanError>,
    ) {
        let declared: Vec<(&str, &TypeDef, Span)> = (program.items.iter())
            .filter_map(|item| match item {
                Item::Type(t) if matches!(t.def, TypeDef::Record(_) | TypeDef::Adt(_)) => {
                    Some((t.name.as_str(), &t.def, t.span))
                }
                _ => None,
            })
            .collect();
        for (name, _, _) in &declared {
            let id = interner.records_mut().declare(name);
            self.records.insert(name.to_string(), id);
        }
        let mut branches: HashMap<&str, &str> = HashMap::new();
        for (name, def, span) in declared {
            let shape = match def {
                TypeDef::Record(fields) => Shape::Tuple(self.fields(fields, errors)),
                TypeDef::Adt(bs) => {
                    for b in bs {
                        if let Some(other) = branches.insert(&b.name, name) {
                            errors.push(PlanError::new(
                                span,
                                format!(
                                    "branch `{}` of `{name}` is also a branch of `{other}`",
                                    b.name
                                ),
                            ));
                        }
                    }
                    let bs = bs
                        .iter()
                        .map(|b| (b.name.clone(), self.fields(&b.fields, errors)));
                    Shape::Sum(bs.collect())
                }
                _ => continue,
            };
            interner.records_mut().define(self.records[name], shape);
        }
    }

    fn fields(&self, attributes: &[Attribute], errors: &mut Vec<PlanError>) -> Vec<Field> {
        let mut out = Vec::new();
        for a in attributes {
            let ty = self.base(&a.ty).unwrap_or_else(|| {
                errors.push(PlanError::new(a.span, format!("unknown type `{}`", a.ty)));
                ColumnType::Number
            });
            out.push(Field {
                name: a.name.clone(),
                ty,
            });
        }
        out
    }
}
