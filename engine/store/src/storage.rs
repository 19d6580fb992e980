//! Where a store's files live, behind one trait (tantivy's `Directory`, redb's
//! `StorageBackend`): a directory on disk ([`FileStorage`]), memory ([`MemoryStorage`], what
//! [`crate::Store::in_memory`] runs on), or, in tests, a backend that fails operations on
//! purpose ([`crate::faults::FaultStorage`]). The store's code is the same on each: it names
//! files, the backend keeps them.
//!
//! What a backend promises, which the store's crash safety rests on:
//! - a file made by [`Storage::create`] is new (creating one that exists is an error);
//! - [`StorageFile::sync`] makes a file's contents durable, [`Storage::sync_dir`] the names
//!   of the files created, renamed and removed before it;
//! - [`Storage::rename`] replaces its target atomically;
//! - what [`Storage::map`] gives stays readable, unchanged, after its file is removed (the
//!   store never writes a file after a manifest names it, only removes it);
//! - [`Storage::try_lock`] gives at most one holder the writer lock at a time.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A file's whole contents, readable in place for as long as it is held.
pub type Bytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// The place a store keeps its files: named files in one flat namespace.
pub trait Storage: Send + Sync + fmt::Debug {
    /// The directory, for a store on disk.
    fn dir(&self) -> Option<&Path>;
    /// A file's path as messages name it.
    fn path(&self, name: &str) -> PathBuf;
    /// Makes the place for the store's files if it is missing (a directory and its parents).
    fn create_place(&self) -> io::Result<()>;
    /// A file's whole contents.
    fn read(&self, name: &str) -> io::Result<Vec<u8>>;
    /// A file's whole contents to read in place (mapped, on disk), aligned to 16 bytes.
    fn map(&self, name: &str) -> io::Result<Bytes>;
    /// A file's length in bytes.
    fn len(&self, name: &str) -> io::Result<u64>;
    /// Whether a file exists.
    fn exists(&self, name: &str) -> bool;
    /// Every file's name.
    fn list(&self) -> io::Result<Vec<String>>;
    /// Creates a new file to write (an error if it exists).
    fn create(&self, name: &str) -> io::Result<Box<dyn StorageFile>>;
    /// Opens an existing file to write at its end.
    fn append(&self, name: &str) -> io::Result<Box<dyn StorageFile>>;
    /// Writes a whole file in place, created or replaced, not atomically (a best-effort note
    /// that readers check).
    fn overwrite(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// Renames `from` over `to`, atomically.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Makes the files' names durable (the creations, renames and removals so far).
    fn sync_dir(&self) -> io::Result<()>;
    /// Takes the writer lock if no one holds it (`None` if someone does), recording this
    /// process as its holder; held until the guard is dropped.
    fn try_lock(&self) -> io::Result<Option<Box<dyn Send + Sync>>>;
    /// A file's whole contents, read through a [`Pin`] on the file when the backend can give
    /// one: while [`Storage::unchanged`] says the pin holds, the name still names the file that
    /// was read (files the store replaces are replaced by [`Storage::rename`], never written in
    /// place), so it need not be read again. A backend that cannot tell gives no pin.
    fn read_pinned(&self, name: &str) -> io::Result<(Vec<u8>, Option<Pin>)> {
        Ok((self.read(name)?, None))
    }
    /// Whether `name` still names the file `pin` was taken of (false when the backend cannot
    /// tell).
    fn unchanged(&self, name: &str, pin: &Pin) -> io::Result<bool> {
        let _ = (name, pin);
        Ok(false)
    }
}

/// A file held open, and its identity (device and inode): while it is held no other file can
/// take its inode, so a name whose file has the same identity still names this file.
#[derive(Debug)]
pub struct Pin {
    _file: std::fs::File,
    id: (u64, u64),
}

/// A file being written.
pub trait StorageFile: Send {
    /// Writes `bytes` at the file's end.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes what was written durable.
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts (or extends) the file to `len` bytes and writes on from there.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// The file's length in bytes.
    fn size(&self) -> io::Result<u64>;
}

/// A store's files in a directory.
#[derive(Debug)]
pub(crate) struct FileStorage {
    dir: PathBuf,
}

impl FileStorage {
    /// The files of the directory `dir`.
    pub(crate) fn new(dir: &Path) -> FileStorage {
        FileStorage {
            dir: dir.to_path_buf(),
        }
    }
}

/// A file of a directory being written.
struct DiskFile(std::fs::File);

impl StorageFile for DiskFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut self.0, bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)?;
        io::Seek::seek(&mut self.0, io::SeekFrom::Start(len)).map(drop)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
}

impl Storage for FileStorage {
    fn dir(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn create_place(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(name))
    }

    fn map(&self, name: &str) -> io::Result<Bytes> {
        Ok(Arc::new(crate::mmap::map_file(&self.path(name))?))
    }

    fn len(&self, name: &str) -> io::Result<u64> {
        Ok(std::fs::metadata(self.path(name))?.len())
    }

