//! Word postings of the store's strings, kept as runs beside the string runs: for each run
//! of strings, the stems of their words (the analysis of [`words`]) with the strings that
//! hold each stem and how often, and each string's number of words. Recall ranks with them,
//! so that it reads the postings of the question's words instead of every text.
//!
//! A string run written by a checkpoint gets its postings run in the same checkpoint (its
//! file named beside the run's in the manifest, so both become live, or neither, with the
//! manifest). Strings not in a run file yet (the commit log's), and the runs of a store
//! written before postings were kept, are indexed in memory when first asked, the same way.

use super::error::StoreError;
use super::file::Kind;
use super::mmap::{ArchiveFile, FileOrBuilt, OwnedArchive, u32s};
use super::storage::Storage;
use rkyv::{Archive, Serialize};
use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;

/// English words too common to tell texts apart, and the pieces contractions leave: neither
/// indexed nor searched.
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "how",
    "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our",
    "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to",
    "too", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will",
    "with", "would", "you", "your",
    // What an apostrophe leaves of a contraction or possessive ("Tom's", "don't", "I'll"):
    // a word of its own once split, and in nearly every conversational text.
    "s", "t", "d", "ll", "m", "re", "ve", "don", "didn", "doesn", "isn", "wasn", "aren", "weren",
    "hasn", "haven", "hadn", "wouldn", "couldn", "shouldn",
];

/// The stems of a text's words, with each word as written: words are split on what is not a
/// letter or digit, lower-cased, common English words ([`STOP_WORDS`]) dropped, and the rest
/// stemmed (Snowball English, so "retries" and "retry" share a stem).
pub fn words(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    each_word(text, |stem, w| out.push((stem.to_string(), w.to_string())));
    out
}

/// Calls `f` with the stem of each word of `text` and the word as written, as [`words`]
/// analyses them, allocating nothing for a word already in lower case.
pub fn each_word(text: &str, mut f: impl FnMut(&str, &str)) {
    let stop = stop_words();
    STEMS.with(|stems| {
        // A call from inside `f` (never made, but possible) stems without the cache.
        let mut own = None;
        let mut kept = stems.try_borrow_mut();
        let stems = match kept.as_deref_mut() {
            Ok(stems) => stems,
            Err(_) => own.insert(Stems::default()),
        };
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.is_empty() {
                continue;
            }
            let already = w.is_ascii() && !w.bytes().any(|b| b.is_ascii_uppercase());
            let lower: std::borrow::Cow<'_, str> = match already {
                true => w.into(),
                false => w.to_lowercase().into(),
            };
            if stop.contains(lower.as_ref()) {
                continue;
            }
            f(stems.stem(&lower), w);
        }
    });
}

