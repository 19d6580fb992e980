//! Recall on the shipped example memory: the answers to the questions in
//! `tests/recall/queries.txt` are pinned in `tests/recall/expected.txt` (`UPDATE_GOLDEN=1`
//! rewrites it), and hold what recall promises: no memory twice, each hit with a reason, near
//! duplicates kept apart, and the graph reaching what the words alone miss.

use engram_engine::memory::MemoryExt;
use engram_engine::memory::{self, Hit, RecallOptions};
use engram_engine::store::Store;
use engram_tests::workspace_root;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The example memory in a store with the standard rules, as `engram demo` builds it.
fn example_store() -> Store {
    engram_tests::example_store(None)
}

fn render(query: &str, hits: &[Hit]) -> String {
    let mut out = format!("== {query}\n");
    for h in hits {
        writeln!(
            out,
            "{}\t{} {}\t{:.4}\t{}\t{}",
            h.id,
            h.kind,
            h.ty,
            h.score,
            h.title,
            h.why()
        )
        .unwrap();
    }
    out
}

#[test]
fn recall_on_the_example_memory() {
    let mut store = example_store();
    let index = store.recall_index().unwrap();
    let options = RecallOptions {
        depth: 2,
        limit: 8,
        now: store.evaluation_time(),
        shown: None,
    };
    let queries =
        std::fs::read_to_string(workspace_root().join("tests/recall/queries.txt")).unwrap();
    let mut actual = String::new();
    for q in queries.lines().filter(|l| !l.trim().is_empty()) {
        let hits = index.recall(q, &options);
        assert!(!hits.is_empty(), "{q}: nothing recalled");
        let ids: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), hits.len(), "{q}: a hit twice");
        for h in &hits {
            assert!(
                !h.matched.is_empty() || !h.path.is_empty(),
                "{q}: {} has no reason",
                h.id
            );
        }
        actual.push_str(&render(q, &hits));
    }
    let pinned = workspace_root().join("tests/recall/expected.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&pinned, &actual).unwrap();
    }
    let want = std::fs::read_to_string(&pinned).unwrap_or_default();
    assert_eq!(
        want, actual,
        "recall changed (UPDATE_GOLDEN=1 rewrites tests/recall/expected.txt)"
    );
}

#[test]
fn the_graph_reaches_what_the_words_miss() {
    let mut store = example_store();
    let index = store.recall_index().unwrap();
    let now = store.evaluation_time();
    let words_only = index.recall(
        "who owns payments and webhooks",
        &RecallOptions {
            depth: 0,
            limit: 50,
            now,
            shown: None,
        },
    );
    let with_graph = index.recall(
        "who owns payments and webhooks",
        &RecallOptions {
            depth: 2,
            limit: 50,
            now,
            shown: None,
        },
    );
    assert!(words_only.iter().all(|h| h.path.is_empty()));
    let reached: Vec<&Hit> = with_graph.iter().filter(|h| !h.path.is_empty()).collect();
    for h in &reached {
        assert!(h.why().starts_with("via "), "{}", h.why());
    }
    assert!(
        reached
            .iter()
            .any(|h| !words_only.iter().any(|w| w.id == h.id)),
        "relations reached nothing the words did not"
    );
}

