//! The commit log: small commits append one record (new strings and the runs of what
//! changed) to the log file the manifest names and wait for the disk once, instead of writing
//! run files and a manifest. A checkpoint writes the logged runs as run files, names them in a
//! new manifest with a new, empty log, and the old log goes.
//!
//! ```text
//! header  (32 bytes: the common header, kind 5, payload length 0)
//! record  u32 length | u32 crc32 of the length | u32 crc32 of the payload | payload (rkyv)
//! record  ...
//! ```
//!
//! A commit is durable once its record is. A record cut short at the end of the file (a
//! writer killed while appending) was never committed: readers ignore it and the next writer
//! cuts it off. A damaged record with records after it, or a damaged length anywhere, is
//! corruption, reported by file name. The file `COMMITTED` beside the log records how many of
//! its bytes are committed, so a log that lost committed records (cut short, or replaced by an
//! older copy) is corruption too, not an older state; a damaged or cut last record it does not
//! count reads as uncommitted.

use super::error::StoreError;
use super::file::{self, Kind};
use super::mmap::OwnedArchive;
use super::segment::FactRun;
use super::storage::{Storage, StorageFile};
use rkyv::{Archive, Serialize};
use std::path::Path;
use std::sync::Arc;

/// One logged commit.
#[derive(Archive, Serialize)]
pub(crate) struct LogRecord {
    /// The store's generation after this commit.
    pub generation: u64,
    /// The id of the first string in `strings`.
    pub first_string: u32,
    /// Strings interned by this commit.
    pub strings: Vec<String>,
    /// What changed, one run per relation and layer.
    pub runs: Vec<FactRun>,
}

/// Bytes before a record's payload: its length, the length's checksum, the payload's.
const FRAME: usize = 12;

/// The committed records of a log file.
pub(crate) struct Log {
    /// The records, in order.
    pub records: Vec<Arc<OwnedArchive<LogRecord>>>,
    /// Bytes of the header and the committed records (the file may be longer by a cut record).
    pub valid_len: u64,
}

/// The bytes of an empty log.
pub(crate) fn header() -> Vec<u8> {
    file::envelope(Kind::Log, &[])
}

/// Reads a log file's committed records.
pub(crate) fn read(storage: &dyn Storage, name: &str) -> Result<Log, StoreError> {
    let path = &storage.path(name);
    let bytes = storage.read(name).map_err(|e| StoreError::io(path, e))?;
    if bytes.len() < file::HEADER {
        return Err(StoreError::corrupt(
            path,
            format!(
                "{} bytes, shorter than the header (truncated?)",
                bytes.len()
            ),
        ));
    }
    file::check_header(path, &bytes[..file::HEADER], Kind::Log)?;
    let mut records = Vec::new();
    let mut pos = file::HEADER;
    let n = bytes.len();
    while pos < n {
        // A record that does not fit in the file is a cut tail: not committed. So is a tail
        // of zeros (a file extended before its data reached the disk).
        if n - pos < FRAME || bytes[pos..].iter().all(|&b| b == 0) {
            break;
        }
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        if crc32fast::hash(&bytes[pos..pos + 4]) != word(pos + 4) {
            return Err(StoreError::corrupt(
                path,
                format!("the commit record at byte {pos} has a damaged length"),
            ));
        }
        let len = word(pos) as usize;
        let end = pos + FRAME + len;
        if end > n {
            break;
        }
        let payload = &bytes[pos + FRAME..end];
        let parsed = if crc32fast::hash(payload) == word(pos + 8) {
            OwnedArchive::<LogRecord>::new(payload)
        } else {
            Err("checksum mismatch".to_string())
        };
        match parsed {
            Ok(r) => records.push(Arc::new(r)),
            Err(_) if end == n => break,
            Err(e) => {
                return Err(StoreError::corrupt(
                    path,
                    format!("the commit record at byte {pos} is damaged ({e})"),
                ));
            }
        }
        pos = end;
    }
    Ok(Log {
        records,
        valid_len: pos as u64,
    })
}

