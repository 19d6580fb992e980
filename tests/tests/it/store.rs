//! The store's promises: damage is reported by file name, one writer at a time, readers keep
//! working while a writer commits and compacts, and a store written by format version 1 opens.

use engram_engine::store::Store;
use engram_engine::{Error, OpenError, Value};
use std::path::{Path, PathBuf};

const RULES: &str = r#"
.decl e(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
p(x, y) :- e(x, y).
@name("transitive") @weight(0.9) p(x, z) :- e(x, y), p(y, z).
"#;

fn sym(s: &str) -> Value {
    Value::Symbol(s.into())
}

/// A store with rules, a few commits, and every kind of file.
fn small_store(dir: &Path) -> PathBuf {
    let path = dir.join("s.db");
    let mut s = Store::create(&path).unwrap();
    s.add_rules("paths", RULES).unwrap();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "d")] {
        let mut tx = s.transaction().unwrap();
        tx.add_with("e", vec![sym(a), sym(b)], 0.8, Some(1_700_000_000_000))
            .unwrap();
        tx.commit().unwrap();
    }
    path
}

/// [`small_store`] as a writer killed while it appended the last commit's record leaves it:
/// the record of how much of the log is committed names the commits before.
fn small_store_killed_in_last_commit(dir: &Path) -> PathBuf {
    let path = small_store(dir);
    let committed = path.join("COMMITTED");
    let mut s = Store::open(&path).unwrap();
    let before = std::fs::read(&committed).unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add("e", vec![sym("d"), sym("d2")]).unwrap();
    tx.commit().unwrap();
    drop(s);
    std::fs::write(&committed, before).unwrap();
    path
}

fn store_files(path: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        // `COMMITTED` is advisory (checked by its own test below).
        .filter(|p| p.file_name().unwrap() != "LOCK" && p.file_name().unwrap() != "COMMITTED")
        .collect();
    files.sort();
    files
}

/// Opens the store and reads every fact: the first error, if any.
fn open_and_read(path: &Path) -> Result<(), Error> {
    let mut s = Store::open(path)?;
    for r in s.relations()? {
        s.facts(&r.name)?;
    }
    Ok(())
}

fn assert_names_file(r: Result<(), Error>, file: &Path, what: &str) {
    let e = r.expect_err(what).to_string();
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(name), "{what}: `{e}` does not name {name}");
}

fn is_log(file: &Path) -> bool {
    file.extension().is_some_and(|e| e == "log")
}

/// The number of `e` facts a store reads.
fn edges(path: &Path) -> usize {
    let mut s = Store::open(path).unwrap();
    s.facts("e").unwrap().unwrap().len()
}

#[test]
fn a_flipped_byte_anywhere_is_reported_with_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let files = store_files(&path);
    assert!(
        files.iter().any(|f| is_log(f)),
        "the commits went to the log"
    );
    for file in files {
        let original = std::fs::read(&file).unwrap();
        // In the log, the header, a record's length, and every record but the last (the
        // first record's payload starts at byte 44).
        let spots: Vec<usize> = if is_log(&file) {
            vec![0, 9, 20, 29, 33, 37, 41, 50]
        } else {
            vec![0, 9, 20, 29, original.len() / 2, original.len() - 1]
        };
        for at in spots {
            let mut bytes = original.clone();
            bytes[at] ^= 0x10;
            std::fs::write(&file, &bytes).unwrap();
            assert_names_file(open_and_read(&path), &file, &format!("flip {at}"));
        }
        std::fs::write(&file, &original).unwrap();
        open_and_read(&path).unwrap();
    }
}

#[test]
fn a_damaged_last_log_record_reads_as_the_commit_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store_killed_in_last_commit(dir.path());
    let log = store_files(&path).into_iter().find(|f| is_log(f)).unwrap();
    let original = std::fs::read(&log).unwrap();
    assert_eq!(edges(&path), 4);
    let mut bytes = original.clone();
    *bytes.last_mut().unwrap() ^= 0x10;
    std::fs::write(&log, &bytes).unwrap();
    assert_eq!(
        edges(&path),
        3,
        "a damaged final record is an uncommitted one"
    );
    std::fs::write(&log, &original[..original.len() - 1]).unwrap();
    assert_eq!(edges(&path), 3, "so is one cut short");
    // The next writer cuts it off and carries on.
    let mut s = Store::open(&path).unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add("e", vec![sym("d"), sym("e")]).unwrap();
    tx.commit().unwrap();
    drop(s);
    assert_eq!(edges(&path), 4);
    assert_eq!(
        Store::open(&path)
            .unwrap()
            .facts("p")
            .unwrap()
            .unwrap()
            .len(),
        10
    );
}

