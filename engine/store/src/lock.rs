//! The writer lock: held by one process (one handle) at a time, through its storage (an
//! exclusive lock on the file `LOCK` on disk, which also records the holder's pid for the
//! error a second writer gets).

use super::error::StoreError;
use super::storage::Storage;
use std::time::{Duration, Instant};

/// The lock file's name.
pub(crate) const LOCK: &str = "LOCK";

/// Held while a process may write the store; released when dropped (or when the process dies).
pub(crate) struct WriterLock {
    _guard: Box<dyn Send + Sync>,
}

impl std::fmt::Debug for WriterLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterLock")
    }
}

impl WriterLock {
    /// Takes the writer lock of the store, waiting up to `wait` for a process that holds it,
    /// or says who holds it.
    pub(crate) fn acquire(storage: &dyn Storage, wait: Duration) -> Result<WriterLock, StoreError> {
        let io = |e| StoreError::io(storage.path(LOCK), e);
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(guard) = storage.try_lock().map_err(io)? {
                return Ok(WriterLock { _guard: guard });
            }
            if start.elapsed() >= wait {
                let pid = (storage.read(LOCK).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|t| t.trim().parse().ok());
                return Err(StoreError::Locked {
                    path: super::file::place(storage),
                    pid: pid.unwrap_or(0),
                    waited: start.elapsed(),
                });
            }
            // Polled, not blocking: a blocking lock cannot be given up after `wait`.
            std::thread::sleep(pause.min(wait.saturating_sub(start.elapsed())));
            pause = (pause * 2).min(Duration::from_millis(25));
        }
    }
}
