//! Stores with damaged files: a copy of a small store with one file changed as the bytes
//! choose, its checksums recomputed (as `docs/format.md` lays them out) so that what is tested
//! is the validation behind them: rkyv's structural check, the run shapes, key order, symbol
//! ids, confidences, the manifest's names and counts.

use super::{Choices, LIMITS};
use engram_engine::Store;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Bytes before a store file's payload.
const HEADER: usize = 32;
/// The kind of the commit log in a file header.
const KIND_LOG: u32 = 5;
/// Bytes before a log record's payload.
const FRAME: usize = 12;

/// A store of three relations (symbols, every column type, a derived closure) with run files
/// from a compaction (with their orders files), logged commits after it (adds and a
/// retraction), and rules: every kind of store file. Built once per process.
pub fn template_store() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("store");
        let mut s = Store::create(&path).expect("a new store");
        // Runs get orders files, as a large store's do.
        s.set_orders_min_rows(1);
        s.add_rules(
            "closure",
            ".decl edge(a: symbol, b: symbol)\n\
             .decl path(a: symbol, b: symbol)\n\
             path(a, b) :- edge(a, b).\n\
             path(a, c) :- path(a, b), edge(b, c).\n\
             .decl m(n: number, f: float, u: unsigned, s: symbol)\n",
        )
        .expect("rules");
        let mut tx = s.transaction().expect("transaction");
        tx.add_text(
            "edge(\"a\", \"b\"). edge(\"b\", \"c\") @ 0.5. edge(\"c\", \"d\").\n\
             m(-1, 0.25, 7, \"x\"). m(2, 1000.0, 0, \"y\") @ 0.9.",
        )
        .expect("facts");
        tx.commit().expect("commit");
        s.compact().expect("compact");
        let mut tx = s.transaction().expect("transaction");
        tx.add_text("edge(\"d\", \"e\"). m(3, -0.5, 1, \"z\").")
            .expect("facts");
        tx.commit().expect("commit");
        let mut tx = s.transaction().expect("transaction");
        tx.retract_text("edge(\"b\", \"c\").").expect("facts");
        tx.commit().expect("commit");
        drop(s);
        (dir, path)
    })
    .1
    .as_path()
}

/// A position below `n`, from up to three bytes.
fn index(c: &mut Choices<'_>, n: usize) -> usize {
    let x = (c.pick(256) << 16) | (c.pick(256) << 8) | c.pick(256);
    if n == 0 { 0 } else { x % n }
}

/// Values that break invariants when written over a count, an offset or an id.
const WORDS: [u64; 9] = [
    0,
    1,
    2,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    u64::MAX,
    0x3ff0_0000_0000_0000, // 1.0 as a float
];

/// Changes bytes of `data[lo..hi]` as the choices say: flipped bits, a word overwritten
/// with a value from [`WORDS`], or a range cut out or duplicated.
fn mutate(c: &mut Choices<'_>, data: &mut Vec<u8>, lo: usize, hi: usize) {
    if hi <= lo {
        return;
    }
    let n = hi - lo;
    match c.pick(4) {
        0 => {
            for _ in 0..1 + c.pick(4) {
                let at = lo + index(c, n);
                data[at] ^= 1 << c.pick(8);
            }
        }
        1 => {
            let width = c.one(&[4usize, 8]);
            let at = lo + index(c, n) / width * width;
            let word = c.one(&WORDS).wrapping_add(c.pick(3) as u64).to_le_bytes();
            let end = (at + width).min(hi);
            data[at..end].copy_from_slice(&word[..end - at]);
        }
        2 => {
            let at = lo + index(c, n);
            let len = (1 + index(c, 64)).min(hi - at);
            data.drain(at..at + len);
        }
        _ => {
            let at = lo + index(c, n);
            let len = (1 + index(c, 64)).min(hi - at);
            let copy = data[at..at + len].to_vec();
            data.splice(at..at, copy);
        }
    }
}

/// The payload length a store file's header states, at most what the file holds.
fn payload_len(data: &[u8]) -> usize {
    let len = u64::from_le_bytes(data[16..24].try_into().expect("8 bytes"));
    (len as usize).min(data.len() - HEADER)
}

