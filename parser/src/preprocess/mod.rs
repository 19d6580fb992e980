//! The C preprocessor's pass, which Soufflé runs over every program before reading it:
//! `#include`, `#define` (object- and function-like, with `#`, `##` and `...`), `#undef`,
//! `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif`, `#error`, `#pragma once`.
//!
//! engram does it itself rather than running the system's `cpp`, so that a program means the
//! same on every machine (with or without a C compiler, whichever `cpp` it has) and so that
//! every line of the result is known to come from a file and line: the result is a list of
//! [`Chunk`]s, each a run of one file's lines, and an error anywhere later names the original
//! file and line. A directive's line is left blank, and a macro use that spans lines keeps the
//! line count, so within a chunk every line is where it was.

mod cond;
mod expand;
mod lex;

use crate::ast::Span;
use crate::error::{ParseError, ParseErrors};
use expand::{Failure, Macros, expand, parse_define};
use lex::{Kind, Tok, lex, text_of};

/// A run of lines of one file, after preprocessing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The file the lines are in.
    pub file: String,
    /// The line of that file the chunk starts at (1-based).
    pub line: usize,
    /// The lines, macros expanded and directives blanked.
    pub text: String,
}

/// Finds a file that `#include` names: given the including file's name and the name written,
/// the found file's name and text, or `None`.
pub type IncludeResolver<'a> = dyn FnMut(&str, &str) -> Option<(String, String)> + 'a;

/// Whether `text` has a line that looks like a preprocessor directive (a `#` first on it):
/// a file without one (and without macros given from outside) needs no preprocessing.
pub fn has_directives(text: &str) -> bool {
    text.lines().any(|line| {
        let rest = line.trim_start();
        rest.strip_prefix('#').is_some_and(|d| {
            d.trim_start()
                .starts_with(|c: char| c.is_ascii_alphanumeric())
        })
    })
}

/// Preprocesses the file `file` with text `text`, macros `defines` (name, value: as
/// `#define name value`) defined first. Files it includes are found by `include`.
///
/// ```
/// let text = "#define EDGE(a, b) edge(a, b).\nEDGE(1, 2)\n";
/// let mut none = |_: &str, _: &str| None;
/// let chunks = engram_parser::preprocess("g.dl", text, &[], &mut none).unwrap();
/// assert_eq!(chunks[0].text, "\nedge(1, 2).\n");
/// ```
pub fn preprocess(
    file: &str,
    text: &str,
    defines: &[(String, String)],
    include: &mut IncludeResolver<'_>,
) -> Result<Vec<Chunk>, ParseErrors> {
    let mut pass = Pass {
        macros: Macros::new(),
        include,
        chunks: Vec::new(),
        once: Vec::new(),
        depth: 0,
    };
    for (name, value) in defines {
        let (name, m) = parse_define(&lex(&format!("{name} {value}")), 0)
            .map_err(|(_, message)| fail("<command line>", "", 0, message))?;
        pass.macros.insert(name, m);
    }
    pass.file(file, text)?;
    Ok(pass.chunks)
}

fn fail(file: &str, text: &str, at: usize, message: String) -> ParseErrors {
    let end = (at + 1).min(text.len()).max(at.min(text.len()));
    ParseErrors {
        file: file.to_string(),
        source_text: text.to_string(),
        errors: vec![ParseError {
            message,
            span: Span {
                start: at.min(text.len()),
                end,
            },
        }],
    }
}

/// How deep includes may nest (a file that includes itself without a guard stops here).
const MAX_DEPTH: usize = 200;

struct Pass<'a, 'r> {
    macros: Macros,
    include: &'a mut IncludeResolver<'r>,
    chunks: Vec<Chunk>,
    /// Files that said `#pragma once`.
    once: Vec<String>,
    depth: usize,
}

/// One open `#if`.
struct Cond {
    /// Whether the text around it is read.
    outer: bool,
    /// Whether one of its branches was taken already.
    taken: bool,
    /// Whether the current branch is read.
    active: bool,
    /// Whether `#else` was seen.
    in_else: bool,
    at: usize,
}

