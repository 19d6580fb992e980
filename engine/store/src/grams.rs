//! Trigram postings of the store's strings, so that a case-insensitive substring search
//! (`search_nodes`) reads the postings of its text's trigrams instead of every string.
//!
//! A string's trigrams are the distinct windows of three bytes of its lower-cased text (as
//! `str::to_lowercase` makes it). A string that contains a text, ignoring case, holds every
//! trigram of the text lower-cased, so the strings holding all of them are a superset of the
//! answer, which the caller then tests one by one. Each gram's postings are the ids of the
//! strings holding it, ascending, written as differences (LEB128), about a byte and a half a
//! posting.
//!
//! A checkpoint writes a string run's trigrams beside it as `<run>.grams` (the run file's
//! name with another extension; not named in the manifest: it lives and goes with its run),
//! in the same checkpoint, so both become live together. A run without one (logged strings,
//! or a store written before trigrams were kept) has its trigrams built in memory the first
//! time a search needs them.

use super::error::StoreError;
use super::file::Kind;
use super::mmap::{ArchiveFile, FileOrBuilt, OwnedArchive, u32s, u64s};
use super::storage::Storage;
use rkyv::{Archive, Serialize};
use std::sync::OnceLock;

/// The trigrams of one run of strings: ids `first..first + count`.
#[derive(Archive, Serialize)]
pub(crate) struct GramRun {
    /// The id of the run's first string.
    pub first: u32,
    /// Number of strings.
    pub count: u32,
    /// The distinct trigrams, ascending, each three bytes packed big-endian in 24 bits.
    pub grams: Vec<u32>,
    /// Gram `i`'s postings are `postings[starts[i]..starts[i + 1]]`.
    pub starts: Vec<u64>,
    /// Each gram's strings, ascending, as LEB128 bytes: each string's place in the run plus
    /// one, less the previous one's (0 before the first).
    pub postings: Vec<u8>,
}

/// The name of the trigram file of string run file `run`.
pub(crate) fn file_of(run: &str) -> String {
    let stem = run.strip_suffix(".str").unwrap_or(run);
    format!("{stem}.grams")
}

/// The distinct trigrams of `text` lower-cased, ascending, into `out` (cleared first).
pub(crate) fn trigrams(text: &str, out: &mut Vec<u32>) {
    out.clear();
    let lower;
    let bytes = if text.is_ascii() {
        text.as_bytes()
    } else {
        lower = text.to_lowercase();
        lower.as_bytes()
    };
    let fold = |b: u8| u32::from(b.to_ascii_lowercase());
    out.extend((bytes.windows(3)).map(|w| fold(w[0]) << 16 | fold(w[1]) << 8 | fold(w[2])));
    out.sort_unstable();
    out.dedup();
}

/// Bytes of `v` as LEB128.
fn leb_len(v: u32) -> usize {
    (32 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn push_leb(out: &mut [u8], at: &mut usize, mut v: u32) {
    while v >= 0x80 {
        out[*at] = (v as u8) | 0x80;
        v >>= 7;
        *at += 1;
    }
    out[*at] = v as u8;
    *at += 1;
}

impl GramRun {
    /// The trigrams of `strings`, the first of which has id `first`.
    pub(crate) fn build<'a, I: Iterator<Item = &'a str>>(
        first: u32,
        strings: impl Fn() -> I,
    ) -> GramRun {
        let bytes: usize = strings().map(str::len).sum();
        let mut run = GramRun {
            first,
            count: strings().count() as u32,
            grams: Vec::new(),
            starts: vec![0],
            postings: Vec::new(),
        };
        // A few strings: their (gram, string) pairs sorted. Many: two passes over them with a
        // table of every possible gram (its postings' size, then where the next is written),
        // so that nothing is sorted but each string's own grams.
        if bytes < 1 << 22 {
            run.by_sorting(strings());
        } else {
            run.by_table(strings);
        }
        run
    }

    fn by_sorting<'a>(&mut self, strings: impl Iterator<Item = &'a str>) {
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut grams = Vec::new();
        for (i, s) in strings.enumerate() {
            trigrams(s, &mut grams);
            pairs.extend(grams.iter().map(|&g| (g, i as u32 + 1)));
        }
        pairs.sort_unstable();
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            self.grams.push(group[0].0);
            let mut prev = 0;
            for &(_, p) in group {
                let mut buf = [0u8; 5];
                let mut at = 0;
                push_leb(&mut buf, &mut at, p - prev);
                self.postings.extend_from_slice(&buf[..at]);
                prev = p;
            }
            self.starts.push(self.postings.len() as u64);
        }
    }

    fn by_table<'a, I: Iterator<Item = &'a str>>(&mut self, strings: impl Fn() -> I) {
        const GRAMS: usize = 1 << 24;
        // Per gram: the bytes of its postings (then where its next one is written), and the
        // last string that held it (its place + 1; 0 for none).
        let mut size = vec![0u64; GRAMS];
        let mut last = vec![0u32; GRAMS];
        let mut grams = Vec::new();
        for (i, s) in strings().enumerate() {
            trigrams(s, &mut grams);
            for &g in &grams {
                let g = g as usize;
                size[g] += leb_len(i as u32 + 1 - last[g]) as u64;
                last[g] = i as u32 + 1;
            }
        }
        let mut total = 0u64;
        for (g, n) in size.iter_mut().enumerate() {
            if *n > 0 {
                self.grams.push(g as u32);
                let here = *n;
                *n = total;
                total += here;
                self.starts.push(total);
            }
        }
        self.postings = vec![0u8; total as usize];
        last.fill(0);
        for (i, s) in strings().enumerate() {
            trigrams(s, &mut grams);
            for &g in &grams {
                let g = g as usize;
                let mut at = size[g] as usize;
                push_leb(&mut self.postings, &mut at, i as u32 + 1 - last[g]);
                size[g] = at as u64;
                last[g] = i as u32 + 1;
            }
        }
    }

    /// The archived bytes of this run.
    pub(crate) fn to_bytes(&self) -> rkyv::util::AlignedVec {
        rkyv::to_bytes::<rkyv::rancor::BoxedError>(self)
            .expect("archiving plain vectors cannot fail")
    }
}

