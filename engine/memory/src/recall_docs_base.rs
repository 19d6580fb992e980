//! The table of documents read from the relations' oldest runs, as fixed-width records read
//! in place: kept in the store's directory for the next process ([`Store::write_cache`]), so
//! that a process that recalls once (the CLI) maps it instead of a pass over every document,
//! and looks up only the documents and fields its question touches. Keyed by the files of the
//! runs it was read from (which never change; a checkpoint that rewrites one makes another
//! key); a cache under another key, or cut short, is not read, and one found damaged as it is
//! read is reported by [`DocBase::damage`] and read from the runs again.
//!
//! The bytes, little-endian: [`MAGIC`]; the key's length and the key (per relation: whether it
//! has runs, its oldest run's file); the numbers of documents, fields and fields by document;
//! the documents' total length; the documents by symbol ([`DOC`] bytes each: symbol, kind,
//! type, title, length, confidence, whether it has an importance, importance, time); the
//! fields by text (text, document, weight); the fields by document (document, text).

use crate::recall::DocParts;
use engram_core::internal::search;
use engram_store::{CacheFile, LayerMark, Store};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// The cache's name in the store.
const NAME: &str = "recall-docs";

/// The first bytes, with the format's version: a change to what a table holds or how it is
/// read changes it, and older caches are read from the runs again.
const MAGIC: &[u8; 16] = b"engram-docs-v1\0\0";

/// Bytes per document, per field by text, per field by document.
const DOC: usize = 58;
const FIELD: usize = 24;
const BY_DOC: usize = 16;

/// The table of documents of the relations' oldest runs, read in place.
pub(crate) struct DocBase {
    bytes: Bytes,
    /// Where the documents, the fields by text and the fields by document start, and how
    /// many of each.
    docs: (usize, usize),
    fields: (usize, usize),
    by_doc: (usize, usize),
    /// The documents' total length.
    pub(crate) length: f64,
    /// What a read found damaged (reads cannot fail: they answer nothing and say so here).
    damage: OnceLock<String>,
}

/// Where the records are: mapped from the store's cache, or in memory.
enum Bytes {
    Mapped(CacheFile),
    Owned(Vec<u8>),
}

/// A table's parts to write as a base.
pub(crate) struct Parts<'a> {
    pub docs: &'a FxHashMap<u64, DocParts>,
    pub fields: &'a [(u64, u64, f64)],
    pub by_doc: &'a [(u64, u64)],
    pub length: f64,
}

impl DocBase {
    /// The base kept in the store for the runs `marks` name, if there is one under that key.
    pub(crate) fn kept(store: &Store, marks: &[LayerMark]) -> Option<DocBase> {
        let key = key(marks)?;
        DocBase::open(Bytes::Mapped(store.map_cache(NAME)?), &key)
    }

    /// The base of a table read from the runs `marks` name: kept in the store for the next
    /// process where the runs can be named (and read back in place), else held in memory.
    pub(crate) fn keep(store: &Store, marks: &[LayerMark], parts: Parts) -> DocBase {
        let key = key(marks);
        let bytes = encode(key.as_deref().unwrap_or_default(), parts);
        if key.is_some()
            && store.write_cache(NAME, &bytes)
            && let Some(base) = DocBase::kept(store, marks)
        {
            return base;
        }
        DocBase::open(Bytes::Owned(bytes), key.as_deref().unwrap_or_default())
            .expect("a base just encoded reads back")
    }