/// The file being read: its name, text, the chunk being written and where it is.
struct Reading<'t> {
    name: &'t str,
    text: &'t str,
    chunk: Chunk,
    /// Lines not yet expanded (macros are expanded a block of lines at a time, so that a use
    /// may span lines).
    block: Vec<Tok>,
    /// The line the next token is on.
    line: usize,
    conds: Vec<Cond>,
}

impl Reading<'_> {
    fn active(&self) -> bool {
        self.conds.last().is_none_or(|c| c.active)
    }

    fn fail(&self, at: usize, message: impl Into<String>) -> ParseErrors {
        fail(self.name, self.text, at, message.into())
    }
}

impl Pass<'_, '_> {
    fn file(&mut self, name: &str, text: &str) -> Result<(), ParseErrors> {
        let toks = lex(text);
        let mut r = Reading {
            name,
            text,
            chunk: Chunk {
                file: name.to_string(),
                line: 1,
                text: String::new(),
            },
            block: Vec::new(),
            line: 1,
            conds: Vec::new(),
        };
        let mut i = 0;
        while i < toks.len() {
            let end = line_end(&toks, i);
            let lines = (toks[i..end].iter())
                .map(|t| t.text.matches('\n').count())
                .sum::<usize>();
            let first = (i..end).find(|&k| !toks[k].is_blank());
            match first.filter(|&k| toks[k].is_punct("#")) {
                Some(hash) => {
                    if r.active() {
                        self.flush(&mut r)?;
                    }
                    let words: Vec<Tok> = (toks[hash + 1..end].iter())
                        .filter(|t| t.kind != Kind::Newline)
                        .cloned()
                        .collect();
                    if !self.directive(&mut r, &words, toks[hash].at, lines)? {
                        r.chunk.text.push_str(&"\n".repeat(lines));
                    }
                }
                None if r.active() => r.block.extend_from_slice(&toks[i..end]),
                None => r.chunk.text.push_str(&"\n".repeat(lines)),
            }
            r.line += lines;
            i = end;
        }
        if let Some(c) = r.conds.last() {
            return Err(r.fail(c.at, "`#if` without `#endif`"));
        }
        self.flush(&mut r)?;
        self.chunks.push(r.chunk);
        Ok(())
    }

    /// Expands the block of lines read so far into the chunk.
    fn flush(&mut self, r: &mut Reading<'_>) -> Result<(), ParseErrors> {
        let block = std::mem::take(&mut r.block);
        let out = expand(block, &self.macros).map_err(|(at, m)| r.fail(at, m))?;
        r.chunk.text.push_str(&text_of(&out));
        Ok(())
    }

    /// Carries out one directive, `lines` long; whether it started a new chunk (an include).
    fn directive(
        &mut self,
        r: &mut Reading<'_>,
        words: &[Tok],
        at: usize,
        lines: usize,
    ) -> Result<bool, ParseErrors> {
        let start = words
            .iter()
            .position(|t| !t.is_blank())
            .unwrap_or(words.len());
        let (name, rest) = match words.get(start) {
            Some(t) if matches!(t.kind, Kind::Ident | Kind::Number) => {
                (t.text.as_str(), &words[start + 1..])
            }
            Some(t) => return Err(r.fail(t.at, format!("`#{}` is not a directive", t.text))),
            None => return Ok(false),
        };
        let result = match name {
            "if" | "ifdef" | "ifndef" | "elif" | "else" | "endif" => {
                self.conditional(r, name, rest, at)
            }
            _ if !r.active() => Ok(()),
            "define" => parse_define(rest, at).map(|(n, m)| {
                self.macros.insert(n, m);
            }),
            "undef" => macro_name(rest, at, "undef").map(|n| {
                self.macros.remove(&n);
            }),
            "include" => return self.include(r, rest, at, lines).map(|()| true),
            "error" => Err((at, format!("#error{}", text_of(rest).trim_end()))),
            "pragma" if text_of(rest).trim() == "once" => {
                self.once.push(r.name.to_string());
                Ok(())
            }
            "pragma" | "warning" | "line" | "ident" => Ok(()),
            // `# 12 "file"`, a line marker another preprocessor wrote.
            _ if name.starts_with(|c: char| c.is_ascii_digit()) => Ok(()),
            _ => Err((at, format!("unknown preprocessor directive `#{name}`"))),
        };
        result.map(|()| false).map_err(|(at, m)| r.fail(at, m))
    }

