//! Memory-mapped store files: the only `unsafe` code in engram.
//!
//! A mapped file is opened read-only, mapped, and closed: a mapping holds no file descriptor
//! (a store of hundreds of relations maps thousands of runs, past the usual limit of 1,024
//! open files), and outlives its file's deletion (the writer deletes a dead file while a
//! reader may still map it; the reader keeps reading what it mapped). It is validated once:
//! header, checksum, and rkyv's structural check. After that its archive is read in place
//! with no copying. A file checksummed per block (format version 2) has only its header, its
//! block table and its archive's structure checked when it is opened; its blocks are checked
//! the first time a reader reads them ([`ArchiveFile::verify_slice`]), each once.

use super::error::StoreError;
use super::file::{self, Kind};
use super::storage::{Bytes, Storage};
use memmap2::Mmap;
use rkyv::api::high::HighValidator;
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor::BoxedError;
use rkyv::{Archive, Portable};
use std::fs::File;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(not(target_endian = "little"))]
compile_error!(
    "engram's store reads archived columns in place, which needs a little-endian target"
);

/// A file of a directory, mapped (its descriptor closed); an empty file is not mapped.
pub(crate) struct MappedFile(Option<Mmap>);

impl AsRef<[u8]> for MappedFile {
    fn as_ref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or(&[])
    }
}

/// Opens and maps a file of a directory: [`crate::storage::FileStorage::map`].
pub(crate) fn map_file(path: &Path) -> std::io::Result<MappedFile> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        // Nothing to map (a zero-length mapping is an error): an empty file reads as empty.
        return Ok(MappedFile(None));
    }
    // SAFETY: store files are never written after they are named in a manifest: a change
    // is always a new file (see `file::write_new` and `file::replace`), and a dead file is
    // only ever deleted (unlinked), never truncated or rewritten: the mapping keeps the
    // deleted file's pages. The mapping therefore never observes a concurrent write or
    // truncation by engram. Closing `file` afterwards leaves the mapping valid.
    let map = unsafe { Mmap::map(&file) }?;
    Ok(MappedFile(Some(map)))
}

/// A store file's bytes as its storage gives them to read in place (mapped, on disk).
pub(crate) struct Mapped {
    bytes: Bytes,
    path: PathBuf,
}

impl Mapped {
    /// Opens a file to read in place. `NotFound` comes back as such (a reader racing a writer
    /// that removed a dead file retries with the new manifest).
    pub(crate) fn open(storage: &dyn Storage, name: &str) -> Result<Mapped, StoreError> {
        let path = storage.path(name);
        let bytes = storage.map(name).map_err(|e| StoreError::io(&path, e))?;
        let len = (*bytes).as_ref().len();
        if len < file::HEADER {
            return Err(StoreError::corrupt(
                path,
                format!("{len} bytes, shorter than the header (truncated?)"),
            ));
        }
        if (*bytes).as_ref().as_ptr().align_offset(16) != 0 {
            return Err(StoreError::corrupt(
                path,
                "its storage gave its bytes unaligned (archives need 16-byte alignment)",
            ));
        }
        Ok(Mapped { bytes, path })
    }

    /// The whole file.
    pub(crate) fn bytes(&self) -> &[u8] {
        (*self.bytes).as_ref()
    }

    /// Its path, as messages name it.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// A mapped file's payload, its header checked: a version-1 file's whole payload when opened,
/// a version-2 file's blocks as they are read ([`CheckedFile::verify_range`]), each once.
pub(crate) struct CheckedFile {
    mapped: Mapped,
    /// The payload's length (a version-2 file's block table follows it).
    payload_len: usize,
    /// A version-2 file's blocks: which have been checked.
    blocks: Option<Blocks>,
}

/// The blocks of a version-2 file: one bit per block, set once its checksum held.
struct Blocks {
    checked: Box<[AtomicU64]>,
}

impl CheckedFile {
    /// Maps a file of the given kind and checks its header and checksum (a version-2 file's
    /// block table: its blocks are checked as they are read).
    pub(crate) fn open(
        storage: &dyn Storage,
        name: &str,
        kind: Kind,
    ) -> Result<CheckedFile, StoreError> {
        let mapped = Mapped::open(storage, name)?;
        let env = file::open_parts(mapped.path(), mapped.bytes(), kind)?;
        let payload_len = env.payload.len();
        let blocks = env.blocks.map(|t| Blocks {
            checked: (0..(t.len() / 4).div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
        });
        Ok(CheckedFile {
            mapped,
            payload_len,
            blocks,
        })
    }

    /// The payload bytes, checked or not.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.mapped.bytes()[file::HEADER..file::HEADER + self.payload_len]
    }

    /// Payload bytes `range`, their blocks checked first (`None` past the payload's end).
    pub(crate) fn checked(&self, range: std::ops::Range<usize>) -> Option<Result<&[u8], String>> {
        let bytes = self.payload().get(range.clone())?;
        Some(self.verify_range(range).map(|()| bytes))
    }

