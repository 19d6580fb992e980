//! The envelope of every store file: a 32-byte header (magic, kind, format version, payload
//! length, payload checksum, header checksum) before the payload, and the ways files are
//! written: new files fsynced before they are named in a manifest, the manifest replaced
//! atomically.
//!
//! ```text
//! 0      8      12       16            24         28        32
//! | magic | kind | version | payload len | crc32 of | crc32 of | payload ...
//! |ENGRAMDB| u32 |   u32   |     u64     | payload  | 0..28    |
//! ```
//! All integers are little-endian. The payload starts at byte 32, so an rkyv archive in it is
//! 16-byte aligned in a mapped file.

use super::error::StoreError;
use super::storage::{Storage, StorageFile};
use std::path::{Path, PathBuf};

/// The first eight bytes of every store file.
pub(crate) const MAGIC: [u8; 8] = *b"ENGRAMDB";
/// The format version this build reads and writes.
pub(crate) const VERSION: u32 = 1;
/// Bytes before the payload.
pub(crate) const HEADER: usize = 32;

/// What a store file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Kind {
    /// The manifest: JSON naming the live files.
    Manifest = 1,
    /// A run of interned strings (rkyv).
    Strings = 2,
    /// A run of one relation's facts (rkyv).
    Facts = 3,
    /// A rule file's text.
    Rules = 4,
    /// The commit log (records after the header).
    Log = 5,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Manifest => "manifest",
            Kind::Strings => "strings",
            Kind::Facts => "facts",
            Kind::Rules => "rules",
            Kind::Log => "log",
        }
    }
}

/// The bytes of a file: header, then payload.
pub(crate) fn envelope(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&header(kind, payload));
    out.extend_from_slice(payload);
    out
}

/// The header of a file holding `payload`.
fn header(kind: Kind, payload: &[u8]) -> [u8; HEADER] {
    let mut out = [0u8; HEADER];
    out[..8].copy_from_slice(&MAGIC);
    out[8..12].copy_from_slice(&(kind as u32).to_le_bytes());
    out[12..16].copy_from_slice(&VERSION.to_le_bytes());
    out[16..24].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    out[24..28].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    let head = crc32fast::hash(&out[..28]);
    out[28..].copy_from_slice(&head.to_le_bytes());
    out
}

/// Checks a file's header and payload checksum; returns the payload.
pub(crate) fn open_envelope<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: Kind,
) -> Result<&'a [u8], StoreError> {
    let payload = check_header(path, bytes, kind)?;
    if crc32fast::hash(payload) != u32_at(bytes, 24) {
        return Err(StoreError::corrupt(
            path,
            "checksum mismatch: the contents were changed or damaged",
        ));
    }
    Ok(payload)
}

/// Checks a file's header (magic, kind, version, length, header checksum) and returns the
/// payload (whose checksum [`open_envelope`] checks).
pub(crate) fn check_header<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: Kind,
) -> Result<&'a [u8], StoreError> {
    let bad = |what: String| Err(StoreError::corrupt(path, what));
    if bytes.len() < HEADER {
        return bad(format!(
            "{} bytes, shorter than the {HEADER}-byte header (truncated?)",
            bytes.len()
        ));
    }
    if bytes[..8] != MAGIC {
        return bad("not an engram store file (bad magic number)".into());
    }
    if crc32fast::hash(&bytes[..28]) != u32_at(bytes, 28) {
        return bad("header checksum mismatch".into());
    }
    let version = u32_at(bytes, 12);
    if version != VERSION {
        return bad(format!(
            "format version {version}; this build reads version {VERSION}"
        ));
    }
    let found = u32_at(bytes, 8);
    if found != kind as u32 {
        return bad(format!(
            "expected a {} file, found kind {found}",
            kind.name()
        ));
    }
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let have = (bytes.len() - HEADER) as u64;
    if len != have {
        return bad(format!(
            "payload is {have} bytes, the header says {len} (truncated or extended)"
        ));
    }
    Ok(&bytes[HEADER..])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// Writes a new file and makes it durable (the file's name is made durable by the
