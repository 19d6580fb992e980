//! Best-first evaluation of a stratum whose lattice is superior: Knuth's generalisation of
//! Dijkstra's algorithm (1977). With the product or min t-norm, rule weights at most 1 and no
//! head confidence expression, a derivation is never more confident than any fact of its
//! body; so the most confident fact not yet settled has its final confidence, as no fact
//! still to come can derive it better. Facts are settled one at a time in order of confidence,
//! each once, and each settled fact is joined with the settled facts (the loops' versions with
//! the delta that one row): where rounds improve a fact again and again as better derivations
//! arrive, each fact here is derived into its final confidence and carried on once.
//!
//! Depth and time are lattices of their own (min and max), which confidence order does not
//! settle: a derivation found after a fact settled can still make it shallower or later. Such
//! a fact's row is corrected in place and the fact carried on again (shallowest first), so
//! that each ends with the depth of its shallowest derivation and the time of its latest, as
//! the rounds give. The origin is the rule of a most confident derivation, the smallest rule
//! number among equals.

use super::{Loops, limited, table_of};
use crate::eval::expr::Cx;
use crate::eval::meta::Meta;
use crate::eval::{EvalError, Mode, check_limits};
use crate::plan::ir::*;
use radix_heap::RadixHeapMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How many facts are carried on between two checks of the evaluation's bounds and of the
/// join orders.
const CHECK_EVERY: usize = 4096;

/// Whether `stratum` is evaluated best-first: with provenance, recursive, its relations
/// combining confidences by max (no eqrel, merge, functional, `choice-domain`, magic-set or
/// `.limitsize` relation), no subsumption rule, and every rule's derivations at most as
/// confident as each fact of their body (the product or min t-norm with a weight at most 1,
/// no head confidence expression, no depth bound, no confidence of the stratum's facts read
/// into a variable).
pub(in crate::eval) fn takes(plan: &Plan, stratum: &Stratum, mode: Mode) -> bool {
    let live = |a: &IrAtom| stratum.relations.contains(&a.rel);
    mode.meta
        && mode.best_first
        && stratum.recursive
        && stratum.subsumptions.is_empty()
        && !limited(plan, stratum)
        && (stratum.relations.iter()).all(|&r| {
            let d = &plan.relations[r];
            d.combine == Combine::Max
                && !d.eqrel
                && d.class_of.is_none()
                && d.functional.is_none()
                && d.superseded_of.is_none()
                && d.choice.is_empty()
                && !d.magic
                && plan.merge != Some(r)
        })
        && (stratum.rules.iter()).all(|&i| {
            let r = &plan.rules[i];
            r.meta.head_conf.is_none()
                && r.meta.max_depth.is_none()
                && r.meta.weight > 0.0
                && r.meta.weight <= 1.0
                && (r.atoms.iter()).all(|a| {
                    a.args.len() <= super::MAX_KEY && (!live(a) || a.meta_vars().is_empty())
                })
        })
}

/// The facts waiting to be settled, and the settled facts waiting to be carried on again.
#[derive(Default)]
struct Queue {
    /// Facts not settled, by their confidence's bits (a non-negative `f64`'s bits order like
    /// the number): their relation and row. A monotone queue (a radix heap): what a settled
    /// fact derives is never more confident than it. A fact whose confidence improves is
    /// queued again; its older entries are skipped.
    waiting: RadixHeapMap<u64, (u32, u32)>,
    /// Settled facts made shallower or later after they were carried on: their depth, the
    /// shallowest first, relation and row.
    corrected: BinaryHeap<Reverse<(u32, u32, u32)>>,
}

impl Queue {
    fn wait(&mut self, rel: RelId, r: usize, m: &Meta) {
        // Never above the last settled (a rounding could put it there): the fact is then
        // settled next, and what it improves corrected.
        let key = (self.waiting.top()).map_or(m.conf.to_bits(), |top| top.min(m.conf.to_bits()));
        self.waiting.push(key, (rel as u32, r as u32));
    }

    fn correct(&mut self, rel: RelId, r: usize, m: &Meta) {
        self.corrected
            .push(Reverse((m.depth, rel as u32, r as u32)));
    }
}

