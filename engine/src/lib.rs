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
//!
//! Every fact knows how sure it is, how far it is from what was asserted, and which rule made
//! it; [`Database::explain`] gives its proof:
//!
//! ```
//! use engram_engine::{Inputs, Origin, Program, Value};
//!
//! let program = Program::compile(
//!     r#"
//!     .decl edge(x: symbol, y: symbol)
//!     .decl path(x: symbol, y: symbol)
//!     path(x, y) :- edge(x, y).
//!     @name("transitive") @weight(0.9)
//!     path(x, z) :- edge(x, y), path(y, z).
//!     "#,
//!     "paths.dl",
//! )?;
//! let sym = |s: &str| Value::Symbol(s.into());
//! let mut inputs = Inputs::default();
//! inputs.add_with_confidence("edge", vec![sym("a"), sym("b")], 0.8);
//! inputs.add("edge", vec![sym("b"), sym("c")]);
//! let mut db = program.evaluate(&inputs)?;
//! let ac = db.relation("path").unwrap().get(&[sym("a"), sym("c")]).unwrap();
//! assert!((ac.confidence - 0.72).abs() < 1e-12); // 0.9 x 0.8 x 1.0
//! assert_eq!(ac.depth, 2);
//! assert_eq!(ac.origin, Origin::Rule("transitive".into()));
//! let proof = db.explain("path", &[sym("a"), sym("c")]).unwrap();
//! assert_eq!(proof.premises[0].fact, r#"edge("a", "b")"#);
//! print!("{}", proof.to_text());
//! # Ok::<(), engram_engine::Error>(())
//! ```
#![warn(missing_docs)]

mod answers;
mod database;
mod error;
pub mod eval;
mod explain;
mod history;
pub mod io;
pub mod library;
pub mod limits;
pub mod memory;
mod output;
pub mod plan;
mod program;
mod search;
pub mod sources;
pub mod store;
pub mod value;
mod violation;

pub use answers::Answers;
pub use database::{Database, Fact, Origin, QueryAnswer, RelationView};
pub use error::{Error, PlanErrors};
pub use explain::{MAX_PROOF_DEPTH, Proof, fact_text};
pub use history::Superseded;
pub use limits::Limits;
pub use program::{EvalOptions, Inputs, Program, RelationInfo};
pub use store::{Store, StoreError};
pub use value::{ColumnType, Value};
pub use violation::Violation;