    /// Checks the blocks holding payload bytes `range`, each the first time only; the error
    /// says which bytes are damaged. A no-op for a version-1 file (checked whole when opened).
    pub(crate) fn verify_range(&self, range: std::ops::Range<usize>) -> Result<(), String> {
        let Some(blocks) = &self.blocks else {
            return Ok(());
        };
        if range.is_empty() {
            return Ok(());
        }
        let table_at = file::HEADER + self.payload_len;
        let table = &self.mapped.bytes()[table_at..];
        let (first, last) = (range.start / file::BLOCK, (range.end - 1) / file::BLOCK);
        for b in first..=last {
            let (word, bit) = (&blocks.checked[b / 64], 1u64 << (b % 64));
            if word.load(Ordering::Acquire) & bit != 0 {
                continue;
            }
            file::check_blocks(self.payload(), table, b..b + 1)?;
            word.fetch_or(bit, Ordering::Release);
        }
        Ok(())
    }

    /// Bytes on disk.
    pub(crate) fn len(&self) -> usize {
        self.mapped.bytes().len()
    }

    /// Its path, as messages name it.
    pub(crate) fn path(&self) -> &Path {
        self.mapped.path()
    }
}

/// A mapped file whose payload is a validated rkyv archive of a `T`.
pub(crate) struct ArchiveFile<T> {
    file: CheckedFile,
    _t: PhantomData<fn() -> T>,
}

impl<T> ArchiveFile<T>
where
    T: Archive,
    T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, BoxedError>>,
{
    /// Opens and validates a file of the given kind: header, checksum (a version-2 file's
    /// block table: its blocks are checked as they are read), archive structure.
    pub(crate) fn open(
        storage: &dyn Storage,
        name: &str,
        kind: Kind,
    ) -> Result<ArchiveFile<T>, StoreError> {
        let file = CheckedFile::open(storage, name, kind)?;
        // The structural check reads the archive's pointers and lengths, never its columns'
        // values, so it touches a few pages of a mapped run and is safe on any bytes.
        rkyv::access::<T::Archived, BoxedError>(file.payload())
            .map_err(|e| StoreError::corrupt(file.path(), format!("malformed archive: {e}")))?;
        let payload_len = file.payload_len;
        // The root object (the archive's last bytes) is what every read starts from.
        let root = std::mem::size_of::<T::Archived>().min(payload_len);
        file.verify_range(payload_len - root..payload_len)
            .map_err(|e| StoreError::corrupt(file.path(), e))?;
        Ok(ArchiveFile {
            file,
            _t: PhantomData,
        })
    }

    /// The archived value, read in place.
    pub(crate) fn get(&self) -> &T::Archived {
        // SAFETY: `open` validated exactly these bytes with `rkyv::access` (bytecheck), and the
        // bytes are immutable (a mapping of a file never written again, see `map_file`, or
        // memory its storage never changes), so they are still a valid archive.
        unsafe { rkyv::access_unchecked::<T::Archived>(self.file.payload()) }
    }

    /// Checks the blocks holding `items` (a slice of the archive) against their checksums,
    /// each block the first time only; the error says which bytes are damaged. A no-op for a
    /// version-1 file (checked whole when opened) and for a slice outside the payload.
    pub(crate) fn verify_slice<I>(&self, items: &[I]) -> Result<(), String> {
        let base = self.file.payload().as_ptr() as usize;
        let start = (items.as_ptr() as usize).wrapping_sub(base);
        let len = std::mem::size_of_val(items);
        if start >= self.file.payload_len || len == 0 {
            return Ok(());
        }
        (self.file).verify_range(start..(start + len).min(self.file.payload_len))
    }

    /// Checks item `i` of `items` (a slice of the archive), as [`ArchiveFile::verify_slice`].
    pub(crate) fn verify_item<I>(&self, items: &[I], i: usize) -> Result<(), String> {
        self.verify_slice(items.get(i..=i).unwrap_or(&[]))
    }

    /// Checks every block not checked yet.
    pub(crate) fn verify_all(&self) -> Result<(), String> {
        self.file.verify_range(0..self.file.payload_len)
    }

    /// Bytes on disk.
    pub(crate) fn len(&self) -> usize {
        self.file.len()
    }

    /// Its path, as messages name it.
    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }
}

/// An rkyv archive of a `T` held in memory (a log record), validated once.
pub(crate) struct OwnedArchive<T> {
    buf: rkyv::util::AlignedVec<16>,
    _t: PhantomData<fn() -> T>,
}

impl<T> OwnedArchive<T>
where
    T: Archive,
    T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, BoxedError>>,
{
    /// Copies `bytes` into aligned memory and validates them as an archived `T`.
    pub(crate) fn new(bytes: &[u8]) -> Result<OwnedArchive<T>, String> {
        let mut buf = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
        buf.extend_from_slice(bytes);
        rkyv::access::<T::Archived, BoxedError>(&buf).map_err(|e| e.to_string())?;
        Ok(OwnedArchive {
            buf,
            _t: PhantomData,
        })
    }

    /// The archived value.
    pub(crate) fn get(&self) -> &T::Archived {
        // SAFETY: `new` validated exactly these bytes with `rkyv::access` (bytecheck), and the
        // buffer is owned and never changed afterwards.
        unsafe { rkyv::access_unchecked::<T::Archived>(&self.buf) }
    }
}

