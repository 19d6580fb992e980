//! The store's symbol table: every interned string once, persisted as append-only runs.
//!
//! Ids are dense and never change: a commit that interned new strings writes one new run
//! holding exactly the ids after the last run's, so the table is never rewritten. Each run
//! carries a hash index, so that the mapped runs themselves are the interner's base: opening a
//! store builds no table, and strings are looked up and resolved in place.

use super::error::StoreError;
use super::file::Kind;
use super::grams::{self, LazyGrams, MappedGrams};
use super::mmap::{ArchiveFile, u32s};
use super::storage::Storage;
use super::terms::{LazyTerms, MappedTerms};
use engram_core::internal::value::{Interner, Sym, SymbolBase};
use rkyv::{Archive, Serialize};
use std::sync::Arc;

/// One run of strings: ids `first..first + offsets.len() - 1`.
#[derive(Archive, Serialize)]
pub(crate) struct StringRun {
    /// The id of the run's first string.
    pub first: u32,
    /// Byte offsets of the strings in `bytes`, one more than there are strings.
    pub offsets: Vec<u32>,
    /// The strings' UTF-8 bytes, back to back.
    pub bytes: Vec<u8>,
    /// Open-addressing hash index: a power of two at least twice the strings (0 if none);
    /// each slot 0 (empty) or 1 + the string's position in the run; probed linearly from
    /// `fnv1a(string) & (len - 1)`.
    pub slots: Vec<u32>,
}

/// FNV-1a, 64 bits: the stable hash of the runs' indexes.
fn fnv1a(s: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The most bytes of text one run holds: its offsets are 32-bit. A longer string is refused
/// when it is committed ([`Strings::pending_bytes`]).
pub(crate) const RUN_BYTES: usize = u32::MAX as usize;

impl StringRun {
    /// A run of `strings`, the first of which has id `first`.
    #[cfg(test)]
    pub(crate) fn new<'a>(first: u32, strings: impl IntoIterator<Item = &'a str>) -> StringRun {
        let mut runs = StringRun::split(first, strings, RUN_BYTES);
        assert_eq!(runs.len(), 1, "a test run fits in one");
        runs.pop().expect("one run")
    }

    /// Runs of `strings` (the first with id `first`), in order, each holding at most
    /// `max_bytes` of text: a string's offset is never truncated to 32 bits. (A string longer
    /// than `max_bytes` is a run of its own; the store refuses one over 4 GiB when it is added.)
    pub(crate) fn split<'a>(
        first: u32,
        strings: impl IntoIterator<Item = &'a str>,
        max_bytes: usize,
    ) -> Vec<StringRun> {
        let mut runs = Vec::new();
        let (mut offsets, mut bytes) = (vec![0u32], Vec::new());
        let mut start = first;
        for s in strings {
            if bytes.len() + s.len() > max_bytes && offsets.len() > 1 {
                let n = offsets.len() as u32 - 1;
                runs.push(StringRun::index(start, offsets, bytes));
                start += n;
                (offsets, bytes) = (vec![0u32], Vec::new());
            }
            bytes.extend_from_slice(s.as_bytes());
            offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        }
        runs.push(StringRun::index(start, offsets, bytes));
        runs
    }

    /// The run of the strings `offsets` cut `bytes` into, with its hash index.
    fn index(first: u32, offsets: Vec<u32>, bytes: Vec<u8>) -> StringRun {
        let n = offsets.len() - 1;
        let cap = if n == 0 {
            0
        } else {
            (2 * n).next_power_of_two()
        };
        let mut slots = vec![0u32; cap];
        for i in 0..n {
            let s = &bytes[offsets[i] as usize..offsets[i + 1] as usize];
            let mut at = fnv1a(s) as usize & (cap - 1);
            while slots[at] != 0 {
                at = (at + 1) & (cap - 1);
            }
            slots[at] = i as u32 + 1;
        }
        StringRun {
            first,
            offsets,
            bytes,
            slots,
        }
    }
}

