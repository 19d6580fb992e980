//! The engine's error types.

use crate::plan::PlanError;
use std::path::PathBuf;

/// Planning errors of one program, rendered with file, line, column and a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanErrors {
    /// The file name used in messages.
    pub(crate) file: String,
    /// The program text.
    pub(crate) source_text: String,
    /// The errors, in source order.
    pub(crate) errors: Vec<PlanError>,
    /// For a program of several files (`.include`, a store's rule files): each file's name and
    /// the offset in `source_text` where its text starts (ascending). Empty for one file
    /// named `file`.
    pub(crate) pieces: Vec<crate::sources::Placement>,
}

impl PlanErrors {
    /// The errors, in source order; each span is an offset in the program's whole text
    /// (several files together, for a program that includes others).
    pub fn errors(&self) -> &[PlanError] {
        &self.errors
    }

    /// The errors of a program of one file.
    pub fn of_file(file: &str, source_text: &str, errors: Vec<PlanError>) -> PlanErrors {
        PlanErrors {
            file: file.to_string(),
            source_text: source_text.to_string(),
            errors,
            pieces: Vec::new(),
        }
    }

    /// The file an offset of `source_text` is in: its name, start, text and first line.
    fn piece_at(&self, at: usize) -> (&str, usize, &str, usize) {
        let Some(i) = self.pieces.iter().rposition(|p| p.start <= at) else {
            return (&self.file, 0, &self.source_text, 1);
        };
        let p = &self.pieces[i];
        let end = (self.pieces.get(i + 1)).map_or(self.source_text.len(), |p| p.start);
        (&p.name, p.start, &self.source_text[p.start..end], p.line)
    }
}

impl PlanErrors {
    /// Each error placed in the file it is in (for a program of several files, the file
    /// `.include`d or the store's rule file), in source order.
    pub fn diagnostics(&self) -> Vec<engram_parser::Diagnostic> {
        (self.errors.iter())
            .map(|e| {
                let (file, start, text, line) = self.piece_at(e.span.start);
                // A piece that starts further down its file is placed at its line.
                let pad = line.saturating_sub(1);
                let text = format!("{}{text}", "\n".repeat(pad));
                let shift = |x: usize| x.saturating_sub(start).min(text.len() - pad) + pad;
                let span = engram_parser::Span {
                    start: shift(e.span.start),
                    end: shift(e.span.end),
                };
                engram_parser::Diagnostic::at(file, &text, span, &e.message)
            })
            .collect()
    }
}

impl std::fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.diagnostics().iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&d.text)?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanErrors {}

/// Everything that can go wrong compiling a program, reading its inputs, evaluating it or
/// writing its outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The program has syntax errors.
    #[error(transparent)]
    Parse(#[from] engram_parser::ParseErrors),
    /// The program parses but is not valid.
    #[error(transparent)]
    Plan(#[from] PlanErrors),
    /// A file could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// An input file has a malformed line.
    #[error("{}:{line}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Evaluation failed.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    /// A user-defined functor was given for a name the program does not declare, or the
    /// program declares one no function was given for.
    #[error("{0}")]
    Functor(String),
    /// A value handed to the library does not fit the relation.
    #[error("relation `{relation}`: {message}")]
    Value {
        /// The relation.
        relation: String,
        /// What is wrong.
        message: String,
    },
}