/// A run of trigrams, read in place; a lookup checks the blocks it reads, and what it reads
/// against the run's shape (never a panic on damaged contents).
pub(crate) struct MappedGrams {
    src: FileOrBuilt<GramRun>,
}

impl MappedGrams {
    /// Opens the trigram file of string run file `run`, which should index the strings
    /// `first..first + count`, if there is one.
    pub(crate) fn open(
        storage: &dyn Storage,
        run: &str,
        first: u32,
        count: u32,
    ) -> Result<Option<MappedGrams>, StoreError> {
        let name = file_of(run);
        if !storage.exists(&name) {
            return Ok(None);
        }
        let file = ArchiveFile::<GramRun>::open(storage, &name, Kind::Grams)?;
        let g = file.get();
        let shape_ok = g.first.to_native() == first
            && g.count.to_native() == count
            && g.starts.len() == g.grams.len() + 1;
        if !shape_ok {
            return Err(StoreError::corrupt(
                file.path(),
                format!("its trigrams do not fit string run {run} ({first}.., {count} strings)"),
            ));
        }
        Ok(Some(MappedGrams {
            src: FileOrBuilt::File(file),
        }))
    }

    /// The trigrams of `strings` (ids from `first`), built in memory.
    pub(crate) fn build<'a, I: Iterator<Item = &'a str>>(
        first: u32,
        strings: impl Fn() -> I,
    ) -> MappedGrams {
        MappedGrams {
            src: FileOrBuilt::Built(
                OwnedArchive::new(&GramRun::build(first, strings).to_bytes())
                    .expect("an archive this process made"),
            ),
        }
    }

    fn run(&self) -> &ArchivedGramRun {
        self.src.get()
    }

    /// Number of strings it indexes.
    pub(crate) fn count(&self) -> u32 {
        self.run().count.to_native()
    }

    fn verify<I>(&self, items: &[I]) -> Result<(), StoreError> {
        self.src.verify(items)
    }

    fn corrupt(&self, what: &str) -> StoreError {
        self.src.corrupt("trigrams built in memory", what)
    }

    /// The strings holding every one of `grams` (distinct trigrams, as [`trigrams`] makes
    /// them; at least one), ascending by id.
    pub(crate) fn holding_all(&self, grams: &[u32]) -> Result<Vec<u32>, StoreError> {
        let run = self.run();
        let all = u32s(&run.grams);
        self.verify(all)?;
        let mut lists: Vec<std::ops::Range<usize>> = Vec::with_capacity(grams.len());
        for g in grams {
            let Ok(i) = all.binary_search(g) else {
                return Ok(Vec::new());
            };
            let ends = u64s(&run.starts)
                .get(i..i + 2)
                .ok_or_else(|| self.corrupt("a gram's postings out of range"))?;
            self.verify(ends)?;
            let (a, b) = (ends[0] as usize, ends[1] as usize);
            if a > b || b > run.postings.len() {
                return Err(self.corrupt("a gram's postings out of range"));
            }
            lists.push(a..b);
        }
        // The shortest list first; each string of it kept while every other holds it.
        lists.sort_by_key(|r| r.len());
        let mut ids = self.decode(lists[0].clone())?;
        for r in &lists[1..] {
            if ids.is_empty() {
                break;
            }
            let other = self.decode(r.clone())?;
            let mut at = 0;
            ids.retain(|id| {
                at += other[at..].partition_point(|o| o < id);
                other.get(at) == Some(id)
            });
        }
        Ok(ids)
    }

