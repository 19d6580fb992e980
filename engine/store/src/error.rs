//! What can go wrong with a store, each naming the file concerned.

use engram_core::EvalError;
use engram_core::PlanErrors;
use engram_parser::ParseErrors;
use std::path::PathBuf;

/// Everything that can go wrong with a store: its files, or the programs, facts and
/// evaluations it runs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Rule or fact text has syntax errors.
    #[error(transparent)]
    Parse(#[from] ParseErrors),
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
    /// A value handed to the store does not fit the relation.
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
}

impl From<engram_core::Error> for Error {
    fn from(e: engram_core::Error) -> Error {
        use engram_core::Error as E;
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
            other => Error::Store(StoreError::Invalid(other.to_string())),
        }
    }
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process held the writer lock for as long as this one would wait.
    #[error(
        "store {} is locked by pid {pid} (waited {} ms for it); another engram process is \
         writing: try again when it is done",
        path.display(),
        waited.as_millis()
    )]
    Locked {
        /// The store directory.
        path: PathBuf,
        /// The process holding the lock, as it recorded itself (0 if unknown).
        pid: u32,
        /// How long this process waited ([`super::Store::set_lock_wait`]).
        waited: std::time::Duration,
    },
    /// A store file is damaged.
    #[error("{}: corrupt store file: {what}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// The directory holds no store.
    #[error("{}: no engram store here (create one with `engram init`)", path.display())]
    NotAStore {
        /// The directory.
        path: PathBuf,
    },
    /// `init` on a directory that already holds a store.
    #[error("{}: a store already exists here", path.display())]
    Exists {
        /// The directory.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The store was opened read-only and a write was asked for.
    #[error("store {} is open read-only", path.display())]
    ReadOnly {
        /// The store directory.
        path: PathBuf,
    },
    /// A request the store cannot satisfy (an unknown rule file, a fact of the wrong shape).
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
    /// A corruption of `path`.
    pub(crate) fn corrupt(path: impl Into<PathBuf>, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: path.into(),
            what: what.into(),
        }
    }
}
