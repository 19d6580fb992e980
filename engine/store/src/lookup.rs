//! Reading the facts that hold given values in given columns without loading their relation:
//! where a column leads the key, by binary search of each run; else by one pass over that
//! column's mapped cells; and the newer runs (the commit log's, a few folds) folded together
//! on top. Only what matches is decoded.

use super::segment::MappedFacts;
use super::{DERIVED, Store};
use crate::ASSERTED;
use crate::error::{ReadError, StoreError};
use crate::storage::Storage;
use engram_core::internal::incremental::solve::to_meta;
use engram_core::internal::incremental::table::{FactMeta, Table};
use engram_core::internal::value::{self, ColumnType};
use engram_core::{Fact, Origin, Value};
use rustc_hash::FxHashMap;
use rustc_hash::FxHashSet as HashSet;

/// For each column asked about, the encodings of the values asked for that exist.
type Wanted = Vec<(usize, HashSet<u64>)>;

impl Store {
    /// The facts of `relation` that hold one of `values` in one of `columns`, as
    /// [`Store::facts`] has them (what holds after inference, with confidence, depth and
    /// origin), in storage order. Reads only the rows that match: its cost is a binary search
    /// per value where a column leads the key, else one pass over that column, never the
    /// relation loaded and decoded.
    #[doc(hidden)]
    pub fn facts_where(
        &mut self,
        relation: &str,
        columns: &[usize],
        values: &[Value],
    ) -> Result<Vec<Fact>, ReadError> {
        let plan = self.plan()?;
        let (Some(i), Some(&id)) = (self.rel_index(relation), plan.rel_index.get(relation)) else {
            return Ok(Vec::new());
        };
        if plan.relations[id].eqrel {
            // An eqrel's facts are the pairs of its classes, not its stored rows.
            return Ok((self.relation(relation)?)
                .map(|r| r.facts_with(columns, values))
                .unwrap_or_default());
        }
        let layer = match self.files.manifest.relations[i].derived_layer {
            true => DERIVED,
            false => super::ASSERTED,
        };
        let hits = self.matching(i, layer, columns, values)?;
        let types = self.files.rels[i].types.clone();
        let db = self.view_with(&[])?;
        Ok((hits.into_iter())
            .map(|(key, m)| Fact {
                values: decode(&key, &types, db.interner()),
                confidence: m.conf,
                depth: m.depth,
                origin: db.origin(to_meta(&m)),
                time: m.time,
            })
            .collect())
    }

    /// [`Store::facts_where`] of the facts as they were asserted ([`Store::asserted_facts`]:
    /// as written, before a merge rewrote them), in storage order.
    #[doc(hidden)]
    pub fn asserted_where(
        &mut self,
        relation: &str,
        columns: &[usize],
        values: &[Value],
    ) -> Result<Vec<Fact>, ReadError> {
        let Some(i) = self.rel_index(relation) else {
            return Ok(Vec::new());
        };
        let hits = self.matching(i, super::ASSERTED, columns, values)?;
        let types = self.files.rels[i].types.clone();
        let interner = self.view_with(&[])?.interner();
        Ok((hits.into_iter())
            .map(|(key, m)| Fact {
                values: decode(&key, &types, interner),
                confidence: m.conf,
                depth: 0,
                origin: Origin::Asserted,
                time: m.time,
            })
            .collect())
    }

    /// The facts of `relation` that hold after inference (as a store's view reads them) with
    /// one of the encoded `values` in `column`, as evaluation rows in key order: by lookup,
    /// as [`Store::facts_where`] reads them, nothing decoded.
    #[doc(hidden)]
    pub fn rows_where(
        &mut self,
        relation: &str,
        column: usize,
        values: &[u64],
    ) -> Result<engram_core::internal::eval::Rows, ReadError> {
        self.plan()?;
        let Some((i, _)) = self.layer_of(relation, false) else {
            return Ok(engram_core::internal::eval::Rows::default());
        };
        let arity = self.files.rels[i].types.len();
        let mut rows = engram_core::internal::eval::Rows::empty(arity, super::read::STORE_MODE);
        if column >= arity || values.is_empty() {
            return Ok(rows);
        }
        for (key, m) in self.encoded_where(relation, column, values)? {
            if arity == 0 {
                rows.data.push(0);
            }
            rows.data.extend_from_slice(&key);
            to_meta(&m).push(&mut rows.data, true, super::read::STORE_MODE.time);
        }
        Ok(rows)
    }

