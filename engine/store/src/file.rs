//! The envelope of every store file: a 32-byte header (magic, kind, format version, payload
//! length, checksum, header checksum) before the payload, and the ways files are written: new
//! files fsynced before they are named in a manifest, the manifest replaced atomically.
//!
//! ```text
//! 0      8      12       16            24         28        32
//! | magic | kind | version | payload len | crc32 of | crc32 of | payload ... | block table
//! |ENGRAMDB| u32 |   u32   |     u64     | see below| 0..28    |             | (version 2)
//! ```
//! All integers are little-endian. The payload starts at byte 32, so an rkyv archive in it is
//! 16-byte aligned in a mapped file.
//!
//! Version 1 checksums the payload as a whole: the header's checksum is the payload's, and a
//! reader checks it before reading anything. Version 2 (fact and string runs, rule files)
//! checksums it per [`BLOCK`] bytes: after the payload, one crc32 per block, and the header's
//! checksum is the table's. A reader of a large run checks the blocks it reads, the first
//! time it reads them ([`crate::mmap::ArchiveFile::verify_slice`]), so a lookup costs what it
//! touches, not the size of the file; a pass over the whole run checks every block.

use super::error::StoreError;
use super::storage::{Storage, StorageFile};
use std::path::{Path, PathBuf};

/// The first eight bytes of every store file.
pub(crate) const MAGIC: [u8; 8] = *b"ENGRAMDB";
/// The format version of files checksummed as a whole (the manifest, the log's header).
pub(crate) const VERSION: u32 = 1;
/// The format version of files checksummed per block (runs and rule files).
pub(crate) const BLOCKED: u32 = 2;
/// Payload bytes per checksum in a version-2 file.
pub(crate) const BLOCK: usize = 16 * 1024;
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
    /// The word postings of a run of strings (rkyv).
    Terms = 6,
    /// A run of facts' rows in the orders of its other columns (rkyv).
    Orders = 7,
    /// The trigrams of a run of strings (rkyv).
    Grams = 8,
    /// What a reader computed from the store and keeps for the next process
    /// ([`Store::write_cache`](crate::Store::write_cache)): bytes of its own format.
    Cache = 9,
    /// A run of records' field values (rkyv).
    Records = 10,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Manifest => "manifest",
            Kind::Strings => "strings",
            Kind::Facts => "facts",
            Kind::Rules => "rules",
            Kind::Log => "log",
            Kind::Terms => "terms",
            Kind::Orders => "orders",
            Kind::Grams => "grams",
            Kind::Cache => "cache",
            Kind::Records => "records",
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

/// The header of a version-1 file holding `payload`.
fn header(kind: Kind, payload: &[u8]) -> [u8; HEADER] {
    header_of(kind, VERSION, payload.len(), crc32fast::hash(payload))
}

/// A header: `crc` is the payload's (version 1) or its block table's (version 2).
fn header_of(kind: Kind, version: u32, payload_len: usize, crc: u32) -> [u8; HEADER] {
    let mut out = [0u8; HEADER];
    out[..8].copy_from_slice(&MAGIC);
    out[8..12].copy_from_slice(&(kind as u32).to_le_bytes());
    out[12..16].copy_from_slice(&version.to_le_bytes());
    out[16..24].copy_from_slice(&(payload_len as u64).to_le_bytes());
    out[24..28].copy_from_slice(&crc.to_le_bytes());
    let head = crc32fast::hash(&out[..28]);
    out[28..].copy_from_slice(&head.to_le_bytes());
    out
}

/// The block table of `payload`: the crc32 of each [`BLOCK`] bytes, the last block short.
fn block_table(payload: &[u8]) -> Vec<u8> {
    (payload.chunks(BLOCK))
        .flat_map(|b| crc32fast::hash(b).to_le_bytes())
        .collect()
}

/// The header and block table of a version-2 file holding `payload` (it goes between them).
pub(crate) fn blocked(kind: Kind, payload: &[u8]) -> ([u8; HEADER], Vec<u8>) {
    let table = block_table(payload);
    let head = header_of(kind, BLOCKED, payload.len(), crc32fast::hash(&table));
    (head, table)
}

/// The bytes of a version-2 file: header, payload, block table.
#[cfg(test)]
pub(crate) fn envelope_blocked(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let (head, table) = blocked(kind, payload);
    [&head[..], payload, &table].concat()
}

/// A file's parts, its header checked.
pub(crate) struct Envelope<'a> {
    /// The payload.
    pub payload: &'a [u8],
    /// A version-2 file's block table (its own checksum checked); `None` for version 1.
    pub blocks: Option<&'a [u8]>,
}

