//! A run as a table's [`Base`]: a writer's table reads the oldest run of a layer in place
//! instead of copying it, so the first write of a process loads nothing; only what changes is
//! held in memory.
//!
//! A base's reads cannot fail: each checks the blocks it reads the first time (as a lookup
//! does) and, finding damage, records it and reads a zero. The store refuses to make a commit
//! durable while a run it read holds recorded damage ([`damage_in`]).

use super::orders::{self, MappedOrders};
use super::{ArchivedColumn, ColumnView, MappedFacts, view};
use crate::error::StoreError;
use crate::storage::Storage;
use engram_core::internal::incremental::table::{Base, FactMeta, Table};
use engram_core::internal::value::ColumnType;
use std::sync::{Arc, Mutex};

impl MappedFacts {
    /// Records damage a read that cannot fail found (the first is kept); the value it reads
    /// instead is 0. [`MappedFacts::damage`] reports it.
    fn found(&self, what: String) {
        let _ = self.damage.set(what);
    }

    /// Damage found by a read that could not fail since the run was opened, as an error.
    pub(crate) fn damage(&self) -> Result<(), StoreError> {
        match self.damage.get() {
            Some(what) => Err(self.corrupt(what.clone())),
            None => Ok(()),
        }
    }

    /// Key column `c` of row `i`, its block checked (damage is recorded, and read as 0).
    pub(crate) fn cell_or_damage(&self, i: usize, c: usize) -> u64 {
        let col = &self.file().columns[c];
        let checked = self.verify_as_text(|f| match col {
            ArchivedColumn::Narrow(v) => f.verify_item(v.as_slice(), i),
            ArchivedColumn::Wide(v) => f.verify_item(v.as_slice(), i),
        });
        let v = view(col).get(i);
        let bad_symbol = matches!(col, ArchivedColumn::Narrow(_)) && v >= u64::from(self.symbols);
        match checked {
            Ok(()) if !bad_symbol => v,
            Ok(()) => {
                self.found(format!(
                    "a row names symbol {v} in column {c}; the store holds {} symbols",
                    self.symbols
                ));
                0
            }
            Err(e) => {
                self.found(e);
                0
            }
        }
    }

    /// The metadata of row `i`, its cells checked (damage is recorded, and read as an
    /// asserted fact of confidence 1).
    pub(crate) fn meta_or_damage(&self, i: usize) -> FactMeta {
        let checked = self.verify_as_text(|f| {
            let run = self.file();
            (f.verify_item(run.confidence.as_slice(), i))
                .and_then(|()| f.verify_item(run.time.as_slice(), i))
                .and_then(|()| f.verify_item(run.depth_rule.as_slice(), i))
        });
        let m = self.meta(i);
        match checked {
            Ok(()) if m.conf > 0.0 && m.conf <= 1.0 => m,
            Ok(()) => {
                self.found(format!("row {i} has confidence {}", m.conf));
                FactMeta::asserted(1.0, 0)
            }
            Err(e) => {
                self.found(e);
                FactMeta::asserted(1.0, 0)
            }
        }
    }

    /// Key columns `cols` whole, their blocks checked (damage is recorded: `None`).
    fn columns_or_damage(&self, cols: &[usize]) -> Option<Vec<ColumnView<'_>>> {
        let checked = cols.iter().try_for_each(|&c| {
            self.verify_as_text(|f| match &self.file().columns[c] {
                ArchivedColumn::Narrow(v) => f.verify_slice(v.as_slice()),
                ArchivedColumn::Wide(v) => f.verify_slice(v.as_slice()),
            })
        });
        match checked {
            Ok(()) => Some(
                cols.iter()
                    .map(|&c| view(&self.file().columns[c]))
                    .collect(),
            ),
            Err(e) => {
                self.found(e);
                None
            }
        }
    }
}

/// A run's rotations ([`super::orders`]): read in place from its orders file, or sorted in
/// memory the first time a probe needs one. Held by the run, so that every clone of it (a
/// reader's lookups, a writer's base) shares them.
#[derive(Default)]
pub(crate) struct Rotations {
    /// The run's orders file, if it has one.
    stored: Option<MappedOrders>,
    /// Rotations sorted in memory, by start column.
    sorted: Mutex<Vec<Option<Arc<[u32]>>>>,
}

/// A rotation: read in place from an orders file, or sorted in memory.
enum Order<'a> {
    Stored(&'a [u32]),
    Sorted(Arc<[u32]>),
}

impl std::ops::Deref for Order<'_> {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            Order::Stored(o) => o,
            Order::Sorted(o) => o,
        }
    }
}

impl MappedFacts {
    /// Looks for the run's orders file (for `arity` columns) in `storage`, once: clones of
    /// the run share what was found.
    pub(crate) fn open_orders(
        &self,
        storage: &dyn Storage,
        arity: usize,
    ) -> Result<(), StoreError> {
        if self.rotations.get().is_some() {
            return Ok(());
        }
        let stored = match self.file_name() {
            Some(name) => MappedOrders::open(storage, &name, self.rows(), arity)?,
            None => None,
        };
        let _ = self.rotations.set(Rotations {
            stored,
            sorted: Mutex::default(),
        });
        Ok(())
    }

