//! A store's program: its rule files together (with the files they include: another rule
//! file of the store by name, else a file of the built-in library), plus a declaration for
//! every relation that holds facts but is declared by no rule file, planned with the store's
//! symbol ids; and the store's changes of rule files (each re-derives everything).

use super::{CommitReport, Store, StoreError};
use crate::Error;
use crate::error::WriteError;
use engram_core::internal::plan::ir::Plan;
use engram_core::internal::records::Shape;
use engram_core::internal::sources::{self, Source};
use engram_core::internal::value::{ColumnType, Interner};
use engram_parser as ast;
use std::sync::Arc;

/// Plans the rule files together with declarations for the store-only relations. The
/// interner is the store's; the planned program holds it (with the rules' new literals).
pub(crate) fn compile(
    rules: &[Source],
    store_relations: &[(String, Vec<(String, ColumnType)>)],
    interner: Interner,
) -> Result<Plan, Error> {
    let roots = rules.to_vec();
    // `.include "types.dl"` names the store's rule file `types`, else the library's file.
    let mut resolve = |_: &Source, path: &str| {
        let stem = std::path::Path::new(path).file_stem()?.to_str()?;
        match rules.iter().find(|r| r.name == stem) {
            Some(r) => Some(Source {
                name: r.name.clone(),
                text: r.text.clone(),
            }),
            None => engram_core::library::source(path),
        }
    };
    let sources = sources::gather(roots, &mut resolve, &[])?;
    // Declared as syntax trees, never as text: a relation's name and columns come from data.
    // (Compiling adds them only for the relations the rule files do not declare; a record
    // column names its type, which the rule files must still declare.)
    let records = interner.records();
    let extra = store_relations
        .iter()
        // `@` marks the planner's own relations (an eqrel's classes): planning makes them.
        .filter(|(name, _)| !name.contains('@'))
        .map(|(name, columns)| ast::Decl {
            name: name.clone(),
            attributes: (columns.iter())
                .map(|(c, t)| ast::Attribute {
                    name: c.clone(),
                    ty: records.type_name(*t),
                    span: ast::Span::default(),
                })
                .collect(),
            qualifiers: Vec::new(),
            combine: None,
            functional: None,
            choice: None,
            span: ast::Span::default(),
        })
        .collect();
    let plan = sources::compile(&sources, extra, interner)?;
    refuse_limits(&plan)?;
    if let Some(f) = plan.functors.first() {
        return Err(StoreError::Invalid(format!(
            "functor `{}` (`.functor` at {}): a store's rules cannot call user-defined \
             functors (their functions live in the program that embeds engram, not in the store)",
            f.name, f.origin
        ))
        .into());
    }
    Ok(plan)
}

/// `.limitsize` cuts a recursion after the round that reaches a number of facts: which facts
/// those are depends on the rounds of one evaluation, which a store maintaining its facts
/// commit by commit does not have. A program with one is refused by name.
fn refuse_limits(plan: &Plan) -> Result<(), Error> {
    match plan.relations.iter().find(|r| r.limit.is_some()) {
        Some(rel) => Err(StoreError::Invalid(format!(
            "`.limitsize {}`: a store maintains facts commit by commit, not in the rounds of \
             one evaluation that a size limit cuts (`engram run` evaluates such programs)",
            rel.name
        ))
        .into()),
        None => Ok(()),
    }
}

impl Store {
    /// Whether adding rule file `name` would replace one of the standard rules the store
    /// holds ([`engram_core::library::is_standard`]): front ends ask for an explicit flag
    /// before they do (an agent's `add_rule {"name": "schema", "text": ""}` would otherwise
    /// switch off inference without a word).
    pub fn replaces_standard_rules(&self, name: &str) -> bool {
        engram_core::library::is_standard(name) && self.files.rules.iter().any(|r| r.name == name)
    }

    /// Adds (or replaces) a rule file and re-derives everything.
    pub fn add_rules(&mut self, name: &str, text: &str) -> Result<CommitReport, WriteError> {
        self.begin_write()?;
        let mut rules = self.files.rules.clone();
        let file = Source {
            name: name.to_string(),
            text: text.to_string(),
        };
        match rules.iter_mut().find(|r| r.name == name) {
            Some(r) => *r = file,
            None => rules.push(file),
        }
        Ok(self.change_rules(rules)?)
    }

    /// Adds (or replaces) several rule files in one commit, and re-derives everything.
    pub fn add_rule_files(&mut self, files: &[Source]) -> Result<CommitReport, WriteError> {
        self.begin_write()?;
        let mut rules = self.files.rules.clone();
        for file in files {
            match rules.iter_mut().find(|r| r.name == file.name) {
                Some(r) => *r = file.clone(),
                None => rules.push(file.clone()),
            }
        }
        Ok(self.change_rules(rules)?)
    }