    /// The ids of one gram's postings (`range` of the postings' bytes), checked: each within
    /// the run's strings.
    fn decode(&self, range: std::ops::Range<usize>) -> Result<Vec<u32>, StoreError> {
        let run = self.run();
        let bytes = &run.postings.as_slice()[range];
        self.verify(bytes)?;
        let (first, count) = (run.first.to_native(), run.count.to_native());
        let mut ids = Vec::new();
        let (mut prev, mut v, mut shift) = (0u32, 0u32, 0u32);
        for &b in bytes {
            if shift > 28 {
                return Err(self.corrupt("a posting's number is too long"));
            }
            v |= u32::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                prev = match prev.checked_add(v) {
                    Some(p) if p >= 1 && p <= count => p,
                    _ => return Err(self.corrupt("a posting names a string outside its run")),
                };
                ids.push(first + prev - 1);
                (v, shift) = (0, 0);
            }
        }
        if shift != 0 {
            return Err(self.corrupt("a gram's postings end inside a number"));
        }
        Ok(ids)
    }
}

/// A string run's trigrams: from its file, or built from its strings when first asked.
#[derive(Default)]
pub(crate) struct LazyGrams(OnceLock<MappedGrams>);

impl LazyGrams {
    /// The trigrams: `open`'s (the run's file), else built from `strings`.
    pub(crate) fn get<'a, I: Iterator<Item = &'a str>>(
        &self,
        open: impl FnOnce() -> Result<Option<MappedGrams>, StoreError>,
        first: u32,
        strings: impl Fn() -> I,
    ) -> Result<&MappedGrams, StoreError> {
        if let Some(g) = self.0.get() {
            return Ok(g);
        }
        let grams = match open()? {
            Some(g) => g,
            None => MappedGrams::build(first, strings),
        };
        Ok(self.0.get_or_init(|| grams))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings holding all of a text's trigrams are exactly those whose own trigrams
    /// include them, and every string that contains the text, ignoring case, is among them.
    #[test]
    fn postings_are_what_a_scan_finds() {
        let texts = [
            "Payment retries failed",
            "the RETRY worked",
            "",
            "ab",
            "entity-12",
            "entity-123",
            "Entity 7",
            "naïve CAFÉ déjà vu",
            "ΟΔΟΣ",
        ];
        let grams = MappedGrams::build(10, || texts.iter().copied());
        let mut buf = Vec::new();
        for needle in [
            "ret", "retry", "ity-12", "entity", "café", "déj", "οδος", "xyz", "y 7",
        ] {
            let mut want_grams = Vec::new();
            trigrams(needle, &mut want_grams);
            let found = grams.holding_all(&want_grams).unwrap();
            let by_grams: Vec<u32> = (texts.iter().enumerate())
                .filter(|(_, t)| {
                    trigrams(t, &mut buf);
                    want_grams.iter().all(|g| buf.contains(g))
                })
                .map(|(i, _)| 10 + i as u32)
                .collect();
            assert_eq!(found, by_grams, "{needle}");
            for (i, t) in texts.iter().enumerate() {
                if t.to_lowercase().contains(&needle.to_lowercase()) {
                    assert!(found.contains(&(10 + i as u32)), "{needle} in {t}");
                }
            }
        }
    }

    /// A posting list's gaps of every width decode to the ids written.
    #[test]
    fn long_gaps_round_trip() {
        let mut texts = vec![String::new(); 300_000];
        for i in [0, 1, 127, 128, 129, 16_383, 16_384, 16_385, 299_999] {
            texts[i] = "abc".into();
        }
        let grams = MappedGrams::build(5, || texts.iter().map(String::as_str));
        let mut g = Vec::new();
        trigrams("abc", &mut g);
        let want: Vec<u32> = [0, 1, 127, 128, 129, 16_383, 16_384, 16_385, 299_999]
            .iter()
            .map(|i| 5 + i)
            .collect();
        assert_eq!(grams.holding_all(&g).unwrap(), want);
    }
}