/// Checks a file's header and whole payload (every block of a version-2 file); returns the
/// payload.
pub(crate) fn open_envelope<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: Kind,
) -> Result<&'a [u8], StoreError> {
    let env = open_parts(path, bytes, kind)?;
    if let Some(table) = env.blocks {
        let all = 0..table.len() / 4;
        check_blocks(env.payload, table, all).map_err(|e| StoreError::corrupt(path, e))?;
    }
    Ok(env.payload)
}

/// Checks a file's header, and the payload's checksum if it is a version-1 file; a version-2
/// file's blocks are left to be checked as they are read ([`check_blocks`]).
pub(crate) fn open_parts<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: Kind,
) -> Result<Envelope<'a>, StoreError> {
    let env = check_header(path, bytes, kind)?;
    if env.blocks.is_none() && crc32fast::hash(env.payload) != u32_at(bytes, 24) {
        return Err(StoreError::corrupt(
            path,
            "checksum mismatch: the contents were changed or damaged",
        ));
    }
    Ok(env)
}

/// Checks blocks `which` of a version-2 payload against its table; the error says which bytes
/// are damaged.
pub(crate) fn check_blocks(
    payload: &[u8],
    table: &[u8],
    which: std::ops::Range<usize>,
) -> Result<(), String> {
    for b in which {
        let start = b * BLOCK;
        let block = &payload[start..(start + BLOCK).min(payload.len())];
        if crc32fast::hash(block) != u32_at(table, 4 * b) {
            return Err(format!(
                "checksum mismatch in bytes {start}..{} of the payload: the contents were \
                 changed or damaged",
                start + block.len()
            ));
        }
    }
    Ok(())
}

/// Checks a file's header (magic, kind, version, length, header checksum, and a version-2
/// file's block table) and returns its parts (whose payload checksum [`open_parts`] checks).
pub(crate) fn check_header<'a>(
    path: &Path,
    bytes: &'a [u8],
    kind: Kind,
) -> Result<Envelope<'a>, StoreError> {
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
    if version != VERSION && version != BLOCKED {
        return bad(format!(
            "format version {version}; this build reads versions {VERSION} and {BLOCKED}"
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
    let table = match version {
        BLOCKED => 4 * len.div_ceil(BLOCK as u64),
        _ => 0,
    };
    if len.checked_add(table) != Some(have) {
        return bad(format!(
            "payload is {have} bytes, the header says {len} (truncated or extended)",
            have = have.saturating_sub(table)
        ));
    }
    let payload = &bytes[HEADER..HEADER + len as usize];
    let blocks = (version == BLOCKED).then(|| &bytes[HEADER + len as usize..]);
    if let Some(t) = blocks
        && crc32fast::hash(t) != u32_at(bytes, 24)
    {
        return bad("block checksum table damaged".into());
    }
    Ok(Envelope { payload, blocks })
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
    /// Writes a new file of `kind` holding `payload`, checksummed per block (version 2).
    pub(crate) fn write(
        &mut self,
        storage: &dyn Storage,
        name: &str,
        kind: Kind,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        let (head, table) = blocked(kind, payload);
        let f = create_with(storage, name, &[&head, payload, &table])?;
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

    /// A version-2 file opens on its header and block table alone; each block's damage is
    /// found by the check of that block, and by a check of the whole.
    #[test]
    fn blocks_are_checked_one_by_one() {
        let p = Path::new("x.facts");
        let payload: Vec<u8> = (0..BLOCK * 2 + 100).map(|i| (i * 7) as u8).collect();
        let bytes = envelope_blocked(Kind::Facts, &payload);
        assert_eq!(bytes.len(), HEADER + payload.len() + 3 * 4);
        assert_eq!(open_envelope(p, &bytes, Kind::Facts).unwrap(), &payload[..]);
        for (at, block) in [(0, 0), (BLOCK + 5, 1), (2 * BLOCK + 99, 2)] {
            let mut b = bytes.clone();
            b[HEADER + at] ^= 0x01;
            let env = open_parts(p, &b, Kind::Facts).expect("the header and table hold");
            let table = env.blocks.unwrap();
            for other in (0..3).filter(|&o| o != block) {
                check_blocks(env.payload, table, other..other + 1).unwrap();
            }
            let e = check_blocks(env.payload, table, block..block + 1).unwrap_err();
            assert!(e.contains(&format!("bytes {}..", block * BLOCK)), "{e}");
            let e = open_envelope(p, &b, Kind::Facts).unwrap_err().to_string();
            assert!(e.starts_with("x.facts: corrupt store file"), "{e}");
        }
        // The header, the table, and the length are checked when the file opens.
        for at in [0, 9, 13, 17, 25, 30, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[at] ^= 0x40;
            assert!(open_parts(p, &b, Kind::Facts).is_err(), "flip at {at}");
        }
        assert!(open_parts(p, &bytes[..bytes.len() - 4], Kind::Facts).is_err());
    }
}