/// [`STOP_WORDS`] as a set.
fn stop_words() -> &'static rustc_hash::FxHashSet<&'static str> {
    static SET: OnceLock<rustc_hash::FxHashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

/// Words stemmed before, by this thread: Snowball's English stemmer costs more than a lookup,
/// and the same words come back (a server analyses the same memories question after
/// question). Bounded: emptied when it holds [`Stems::MAX`] words.
struct Stems {
    stemmer: Stemmer,
    seen: rustc_hash::FxHashMap<String, String>,
}

impl Default for Stems {
    fn default() -> Stems {
        Stems {
            stemmer: Stemmer::create(Algorithm::English),
            seen: rustc_hash::FxHashMap::default(),
        }
    }
}

impl Stems {
    const MAX: usize = 1 << 16;

    /// The stem of `word` (lower case).
    fn stem(&mut self, word: &str) -> &str {
        if !self.seen.contains_key(word) {
            if self.seen.len() >= Stems::MAX {
                self.seen.clear();
            }
            let stem = self.stemmer.stem(word).into_owned();
            self.seen.insert(word.to_string(), stem);
        }
        &self.seen[word]
    }
}

thread_local! {
    static STEMS: std::cell::RefCell<Stems> = std::cell::RefCell::new(Stems::default());
}

/// A text's number of words and its stems with how often each occurs, stems sorted (the
/// analysis of [`words`]).
pub fn stem_counts(text: &str) -> (u32, Vec<(String, u32)>) {
    let mut stems: Vec<String> = words(text).into_iter().map(|(stem, _)| stem).collect();
    let n = stems.len() as u32;
    stems.sort_unstable();
    let counted = (stems.chunk_by(|a, b| a == b))
        .map(|g| (g[0].clone(), g.len() as u32))
        .collect();
    (n, counted)
}

/// The postings of one run of strings: ids `first..first + count`.
#[derive(Archive, Serialize)]
pub(crate) struct TermRun {
    /// The id of the run's first string.
    pub first: u32,
    /// Number of strings.
    pub count: u32,
    /// The distinct stems, sorted by their bytes: stem `i` is `bytes[offsets[i]..offsets[i + 1]]`.
    pub offsets: Vec<u32>,
    /// The stems' UTF-8 bytes, back to back.
    pub bytes: Vec<u8>,
    /// Stem `i`'s postings are `ids[starts[i]..starts[i + 1]]` (and the same of `tf`).
    pub starts: Vec<u32>,
    /// The strings holding each stem, ascending.
    pub ids: Vec<u32>,
    /// How often the stem occurs in that string.
    pub tf: Vec<u32>,
    /// Each string's number of words (stop words left out).
    pub words: Vec<u32>,
}

impl TermRun {
    /// The postings of `strings`, the first of which has id `first`.
    pub(crate) fn build<'a>(first: u32, strings: impl Iterator<Item = &'a str>) -> TermRun {
        use rayon::prelude::*;
        let strings: Vec<&str> = strings.collect();
        // Each string's (stem, count) pairs and number of words, in parallel.
        let per_string: Vec<(u32, Vec<(String, u32)>)> =
            strings.par_iter().map(|s| stem_counts(s)).collect();
        let counts: Vec<u32> = per_string.iter().map(|p| p.0).collect();
        let mut entries: Vec<(String, u32, u32)> = Vec::new();
        for (i, (_, stems)) in per_string.into_iter().enumerate() {
            let id = first + i as u32;
            entries.extend(stems.into_iter().map(|(stem, tf)| (stem, id, tf)));
        }
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut run = TermRun {
            first,
            count: counts.len() as u32,
            offsets: vec![0],
            bytes: Vec::new(),
            starts: vec![0],
            ids: Vec::with_capacity(entries.len()),
            tf: Vec::with_capacity(entries.len()),
            words: counts,
        };
        for group in entries.chunk_by(|a, b| a.0 == b.0) {
            run.bytes.extend_from_slice(group[0].0.as_bytes());
            run.offsets.push(run.bytes.len() as u32);
            run.ids.extend(group.iter().map(|e| e.1));
            run.tf.extend(group.iter().map(|e| e.2));
            run.starts.push(run.ids.len() as u32);
        }
        run
    }

    /// The archived bytes of this run.
    pub(crate) fn to_bytes(&self) -> rkyv::util::AlignedVec {
        rkyv::to_bytes::<rkyv::rancor::BoxedError>(self)
            .expect("archiving plain vectors cannot fail")
    }
}

/// A run of postings, read in place; a lookup checks the blocks it reads, and what it reads
/// against the run's shape (never a panic on damaged contents).
pub(crate) struct MappedTerms {
    src: FileOrBuilt<TermRun>,
}

impl MappedTerms {
    /// Opens a postings file that should index the strings `first..first + count`.
    pub(crate) fn open(
        storage: &dyn Storage,
        name: &str,
        first: u32,
        count: u32,
    ) -> Result<MappedTerms, StoreError> {
        let file = ArchiveFile::<TermRun>::open(storage, name, Kind::Terms)?;
        let run = file.get();
        let bad = |what: String| Err(StoreError::corrupt(file.path(), what));
        if run.first.to_native() != first || run.count.to_native() != count {
            return bad(format!(
                "indexes strings {}.. ({}); the manifest expects {first}.. ({count})",
                run.first.to_native(),
                run.count.to_native()
            ));
        }
        let terms = run.offsets.len().saturating_sub(1);
        if run.offsets.is_empty()
            || run.starts.len() != terms + 1
            || run.ids.len() != run.tf.len()
            || run.words.len() != count as usize
        {
            return bad("postings do not match their own counts".into());
        }
        Ok(MappedTerms {
            src: FileOrBuilt::File(file),
        })
    }