impl Loops {
    /// Runs the rules to the fixpoint best-first: every fact the stratum starts with, and
    /// every fact the rules without an atom of the stratum derive, waits; then, until none
    /// waits, the most confident is settled and carried on (the versions reading its
    /// relation's delta, with that row as the delta), its derivations waiting in turn.
    pub(super) fn run_best_first(
        &mut self,
        plan: &Plan,
        stratum: &Stratum,
        cx: &mut Cx<'_>,
        mode: Mode,
        buf: &mut Vec<u64>,
    ) -> Result<(), EvalError> {
        let mut queue = Queue::default();
        for &rel in &stratum.relations {
            let t = self.tables[rel].as_mut().expect("a table per relation");
            t.unsettle_all();
            for r in 0..t.len() {
                queue.wait(rel, r, &t.meta_of(r));
            }
        }
        for v in 0..self.versions.len() {
            if self.versions[v].delta {
                continue;
            }
            buf.clear();
            self.solve(plan, &self.versions[v], cx, mode, buf);
            self.offer_all(self.rules[self.versions[v].rule].head, buf, &mut queue);
        }
        // The versions that read each relation's delta.
        let mut reading: Vec<Vec<usize>> = vec![Vec::new(); plan.relations.len()];
        for (i, v) in self.versions.iter().enumerate().filter(|(_, v)| v.delta) {
            let first = v.first.expect("a version reading a delta reads an atom");
            reading[self.rules[v.rule].atoms[first].rel].push(i);
        }
        let mut carried = 0usize;
        while let Some((rel, r)) = self.next(&mut queue) {
            self.carry(plan, (rel, r), &reading[rel], cx, mode, buf, &mut queue);
            carried += 1;
            if carried.is_multiple_of(CHECK_EVERY) {
                self.check(plan, stratum)?;
            }
        }
        self.check(plan, stratum)
    }

    /// The next fact to carry on: a corrected one, else the most confident waiting one,
    /// settled now; `None` when none is left.
    fn next(&mut self, queue: &mut Queue) -> Option<(RelId, usize)> {
        if let Some(Reverse((_, rel, r))) = queue.corrected.pop() {
            return Some((rel as RelId, r as usize));
        }
        while let Some((_, (rel, r))) = queue.waiting.pop() {
            let (rel, r) = (rel as RelId, r as usize);
            let t = self.tables[rel].as_mut().expect("a table per relation");
            if !t.is_settled(r) {
                t.settle(r);
                return Some((rel, r));
            }
        }
        None
    }

    /// Carries row `r` of `rel` on: every derivation of the versions `reading` it with that
    /// row as the delta is offered to its head.
    #[allow(clippy::too_many_arguments)]
    fn carry(
        &mut self,
        plan: &Plan,
        (rel, r): (RelId, usize),
        reading: &[usize],
        cx: &mut Cx<'_>,
        mode: Mode,
        buf: &mut Vec<u64>,
        queue: &mut Queue,
    ) {
        self.tables[rel]
            .as_mut()
            .expect("a table per relation")
            .focus(r);
        for &v in reading {
            buf.clear();
            self.solve(plan, &self.versions[v], cx, mode, buf);
            self.offer_all(self.rules[self.versions[v].rule].head, buf, queue);
        }
    }

    /// Offers derived `rows` (with their metadata cells) to `head`: a new fact waits; a
    /// waiting fact takes the join of its metadata and waits again if more confident; a
    /// settled fact made shallower or later is corrected in place and carried on again (its
    /// confidence is final: no derivation found after it settled is more confident).
    fn offer_all(&mut self, head: RelId, rows: &[u64], queue: &mut Queue) {
        let t = self.tables[head].as_mut().expect("a table per relation");
        for row in rows.chunks_exact(t.width) {
            let new = t.meta(row);
            let r = match t.offer(row) {
                Ok(r) => {
                    queue.wait(head, r, &new);
                    continue;
                }
                Err(r) => r,
            };
            let was = t.meta_of(r);
            let joined = was.merge(&new);
            if joined == was {
                continue;
            }
            t.set_meta(r, &joined);
            if !t.is_settled(r) {
                if joined.conf > was.conf {
                    queue.wait(head, r, &joined);
                }
            } else if joined.conf > was.conf || joined.depth < was.depth || joined.time > was.time {
                queue.correct(head, r, &joined);
            }
        }
    }

    /// Stops a runaway evaluation (naming its biggest relation), and chooses the join orders
    /// again once the stratum's rows have doubled.
    fn check(&mut self, plan: &Plan, stratum: &Stratum) -> Result<(), EvalError> {
        check_limits(
            plan,
            (stratum.relations.iter()).map(|&r| (r, table_of(&self.tables, r).len())),
        )?;
        self.replan_if_grown();
        Ok(())
    }
}
