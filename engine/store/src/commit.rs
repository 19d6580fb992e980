//! Writing: transactions that assert and retract facts, rule changes, and the commit that
//! re-infers and persists the difference as new runs under a new manifest.

use super::error::StoreError;
use super::persist::LayerWrite;
use super::{ASSERTED, DERIVED, Store, now_ms};
use crate::Error;
use crate::error::{ReadError, WriteError};
use engram_core::internal::facts;
use engram_core::internal::incremental::table::{FactMeta, Table};
use engram_core::internal::incremental::{self, Facts, Plans};
use engram_core::internal::plan::ir::{Plan, RelId};
use engram_core::internal::value::{self, ColumnType, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A batch of assertions and retractions, applied together by [`Transaction::commit`] (and
/// not at all if the transaction is dropped).
///
/// Each fact is encoded as it is added (its symbols interned, its relation entered), so a
/// transaction holds keys, not values; dropping it uncommitted forgets the relations and
/// strings it brought.
pub struct Transaction<'s> {
    store: &'s mut Store,
    changes: Vec<Change>,
    /// The store's relations, strings and records when the transaction began.
    relations: usize,
    strings: usize,
    records: usize,
    manifest_dirty: bool,
    /// Whether [`Transaction::commit`] was called.
    committed: bool,
}

/// One change of a transaction: the relation's index in the store, the encoded key, and for
/// an assertion its confidence and time (`None`: the commit's time); `None` for a retraction.
pub(crate) struct Change {
    rel: usize,
    key: Vec<u64>,
    add: Option<(f64, Option<i64>)>,
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.store.forget_since(
                self.relations,
                (self.strings, self.records),
                self.manifest_dirty,
            );
        }
    }
}

/// What a commit changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// The store's generation after the commit.
    pub generation: u64,
    /// Facts asserted (new, or re-asserted with another confidence or time).
    pub asserted: usize,
    /// Asserted facts retracted.
    pub retracted: usize,
    /// Facts that hold now and did not before.
    pub added: usize,
    /// Facts that held before and do not now.
    pub removed: usize,
    /// Facts that still hold with another confidence, depth, time or rule.
    pub changed: usize,
    /// Whether the commit evaluated the whole program (a bulk load, a rule change, `infer`,
    /// or a change reaching what only a full evaluation maintains: an eqrel, a merge, a
    /// functional relation, noisy-or) instead of maintaining what the changes touched.
    pub rederived: bool,
}

/// A change to a relation's asserted facts as a commit makes it: the relation, the key, and
/// the fact's metadata (`None`: retracted).
type NetChange = (usize, Vec<u64>, Option<FactMeta>);

