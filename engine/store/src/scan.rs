//! Passes over a layer in key order, as encoded keys: what a reader needs to order or count
//! a relation without decoding it (the graph's first page orders the entities and counts the
//! relations so).

use super::segment::MappedFacts;
use super::{ASSERTED, DERIVED, Store};
use crate::error::{ReadError, StoreError};
use engram_core::internal::incremental::table::FactMeta;

impl Store {
    /// Calls `f` with each fact of relation `i`'s `layer` in key order (encoded): from its
    /// table when this handle holds one, else from its runs.
    fn for_each_fact(
        &self,
        i: usize,
        layer: u8,
        mut f: impl FnMut(&[u64], FactMeta),
    ) -> Result<(), StoreError> {
        let rel = &self.files.rels[i];
        let (runs, table) = rel.layer(layer);
        match table {
            Some(t) => {
                for r in t.sorted() {
                    f(&t.key(r as usize), t.meta(r as usize));
                }
                Ok(())
            }
            None => super::segment::for_each_in_layer(runs, rel.types.len(), f),
        }
    }

    /// Relation `relation`'s layer: its asserted facts, or (`asserted` false) what holds
    /// after inference.
    pub(crate) fn layer_of(&self, relation: &str, asserted: bool) -> Option<(usize, u8)> {
        let i = self.rel_index(relation)?;
        Some((
            i,
            if asserted {
                ASSERTED
            } else {
                self.contents_layer(i)
            },
        ))
    }

    /// The layer of relation `i` that holds what holds after inference.
    pub(crate) fn contents_layer(&self, i: usize) -> u8 {
        match self.files.manifest.relations[i].derived_layer {
            true => DERIVED,
            false => ASSERTED,
        }
    }

    /// Every fact of `relation` as encoded keys with their metadata, in key order: its
    /// asserted facts, or (`asserted` false) what holds after inference. For relations small
    /// enough to hold so; see [`Store::count_derived_not_in`] to count a large one.
    #[doc(hidden)]
    pub fn encoded_facts(
        &mut self,
        relation: &str,
        asserted: bool,
    ) -> Result<Vec<(Vec<u64>, FactMeta)>, ReadError> {
        let mut out = Vec::new();
        self.each_encoded_in(relation, asserted, |k, m| out.push((k.to_vec(), m)))?;
        Ok(out)
    }

    /// Calls `f` with each fact of `relation` that holds after inference (as a store's view
    /// reads it), encoded, in key order, nothing held.
    #[doc(hidden)]
    pub fn each_encoded(
        &mut self,
        relation: &str,
        f: impl FnMut(&[u64], FactMeta),
    ) -> Result<(), ReadError> {
        self.each_encoded_in(relation, false, f)
    }

    /// Calls `f` with each fact of `relation`'s asserted layer (or, with `asserted` false,
    /// each that holds after inference), encoded, in key order, nothing held.
    #[doc(hidden)]
    pub fn each_encoded_in(
        &mut self,
        relation: &str,
        asserted: bool,
        f: impl FnMut(&[u64], FactMeta),
    ) -> Result<(), ReadError> {
        self.plan()?;
        if let Some((i, layer)) = self.layer_of(relation, asserted) {
            self.for_each_fact(i, layer, f)?;
        }
        Ok(())
    }

