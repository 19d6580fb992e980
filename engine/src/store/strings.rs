//! The store's symbol table: every interned string once, persisted as append-only runs.
//!
//! Ids are dense and never change: a commit that interned new strings writes one new run
//! holding exactly the ids after the last run's, so the table is never rewritten. Reading an id
//! needs no lasso at all (offsets and bytes are mapped); looking a string up builds lasso's
//! interner once, re-interning in id order so its ids equal the stored ones.

use super::error::StoreError;
use super::file::Kind;
use super::mmap::{ArchiveFile, u32s};
use crate::value::{Interner, Sym};
use rkyv::{Archive, Serialize};
use std::path::Path;

/// One run of strings: ids `first..first + offsets.len() - 1`.
#[derive(Archive, Serialize)]
pub(crate) struct StringRun {
    /// The id of the run's first string.
    pub first: u32,
    /// Byte offsets of the strings in `bytes`, one more than there are strings.
    pub offsets: Vec<u32>,
    /// The strings' UTF-8 bytes, back to back.
    pub bytes: Vec<u8>,
}

impl StringRun {
    /// A run of `strings`, the first of which has id `first`.
    pub(crate) fn new<'a>(first: u32, strings: impl IntoIterator<Item = &'a str>) -> StringRun {
        let mut offsets = vec![0u32];
        let mut bytes = Vec::new();
        for s in strings {
            bytes.extend_from_slice(s.as_bytes());
            offsets.push(bytes.len() as u32);
        }
        StringRun {
            first,
            offsets,
            bytes,
        }
    }
}

/// A mapped run, checked: offsets ascend within the bytes, the bytes are UTF-8.
pub(crate) struct MappedRun {
    file: ArchiveFile<StringRun>,
}

impl MappedRun {
    /// Opens and checks a run file that should start at id `first` and hold `count` strings.
    pub(crate) fn open(path: &Path, first: u32, count: u32) -> Result<MappedRun, StoreError> {
        let file = ArchiveFile::<StringRun>::open(path, Kind::Strings)?;
        let run = file.get();
        let offsets = u32s(&run.offsets);
        let bad = |what: String| Err(StoreError::corrupt(path, what));
        if run.first.to_native() != first || offsets.len() != count as usize + 1 {
            return bad(format!(
                "holds ids {}.. ({} strings); the manifest expects {first}.. ({count})",
                run.first.to_native(),
                offsets.len().saturating_sub(1)
            ));
        }
        if offsets[0] != 0
            || offsets.windows(2).any(|w| w[0] > w[1])
            || *offsets.last().expect("count + 1 >= 1") as usize != run.bytes.len()
        {
            return bad("string offsets out of order".into());
        }
        if std::str::from_utf8(run.bytes.as_slice()).is_err() {
            return bad("a string is not valid UTF-8".into());
        }
        Ok(MappedRun { file })
    }

    fn get(&self, i: usize) -> &str {
        let run = self.file.get();
        let offsets = u32s(&run.offsets);
        let bytes = &run.bytes.as_slice()[offsets[i] as usize..offsets[i + 1] as usize];
        // Checked at open: the whole buffer is UTF-8 and the offsets are ascending; a string
        // boundary inside a character would still fail here, and then reads as empty.
        std::str::from_utf8(bytes).unwrap_or("")
    }

    fn len(&self) -> usize {
        u32s(&self.file.get().offsets).len() - 1
    }

    /// Bytes on disk.
    pub(crate) fn file_len(&self) -> usize {
        self.file.len()
    }
}

/// The symbol table of an open store.
#[derive(Default)]
pub(crate) struct Strings {
    /// Committed runs, in id order.
    runs: Vec<MappedRun>,
    /// Committed strings held in memory (an in-memory store, or runs replaced by a compaction).
    owned: Vec<String>,
    /// Every string, built on first lookup; ids past the committed ones are not yet written.
    interner: Option<Interner>,
}

impl Strings {
    /// A table from mapped runs.
    pub(crate) fn from_runs(runs: Vec<MappedRun>) -> Strings {
        Strings {
            runs,
            owned: Vec::new(),
            interner: None,
        }
    }

    /// Strings written to disk or held as committed.
    pub(crate) fn committed(&self) -> u32 {
        (self.runs.iter().map(MappedRun::len).sum::<usize>() + self.owned.len()) as u32
    }

    /// The interner holding every string with its stored id (built on first use).
    pub(crate) fn interner(&mut self) -> &mut Interner {
        if self.interner.is_none() {
            let mut i = Interner::default();
            for run in &self.runs {
                for k in 0..run.len() {
                    i.intern(run.get(k));
                }
            }
            for s in &self.owned {
                i.intern(s);
            }
            self.interner = Some(i);
        }
        self.interner.as_mut().expect("just built")
    }

    /// Replaces the interner (a superset of this one, in the same id order).
    pub(crate) fn set_interner(&mut self, interner: Interner) {
        self.interner = Some(interner);
    }

    /// The run of strings interned since the last commit, if any.
    pub(crate) fn pending_run(&mut self) -> Option<StringRun> {
        let first = self.committed();
        let interner = self.interner.as_ref()?;
        let n = interner.len() as u32;
        (n > first).then(|| {
            StringRun::new(
                first,
                (first..n).map(|id| interner.resolve(Sym::from_id(id))),
            )
        })
    }

    /// The pending strings with those of the newest `k` committed runs, as one run.
    pub(crate) fn tail_run(&mut self, k: usize) -> Option<StringRun> {
        let k = k.min(self.runs.len());
        let first = self.committed()
            - self.runs[self.runs.len() - k..]
                .iter()
                .map(|r| r.len() as u32)
                .sum::<u32>();
        let interner = self.interner();
        let n = interner.len() as u32;
        (n > first).then(|| {
            StringRun::new(
                first,
                (first..n).map(|id| interner.resolve(Sym::from_id(id))),
            )
        })
    }

    /// Replaces the newest `k` runs by `run` (which holds their strings and more).
    pub(crate) fn replace_last_runs(&mut self, k: usize, run: MappedRun) {
        self.runs.truncate(self.runs.len() - k);
        self.runs.push(run);
    }

    /// Number of committed runs.
    pub(crate) fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// One run of every string, committed or pending.
    pub(crate) fn all_run(&mut self) -> StringRun {
        let interner = self.interner();
        let n = interner.len() as u32;
        StringRun::new(0, (0..n).map(|id| interner.resolve(Sym::from_id(id))))
    }

    /// Replaces every run by `run` (which holds them all).
    pub(crate) fn replace_runs(&mut self, run: MappedRun) {
        self.runs = vec![run];
        self.owned.clear();
    }

    /// Records that the pending strings were committed as the mapped run `run`.
    pub(crate) fn committed_run(&mut self, run: MappedRun) {
        self.runs.push(run);
    }

    /// Records that the pending strings are committed in memory (an in-memory store).
    pub(crate) fn commit_in_memory(&mut self) {
        let first = self.committed();
        if let Some(interner) = &self.interner {
            let n = interner.len() as u32;
            let new: Vec<String> = (first..n)
                .map(|id| interner.resolve(Sym::from_id(id)).to_string())
                .collect();
            self.owned.extend(new);
        }
    }

    /// Forgets the interner (it is rebuilt from the committed strings on next use).
    pub(crate) fn reset_interner(&mut self) {
        self.interner = None;
    }

    /// Number of committed runs and their bytes on disk.
    pub(crate) fn disk(&self) -> (usize, usize) {
        (
            self.runs.len(),
            self.runs.iter().map(MappedRun::file_len).sum(),
        )
    }
}