    /// The facts of `relation` that hold after inference with one of the encoded `values`
    /// in `column`, as encoded keys with their metadata in key order: what
    /// [`Store::rows_where`] reads.
    #[doc(hidden)]
    pub fn encoded_where(
        &mut self,
        relation: &str,
        column: usize,
        values: &[u64],
    ) -> Result<Vec<(Vec<u64>, FactMeta)>, ReadError> {
        self.plan()?;
        let Some((i, layer)) = self.layer_of(relation, false) else {
            return Ok(Vec::new());
        };
        if column >= self.files.rels[i].types.len() || values.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.matched(i, layer, &vec![(column, values.iter().copied().collect())])?)
    }

    /// How many facts of `relation` that hold after inference (as [`Store::rows_where`]
    /// reads them) hold each of the encoded `values` in `column`, in the order given: counted
    /// on the runs' cells (a binary search or one pass over the column, the newer runs' changes
    /// folded in), no fact copied.
    #[doc(hidden)]
    pub fn count_where(
        &mut self,
        relation: &str,
        column: usize,
        values: &[u64],
    ) -> Result<Vec<usize>, ReadError> {
        self.plan()?;
        let mut counts: FxHashMap<u64, usize> = values.iter().map(|&v| (v, 0)).collect();
        if let Some((i, layer)) = self.layer_of(relation, false)
            && column < self.files.rels[i].types.len()
        {
            let arity = self.files.rels[i].types.len();
            let storage = &*self.files.storage;
            let (runs, table) = self.files.rels[i].layer_mut(layer);
            match table {
                Some(t) => {
                    t.ensure_index(&[column]);
                    for (v, n) in counts.iter_mut() {
                        t.matching(&[column], &[*v], |_| *n += 1);
                    }
                }
                None => {
                    let counts = &mut counts;
                    super::segment::layer_value_counts(storage, runs, arity, column, counts)?;
                }
            }
        }
        Ok(values.iter().map(|v| counts[v]).collect())
    }

    /// The latest time among the facts asserted in `relations`, or a little later (a fact
    /// since taken back may count): one pass over their time cells, nothing decoded. `None`
    /// when they hold no fact.
    #[doc(hidden)]
    pub fn latest_asserted_time(&mut self, relations: &[&str]) -> Result<Option<i64>, ReadError> {
        let mut latest = None;
        for r in relations {
            let Some(i) = self.rel_index(r) else {
                continue;
            };
            let rel = &self.files.rels[i];
            let t = match rel.layer(ASSERTED).1 {
                Some(t) => t.latest_time(),
                None => (rel.asserted_runs.iter())
                    .map(MappedFacts::latest_time)
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .flatten()
                    .max(),
            };
            latest = latest.max(t);
        }
        Ok(latest)
    }

    /// The keys and metadata of relation `i`'s `layer` that hold one of `values` in one of
    /// `columns`, in key order: from its table when this handle holds one, else from its
    /// runs.
    fn matching(
        &mut self,
        i: usize,
        layer: u8,
        columns: &[usize],
        values: &[Value],
    ) -> Result<Vec<(Vec<u64>, FactMeta)>, ReadError> {
        let types = self.files.rels[i].types.clone();
        let interner = self.view_with(&[])?.interner();
        let wanted: Wanted = (columns.iter())
            .filter(|&&c| c < types.len())
            .map(|&c| {
                let ids = (values.iter())
                    .filter_map(|v| value::encode_existing(types[c], v, interner))
                    .collect();
                (c, ids)
            })
            .collect();
        if wanted.iter().all(|(_, ids)| ids.is_empty()) {
            return Ok(Vec::new());
        }
        Ok(self.matched(i, layer, &wanted)?)
    }

    /// The keys and metadata of relation `i`'s `layer` that hold one of the encoded values
    /// `wanted` of a column, in key order: from its table when this handle holds one, else
    /// from its runs.
    fn matched(
        &mut self,
        i: usize,
        layer: u8,
        wanted: &Wanted,
    ) -> Result<Vec<(Vec<u64>, FactMeta)>, StoreError> {
        let arity = self.files.rels[i].types.len();
        let storage = &*self.files.storage;
        Ok(match self.files.rels[i].layer_mut(layer) {
            (_, Some(t)) => from_table(t, wanted),
            (runs, None) => from_runs(storage, runs, arity, wanted)?,
        })
    }
}

/// The rows of a table that match, in key order.
fn from_table(t: &mut Table, wanted: &Wanted) -> Vec<(Vec<u64>, FactMeta)> {
    let mut rows = Vec::new();
    for (c, ids) in wanted {
        t.ensure_index(&[*c]);
        for &v in ids {
            t.matching(&[*c], &[v], |r| rows.push(r));
        }
    }
    rows.sort_unstable();
    rows.dedup();
    let mut hits: Vec<(Vec<u64>, FactMeta)> = (rows.into_iter())
        .map(|r| (t.key(r).to_vec(), t.meta(r)))
        .collect();
    hits.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    hits
}

/// The rows of a layer's runs that match, in key order: the oldest run searched (by binary
/// search of the key when the column leads it, of the run's orders file when it has one,
/// else by a pass over the column), the newer runs folded together on top.
fn from_runs(
    storage: &dyn Storage,
    runs: &[MappedFacts],
    arity: usize,
    wanted: &Wanted,
) -> Result<Vec<(Vec<u64>, FactMeta)>, StoreError> {
    let base_rows = |base: &MappedFacts| {
        base.open_orders(storage, arity)?;
        let mut rows: Vec<usize> = Vec::new();
        for (c, ids) in wanted {
            // A binary search per value, unless the values are many enough that one pass over
            // the column costs less.
            let few = ids.len().saturating_mul(32) < base.rows().max(1024);
            if *c == 0 && few {
                for &v in ids {
                    rows.extend(base.prefix_range(&[v])?);
                }
            } else if few && base.has_orders() {
                for &v in ids {
                    base.matching(arity, &[*c], &[v], &mut |r| {
                        rows.push(r);
                        true
                    });
                }
                base.damage()?;
            } else {
                base.column(*c)?.rows_holding(ids, &mut rows);
            }
        }
        Ok(rows)
    };
    let keep = |key: &[u64]| wanted.iter().any(|(c, ids)| ids.contains(&key[*c]));
    super::segment::layer_matches(runs, arity, base_rows, keep)
}

/// A key's values.
fn decode(key: &[u64], types: &[ColumnType], interner: &value::Interner) -> Vec<Value> {
    (key.iter().zip(types))
        .map(|(&v, &ty)| value::decode(ty, v, interner))
        .collect()
}