impl StringRun {
    /// Its strings, in id order.
    pub(crate) fn strings(&self) -> impl Iterator<Item = &str> {
        (self.offsets.windows(2))
            .map(|w| std::str::from_utf8(&self.bytes[w[0] as usize..w[1] as usize]).unwrap_or(""))
    }
}

/// A mapped run, checked: offsets ascend within the bytes, the bytes are UTF-8, the index
/// has the right shape. With its word postings ([`crate::terms`]) and its trigrams
/// ([`crate::grams`]).
pub(crate) struct MappedRun {
    file: ArchiveFile<StringRun>,
    /// Its file's name in the store directory.
    name: String,
    terms: LazyTerms,
    grams: LazyGrams,
}

impl MappedRun {
    /// Opens and checks a run file that should start at id `first` and hold `count` strings,
    /// with its postings file `terms` if it has one.
    pub(crate) fn open(
        storage: &dyn Storage,
        name: &str,
        first: u32,
        count: u32,
        terms: Option<&str>,
    ) -> Result<MappedRun, StoreError> {
        let file = ArchiveFile::<StringRun>::open(storage, name, Kind::Strings)?;
        let path = file.path();
        // Strings are resolved where no error can be returned, so a run is checked whole.
        (file.verify_all()).map_err(|e| StoreError::corrupt(path, e))?;
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
        let slots = u32s(&run.slots);
        let want = if count == 0 {
            0
        } else {
            (2 * count as usize).next_power_of_two()
        };
        if slots.len() != want || slots.iter().any(|&s| s > count) {
            return bad("malformed string index".into());
        }
        let terms = match terms {
            Some(t) => LazyTerms::of(MappedTerms::open(storage, t, first, count)?),
            None => LazyTerms::default(),
        };
        Ok(MappedRun {
            file,
            name: name.to_string(),
            terms,
            grams: LazyGrams::default(),
        })
    }

    /// Its trigrams: from its trigram file in `storage`, or built from its strings, once.
    fn grams(&self, storage: &dyn Storage) -> Result<&MappedGrams, StoreError> {
        let (first, count) = (self.first(), self.len() as u32);
        self.grams.get(
            || MappedGrams::open(storage, &self.name, first, count),
            first,
            || (0..self.len()).map(|i| self.get(i)),
        )
    }

    /// Its word postings (built from its strings, once, if it has no postings file).
    fn terms(&self) -> &MappedTerms {
        self.terms
            .get(self.first(), || (0..self.len()).map(|i| self.get(i)))
    }

    fn get(&self, i: usize) -> &str {
        let run = self.file.get();
        let offsets = u32s(&run.offsets);
        let bytes = &run.bytes.as_slice()[offsets[i] as usize..offsets[i + 1] as usize];
        // Checked at open: the whole buffer is UTF-8 and the offsets are ascending; a string
        // boundary inside a character would still fail here, and then reads as empty.
        std::str::from_utf8(bytes).unwrap_or("")
    }

    fn find(&self, s: &str) -> Option<u32> {
        let slots = u32s(&self.file.get().slots);
        if slots.is_empty() {
            return None;
        }
        let mask = slots.len() - 1;
        let mut at = fnv1a(s.as_bytes()) as usize & mask;
        for _ in 0..slots.len() {
            match slots[at] {
                0 => return None,
                k if self.get(k as usize - 1) == s => return Some(k - 1),
                _ => at = (at + 1) & mask,
            }
        }
        None
    }

    fn first(&self) -> u32 {
        self.file.get().first.to_native()
    }

    fn len(&self) -> usize {
        u32s(&self.file.get().offsets).len() - 1
    }

    /// Bytes on disk.
    pub(crate) fn file_len(&self) -> usize {
        self.file.len()
    }
}

/// The committed runs as an interner's base.
struct RunSet {
    runs: Vec<Arc<MappedRun>>,
    len: usize,
}

impl SymbolBase for RunSet {
    fn len(&self) -> usize {
        self.len
    }