impl Store {
    /// Starts a write transaction (taking the writer lock on first use).
    pub fn transaction(&mut self) -> Result<Transaction<'_>, WriteError> {
        self.begin_write()?;
        self.drop_view();
        Ok(Transaction {
            relations: self.files.rels.len(),
            strings: self.files.strings.interner().len(),
            records: self.files.strings.interner().records().len(),
            manifest_dirty: self.writer.manifest_dirty,
            store: self,
            changes: Vec::new(),
            committed: false,
        })
    }

    /// Forgets the relations entered and the strings and records interned since there were
    /// `relations` and `interned` (a transaction dropped uncommitted).
    fn forget_since(&mut self, relations: usize, interned: (usize, usize), manifest_dirty: bool) {
        if self.files.rels.len() > relations {
            for entry in self.files.manifest.relations.drain(relations..) {
                self.files.names.remove(&entry.name);
            }
            self.files.rels.truncate(relations);
            self.writer.manifest_dirty = manifest_dirty;
            self.cache.plan = None;
            self.cache.plans = None;
        }
        self.drop_view();
        let interner = self.files.strings.interner();
        interner.truncate(interned.0);
        interner.records_mut().truncate(interned.1);
    }

    /// A fact's relation index (entering the relation if the store does not hold it: with
    /// the columns its rules declare, or else the types its values suggest) and its encoded
    /// key, its symbols interned.
    fn encode_fact(
        &mut self,
        relation: &str,
        values: &[Value],
    ) -> Result<(usize, Vec<u64>), Error> {
        let i = match self.rel_index(relation) {
            Some(i) => i,
            None => {
                if !engram_parser::is_relation_name(relation) {
                    return Err(Error::Value {
                        relation: relation.to_string(),
                        message: "a relation's name must be identifiers joined by `.` \
                                  (letters, digits, `_` and `?`, not starting with a digit)"
                            .into(),
                    });
                }
                let declared = match self.files.rules.is_empty() {
                    true => None,
                    false => {
                        let plan = self.plan()?;
                        let id = plan.rel_index.get(relation).copied();
                        id.map(|id| plan.relations[id].columns.clone())
                    }
                };
                match declared {
                    Some(columns) => self.add_relation(relation, columns),
                    None => {
                        // A record's type is its program's: a value alone does not give one.
                        if let Some(v) = values.iter().find(|v| {
                            matches!(v, Value::Record(_) | Value::Nil | Value::Branch(..))
                        }) {
                            return Err(Error::Value {
                                relation: relation.to_string(),
                                message: format!(
                                    "`{v}` is a record: its type is the one a rule file \
                                     declares for the relation (declare `{relation}` first)"
                                ),
                            });
                        }
                        let columns = (values.iter().enumerate())
                            .map(|(i, v)| (format!("c{i}"), v.column_type()))
                            .collect();
                        let i = self.add_relation(relation, columns);
                        self.cache.plan = None;
                        i
                    }
                }
            }
        };
        Ok((i, self.encode(i, relation, values)?))
    }

    /// The column types of a relation the store holds or its rules declare (`None` if
    /// neither: its first fact will declare it).
    pub fn relation_types(&mut self, name: &str) -> Result<Option<Vec<ColumnType>>, ReadError> {
        if let Some(i) = self.rel_index(name) {
            return Ok(Some(self.files.rels[i].types.clone()));
        }
        if self.files.rules.is_empty() {
            return Ok(None);
        }
        let plan = self.plan()?;
        Ok(plan
            .rel_index
            .get(name)
            .map(|&id| plan.relations[id].types()))
    }

    /// Re-derives every fact from the asserted facts and the rules.
    pub fn infer(&mut self) -> Result<CommitReport, WriteError> {
        self.begin_write()?;
        // A full inference moves `now()` to the current time (or the time fixed).
        if self.plan()?.uses_time {
            self.files.manifest.now = Some(
                self.settings
                    .now
                    .unwrap_or_else(engram_core::internal::value::now_ms),
            );
            self.writer.manifest_dirty = true;
            self.cache.plan = None;
        }
        Ok(self.commit_changes(Vec::new(), true)?)
    }

    /// For rules over `now()`: records the time this commit evaluates at (as fixed, else as
    /// of the last full inference, else now) and whether it moved, in which case everything
    /// is re-derived at the new time.
    fn settle_now(&mut self) -> Result<bool, Error> {
        if !self.plan()?.uses_time {
            return Ok(false);
        }
        let now = self.now();
        if self.files.manifest.now == Some(now) {
            return Ok(false);
        }
        self.files.manifest.now = Some(now);
        self.writer.manifest_dirty = true;
        self.cache.plan = None;
        Ok(true)
    }

    /// Makes sure every relation of the program has an entry, and records which relations
    /// rules derive.
    pub(crate) fn sync_relations(&mut self, plan: &Plan) {
        for (id, decl) in plan.relations.iter().enumerate() {
            if decl.magic || decl.inline {
                continue;
            }
            // With merges every relation's contents are rewritten through the classes; a
            // functional relation's contents are its newest facts, its history the rest.
            let derived = plan.rules.iter().any(|r| r.head == id)
                || plan.facts.iter().any(|f| f.0 == id)
                || decl.class_of.is_some()
                || decl.functional.is_some()
                || decl.superseded_of.is_some()
                || plan.merge.is_some();
            let i = match self.rel_index(&decl.name) {
                Some(i) => i,
                None => self.add_relation(&decl.name, decl.columns.clone()),
            };
            if self.files.manifest.relations[i].derived_layer != derived {
                self.writer.manifest_dirty = true;
                self.files.manifest.relations[i].derived_layer = derived;
                self.files.rels[i].derived = Some(Table::new(&decl.types()));
                self.files.manifest.relations[i].derived.clear();
                self.files.rels[i].derived_runs.clear();
            }
        }
    }

    /// Applies assertions and retractions, re-infers, and persists what changed.
    /// `rederive` rewrites every derived layer whole (after a rule change).
    pub(super) fn commit_changes(
        &mut self,
        changes: Vec<Change>,
        rederive: bool,
    ) -> Result<CommitReport, Error> {
        // The store's limits, and those its rule files set (`.pragma "max_facts" "1000"`).
        let own = self.plan().map_or(engram_core::Limits::NONE, |p| p.limits);
        let limits = engram_core::internal::limits::start(&self.settings.limits.tighter(own));
        let result = self
            .settle_now()
            .and_then(|moved| self.try_commit(changes, rederive || moved));
        drop(limits);
        if let Err(failed) = &result {
            // Memory may be ahead of the disk: go back to the last committed state (with the
            // commits held back before this one, written first).
            self.write_held_or_lose();
            match Store::load(&self.files.storage) {
                Ok(loaded) => self.reload(loaded),
                Err(again) => {
                    return Err(StoreError::Invalid(format!(
                        "{failed}; reading the store back after that failed too ({again}): \
                         this handle may hold part of the failed commit, so open the store \
                         again (what is on disk is the last commit that succeeded, or this \
                         one if the failure came after it was durable)"
                    ))
                    .into());
                }
            }
        }
        // A bound stops a commit before anything of it is durable, and the store is back at
        // its last commit: say so.
        result.map_err(|e| match e {
            Error::Eval(engram_core::internal::eval::EvalError::Limit { relation, why }) => {
                Error::Eval(engram_core::internal::eval::EvalError::Limit {
                    relation,
                    why: format!("{why}; the store is unchanged"),
                })
            }
            e => e,
        })
    }

    fn try_commit(&mut self, changes: Vec<Change>, rederive: bool) -> Result<CommitReport, Error> {
        let plan = self.plan()?;
        self.sync_relations(&plan);
        self.drop_view();
        let mut report = CommitReport::default();
        let changes = self.net_changes(&plan, changes, &mut report)?;
        // A bulk load re-derives with the bulk evaluator: cheaper than propagating fact by
        // fact once the changes are a sizeable part of the store.
        let held: usize = (0..self.files.rels.len())
            .map(|i| self.asserted(i).map(|t| t.len()))
            .sum::<Result<usize, StoreError>>()?;
        let bulk = changes.len() > BULK_CHANGES.max(held / 4);
        if !rederive && !bulk && self.commit_incremental(&plan, &changes, &mut report)? {
            report.generation = self.generation();
            return Ok(report);
        }
        self.commit_rederived(&plan, changes, rederive, &mut report)?;
        report.generation = self.generation();
        Ok(report)
    }

    /// What a transaction's changes amount to: the last word on each key, each timed, no-ops
    /// dropped; counted in `report`.
    fn net_changes(
        &mut self,
        plan: &Plan,
        changes: Vec<Change>,
        report: &mut CommitReport,
    ) -> Result<Vec<NetChange>, StoreError> {
        // The asserted changes, the last word on each key winning (found through `latest`, a
        // table of positions in `said`); no-ops dropped.
        let now = now_ms();
        let mut said: Vec<NetChange> = Vec::with_capacity(changes.len());
        let mut latest: hashbrown::HashTable<usize> = hashbrown::HashTable::new();
        let hash = |i: usize, key: &[u64]| {
            use std::hash::BuildHasher;
            rustc_hash::FxBuildHasher.hash_one((i, key))
        };
        let functional: Vec<Option<&[usize]>> = (self.files.manifest.relations.iter())
            .map(|e| {
                let id = plan.rel_index.get(&e.name)?;
                plan.relations[*id].functional.as_deref()
            })
            .collect();
        let mut stamps = HashMap::new();
        for Change { rel: i, key, add } in changes {
            let new = add.map(|(c, t)| FactMeta::asserted(c, t.unwrap_or(now)));
            let untimed = matches!(add, Some((_, None)));
            let new = match (new, functional.get(i).copied().flatten()) {
                (Some(mut m), Some(keys)) if untimed => {
                    m.time = self.newer_stamp(i, keys, &key, m.time, &mut stamps)?;
                    Some(m)
                }
                (new, _) => new,
            };
            let h = hash(i, &key);
            let same = |&at: &usize| said[at].0 == i && said[at].1 == key;
            match latest.find(h, same) {
                Some(&at) => said[at].2 = new,
                None => {
                    latest.insert_unique(h, said.len(), |&at| hash(said[at].0, &said[at].1));
                    said.push((i, key, new));
                }
            }
        }
        drop(latest);
        let mut changes: Vec<NetChange> = Vec::new();
        for (i, key, new) in said {
            let old = self.asserted(i)?.get(&key);
            match new {
                Some(m) if old != Some(m) => report.asserted += 1,
                None if old.is_some() => report.retracted += 1,
                _ => continue,
            }
            changes.push((i, key, new));
        }
        Ok(changes)
    }

    /// Applies the changes and evaluates the whole program again; persists what differs.
    fn commit_rederived(
        &mut self,
        plan: &Arc<Plan>,
        changes: Vec<NetChange>,
        rederive: bool,
        report: &mut CommitReport,
    ) -> Result<(), Error> {
        report.rederived = true;
        let mut asserted: Vec<Option<LayerWrite>> =
            (0..self.files.rels.len()).map(|_| None).collect();
        for (i, key, new) in changes {
            let w = asserted[i].get_or_insert_with(|| LayerWrite::new(i, ASSERTED, false));
            match new {
                Some(m) => {
                    self.asserted(i)?.upsert(&key, m);
                    w.rows.push(&key, m);
                }
                None => {
                    self.asserted(i)?.remove(&key);
                    w.removed.push(key);
                }
            }
        }
        // A failure from here leaves the tables changed: the caller reloads the last commit.
        let contents = self.infer_tables(plan)?;
        let mut writes: Vec<LayerWrite> = asserted.into_iter().flatten().collect();
        for (i, new) in contents.into_iter().enumerate() {
            let Some(new) = new else { continue };
            let old = self.files.rels[i]
                .derived
                .take()
                .map_or_else(|| self.load_derived(i), Ok)?;
            let mut w = LayerWrite::new(i, DERIVED, rederive);
            if old.is_empty() && self.files.rels[i].derived_runs.is_empty() {
                // Nothing to compare with: the run is the new table as it is.
                report.added += new.len();
                w.whole_table = true;
            } else {
                diff(&old, &new, &mut w, report, rederive);
            }
            self.files.rels[i].derived = Some(new);
            writes.push(w);
        }
        self.persist(writes)
    }

    /// The time of a fact asserted without one into a functional relation: now, or later
    /// than every fact held (or asserted before in this transaction) for its key, so that the
    /// fact asserted last is the newest even within one millisecond.
    fn newer_stamp(
        &mut self,
        i: usize,
        keys: &[usize],
        key: &[u64],
        now: i64,
        stamps: &mut HashMap<(usize, Vec<u64>), i64>,
    ) -> Result<i64, StoreError> {
        let values: Vec<u64> = keys.iter().map(|&c| key[c]).collect();
        let table = self.asserted(i)?;
        table.ensure_index(keys);
        let mut newest = stamps.get(&(i, values.clone())).copied();
        table.matching(keys, &values, |r| {
            newest = newest.max(Some(table.meta(r).time));
        });
        let stamp = newest.map_or(now, |t| now.max(t.saturating_add(1)));
        stamps.insert((i, values), stamp);
        Ok(stamp)
    }

    /// Maintains the derived facts incrementally (see `incremental.rs`) and persists the
    /// difference. False, with nothing changed, when the changes reach what only a full
    /// evaluation maintains.
    fn commit_incremental(
        &mut self,
        plan: &Arc<Plan>,
        changes: &[(usize, Vec<u64>, Option<FactMeta>)],
        report: &mut CommitReport,
    ) -> Result<bool, Error> {
        let (mut facts, home) = self.take_tables(plan)?;
        // Under a merge, the rules' constants read through the classes (as the bulk evaluator
        // reads them); the plans are compiled again when the classes move them.
        let aliased = incremental::aliased_constants(plan, &mut facts.contents);
        let plan = &match &self.cache.merged {
            _ if aliased.is_empty() => plan.clone(),
            Some((base, moved, merged)) if Arc::ptr_eq(base, plan) && *moved == aliased => {
                merged.clone()
            }
            _ => {
                let merged = Arc::new(incremental::merged_plan(plan, &aliased));
                self.cache.merged = Some((plan.clone(), aliased, merged.clone()));
                merged
            }
        };
        let rebuild = !matches!(&self.cache.plans, Some((p, _)) if Arc::ptr_eq(p, plan));
        if rebuild {
            self.cache.plans = Some((plan.clone(), Plans::new(plan)));
        }
        let plans = &self.cache.plans.as_ref().expect("built").1;
        let by_plan: Vec<(RelId, Vec<u64>, Option<FactMeta>)> = (changes.iter())
            .map(|(i, k, m)| {
                let name = &self.files.manifest.relations[*i].name;
                (plan.rel_index[name], k.clone(), *m)
            })
            .collect();
        let interner = self.files.strings.interner();
        let applied = incremental::apply(plan, plans, &mut facts, by_plan, interner);
        let Ok(Some(before)) = applied else {
            // Every table is as it was (given up, or stopped by a bound): put them back.
            self.give_back(facts, &home);
            return applied.map(|_| false).map_err(Into::into);
        };
        // Write what changed, and put the tables back.
        let mut writes = Vec::new();
        let mut asserted_writes: HashMap<usize, LayerWrite> = HashMap::new();
        for (i, key, new) in changes {
            let w =
                (asserted_writes.entry(*i)).or_insert_with(|| LayerWrite::new(*i, ASSERTED, false));
            match new {
                Some(m) => w.rows.push(key, *m),
                None => w.removed.push(key.clone()),
            }
        }
        writes.extend(asserted_writes.into_values());
        for (p, touched) in before.into_iter().enumerate() {
            let (Some(i), Some(_)) = (home[p], &facts.asserted[p]) else {
                continue;
            };
            writes.push(derived_write(i, touched, &facts.contents[p], report));
        }
        self.give_back(facts, &home);
        self.persist(writes)?;
        Ok(true)
    }

    /// The tables incremental maintenance works on, by the plan's relation ids (taken out of
    /// the store's relations, loaded first if need be), and the store relation of each.
    fn take_tables(&mut self, plan: &Plan) -> Result<(Facts, Vec<Option<usize>>), Error> {
        let n = plan.relations.len();
        let mut facts = Facts {
            contents: (plan.relations.iter())
                .map(|r| Table::new(&r.types()))
                .collect(),
            asserted: (0..n).map(|_| None).collect(),
        };
        let mut home: Vec<Option<usize>> = vec![None; n];
        for i in 0..self.files.rels.len() {
            let Some(&p) = plan.rel_index.get(&self.files.manifest.relations[i].name) else {
                continue;
            };
            home[p] = Some(i);
            self.asserted(i)?;
            if self.files.manifest.relations[i].derived_layer {
                if self.files.rels[i].derived.is_none() {
                    let t = self.load_derived(i)?;
                    self.files.rels[i].derived = Some(t);
                }
                facts.contents[p] = self.files.rels[i].derived.take().expect("loaded");
                facts.asserted[p] = self.files.rels[i].asserted.take();
            } else {
                facts.contents[p] = self.files.rels[i].asserted.take().expect("loaded");
            }
        }
        Ok((facts, home))
    }

    /// Puts the tables [`Store::take_tables`] took back into the store's relations.
    fn give_back(&mut self, mut facts: Facts, home: &[Option<usize>]) {
        for (p, i) in home.iter().enumerate() {
            let Some(i) = *i else { continue };
            let contents = std::mem::replace(&mut facts.contents[p], Table::new(&[]));
            match facts.asserted[p].take() {
                Some(a) => {
                    self.files.rels[i].asserted = Some(a);
                    self.files.rels[i].derived = Some(contents);
                }
                None => self.files.rels[i].asserted = Some(contents),
            }
        }
    }

    pub(crate) fn load_derived(&self, i: usize) -> Result<Table, Error> {
        let rel = &self.files.rels[i];
        Ok(super::segment::table_of(
            &*self.files.storage,
            &rel.derived_runs,
            &rel.types,
        )?)
    }

    /// Encodes a fact's values for relation `i`, interning new symbols.
    fn encode(&mut self, i: usize, relation: &str, values: &[Value]) -> Result<Vec<u64>, Error> {
        check_arity(relation, &self.files.rels[i].types, values)?;
        let types = std::mem::take(&mut self.files.rels[i].types);
        let interner = self.interner();
        let key = (values.iter().zip(&types))
            .map(|(v, t)| {
                value::encode(*t, v, interner).ok_or_else(|| Error::Value {
                    relation: relation.to_string(),
                    message: format!("value `{v}` is not a {}", interner.records().type_name(*t)),
                })
            })
            .collect();
        self.files.rels[i].types = types;
        key
    }

    /// Evaluates the program over every asserted fact: the new contents of each relation
    /// with a derived layer (`None` for the others).
    pub(crate) fn infer_tables(&mut self, plan: &Plan) -> Result<Vec<Option<Table>>, Error> {
        use engram_core::internal::eval::{self, Base, Mode};
        let mut base = Base::new(plan);
        for i in 0..self.files.rels.len() {
            let Some(&id) = plan.rel_index.get(&self.files.manifest.relations[i].name) else {
                continue;
            };
            let table = self.asserted(i)?;
            for (key, m) in table.iter() {
                base.push_at(id, &key, m.conf, m.time);
            }
        }
        let mode = Mode {
            meta: true,
            time: true,
            best_first: false,
        };
        let mut done = eval::evaluate(plan, base, self.files.strings.interner(), mode)?.done;
        let mut out: Vec<Option<Table>> = (0..self.files.rels.len()).map(|_| None).collect();
        for (i, entry) in self.files.manifest.relations.iter().enumerate() {
            if !entry.derived_layer {
                continue;
            }
            let id = plan.rel_index[&entry.name];
            // Each relation's rows go once its table holds them: the two are not all held
            // at once.
            let rows = done[id].take();
            let n = rows.as_ref().map_or(0, |rows| rows.len());
            let mut t = Table::with_capacity(&self.files.rels[i].types, n);
            if let Some(rows) = rows {
                // Rows come sorted and distinct: the table is all sorted part, no hashing.
                for r in 0..rows.len() {
                    let m = rows.meta(r);
                    let key = &rows.row(r)[..entry.columns.len()];
                    t.push_sorted(
                        key,
                        FactMeta {
                            conf: m.conf,
                            time: m.time,
                            depth: m.depth,
                            rule: m.rule,
                        },
                    );
                }
            }
            out[i] = Some(t);
        }
        Ok(out)
    }
}

