//! Supersession seen from outside: the facts of a `functional(...)` relation that a newer
//! fact with the same key replaced (its history relation, see `eval/supersede.rs`), each with
//! the fact that holds for its key now.

use crate::database::{Database, Fact};
use crate::value::Value;

/// A fact of a functional relation that a newer one with the same key replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Superseded {
    /// The replaced fact, with the metadata it had (it no longer holds or derives).
    pub fact: Fact,
    /// The fact that holds for its key now.
    pub by: Fact,
}

impl Database {
    /// The facts of `relation` that newer ones with the same key replaced, sorted by value,
    /// each with the fact that replaced it. Empty when `relation` is not `functional(...)`.
    pub fn superseded(&self, relation: &str) -> Vec<Superseded> {
        let Some(&rel) = self.plan.rel_index.get(relation) else {
            return Vec::new();
        };
        let d = &self.plan.relations[rel];
        let (Some(keys), Some(history)) = (&d.functional, d.superseded) else {
            return Vec::new();
        };
        let live = self.view(rel);
        let (_, rows, _) = live.raw();
        let holds: std::collections::HashMap<Vec<u64>, usize> = (0..rows.len())
            .map(|i| (keys.iter().map(|&c| rows.row(i)[c]).collect(), i))
            .collect();
        let old = self.view(history);
        let (_, old_rows, _) = old.raw();
        let mut out: Vec<Superseded> = (0..old_rows.len())
            .filter_map(|i| {
                let key: Vec<u64> = keys.iter().map(|&c| old_rows.row(i)[c]).collect();
                let by = *holds.get(&key)?;
                Some(Superseded {
                    fact: old.fact(i),
                    by: live.fact(by),
                })
            })
            .collect();
        out.sort_by(|a, b| crate::value::compare_rows(&a.fact.values, &b.fact.values));
        out
    }

    /// The fact that replaced `relation(values)`, when a newer fact with the same key did.
    pub fn superseded_by(&self, relation: &str, values: &[Value]) -> Option<Fact> {
        let &rel = self.plan.rel_index.get(relation)?;
        let history = self.plan.relations[rel].superseded?;
        let row = self.encode_row(&self.plan.relations[rel], values)?;
        let row = self.canonical_row(rel, row);
        self.view(history).find(&row)?;
        let keys = self.plan.relations[rel].functional.as_ref()?;
        self.replacing(rel, keys, &row)
    }

    /// [`Database::superseded_by`] for a fact written as Datalog text.
    pub fn superseded_by_text(&self, fact: &str) -> Result<Option<Fact>, crate::Error> {
        let (name, values) = self.parse_fact(fact)?;
        Ok(self.superseded_by(&name, &values))
    }

    /// The fact of functional relation `rel` that holds for the key of `row`.
    fn replacing(&self, rel: usize, keys: &[usize], row: &[u64]) -> Option<Fact> {
        let live = self.view(rel);
        let (_, rows, _) = live.raw();
        (0..rows.len())
            .find(|&i| keys.iter().all(|&c| rows.row(i)[c] == row[c]))
            .map(|i| live.fact(i))
    }

    /// The rows of `rel`'s history with the same key as `row` (what `row` replaced).
    pub(crate) fn replaced(&self, rel: usize, row: &[u64]) -> Vec<Vec<u64>> {
        let d = &self.plan.relations[rel];
        let (Some(keys), Some(history)) = (&d.functional, d.superseded) else {
            return Vec::new();
        };
        let (_, rows, _) = self.view(history).raw();
        (0..rows.len())
            .map(|i| rows.row(i))
            .filter(|r| keys.iter().all(|&c| r[c] == row[c]))
            .map(<[u64]>::to_vec)
            .collect()
    }
}
