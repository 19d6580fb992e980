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

pub use engram_core::Error as ProgramError;
pub use engram_core::{
    Answers, ColumnType, Database, EvalError, EvalOptions, Fact, FunctorInfo, Inputs, Limits,
    MAX_PROOF_DEPTH, Origin, OutputTarget, PlanError, PlanErrors, Program, Proof, QueryAnswer,
    ReadOptions, Reason, RelationInfo, RelationView, RuleWhyNot, Source, Superseded, Value,
    Violation, WhyNot, fact_text, format_time, library, parse_time, query_text,
};
pub use engram_memory as memory;
pub use engram_parser as parser;
pub use engram_parser::Diagnostic;
pub use engram_store as store;
pub use engram_store::Store;

pub use engram_store::{OpenError, ReadError, WriteError};

/// Any of engram's errors, for a caller that mixes programs, stores and memories; each
/// crate's functions return the error of their operation, which converts into this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Compiling or evaluating a program ([`Program`]).
    #[error(transparent)]
    Program(#[from] engram_core::Error),
    /// Creating or opening a store.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Reading a store.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Changing a store.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Reading a memory file.
    #[error(transparent)]
    MemoryFile(#[from] memory::BadLine),
    /// Changing a memory.
    #[error(transparent)]
    Edit(#[from] memory::EditError),
}

/// README and the reference pages in `docs/`, whose Rust examples run as doctests of this
/// crate, so that a page cannot show an API that is not there.
#[cfg(doctest)]
mod docs {
    #[doc = include_str!("../../README.md")]
    struct Readme;
    #[doc = include_str!("../../docs/library.md")]
    struct Library;
    #[doc = include_str!("../../docs/store.md")]
    struct Store;
    #[doc = include_str!("../../docs/memory.md")]
    struct Memory;
    #[doc = include_str!("../../docs/mcp.md")]
    struct Mcp;
    #[doc = include_str!("../../docs/cli.md")]
    struct Cli;
    #[doc = include_str!("../../docs/language.md")]
    struct Language;
}