/// A commit with more changes than this (and than a quarter of the asserted facts)
/// re-derives everything with the bulk evaluator instead of propagating.
const BULK_CHANGES: usize = 10_000;

/// Counts what changed from `old` to `new` and records it in `w`: every row of `new` when
/// the run replaces the layer, else only new and changed rows, and removed keys.
fn diff(old: &Table, new: &Table, w: &mut LayerWrite, report: &mut CommitReport, whole: bool) {
    for (key, m) in new.iter() {
        let before = old.get(&key);
        match before {
            None => report.added += 1,
            Some(b) if b != m => report.changed += 1,
            Some(_) => {}
        }
        if whole || before != Some(m) {
            w.rows.push(&key, m);
        }
    }
    for (key, _) in old.iter() {
        if new.find(&key).is_none() {
            report.removed += 1;
            if !whole {
                w.removed.push(key.to_vec());
            }
        }
    }
}

/// A fact written as Datalog, typed: relation, values, the confidence written after `@`.
type TypedFact = (String, Vec<Value>, Option<f64>, Option<i64>);

fn check_arity(relation: &str, types: &[ColumnType], values: &[Value]) -> Result<(), Error> {
    let err = |message: String| {
        Err(Error::Value {
            relation: relation.to_string(),
            message,
        })
    };
    if types.len() != values.len() {
        return err(format!(
            "{} values given, {} expected",
            values.len(),
            types.len()
        ));
    }
    Ok(())
}