    /// How many facts of `derived` (what holds after inference) a rule derived whose key is
    /// not a fact asserted in `asserted` (a relation of the same columns). Where both are
    /// read from runs, the count over their oldest runs is kept by the handle (for as long as
    /// those runs are the oldest) and corrected by each key the newer runs set or remove;
    /// else one pass over each in key order, merged.
    #[doc(hidden)]
    pub fn count_derived_not_in(
        &mut self,
        derived: &str,
        asserted: &str,
    ) -> Result<usize, ReadError> {
        self.plan()?;
        let Some((d, d_layer)) = self.layer_of(derived, false) else {
            return Ok(0);
        };
        let arity = self.files.rels[d].types.len();
        let a = (self.layer_of(asserted, true))
            .filter(|&(a, _)| self.files.rels[a].types.len() == arity);
        let (d_runs, d_table) = self.files.rels[d].layer(d_layer);
        let (a_runs, a_table) = match a {
            Some((a, layer)) => self.files.rels[a].layer(layer),
            None => (&[][..], None),
        };
        let name = |runs: &[MappedFacts]| runs.first().map(|r| r.file_name());
        let (d_base, a_base) = (name(d_runs), name(a_runs));
        let from_runs = d_table.is_none()
            && a_table.is_none()
            && matches!(d_base, Some(Some(_)))
            && !matches!(a_base, Some(None));
        if !from_runs {
            // The whole layers merged (a writer's tables, or runs only in the log).
            let held = |f: &mut dyn FnMut(&[u64], FactMeta)| match a {
                Some((a, layer)) => self.for_each_fact(a, layer, f),
                None => Ok(()),
            };
            let all = |f: &mut dyn FnMut(&[u64], FactMeta)| self.for_each_fact(d, d_layer, f);
            return Ok(count_not_held(arity, held, all)?);
        }
        let key = (d_base.flatten(), a_base.flatten());
        let known = (self.cache.base_counts.iter()).find(|(k, _)| *k == key);
        let base = match known {
            Some(&(_, n)) => n,
            None => {
                let (d_old, a_old) = (&d_runs[..1], &a_runs[..a_runs.len().min(1)]);
                let held = |f: &mut dyn FnMut(&[u64], FactMeta)| {
                    super::segment::for_each_in_layer(a_old, arity, f)
                };
                let all = |f: &mut dyn FnMut(&[u64], FactMeta)| {
                    super::segment::for_each_in_layer(d_old, arity, f)
                };
                let n = count_not_held(arity, held, all)?;
                if self.cache.base_counts.len() >= 8 {
                    self.cache.base_counts.clear();
                }
                self.cache.base_counts.push((key, n));
                n
            }
        };
        let (d_runs, _) = self.files.rels[d].layer(d_layer);
        let a_runs = match a {
            Some((a, layer)) => self.files.rels[a].layer(layer).0,
            None => &[][..],
        };
        Ok(super::segment::derived_not_in(d_runs, a_runs, arity, base)?)
    }

    /// Relation `relation`'s facts asserted, facts that hold, and facts that hold by a rule,
    /// counted without loading it (as [`Store::stats`] counts them).
    #[doc(hidden)]
    pub fn fact_counts(
        &mut self,
        relation: &str,
    ) -> Result<Option<(usize, usize, usize)>, ReadError> {
        let Some(i) = self.rel_index(relation) else {
            return Ok(None);
        };
        let (asserted, (facts, derived)) = self.counts(i)?;
        Ok(Some((asserted, facts, derived)))
    }

    /// Which of `keys` (encoded) are facts asserted in `relation`.
    #[doc(hidden)]
    pub fn asserted_keys(
        &mut self,
        relation: &str,
        keys: &[Vec<u64>],
    ) -> Result<Vec<bool>, ReadError> {
        self.plan()?;
        let Some((i, layer)) = self.layer_of(relation, true).filter(|_| !keys.is_empty()) else {
            return Ok(vec![false; keys.len()]);
        };
        let mut sorted: Vec<usize> = (0..keys.len()).collect();
        sorted.sort_by(|&x, &y| keys[x].cmp(&keys[y]));
        let mut out = vec![false; keys.len()];
        let mut at = 0;
        self.for_each_fact(i, layer, |k, _| {
            while at < sorted.len() && keys[sorted[at]].as_slice() < k {
                at += 1;
            }
            while at < sorted.len() && keys[sorted[at]].as_slice() == k {
                out[sorted[at]] = true;
                at += 1;
            }
        })?;
        Ok(out)
    }
}

/// How many keys `all` calls with (in key order) hold a fact a rule derived and are not among
/// the keys `held` calls with (in key order): one pass over each, merged, the held keys kept
/// flat.
fn count_not_held(
    arity: usize,
    held: impl FnOnce(&mut dyn FnMut(&[u64], FactMeta)) -> Result<(), StoreError>,
    all: impl FnOnce(&mut dyn FnMut(&[u64], FactMeta)) -> Result<(), StoreError>,
) -> Result<usize, StoreError> {
    let mut flat: Vec<u64> = Vec::new();
    held(&mut |k, _| flat.extend_from_slice(k))?;
    let keys: Vec<&[u64]> = flat.chunks_exact(arity.max(1)).collect();
    // Keys compared cell by cell (a slice comparison calls memcmp per row).
    let cmp = |a: &[u64], b: &[u64]| {
        (a.iter().zip(b))
            .map(|(x, y)| x.cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let (mut at, mut count) = (0, 0);
    all(&mut |k, m| {
        if m.rule == 0 {
            return;
        }
        while at < keys.len() && cmp(keys[at], k).is_lt() {
            at += 1;
        }
        if !keys.get(at).is_some_and(|held| cmp(held, k).is_eq()) {
            count += 1;
        }
    })?;
    Ok(count)
}
