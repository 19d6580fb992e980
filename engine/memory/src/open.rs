//! Opening an agent's memory: the store at a path, created with the standard memory rules on
//! first use (as `engram init` makes one). `engram mcp`, `engram serve` and the Python
//! package's `Store(path)` open their stores so.

use engram_store::{OpenError, Store, WriteError};
use std::path::Path;

/// Why a memory could not be opened or created.
#[derive(Debug, thiserror::Error)]
pub enum OpenMemoryError {
    /// Opening (or creating) the store failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The store was created, but attaching the standard rules to it failed.
    #[error("attaching the standard memory rules: {0}")]
    Rules(#[from] WriteError),
}

/// The store at `db`, created with the standard memory rules when there is none; with whether
/// it was created. Another process creating it at the same moment is fine: the store it made
/// is opened. The handle does not keep the writer lock.
pub fn open_or_create(db: &Path) -> Result<(Store, bool), OpenMemoryError> {
    match Store::open(db) {
        Ok(store) => Ok((store, false)),
        Err(OpenError::NotAStore { .. }) => match Store::create(db) {
            Ok(mut store) => {
                store.add_rule_files(&engram_core::library::default_rules())?;
                store.unlock();
                Ok((store, true))
            }
            Err(OpenError::Exists { .. } | OpenError::Locked { .. }) => {
                Ok((Store::open(db)?, false))
            }
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}
