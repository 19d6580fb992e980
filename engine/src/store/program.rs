//! A store's program: its rule files together, plus a declaration for every relation that
//! holds facts but is declared by no rule file, planned with the store's symbol ids.

use super::error::StoreError;
use crate::error::Error;
use crate::plan::{self, PlanError, ir::Plan};
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

/// Where each rule file sits in the combined program text.
struct Piece<'a> {
    name: &'a str,
    start: usize,
    text: &'a str,
}

/// Plans the rule files together with declarations for the store-only relations. The
/// interner is the store's; the planned program holds it (with the rules' new literals).
pub(crate) fn compile(
    rules: &[RuleFile],
    store_relations: &[(String, Vec<(String, ColumnType)>)],
    interner: Interner,
) -> Result<Plan, Error> {
    let mut declared = HashSet::new();
    for r in rules {
        let parsed = ast::parse(&r.text, &r.name)?;
        for item in &parsed.items {
            if let ast::Item::Decl(d) = item {
                declared.insert(d.name.clone());
            }
        }
    }
    let mut combined = String::new();
    let mut pieces = Vec::new();
    for r in rules {
        pieces.push(Piece {
            name: &r.name,
            start: combined.len(),
            text: &r.text,
        });
        combined.push_str(&r.text);
        combined.push('\n');
    }
    let synthetic_start = combined.len();
    for (name, columns) in store_relations {
        // `@` marks the planner's own relations (an eqrel's classes): planning makes them.
        if declared.contains(name) || name.contains('@') {
            continue;
        }
        let cols: Vec<String> = columns.iter().map(|(c, t)| format!("{c}: {t}")).collect();
        combined.push_str(&format!(".decl {name}({})\n", cols.join(", ")));
    }
    pieces.push(Piece {
        name: "<store relations>",
        start: synthetic_start,
        text: &combined[synthetic_start..],
    });
    let mut program = ast::parse(&combined, "<rules>")?;
    dedup_declarations(&mut program);
    let mut plan = plan::plan_seeded(&program, "<rules>", &combined, interner)
        .map_err(|errors| StoreError::Invalid(render(&pieces, &errors)))?;
    // A rule without a name is known by where it is written: its own file and line.
    for rule in plan
        .rules
        .iter_mut()
        .filter(|r| r.origin.starts_with("<rules>:"))
    {
        if let Some(piece) = piece_of(&pieces, rule.span.start) {
            let (line, _) = ast::line_col(piece.text, rule.span.start - piece.start);
            rule.origin = format!("{}:{line}", piece.name);
        }
    }
    Ok(plan)
}

/// The rule file a byte of the combined text belongs to.
fn piece_of<'p>(pieces: &'p [Piece<'_>], at: usize) -> Option<&'p Piece<'p>> {
    pieces.iter().rev().find(|p| p.start <= at)
}

/// Drops a declaration identical to an earlier one (two rule files may both declare a
/// relation they share); a differing redeclaration stays, for the planner to report.
fn dedup_declarations(program: &mut ast::Program) {
    let mut seen: Vec<ast::Decl> = Vec::new();
    program.items.retain(|item| {
        let ast::Item::Decl(d) = item else {
            return true;
        };
        let same = |e: &ast::Decl| {
            e.name == d.name
                && e.qualifiers == d.qualifiers
                && e.combine.as_ref().map(|c| &c.0) == d.combine.as_ref().map(|c| &c.0)
                && e.attributes.len() == d.attributes.len()
                && e.attributes
                    .iter()
                    .zip(&d.attributes)
                    .all(|(a, b)| a.ty == b.ty)
        };
        if seen.iter().any(same) {
            return false;
        }
        seen.push(d.clone());
        true
    });
}

/// Renders planning errors against the rule file each falls in.
fn render(pieces: &[Piece<'_>], errors: &[PlanError]) -> String {
    let mut out = Vec::new();
    for e in errors {
        let piece = piece_of(pieces, e.span.start).unwrap_or(&pieces[0]);
        let shift = |x: usize| x.saturating_sub(piece.start).min(piece.text.len());
        let span = ast::Span {
            start: shift(e.span.start),
            end: shift(e.span.end),
        };
        out.push(ast::render_diagnostic(
            piece.name, piece.text, span, &e.message,
        ));
    }
    out.join("\n")
}