#[test]
fn near_duplicates_do_not_fill_the_list() {
    // Ten copies of one memory and one different memory on the same words: the second hit is
    // the different one.
    let mut store = Store::in_memory();
    store
        .add_rule_files(&engram_engine::library::default_rules())
        .unwrap();
    let mut lines = Vec::new();
    for i in 0..10 {
        lines.push(format!(
            r#"{{"kind":"memory","id":"dup{i}","title":"Retry webhooks with backoff","content":"Retry webhooks with exponential backoff","time":"2026-11-01T00:00:00Z"}}"#
        ));
    }
    lines.push(r#"{"kind":"memory","id":"other","title":"Webhooks need signatures","content":"Verify webhook signatures before a retry","time":"2026-11-01T00:00:00Z"}"#.to_string());
    load_lines(&mut store, &lines);
    let index = store.recall_index().unwrap();
    let hits = index.recall(
        "retry webhooks",
        &RecallOptions {
            depth: 0,
            limit: 3,
            now: 0,
            shown: None,
        },
    );
    assert_eq!(hits.len(), 3);
    assert!(hits[0].id.starts_with("dup"), "{hits:?}");
    assert_eq!(hits[1].id, "other", "{hits:?}");
}

/// A conversation's turns as memories: one session at one time, another a day later.
fn conversation(store: &mut Store) {
    let turns = [
        ("s1t1", "2026-11-01T10:00:00Z", "How were the holidays?"),
        ("s1t2", "2026-11-01T10:00:00Z", "Quiet. I read a biography."),
        (
            "s1t3",
            "2026-11-01T10:00:00Z",
            "I spent a week in Porto with my parents.",
        ),
        (
            "s1t4",
            "2026-11-01T10:00:00Z",
            "The wine cellars were lovely.",
        ),
        (
            "s2t1",
            "2026-11-02T10:00:00Z",
            "Porto again next year, maybe.",
        ),
        (
            "s2t2",
            "2026-11-02T10:00:00Z",
            "We went to the holidays market yesterday.",
        ),
    ];
    let lines: Vec<String> = (turns.iter())
        .map(|(id, time, text)| {
            format!(r#"{{"kind":"memory","id":"{id}","title":"{text}","time":"{time}"}}"#)
        })
        .collect();
    load_lines(store, &lines);
}

#[test]
fn the_turns_beside_a_match_share_its_relevance() {
    // "Where did you spend the holidays?" names the words of the question turn; the answer
    // is two turns later, in the same conversation at the same time.
    let mut store = Store::in_memory();
    conversation(&mut store);
    let options = RecallOptions {
        depth: 0,
        limit: 10,
        now: 0,
        shown: None,
    };
    let hits = store
        .recall_index()
        .unwrap()
        .recall("where did you go for the holidays", &options);
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    // "go" finds "went" (another form of the word): s2t2 and s1t1 match by their words, and
    // s2t1 is beside the best of them.
    assert_eq!(ids[..3], ["s2t2", "s2t1", "s1t1"], "{ids:?}");
    assert_eq!(hits[0].matched, ["go", "holidays"]);
    let next = hits
        .iter()
        .find(|h| h.id == "s1t2")
        .expect("the turn after");
    assert_eq!(next.beside.as_deref(), Some("s1t1"));
    assert_eq!(next.why(), "recorded next to s1t1");
    assert!(ids.contains(&"s1t3"), "two turns after: {ids:?}");
    // A turn of another session (a day apart) is not beside s1t1, though next to it in order.
    let other = hits.iter().find(|h| h.id == "s2t1");
    assert!(
        other.is_none_or(|h| h.beside.as_deref() != Some("s1t4")),
        "{other:?}"
    );
    assert!(!ids.contains(&"s1t4"), "three turns after: {ids:?}");
}

/// Loads memory lines (engram's format) in one commit.
fn load_lines(store: &mut Store, lines: &[String]) {
    let read = memory::Format::Native
        .read(&lines.join("\n"), false)
        .unwrap();
    let mut tx = store.transaction().unwrap();
    engram_engine::memory::add_to_transaction(&mut tx, read.facts).unwrap();
    tx.commit().unwrap();
}

#[test]
fn a_question_about_a_month_weighs_the_memories_of_that_month() {
    // Two trips, one in May and a newer one in October: "in May" asks for the first,
    // though the newer one is more recent and says "trip" as often.
    let mut store = Store::in_memory();
    let lines = [
        r#"{"kind":"memory","id":"may","title":"Trip to Lisbon with the team","time":"2026-05-12T10:00:00Z"}"#,
        r#"{"kind":"memory","id":"oct","title":"Trip to Madrid for the fair","time":"2026-10-20T10:00:00Z"}"#,
    ]
    .map(String::from);
    load_lines(&mut store, &lines);
    let now = engram_engine::parse_time("2026-11-01T00:00:00Z").unwrap();
    let options = RecallOptions {
        depth: 0,
        limit: 5,
        now,
        shown: None,
    };
    let mut ids = |q: &str| -> Vec<String> {
        let hits = store.recall_index().unwrap().recall(q, &options);
        hits.into_iter().map(|h| h.id).collect()
    };
    assert_eq!(ids("which trip"), ["oct", "may"]);
    assert_eq!(ids("which trip in May"), ["may", "oct"]);
    // Through the store's lookups too.
    let hits = store.recall("which trip in May", &options).unwrap();
    assert_eq!(hits[0].id, "may");
}

#[test]
fn what_is_left_of_a_contraction_matches_nothing() {
    // "Tom's" and "it's" share the "s" an apostrophe leaves: that is not a match (the two
    // recorded days apart, so neither is beside the other).
    let mut store = Store::in_memory();
    let lines = [
        r#"{"kind":"memory","id":"cat","title":"Tom's cat hides under the sofa","time":"2026-05-12T10:00:00Z"}"#,
        r#"{"kind":"memory","id":"rain","title":"It's raining and we don't mind","time":"2026-05-20T10:00:00Z"}"#,
    ]
    .map(String::from);
    load_lines(&mut store, &lines);
    let options = by_words(5);
    let hits = store.recall("Where's Ana's bike?", &options).unwrap();
    assert!(hits.is_empty(), "{hits:?}");
    let hits = store.recall("Tom's sofa", &options).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["cat"]);
    assert_eq!(hits[0].matched, ["sofa", "tom"]);
}

#[test]
fn a_hit_shows_its_title_or_the_text_that_matched() {
    // One memory matches by its title, the other by its content only: a line shows the
    // title of the first and the matching excerpt of the second.
    let mut store = Store::in_memory();
    let lines = [
        r#"{"kind":"memory","id":"t","title":"Webhook retries","content":"Nothing else here","time":"2026-05-12T10:00:00Z"}"#,
        r#"{"kind":"memory","id":"c","title":"Friday notes","content":"We agreed that webhook retries back off","time":"2026-05-12T10:00:00Z"}"#,
    ]
    .map(String::from);
    load_lines(&mut store, &lines);
    let options = by_words(5);
    let hits = store.recall("webhook retries", &options).unwrap();
    let line = |id: &str| hits.iter().find(|h| h.id == id).unwrap().line().to_string();
    assert_eq!(line("t"), "Webhook retries");
    assert_eq!(line("c"), "We agreed that webhook retries back off");
}

/// Options for recall by text alone (no graph), `limit` hits, recency measured from 1970.
fn by_words(limit: usize) -> RecallOptions {
    RecallOptions {
        depth: 0,
        limit,
        now: 0,
        shown: None,
    }
}

/// A page of a long list (`shown`) is the list's beginning: the same hits, in the same order,
/// with the same snippets; the rest are still counted.
#[test]
fn a_page_shows_what_the_whole_list_begins_with() {
    let mut store = example_store();
    let mut cache = memory::RecallCache::default();
    let queries =
        std::fs::read_to_string(workspace_root().join("tests/recall/queries.txt")).unwrap();
    let mut compared = 0;
    for q in queries.lines().filter(|l| !l.trim().is_empty()) {
        let options = |shown| RecallOptions {
            depth: 2,
            limit: 100,
            now: store.evaluation_time(),
            shown,
        };
        let (whole, page) = (options(None), options(Some(7)));
        let all = store.recall_with(&mut cache, q, &whole).unwrap();
        let first = store.recall_with(&mut cache, q, &page).unwrap();
        assert_eq!(first.len(), all.len(), "{q}: the rest are counted");
        let n = all.len().min(7);
        assert_eq!(all[..n], first[..n], "{q}");
        compared += n;
    }
    assert!(compared >= 35, "{compared}");
}
