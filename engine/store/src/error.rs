//! What can go wrong with a store, one error per kind of operation (redb's style): opening
//! ([`OpenError`]), reading ([`ReadError`]) and writing ([`WriteError`]); each lists what can
//! happen there, each variant what the user can do about it. Inside the crate everything
//! travels as one [`Error`] and is told apart where a public operation returns.

use engram_core::EvalError;
use engram_core::PlanErrors;
use engram_parser::ParseErrors;
use std::path::PathBuf;

/// Everything that can go wrong inside the store: its files, or the programs, facts and
/// evaluations it runs.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
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

/// A failure of the store's files or of a request to it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
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
        /// How long this process waited (`Store::set_lock_wait`).
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
    /// A store was to be created in a directory that holds other files.
    #[error(
        "{}: the directory holds other files ({first}...), not an engram store: a store is \
         created in a new or empty directory",
        path.display()
    )]
    NotEmpty {
        /// The directory.
        path: PathBuf,
        /// One of the files it holds.
        first: String,
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

/// Why a store could not be created or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The directory holds no store: create one (`engram init`, [`crate::Store::create`]).
    #[error("{}: no engram store here (create one with `engram init`)", path.display())]
    NotAStore {
        /// The directory.
        path: PathBuf,
    },
    /// A store already exists where one was to be created: open it instead.
    #[error("{}: a store already exists here", path.display())]
    Exists {
        /// The directory.
        path: PathBuf,
    },
    /// A store was to be created in a directory that holds other files (a project folder,
    /// say): create it in a new or empty directory.
    #[error(
        "{}: the directory holds other files ({first}...), not an engram store: a store is \
         created in a new or empty directory",
        path.display()
    )]
    NotEmpty {
        /// The directory.
        path: PathBuf,
        /// One of the files it holds.
        first: String,
    },
    /// Another process holds the writer lock (creating takes it): try again when it is done.
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
        /// How long this process waited.
        waited: std::time::Duration,
    },
    /// A store file is damaged (or of a format this build does not read): the file is named;
    /// restore it from a copy.
    #[error("{}: corrupt store file: {what}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// A file could not be read or written: see what the OS said.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Why a read of a store (a query, a proof, facts, statistics, catching up with another