/// A log that lost committed records (cut short, or an older copy put back) is an error naming
/// it, never read as the older state it holds (it once opened silently at an older
/// generation); a damaged record of how much is committed is ignored.
#[test]
fn a_log_that_lost_committed_records_is_reported_with_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let log = store_files(&path).into_iter().find(|f| is_log(f)).unwrap();
    let original = std::fs::read(&log).unwrap();
    for len in [original.len() / 2, original.len() - 1] {
        std::fs::write(&log, &original[..len]).unwrap();
        let r = open_and_read(&path);
        assert_names_file(r, &log, &format!("cut to {len}"));
        let e = open_and_read(&path).unwrap_err().to_string();
        assert!(e.contains("committed records were lost"), "{e}");
    }
    std::fs::write(&log, &original).unwrap();
    let committed = path.join("COMMITTED");
    let mut bytes = std::fs::read(&committed).unwrap();
    bytes[2] ^= 0x10;
    std::fs::write(&committed, &bytes).unwrap();
    assert_eq!(edges(&path), 3);
    std::fs::write(&log, &original[..original.len() - 1]).unwrap();
    assert_eq!(
        edges(&path),
        2,
        "without the record, a cut tail reads as uncommitted"
    );
}

#[test]
fn a_truncated_or_deleted_file_is_reported_with_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    for file in store_files(&path) {
        let original = std::fs::read(&file).unwrap();
        // A log cut inside a record reads as the commits before it (see above).
        let lens: Vec<usize> = if is_log(&file) {
            vec![0, 10]
        } else {
            vec![0, 10, original.len() - 1]
        };
        for len in lens {
            std::fs::write(&file, &original[..len]).unwrap();
            assert_names_file(open_and_read(&path), &file, &format!("truncate to {len}"));
        }
        std::fs::remove_file(&file).unwrap();
        let r = open_and_read(&path);
        if file.file_name().unwrap() == "MANIFEST" {
            assert!(matches!(r, Err(Error::Open(OpenError::NotAStore { .. }))));
        } else {
            assert_names_file(r, &file, "deleted");
        }
        std::fs::write(&file, &original).unwrap();
    }
    open_and_read(&path).unwrap();
}

#[test]
fn a_second_writer_is_told_who_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut first = Store::open(&path).unwrap();
    let tx = first.transaction().unwrap();
    drop(tx);
    let mut second = Store::open(&path).unwrap();
    second.set_lock_wait(std::time::Duration::from_millis(200));
    let start = std::time::Instant::now();
    let e = second.transaction().err().expect("locked").to_string();
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(200),
        "waited"
    );
    assert!(
        e.contains(&format!("is locked by pid {}", std::process::id())),
        "{e}"
    );
    assert!(e.contains("waited 2"), "{e}");
    // Readers are never locked out.
    let mut reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.facts("p").unwrap().unwrap().len(), 6);
    drop(first);
    second.transaction().unwrap();
}