/// Recomputes a store file's header for its (changed) payload, everything after the header:
/// for a version-1 file the payload's checksum, for a version-2 file the block table (one
/// crc32 per 16 KiB, appended) and its checksum.
fn seal(data: &mut Vec<u8>) {
    let payload = (data.len() - HEADER) as u64;
    data[16..24].copy_from_slice(&payload.to_le_bytes());
    let crc = match u32::from_le_bytes(data[12..16].try_into().expect("4 bytes")) {
        2 => {
            let table: Vec<u8> = (data[HEADER..].chunks(16 * 1024))
                .flat_map(|b| crc32fast::hash(b).to_le_bytes())
                .collect();
            data.extend_from_slice(&table);
            crc32fast::hash(&table)
        }
        _ => crc32fast::hash(&data[HEADER..]),
    };
    data[24..28].copy_from_slice(&crc.to_le_bytes());
    let head = crc32fast::hash(&data[..28]);
    data[28..32].copy_from_slice(&head.to_le_bytes());
}

/// The records of a log file: where each payload starts and ends.
fn records(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = HEADER;
    while pos + FRAME <= data.len() {
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let end = pos + FRAME + len;
        if end > data.len() {
            break;
        }
        out.push((pos + FRAME, end));
        pos = end;
    }
    out
}

/// Changes one record of a log, then recomputes its length and checksums.
fn mutate_log(c: &mut Choices<'_>, data: &mut Vec<u8>) {
    let recs = records(data);
    if recs.is_empty() {
        return;
    }
    let (lo, hi) = recs[c.pick(recs.len())];
    let mut payload = data[lo..hi].to_vec();
    let n = payload.len();
    mutate(c, &mut payload, 0, n);
    let len = (payload.len() as u32).to_le_bytes();
    let mut frame = Vec::with_capacity(FRAME + payload.len());
    frame.extend_from_slice(&len);
    frame.extend_from_slice(&crc32fast::hash(&len).to_le_bytes());
    frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    frame.extend_from_slice(&payload);
    data.splice(lo - FRAME..hi, frame);
}

/// Opens a copy of [`template_store`] with one file changed as `bytes` choose (its checksums
/// recomputed, or not, or the file cut short): no panic; an error names a file of the store;
/// a store that opens answers every read, and a commit on it completes or fails cleanly.
pub fn open_mutated(bytes: &[u8]) {
    let template = template_store();
    let work = tempfile::tempdir().expect("a temporary directory");
    let dir = work.path().join("store");
    let names = crate::copy_store(template, &dir);
    let mut c = Choices::new(bytes);
    let target = dir.join(&names[c.pick(names.len())]);
    let mut data = std::fs::read(&target).expect("the file");
    let is_store_file = data.len() >= HEADER && data[..8] == *b"ENGRAMDB";
    let kind = is_store_file.then(|| u32::from_le_bytes(data[8..12].try_into().expect("4")));
    match (c.pick(5), kind) {
        // Cut short.
        (0, _) => data.truncate(index(&mut c, data.len() + 1)),
        // Changed, checksums left as they were.
        (1, _) => {
            let n = data.len();
            mutate(&mut c, &mut data, 0, n);
        }
        (_, Some(KIND_LOG)) => mutate_log(&mut c, &mut data),
        (_, Some(_)) => {
            // The payload (a version-2 file's block table is made again by `seal`).
            data.truncate(HEADER + payload_len(&data));
            let n = data.len();
            mutate(&mut c, &mut data, HEADER, n);
            seal(&mut data);
        }
        // `COMMITTED`: text.
        (_, None) => {
            let n = data.len();
            mutate(&mut c, &mut data, 0, n);
        }
    }
    std::fs::write(&target, &data).expect("the changed file");
    for read_only in [true, false] {
        let opened = match read_only {
            true => Store::open_read_only(&dir),
            false => Store::open(&dir),
        };
        match opened {
            Err(e) => {
                let shown = e.to_string();
                assert!(shown.contains(dir.to_str().expect("UTF-8")), "{shown}");
            }
            Ok(mut store) => {
                store.set_limits(LIMITS);
                exercise(&mut store, read_only);
            }
        }
    }
}

/// Every read of a store, and a commit when it is writable; errors are allowed, panics not.
fn exercise(store: &mut Store, read_only: bool) {
    if let Ok(rels) = store.relations() {
        for r in rels {
            let _ = store.facts(&r.name);
        }
    }
    let _ = store.query("?- path(x, y).");
    let _ = store.query("?- m(n, f, u, s).");
    let _ = store.stats();
    if !read_only
        && let Ok(mut tx) = store.transaction()
        && tx.add_text("edge(\"e\", \"f\").").is_ok()
    {
        let _ = tx.commit();
    }
}