    /// Removes a rule file by name and re-derives everything.
    pub fn remove_rules(&mut self, name: &str) -> Result<CommitReport, WriteError> {
        self.begin_write()?;
        let mut rules = self.files.rules.clone();
        let before = rules.len();
        rules.retain(|r| r.name != name);
        if rules.len() == before {
            return Err(StoreError::Invalid(format!("no rule file named `{name}`")).into());
        }
        Ok(self.change_rules(rules)?)
    }

    pub(crate) fn change_rules(&mut self, rules: Vec<Source>) -> Result<CommitReport, Error> {
        self.writer.rules_changed = true;
        let old = std::mem::replace(&mut self.files.rules, rules);
        self.cache.plan = None;
        if let Err(e) = self.plan() {
            self.files.rules = old;
            self.cache.plan = None;
            return Err(e);
        }
        // A failed commit reloads the last committed state, rules included.
        self.commit_changes(Vec::new(), true)
    }
}

impl Store {
    /// The planned program, compiled on first need.
    pub(crate) fn plan(&mut self) -> Result<Arc<Plan>, Error> {
        if let Some(p) = &self.cache.plan {
            return Ok(p.clone());
        }
        self.drop_view();
        let schemas: Vec<(String, Vec<(String, ColumnType)>)> = self
            .files
            .manifest
            .relations
            .iter()
            .map(|r| (r.name.clone(), r.columns.clone()))
            .collect();
        let interner = self.files.strings.interner().clone();
        let mut plan = compile(&self.files.rules, &schemas, interner)?;
        self.files
            .strings
            .set_interner(std::mem::take(&mut plan.interner));
        plan.forget = self
            .files
            .manifest
            .forget
            .iter()
            .map(|p| p.filter())
            .collect();
        if plan.uses_time {
            plan.fix_now(self.now());
        }
        self.check_schemas(&plan)?;
        self.check_record_types()?;
        let plan = Arc::new(plan);
        self.cache.plan = Some(plan.clone());
        Ok(plan)
    }

    /// The record types the store's facts hold must keep their shapes: a rule file that
    /// redefines one (`.type P = [x: number]` where the facts were made as `[x: symbol, y:
    /// number]`) would read the stored records wrongly, so the rules are refused.
    fn check_record_types(&mut self) -> Result<(), Error> {
        let stored = &self.files.manifest.record_types;
        let mut todo: Vec<(u32, &str)> = Vec::new();
        for entry in &self.files.manifest.relations {
            for (_, ty) in &entry.columns {
                if let ColumnType::Record(t) = ty {
                    todo.push((*t, &entry.name));
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        let records = self.files.strings.interner().records();
        while let Some((t, relation)) = todo.pop() {
            if !seen.insert(t) {
                continue;
            }
            let Some(was) = stored.get(t as usize) else {
                return Err(StoreError::Invalid(format!(
                    "relation `{relation}` holds records of type {t}, which the manifest does                      not define"
                ))
                .into());
            };
            if records.get_type(t) != Some(was) {
                return Err(StoreError::Invalid(format!(
                    "the rules define the record type `{}` otherwise than the store's facts                      were made with (relation `{relation}`): a store's record types keep their                      shapes",
                    was.name
                ))
                .into());
            }
            let fields = match &was.shape {
                Shape::Tuple(fields) => fields.iter().collect::<Vec<_>>(),
                Shape::Sum(branches) => branches.iter().flat_map(|b| &b.1).collect(),
            };
            for f in fields {
                if let ColumnType::Record(u) = f.ty {
                    todo.push((u, relation));
                }
            }
        }
        Ok(())
    }

    /// Every relation that holds facts must be declared by the rules as the store holds it.
    pub(crate) fn check_schemas(&self, plan: &Plan) -> Result<(), Error> {
        for (entry, rel) in self.files.manifest.relations.iter().zip(&self.files.rels) {
            let Some(&id) = plan.rel_index.get(&entry.name) else {
                continue;
            };
            let declared = plan.relations[id].types();
            if declared != rel.types {
                let records = self.files.strings.records();
                let show = |t: &[ColumnType]| {
                    t.iter()
                        .map(|&t| records.type_name(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(StoreError::Invalid(format!(
                    "relation `{}` holds facts of types ({}), but the rules declare ({})",
                    entry.name,
                    show(&rel.types),
                    show(&declared)
                ))
                .into());
            }
        }
        Ok(())
    }
}
