//! The store's I/O, every operation that changes the disk in one place, with a hook a test
//! can install to make them fail: a full disk, a short write, a failed fsync or rename, or a
//! process that stops at a given step (a simulated power loss, which the test completes by
//! dropping what was not yet durable). Tests of programs that embed engram use it the same
//! way as engram's own (`tests/tests/faults.rs`).
//!
//! A hook covers the stores under one directory ([`install`]); with none installed an
//! operation costs one atomic load more than the system call.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

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
            | Op::Remove(p) => p,
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

type Hooks = Vec<(PathBuf, Arc<dyn Hook>)>;

static ANY: AtomicBool = AtomicBool::new(false);
static HOOKS: RwLock<Hooks> = RwLock::new(Vec::new());

/// Removes its hook when dropped.
#[must_use = "the hook is removed when this is dropped"]
pub struct Installed {
    dir: PathBuf,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
        hooks.retain(|(d, _)| d != &self.dir);
        ANY.store(!hooks.is_empty(), Ordering::Release);
    }
}

/// Installs `hook` for every operation on a path under `dir` (stores elsewhere, such as
/// those of other tests running at the same time, are not affected), until the returned
/// guard is dropped.
pub fn install(dir: &Path, hook: Arc<dyn Hook>) -> Installed {
    let dir = dir.to_path_buf();
    let mut hooks = HOOKS.write().unwrap_or_else(|e| e.into_inner());
    hooks.push((dir.clone(), hook));
    ANY.store(true, Ordering::Release);
    Installed { dir }
}

/// The hook for `path`, if one is installed.
fn hook_for(path: &Path) -> Option<Arc<dyn Hook>> {
    if !ANY.load(Ordering::Acquire) {
        return None;
    }
    let hooks = HOOKS.read().unwrap_or_else(|e| e.into_inner());
    (hooks.iter())
        .find(|(d, _)| path.starts_with(d))
        .map(|(_, h)| h.clone())
}

/// Runs `real` as `op` unless a hook fails it; `real` gets how many bytes to write when the
/// hook cuts a write short (then its error follows).
fn run<T>(op: Op<'_>, real: impl FnOnce(Option<usize>) -> io::Result<T>) -> io::Result<T> {
    let Some(hook) = hook_for(op.path()) else {
        return real(None);
    };
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

/// Creates a file that must not exist yet.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    run(Op::Create(path), |_| {
        File::options().write(true).create_new(true).open(path)
    })
}

/// Writes `bytes` to `file` (named `path`) at its position.
pub(crate) fn write(file: &mut File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    run(Op::Write(path, bytes.len()), |short| match short {
        None => file.write_all(bytes),
        Some(n) => file.write_all(&bytes[..n.min(bytes.len())]),
    })
}

/// Makes `file`'s contents durable.
pub(crate) fn sync(file: &File, path: &Path) -> io::Result<()> {
    run(Op::Sync(path), |_| file.sync_data())
}

/// Makes a directory's entries durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    run(Op::SyncDir(dir), |_| {
        File::open(dir).and_then(|d| d.sync_all())
    })
}

/// Renames `from` over `to`.
pub(crate) fn rename(from: &Path, to: &Path) -> io::Result<()> {
    run(Op::Rename(from, to), |_| std::fs::rename(from, to))
}

/// Cuts `file` (named `path`) to `len` bytes.
pub(crate) fn truncate(file: &File, path: &Path, len: u64) -> io::Result<()> {
    run(Op::Truncate(path, len), |_| file.set_len(len))
}

/// Writes a whole file in place (created or replaced, not atomically).
pub(crate) fn overwrite(path: &Path, bytes: &[u8]) -> io::Result<()> {
    run(Op::Write(path, bytes.len()), |short| match short {
        None => std::fs::write(path, bytes),
        Some(n) => std::fs::write(path, &bytes[..n.min(bytes.len())]),
    })
}

/// Removes a file.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    run(Op::Remove(path), |_| std::fs::remove_file(path))
}