impl Transaction<'_> {
    /// The column types of a relation (see [`Store::relation_types`]).
    pub fn relation_types(&mut self, name: &str) -> Result<Option<Vec<ColumnType>>, WriteError> {
        Ok(self.store.relation_types(name)?)
    }

    /// Makes room for `n` more changes.
    pub fn reserve(&mut self, n: usize) {
        self.changes.reserve(n);
    }

    /// Asserts a fact with confidence 1, timed now.
    pub fn add(&mut self, relation: &str, values: Vec<Value>) -> Result<&mut Self, WriteError> {
        self.add_with(relation, values, 1.0, None)
    }

    /// Asserts a fact with a confidence in (0, 1] and a time (unix ms; `None` for now).
    /// Asserting a fact again replaces its confidence and time.
    pub fn add_with(
        &mut self,
        relation: &str,
        values: Vec<Value>,
        confidence: f64,
        time: Option<i64>,
    ) -> Result<&mut Self, WriteError> {
        if !(confidence > 0.0 && confidence <= 1.0) {
            return Err(WriteError::Value {
                relation: relation.to_string(),
                message: format!("confidence {confidence} is not in (0, 1]"),
            });
        }
        let (rel, key) = self.store.encode_fact(relation, &values)?;
        self.changes.push(Change {
            rel,
            key,
            add: Some((confidence, time)),
        });
        Ok(self)
    }

    /// Asserts facts written as Datalog, each with its `@ c` confidence and `~ t` time if
    /// given: `edge("a", "b") @ 0.8 ~ "2026-11-01T10:00:00Z". edge("b", "c").` Returns how
    /// many.
    pub fn add_text(&mut self, text: &str) -> Result<usize, WriteError> {
        let written = self.typed_facts(text)?;
        let n = written.len();
        for (relation, values, confidence, time) in written {
            self.add_with(&relation, values, confidence.unwrap_or(1.0), time)?;
        }
        Ok(n)
    }

    /// Facts written as Datalog, with values typed by their relations (or, for a relation
    /// not yet declared, by what the constants suggest).
    fn typed_facts(&mut self, text: &str) -> Result<Vec<TypedFact>, Error> {
        let mut out = Vec::new();
        for f in facts::parse(text, "<facts>")? {
            let types = match self.store.relation_types(&f.relation)? {
                Some(t) => t,
                None => f.inferred_types()?,
            };
            let values = f.values(&types, self.store.interner().records())?;
            out.push((f.relation.clone(), values, f.confidence, f.time));
        }
        Ok(out)
    }

    /// Retracts an asserted fact (nothing happens if it is not asserted). Facts derived
    /// from it go unless something else still supports them.
    pub fn retract(&mut self, relation: &str, values: Vec<Value>) -> Result<&mut Self, WriteError> {
        let (rel, key) = self.store.encode_fact(relation, &values)?;
        self.changes.push(Change {
            rel,
            key,
            add: None,
        });
        Ok(self)
    }

    /// Retracts facts written as Datalog. Returns how many were named.
    pub fn retract_text(&mut self, text: &str) -> Result<usize, WriteError> {
        let written = self.typed_facts(text)?;
        let n = written.len();
        for (relation, values, _, _) in written {
            self.retract(&relation, values)?;
        }
        Ok(n)
    }

    /// Applies the transaction: infers, writes, and makes it visible atomically.
    pub fn commit(mut self) -> Result<CommitReport, WriteError> {
        // A failed commit does not forget the strings or records: the store's tables may hold
        // them.
        self.committed = true;
        let changes = std::mem::take(&mut self.changes);
        Ok(self.store.commit_changes(changes, false)?)
    }
}

/// The run of a derived layer's changes: each touched fact as it is now in `contents`, against
/// what it was; counted in `report`.
fn derived_write(
    i: usize,
    touched: HashMap<Vec<u64>, Option<FactMeta>>,
    contents: &Table,
    report: &mut CommitReport,
) -> LayerWrite {
    let mut w = LayerWrite::new(i, DERIVED, false);
    for (key, old) in touched {
        match (old, contents.get(&key)) {
            (None, Some(m)) => {
                report.added += 1;
                w.rows.push(&key, m);
            }
            (Some(_), None) => {
                report.removed += 1;
                w.removed.push(key);
            }
            (Some(o), Some(m)) if o != m => {
                report.changed += 1;
                w.rows.push(&key, m);
            }
            _ => {}
        }
    }
    w
}
