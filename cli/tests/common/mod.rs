//! Running the real binary against a store, for the CLI tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// `engram --db DB ARGS...`, with `ENGRAM_DB` unset.
pub fn engram(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("ENGRAM_DB")
        .output()
        .expect("the binary runs")
}

/// Its stdout, asserting it succeeded.
pub fn ok(db: &Path, args: &[&str]) -> String {
    let out = engram(db, args);
    assert!(
        out.status.success(),
        "engram {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Its stderr, asserting it failed.
pub fn err(db: &Path, args: &[&str]) -> String {
    let out = engram(db, args);
    assert!(!out.status.success(), "engram {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// A small deterministic generator (xorshift), seeded from the clock and printed on failure.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (not 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A seed from the clock (odd, so never 0).
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1
}

/// A count from an environment variable, or `default`.
pub fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