    /// Reads the header of `bytes` and checks that it is the table for `key` and that its
    /// records fit.
    fn open(bytes: Bytes, key: &[u8]) -> Option<DocBase> {
        let len = bytes.len();
        let head = |at: usize, n: usize| bytes.get(at, n);
        if head(0, MAGIC.len())? != MAGIC {
            return None;
        }
        let key_len = usize::try_from(u64_at(head(16, 8)?)).ok()?;
        if head(24, key_len)? != key {
            return None;
        }
        let at = 24 + key_len;
        let counts = head(at, 32)?;
        let n = |i: usize| usize::try_from(u64_at(&counts[i * 8..])).ok();
        let (docs, fields, by_doc) = (n(0)?, n(1)?, n(2)?);
        let length = f64::from_bits(u64_at(&counts[24..]));
        let docs_at = at + 32;
        let fields_at = docs_at.checked_add(docs.checked_mul(DOC)?)?;
        let by_doc_at = fields_at.checked_add(fields.checked_mul(FIELD)?)?;
        let end = by_doc_at.checked_add(by_doc.checked_mul(BY_DOC)?)?;
        (end == len).then_some(DocBase {
            bytes,
            docs: (docs_at, docs),
            fields: (fields_at, fields),
            by_doc: (by_doc_at, by_doc),
            length,
            damage: OnceLock::new(),
        })
    }

    /// How many documents.
    pub(crate) fn len(&self) -> usize {
        self.docs.1
    }

    /// What a read found damaged, if one did: the table must be read from the runs again.
    pub(crate) fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// Removes the store's copy of a base found damaged.
    pub(crate) fn forget(store: &Store) {
        store.remove_cache(NAME);
    }

    /// The records of a section (`size` bytes each), their blocks checked (each once);
    /// none, and the damage noted, where they are damaged.
    fn section(&self, (at, n): (usize, usize), size: usize) -> &[u8] {
        match self.bytes.get(at, n * size) {
            Some(b) => b,
            None => {
                let _ = self.damage.set(format!(
                    "{}: bytes {at}..{} are damaged",
                    self.bytes.name(),
                    at + n * size
                ));
                &[]
            }
        }
    }

    /// Each of documents `syms` (sorted), if the base holds it: one pass that gallops from
    /// each to the next.
    pub(crate) fn docs_of(&self, syms: &[u64]) -> Vec<Option<DocParts>> {
        let docs = self.section(self.docs, DOC);
        let n = docs.len() / DOC;
        let sym_at = |i: usize| u64_at(&docs[i * DOC..]);
        let mut at = 0;
        let mut out = Vec::with_capacity(syms.len());
        for &sym in syms {
            at = search::gallop(n, at, |i| sym_at(i) < sym);
            out.push(
                (at < n && sym_at(at) == sym).then(|| doc_at(&docs[at * DOC..(at + 1) * DOC])),
            );
        }
        out
    }

    /// The memories nearest to `sym` in symbol order (the order they were first named in),
    /// up to `k` on each side, as (symbol, time), leaving out those `skip` names: the records
    /// beside its place (entities between are passed over).
    pub(crate) fn memories_around(
        &self,
        sym: u64,
        k: usize,
        skip: &dyn Fn(u64) -> bool,
    ) -> Vec<(u64, i64)> {
        let docs = self.section(self.docs, DOC);
        let n = docs.len() / DOC;
        let record = |i: usize| &docs[i * DOC..(i + 1) * DOC];
        let at = search::gallop(n, 0, |i| u64_at(record(i)) < sym);
        let memory = |i: usize| {
            let r = record(i);
            let s = u64_at(r);
            (r[8] == 0 && s != sym && !skip(s)).then(|| (s, u64_at(&r[50..]) as i64))
        };
        let before = (0..at).rev().filter_map(memory).take(k);
        let after = (at..n).filter_map(memory).take(k);
        let mut out: Vec<(u64, i64)> = before.chain(after).collect();
        out.sort_unstable();
        out
    }

    /// Calls `f` with (text's place in `texts`, document, weight) of each field whose text is
    /// one of `texts` (sorted), in text order.
    pub(crate) fn fields_with(&self, texts: &[u64], mut f: impl FnMut(usize, u64, f64)) {
        let fields = self.section(self.fields, FIELD);
        let n = fields.len() / FIELD;
        let text = |i: usize| u64_at(&fields[i * FIELD..]);
        let mut at = 0;
        for (k, &t) in texts.iter().enumerate() {
            // Galloping: the next text is usually near.
            at = search::gallop(n, at, |i| text(i) < t);
            while at < n && text(at) == t {
                let r = &fields[at * FIELD..];
                f(k, u64_at(&r[8..]), f64::from_bits(u64_at(&r[16..])));
                at += 1;
            }
        }
    }