/// process's commits) failed. A read never changes the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The query or fact text has syntax errors: fix the text.
    #[error(transparent)]
    Parse(#[from] ParseErrors),
    /// The query is not valid against the store's relations, or the store's rule files no
    /// longer plan: fix the query, or the rule file named.
    #[error(transparent)]
    Plan(#[from] PlanErrors),
    /// A fact given does not fit its relation (unknown relation, wrong arity or type).
    #[error("relation `{relation}`: {message}")]
    Value {
        /// The relation.
        relation: String,
        /// What is wrong.
        message: String,
    },
    /// Evaluating what the read needs failed (a bound on evaluation was passed).
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The store cannot answer as asked (its rules declare a relation with other columns
    /// than the facts it holds): the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A store file is damaged: the file is named; restore it from a copy.
    #[error("{}: corrupt store file: {what}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// A file could not be read: see what the OS said.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Why a change to a store (a transaction and its commit, a rule file, a cleanup, a
/// compaction) failed. The store keeps its last committed state: a change that fails is
/// never partly committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Another process held the writer lock for as long as this one would wait: try again
    /// when it is done, or wait longer (`Store::set_lock_wait`).
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
        /// How long this process waited.
        waited: std::time::Duration,
    },
    /// The store was opened read-only: open it for writing.
    #[error("store {} is open read-only", path.display())]
    ReadOnly {
        /// The store directory.
        path: PathBuf,
    },
    /// Rule or fact text has syntax errors: fix the text.
    #[error(transparent)]
    Parse(#[from] ParseErrors),
    /// The rules are not valid (alone, or with the store's other rule files): fix the file
    /// named.
    #[error(transparent)]
    Plan(#[from] PlanErrors),
    /// A fact does not fit its relation (wrong arity or type, a confidence outside (0, 1]).
    #[error("relation `{relation}`: {message}")]
    Value {
        /// The relation.
        relation: String,
        /// What is wrong.
        message: String,
    },
    /// A line of a file being loaded is malformed: fix the line named.
    #[error("{}:{line}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The inference the change needs failed: a bound on evaluation was passed (the relation
    /// that grew is named; raise the bound or fix the rule).
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The change cannot be made as asked (an unknown rule file, a symbol over 4 GiB, a
    /// cleanup with a confidence outside (0, 1]): the message says why.
    #[error("{0}")]
    Invalid(String),
    /// A store file is damaged: the file is named; restore it from a copy.
    #[error("{}: corrupt store file: {what}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// A file could not be read or written (a full disk, a failed sync): see what the OS
    /// said; the store is as it was before the change.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl From<Error> for OpenError {
    fn from(e: Error) -> OpenError {
        match e {
            Error::Store(StoreError::NotAStore { path }) => OpenError::NotAStore { path },
            Error::Store(StoreError::Exists { path }) => OpenError::Exists { path },
            Error::Store(StoreError::NotEmpty { path, first }) => {
                OpenError::NotEmpty { path, first }
            }
            Error::Store(StoreError::Locked { path, pid, waited }) => {
                OpenError::Locked { path, pid, waited }
            }
            Error::Store(StoreError::Corrupt { path, what }) => OpenError::Corrupt { path, what },
            Error::Store(StoreError::Io { path, source }) | Error::Io { path, source } => {
                OpenError::Io { path, source }
            }
            // Opening reads files only: what else arises is a file that is not as it should be.
            other => OpenError::Corrupt {
                path: PathBuf::new(),
                what: other.to_string(),
            },
        }
    }
}

impl From<StoreError> for OpenError {
    fn from(e: StoreError) -> OpenError {
        Error::Store(e).into()
    }
}

impl From<Error> for ReadError {
    fn from(e: Error) -> ReadError {
        match e {
            Error::Parse(e) => ReadError::Parse(e),
            Error::Plan(e) => ReadError::Plan(e),
            Error::Value { relation, message } => ReadError::Value { relation, message },
            Error::Eval(e) => ReadError::Eval(e),
            Error::Io { path, source } | Error::Store(StoreError::Io { path, source }) => {
                ReadError::Io { path, source }
            }
            Error::Store(StoreError::Corrupt { path, what }) => ReadError::Corrupt { path, what },
            // The store's directory lost its manifest while open: a file that is not there.
            Error::Store(StoreError::NotAStore { path }) => ReadError::Corrupt {
                what: "the store's manifest is gone".into(),
                path,
            },
            Error::Input {
                path,
                line,
                message,
            } => ReadError::Invalid(format!("{}:{line}: {message}", path.display())),
            Error::Store(other) => ReadError::Invalid(other.to_string()),
        }
    }
}

impl From<Error> for WriteError {
    fn from(e: Error) -> WriteError {
        match e {
            Error::Parse(e) => WriteError::Parse(e),
            Error::Plan(e) => WriteError::Plan(e),
            Error::Value { relation, message } => WriteError::Value { relation, message },
            Error::Input {
                path,
                line,
                message,
            } => WriteError::Input {
                path,
                line,
                message,
            },
            Error::Eval(e) => WriteError::Eval(e),
            Error::Io { path, source } | Error::Store(StoreError::Io { path, source }) => {
                WriteError::Io { path, source }
            }
            Error::Store(StoreError::Corrupt { path, what }) => WriteError::Corrupt { path, what },
            Error::Store(StoreError::Locked { path, pid, waited }) => {
                WriteError::Locked { path, pid, waited }
            }
            Error::Store(StoreError::ReadOnly { path }) => WriteError::ReadOnly { path },
            Error::Store(StoreError::NotAStore { path }) => WriteError::Corrupt {
                what: "the store's manifest is gone".into(),
                path,
            },
            Error::Store(other) => WriteError::Invalid(other.to_string()),
        }
    }
}

impl From<StoreError> for ReadError {
    fn from(e: StoreError) -> ReadError {
        Error::Store(e).into()
    }
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> WriteError {
        Error::Store(e).into()
    }
}

impl From<engram_core::Error> for ReadError {
    fn from(e: engram_core::Error) -> ReadError {
        Error::from(e).into()
    }
}

impl From<engram_core::Error> for WriteError {
    fn from(e: engram_core::Error) -> WriteError {
        Error::from(e).into()
    }
}

/// A write that reads first (a cleanup lists what it forgets) fails with what the read said.
impl From<ReadError> for WriteError {
    fn from(e: ReadError) -> WriteError {
        match e {
            ReadError::Parse(e) => WriteError::Parse(e),
            ReadError::Plan(e) => WriteError::Plan(e),
            ReadError::Value { relation, message } => WriteError::Value { relation, message },
            ReadError::Eval(e) => WriteError::Eval(e),
            ReadError::Invalid(m) => WriteError::Invalid(m),
            ReadError::Corrupt { path, what } => WriteError::Corrupt { path, what },
            ReadError::Io { path, source } => WriteError::Io { path, source },
        }
    }
}

/// Inside the crate, a public operation's error travels on as the crate's own.
impl From<ReadError> for Error {
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::Parse(e) => Error::Parse(e),
            ReadError::Plan(e) => Error::Plan(e),
            ReadError::Value { relation, message } => Error::Value { relation, message },
            ReadError::Eval(e) => Error::Eval(e),
            ReadError::Invalid(m) => Error::Store(StoreError::Invalid(m)),
            ReadError::Corrupt { path, what } => Error::Store(StoreError::Corrupt { path, what }),
            ReadError::Io { path, source } => Error::Io { path, source },
        }
    }
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Error {
        match e {
            WriteError::Locked { path, pid, waited } => {
                Error::Store(StoreError::Locked { path, pid, waited })
            }
            WriteError::ReadOnly { path } => Error::Store(StoreError::ReadOnly { path }),
            WriteError::Parse(e) => Error::Parse(e),
            WriteError::Plan(e) => Error::Plan(e),
            WriteError::Value { relation, message } => Error::Value { relation, message },
            WriteError::Input {
                path,
                line,
                message,
            } => Error::Input {
                path,
                line,
                message,
            },
            WriteError::Eval(e) => Error::Eval(e),
            WriteError::Invalid(m) => Error::Store(StoreError::Invalid(m)),
            WriteError::Corrupt { path, what } => Error::Store(StoreError::Corrupt { path, what }),
            WriteError::Io { path, source } => Error::Io { path, source },
        }
    }
}