    /// Whether the run's rotations are read from its orders file (which
    /// [`MappedFacts::open_orders`] looked for), not sorted in memory.
    pub(crate) fn has_orders(&self) -> bool {
        self.rotations.get().is_some_and(|r| r.stored.is_some())
    }

    /// Rotation `start` of the run, of `arity` columns (`None`: damaged, and recorded).
    fn order(&self, arity: usize, start: usize) -> Option<Order<'_>> {
        let rotations = self.rotations.get_or_init(Rotations::default);
        if let Some(stored) = &rotations.stored {
            return match stored.rotation(start) {
                Ok(o) => Some(Order::Stored(o)),
                Err(e) => {
                    self.found(e);
                    None
                }
            };
        }
        let mut sorted = rotations.sorted.lock().unwrap_or_else(|e| e.into_inner());
        if sorted.len() < arity {
            sorted.resize(arity, None);
        }
        if let Some(o) = &sorted[start] {
            return Some(Order::Sorted(o.clone()));
        }
        let all: Vec<usize> = (0..arity).collect();
        let cols = self.columns_or_damage(&all)?;
        let o: Arc<[u32]> = orders::sort_rotation(&cols, start).into();
        sorted[start] = Some(o.clone());
        Some(Order::Sorted(o))
    }

    /// Calls `f` with each row (of a run of `arity` columns) whose columns `cols` hold
    /// `values`, until it returns false: by binary search of the rotation that leads with
    /// the most of them, the others tested on each row found. Reads cannot fail: damage is
    /// recorded ([`MappedFacts::damage`]) and ends the search.
    pub(crate) fn matching(
        &self,
        arity: usize,
        cols: &[usize],
        values: &[u64],
        f: &mut dyn FnMut(usize) -> bool,
    ) {
        let leading = |s: usize| orders::rotation(arity, s).take_while(|c| cols.contains(c));
        let Some(start) = (1..arity).max_by_key(|&s| (leading(s).count(), usize::MAX - s)) else {
            return;
        };
        let value_of = |c: usize| values[cols.iter().position(|&x| x == c).expect("bound")];
        let lead: Vec<(usize, u64)> = leading(start).map(|c| (c, value_of(c))).collect();
        let rest: Vec<(usize, u64)> = (cols.iter().zip(values))
            .filter(|(c, _)| !lead.iter().any(|l| l.0 == **c))
            .map(|(&c, &v)| (c, v))
            .collect();
        let (Some(order), Some(views)) = (self.order(arity, start), self.columns_or_damage(cols))
        else {
            return;
        };
        let column = |c: usize| views[cols.iter().position(|&x| x == c).expect("bound")];
        let n = self.rows();
        let row = |i: usize| {
            let r = order[i] as usize;
            if r >= n {
                self.found(format!("its orders name row {r} of {n}"));
            }
            (r < n).then_some(r)
        };
        let cmp = |i: usize| match row(i) {
            Some(r) => {
                (lead.iter().map(|&(c, _)| column(c).get(r))).cmp(lead.iter().map(|&(_, v)| v))
            }
            None => std::cmp::Ordering::Less,
        };
        for i in engram_core::internal::search::equal_range(order.len(), cmp) {
            let Some(r) = row(i) else { return };
            if rest.iter().all(|&(c, v)| column(c).get(r) == v) && !f(r) {
                return;
            }
        }
    }
}

/// A run read in place by a table, with its rotations.
pub(crate) struct RunBase {
    run: MappedFacts,
    arity: usize,
}

impl Base for RunBase {
    fn len(&self) -> usize {
        self.run.rows()
    }

    fn cell(&self, row: usize, col: usize) -> u64 {
        self.run.cell_or_damage(row, col)
    }

    fn meta(&self, row: usize) -> FactMeta {
        self.run.meta_or_damage(row)
    }

    fn matching(&self, cols: &[usize], values: &[u64], f: &mut dyn FnMut(usize) -> bool) {
        self.run.matching(self.arity, cols, values, f);
    }
}

/// A layer of runs as a table: the oldest run read in place (with its orders file, if it
/// has one), the newer ones applied on top.
pub(crate) fn table_of(
    storage: &dyn Storage,
    runs: &[MappedFacts],
    types: &[ColumnType],
) -> Result<Table, StoreError> {
    let Some((oldest, newer)) = runs.split_first() else {
        return Ok(Table::new(types));
    };
    oldest.open_orders(storage, types.len())?;
    let base = RunBase {
        run: oldest.clone(),
        arity: types.len(),
    };
    let mut t = Table::based(types, Arc::new(base));
    for run in newer {
        run.apply(&mut t)?;
    }
    Ok(t)
}