    /// The postings of `strings` (ids from `first`), built in memory.
    pub(crate) fn build<'a>(first: u32, strings: impl Iterator<Item = &'a str>) -> MappedTerms {
        MappedTerms {
            src: FileOrBuilt::Built(
                OwnedArchive::new(&TermRun::build(first, strings).to_bytes())
                    .expect("an archive this process made"),
            ),
        }
    }

    fn run(&self) -> &ArchivedTermRun {
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
        self.src.corrupt("postings built in memory", what)
    }

    /// Stem `i` of `n`, read and checked.
    fn stem(&self, i: usize) -> Result<&[u8], StoreError> {
        let run = self.run();
        let offsets = u32s(&run.offsets);
        let ends = offsets
            .get(i..i + 2)
            .ok_or_else(|| self.corrupt("stem out of range"))?;
        self.verify(ends)?;
        let (a, b) = (ends[0] as usize, ends[1] as usize);
        let bytes = run.bytes.as_slice();
        let stem = (a <= b).then(|| bytes.get(a..b)).flatten();
        let stem = stem.ok_or_else(|| self.corrupt("stem offsets out of order"))?;
        self.verify(stem)?;
        Ok(stem)
    }

    /// The strings holding `stem`, with how often, ascending by id.
    pub(crate) fn postings(&self, stem: &str) -> Result<Vec<(u32, u32)>, StoreError> {
        let run = self.run();
        // The one binary search; a stem that cannot be read stops it and is the answer.
        let failed = std::cell::RefCell::new(None);
        let found =
            engram_core::internal::search::equal_range(run.offsets.len() - 1, |i| {
                match self.stem(i) {
                    Ok(s) => s.cmp(stem.as_bytes()),
                    Err(e) => {
                        failed.borrow_mut().get_or_insert(e);
                        std::cmp::Ordering::Equal
                    }
                }
            });
        if let Some(e) = failed.into_inner() {
            return Err(e);
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let at = found.start;
        let starts = &u32s(&run.starts)[at..at + 2];
        self.verify(starts)?;
        let (a, b) = (starts[0] as usize, starts[1] as usize);
        let range = (a <= b && b <= run.ids.len()).then_some(a..b);
        let range = range.ok_or_else(|| self.corrupt("postings out of range"))?;
        let (ids, tf) = (&u32s(&run.ids)[range.clone()], &u32s(&run.tf)[range]);
        self.verify(ids)?;
        self.verify(tf)?;
        let (first, end) = (
            run.first.to_native(),
            run.first.to_native() + run.count.to_native(),
        );
        if ids.iter().any(|&id| id < first || id >= end) {
            return Err(self.corrupt("a posting names a string outside its run"));
        }
        Ok(ids.iter().copied().zip(tf.iter().copied()).collect())
    }

    /// The id of the first string it indexes.
    pub(crate) fn first(&self) -> u32 {
        self.run().first.to_native()
    }

    /// The number of words of each string it indexes, in id order, checked.
    pub(crate) fn word_counts(&self) -> Result<&[u32], StoreError> {
        let words = u32s(&self.run().words);
        self.verify(words)?;
        Ok(words)
    }
}

/// A string run's postings: from its file, or built from its strings when first asked (a
/// run written before postings were kept).
#[derive(Default)]
pub(crate) struct LazyTerms(OnceLock<MappedTerms>);

impl LazyTerms {
    /// Postings from a file.
    pub(crate) fn of(terms: MappedTerms) -> LazyTerms {
        LazyTerms(OnceLock::from(terms))
    }

    /// The postings, built from `strings` if there is no file.
    pub(crate) fn get<'a, I: Iterator<Item = &'a str>>(
        &self,
        first: u32,
        strings: impl FnOnce() -> I,
    ) -> &MappedTerms {
        self.0.get_or_init(|| MappedTerms::build(first, strings()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The postings list what a scan of the strings finds: each stem's strings with its
    /// count, and each string's number of words; a stem no string holds has none.
    #[test]
    fn postings_are_what_a_scan_finds() {
        let texts = [
            "Payment retries failed",
            "the retry worked",
            "",
            "RETRY retry retried",
            "a the of",
            "naïve café déjà vu",
        ];
        let terms = MappedTerms::build(10, texts.iter().copied());
        let mut stems: Vec<String> = texts
            .iter()
            .flat_map(|t| words(t).into_iter().map(|w| w.0))
            .collect();
        stems.push("nothing".into());
        for stem in stems {
            let want: Vec<(u32, u32)> = (texts.iter().enumerate())
                .filter_map(|(i, t)| {
                    let n = words(t).iter().filter(|w| w.0 == stem).count() as u32;
                    (n > 0).then_some((10 + i as u32, n))
                })
                .collect();
            assert_eq!(terms.postings(&stem).unwrap(), want, "{stem}");
        }
        let counts: Vec<u32> = texts.iter().map(|t| words(t).len() as u32).collect();
        assert_eq!(terms.word_counts().unwrap(), counts);
        assert_eq!(terms.first(), 10);
    }
}
