//! Soak: two writer processes at a time run random operations (add, retract, query, cleanup,
//! compact, rule changes) against one store through the real binary while a third reads,
//! each writer checked against its model after every step, and a writer killed with SIGKILL
//! now and then (its commit then either happened whole or not at all).
//!
//! The writers work on disjoint nodes (`a…` and `b…`), so each one's part of the closure is a
//! function of its own edges whatever the other does; the reader checks what holds in every
//! committed state: the closure it sees is transitively closed and contains every edge.
//!
//! `ENGRAM_SOAK_OPS` sets the operations per writer (60 by default; 1000 for a full run),
//! bounded by `ENGRAM_SOAK_SECS` (600) of wall time.
//!
//! Whether a killed add happened is read from the store's edges, never inferred from the
//! closure: in a dense graph an edge often leaves the closure as it was, and a model that took
//! such an edge for committed failed later, at a retract, as if the store had lost facts.

use crate::common::{Rng, clock_seed, engram, env_count};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const RULES: &str = "\
.decl edge(x: symbol, y: symbol)
.decl path(x: symbol, y: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- edge(x, y), path(y, z).
";

type Pairs = BTreeSet<(String, String)>;

/// The transitive closure of `edges`.
fn closure(edges: &Pairs) -> Pairs {
    let mut out = edges.clone();
    loop {
        let mut more = Vec::new();
        for (x, y) in &out {
            for (y2, z) in edges {
                if y == y2 && !out.contains(&(x.clone(), z.clone())) {
                    more.push((x.clone(), z.clone()));
                }
            }
        }
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

/// The pairs of a two-column query, from `engram query --format tsv`.
fn pairs(db: &Path, query: &str) -> Pairs {
    let out = engram(db, &["query", "--format", "tsv", query]);
    assert!(
        out.status.success(),
        "{query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8(out.stdout).unwrap().lines().skip(1))
        .map(|l| {
            let mut cells = l.split('\t');
            let x = cells.next().unwrap().to_string();
            (x, cells.next().unwrap().to_string())
        })
        .collect()
}

/// One writer's edges and rule file, as far as it knows.
struct Writer {
    prefix: &'static str,
    edges: Pairs,
    extra_rules: bool,
    rng: Rng,
    seed: u64,
    /// The last operations, shown when the model and the store disagree.
    recent: Vec<String>,
}

/// What happened, for the closing figures.
#[derive(Default)]
struct Counts {
    ops: AtomicUsize,
    checks: AtomicUsize,
    kills: AtomicUsize,
    reads: AtomicUsize,
}

impl Writer {
    fn node(&mut self) -> String {
        format!("{}{}", self.prefix, self.rng.below(8))
    }

    fn fact(x: &str, y: &str) -> String {
        format!("edge(\"{x}\", \"{y}\").")
    }

    /// This writer's part of `relation` (`edge` or `path`), as the store has it.
    fn mine(&self, db: &Path, relation: &str) -> Pairs {
        pairs(db, &format!("?- {relation}(x, y)."))
            .into_iter()
            .filter(|(x, _)| x.starts_with(self.prefix))
            .collect()
    }

    /// Adds this writer's rule file, or removes it.
    fn toggle_rules(&mut self, db: &Path, run: &dyn Fn(&[&str])) {
        let name = format!("extra_{}", self.prefix);
        if self.extra_rules {
            run(&["rules", "remove", &name]);
        } else {
            let file = db.with_extension(format!("{name}.dl"));
            std::fs::write(
                &file,
                format!(
                    ".decl back_{p}(x: symbol, y: symbol)\n\
                     back_{p}(y, x) :- edge(x, y).\n",
                    p = self.prefix
                ),
            )
            .unwrap();
            run(&["rules", "add", file.to_str().unwrap(), "--name", &name]);
        }
        self.extra_rules = !self.extra_rules;
    }

    /// An add killed at a random moment: it happened whole or not at all.
    fn killed_add(&mut self, db: &Path, counts: &Counts) {
        let (x, y) = (self.node(), self.node());
        let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
            .arg("--db")
            .arg(db)
            .args(["add", &Self::fact(&x, &y)])
            .env_remove("ENGRAM_DB")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(self.rng.below(40_000)));
        let _ = child.kill();
        let _ = child.wait();
        counts.kills.fetch_add(1, Ordering::Relaxed);
        // Whether it happened is read from the edges themselves: in a dense graph the
        // closure is often the same with the edge or without it.
        let mut with = self.edges.clone();
        with.insert((x, y));
        if self.mine(db, "edge") == with {
            self.edges = with;
        }
    }

    /// The model: this writer's edges, its part of the closure, and its rule file.
    fn check(&self, db: &Path) {
        let seed = self.seed;
        assert_eq!(
            self.mine(db, "edge"),
            self.edges,
            "seed {seed}: writer {} after its step; its last steps (time, model):\n{}",
            self.prefix,
            self.recent.join("\n")
        );
        assert_eq!(
            self.mine(db, "path"),
            closure(&self.edges),
            "seed {seed}: writer {} after its step; its last steps (time, model):\n{}",
            self.prefix,
            self.recent.join("\n")
        );
        let list = String::from_utf8(engram(db, &["rules", "list"]).stdout).unwrap();
        assert_eq!(
            list.contains(&format!("extra_{}", self.prefix)),
            self.extra_rules,
            "seed {seed}: {list}"
        );
    }

    fn step(&mut self, db: &Path, counts: &Counts) {
        let seed = self.seed;
        let started = std::time::SystemTime::now();
        let run = |args: &[&str]| {
            let out = engram(db, args);
            assert!(
                out.status.success(),
                "seed {seed}: engram {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let choice = self.rng.below(10);
        match choice {
            0..=2 => {
                let facts: Vec<(String, String)> = (0..1 + self.rng.below(3))
                    .map(|_| (self.node(), self.node()))
                    .collect();
                let text: Vec<String> = facts.iter().map(|(x, y)| Self::fact(x, y)).collect();
                run(&["add", &text.join(" ")]);
                self.edges.extend(facts);
            }
            3 | 4 => {
                let at = self.rng.below(8) as usize % self.edges.len().max(1);
                let Some(e) = self.edges.iter().nth(at).cloned() else {
                    return;
                };
                run(&["retract", &Self::fact(&e.0, &e.1)]);
                self.edges.remove(&e);
            }
            5 => run(&[
                "cleanup",
                "--min-confidence",
                "0.5",
                "--max-age-days",
                "3650",
            ]),
            6 => run(&["compact"]),
            7 => self.toggle_rules(db, &run),
            _ => self.killed_add(db, counts),
        }
        counts.ops.fetch_add(1, Ordering::Relaxed);
        self.recent
            .push(format!("{started:?} op {choice}: {:?}", self.edges));
        if self.recent.len() > 6 {
            self.recent.remove(0);
        }
        self.check(db);
        counts.checks.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn two_writers_and_a_reader_with_kills_agree_with_the_model() {
    let ops = env_count("ENGRAM_SOAK_OPS", 20, 60) as usize;
    let secs = env_count("ENGRAM_SOAK_SECS", 600, 600);
    let seed = clock_seed();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("soak.db");
    let rules = dir.path().join("closure.dl");
    std::fs::write(&rules, RULES).unwrap();
    assert!(
        engram(&db, &["init", "--no-default-rules"])
            .status
            .success()
    );
    assert!(
        engram(&db, &["rules", "add", rules.to_str().unwrap()])
            .status
            .success()
    );
    let counts = Counts::default();
    let done = AtomicBool::new(false);
    let deadline = Instant::now() + Duration::from_secs(secs);
    std::thread::scope(|s| {
        let writers: Vec<_> = (["a", "b"].into_iter().enumerate())
            .map(|(k, prefix)| {
                let (db, counts) = (&db, &counts);
                s.spawn(move || {
                    let mut w = Writer {
                        prefix,
                        edges: Pairs::new(),
                        extra_rules: false,
                        rng: Rng(seed.wrapping_mul(k as u64 + 3) | 1),
                        seed,
                        recent: Vec::new(),
                    };
                    for _ in 0..ops {
                        if Instant::now() > deadline {
                            break;
                        }
                        w.step(db, counts);
                    }
                })
            })
            .collect();
        let reader = s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let path = pairs(&db, "?- path(x, y).");
                for (x, y) in &path {
                    for (y2, z) in &path {
                        if y == y2 {
                            assert!(
                                path.contains(&(x.clone(), z.clone())),
                                "seed {seed}: the reader saw {x}->{y}->{z} without {x}->{z}"
                            );
                        }
                    }
                }
                counts.reads.fetch_add(1, Ordering::Relaxed);
            }
        });
        let results: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        done.store(true, Ordering::Relaxed);
        let read = reader.join();
        for r in results.into_iter().chain([read]) {
            if let Err(panic) = r {
                std::panic::resume_unwind(panic);
            }
        }
    });
    eprintln!(
        "soak (seed {seed}): {} operations, {} model checks, {} writers killed, {} reads",
        counts.ops.load(Ordering::Relaxed),
        counts.checks.load(Ordering::Relaxed),
        counts.kills.load(Ordering::Relaxed),
        counts.reads.load(Ordering::Relaxed),
    );
    assert!(counts.checks.load(Ordering::Relaxed) > 0);
}