#[test]
fn a_writer_waits_for_the_lock_and_builds_on_the_commit_it_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut first = Store::open(&path).unwrap();
    let mut tx = first.transaction().unwrap();
    tx.add("e", vec![sym("w1"), sym("a")]).unwrap();
    tx.commit().unwrap();
    let waiting = {
        let path = path.clone();
        std::thread::spawn(move || {
            let mut second = Store::open(&path).unwrap();
            second.set_lock_wait(std::time::Duration::from_secs(20));
            let mut tx = second.transaction().unwrap();
            tx.add("e", vec![sym("w3"), sym("a")]).unwrap();
            tx.commit().unwrap();
            second.unlock();
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(150));
    let mut tx = first.transaction().unwrap();
    tx.add("e", vec![sym("w2"), sym("a")]).unwrap();
    tx.commit().unwrap();
    first.unlock();
    waiting.join().unwrap();
    // The second writer moved to the first one's commits before it wrote: nothing is lost.
    first.refresh().unwrap();
    let e: Vec<String> = (first.facts("e").unwrap().unwrap().iter())
        .map(|f| f.values[0].to_string())
        .collect();
    for w in ["w1", "w2", "w3"] {
        assert!(e.contains(&w.to_string()), "{w} in {e:?}");
    }
    assert_eq!(first.generation(), Store::open(&path).unwrap().generation());
}

#[test]
fn readers_keep_their_state_while_a_writer_commits_and_compacts() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut reader = Store::open_read_only(&path).unwrap();
    let mut writer = Store::open(&path).unwrap();
    for i in 0..20 {
        let mut tx = writer.transaction().unwrap();
        tx.add("e", vec![sym(&format!("x{i}")), sym("a")]).unwrap();
        tx.commit().unwrap();
    }
    writer.compact().unwrap();
    // The reader has not loaded any facts yet: it reads its runs now, after the writer
    // replaced them.
    assert_eq!(reader.facts("e").unwrap().unwrap().len(), 3);
    assert_eq!(reader.query("?- p(\"a\", x).").unwrap()[0].answers.len(), 3);
    assert!(reader.refresh().unwrap());
    assert_eq!(reader.facts("e").unwrap().unwrap().len(), 23);
    // Once no reader holds them, the files the compaction replaced go.
    drop(reader);
    let mut tx = writer.transaction().unwrap();
    tx.add("e", vec![sym("y"), sym("z")]).unwrap();
    tx.commit().unwrap();
    let runs = store_files(&path)
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "facts"))
        .count();
    assert!(runs <= 4, "{runs} fact runs left after compaction");
}

#[test]
fn a_reader_that_moves_several_commits_at_once_keeps_one_fold_a_layer() {
    // A reader following a writer two commits at a time (as each of `engram serve
    // --readers 2` does) and reading the counts each time (which fold the newer runs of each
    // layer): the fold it made before is found and taken, never left in an older run, where
    // each would hold a copy of the newer keys until the next checkpoint.
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut reader = Store::open_read_only(&path).unwrap();
    let mut writer = Store::open(&path).unwrap();
    let mut most = 0;
    for i in 0..40 {
        let mut tx = writer.transaction().unwrap();
        tx.add("e", vec![sym(&format!("x{i}")), sym("a")]).unwrap();
        tx.commit().unwrap();
        if i % 2 == 1 {
            assert!(reader.refresh().unwrap());
            let stats = reader.stats().unwrap();
            assert_eq!(stats.facts, writer.stats().unwrap().facts);
            most = most.max(reader.folds_kept());
        }
    }
    // Two relations, each with an asserted and a derived layer.
    assert!(most <= 4, "{most} folds kept");
}