    /// The texts of document `sym`'s fields.
    pub(crate) fn fields_of(&self, sym: u64) -> Vec<u64> {
        let by_doc = self.section(self.by_doc, BY_DOC);
        let n = by_doc.len() / BY_DOC;
        let at = search::equal_range(n, |i| u64_at(&by_doc[i * BY_DOC..]).cmp(&sym));
        at.map(|i| u64_at(&by_doc[i * BY_DOC + 8..])).collect()
    }
}

/// The document whose record is `r`.
fn doc_at(r: &[u8]) -> DocParts {
    let f = |at: usize| u64_at(&r[at..]);
    DocParts {
        sym: f(0),
        kind: match r[8] {
            0 => "memory",
            _ => "entity",
        },
        ty: f(9),
        title: f(17),
        fields: Vec::new(),
        length: f64::from_bits(f(25)),
        confidence: f64::from_bits(f(33)),
        importance: (r[41] != 0).then(|| f64::from_bits(f(42))),
        time: f(50) as i64,
    }
}

impl Bytes {
    fn len(&self) -> usize {
        match self {
            Bytes::Mapped(c) => c.len(),
            Bytes::Owned(v) => v.len(),
        }
    }

    /// `n` bytes from `at`; `None` past the end or damaged.
    fn get(&self, at: usize, n: usize) -> Option<&[u8]> {
        let range = at..at.checked_add(n)?;
        match self {
            Bytes::Mapped(c) => c.bytes(range).ok(),
            Bytes::Owned(v) => v.get(range),
        }
    }

    /// What messages name it by.
    fn name(&self) -> String {
        match self {
            Bytes::Mapped(c) => c.path().display().to_string(),
            Bytes::Owned(_) => "recall's table of documents".to_string(),
        }
    }
}

/// The little-endian u64 at the start of `bytes` (zero if shorter).
fn u64_at(bytes: &[u8]) -> u64 {
    bytes
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// The key of a table read from the runs `marks` name; `None` where one's oldest run is not
/// a file (in the log), which another process cannot know.
fn key(marks: &[LayerMark]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for m in marks {
        out.push(u8::from(m.runs() > 0));
        let file = match (m.runs(), m.base_file()) {
            (0, _) => "",
            (_, Some(f)) => f,
            (_, None) => return None,
        };
        out.extend((file.len() as u32).to_le_bytes());
        out.extend(file.as_bytes());
    }
    Some(out)
}

/// The bytes of a base for `key` holding `parts`.
fn encode(key: &[u8], parts: Parts) -> Vec<u8> {
    let sizes = parts.docs.len() * DOC + parts.fields.len() * FIELD + parts.by_doc.len() * BY_DOC;
    let mut out = Vec::with_capacity(64 + key.len() + sizes);
    out.extend(MAGIC);
    out.extend((key.len() as u64).to_le_bytes());
    out.extend(key);
    for n in [parts.docs.len(), parts.fields.len(), parts.by_doc.len()] {
        out.extend((n as u64).to_le_bytes());
    }
    out.extend(parts.length.to_le_bytes());
    let mut docs: Vec<&DocParts> = parts.docs.values().collect();
    docs.sort_unstable_by_key(|d| d.sym);
    for d in docs {
        out.extend(d.sym.to_le_bytes());
        out.push(u8::from(d.kind == "entity"));
        out.extend(d.ty.to_le_bytes());
        out.extend(d.title.to_le_bytes());
        out.extend(d.length.to_le_bytes());
        out.extend(d.confidence.to_le_bytes());
        out.push(u8::from(d.importance.is_some()));
        out.extend(d.importance.unwrap_or(0.0).to_le_bytes());
        out.extend(d.time.to_le_bytes());
    }
    for &(text, doc, weight) in parts.fields {
        out.extend(text.to_le_bytes());
        out.extend(doc.to_le_bytes());
        out.extend(weight.to_le_bytes());
    }
    for &(doc, text) in parts.by_doc {
        out.extend(doc.to_le_bytes());
        out.extend(text.to_le_bytes());
    }
    out
}
