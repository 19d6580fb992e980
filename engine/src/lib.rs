//! engram: a Datalog engine for reasoning over knowledge graphs, with confidence and proofs on
//! every derived fact, and a persistent, incrementally maintained memory store for agents.
//!
//! This crate is the one dependency an embedder adds. It re-exports the layers, each its own
//! crate with dependencies pointing one way:
//!
//! - [`engram_core`] (at this crate's root): programs, evaluation, [`Database`], proofs;
//! - [`store`] (`engram-store`): the persistent [`Store`];
//! - [`memory`] (`engram-memory`): the agent-memory model, imports, graph reads, recall.
//!
//! ```
//! use engram_engine::{Program, Value};
//!
//! let program = Program::compile(
//!     r#"
//!     .decl edge(x: symbol, y: symbol)
//!     .decl path(x: symbol, y: symbol)
//!     edge("a", "b"). edge("b", "c").
//!     path(x, y) :- edge(x, y).
//!     path(x, z) :- edge(x, y), path(y, z).
//!     "#,
//!     "example.dl",
//! )?;
//! let db = program.evaluate(&Default::default())?;
//! assert_eq!(db.relation("path").unwrap().len(), 3);
//! # Ok::<(), engram_engine::Error>(())
//! ```
#![warn(missing_docs)]

pub use engram_core::{
    Answers, ColumnType, Database, EvalError, EvalOptions, Fact, Inputs, Limits, MAX_PROOF_DEPTH,
    Origin, OutputTarget, PlanError, PlanErrors, Program, Proof, QueryAnswer, RelationInfo,
    RelationView, Source, Superseded, Value, Violation, fact_text, format_time, library,
    parse_bytes, parse_time,
};
pub use engram_memory as memory;
pub use engram_store as store;
pub use engram_store::{Store, StoreError};

use std::path::PathBuf;

/// Any of engram's errors, for a caller that mixes programs, stores and memories.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Rule or fact text has syntax errors.
    #[error(transparent)]
    Parse(#[from] engram_parser::ParseErrors),
    /// The rules parse but are not valid.
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
    Eval(#[from] EvalError),
    /// A value does not fit the relation.
    #[error("relation `{relation}`: {message}")]
    Value {
        /// The relation.
        relation: String,
        /// What is wrong.
        message: String,
    },
    /// A store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fact read from a memory file could not be asserted.
    #[error("{at}: {message}")]
    Memory {
        /// Where it was read: the line (`12`), or a MemoryGraph entry (`memories[3]`).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A change to the memory graph was refused; nothing of the call was made.
    #[error("{0}")]
    Graph(String),
}

impl From<engram_core::Error> for Error {
    fn from(e: engram_core::Error) -> Error {
        Error::from(engram_store::Error::from(e))
    }
}

impl From<engram_store::Error> for Error {
    fn from(e: engram_store::Error) -> Error {
        use engram_store::Error as E;
        match e {
            E::Parse(e) => Error::Parse(e),
            E::Plan(e) => Error::Plan(e),
            E::Io { path, source } => Error::Io { path, source },
            E::Input {
                path,
                line,
                message,
            } => Error::Input {
                path,
                line,
                message,
            },
            E::Eval(e) => Error::Eval(e),
            E::Value { relation, message } => Error::Value { relation, message },
            E::Store(e) => Error::Store(e),
            other => Error::Store(StoreError::Invalid(other.to_string())),
        }
    }
}

impl From<engram_memory::Error> for Error {
    fn from(e: engram_memory::Error) -> Error {
        use engram_memory::Error as E;
        match e {
            E::Store(e) => e.into(),
            E::Memory { at, message } => Error::Memory { at, message },
            E::Graph(message) => Error::Graph(message),
            other => Error::Graph(other.to_string()),
        }
    }
}