#[test]
fn readers_in_other_threads_always_see_a_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (path, stop) = (path.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut s = Store::open_read_only(&path).unwrap();
                    let chain = s.facts("e").unwrap().unwrap().len();
                    let paths = s.facts("p").unwrap().unwrap().len();
                    // A chain of n edges has n (n + 1) / 2 paths: never half a commit.
                    assert_eq!(paths, chain * (chain + 1) / 2);
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    let mut writer = Store::open(&path).unwrap();
    for i in 0..30 {
        let mut tx = writer.transaction().unwrap();
        let from = if i == 0 {
            "d".to_string()
        } else {
            format!("n{}", i - 1)
        };
        tx.add("e", vec![sym(&from), sym(&format!("n{i}"))])
            .unwrap();
        tx.commit().unwrap();
        if i % 10 == 9 {
            writer.compact().unwrap();
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
}

/// The store committed under `tests/compat/v1/`, written by format version 1. Regenerate with
/// `ENGRAM_BLESS=1` only when the format version changes (and keep the old one).
#[test]
fn a_version_1_store_opens() {
    a_store_of_an_earlier_build_opens("v1", &["facts", "log", "rules", "str"]);
}

/// Version 2: runs and rule files checksummed per block, word postings beside string runs.
#[test]
fn a_version_2_store_opens() {
    a_store_of_an_earlier_build_opens("v2", &["facts", "log", "rules", "str", "terms"]);
}

/// The store under `tests/compat/VERSION/` (written, with `ENGRAM_BLESS=1`, when absent)
/// opens, reads what it was written with, finds its words, and takes new writes.
fn a_store_of_an_earlier_build_opens(version: &str, expected: &[&str]) {
    let compat = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("compat/{version}/memory.db"));
    if std::env::var_os("ENGRAM_BLESS").is_some() && !compat.exists() {
        let mut s = Store::create(&compat).unwrap();
        s.add_rules("paths", RULES).unwrap();
        let mut tx = s.transaction().unwrap();
        tx.add_with("e", vec![sym("a"), sym("b")], 0.9, Some(1_700_000_000_000))
            .unwrap();
        tx.add_with("e", vec![sym("b"), sym("c")], 0.5, Some(1_700_000_100_000))
            .unwrap();
        tx.commit().unwrap();
        let mut tx = s.transaction().unwrap();
        tx.add_with("e", vec![sym("c"), sym("d")], 1.0, Some(1_700_000_200_000))
            .unwrap();
        tx.retract("e", vec![sym("a"), sym("b")]).unwrap();
        tx.commit().unwrap();
        // Run files (strings, facts) and a log with a record after them.
        s.compact().unwrap();
        let mut tx = s.transaction().unwrap();
        tx.add_with("e", vec![sym("x"), sym("y")], 1.0, Some(1_700_000_300_000))
            .unwrap();
        tx.commit().unwrap();
        drop(s);
        let _ = std::fs::remove_file(compat.join("LOCK"));
    }
    // Open a copy: opening for writing would take the lock in the source tree.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("memory.db");
    std::fs::create_dir(&copy).unwrap();
    for f in std::fs::read_dir(&compat).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
    }
    let mut s = Store::open(&copy).unwrap();
    let p = s.facts("p").unwrap().unwrap();
    let shown: Vec<String> = p
        .iter()
        .map(|f| format!("{:?} {:.6} {} {}", f.values, f.confidence, f.depth, f.time))
        .collect();
    assert_eq!(
        shown,
        [
            r#"[Symbol("b"), Symbol("c")] 0.500000 1 1700000100000"#,
            r#"[Symbol("b"), Symbol("d")] 0.450000 2 1700000200000"#,
            r#"[Symbol("c"), Symbol("d")] 1.000000 1 1700000200000"#,
            r#"[Symbol("x"), Symbol("y")] 1.000000 1 1700000300000"#,
        ]
    );
    let kinds: std::collections::BTreeSet<String> = std::fs::read_dir(&compat)
        .unwrap()
        .filter_map(|f| {
            f.unwrap()
                .path()
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
        })
        .collect();
    let want: std::collections::BTreeSet<String> = expected.iter().map(|k| k.to_string()).collect();
    assert_eq!(kinds, want);
    assert_eq!(s.rules()[0].name, "paths");
    // Word postings: from their files, or (version 1) built from the strings when asked.
    let words = s
        .symbols_with_stems(&["x".to_string(), "paths".to_string()])
        .unwrap();
    assert_eq!((words[0].len(), words[1].len()), (1, 0), "{words:?}");
    let proof = s.explain(r#"p("b", "d")"#).unwrap().unwrap();
    assert_eq!(proof.rule, "transitive");
    // And it takes new writes.
    let mut tx = s.transaction().unwrap();
    tx.add("e", vec![sym("d"), sym("e")]).unwrap();
    tx.commit().unwrap();
    assert_eq!(s.facts("p").unwrap().unwrap().len(), 7);
}

/// A reader answers one-atom queries straight from the mapped runs (binary search on the
/// leading constants, newer runs folded in); a handle that holds the relation in a table
/// answers through the evaluator. Both must agree, with logged runs and retractions about.
#[test]
fn queries_from_the_runs_equal_queries_from_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut s = Store::create(&path).unwrap();
    s.add_rules("paths", RULES).unwrap();
    let names = ["a", "b", "c", "d", "e", "f"];
    let mut step = 0u64;
    for round in 0..30 {
        let mut tx = s.transaction().unwrap();
        for k in 0..3 {
            step = step
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (x, y) = (
                names[(step >> 33) as usize % 6],
                names[(step >> 40) as usize % 6],
            );
            let conf = 0.3 + ((step >> 50) % 7) as f64 / 10.0;
            if (round + k) % 4 == 3 {
                tx.retract("e", vec![sym(x), sym(y)]).unwrap();
            } else {
                tx.add_with(
                    "e",
                    vec![sym(x), sym(y)],
                    conf,
                    Some(1_700_000_000_000 + round),
                )
                .unwrap();
            }
        }
        tx.commit().unwrap();
        if round == 15 {
            s.compact().unwrap();
        }
    }
    drop(s);
    let queries = [
        r#"?- e("a", y)."#,
        r#"?- e(x, "b")."#,
        "?- e(x, x).",
        r#"?- p("c", y)."#,
        "?- p(x, y), x != y.",
        "?- e(x, y) @ c, c > 0.5.",
        r#"?- e("b", _)."#,
        r#"?- e("a", "b")."#,
        "?- p(_, _).",
    ];
    let mut reader = Store::open_read_only(&path).unwrap();
    let mut tables = Store::open(&path).unwrap();
    tables.stats().unwrap();
    for q in queries {
        let a = reader.query(q).unwrap();
        let b = tables.query(q).unwrap();
        assert_eq!(a, b, "{q}");
    }
}

