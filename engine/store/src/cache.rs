//! Caches that readers keep in the store's directory for the next process: what a reader
//! computed from the store (recall's table of documents) and would otherwise compute again in
//! every process. A cache is a copy, never the store: its owner keys it by what it was
//! computed from (the files of the runs it read, which never change), a damaged or stale one
//! is ignored and computed again, and a cache that cannot be written (a read-only directory)
//! is not.
//!
//! `<name>.cache` holds the owner's bytes in a store file's envelope (kind 9, checksummed per
//! block: a reader maps it and checks the blocks it reads). It is written as a new file and
//! renamed over the old one, so a reader sees a whole file; it is not made durable (a torn
//! file fails its checksums after a power loss).

use super::Store;
use super::error::{ReadError, StoreError};
use super::file::{self, Kind};
use super::mmap::CheckedFile;

/// A cache's bytes, mapped: each read checks the blocks it touches (once each).
pub struct CacheFile(CheckedFile);

impl CacheFile {
    /// Bytes `range` of the cache; an error naming the file where they are damaged or past
    /// its end.
    pub fn bytes(&self, range: std::ops::Range<usize>) -> Result<&[u8], ReadError> {
        let bad = |what: String| ReadError::from(StoreError::corrupt(self.0.path(), what));
        match self.0.checked(range.clone()) {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(what)) => Err(bad(what)),
            None => Err(bad(format!(
                "bytes {range:?} asked for, past its end ({} bytes)",
                self.len()
            ))),
        }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.payload().len()
    }

    /// Its file, as messages name it.
    pub fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    /// Whether it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for CacheFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CacheFile").field(&self.path()).finish()
    }
}

impl Store {
    /// Cache `name` as last kept ([`Store::write_cache`]), mapped, if the file is there and
    /// its header whole (its bytes are checked as they are read); `None` otherwise (absent,
    /// damaged, or a store in memory, which keeps none).
    #[doc(hidden)]
    pub fn map_cache(&self, name: &str) -> Option<CacheFile> {
        let storage = &*self.files.storage;
        storage.dir()?;
        let file = cache_file(name)?;
        CheckedFile::open(storage, &file, Kind::Cache)
            .ok()
            .map(CacheFile)
    }

    /// Keeps `bytes` as cache `name` for later processes, replacing what it held; `false`
    /// where it could not (a read-only directory, a full disk): the cache is only a copy.
    #[doc(hidden)]
    pub fn write_cache(&self, name: &str, bytes: &[u8]) -> bool {
        let storage = &*self.files.storage;
        let (Some(_), Some(file)) = (storage.dir(), cache_file(name)) else {
            return false;
        };
        // A name of its own per process and call: two processes writing at once each rename
        // a whole file.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = format!("{file}.{}.{n}.tmp", std::process::id());
        let (head, table) = file::blocked(Kind::Cache, bytes);
        let written = (storage.create(&tmp))
            .and_then(|mut f| {
                f.write_all(&head)?;
                f.write_all(bytes)?;
                f.write_all(&table)
            })
            .and_then(|()| storage.rename(&tmp, &file));
        if written.is_err() {
            let _ = storage.remove(&tmp);
        }
        written.is_ok()
    }

    /// Removes cache `name` (found damaged: the next reader computes it again).
    #[doc(hidden)]
    pub fn remove_cache(&self, name: &str) {
        if let Some(file) = cache_file(name) {
            let _ = self.files.storage.remove(&file);
        }
    }
}

/// The file of cache `name`: letters, digits, `-` and `_` only.
fn cache_file(name: &str) -> Option<String> {
    let plain = !name.is_empty()
        && (name.chars()).all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| format!("{name}.cache"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache reads back as written; a damaged block is an error naming the file, an absent
    /// or oddly named cache is none; a store in memory keeps none.
    #[test]
    fn caches_read_back_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path().join("s")).unwrap();
        assert!(store.map_cache("docs").is_none());
        assert!(store.write_cache("docs", b"first"));
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        assert!(store.write_cache("docs", &big));
        let cache = store.map_cache("docs").unwrap();
        assert_eq!(cache.len(), big.len());
        assert_eq!(cache.bytes(50_000..50_010).unwrap(), &big[50_000..50_010]);
        assert!(cache.bytes(99_999..100_001).is_err());
        drop(cache);
        let path = dir.path().join("s").join("docs.cache");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[file::HEADER + 70_000] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let cache = store.map_cache("docs").unwrap();
        assert_eq!(cache.bytes(0..10).unwrap(), &big[..10]);
        let err = cache.bytes(69_990..70_010).unwrap_err().to_string();
        assert!(err.contains("docs.cache"), "{err}");
        store.remove_cache("docs");
        assert!(store.map_cache("docs").is_none());
        assert!(!store.write_cache("../docs", b"x"));
        assert!(store.map_cache("../docs").is_none());
        let leftovers = std::fs::read_dir(dir.path().join("s")).unwrap();
        assert!(
            leftovers
                .flatten()
                .all(|e| !e.path().to_string_lossy().ends_with(".tmp"))
        );
        let memory = Store::in_memory();
        assert!(!memory.write_cache("docs", b"x"));
        assert!(memory.map_cache("docs").is_none());
    }
}
