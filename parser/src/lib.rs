//! engram-parser: parses engram's Datalog dialect (Soufflé's core plus engram's additions) into a
//! syntax tree with spans. It knows nothing of the engine.
//!
//! ```
//! let program = engram_parser::parse("path(x, y) :- edge(x, y).", "example.dl").unwrap();
//! assert_eq!(program.items.len(), 1);
//! ```
#![warn(missing_docs)]

pub mod ast;
mod components;
mod error;
mod lower;
mod preprocess;
mod rename;

pub use ast::*;
pub use error::{Diagnostic, LineIndex, ParseError, ParseErrors, line_col, render_diagnostic};
pub use preprocess::{Chunk, IncludeResolver, has_directives, preprocess};

/// Parses a whole source text; `file` names it in error messages.
///
/// Returns every syntax error of the file, not only the first.
pub fn parse(src: &str, file: &str) -> Result<Program, ParseErrors> {
    let (program, errors) = parse_lenient(src);
    if errors.is_empty() {
        Ok(program)
    } else {
        Err(ParseErrors {
            file: file.to_string(),
            source_text: src.to_string(),
            errors,
        })
    }
}

/// Parses one file of a program on its own, after the preprocessor's pass over it alone (a
/// file it `#include`s reads as empty, macros it defines are expanded): for a tool that looks
/// at one rule file's statements. Returns the statements and the text their spans point into
/// (the preprocessed text, whose lines are the file's own).
pub fn parse_file_alone(src: &str, file: &str) -> Result<(Program, String), ParseErrors> {
    if !has_directives(src) {
        return Ok((parse(src, file)?, src.to_string()));
    }
    let mut empty = |_: &str, path: &str| Some((format!("\u{1}{path}"), String::new()));
    let mut text = String::new();
    for chunk in preprocess(file, src, &[], &mut empty)? {
        if chunk.file == file {
            let at = text.matches('\n').count() + 1;
            text.push_str(&"\n".repeat(chunk.line.saturating_sub(at)));
            text.push_str(&chunk.text);
        }
    }
    Ok((parse(&text, file)?, text))
}

/// A number as Soufflé reads one (in a program, a fact file, or `to_number`): decimal, or
/// hexadecimal after `0x`, or binary after `0b`, either with a leading `-`; `None` if it is
/// not one. Hexadecimal and binary take 64 bits and wrap (`0xffffffffffffffff` is -1).
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) if rest.starts_with("0x") || rest.starts_with("0b") => (true, rest),
        _ => (false, text),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()? as i64
    } else if let Some(bin) = digits.strip_prefix("0b") {
        u64::from_str_radix(bin, 2).ok()? as i64
    } else {
        return text.parse().ok();
    };
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// An unsigned number as Soufflé reads one: decimal, or hexadecimal after `0x`, or binary
/// after `0b`; `None` if it is not one.
pub fn parse_uint(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = text.strip_prefix("0b") {
        u64::from_str_radix(bin, 2).ok()
    } else {
        text.parse().ok()
    }
}

/// Whether `name` can name a relation: identifiers (letters, digits, `_`, `?`, not starting
/// with a digit) joined by `.`, as the grammar reads a relation's name.
///
/// ```
/// assert!(engram_parser::is_relation_name("works_at"));
/// assert!(!engram_parser::is_relation_name("a(x). evil(y"));
/// ```
pub fn is_relation_name(name: &str) -> bool {
    lower::is_relation_name(name)
}

/// Parses as much as possible: the statements that parsed, and every error.
pub fn parse_lenient(src: &str) -> (Program, Vec<ParseError>) {
    lower::parse_statements(src)
}
