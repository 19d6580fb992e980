//! Bounds on evaluation, so that a program that runs away (a rule that counts forever, a join
//! that explodes) stops with an error naming the relation that grew, instead of filling the
//! memory or never returning. A store's commits evaluate under the store's limits
//! ([`crate::Store::set_limits`]); `engram mcp` sets them for every rule an agent adds.
//!
//! The bound is checked between rounds of semi-naive evaluation and of incremental
//! maintenance (which gives up and lets the bulk evaluator report), so one round may go past it.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Bounds on one evaluation (a commit's inference).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    /// At most this many facts in any one relation.
    pub max_facts: Option<usize>,
    /// At most this long.
    pub timeout: Option<Duration>,
}

impl Limits {
    /// No bound.
    pub const NONE: Limits = Limits {
        max_facts: None,
        timeout: None,
    };
}

/// The bounds in force on this thread, with the deadline they give.
#[derive(Clone, Copy)]
struct Active {
    max_facts: Option<usize>,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
}

thread_local! {
    static ACTIVE: Cell<Option<Active>> = const { Cell::new(None) };
}

/// Puts the bounds before it back when dropped.
pub(crate) struct Guard(Option<Active>);

impl Drop for Guard {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.0));
    }
}

/// Puts `limits` in force on this thread for the evaluation that follows, the deadline
/// counted from now; an evaluation already under bounds keeps them.
pub(crate) fn start(limits: &Limits) -> Guard {
    let before = ACTIVE.with(Cell::get);
    if before.is_none() && *limits != Limits::NONE {
        let active = Active {
            max_facts: limits.max_facts,
            timeout: limits.timeout,
            deadline: limits.timeout.map(|t| Instant::now() + t),
        };
        ACTIVE.with(|a| a.set(Some(active)));
    }
    Guard(before)
}

/// Why the evaluation must stop, if a bound is passed: a relation of `facts` facts, or the
/// clock.
pub(crate) fn exceeded(facts: usize) -> Option<String> {
    let active = ACTIVE.with(Cell::get)?;
    if let Some(max) = active.max_facts
        && facts > max
    {
        return Some(format!("grew past {max} facts (the limit on facts)"));
    }
    match (active.deadline, active.timeout) {
        (Some(deadline), Some(timeout)) if Instant::now() > deadline => Some(format!(
            "was still growing ({facts} facts) after {:.1} s (the time limit)",
            timeout.as_secs_f64()
        )),
        _ => None,
    }
}

/// Stops an evaluation that passed a bound, naming the biggest of the relations whose sizes
/// `sizes` gives (the ones growing now): the one check of bulk evaluation and incremental
/// maintenance.
pub(crate) fn check(
    plan: &crate::plan::ir::Plan,
    sizes: impl Iterator<Item = (crate::plan::ir::RelId, usize)>,
) -> Result<(), crate::eval::EvalError> {
    let Some((rel, rows)) = sizes.max_by_key(|x| x.1) else {
        return Ok(());
    };
    match exceeded(rows) {
        Some(why) => Err(crate::eval::EvalError::Limit {
            relation: plan.relations[rel].name.clone(),
            why,
        }),
        None => Ok(()),
    }
}
