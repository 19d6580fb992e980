//! Namespaces of rule files: a file of one's own may declare a relation the rule library
//! declares differently (its own two-column `edge` beside the memory model's three-column
//! one), and both work.
//!
//! The library's files (engram's standard rules, `rules/*.dl`) form the namespace `memory`;
//! their relations keep their plain names, which stores and tools know them by. When another
//! file declares a relation of the library's name with other columns, that relation is the
//! file's own: within the file (its declaration, rules, facts, directives) the name means it,
//! and everywhere else it is `<file>.<name>` (`graph.edge` for the rule file `graph`). A file
//! reads the library's relation by its qualified name, `memory.edge`, whatever it declares. A
//! declaration the same as the library's (same columns, types and qualifiers) shares the
//! library's relation, as two files that declare one relation alike always have.

use crate::library;
use crate::sources::Placement;
use engram_parser as ast;
use std::collections::{HashMap, HashSet};

/// The namespace the library's relations are known by in a qualified name.
pub const LIBRARY: &str = "memory";

/// Gives each file's own relations their qualified names (see the module's documentation).
/// `pieces` are the files of the combined program, by name and the offset where each starts
/// (a file may be in several pieces).
pub(crate) fn separate(program: &mut ast::Program, pieces: &[Placement], text: &str) {
    let piece_of = |start: usize| pieces.iter().rposition(|p| p.start <= start).unwrap_or(0);
    let library_piece: Vec<bool> = pieces.iter().map(|p| is_library(&p.name)).collect();
    let mut library_decls: HashMap<&str, Vec<&ast::Decl>> = HashMap::new();
    for item in &program.items {
        if let ast::Item::Decl(d) = item
            && library_piece[piece_of(d.span.start)]
        {
            library_decls.entry(&d.name).or_default().push(d);
        }
    }
    if library_decls.is_empty() {
        return;
    }
    // Per file that is not the library's: the library's names it declares otherwise.
    let mut own: HashMap<&str, HashSet<String>> = HashMap::new();
    for item in &program.items {
        if let ast::Item::Decl(d) = item
            && let i = piece_of(d.span.start)
            && !library_piece[i]
            && let Some(theirs) = library_decls.get(d.name.as_str())
            && !theirs.iter().any(|t| same_declaration(t, d))
        {
            own.entry(&pieces[i].name)
                .or_default()
                .insert(d.name.clone());
        }
    }
    let qualified = format!("{LIBRARY}.");
    if own.is_empty() && !text.contains(&qualified) {
        return;
    }
    let library_names: HashSet<String> = library_decls.keys().map(|k| k.to_string()).collect();
    for item in &mut program.items {
        let i = piece_of(item_start(item));
        if library_piece[i] {
            continue;
        }
        let prefix = namespace_of(&pieces[i].name);
        let mine = own.get(pieces[i].name.as_str());
        let rename = |name: &mut String| {
            if mine.is_some_and(|m| m.contains(name.as_str())) {
                *name = format!("{prefix}.{name}");
            } else if let Some(plain) = name.strip_prefix(&qualified)
                && library_names.contains(plain)
            {
                *name = plain.to_string();
            }
        };
        item.rename_relations(&rename);
    }
}

/// Whether two declarations declare one relation: the same name, columns of the same types,
/// the same qualifiers, combination and keys.
pub(crate) fn same_declaration(a: &ast::Decl, b: &ast::Decl) -> bool {
    a.name == b.name
        && a.qualifiers == b.qualifiers
        && a.combine.as_ref().map(|c| &c.0) == b.combine.as_ref().map(|c| &c.0)
        && a.functional.as_ref().map(|f| &f.0) == b.functional.as_ref().map(|f| &f.0)
        && a.choice.as_ref().map(|c| &c.0) == b.choice.as_ref().map(|c| &c.0)
        && a.attributes.len() == b.attributes.len()
        && (a.attributes.iter().zip(&b.attributes)).all(|(x, y)| x.ty == y.ty)
}

/// Whether a program's file is one of the library's: a store's standard rule file
/// (`schema`) or a library file a program includes (`rules/schema.dl`).
fn is_library(name: &str) -> bool {
    library::is_standard(name)
        || name
            .strip_prefix("rules/")
            .is_some_and(|f| library::FILES.iter().any(|(n, _)| *n == f))
}

/// The prefix of a file's own relations: its name's stem, as an identifier (`my-rules.dl`
/// gives `my_rules`).
pub fn namespace_of(file: &str) -> String {
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file);
    let mut out: String = stem
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c,
            false => '_',
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

fn item_start(item: &ast::Item) -> usize {
    item.span().start
}
