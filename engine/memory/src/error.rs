//! What can go wrong reading, writing or asserting a memory.

/// A memory operation's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed (its files, the rules, a fact that does not fit).
    #[error(transparent)]
    Store(#[from] engram_store::Error),
    /// A fact read from a memory file could not be asserted.
    #[error("{at}: {message}")]
    Memory {
        /// Where it was read: the line (`12`), or a MemoryGraph entry (`memories[3]`).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A change to the memory graph was refused (an observation for an entity that does not
    /// exist, a relation type with no letters); nothing of the call was made.
    #[error("{0}")]
    Graph(String),
}

impl From<engram_core::Error> for Error {
    fn from(e: engram_core::Error) -> Error {
        Error::Store(e.into())
    }
}

impl From<engram_store::StoreError> for Error {
    fn from(e: engram_store::StoreError) -> Error {
        Error::Store(e.into())
    }
}