/// Regression (found with issue 9): a checkpoint after logged commits set the generation to
/// the manifest's plus one, going back by the number of records logged.
#[test]
fn the_generation_only_grows_across_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("g.db")).unwrap();
    store
        .add_rules("p", ".decl e(x: symbol, y: symbol)\n")
        .unwrap();
    let mut last = store.generation();
    for i in 0..3 {
        let mut tx = store.transaction().unwrap();
        tx.add("e", vec![sym(&format!("a{i}")), sym("b")]).unwrap();
        tx.commit().unwrap();
        assert!(store.generation() > last);
        last = store.generation();
    }
    // A rule change writes a checkpoint.
    store
        .add_rules("q", ".decl f(x: symbol)\nf(x) :- e(x, _).\n")
        .unwrap();
    assert_eq!(store.generation(), last + 1);
}

/// A new entity (`sk(...)`) is the same symbol in a store after reopening and in a fresh
/// evaluation of the same facts: its text depends on the arguments' text, never on ids.
#[test]
fn skolem_entities_are_the_same_after_reopen_and_across_stores() {
    const RULES: &str = r#"
        .decl member(m: symbol, p: symbol)
        .decl summary(s: symbol, p: symbol)
        summary(sk("summary", p), p) :- member(_, p).
    "#;
    let summaries = |store: &mut Store| -> Vec<Vec<Value>> {
        let facts = store.facts("summary").unwrap().unwrap();
        facts.into_iter().map(|f| f.values).collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sk.db");
    let mut store = Store::create(&path).unwrap();
    // Other strings first, so that symbol ids differ from the second store's.
    store
        .add_rules("r", &format!("{RULES}\n.decl other(x: symbol)\n"))
        .unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text(r#"other("x"). other("y"). member("m1", "api"). member("m2", "web")."#)
        .unwrap();
    tx.commit().unwrap();
    let first = summaries(&mut store);
    assert_eq!(first.len(), 2);
    drop(store);
    let mut reopened = Store::open(&path).unwrap();
    assert_eq!(summaries(&mut reopened), first);
    let mut fresh = Store::in_memory();
    fresh.add_rules("r", RULES).unwrap();
    let mut tx = fresh.transaction().unwrap();
    tx.add_text(r#"member("m2", "web"). member("m1", "api")."#)
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(summaries(&mut fresh), first);
    let Value::Symbol(s) = &first[0][0] else {
        panic!("a symbol")
    };
    assert!(
        s.starts_with("summary#") && s.len() == "summary#".len() + 12,
        "{s}"
    );
}

/// Regression: `add_text` (and so `engram add` and the REPL) dropped a time written after
/// `~` and stamped the fact with the commit's time.
#[test]
fn a_time_written_after_a_fact_is_kept() {
    let mut s = Store::in_memory();
    let mut tx = s.transaction().unwrap();
    tx.add_text(r#"seen("a") ~ "2026-01-01T00:00:00Z". seen("b") @ 0.5 ~ 1000."#)
        .unwrap();
    tx.commit().unwrap();
    let facts = s.facts("seen").unwrap().unwrap();
    let times: Vec<(f64, i64)> = facts.iter().map(|f| (f.confidence, f.time)).collect();
    assert_eq!(times, vec![(1.0, 1_767_225_600_000), (0.5, 1000)]);
    let mut tx = s.transaction().unwrap();
    let e = tx.add_text(r#"seen("c") ~ "yesterday"."#).unwrap_err();
    assert!(e.to_string().contains("ISO 8601"), "{e}");
}

/// The bytes of the store's commit logs.
fn log_bytes(path: &Path) -> u64 {
    store_files(path)
        .iter()
        .filter(|f| is_log(f))
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum()
}

#[test]
fn a_large_commit_is_written_as_runs_not_logged() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let logged = log_bytes(&path);
    // A small commit is one log record.
    let mut s = Store::open(&path).unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add("e", vec![sym("x"), sym("y")]).unwrap();
    tx.commit().unwrap();
    assert!(log_bytes(&path) > logged, "a small commit is logged");
    // A bulk one (70,000 facts) is a checkpoint: no reader replays it from the log.
    let mut tx = s.transaction().unwrap();
    for i in 0..70_000 {
        tx.add("e", vec![sym(&format!("n{i}")), sym(&format!("m{i}"))])
            .unwrap();
    }
    tx.commit().unwrap();
    drop(s);
    assert!(log_bytes(&path) < 1024, "{} bytes logged", log_bytes(&path));
    assert_eq!(edges(&path), 70_004);
}

/// A transaction encodes facts as they are added; dropped uncommitted, it leaves no relation
/// and no string behind, and the next commit reuses the ids it had taken.
#[test]
fn a_dropped_transaction_leaves_no_relation_or_string() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut s = Store::open(&path).unwrap();
    let before = s.stats().unwrap();
    {
        let mut tx = s.transaction().unwrap();
        tx.add("note", vec![sym("never committed"), sym("nor this")])
            .unwrap();
        tx.add("e", vec![sym("x-dropped"), sym("a")]).unwrap();
    }
    let after = s.stats().unwrap();
    assert_eq!(after.strings, before.strings);
    assert_eq!(after.relations.len(), before.relations.len());
    assert!(
        s.query("?- note(x, y).").is_err(),
        "`note` was never committed"
    );
    let mut tx = s.transaction().unwrap();
    tx.add("e", vec![sym("d"), sym("e")]).unwrap();
    tx.commit().unwrap();
    drop(s);
    let mut s = Store::open(&path).unwrap();
    let stats = s.stats().unwrap();
    assert_eq!(stats.strings, before.strings + 1, "only \"e\" is new");
    assert!(stats.relations.iter().all(|r| r.name != "note"));
    let answers = s.query("?- p(\"a\", y).").unwrap();
    assert_eq!(answers[0].answers.len(), 4, "a reaches b, c, d and e");
}

#[test]
fn a_relation_name_from_data_cannot_become_program_text() {
    let mut store = Store::in_memory();
    for name in [
        "p(x: symbol)\n.decl evil",
        "q). evil(\"x\") :- p(",
        "",
        "1abc",
        "a b",
    ] {
        let mut tx = store.transaction().unwrap();
        let e = tx.add(name, vec![sym("x")]).err().expect(name).to_string();
        assert!(e.contains("must be identifiers"), "{name:?}: {e}");
    }
    let mut tx = store.transaction().unwrap();
    tx.add("ns.ok_name?", vec![sym("x")]).unwrap();
    tx.commit().unwrap();
    assert_eq!(store.facts("ns.ok_name?").unwrap().unwrap().len(), 1);
    assert!(store.facts("evil").unwrap().is_none());
}

#[test]
fn a_rule_that_runs_away_is_stopped_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut store = Store::open(&path).unwrap();
    store.set_limits(engram_engine::Limits {
        max_facts: Some(1000),
        timeout: Some(std::time::Duration::from_secs(30)),
        max_memory: None,
    });
    let generation = store.generation();
    let rules = store.rules().to_vec();
    // Bulk: a rule file that counts forever.
    let e = store
        .add_rules("count", ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x).\n")
        .expect_err("stopped")
        .to_string();
    assert!(e.contains("relation `n` grew past 1000 facts"), "{e}");
    assert_eq!(
        (store.generation(), store.rules()),
        (generation, &rules[..])
    );
    // Incremental: harmless until a fact sets it off; that commit fails whole.
    store
        .add_rules("grow", ".decl g(x: number)\ng(x + 1) :- g(x), x >= 0.\n")
        .unwrap();
    let generation = store.generation();
    let mut tx = store.transaction().unwrap();
    tx.add_text("g(0). e(\"new\", \"a\").").unwrap();
    let e = tx.commit().expect_err("stopped").to_string();
    assert!(e.contains("relation `g` grew past 1000 facts"), "{e}");
    assert_eq!(store.generation(), generation);
    assert!(store.facts("g").unwrap().unwrap().is_empty());
    let reopened = Store::open(&path).unwrap();
    assert_eq!(reopened.generation(), generation);
    // Within the bounds, all is as before.
    store
        .add_rules("grow", ".decl g(x: number)\ng(x + 1) :- g(x), x < 10.\n")
        .unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text("g(0).").unwrap();
    tx.commit().unwrap();
    assert_eq!(store.facts("g").unwrap().unwrap().len(), 11);
}

#[test]
fn a_writer_that_gave_its_lock_back_does_not_reload_its_own_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut store = Store::open(&path).unwrap();
    assert!(!store.refresh().unwrap());
    for i in 0..3 {
        let mut tx = store.transaction().unwrap();
        tx.add("e", vec![sym(&format!("own{i}")), sym("a")])
            .unwrap();
        tx.commit().unwrap();
        store.unlock();
        assert!(
            !store.refresh().unwrap(),
            "commit {i}: its own commit is not news"
        );
    }
    let mut other = Store::open(&path).unwrap();
    let mut tx = other.transaction().unwrap();
    tx.add("e", vec![sym("theirs"), sym("a")]).unwrap();
    tx.commit().unwrap();
    drop(other);
    assert!(store.refresh().unwrap(), "another process's commit is");
    assert_eq!(store.facts("e").unwrap().unwrap().len(), 7);
}

/// A run's orders file is one of the store's files: `stats` counts it and its bytes, and the
/// counts are those of the whole directory (regression, issue 29: the commit log, the
/// manifest and the indexes were left out, so `stats` said 11,792 bytes where `du` said
/// 114,692).
#[test]
fn stats_count_orders_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_store(dir.path());
    let mut s = Store::open(&path).unwrap();
    s.set_orders_min_rows(1);
    s.compact().unwrap();
    let stats = s.stats().unwrap();
    let (mut files, mut bytes, mut orders) = (0, 0, 0);
    for f in std::fs::read_dir(&path).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().to_string_lossy().into_owned();
        files += 1;
        bytes += f.metadata().unwrap().len();
        orders += usize::from(name.ends_with(".ord"));
    }
    assert!(orders > 0, "a compaction writes orders files");
    assert_eq!((stats.files, stats.bytes_on_disk), (files, bytes));
    // A commit in the log is on disk too.
    let mut tx = s.transaction().unwrap();
    tx.add_with("e", vec![sym("x"), sym("y")], 1.0, None)
        .unwrap();
    tx.commit().unwrap();
    let after = s.stats().unwrap();
    let all = (std::fs::read_dir(&path).unwrap().flatten()).map(|f| f.metadata().unwrap().len());
    assert_eq!(after.bytes_on_disk, all.sum::<u64>());
    assert!(after.bytes_on_disk > bytes, "the logged commit counted");
}

