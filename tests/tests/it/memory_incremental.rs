//! The standard rules maintained commit by commit equal the standard rules evaluated once:
//! the example memory loaded in small batches (as an agent adds memories) leaves the same
//! facts, confidences, depths and times as loading it whole. Batches that add a memory
//! reach counts, negations and pairs (maintained); those that name an alias reach the merge
//! (re-derived). Then a few retractions, compared the same way.

use engram_engine::Value;
use engram_engine::memory::Format;
use engram_engine::store::Store;
use engram_tests::{Snapshot, snapshot};

fn assert_same(got: &Snapshot, want: &Snapshot, after: &str) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{after}: relations"
    );
    for (rel, fa) in got {
        let fb = &want[rel];
        let keys =
            |f: &[(Vec<Value>, f64, u32, i64)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(keys(fa), keys(fb), "{after}: {rel} facts differ");
        for (x, y) in fa.iter().zip(fb) {
            assert!(
                (x.1 - y.1).abs() <= 1e-9 && x.2 == y.2 && x.3 == y.3,
                "{after}: {rel}{:?}: maintained (conf {}, depth {}, time {}), whole (conf {}, depth {}, time {})",
                x.0,
                x.1,
                x.2,
                x.3,
                y.1,
                y.2,
                y.3
            );
        }
    }
}

/// A store with the standard rules and `now()` fixed.
fn store(now: i64) -> Store {
    let mut s = Store::in_memory();
    s.set_now(Some(now));
    s.add_rule_files(&engram_engine::library::default_rules())
        .unwrap();
    s
}

/// Loads the lines in one commit; true if it was maintained rather than re-derived.
fn load(store: &mut Store, lines: &[&str]) -> bool {
    let read = Format::Native.read(&lines.join("\n"), false).unwrap();
    let mut tx = store.transaction().unwrap();
    engram_engine::memory::add_to_transaction(&mut tx, read.facts).unwrap();
    !tx.commit().unwrap().rederived
}

#[test]
fn the_standard_rules_maintained_equal_the_standard_rules_evaluated_whole() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/memories.jsonl"
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let now = 1_790_000_000_000;
    let split = lines.len() * 3 / 4;
    let mut maintained = store(now);
    load(&mut maintained, &lines[..split]);
    let mut batches = 0;
    let mut kept_up = 0;
    for (i, batch) in lines[split..].chunks(5).enumerate() {
        batches += 1;
        kept_up += usize::from(load(&mut maintained, batch));
        // Checking every batch would evaluate the whole memory hundreds of times.
        if i % 20 == 0 {
            let mut whole = store(now);
            load(&mut whole, &lines[..split + (i + 1) * 5]);
            assert_same(
                &snapshot(&mut maintained),
                &snapshot(&mut whole),
                &format!("batch {i}"),
            );
        }
    }
    let mut whole = store(now);
    load(&mut whole, &lines);
    assert_same(
        &snapshot(&mut maintained),
        &snapshot(&mut whole),
        "every batch",
    );
    // Only batches that name an alias re-derive.
    assert!(
        kept_up * 10 >= batches * 8,
        "{kept_up} of {batches} batches maintained"
    );

    // Retract some relations of memories, one commit each.
    let read = Format::Native.read(&text, false).unwrap();
    let retracted: Vec<_> = read
        .facts
        .iter()
        .filter(|f| f.relation == "relation")
        .step_by(97)
        .take(12)
        .collect();
    let mut kept_up = 0;
    for f in &retracted {
        let mut tx = maintained.transaction().unwrap();
        tx.retract("relation", f.values.clone()).unwrap();
        kept_up += usize::from(!tx.commit().unwrap().rederived);
    }
    assert!(
        kept_up >= retracted.len() / 2,
        "{kept_up} retractions maintained"
    );
    let kept: Vec<_> = read
        .facts
        .iter()
        .filter(|f| !retracted.iter().any(|r| std::ptr::eq(*r, *f)))
        .cloned()
        .collect();
    let mut whole = store(now);
    let mut tx = whole.transaction().unwrap();
    engram_engine::memory::add_to_transaction(&mut tx, kept).unwrap();
    tx.commit().unwrap();
    assert_same(
        &snapshot(&mut maintained),
        &snapshot(&mut whole),
        "retractions",
    );
}
