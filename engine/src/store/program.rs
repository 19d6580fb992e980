//! A store's program: its rule files together (with the files they include: another rule
//! file of the store by name, else a file of the built-in library), plus a declaration for
//! every relation that holds facts but is declared by no rule file, planned with the store's
//! symbol ids.

use crate::error::Error;
use crate::plan::ir::Plan;
use crate::sources::{self, Source};
use crate::value::{ColumnType, Interner};
use engram_parser as ast;
use std::collections::HashSet;

/// A rule file as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFile {
    /// The name it is listed and removed by (the file's stem when added from a file).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// Plans the rule files together with declarations for the store-only relations. The
/// interner is the store's; the planned program holds it (with the rules' new literals).
pub(crate) fn compile(
    rules: &[RuleFile],
    store_relations: &[(String, Vec<(String, ColumnType)>)],
    interner: Interner,
) -> Result<Plan, Error> {
    let roots = rules
        .iter()
        .map(|r| Source {
            name: r.name.clone(),
            text: r.text.clone(),
        })
        .collect();
    // `.include "types.dl"` names the store's rule file `types`, else the library's file.
    let mut resolve = |_: &Source, path: &str| {
        let stem = std::path::Path::new(path).file_stem()?.to_str()?;
        match rules.iter().find(|r| r.name == stem) {
            Some(r) => Some(Source {
                name: r.name.clone(),
                text: r.text.clone(),
            }),
            None => crate::library::source(path),
        }
    };
    let sources = sources::gather(roots, &mut resolve)?;
    let mut declared = HashSet::new();
    for s in &sources {
        for item in &ast::parse(&s.text, &s.name)?.items {
            if let ast::Item::Decl(d) = item {
                declared.insert(d.name.clone());
            }
        }
    }
    // Declared as syntax trees, never as text: a relation's name and columns come from data.
    let extra = store_relations
        .iter()
        // `@` marks the planner's own relations (an eqrel's classes): planning makes them.
        .filter(|(name, _)| !declared.contains(name) && !name.contains('@'))
        .map(|(name, columns)| ast::Decl {
            name: name.clone(),
            attributes: (columns.iter())
                .map(|(c, t)| ast::Attribute {
                    name: c.clone(),
                    ty: t.to_string(),
                    span: ast::Span::default(),
                })
                .collect(),
            qualifiers: Vec::new(),
            combine: None,
            functional: None,
            span: ast::Span::default(),
        })
        .collect();
    sources::compile(&sources, extra, interner)
}
