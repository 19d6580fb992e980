//! Programs made of several texts: a file and the files it includes (`.include "types.dl"`),
//! or a store's rule files. They are planned as one program; every error and every unnamed
//! rule's origin names the file and line it is written in.
//!
//! An included file is read once however often it is named, before the file that names it,
//! so files can share declarations by including one schema. Two files may also declare the same
//! relation identically (the copies are dropped); a differing declaration is an error.

use crate::error::{Error, PlanErrors};
use crate::plan::{self, PlanError, ir::Plan};
use crate::value::Interner;
use engram_parser as ast;

/// One text of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Its name in messages and rule origins: a path, a store's rule file name, or a file of
    /// the built-in library.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The name planning gives the combined text; origins written against it are mapped back to
/// the file they are in.
const COMBINED: &str = "\u{1}program";

/// The roots and every file they include, each once, an included file before the first file
/// that includes it. `resolve(includer, path)` finds the file `path` names.
pub fn gather(
    roots: Vec<Source>,
    resolve: &mut dyn FnMut(&Source, &str) -> Option<Source>,
) -> Result<Vec<Source>, Error> {
    let mut out: Vec<Source> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for root in roots {
        visit(root, resolve, &mut seen, &mut out)?;
    }
    Ok(out)
}

fn visit(
    source: Source,
    resolve: &mut dyn FnMut(&Source, &str) -> Option<Source>,
    seen: &mut Vec<String>,
    out: &mut Vec<Source>,
) -> Result<(), Error> {
    if seen.contains(&source.name) {
        return Ok(());
    }
    // Marked before its includes are read, so that a cycle of includes ends.
    seen.push(source.name.clone());
    if !source.text.contains(".include") {
        // Nothing to read: the whole program is parsed (and its errors reported) once, below.
        out.push(source);
        return Ok(());
    }
    let parsed = ast::parse(&source.text, &source.name)?;
    for item in &parsed.items {
        let ast::Item::Include(inc) = item else {
            continue;
        };
        match resolve(&source, &inc.path) {
            Some(found) => visit(found, resolve, seen, out)?,
            None => {
                let message = format!(
                    "cannot find `{}` to include (looked beside this file and in engram's \
                     rule library)",
                    inc.path
                );
                let errors = vec![PlanError::new(inc.span, message)];
                return Err(PlanErrors::of_file(&source.name, &source.text, errors).into());
            }
        }
    }
    out.push(source);
    Ok(())
}

/// Plans the sources as one program, with `extra` (declarations the caller adds, as syntax
/// trees: nothing the caller holds is ever written into program text) after them for each
/// relation the sources do not declare themselves, interning the program's symbols after
/// those already in `interner`. The combined text is parsed once.
pub fn compile(
    sources: &[Source],
    extra: Vec<ast::Decl>,
    interner: Interner,
) -> Result<Plan, Error> {
    let mut combined = String::new();
    let mut pieces = Vec::new();
    for s in sources {
        pieces.push((s.name.clone(), combined.len()));
        combined.push_str(&s.text);
        combined.push('\n');
    }
    let mut program = match ast::parse(&combined, COMBINED) {
        Ok(program) => program,
        Err(combined_errors) => {
            // Errors name the file they are in: found again file by file (a file without an
            // include was not parsed on its own yet).
            for s in sources {
                ast::parse(&s.text, &s.name)?;
            }
            let errors = (combined_errors.errors.into_iter())
                .map(|e| PlanError::new(e.span, e.message))
                .collect();
            return Err(PlanErrors {
                file: sources.first().map_or("<empty>", |s| &s.name).to_string(),
                source_text: combined,
                errors,
                pieces,
            }
            .into());
        }
    };
    crate::namespace::separate(&mut program, &pieces, &combined);
    let declared: std::collections::HashSet<&str> = (program.items.iter())
        .filter_map(|item| match item {
            ast::Item::Decl(d) => Some(d.name.as_str()),
            _ => None,
        })
        .collect();
    let extra: Vec<ast::Decl> = (extra.into_iter())
        .filter(|d| !declared.contains(d.name.as_str()))
        .collect();
    program.items.extend(extra.into_iter().map(ast::Item::Decl));
    program
        .items
        .retain(|item| !matches!(item, ast::Item::Include(_)));
    dedup_declarations(&mut program);
    let first = sources.first().map_or("<empty>", |s| s.name.as_str());
    let mut plan =
        plan::plan_seeded(&program, COMBINED, &combined, interner).map_err(|errors| {
            PlanErrors {
                file: first.to_string(),
                source_text: combined.clone(),
                errors,
                pieces: pieces.clone(),
            }
        })?;
    // What is known by where it is written (an unnamed rule or constraint) names its own file.
    let lines = ast::LineIndex::new(&combined);
    let locate = |origin: &str| -> Option<String> {
        let at = origin.strip_prefix(COMBINED)?.strip_prefix(':')?;
        let line: usize = at.parse().ok()?;
        let start = lines.line_start(line)?;
        let i = pieces.iter().rposition(|p| p.1 <= start)?;
        let (name, piece_start) = &pieces[i];
        let (first, _) = lines.line_col(*piece_start);
        Some(format!("{name}:{}", line - first + 1))
    };
    for rule in &mut plan.rules {
        if let Some(o) = locate(&rule.origin) {
            rule.origin = o;
        }
    }
    for decl in &mut plan.relations {
        if let Some(o) = decl.constraint.as_deref().and_then(locate) {
            decl.constraint = Some(o);
        }
    }
    Ok(plan)
}

/// A path without `.` components and with `dir/..` pairs removed, as text: the name one file
/// has however it is reached.
pub(crate) fn clean_path(path: &std::path::Path) -> String {
    use std::path::Component;
    let mut parts: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts
        .iter()
        .collect::<std::path::PathBuf>()
        .display()
        .to_string()
}

/// Drops a declaration identical to an earlier one (two files may both declare a relation
/// they share); a differing redeclaration stays, for the planner to report.
fn dedup_declarations(program: &mut ast::Program) {
    let mut seen: std::collections::HashMap<String, Vec<ast::Decl>> = Default::default();
    program.items.retain(|item| {
        let ast::Item::Decl(d) = item else {
            return true;
        };
        let same = |e: &ast::Decl| crate::namespace::same_declaration(e, d);
        let earlier = seen.entry(d.name.clone()).or_default();
        if earlier.iter().any(same) {
            return false;
        }
        earlier.push(d.clone());
        true
    });
}
