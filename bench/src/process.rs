//! Measuring whole processes: wall time and peak memory of the `engram` binary and its peers,
//! as users wait for them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The workspace's root directory.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// Builds the release binaries (`engram` and the bench's own) before they are timed: each
/// package on its own, as `cargo build --release` and `cargo bench` build them, so that no
/// crate is built again with another set of features.
pub fn build_release() {
    for package in ["engram-cli", "engram-bench"] {
        let built = Command::new(env!("CARGO"))
            .args(["build", "--release", "-p", package, "--bins"])
            .current_dir(workspace())
            .status()
            .expect("cargo runs");
        assert!(built.success());
    }
}

/// Runs a command as a whole process: its wall time in seconds and peak memory in MB (from
/// `/usr/bin/time`, when the machine has it), and its standard output.
pub fn measure(cmd: &[&str]) -> (f64, Option<f64>, String) {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    let out = if time.exists() {
        Command::new(time)
            .args(["-f", "%M"])
            .args(cmd)
            .output()
            .expect("runs")
    } else {
        Command::new(cmd[0]).args(&cmd[1..]).output().expect("runs")
    };
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0);
    (
        secs,
        peak,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The median of some measurements.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The `p`-th quantile (0 to 1) of some measurements.
pub fn quantile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() - 1) as f64 * p).round() as usize;
    xs[i]
}
