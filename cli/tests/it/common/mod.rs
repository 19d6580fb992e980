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

/// Whether the long runs are asked for (`ENGRAM_LONG_TESTS=1`, which `.ci/run` sets): the MCP
/// client tests (they install the Python SDK and the reference server), and the crash and soak
/// loops at their CI size rather than a few rounds.
pub fn long_tests() -> bool {
    std::env::var_os("ENGRAM_LONG_TESTS").is_some_and(|v| v != "0")
}

/// A count from an environment variable, else `long` with the long runs asked for, else
/// `quick`.
pub fn env_count(name: &str, quick: u64, long: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if long_tests() { long } else { quick })
}