    fn resolve(&self, id: u32) -> &str {
        let i = self.runs.partition_point(|r| r.first() <= id);
        self.runs[i - 1].get((id - self.runs[i - 1].first()) as usize)
    }

    fn lookup(&self, s: &str) -> Option<u32> {
        self.runs
            .iter()
            .rev()
            .find_map(|r| r.find(s).map(|k| r.first() + k))
    }
}

/// The symbol table of an open store.
#[derive(Default)]
pub(crate) struct Strings {
    /// Committed runs, in id order.
    runs: Vec<Arc<MappedRun>>,
    /// Strings committed but not in a run file (the commit log's):
    /// the interner holds them after the runs' strings.
    extra: u32,
    /// The committed strings, and those interned since.
    interner: Interner,
    /// Word postings of the logged strings, built as they are asked for: consecutive ranges
    /// from the first logged string.
    logged_terms: Vec<MappedTerms>,
    /// Trigrams of the logged strings, likewise.
    logged_grams: Vec<MappedGrams>,
    /// Records in run files (the interner's record table holds them first, then any made
    /// since: see [`crate::records`]).
    records: u64,
}

impl Strings {
    /// A table from mapped runs.
    pub(crate) fn from_runs(runs: Vec<MappedRun>) -> Strings {
        let mut s = Strings {
            runs: runs.into_iter().map(Arc::new).collect(),
            extra: 0,
            interner: Interner::default(),
            logged_terms: Vec::new(),
            logged_grams: Vec::new(),
            records: 0,
        };
        s.rebase();
        s
    }

    /// Makes the committed runs the interner's base (forgetting uncommitted strings); the
    /// record table goes over to the new interner.
    fn rebase(&mut self) {
        self.extra = 0;
        self.logged_terms.clear();
        self.logged_grams.clear();
        let len = self.runs.iter().map(|r| r.len()).sum();
        let records = std::mem::take(self.interner.records_mut());
        self.interner = Interner::with_base(Arc::new(RunSet {
            runs: self.runs.clone(),
            len,
        }));
        *self.interner.records_mut() = records;
    }

    /// The interner's record types and records.
    pub(crate) fn records(&self) -> &engram_core::internal::records::Records {
        self.interner.records()
    }

    /// Records in run files.
    pub(crate) fn committed_records(&self) -> u64 {
        self.records
    }

    /// Records that the records made so far are committed (in run files).
    pub(crate) fn commit_records(&mut self) {
        self.records = self.interner.records().len() as u64;
    }

    /// Forgets what was interned since the last commit: strings past the committed ones and
    /// records past those in run files.
    pub(crate) fn forget_uncommitted(&mut self) {
        let committed = self.committed() as usize;
        self.interner.truncate(committed);
        self.interner.records_mut().truncate(self.records as usize);
    }

    /// Strings committed: in run files or in the log.
    pub(crate) fn committed(&self) -> u32 {
        self.on_disk() + self.extra
    }

    /// Strings in run files.
    fn on_disk(&self) -> u32 {
        self.runs.iter().map(|r| r.len() as u32).sum::<u32>()
    }

    /// Takes in the strings of a log record, which must start at id `first`.
    pub(crate) fn log_strings(&mut self, first: u32, strings: &[&str]) -> Result<(), String> {
        if first != self.committed() || self.interner.len() as u32 != first {
            return Err(format!(
                "strings start at id {first}, expected {}",
                self.committed()
            ));
        }
        for s in strings {
            self.interner.intern(s);
        }
        if self.interner.len() as u32 != first + strings.len() as u32 {
            return Err("a logged string repeats an earlier one".into());
        }
        self.extra += strings.len() as u32;
        Ok(())
    }

    /// The strings interned since the last commit.
    pub(crate) fn pending(&self) -> (u32, Vec<String>) {
        let first = self.committed();
        let n = self.interner.len() as u32;
        (
            first,
            (first..n)
                .map(|id| self.interner.resolve(Sym::from_id(id)).to_string())
                .collect(),
        )
    }

