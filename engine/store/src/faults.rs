//! A storage backend that fails operations on purpose, for tests: it wraps another backend
//! and asks a [`Hook`] before each operation that changes the store's files (and tells it of
//! each read after), which may make
//! it fail as a full disk, a short write, a failed fsync or rename would, or stop the world at
//! a given step (a simulated power loss, which the test completes by dropping what was not
//! yet durable). `tests/tests/it/faults.rs` and the `faulty_commits` fuzz harness use it; so
//! can tests of programs that embed engram (`Store::open_on`).
//!
//! Not an API boundary: a testing aid, hidden from the documentation.

use super::storage::{Bytes, Storage, StorageFile};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An operation on the disk, as the store is about to make it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    /// A new file is created (empty, its name not yet durable).
    Create(&'a Path),
    /// Bytes are written to a file (at its end).
    Write(&'a Path, usize),
    /// A file's contents are made durable (`fsync`).
    Sync(&'a Path),
    /// A directory's entries are made durable (`fsync` of the directory).
    SyncDir(&'a Path),
    /// A file is renamed over another (`from`, `to`).
    Rename(&'a Path, &'a Path),
    /// A file is cut to a length.
    Truncate(&'a Path, u64),
    /// A file is removed.
    Remove(&'a Path),
    /// A file was read or mapped. Only heard of ([`Hook::after`]), never asked: reads are
    /// not failed here.
    Read(&'a Path),
}

impl Op<'_> {
    /// The file or directory the operation changes (for a rename, the name it writes).
    pub fn path(&self) -> &Path {
        match *self {
            Op::Create(p)
            | Op::Write(p, _)
            | Op::Sync(p)
            | Op::SyncDir(p)
            | Op::Truncate(p, _)
            | Op::Remove(p)
            | Op::Read(p) => p,
            Op::Rename(_, to) => to,
        }
    }
}

/// What a hook makes of an operation.
#[derive(Debug)]
pub enum Outcome {
    /// It happens.
    Proceed,
    /// It fails with this error, changing nothing.
    Fail(io::Error),
    /// A write puts only its first `n` bytes on the disk, then fails with this error.
    Short(usize, io::Error),
}

/// Decides the fate of each operation on a store's files, and hears of those that happened.
pub trait Hook: Send + Sync {
    /// Called before each operation.
    fn before(&self, op: &Op<'_>) -> Outcome;
    /// Called after each operation that succeeded.
    fn after(&self, _op: &Op<'_>) {}
}

/// A backend whose changes to files go through a [`Hook`] first.
#[derive(Clone)]
pub struct FaultStorage {
    inner: Arc<dyn Storage>,
    hook: Arc<dyn Hook>,
}

impl std::fmt::Debug for FaultStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultStorage")
            .field("inner", &self.inner)
            .finish()
    }
}

impl FaultStorage {
    /// `inner`'s files, each change to them asked of `hook` first.
    pub fn new(inner: Arc<dyn Storage>, hook: Arc<dyn Hook>) -> FaultStorage {
        FaultStorage { inner, hook }
    }

    /// Files in memory (a store to be created there), each change to them asked of `hook`
    /// first.
    pub fn in_memory(hook: Arc<dyn Hook>) -> FaultStorage {
        FaultStorage::new(Arc::new(super::storage::MemoryStorage::default()), hook)
    }

    /// The files of the directory `dir` (a store there or to be created there), each change
    /// to them asked of `hook` first.
    pub fn on_dir(dir: &Path, hook: Arc<dyn Hook>) -> FaultStorage {
        FaultStorage::new(Arc::new(super::storage::FileStorage::new(dir)), hook)
    }
}

/// Runs `real` as `op` unless the hook fails it; `real` gets how many bytes to write when the
/// hook cuts a write short (then its error follows).
fn run<T>(
    hook: &dyn Hook,
    op: Op<'_>,
    real: impl FnOnce(Option<usize>) -> io::Result<T>,
) -> io::Result<T> {
    match hook.before(&op) {
        Outcome::Proceed => {
            let out = real(None)?;
            hook.after(&op);
            Ok(out)
        }
        Outcome::Fail(e) => Err(e),
        Outcome::Short(n, e) => {
            real(Some(n))?;
            Err(e)
        }
    }
}

/// A file being written, its changes asked of the hook first.
struct FaultFile {
    inner: Box<dyn StorageFile>,
    path: PathBuf,
    hook: Arc<dyn Hook>,
}

impl StorageFile for FaultFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let inner = &mut self.inner;
        run(&*self.hook, Op::Write(&self.path, bytes.len()), |short| {
            inner.write_all(&bytes[..short.unwrap_or(bytes.len()).min(bytes.len())])
        })
    }

    fn sync(&mut self) -> io::Result<()> {
        let inner = &mut self.inner;
        run(&*self.hook, Op::Sync(&self.path), |_| inner.sync())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let inner = &mut self.inner;
        run(&*self.hook, Op::Truncate(&self.path, len), |_| {
            inner.set_len(len)
        })
    }

    fn size(&self) -> io::Result<u64> {
        self.inner.size()
    }
}

impl Storage for FaultStorage {
    fn dir(&self) -> Option<&Path> {
        self.inner.dir()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.inner.path(name)
    }

    fn create_place(&self) -> io::Result<()> {
        self.inner.create_place()
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let bytes = self.inner.read(name)?;
        self.hook.after(&Op::Read(&self.inner.path(name)));
        Ok(bytes)
    }

    fn map(&self, name: &str) -> io::Result<Bytes> {
        let bytes = self.inner.map(name)?;
        self.hook.after(&Op::Read(&self.inner.path(name)));
        Ok(bytes)
    }

    fn len(&self, name: &str) -> io::Result<u64> {
        self.inner.len(name)
    }

    fn exists(&self, name: &str) -> bool {
        self.inner.exists(name)
    }

    fn list(&self) -> io::Result<Vec<String>> {
        self.inner.list()
    }

    fn create(&self, name: &str) -> io::Result<Box<dyn StorageFile>> {
        let path = self.inner.path(name);
        let inner = run(&*self.hook, Op::Create(&path), |_| self.inner.create(name))?;
        Ok(Box::new(FaultFile {
            inner,
            path,
            hook: self.hook.clone(),
        }))
    }

    fn append(&self, name: &str) -> io::Result<Box<dyn StorageFile>> {
        Ok(Box::new(FaultFile {
            inner: self.inner.append(name)?,
            path: self.inner.path(name),
            hook: self.hook.clone(),
        }))
    }

    fn overwrite(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.inner.path(name);
        run(&*self.hook, Op::Write(&path, bytes.len()), |short| {
            let n = short.unwrap_or(bytes.len()).min(bytes.len());
            self.inner.overwrite(name, &bytes[..n])
        })
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (f, t) = (self.inner.path(from), self.inner.path(to));
        run(&*self.hook, Op::Rename(&f, &t), |_| {
            self.inner.rename(from, to)
        })
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        let path = self.inner.path(name);
        run(&*self.hook, Op::Remove(&path), |_| self.inner.remove(name))
    }

    fn sync_dir(&self) -> io::Result<()> {
        let dir = super::file::place(&*self.inner);
        run(&*self.hook, Op::SyncDir(&dir), |_| self.inner.sync_dir())
    }

    fn try_lock(&self) -> io::Result<Option<Box<dyn Send + Sync>>> {
        self.inner.try_lock()
    }
}
