//! Bounds on evaluation, so that a program that runs away (a rule that counts forever, a join
//! that explodes) stops with an error naming the relation that grew, instead of filling the
//! memory or never returning. [`crate::EvalOptions::limits`] bounds an evaluation of a
//! program; a store's commits evaluate under the store's limits (`Store::set_limits`);
//! `engram run`, `engram mcp` and the store commands take `--max-facts`, `--timeout` and
//! `--max-memory`; a rule file may bound itself (`.pragma max_facts 100000`).
//!
//! Facts are counted between rounds of semi-naive evaluation and of incremental maintenance
//! (which gives up and lets the bulk evaluator report), so one round may add more. The clock
//! and the memory are also checked inside a round, every 65,536 derivations, so one round
//! that explodes (a cross product) stops too.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Bounds on one evaluation (a commit's inference).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// At most this many facts in any one relation.
    pub max_facts: Option<usize>,
    /// At most this long.
    pub timeout: Option<Duration>,
    /// At most this many bytes of memory added by the evaluation: the growth of the process's
    /// resident memory since the evaluation began (Linux), and at least the derivations one
    /// round holds before they are deduplicated (everywhere).
    pub max_memory: Option<usize>,
}

impl Limits {
    /// No bound.
    pub const NONE: Limits = Limits {
        max_facts: None,
        timeout: None,
        max_memory: None,
    };

    /// Reads a size in bytes: `1048576`, or a number with a unit `K`, `M`, `G` or `T` (powers of
    /// 1024; `KB`, `MiB` and lowercase read the same).
    ///
    /// ```
    /// use engram_core::Limits;
    /// assert_eq!(Limits::parse_size("512M"), Some(512 << 20));
    /// assert_eq!(Limits::parse_size("1.5GiB"), Some(3 << 29));
    /// assert_eq!(Limits::parse_size("4096"), Some(4096));
    /// assert_eq!(Limits::parse_size("lots"), None);
    /// ```
    pub fn parse_size(text: &str) -> Option<usize> {
        let t = text.trim().to_ascii_uppercase();
        let digits = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = t.split_at(digits);
        let scale: u64 = match unit.trim().trim_end_matches('B').trim_end_matches('I') {
            "" => 1,
            "K" => 1 << 10,
            "M" => 1 << 20,
            "G" => 1 << 30,
            "T" => 1 << 40,
            _ => return None,
        };
        let n: f64 = number.parse().ok()?;
        let bytes = n * scale as f64;
        (bytes.is_finite() && bytes >= 1.0 && bytes < usize::MAX as f64).then_some(bytes as usize)
    }

    /// The tighter of two limits, bound by bound.
    pub fn tighter(self, other: Limits) -> Limits {
        fn min<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        Limits {
            max_facts: min(self.max_facts, other.max_facts),
            timeout: min(self.timeout, other.timeout),
            max_memory: min(self.max_memory, other.max_memory),
        }
    }
}

/// Derivations between two checks of the clock and the memory inside a round.
pub(crate) const PULSE: u32 = 1 << 16;

/// How often, at most, the resident memory is read (a read of `/proc/self/status`).
const MEMORY_EVERY: Duration = Duration::from_millis(10);

/// The bounds in force on this thread, with the deadline they give.
#[derive(Clone, Copy)]
struct Active {
    limits: Limits,
    deadline: Option<Instant>,
    /// Resident bytes when the evaluation began.
    resident: Option<usize>,
    /// When the resident memory was last read.
    measured: Instant,
    /// Why a check inside a round stopped the evaluation.
    tripped: Option<Tripped>,
}

/// A bound passed inside a round.
#[derive(Clone, Copy)]
enum Tripped {
    Time,
    Memory(usize),
}

thread_local! {
    static ACTIVE: Cell<Option<Active>> = const { Cell::new(None) };
}

/// Puts the bounds before it back when dropped.
pub struct Guard(Option<Active>);

impl Drop for Guard {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.0));
    }
}

/// Puts `limits` in force on this thread for the evaluation that follows, the deadline
/// counted from now; an evaluation already under bounds keeps them.
pub fn start(limits: &Limits) -> Guard {
    let before = ACTIVE.with(Cell::get);
    if before.is_none() && *limits != Limits::NONE {
        let active = Active {
            limits: *limits,
            deadline: limits.timeout.map(|t| Instant::now() + t),
            resident: limits.max_memory.and_then(|_| resident_bytes()),
            measured: Instant::now(),
            tripped: None,
        };
        ACTIVE.with(|a| a.set(Some(active)));
    }
    Guard(before)
}

/// The process's resident memory, from `/proc/self/status` (`None` where there is none).
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The memory the evaluation added, if it passed the budget: the growth of resident memory
/// (read at most every [`MEMORY_EVERY`]), or `held` bytes of derivations not yet stored.
fn over_memory(active: &mut Active, held: usize) -> Option<usize> {
    let max = active.limits.max_memory?;
    if held > max {
        return Some(held);
    }
    let start = active.resident?;
    if active.measured.elapsed() < MEMORY_EVERY {
        return None;
    }
    active.measured = Instant::now();
    let grown = resident_bytes()?.saturating_sub(start);
    (grown > max).then_some(grown)
}

fn mb(bytes: usize) -> String {
    format!("{:.0} MB", bytes as f64 / (1 << 20) as f64)
}

/// Inside a round, every [`PULSE`] derivations: whether the evaluation must stop (the clock,
/// or the memory, counting `held` bytes of derivations the round holds). Once it says so it
/// keeps saying so, and the check after the round reports it.
pub(crate) fn pulse(held: usize) -> bool {
    ACTIVE.with(|a| {
        let Some(mut active) = a.get() else {
            return false;
        };
        if active.tripped.is_none() {
            if active.deadline.is_some_and(|d| Instant::now() > d) {
                active.tripped = Some(Tripped::Time);
            } else if let Some(bytes) = over_memory(&mut active, held) {
                active.tripped = Some(Tripped::Memory(bytes));
            }
            a.set(Some(active));
        }
        active.tripped.is_some()
    })
}

/// Why the evaluation must stop, if a bound is passed: a relation of `facts` facts, the
/// clock, or the memory.
pub(crate) fn exceeded(facts: usize) -> Option<String> {
    let mut active = ACTIVE.with(Cell::get)?;
    let limits = active.limits;
    let time = |facts: String| {
        let timeout = limits.timeout.unwrap_or_default().as_secs_f64();
        format!("was still growing ({facts}) after {timeout:.1} s (the time limit)")
    };
    let memory = |bytes: usize| {
        let max = limits.max_memory.unwrap_or_default();
        format!(
            "was growing when the evaluation had taken {} of memory, past the budget of {} \
             (the memory limit)",
            mb(bytes),
            mb(max)
        )
    };
    match active.tripped {
        Some(Tripped::Time) => return Some(time(format!("{facts} facts, in a round"))),
        Some(Tripped::Memory(bytes)) => return Some(memory(bytes)),
        None => {}
    }
    if let Some(max) = limits.max_facts
        && facts > max
    {
        return Some(format!("grew past {max} facts (the limit on facts)"));
    }
    if active.deadline.is_some_and(|d| Instant::now() > d) {
        return Some(time(format!("{facts} facts")));
    }
    let over = over_memory(&mut active, 0);
    ACTIVE.with(|a| a.set(Some(active)));
    over.map(memory)
}