    /// The strings interned since the last commit: how many bytes they hold, and the longest.
    pub(crate) fn pending_bytes(&self) -> (usize, usize) {
        let (first, n) = (self.committed(), self.interner.len() as u32);
        (first..n)
            .map(|id| self.interner.resolve(Sym::from_id(id)).len())
            .fold((0, 0), |(sum, max), l| (sum + l, max.max(l)))
    }

    /// Records that the pending strings were committed to the log.
    pub(crate) fn commit_logged(&mut self) {
        self.extra = self.interner.len() as u32 - self.on_disk();
    }

    /// The interner: committed strings with their stored ids, then any interned since.
    pub(crate) fn interner(&mut self) -> &mut Interner {
        &mut self.interner
    }

    /// Replaces the interner (a superset of this one, in the same id order).
    pub(crate) fn set_interner(&mut self, interner: Interner) {
        self.interner = interner;
    }

    /// The runs of the strings not yet in a run file (logged or pending), if any.
    pub(crate) fn unwritten_run(&mut self) -> Option<Vec<StringRun>> {
        let first = self.on_disk();
        self.run_from(first)
    }

    fn run_from(&self, first: u32) -> Option<Vec<StringRun>> {
        let n = self.interner.len() as u32;
        (n > first).then(|| {
            StringRun::split(
                first,
                (first..n).map(|id| self.interner.resolve(Sym::from_id(id))),
                RUN_BYTES,
            )
        })
    }

    /// The pending strings with those of the newest `k` committed runs, as one run (more
    /// where they hold more than a run can).
    pub(crate) fn tail_run(&mut self, k: usize) -> Option<Vec<StringRun>> {
        let k = k.min(self.runs.len());
        let first = self.runs[self.runs.len() - k..]
            .first()
            .map_or(self.on_disk(), |r| r.first());
        self.run_from(first)
    }

    /// Replaces the newest `k` runs by `runs` (which hold their strings and more).
    pub(crate) fn replace_last_runs(&mut self, k: usize, runs: Vec<MappedRun>) {
        self.runs.truncate(self.runs.len() - k);
        self.runs.extend(runs.into_iter().map(Arc::new));
        self.rebase();
    }

    /// Number of committed runs.
    pub(crate) fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// One run of every string, committed or pending (more where they hold more than a run
    /// can).
    pub(crate) fn all_run(&mut self) -> Vec<StringRun> {
        self.run_from(0)
            .unwrap_or_else(|| StringRun::split(0, std::iter::empty(), RUN_BYTES))
    }

    /// Replaces every run by `runs` (which hold them all).
    pub(crate) fn replace_runs(&mut self, runs: Vec<MappedRun>) {
        self.runs = runs.into_iter().map(Arc::new).collect();
        self.rebase();
    }

    /// Records that the pending strings were committed as the mapped runs `runs`.
    pub(crate) fn committed_run(&mut self, runs: Vec<MappedRun>) {
        self.runs.extend(runs.into_iter().map(Arc::new));
        self.rebase();
    }

    /// The committed strings holding `stem` (a stem of [`crate::terms::words`]), with how
    /// often, ascending by id.
    /// (`interner` resolves the logged strings: the store's, wherever it is held.)
    pub(crate) fn postings(
        &mut self,
        stem: &str,
        interner: &Interner,
    ) -> Result<Vec<(u32, u32)>, StoreError> {
        let mut out = Vec::new();
        for run in &self.runs {
            out.extend(run.terms().postings(stem)?);
        }
        for terms in self.logged_terms(interner) {
            out.extend(terms.postings(stem)?);
        }
        Ok(out)
    }

