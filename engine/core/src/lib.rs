//! engram-core: engram's Datalog engine without storage: programs are parsed, planned and
//! evaluated semi-naively with confidence, depth and provenance on every fact, into a
//! [`Database`] of typed results that answers queries and explains its facts.
//!
//! The pipeline, one module per stage: [`parse`](engram_parser::parse) -> plan (names,
//! types, safety, strata, join order) -> eval (semi-naive evaluation on datafrog) -> a
//! [`Database`]; incremental maintenance (delete-and-rederive in the confidence lattice)
//! keeps a materialised database up to date under changes, for the store above this crate.
//!
//! ```
//! use engram_core::{Program, Value};
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
//! # Ok::<(), engram_core::Error>(())
//! ```
//!
//! Every fact knows how sure it is, how far it is from what was asserted, and which rule made
//! it; [`Database::explain`] gives its proof:
//!
//! ```
//! use engram_core::{Inputs, Origin, Program, Value};
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
//! # Ok::<(), engram_core::Error>(())
//! ```
#![warn(missing_docs)]

// The layers, bottom up; a module imports only from its own layer and below:
// 1. leaves: search, value, limits, literal (constants as written);
// 2. plan;
// 3. eval;
// 4. results and programs: output, database, answers, explain, history, violation, io (fact
//    files and .output), error, facts (facts written as Datalog), sources and library
//    (programs of several texts, the built-in rules), program;
// 5. incremental (maintenance of a materialised database, for the store).
mod answers;
mod database;
mod error;
mod eval;
mod explain;
mod facts;
mod history;
mod incremental;
mod io;
pub mod library;
mod limits;
mod literal;
mod namespace;
mod output;
mod plan;
mod program;
mod records;
mod search;
mod sources;
mod value;
mod violation;
mod why_not;
mod why_not_text;

pub use answers::{Answers, query_text};
pub use database::{Database, Fact, Origin, QueryAnswer, RelationView};
pub use error::{Error, PlanErrors};
pub use eval::EvalError;
pub use explain::{MAX_PROOF_DEPTH, Proof, fact_text};
pub use history::Superseded;
pub use io::OutputTarget;
pub use limits::Limits;
pub use plan::PlanError;
pub use program::{EvalOptions, FunctorInfo, Inputs, Program, ReadOptions, RelationInfo, Summary};
pub use sources::Source;
pub use value::{ColumnType, Value, format_time, parse_time};
pub use violation::Violation;
pub use why_not::{Reason, RuleWhyNot, SizeLimit, WhyNot};

/// engram-core's internals, for the crates built on it (`engram-store`, `engram-memory`).
///
/// Not an API boundary: nothing here is stable, documented for users or checked for misuse;
/// an embedder uses the crate root (or the `engram-engine` façade) instead. The modules
/// mirror the pipeline stages of this crate.
#[doc(hidden)]
pub mod internal {
    /// Values, their u64 encoding, and the interner.
    pub mod value {
        pub use crate::value::*;
    }
    /// Record types and the record table.
    pub mod records {
        pub use crate::records::*;
    }
    /// The one binary search.
    pub mod search {
        pub use crate::search::*;
    }
    /// Bounds on evaluation, and their enforcement on the evaluating thread.
    pub mod limits {
        pub use crate::limits::*;
    }
    /// Facts written as Datalog.
    pub mod facts {
        pub use crate::facts::*;
    }
    /// Programs of several texts.
    pub mod sources {
        pub use crate::sources::*;
    }
    /// The planner and its IR.
    pub mod plan {
        pub use crate::plan::*;
    }
    /// Semi-naive evaluation.
    pub mod eval {
        pub use crate::eval::*;
    }
    /// Fact files and output formats.
    pub mod io {
        pub use crate::io::*;
    }
    /// The order rows are written in, and the writer.
    pub mod output {
        pub use crate::output::*;
    }
    /// Query answers.
    pub mod answers {
        pub use crate::answers::*;
    }
    /// Proofs.
    pub mod explain {
        pub use crate::explain::*;
    }
    /// Programs.
    pub mod program {
        pub use crate::program::relation_infos;
    }
    /// Incremental maintenance of a materialised database.
    pub mod incremental {
        pub use crate::incremental::*;
    }
}
