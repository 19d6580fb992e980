//! Recall by lookup (`MemoryExt::recall`: the store's word postings, one pass over the
//! documents, the graph around the seeds) answers exactly what the index of everything
//! (`RecallIndex::build`) answers: on the example memory for the pinned questions at every
//! depth, and on random memories built by random commits (strings in run files with their
//! postings, in the commit log, and in a store reopened), for random questions.

use engram_engine::memory::{self, Hit, MemoryExt, RecallOptions};
use engram_engine::store::Store;
use engram_tests::workspace_root;
use proptest::prelude::*;
use std::path::Path;

/// A hit as compared: everything but its place in an index.
fn shown(hits: &[Hit]) -> Vec<String> {
    hits.iter()
        .map(|h| {
            format!(
                "{} {} {} {} {:?} {:?} {:?} {:?} {:?}",
                h.id,
                h.kind,
                h.ty,
                h.title,
                h.score.to_bits(),
                h.relevance.to_bits(),
                h.matched,
                h.path,
                h.snippet
            )
        })
        .collect()
}

thread_local! {
    /// A recall cache kept across every question and commit of a test.
    static CACHE: std::cell::RefCell<memory::RecallCache> = Default::default();
}

/// Each question at each depth and limit: by lookup, as the whole index answers. Returns how
/// many hits there were, and how many of them the graph reached.
fn agree(store: &mut Store, questions: &[String]) -> (usize, usize) {
    let index = store.recall_index().unwrap();
    let (mut hits, mut reached) = (0, 0);
    for q in questions {
        // Limits 1 to 3 rank among 10 to 30 candidates: most matches are left out first.
        for (depth, limit) in [
            (0, 1),
            (2, 1),
            (1, 2),
            (2, 3),
            (0, 5),
            (1, 8),
            (2, 8),
            (3, 20),
        ] {
            let options = RecallOptions {
                depth,
                limit,
                now: store.evaluation_time(),
                shown: None,
            };
            let by_lookup = store.recall(q, &options).unwrap();
            // The same through the cache kept across calls (and commits: it must notice).
            let kept = CACHE.with(|c| store.recall_with(&mut c.borrow_mut(), q, &options));
            assert_eq!(shown(&kept.unwrap()), shown(&by_lookup), "{q:?}, kept");
            hits += by_lookup.len();
            reached += by_lookup.iter().filter(|h| !h.path.is_empty()).count();
            assert_eq!(
                shown(&by_lookup),
                shown(&index.recall(q, &options)),
                "{q:?} at depth {depth}, limit {limit}"
            );
        }
    }
    (hits, reached)
}

