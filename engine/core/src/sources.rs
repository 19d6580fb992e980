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

/// A run of lines of one file of a program, as planned: a whole file, or (in a file the C
/// preprocessor has read) the lines between two `#include`s, macros expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The file's name, as [`Source::name`].
    pub name: String,
    /// The line of the file the text starts at (1-based).
    pub line: usize,
    /// The text.
    pub text: String,
}

/// Where a piece's text is in the combined text of a program: its file's name, its offset, and
/// the line of its file it starts at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placement {
    pub name: String,
    pub start: usize,
    pub line: usize,
}

/// The name planning gives the combined text; origins written against it are mapped back to
/// the file they are in.
const COMBINED: &str = "\u{1}program";

/// The roots and every file they include, each once, an included file before the first file
/// that includes it. `resolve(includer, path)` finds the file `path` names. A file with C
/// preprocessor directives (`#include`, `#define`, `#if`), or every file when `defines` are
/// given (macros defined as if by `#define name value`), is preprocessed first.
pub fn gather(
    roots: Vec<Source>,
    resolve: &mut dyn FnMut(&Source, &str) -> Option<Source>,
    defines: &[(String, String)],
) -> Result<Vec<Piece>, Error> {
    let mut out: Vec<Piece> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for root in roots {
        visit(root, resolve, defines, &mut seen, &mut out)?;
    }
    Ok(out)
}

fn visit(
    source: Source,
    resolve: &mut dyn FnMut(&Source, &str) -> Option<Source>,
    defines: &[(String, String)],
    seen: &mut Vec<String>,
    out: &mut Vec<Piece>,
) -> Result<(), Error> {
    if seen.contains(&source.name) {
        return Ok(());
    }
    // Marked before its includes are read, so that a cycle of includes ends.
    seen.push(source.name.clone());
    let pieces = if ast::has_directives(&source.text) || !defines.is_empty() {
        let mut include = |from: &str, path: &str| {
            let from = Source {
                name: from.to_string(),
                text: String::new(),
            };
            resolve(&from, path).map(|found| (found.name, found.text))
        };
        (ast::preprocess(&source.name, &source.text, defines, &mut include)?.into_iter())
            .map(|c| Piece {
                name: c.file,
                line: c.line,
                text: c.text,
            })
            .collect()
    } else {
        vec![Piece {
            name: source.name,
            line: 1,
            text: source.text,
        }]
    };
    for piece in pieces {
        includes(&piece, resolve, defines, seen, out)?;
        out.push(piece);
    }
    Ok(())
}

/// Reads the files `piece` names by `.include`, before it.
fn includes(
    piece: &Piece,
    resolve: &mut dyn FnMut(&Source, &str) -> Option<Source>,
    defines: &[(String, String)],
    seen: &mut Vec<String>,
    out: &mut Vec<Piece>,
) -> Result<(), Error> {
    if !piece.text.contains(".include") {
        // Nothing to read: the whole program is parsed (and its errors reported) once, later.
        return Ok(());
    }
    let parsed = parse_piece(piece)?;
    let from = Source {
        name: piece.name.clone(),
        text: String::new(),
    };
    for item in &parsed.items {
        let ast::Item::Include(inc) = item else {
            continue;
        };
        match resolve(&from, &inc.path) {
            Some(found) => visit(found, resolve, defines, seen, out)?,
            None => {
                let message = format!(
                    "cannot find `{}` to include (looked beside this file and in engram's \
                     rule library)",
                    inc.path
                );
                let errors = vec![PlanError::new(inc.span, message)];
                let (text, _) = placed(piece);
                return Err(PlanErrors::of_file(&piece.name, &text, errors).into());
            }
        }
    }
    Ok(())
}

/// The piece's text placed at its line (blank lines before it), and how many bytes were put
/// before it: what errors in it are reported against, so that they name its file's lines.
fn placed(piece: &Piece) -> (String, usize) {
    let pad = piece.line.saturating_sub(1);
    (format!("{}{}", "\n".repeat(pad), piece.text), pad)
}

/// Parses one piece placed at its line ([`placed`]): errors, and spans, name its file's lines.
fn parse_piece(piece: &Piece) -> Result<ast::Program, ast::ParseErrors> {
    ast::parse(&placed(piece).0, &piece.name)
}

/// Plans the sources as one program, with `extra` (declarations the caller adds, as syntax
/// trees: nothing the caller holds is ever written into program text) after them for each
/// relation the sources do not declare themselves, interning the program's symbols after
/// those already in `interner`. The combined text is parsed once.
pub fn compile(
    sources: &[Piece],
    extra: Vec<ast::Decl>,
    interner: Interner,
) -> Result<Plan, Error> {
    let mut combined = String::new();
    let mut pieces = Vec::new();
    for s in sources {
        pieces.push(Placement {
            name: s.name.clone(),
            start: combined.len(),
            line: s.line,
        });
        combined.push_str(&s.text);
        combined.push('\n');
    }
    let mut program = match ast::parse(&combined, COMBINED) {
        Ok(program) => program,
        Err(combined_errors) => {
            // Errors name the file they are in: found again file by file (a file without an
            // include was not parsed on its own yet).
            for s in sources {
                parse_piece(s)?;
            }
            return Err(placed_errors(
                sources,
                combined,
                pieces,
                combined_errors.errors,
            ));
        }
    };
    if let Err(errors) = program.expand_components() {
        return Err(placed_errors(sources, combined, pieces, errors));
    }
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
        let p = &pieces[pieces.iter().rposition(|p| p.start <= start)?];
        let (first, _) = lines.line_col(p.start);
        Some(format!("{}:{}", p.name, line - first + p.line))
    };
    for rule in plan.rules.iter_mut().chain(&mut plan.subsumptions) {
        if let Some(o) = locate(&rule.origin) {
            rule.origin = o;
        }
    }
    for f in &mut plan.functors {
        if let Some(o) = locate(&f.origin) {
            f.origin = o;
        }
    }
    for decl in &mut plan.relations {
        if let Some(o) = decl.constraint.as_deref().and_then(locate) {
            decl.constraint = Some(o);
        }
    }
    Ok(plan)
}

/// Errors found in the combined text, each placed in the file it is in.
fn placed_errors(
    sources: &[Piece],
    combined: String,
    pieces: Vec<Placement>,
    errors: Vec<ast::ParseError>,
) -> Error {
    let errors = (errors.into_iter())
        .map(|e| PlanError::new(e.span, e.message))
        .collect();
    PlanErrors {
        file: sources.first().map_or("<empty>", |s| &s.name).to_string(),
        source_text: combined,
        errors,
        pieces,
    }
    .into()
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
