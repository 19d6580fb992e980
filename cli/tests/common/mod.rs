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
