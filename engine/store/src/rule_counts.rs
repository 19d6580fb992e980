//! What each rule of the store's program derived: the facts that hold now whose best
//! derivation is by it (a web view's rule files, the demo's table).

use super::Store;
use crate::error::ReadError;
use engram_core::Origin;
use std::collections::{BTreeSet, HashMap};

/// A rule of the store's program, and the facts it derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCount {
    /// Its name as provenance reports it: `@name`, or `file:line`.
    pub rule: String,
    /// Where it is written: `file:line` (the rule file, or the file it includes).
    pub written: String,
    /// The relation it derives.
    pub head: String,
    /// Facts that hold now whose best derivation is by a rule of this name (rules that share a
    /// name share the count). An eqrel's facts are the pairs its classes make, none by one
    /// rule: each rule that derives it counts them all.
    pub derived: usize,
}

impl Store {
    /// Every rule of the store's program, in program order, with the facts it derived. Reads
    /// every derived relation whole.
    pub fn rule_counts(&mut self) -> Result<Vec<RuleCount>, ReadError> {
        let plan = self.plan()?;
        let heads: BTreeSet<usize> = plan.rules.iter().map(|r| r.head).collect();
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut pairs: HashMap<usize, usize> = HashMap::new();
        for id in heads {
            let name = &plan.relations[id].name;
            if plan.relations[id].eqrel {
                pairs.insert(id, self.relation(name)?.map_or(0, |r| r.len()));
                continue;
            }
            for f in self.facts_in_order(name, false)?.unwrap_or_default() {
                if let Origin::Rule(rule) = f.origin {
                    *counts.entry(rule).or_default() += 1;
                }
            }
        }
        Ok((plan.rules.iter())
            .map(|r| RuleCount {
                rule: r.label().to_string(),
                written: r.origin.clone(),
                head: plan.relations[r.head].name.clone(),
                derived: match pairs.get(&r.head) {
                    Some(&n) => n,
                    None => counts.get(r.label()).copied().unwrap_or(0),
                },
            })
            .collect())
    }
}
