//! The engine's error types.

use crate::plan::PlanError;
use std::path::PathBuf;

/// Planning errors of one program, rendered with file, line, column and a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanErrors {
    /// The file name used in messages.
    pub file: String,
    /// The program text.
    pub source_text: String,
    /// The errors, in source order.
    pub errors: Vec<PlanError>,
}

impl std::fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&engram_parser::render_diagnostic(
                &self.file,
                &self.source_text,
                e.span,
                &e.message,
            ))?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanErrors {}

/// Everything that can go wrong compiling, loading, evaluating or writing.
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
    /// A store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A value handed to the library does not fit the relation.
    #[error("relation `{relation}`: {message}")]
    Value {
        /// The relation.
        relation: String,
        /// What is wrong.
        message: String,
    },
}