/// [`sync_dir`] that precedes the manifest that names it).
pub(crate) fn write_new(storage: &dyn Storage, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = create_with(storage, name, &[bytes])?;
    f.sync().map_err(|e| StoreError::io(storage.path(name), e))
}

/// Creates a file that must not exist yet and writes `parts` into it (not yet durable).
fn create_with(
    storage: &dyn Storage,
    name: &str,
    parts: &[&[u8]],
) -> Result<Box<dyn StorageFile>, StoreError> {
    let io = |e| StoreError::io(storage.path(name), e);
    let mut f = storage.create(name).map_err(io)?;
    for part in parts {
        f.write_all(part).map_err(io)?;
    }
    Ok(f)
}

/// A commit's new files: each written as soon as its bytes are made (so that no commit holds
/// all its files' bytes at once), then made durable together by [`NewFiles::sync`].
#[derive(Default)]
pub(crate) struct NewFiles {
    files: Vec<(PathBuf, Box<dyn StorageFile>)>,
}

impl NewFiles {
    /// Writes a new file of `kind` holding `payload`.
    pub(crate) fn write(
        &mut self,
        storage: &dyn Storage,
        name: &str,
        kind: Kind,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        let f = create_with(storage, name, &[&header(kind, payload), payload])?;
        self.files.push((storage.path(name), f));
        Ok(())
    }

    /// Writes a new file of these bytes, envelope included.
    pub(crate) fn write_raw(
        &mut self,
        storage: &dyn Storage,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let f = create_with(storage, name, &[bytes])?;
        self.files.push((storage.path(name), f));
        Ok(())
    }

    /// Makes the files' contents durable together (in parallel: one commit's files wait for
    /// the disk once, not once each). Their names are made durable by the [`sync_dir`] that
    /// precedes the manifest that names them.
    pub(crate) fn sync(self) -> Result<(), StoreError> {
        use rayon::prelude::*;
        self.files
            .into_par_iter()
            .try_for_each(|(path, mut f)| f.sync().map_err(|e| StoreError::io(path, e)))
    }
}

/// Replaces the file `name` atomically: writes `name.tmp`, makes it durable, renames it over
/// `name`, and makes the names durable. A crash leaves either the old file or the new one.
pub(crate) fn replace(storage: &dyn Storage, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = format!("{name}.tmp");
    if storage.exists(&tmp) {
        storage
            .remove(&tmp)
            .map_err(|e| StoreError::io(storage.path(&tmp), e))?;
    }
    write_new(storage, &tmp, bytes)?;
    (storage.rename(&tmp, name)).map_err(|e| StoreError::io(storage.path(name), e))?;
    // The new file is in place (readers see it) but may not survive a power loss.
    storage.sync_dir().map_err(|e| {
        let why = format!(
            "{name} is replaced, but the fsync of its directory failed, so the change is visible \
             and may not be durable: {e}"
        );
        StoreError::io(place(storage), std::io::Error::new(e.kind(), why))
    })
}

/// Makes the names of the files created, renamed and removed so far durable.
pub(crate) fn sync_dir(storage: &dyn Storage) -> Result<(), StoreError> {
    storage
        .sync_dir()
        .map_err(|e| StoreError::io(place(storage), e))
}

/// Where a store is, as messages name it: its directory.
pub(crate) fn place(storage: &dyn Storage) -> PathBuf {
    (storage.dir().map(Path::to_path_buf)).unwrap_or_else(|| storage.path(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_and_detects_damage() {
        let p = Path::new("x.seg");
        let bytes = envelope(Kind::Facts, b"hello");
        assert_eq!(bytes.len(), HEADER + 5);
        assert_eq!(open_envelope(p, &bytes, Kind::Facts).unwrap(), b"hello");
        let wrong_kind = open_envelope(p, &bytes, Kind::Strings).unwrap_err();
        assert!(wrong_kind.to_string().contains("expected a strings file"));
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            let e = open_envelope(p, &b, Kind::Facts).unwrap_err().to_string();
            assert!(e.starts_with("x.seg: corrupt store file"), "{i}: {e}");
        }
        let e = open_envelope(p, &bytes[..bytes.len() - 1], Kind::Facts).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}
