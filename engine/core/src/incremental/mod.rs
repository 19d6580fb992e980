//! Incremental inference: a commit's changes propagate through the materialised facts
//! instead of re-deriving the world. Delete-and-rederive (DRed) in the confidence lattice,
//! stratum by stratum, so negation and aggregates are maintained too:
//!
//! 1. Over-delete: every fact of the stratum with some derivation that used a changed fact
//!    of a lower stratum goes, transitively within the stratum. "Used" is over-approximated:
//!    a relaxed solve (negations and aggregates dropped) over the old and new states together
//!    (the facts a commit removed stay visible to it as ghosts). A change to a negated
//!    relation reaches the rule instances its fact binds; a change to an aggregated relation
//!    reaches every group it counts in.
//! 2. Apply the stratum's asserted changes.
//! 3. Re-derive: each over-deleted fact gets the best of its asserted value and its one-step
//!    derivations from what remains (solving its rules with the head bound, negations and
//!    aggregates read from the tables as they now are).
//! 4. Insert: derivations from the new and changed lower facts, from the facts negations no
//!    longer exclude and from the groups whose aggregate changed, then semi-naive
//!    propagation within the stratum, keeping only improvements.
//!
//! Strata this cannot maintain (an eqrel, a functional relation, noisy-or, the relation of a
//! `.merge`) are skipped while no derivation of theirs touches a changed fact; when one does,
//! every change is undone and the caller re-derives everything. Under a merge, an asserted
//! fact enters the contents read through the classes (`merging.rs`).

mod merging;
mod plans;
pub mod solve;
mod stratum;
pub mod table;

pub use merging::{aliased_constants, merged_plan};
pub use plans::Plans;

use crate::eval::completed::Caches;
use crate::plan::ir::{Plan, RelId};
use crate::value::Interner;
use solve::{from_meta, to_meta};
use std::collections::HashMap;
use stratum::Maintainer;
use table::{FactMeta, Table};

/// A change to an asserted fact: its relation, key, and new metadata (`None`: retracted).
pub(crate) type Change = (RelId, Vec<u64>, Option<FactMeta>);

/// The facts incremental inference works on, by relation id of the plan.
pub struct Facts {
    /// What holds: for a relation rules derive, its derived layer; else its asserted facts.
    pub contents: Vec<Table>,
    /// For a relation rules derive, its asserted facts (`None` otherwise: `contents` is them).
    pub asserted: Vec<Option<Table>>,
}

/// Asserted changes to relations with a derived layer, per relation, until their stratum.
type Pending = Vec<Vec<(Vec<u64>, Option<FactMeta>)>>;

/// The contents each touched fact had before (`None`: it did not hold), per relation.
pub(crate) type Before = Vec<HashMap<Vec<u64>, Option<FactMeta>>>;

/// A lower fact that changed: its key, and its metadata before and now.
type Changed = (Vec<u64>, Option<FactMeta>, Option<FactMeta>);

/// What a commit has done so far, to report it and to undo it.
struct Touched {
    before: Before,
    /// The old versions of removed and changed facts.
    ghosts: Vec<Vec<(Vec<u64>, FactMeta)>>,
    /// Asserted layers' previous contents, in the order they were changed.
    asserted_undo: Vec<(RelId, Vec<u64>, Option<FactMeta>)>,
}

impl Touched {
    /// Records that `key` of `rel` held `old` before its first change.
    fn touch(&mut self, rel: RelId, key: &[u64], old: Option<FactMeta>) {
        if !self.before[rel].contains_key(key) {
            self.before[rel].insert(key.to_vec(), old);
            if let Some(o) = old {
                self.ghosts[rel].push((key.to_vec(), o));
            }
        }
    }

    /// The facts of `rel` that differ from what they were.
    fn changed(&self, rel: RelId, contents: &[Table]) -> Vec<Changed> {
        self.before[rel]
            .iter()
            .filter_map(|(k, &old)| {
                let new = contents[rel].get(k);
                (old != new).then(|| (k.clone(), old, new))
            })
            .collect()
    }

    /// Puts every table back as it was.
    fn undo(self, facts: &mut Facts) {
        for (rel, touched) in self.before.into_iter().enumerate() {
            for (key, old) in touched {
                match old {
                    Some(m) => {
                        facts.contents[rel].upsert(&key, m);
                    }
                    None => {
                        facts.contents[rel].remove(&key);
                    }
                }
            }
        }
        for (rel, key, old) in self.asserted_undo.into_iter().rev() {
            let a = facts.asserted[rel].as_mut().expect("an asserted layer");
            match old {
                Some(m) => {
                    a.upsert(&key, m);
                }
                None => {
                    a.remove(&key);
                }
            }
        }
    }
}

/// Applies the changes and brings every relation's contents to the new fixpoint. Returns
/// the contents touched, with what they were before; `None` (and every table as it was)
/// when a change reaches a stratum this module cannot maintain; an error (the tables part
/// way: the caller goes back to the committed state) at a bound (`limits`).
pub fn apply(
    plan: &Plan,
    plans: &Plans,
    facts: &mut Facts,
    changes: Vec<Change>,
    interner: &mut Interner,
) -> Result<Option<Before>, crate::eval::EvalError> {
    let n = plan.relations.len();
    plans.index(&mut facts.contents);
    merging::index(plan, &mut facts.contents);
    if merging::evidence_moves_classes(plan, facts, &changes) {
        return Ok(None);
    }
    let mut t = Touched {
        before: (0..n).map(|_| HashMap::new()).collect(),
        ghosts: (0..n).map(|_| Vec::new()).collect(),
        asserted_undo: Vec::new(),
    };
    // Relations no rule derives hold their asserted facts: changed first. The others' asserted
    // layers change with their stratum.
    let mut pending: Pending = (0..n).map(|_| Vec::new()).collect();
    for (rel, key, new) in changes {
        if facts.asserted[rel].is_some() {
            pending[rel].push((key, new));
            continue;
        }
        let old = match new {
            Some(m) => facts.contents[rel].upsert(&key, m),
            None => facts.contents[rel].remove(&key),
        };
        t.touch(rel, &key, old);
    }
    let mut caches = Caches::default();
    for (si, stratum) in plan.strata.iter().enumerate() {
        let mut m = Maintainer {
            plan,
            plans,
            stratum,
            caches: &mut caches,
            interner,
        };
        let ok = if plans.maintained[si] {
            if let Err(e) = m.maintain(facts, &mut t, &mut pending) {
                // A bound passed: every table as it was, then the error.
                t.undo(facts);
                return Err(e);
            }
            true
        } else {
            !m.reached(facts, &t, &pending)
        };
        if !ok {
            t.undo(facts);
            return Ok(None);
        }
    }
    Ok(Some(t.before))
}

/// Whether `new` is worse than `old` somewhere (lower confidence, greater depth, earlier
/// time): derivations that used `old` may no longer hold as they were.
fn weakened(old: FactMeta, new: Option<FactMeta>) -> bool {
    match new {
        None => true,
        Some(new) => to_meta(&old).join(&to_meta(&new)).0 != to_meta(&new),
    }
}

/// Joins a candidate into `table`; true if it improved what was there.
fn improve(table: &mut Table, key: &[u64], m: FactMeta, t: &mut Touched, rel: RelId) -> bool {
    let cur = table.get(key);
    let joined = match cur {
        None => m,
        Some(c) => {
            let (j, improved) = to_meta(&c).join(&to_meta(&m));
            if !improved {
                return false;
            }
            from_meta(&j)
        }
    };
    t.touch(rel, key, cur);
    table.upsert(key, joined);
    true
}