    /// The committed strings that may contain `needle` (lower-cased; at least three bytes):
    /// those holding all of its trigrams, ascending by id. `None` for a shorter needle.
    /// (`interner` resolves the logged strings.)
    pub(crate) fn holding_grams_of(
        &mut self,
        storage: &dyn Storage,
        needle: &str,
        interner: &Interner,
    ) -> Result<Option<Vec<u32>>, StoreError> {
        let mut wanted = Vec::new();
        grams::trigrams(needle, &mut wanted);
        if wanted.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for run in &self.runs {
            out.extend(run.grams(storage)?.holding_all(&wanted)?);
        }
        let covered = self.on_disk() + self.logged_grams.iter().map(|g| g.count()).sum::<u32>();
        let committed = self.committed();
        if committed > covered {
            let strings = || (covered..committed).map(|id| interner.resolve(Sym::from_id(id)));
            self.logged_grams.push(MappedGrams::build(covered, strings));
        }
        for g in &self.logged_grams {
            out.extend(g.holding_all(&wanted)?);
        }
        Ok(Some(out))
    }

    /// The number of words of each committed string of `ids` (0 for an id it does not hold).
    pub(crate) fn words_of(
        &mut self,
        ids: &[u32],
        interner: &Interner,
    ) -> Result<Vec<u32>, StoreError> {
        self.logged_terms(interner);
        // Each postings run's word counts, checked whole once (a few bytes per string).
        let mut tables: Vec<(u32, &[u32])> = Vec::new();
        for run in &self.runs {
            tables.push((run.first(), run.terms().word_counts()?));
        }
        for terms in &self.logged_terms {
            tables.push((terms.first(), terms.word_counts()?));
        }
        Ok((ids.iter())
            .map(|&id| {
                let i = tables.partition_point(|t| t.0 <= id);
                i.checked_sub(1)
                    .and_then(|i| tables[i].1.get((id - tables[i].0) as usize))
                    .copied()
                    .unwrap_or(0)
            })
            .collect())
    }

    /// The postings of the logged strings, brought up to every committed string.
    fn logged_terms(&mut self, interner: &Interner) -> &[MappedTerms] {
        let covered = self.on_disk() + self.logged_terms.iter().map(|t| t.count()).sum::<u32>();
        let committed = self.committed();
        if committed > covered {
            let strings = (covered..committed).map(|id| interner.resolve(Sym::from_id(id)));
            self.logged_terms.push(MappedTerms::build(covered, strings));
        }
        &self.logged_terms
    }

    /// Number of committed runs and their bytes on disk.
    pub(crate) fn disk(&self) -> (usize, usize) {
        (
            self.runs.len(),
            self.runs.iter().map(|r| r.file_len()).sum(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings that hold more than a run can are split into runs, ids continuing, never an
    /// offset truncated (a run's offsets are 32-bit: 4 GiB, here 10 bytes).
    #[test]
    fn strings_past_a_runs_limit_split_into_runs() {
        let words = ["abcd", "efgh", "ij", "klmnopqrstuv", "w"];
        let runs = StringRun::split(7, words, 10);
        let shape: Vec<(u32, Vec<u32>)> =
            runs.iter().map(|r| (r.first, r.offsets.clone())).collect();
        assert_eq!(
            shape,
            [(7, vec![0, 4, 8, 10]), (10, vec![0, 12]), (11, vec![0, 1])]
        );
        for r in &runs {
            assert!(r.slots.iter().filter(|&&s| s != 0).count() == r.offsets.len() - 1);
        }
    }

    #[test]
    fn the_index_finds_every_string_and_nothing_else() {
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let run = StringRun::new(7, words.iter().map(String::as_str));
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::storage::FileStorage::new(dir.path());
        let bytes = rkyv::to_bytes::<rkyv::rancor::BoxedError>(&run).unwrap();
        let file = crate::file::envelope(Kind::Strings, &bytes);
        crate::file::write_new(&storage, "r.str", &file).unwrap();
        let mapped = MappedRun::open(&storage, "r.str", 7, 1000, None).unwrap();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(mapped.find(w), Some(i as u32));
            assert_eq!(mapped.get(i), w);
        }
        assert_eq!(mapped.find("w1000"), None);
        let set = RunSet {
            runs: vec![Arc::new(mapped)],
            len: 1007,
        };
        assert_eq!(set.lookup("w5"), Some(12));
        assert_eq!(set.resolve(12), "w5");
    }
}