/// The first damage a read that could not fail found in `runs`, as an error.
pub(crate) fn damage_in<'a>(
    runs: impl IntoIterator<Item = &'a MappedFacts>,
) -> Result<(), StoreError> {
    runs.into_iter().try_for_each(MappedFacts::damage)
}

#[cfg(test)]
mod tests {
    use super::super::FactRun;
    use super::*;
    use crate::file::{self, Kind};
    use crate::storage::FileStorage;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// A run of `rows` (sorted, distinct) written as a file, with its orders file or not.
    fn run_file(
        dir: &std::path::Path,
        types: &[ColumnType],
        rows: &BTreeSet<Vec<u64>>,
        orders: bool,
    ) -> Table {
        let rows: Vec<&Vec<u64>> = rows.iter().collect();
        let order: Vec<u32> = (0..rows.len() as u32).collect();
        let meta = |r: usize| FactMeta::asserted(1.0 / (r + 1) as f64, r as i64);
        let run = FactRun::assemble("r", 0, types, &order, |r, c| rows[r][c], meta, Vec::new());
        let (name, bytes) = ("1.facts", run.to_bytes());
        std::fs::write(dir.join(name), file::envelope_blocked(Kind::Facts, &bytes)).unwrap();
        if let Some(o) = orders.then(|| orders::OrderRun::build(&run, 0)).flatten() {
            let payload = o.to_bytes();
            let bytes = file::envelope_blocked(Kind::Orders, &payload);
            std::fs::write(dir.join(orders::file_of(name)), bytes).unwrap();
        }
        let storage = FileStorage::new(dir);
        let m = MappedFacts::open(&storage, name, "r", 0, types, 100).unwrap();
        table_of(&storage, &[m], types).unwrap()
    }

    proptest! {
        /// A table read in place from a run finds, on every set of bound columns, the rows a
        /// scan finds: with the run's orders file, and with its rotations sorted in memory.
        #[test]
        fn a_based_table_finds_what_a_scan_finds(
            arity in 2usize..5,
            rows in prop::collection::btree_set(prop::collection::vec(0u64..4, 4), 1..200),
            orders in any::<bool>(),
            probes in prop::collection::vec((1u32..16, prop::collection::vec(0u64..4, 4)), 1..20),
        ) {
            let types: Vec<ColumnType> = (0..arity)
                .map(|c| if c % 2 == 0 { ColumnType::Symbol } else { ColumnType::Number })
                .collect();
            let rows: BTreeSet<Vec<u64>> = rows.into_iter().map(|r| r[..arity].to_vec()).collect();
            let dir = tempfile::tempdir().unwrap();
            let mut t = run_file(dir.path(), &types, &rows, orders);
            prop_assert_eq!(t.len(), rows.len());
            for (mask, values) in probes {
                let cols: Vec<usize> = (0..arity).filter(|c| mask >> c & 1 == 1).collect();
                if cols.is_empty() {
                    continue;
                }
                let vals: Vec<u64> = cols.iter().map(|&c| values[c]).collect();
                t.ensure_index(&cols);
                let mut found = BTreeSet::new();
                t.matching(&cols, &vals, |r| {
                    found.insert(t.key(r).to_vec());
                });
                let want: BTreeSet<Vec<u64>> = (rows.iter())
                    .filter(|r| cols.iter().zip(&vals).all(|(&c, &v)| r[c] == v))
                    .cloned()
                    .collect();
                prop_assert_eq!(found, want, "columns {:?} = {:?}", cols, vals);
            }
            for (i, r) in rows.iter().enumerate() {
                prop_assert_eq!(t.get(r).map(|m| m.time), Some(i as i64));
            }
        }
    }

    /// Damage in a block a writer's table reads, and in an orders file, is recorded and
    /// reported naming the file; reads elsewhere go on.
    #[test]
    fn damage_a_based_table_reads_is_reported() {
        let types = [ColumnType::Symbol, ColumnType::Symbol];
        let rows: BTreeSet<Vec<u64>> = (0..40_000u64).map(|i| vec![i % 97, i % 89]).collect();
        let dir = tempfile::tempdir().unwrap();
        run_file(dir.path(), &types, &rows, true);
        // A byte in the middle of the orders file (its rotation's rows) flipped.
        let ord = dir.path().join("1.ord");
        let mut bytes = std::fs::read(&ord).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x55;
        std::fs::write(&ord, &bytes).unwrap();
        let storage = FileStorage::new(dir.path());
        let m = MappedFacts::open(&storage, "1.facts", "r", 0, &types, 100).unwrap();
        let mut t = table_of(&storage, std::slice::from_ref(&m), &types).unwrap();
        assert!(t.get(&[3, 3]).is_some());
        assert!(m.damage().is_ok());
        t.ensure_index(&[1]);
        t.matching(&[1], &[5], |_| {});
        let e = m.damage().unwrap_err().to_string();
        assert!(e.contains("1.ord") && e.contains("1.facts"), "{e}");
    }
}