    #[cfg(unix)]
    fn read_pinned(&self, name: &str) -> io::Result<(Vec<u8>, Option<Pin>)> {
        use std::os::unix::fs::MetadataExt;
        let mut file = std::fs::File::open(self.path(name))?;
        let meta = file.metadata()?;
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        io::Read::read_to_end(&mut file, &mut bytes)?;
        let id = (meta.dev(), meta.ino());
        Ok((bytes, Some(Pin { _file: file, id })))
    }

    #[cfg(unix)]
    fn unchanged(&self, name: &str, pin: &Pin) -> io::Result<bool> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(self.path(name))?;
        Ok((meta.dev(), meta.ino()) == pin.id)
    }

    fn exists(&self, name: &str) -> bool {
        self.path(name).exists()
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn StorageFile>> {
        let f = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(self.path(name))?;
        Ok(Box::new(DiskFile(f)))
    }

    fn append(&self, name: &str) -> io::Result<Box<dyn StorageFile>> {
        let mut f = std::fs::File::options().write(true).open(self.path(name))?;
        io::Seek::seek(&mut f, io::SeekFrom::End(0))?;
        Ok(Box::new(DiskFile(f)))
    }

    fn overwrite(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        std::fs::write(self.path(name), bytes)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path(from), self.path(to))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        std::fs::remove_file(self.path(name))
    }

    fn sync_dir(&self) -> io::Result<()> {
        std::fs::File::open(&self.dir)?.sync_all()
    }

    fn try_lock(&self) -> io::Result<Option<Box<dyn Send + Sync>>> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path(crate::lock::LOCK))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        file.set_len(0)?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0))?;
        io::Write::write_all(&mut file, std::process::id().to_string().as_bytes())?;
        Ok(Some(Box::new(file)))
    }
}

/// A file's bytes in memory, aligned as archives need.
struct Aligned(rkyv::util::AlignedVec<16>);

impl AsRef<[u8]> for Aligned {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A store's files in memory: what [`crate::Store::in_memory`] keeps, gone with the store.
#[derive(Debug, Default)]
pub(crate) struct MemoryStorage {
    files: Mutex<std::collections::BTreeMap<String, Arc<Mutex<Vec<u8>>>>>,
    locked: Arc<AtomicBool>,
}

impl MemoryStorage {
    fn file(&self, name: &str) -> io::Result<Arc<Mutex<Vec<u8>>>> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        (files.get(name).cloned()).ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name))
    }

    fn files(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Arc<Mutex<Vec<u8>>>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A file of memory being written.
struct MemoryFile(Arc<Mutex<Vec<u8>>>);

impl MemoryFile {
    fn bytes(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl StorageFile for MemoryFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.bytes().extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let len = usize::try_from(len).map_err(io::Error::other)?;
        self.bytes().resize(len, 0);
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.bytes().len() as u64)
    }
}

/// Gives the writer lock of a [`MemoryStorage`] back when dropped.
struct MemoryLock(Arc<AtomicBool>);

impl Drop for MemoryLock {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Storage for MemoryStorage {
    fn dir(&self) -> Option<&Path> {
        None
    }

    fn path(&self, name: &str) -> PathBuf {
        Path::new("<memory>").join(name)
    }

    fn create_place(&self) -> io::Result<()> {
        Ok(())
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let file = self.file(name)?;
        let bytes = file.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(bytes)
    }

    fn map(&self, name: &str) -> io::Result<Bytes> {
        let file = self.file(name)?;
        let bytes = file.lock().unwrap_or_else(|e| e.into_inner());
        let mut aligned = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
        aligned.extend_from_slice(&bytes);
        Ok(Arc::new(Aligned(aligned)))
    }

    fn len(&self, name: &str) -> io::Result<u64> {
        let file = self.file(name)?;
        let len = file.lock().unwrap_or_else(|e| e.into_inner()).len();
        Ok(len as u64)
    }

    fn exists(&self, name: &str) -> bool {
        self.files().contains_key(name)
    }

    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.files().keys().cloned().collect())
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn StorageFile>> {
        let mut files = self.files();
        if files.contains_key(name) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, name));
        }
        let file = Arc::new(Mutex::new(Vec::new()));
        files.insert(name.to_string(), file.clone());
        Ok(Box::new(MemoryFile(file)))
    }

    fn append(&self, name: &str) -> io::Result<Box<dyn StorageFile>> {
        Ok(Box::new(MemoryFile(self.file(name)?)))
    }

    fn overwrite(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let file = Arc::new(Mutex::new(bytes.to_vec()));
        self.files().insert(name.to_string(), file);
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut files = self.files();
        let file = (files.remove(from))
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, from.to_string()))?;
        files.insert(to.to_string(), file);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        match self.files().remove(name) {
            Some(_) => Ok(()),
            None => Err(io::Error::new(io::ErrorKind::NotFound, name.to_string())),
        }
    }

    fn sync_dir(&self) -> io::Result<()> {
        Ok(())
    }

    fn try_lock(&self) -> io::Result<Option<Box<dyn Send + Sync>>> {
        match self.locked.swap(true, Ordering::AcqRel) {
            true => Ok(None),
            false => Ok(Some(Box::new(MemoryLock(self.locked.clone())))),
        }
    }
}