/// An index read in place from its file, or built in memory by this process (for what has
/// no file yet: the commit log's strings, a store written before the index was kept); read,
/// checked and reported on the same way.
pub(crate) enum FileOrBuilt<T> {
    /// Read in place from a file.
    File(ArchiveFile<T>),
    /// Built in memory.
    Built(OwnedArchive<T>),
}

impl<T> FileOrBuilt<T>
where
    T: Archive,
    T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, BoxedError>>,
{
    /// The archived value.
    pub(crate) fn get(&self) -> &T::Archived {
        match self {
            FileOrBuilt::File(f) => f.get(),
            FileOrBuilt::Built(a) => a.get(),
        }
    }

    /// Checks the blocks holding `items` (a slice of the archive) where they are read from
    /// a file ([`ArchiveFile::verify_slice`]).
    pub(crate) fn verify<I>(&self, items: &[I]) -> Result<(), StoreError> {
        match self {
            FileOrBuilt::File(f) => f
                .verify_slice(items)
                .map_err(|e| StoreError::corrupt(f.path(), e)),
            FileOrBuilt::Built(_) => Ok(()),
        }
    }

    /// An error saying what is wrong with it: naming its file, or `built` (what it is, made
    /// in memory).
    pub(crate) fn corrupt(&self, built: &str, what: &str) -> StoreError {
        match self {
            FileOrBuilt::File(f) => StoreError::corrupt(f.path(), what),
            FileOrBuilt::Built(_) => StoreError::corrupt(built, what),
        }
    }
}

// The slice casts below read an archived column as native values: each archived type must
// have the native type's size, and at least its alignment (a reference to the archived slice
// is aligned for the archived type, so it is then aligned for the native one).
const _: () = {
    use std::mem::{align_of, size_of};
    assert!(size_of::<rkyv::rend::u32_le>() == size_of::<u32>());
    assert!(align_of::<rkyv::rend::u32_le>() >= align_of::<u32>());
    assert!(size_of::<rkyv::rend::u64_le>() == size_of::<u64>());
    assert!(align_of::<rkyv::rend::u64_le>() >= align_of::<u64>());
    assert!(size_of::<rkyv::rend::f64_le>() == size_of::<f64>());
    assert!(align_of::<rkyv::rend::f64_le>() >= align_of::<f64>());
    assert!(size_of::<rkyv::rend::i64_le>() == size_of::<i64>());
    assert!(align_of::<rkyv::rend::i64_le>() >= align_of::<i64>());
};

/// An archived `u32` column as a plain slice.
pub(crate) fn u32s(v: &[rkyv::rend::u32_le]) -> &[u32] {
    // SAFETY: `u32_le` is a wrapper of exactly 4 bytes whose alignment is at least `u32`'s
    // (both asserted at compile time above), so a valid `&[u32_le]` is a valid `&[u32]` of
    // the same length; on a little-endian target (enforced above) its bytes are the `u32`'s.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u32>(), v.len()) }
}

/// An archived `u64` column as a plain slice.
pub(crate) fn u64s(v: &[rkyv::rend::u64_le]) -> &[u64] {
    // SAFETY: as for `u32s`: same size, at least the alignment, little-endian bytes.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u64>(), v.len()) }
}

/// An archived `f64` column as a plain slice.
pub(crate) fn f64s(v: &[rkyv::rend::f64_le]) -> &[f64] {
    // SAFETY: as for `u32s`: same size, at least the alignment, little-endian bytes.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<f64>(), v.len()) }
}

/// An archived `i64` column as a plain slice.
pub(crate) fn i64s(v: &[rkyv::rend::i64_le]) -> &[i64] {
    // SAFETY: as for `u32s`: same size, at least the alignment, little-endian bytes.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<i64>(), v.len()) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn archived_columns_read_as_native_values() {
        let v = [rkyv::rend::u32_le::from_native(7), 9.into()];
        assert_eq!(super::u32s(&v), &[7, 9]);
        let v = [rkyv::rend::i64_le::from_native(-7), 9.into()];
        assert_eq!(super::i64s(&v), &[-7, 9]);
        let v = [rkyv::rend::f64_le::from_native(0.5)];
        assert_eq!(super::f64s(&v), &[0.5]);
    }

    /// A mapped file holds no descriptor, and its mapping outlives the file's deletion.
    #[test]
    fn a_mapping_holds_no_descriptor_and_outlives_deletion() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; super::file::HEADER + 16]).unwrap();
        // The descriptors open on the file (counting all of the process's would race with
        // the tests running beside this one).
        let on_file = || {
            (std::fs::read_dir("/proc/self/fd").unwrap().flatten())
                .filter(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path))
                .count()
        };
        let maps: Vec<_> = (0..64).map(|_| super::map_file(&path).unwrap()).collect();
        assert_eq!(on_file(), 0, "no descriptor kept per mapping");
        std::fs::remove_file(&path).unwrap();
        assert!(maps.iter().all(|m| m.as_ref().iter().all(|&b| b == 7)));
    }
}