#[test]
fn recall_by_lookup_is_recall_over_everything_on_the_example_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let mut store = engram_tests::example_store(Some(&path));
    let now = store.evaluation_time();
    let questions: Vec<String> =
        std::fs::read_to_string(workspace_root().join("tests/recall/queries.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
    let (hits, reached) = agree(&mut store, &questions);
    assert!(
        hits > 100 && reached > 20,
        "{hits} hits, {reached} through the graph"
    );
    // A memory remembered since: its strings are the commit log's, indexed in memory.
    let line = r#"{"kind":"memory","id":"late","title":"Stripe webhooks retried late","content":"payments retry the webhook","tags":["payments"]}"#;
    let late = memory::Format::Native.read(line, false).unwrap();
    let mut tx = store.transaction().unwrap();
    memory::add_to_transaction(&mut tx, late.facts).unwrap();
    tx.commit().unwrap();
    agree(&mut store, &questions);
    drop(store);
    let mut reopened = Store::open(&path).unwrap();
    reopened.set_now(Some(now));
    agree(&mut reopened, &questions);
}

/// The documents' table a process reads from the oldest runs is kept in the store's
/// directory (`recall-docs.cache`) for the next process, which answers from it as from the
/// runs; a kept table damaged on disk is noticed as it is read, forgotten and read from the
/// runs again, with the same answers and no error; a store whose directory cannot be written
/// answers without keeping one.
#[test]
fn the_documents_kept_for_the_next_process_answer_as_the_runs_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let mut store = engram_tests::example_store(Some(&path));
    // Enough documents that the kept table spans many checksummed blocks.
    let lines: Vec<String> = (0..3000)
        .map(|i| {
            line(
                (i % 2) as u8,
                i,
                i * 7,
                i * 13,
                &[i % 12, i / 12 % 12, i / 144],
            )
        })
        .collect();
    commit_lines(&mut store, &lines);
    store.compact().unwrap();
    let now = store.evaluation_time();
    let questions = [
        "stripe webhook retries",
        "database outage",
        "payments",
        "alice cache",
    ];
    let options = RecallOptions {
        depth: 2,
        limit: 8,
        now,
        shown: None,
    };
    let want: Vec<Vec<String>> = (questions.iter())
        .map(|q| shown(&store.recall_index().unwrap().recall(q, &options)))
        .collect();
    let ask = |store: &mut Store| -> Vec<Vec<String>> {
        (questions.iter())
            .map(|q| shown(&store.recall(q, &options).unwrap()))
            .collect()
    };
    assert_eq!(ask(&mut store), want);
    let kept = path.join("recall-docs.cache");
    let bytes = std::fs::read(&kept).expect("kept by the first question");
    drop(store);
    let reopen = || {
        let mut s = Store::open_read_only(&path).unwrap();
        s.set_now(Some(now));
        s
    };
    assert_eq!(ask(&mut reopen()), want, "from the kept table");
    // Every block of the kept table's records but the first damaged: the table opens, and
    // the damage is noticed as the first read touches it.
    assert!(bytes.len() > 200_000, "{} bytes", bytes.len());
    let mut damaged = bytes.clone();
    for at in (20_000..damaged.len() - 64).step_by(1024) {
        damaged[at] ^= 0x55;
    }
    std::fs::write(&kept, &damaged).unwrap();
    assert_eq!(
        ask(&mut reopen()),
        want,
        "the damaged table read from the runs again"
    );
    assert_eq!(std::fs::read(&kept).unwrap(), bytes, "and kept again");
    // Cut short: not read at all.
    std::fs::write(&kept, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(ask(&mut reopen()), want, "a table cut short is not read");
}

/// A hub (a node of more than 50 relations) next to the best match is reached but not
/// expanded through, by lookup (its relations counted, not read) as in the index; a node of 50
/// relations is expanded through. (Each relation here is an edge both ways, by the inverse
/// rules: the hub has twice as many edges as relations.)
#[test]
fn hubs_are_counted_not_followed() {
    for spokes in [24, 25, 40] {
        let dir = tempfile::tempdir().unwrap();
        let mut lines = vec![
            r#"{"kind":"memory","id":"seed","title":"payment outage","content":"payment outage"}"#
                .to_string(),
            r#"{"kind":"relation","from":"seed","type":"USES","to":"hub"}"#.to_string(),
            // A weak match beside the hub: through the hub (if it were followed) it would be
            // reached from the seed with more relevance than its words give it.
            r#"{"kind":"memory","id":"weak","title":"notes","content":"an outage among many other words about deploys queues caches schemas tokens billing latency migrations and indexes"}"#
                .to_string(),
            r#"{"kind":"relation","from":"weak","type":"USES","to":"hub"}"#.to_string(),
        ];
        for i in 1..spokes {
            lines.push(format!(
                r#"{{"kind":"memory","id":"spoke{i}","title":"database note {i}"}}"#
            ));
            lines.push(format!(
                r#"{{"kind":"relation","from":"spoke{i}","type":"PART_OF","to":"hub"}}"#
            ));
        }
        let mut store = random_store(&dir.path().join("store"), &[lines], 9);
        let (_, reached) = agree(&mut store, &["payment outage".to_string()]);
        // The hub's relations: the seed's, the weak match's, `spokes - 1` from the spokes, both
        // ways.
        match spokes {
            24 => assert!(reached > 1, "{spokes}: {reached}"),
            _ => assert!(reached <= 4, "{spokes}: {reached}"),
        }
    }
}

/// A memory where each question matches far more documents than recall ranks (hundreds,
/// against 10 to 30 candidates at the smaller limits), so that what is left out before
/// ranking matters: by lookup, as the whole index answers.
#[test]
fn recall_by_lookup_ranks_among_many_matches_as_the_whole_index() {
    let mut x: u64 = 7;
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize % n
    };
    let lines: Vec<String> = (0..600)
        .map(|i| {
            let words: Vec<usize> = (0..1 + next(4)).map(|_| next(12)).collect();
            line((next(8) as u8) % 3, i % 300, next(30), next(300), &words)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut store = random_store(&dir.path().join("store"), &[lines], 0);
    let questions: Vec<String> = ["payment retry", "webhook", "cache deploy outage", "stripe"]
        .iter()
        .map(|q| q.to_string())
        .collect();
    let (hits, _) = agree(&mut store, &questions);
    assert!(hits > 0, "the questions find something");
}

const WORDS: [&str; 12] = [
    "payment", "payments", "retry", "retries", "webhook", "stripe", "outage", "database", "cache",
    "deploy", "the", "Alice",
];
const TYPES: [&str; 5] = ["USES", "SOLVES", "FIXES", "RELATED_TO", "PART_OF"];

/// A line of engram's memory format from the generator's numbers.
fn line(kind: u8, a: usize, b: usize, c: usize, words: &[usize]) -> String {
    let text: Vec<&str> = words.iter().map(|&w| WORDS[w % WORDS.len()]).collect();
    let text = text.join(" ");
    match kind % 4 {
        0 => format!(
            r#"{{"kind":"memory","id":"m{a}","title":"{text}","content":"{} {text}","tags":["{}"],"importance":0.{}}}"#,
            WORDS[b % WORDS.len()],
            WORDS[c % WORDS.len()],
            c % 10
        ),
        1 => format!(
            r#"{{"kind":"entity","id":"e{a}","type":"{}","observations":["{text}"]}}"#,
            WORDS[b % WORDS.len()]
        ),
        _ => {
            let end = |n: usize| {
                if n.is_multiple_of(2) {
                    format!("m{n}")
                } else {
                    format!("e{n}")
                }
            };
            format!(
                r#"{{"kind":"relation","from":"{}","type":"{}","to":"{}"}}"#,
                end(a),
                TYPES[b % TYPES.len()],
                end(c)
            )
        }
    }
}

fn commit_lines(store: &mut Store, lines: &[String]) {
    let read = memory::Format::Native
        .read(&lines.join("\n"), true)
        .unwrap();
    let mut tx = store.transaction().unwrap();
    memory::add_to_transaction(&mut tx, read.facts).unwrap();
    tx.commit().unwrap();
}

fn random_store(path: &Path, commits: &[Vec<String>], compact_after: usize) -> Store {
    random_store_asking(path, commits, compact_after, |_| {})
}

/// [`random_store`], calling `ask` after each commit (and compaction).
fn random_store_asking(
    path: &Path,
    commits: &[Vec<String>],
    compact_after: usize,
    mut ask: impl FnMut(&mut Store),
) -> Store {
    let mut store = Store::create(path).unwrap();
    store.set_now(Some(1_800_000_000_000));
    store
        .add_rule_files(&engram_engine::library::default_rules())
        .unwrap();
    for (i, lines) in commits.iter().enumerate() {
        commit_lines(&mut store, lines);
        ask(&mut store);
        if i == compact_after {
            store.compact().unwrap();
            ask(&mut store);
        }
    }
    store
}

/// The store's word postings are what a scan of its strings finds: for each stem of the
/// vocabulary, the strings holding it with how often; and each string's number of words.
fn postings_are_a_scan(store: &mut Store) {
    let stems: Vec<String> = (WORDS.iter())
        .flat_map(|w| engram_engine::store::words(w))
        .map(|w| w.0)
        .chain(["nothing".to_string()])
        .collect();
    let found = store.symbols_with_stems(&stems).unwrap();
    let interner = store.database_with(&[]).unwrap().interner().clone();
    let all: Vec<u64> = (0..interner.len() as u64).collect();
    for (stem, hits) in stems.iter().zip(found) {
        let scan: Vec<(u64, u32)> = (all.iter())
            .filter_map(|&id| {
                let n = (engram_engine::store::words(interner.resolve_enc(id)).iter())
                    .filter(|w| &w.0 == stem)
                    .count() as u32;
                (n > 0).then_some((id, n))
            })
            .collect();
        assert_eq!(hits, scan, "{stem}");
    }
    let counts = store.word_counts(&all).unwrap();
    for (&id, n) in all.iter().zip(counts) {
        let want = engram_engine::store::words(interner.resolve_enc(id)).len() as u32;
        assert_eq!(n, want, "{:?}", interner.resolve_enc(id));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("ENGRAM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn recall_by_lookup_is_recall_over_everything(
        commits in prop::collection::vec(
            prop::collection::vec(
                (any::<u8>(), 0..30usize, 0..30usize, 0..30usize,
                 prop::collection::vec(0..12usize, 1..5)),
                1..25),
            1..4),
        compact_after in 0..4usize,
        questions in prop::collection::vec(prop::collection::vec(0..12usize, 1..4), 1..4),
    ) {
        let lines: Vec<Vec<String>> = commits
            .iter()
            .map(|c| c.iter().map(|(k, a, b, cc, w)| line(*k, *a, *b, *cc, w)).collect())
            .collect();
        let questions: Vec<String> = questions
            .iter()
            .map(|q| q.iter().map(|&w| WORDS[w]).collect::<Vec<_>>().join(" "))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        // Asked after every commit: the cache kept across them brings its documents up to
        // date by what each changed (or reads them anew after a compaction).
        let mut store = random_store_asking(&path, &lines, compact_after, |store| {
            agree(store, &questions);
        });
        postings_are_a_scan(&mut store);
        drop(store);
        let mut reopened = Store::open(&path).unwrap();
        reopened.set_now(Some(1_800_000_000_000));
        agree(&mut reopened, &questions);
        postings_are_a_scan(&mut reopened);
    }
}
