//! Commits on a store whose storage fails operations as the bytes say (a full disk, a short
//! write, a failed fsync or rename), checked against a model after every step: a step that
//! fails leaves the store at its last commit (or, when the failure came after the commit was
//! durable, at the new one, and the error says so), on the handle and on a handle opened
//! again; a step that succeeds is there; the derived closure is always the closure of the
//! edges held.

use super::Choices;
use engram_engine::Store;
use engram_engine::store::faults::{FaultStorage, Hook, Op, Outcome};
use std::collections::BTreeSet;
use std::io;
use std::sync::{Arc, Mutex};

/// Fails operations as a script of bytes says: one byte an operation, a fault when it is
/// below 24 (of the kind it names), no fault once the script runs out or while it is off.
struct Script {
    bytes: Mutex<(Vec<u8>, usize)>,
    on: Mutex<bool>,
}

impl Hook for Script {
    fn before(&self, op: &Op<'_>) -> Outcome {
        if !*self.on.lock().unwrap() {
            return Outcome::Proceed;
        }
        let mut script = self.bytes.lock().unwrap();
        let (bytes, at) = &mut *script;
        let Some(&b) = bytes.get(*at) else {
            return Outcome::Proceed;
        };
        *at += 1;
        match (b, op) {
            (0..8, Op::Write(_, n)) => Outcome::Short(n / 2, io::Error::from_raw_os_error(28)),
            (0..8, _) | (8..16, Op::Write(..) | Op::Create(_)) => {
                Outcome::Fail(io::Error::from_raw_os_error(28))
            }
            (8..24, _) => Outcome::Fail(io::Error::from_raw_os_error(5)),
            _ => Outcome::Proceed,
        }
    }
}

const RULES: &str = ".decl edge(a: symbol, b: symbol)\n.decl path(a: symbol, b: symbol)\n\
                     path(a, b) :- edge(a, b).\npath(a, c) :- path(a, b), edge(b, c).\n";

type Edges = BTreeSet<(String, String)>;

/// The edges and paths a store holds.
fn held(store: &mut Store) -> (Edges, Edges) {
    let pairs = |facts: Vec<engram_engine::Fact>| -> Edges {
        (facts.into_iter())
            .map(|f| (f.values[0].to_string(), f.values[1].to_string()))
            .collect()
    };
    let edges = pairs(store.asserted_facts("edge").expect("edges read"));
    let paths = pairs(store.facts("path").expect("paths read").unwrap_or_default());
    (edges, paths)
}

/// The transitive closure of `edges`.
fn closure(edges: &Edges) -> Edges {
    let mut paths = edges.clone();
    loop {
        let mut more = Vec::new();
        for (a, b) in &paths {
            for (c, d) in edges {
                if b == c && !paths.contains(&(a.clone(), d.clone())) {
                    more.push((a.clone(), d.clone()));
                }
            }
        }
        if more.is_empty() {
            return paths;
        }
        paths.extend(more);
    }
}

/// One step: adds or retracts an edge, or compacts; what the edges are once it succeeds.
fn step(store: &mut Store, c: &mut Choices<'_>, model: &Edges) -> (Result<(), String>, Edges) {
    let node = |c: &mut Choices<'_>| format!("n{}", c.pick(5));
    let mut want = model.clone();
    let result = match c.pick(4) {
        0 | 1 => {
            let (a, b) = (node(c), node(c));
            want.insert((a.clone(), b.clone()));
            let fact = format!("edge({a:?}, {b:?}).");
            store.transaction().and_then(|mut tx| {
                tx.add_text(&fact)?;
                tx.commit().map(drop)
            })
        }
        2 => match model.iter().nth(c.pick(model.len().max(1))) {
            Some((a, b)) => {
                let fact = format!("edge({a:?}, {b:?}).");
                want.remove(&(a.clone(), b.clone()));
                store.transaction().and_then(|mut tx| {
                    tx.retract_text(&fact)?;
                    tx.commit().map(drop)
                })
            }
            None => Ok(()),
        },
        _ => store.compact().map(drop),
    };
    (result.map_err(|e| e.to_string()), want)
}

/// Steps read from `bytes`, each under the faults its script bytes give.
pub fn faulty_commits(bytes: &[u8]) {
    let (script, choices) = bytes.split_at(bytes.len() / 2);
    let hook = Arc::new(Script {
        bytes: Mutex::new((script.to_vec(), 0)),
        on: Mutex::new(false),
    });
    let storage = Arc::new(FaultStorage::in_memory(hook.clone()));
    let mut store = Store::create_on(storage.clone()).expect("a store in memory");
    store.add_rules("paths", RULES).expect("rules");
    let mut c = Choices::new(choices);
    let mut model = Edges::new();
    for _ in 0..choices.len().min(24) {
        *hook.on.lock().unwrap() = true;
        let (result, want) = step(&mut store, &mut c, &model);
        *hook.on.lock().unwrap() = false;
        let (edges, paths) = held(&mut store);
        match result {
            Ok(()) => assert_eq!(edges, want, "a step that succeeded is not all there"),
            Err(e) if edges == want && want != model => {
                assert!(e.contains("durable"), "committed, but the error says {e}")
            }
            Err(e) => assert_eq!(edges, model, "a failed step left part of itself: {e}"),
        }
        assert_eq!(
            paths,
            closure(&edges),
            "the paths are not the closure of the edges"
        );
        model = edges;
        let mut again = Store::open_on(storage.clone()).expect("the store opens again");
        assert_eq!(
            held(&mut again),
            (model.clone(), closure(&model)),
            "reopened"
        );
    }
}
