//! engram-engine: a Datalog engine for reasoning over knowledge graphs.
//!
//! The pipeline: [`parse`](engram_parser::parse) -> [`plan`] (names, types, safety, strata, join
//! order) -> [`eval`] (semi-naive evaluation on datafrog) -> a [`Database`] of typed results.
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
//! let path = db.relation("path").unwrap();
//! assert_eq!(path.len(), 3);
//! assert!(path.rows().any(|r| r == [Value::Symbol("a".into()), Value::Symbol("c".into())]));
//! # Ok::<(), engram_engine::Error>(())
//! ```
#![warn(missing_docs)]

mod database;
mod error;
pub mod eval;
mod explain;
pub mod io;
pub mod plan;
mod program;
pub mod value;

pub use database::{Database, Fact, Origin, QueryAnswer, RelationView};
pub use error::{Error, PlanErrors};
pub use explain::{Proof, fact_text};
pub use program::{EvalOptions, Inputs, Program, RelationInfo};
pub use value::{ColumnType, Value};
