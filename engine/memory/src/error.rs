//! What can go wrong changing a memory (reads fail with the store's [`ReadError`]; reading a
//! memory file with [`crate::BadLine`]).
//!
//! [`ReadError`]: engram_store::ReadError

use engram_store::{ReadError, WriteError};

/// Why a change to the memory failed: a graph edit, or asserting facts read from a memory
/// file. Nothing of a failed change is committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The change was refused (an observation for an entity that does not exist, a relation
    /// type with no letters): the message says what to give instead.
    #[error("{0}")]
    Refused(String),
    /// A fact read from a memory file does not fit its relation: fix the line named.
    #[error("{at}: {message}")]
    Fact {
        /// Where it was read: the line (`12`), or a MemoryGraph entry (`memories[3]`).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// The store could not make the change (locked, read-only, a full disk, a bound on the
    /// inference it needs): see the store's error.
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<ReadError> for EditError {
    fn from(e: ReadError) -> EditError {
        EditError::Write(e.into())
    }
}