/// Regression (issue 29): a proof printed a NUL as `\0` (Rust's escape), which the parser did
/// not read back, so a fact copied from a proof into `explain` or a retraction silently matched
/// nothing. Every symbol a proof prints reads back as the same fact: quotes, backslashes,
/// newlines, NUL and other control characters, and text beyond ASCII.
#[test]
fn a_fact_printed_in_a_proof_reads_back_as_the_same_fact() {
    let texts = [
        "nul \0 inside",
        "bell \u{7} and \u{1b}[0m escape",
        "quote \" backslash \\ \\0 \\u{41}",
        "new\nline\ttab\rreturn",
        "unicode λ 🧠 \u{200b}",
        "",
    ];
    let mut s = Store::in_memory();
    s.add_rules("p", ".decl p(x: symbol, y: symbol)\n").unwrap();
    let mut tx = s.transaction().unwrap();
    for (i, t) in texts.iter().enumerate() {
        tx.add("p", vec![sym(t), sym(&i.to_string())]).unwrap();
    }
    tx.commit().unwrap();
    for (i, t) in texts.iter().enumerate() {
        let written = engram_engine::fact_text("p", &[sym(t), sym(&i.to_string())]);
        let proof = s.explain(&written).unwrap().expect("the fact holds");
        assert_eq!(proof.fact, written);
        let mut tx = s.transaction().unwrap();
        assert_eq!(tx.retract_text(&proof.fact).unwrap(), 1);
        tx.commit().unwrap();
        assert!(s.explain(&written).unwrap().is_none(), "{t:?} retracted");
    }
    assert_eq!(s.facts("p").unwrap().map(|f| f.len()), Some(0));
}