    fn conditional(
        &mut self,
        r: &mut Reading<'_>,
        name: &str,
        rest: &[Tok],
        at: usize,
    ) -> Result<(), Failure> {
        let outer = r.active();
        let test = |pass: &Self| -> Result<bool, Failure> {
            match name {
                "ifdef" => Ok(pass.macros.contains_key(&macro_name(rest, at, name)?)),
                "ifndef" => Ok(!pass.macros.contains_key(&macro_name(rest, at, name)?)),
                _ => cond::holds(rest, &pass.macros, at),
            }
        };
        match name {
            "if" | "ifdef" | "ifndef" => {
                let holds = outer && test(self)?;
                let c = Cond {
                    outer,
                    taken: holds,
                    active: holds,
                    in_else: false,
                    at,
                };
                r.conds.push(c);
            }
            "elif" | "else" => {
                let Some(c) = r.conds.last() else {
                    return Err((at, format!("`#{name}` without `#if`")));
                };
                if c.in_else {
                    return Err((at, format!("`#{name}` after `#else`")));
                }
                let holds = c.outer && !c.taken && (name == "else" || test(self)?);
                let c = r.conds.last_mut().expect("checked above");
                c.active = holds;
                c.taken |= holds;
                c.in_else = name == "else";
            }
            _ => {
                if r.conds.pop().is_none() {
                    return Err((at, "`#endif` without `#if`".into()));
                }
            }
        }
        Ok(())
    }

    /// `#include`, `lines` long: the chunk so far, the included file's, and a new chunk of this
    /// file from the line after the directive.
    fn include(
        &mut self,
        r: &mut Reading<'_>,
        rest: &[Tok],
        at: usize,
        lines: usize,
    ) -> Result<(), ParseErrors> {
        let words: Vec<&Tok> = rest.iter().filter(|t| !t.is_blank()).collect();
        let path = match words.as_slice() {
            [s] if s.kind == Kind::Str && s.text.len() >= 2 && s.text.ends_with('"') => {
                s.text[1..s.text.len() - 1].to_string()
            }
            [open, .., close] if open.is_punct("<") && close.is_punct(">") => {
                let (a, b) = (open.at + 1, close.at);
                r.text[a..b].to_string()
            }
            _ => return Err(r.fail(at, "`#include` needs a file: \"file\" or <file>")),
        };
        if self.depth >= MAX_DEPTH {
            return Err(r.fail(
                at,
                "includes nested too deeply (a file that includes itself?)",
            ));
        }
        let Some((found, text)) = (self.include)(r.name, &path) else {
            return Err(r.fail(at, format!("cannot find `{path}` to include")));
        };
        let line_after = r.line + lines;
        if self.once.contains(&found) {
            r.chunk.text.push_str(&"\n".repeat(lines));
            return Ok(());
        }
        let before = std::mem::replace(
            &mut r.chunk,
            Chunk {
                file: r.name.to_string(),
                line: line_after,
                text: String::new(),
            },
        );
        if !before.text.is_empty() {
            self.chunks.push(before);
        }
        self.depth += 1;
        let result = self.file(&found, &text);
        self.depth -= 1;
        result
    }
}

/// The index after the line that starts at token `i`: after its line end, where a `\` before a
/// line end continues the line.
fn line_end(toks: &[Tok], mut i: usize) -> usize {
    while i < toks.len() {
        let t = &toks[i];
        i += 1;
        if t.kind == Kind::Newline && !(i >= 2 && toks[i - 2].kind == Kind::Continuation) {
            break;
        }
    }
    i
}

fn macro_name(rest: &[Tok], at: usize, directive: &str) -> Result<String, Failure> {
    match rest.iter().find(|t| !t.is_blank()) {
        Some(t) if t.kind == Kind::Ident => Ok(t.text.clone()),
        _ => Err((at, format!("`#{directive}` needs a macro name"))),
    }
}
