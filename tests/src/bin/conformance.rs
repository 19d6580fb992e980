//! Prints the conformance table: one line per Soufflé test, pass / fail / unsupported.
//!
//! Usage: `cargo run --release -p engram-tests --bin conformance [FILTER]`

use engram_tests::conformance::{Outcome, cases, run_case};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let filter = std::env::args().nth(1);
    let mut pass = 0;
    let mut total = 0;
    for case in cases()? {
        if filter
            .as_ref()
            .is_some_and(|f| !case.id().contains(f.as_str()))
        {
            continue;
        }
        total += 1;
        let start = Instant::now();
        let outcome = run_case(&case);
        if outcome == Outcome::Pass {
            pass += 1;
        }
        println!(
            "{:<40} {:>8.1} ms  {}",
            case.id(),
            start.elapsed().as_secs_f64() * 1e3,
            outcome
        );
    }
    println!("{pass} of {total} pass");
    Ok(())
}