/// A record framed for the log (its length, the length's checksum, the payload's checksum,
/// the payload), and the record as read back from those bytes.
pub(crate) fn frame(
    path: &Path,
    record: &LogRecord,
) -> Result<(Vec<u8>, Arc<OwnedArchive<LogRecord>>), StoreError> {
    let payload = rkyv::to_bytes::<rkyv::rancor::BoxedError>(record)
        .expect("archiving plain vectors cannot fail");
    // Never truncated: a commit too big for a record is refused (`persist` writes a big
    // commit as a checkpoint, so none reaches this).
    let Ok(len) = u32::try_from(payload.len()) else {
        return Err(StoreError::Invalid(format!(
            "{}: a commit record of {} bytes: a record holds at most 4 GiB",
            path.display(),
            payload.len()
        )));
    };
    let mut framed = Vec::with_capacity(payload.len() + FRAME);
    let len = len.to_le_bytes();
    framed.extend_from_slice(&len);
    framed.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    framed.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    framed.extend_from_slice(&payload);
    let back = OwnedArchive::new(&payload)
        .map_err(|e| StoreError::corrupt(path, format!("a record just framed: {e}")))?;
    Ok((framed, Arc::new(back)))
}

/// Appends framed records (one, or a group's) and waits once until they are durable; on
/// failure cuts them off again, so that nothing of them counts as committed.
pub(crate) fn append(
    file: &mut dyn StorageFile,
    path: &Path,
    framed: &[u8],
) -> Result<(), StoreError> {
    let io = |e| StoreError::io(path, e);
    let start = file.size().map_err(io)?;
    let written = file.write_all(framed).and_then(|_| file.sync());
    if let Err(e) = written {
        // Not committed: the records, whole or in part, are cut off again so that the next
        // commit appends where these began (and a reader never takes a record whose fsync
        // failed for committed). If even that fails the log's tail is unknown: the caller
        // reloads, and an uncommitted tail is cut when the log is next opened for appending.
        if let Err(again) = file.set_len(start).and_then(|_| file.sync()) {
            // The records may be whole in the log (only the fsync failed): readers would
            // take them for committed. Say so, rather than that nothing happened.
            let why = format!(
                "{e}; cutting the records off again failed too ({again}), so the commits may \
                 be visible (their records are in the log) and may not be durable"
            );
            return Err(io(std::io::Error::new(e.kind(), why)));
        }
        return Err(io(e));
    }
    Ok(())
}

/// The file beside the log that records how many of its bytes are committed, so that a log
/// that lost committed records (cut short, or replaced by an older copy) is reported instead
/// of read as the older state it now holds, while a record a killed writer left half written
/// (never committed) is still cut off quietly.
///
/// It is written after each record is durable, without waiting for the disk: after a crash it
/// may name fewer bytes than are committed (never more), or be torn (its checksum then fails
/// and it is ignored).
const COMMITTED: &str = "COMMITTED";

/// Records that `len` bytes of the log `log_name` are committed (best effort: see
/// [`COMMITTED`]).
pub(crate) fn note_committed(storage: &dyn Storage, log_name: &str, len: u64) {
    let body = format!("{log_name}\t{len}");
    let text = format!("{body}\t{:08x}\n", crc32fast::hash(body.as_bytes()));
    let _ = storage.overwrite(COMMITTED, text.as_bytes());
}

/// How many bytes of the log `log_name` were recorded committed, if known. Read before the log
/// itself, so that a writer's later commit can only make the log longer than this.
pub(crate) fn committed(storage: &dyn Storage, log_name: &str) -> Option<u64> {
    let text = String::from_utf8(storage.read(COMMITTED).ok()?).ok()?;
    let (body, crc) = text.trim_end().rsplit_once('\t')?;
    if u32::from_str_radix(crc, 16).ok()? != crc32fast::hash(body.as_bytes()) {
        return None;
    }
    let (name, len) = body.split_once('\t')?;
    (name == log_name).then(|| len.parse().ok())?
}

/// Opens a log for appending, first cutting off a record a killed writer left half written.
pub(crate) fn open_for_append(
    storage: &dyn Storage,
    name: &str,
    valid_len: u64,
) -> Result<Box<dyn StorageFile>, StoreError> {
    let io = |e| StoreError::io(storage.path(name), e);
    let mut f = storage.append(name).map_err(io)?;
    if f.size().map_err(io)? != valid_len {
        f.set_len(valid_len).map_err(io)?;
        f.sync().map_err(io)?;
    }
    Ok(f)
}
