//! Writing: transactions that assert and retract facts, rule changes, and the commit that
//! re-infers and persists the difference as new runs under a new manifest.

use super::error::StoreError;
use super::facts;
use super::file::{self, Kind};
use super::incremental::{self, Facts, Plans};
use super::log::{self, LogRecord};
use super::manifest::{Manifest, RelationEntry, RulesEntry, StringsEntry};
use super::segment::{FactRun, MappedFacts};
use super::strings::MappedRun;
use super::table::{FactMeta, Table};
use super::{ASSERTED, DERIVED, Rel, RuleFile, Store, now_ms};
use crate::error::Error;
use crate::plan::ir::{Plan, RelId};
use crate::value::{self, ColumnType, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A batch of assertions and retractions, applied together by [`Transaction::commit`] (and
/// not at all if the transaction is dropped).
pub struct Transaction<'s> {
    store: &'s mut Store,
    ops: Vec<Op>,
}

enum Op {
    Add {
        relation: String,
        values: Vec<Value>,
        confidence: f64,
        time: Option<i64>,
    },
    Retract {
        relation: String,
        values: Vec<Value>,
    },
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
}

impl Store {
    /// Starts a write transaction (taking the writer lock on first use).
    pub fn transaction(&mut self) -> Result<Transaction<'_>, Error> {
        self.begin_write()?;
        Ok(Transaction {
            store: self,
            ops: Vec::new(),
        })
    }

    /// The column types of a relation the store holds or its rules declare (`None` if
    /// neither: its first fact will declare it).
    pub fn relation_types(&mut self, name: &str) -> Result<Option<Vec<ColumnType>>, Error> {
        if let Some(i) = self.rel_index(name) {
            return Ok(Some(self.rels[i].types.clone()));
        }
        if self.rules.is_empty() {
            return Ok(None);
        }
        let plan = self.plan()?;
        Ok(plan
            .rel_index
            .get(name)
            .map(|&id| plan.relations[id].types()))
    }

    /// Adds (or replaces) a rule file and re-derives everything.
    pub fn add_rules(&mut self, name: &str, text: &str) -> Result<CommitReport, Error> {
        self.begin_write()?;
        let mut rules = self.rules.clone();
        let file = RuleFile {
            name: name.to_string(),
            text: text.to_string(),
        };
        match rules.iter_mut().find(|r| r.name == name) {
            Some(r) => *r = file,
            None => rules.push(file),
        }
        self.change_rules(rules)
    }

    /// Removes a rule file by name and re-derives everything.
    pub fn remove_rules(&mut self, name: &str) -> Result<CommitReport, Error> {
        self.begin_write()?;
        let mut rules = self.rules.clone();
        let before = rules.len();
        rules.retain(|r| r.name != name);
        if rules.len() == before {
            return Err(StoreError::Invalid(format!("no rule file named `{name}`")).into());
        }
        self.change_rules(rules)
    }

    fn change_rules(&mut self, rules: Vec<RuleFile>) -> Result<CommitReport, Error> {
        self.rules_changed = true;
        let old = std::mem::replace(&mut self.rules, rules);
        self.plan = None;
        if let Err(e) = self.plan() {
            self.rules = old;
            self.plan = None;
            return Err(e);
        }
        self.commit_changes(Vec::new(), true)
    }

    /// Re-derives every fact from the asserted facts and the rules.
    pub fn infer(&mut self) -> Result<CommitReport, Error> {
        self.begin_write()?;
        self.commit_changes(Vec::new(), true)
    }

    /// Makes sure every relation of the program has an entry, and records which relations
    /// rules derive.
    pub(crate) fn sync_relations(&mut self, plan: &Plan) {
        for (id, decl) in plan.relations.iter().enumerate() {
            if decl.magic || decl.inline {
                continue;
            }
            let derived =
                plan.rules.iter().any(|r| r.head == id) || plan.facts.iter().any(|f| f.0 == id);
            let i = match self.rel_index(&decl.name) {
                Some(i) => i,
                None => {
                    self.manifest.relations.push(RelationEntry {
                        name: decl.name.clone(),
                        columns: decl.columns.clone(),
                        asserted: Vec::new(),
                        derived: Vec::new(),
                        derived_layer: false,
                    });
                    self.manifest_dirty = true;
                    self.rels.push(Rel::new(decl.types()));
                    self.rels.len() - 1
                }
            };
            if self.manifest.relations[i].derived_layer != derived {
                self.manifest_dirty = true;
                self.manifest.relations[i].derived_layer = derived;
                self.rels[i].derived = Some(Table::new(&decl.types()));
                self.manifest.relations[i].derived.clear();
                self.rels[i].derived_runs.clear();
            }
        }
    }

    /// Applies assertions and retractions, re-infers, and persists what changed.
    /// `rederive` rewrites every derived layer whole (after a rule change).
    fn commit_changes(&mut self, ops: Vec<Op>, rederive: bool) -> Result<CommitReport, Error> {
        let result = self.try_commit(ops, rederive);
        if result.is_err() && self.dir.is_some() {
            // Memory may be ahead of the disk: go back to the last committed state.
            let dir = self.dir.clone().expect("checked");
            let lock = self.lock.take();
            let read_only = self.read_only;
            if let Ok(loaded) = Store::load(&dir) {
                *self = Store::from_loaded(Some(dir), read_only, loaded);
            }
            self.lock = lock;
        }
        result
    }

    fn try_commit(&mut self, ops: Vec<Op>, rederive: bool) -> Result<CommitReport, Error> {
        // Relations first seen in this transaction get an entry with the types their values
        // suggest.
        for op in &ops {
            let (Op::Add {
                relation, values, ..
            }
            | Op::Retract { relation, values }) = op;
            if self.relation_types(relation)?.is_none() {
                let types: Vec<ColumnType> = values.iter().map(Value::column_type).collect();
                self.manifest.relations.push(RelationEntry {
                    name: relation.clone(),
                    columns: types
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (format!("c{i}"), *t))
                        .collect(),
                    asserted: Vec::new(),
                    derived: Vec::new(),
                    derived_layer: false,
                });
                self.manifest_dirty = true;
                self.rels.push(Rel::new(types));
                self.plan = None;
            }
        }
        let plan = self.plan()?;
        self.sync_relations(&plan);
        self.drop_view();
        let mut report = CommitReport::default();
        // The asserted changes, the last word on each key winning; no-ops dropped.
        let now = now_ms();
        let mut latest: HashMap<(usize, Vec<u64>), Option<FactMeta>> = HashMap::new();
        let mut order = Vec::new();
        for op in ops {
            let (relation, values, new) = match op {
                Op::Add {
                    relation,
                    values,
                    confidence,
                    time,
                } => {
                    let m = FactMeta::asserted(confidence, time.unwrap_or(now));
                    (relation, values, Some(m))
                }
                Op::Retract { relation, values } => (relation, values, None),
            };
            let i = self.rel_index(&relation).expect("entry made above");
            let key = self.encode(i, &relation, &values)?;
            if latest.insert((i, key.clone()), new).is_none() {
                order.push((i, key));
            }
        }
        let mut changes: Vec<(usize, Vec<u64>, Option<FactMeta>)> = Vec::new();
        for (i, key) in order {
            let new = latest[&(i, key.clone())];
            let old = self.asserted(i).get(&key);
            match new {
                Some(m) if old != Some(m) => report.asserted += 1,
                None if old.is_some() => report.retracted += 1,
                _ => continue,
            }
            changes.push((i, key, new));
        }
        let changed: HashSet<usize> = changes
            .iter()
            .map(|(i, _, _)| plan.rel_index[&self.manifest.relations[*i].name])
            .collect();
        // A bulk load re-derives with the bulk evaluator: cheaper than propagating fact by
        // fact once the changes are a sizeable part of the store.
        let held: usize = (0..self.rels.len()).map(|i| self.asserted(i).len()).sum();
        let bulk = changes.len() > BULK_CHANGES.max(held / 4);
        if !rederive && !bulk && incremental::can_maintain(&plan, &changed) {
            self.commit_incremental(&plan, changes, &mut report)?;
            report.generation = self.generation();
            return Ok(report);
        }
        // Everything again: apply the changes, evaluate the whole program.
        let mut asserted: Vec<HashMap<Vec<u64>, Option<FactMeta>>> =
            vec![HashMap::new(); self.rels.len()];
        for (i, key, new) in changes {
            match new {
                Some(m) => {
                    self.asserted(i).upsert(&key, m);
                }
                None => {
                    self.asserted(i).remove(&key);
                }
            }
            asserted[i].insert(key, new);
        }
        let contents = self.infer_tables(&plan)?;
        let mut writes = Vec::new();
        for (i, changes) in asserted.into_iter().enumerate() {
            if changes.is_empty() {
                continue;
            }
            let mut w = LayerWrite::new(i, ASSERTED, false);
            for (key, state) in changes {
                match state {
                    Some(m) => w.rows.push((key, m)),
                    None => w.removed.push(key),
                }
            }
            writes.push(w);
        }
        for (i, new) in contents.into_iter().enumerate() {
            let Some(new) = new else { continue };
            let old = self.rels[i]
                .derived
                .take()
                .map_or_else(|| self.load_derived(i), Ok)?;
            let mut w = LayerWrite::new(i, DERIVED, rederive);
            diff(&old, &new, &mut w, &mut report, rederive);
            self.rels[i].derived = Some(new);
            writes.push(w);
        }
        self.persist(writes)?;
        report.generation = self.generation();
        Ok(report)
    }

    /// Maintains the derived facts incrementally (see `incremental.rs`) and persists the
    /// difference.
    fn commit_incremental(
        &mut self,
        plan: &Arc<Plan>,
        changes: Vec<(usize, Vec<u64>, Option<FactMeta>)>,
        report: &mut CommitReport,
    ) -> Result<(), Error> {
        let n = plan.relations.len();
        let mut facts = Facts {
            contents: plan
                .relations
                .iter()
                .map(|r| Table::new(&r.types()))
                .collect(),
            asserted: (0..n).map(|_| None).collect(),
        };
        let mut home: Vec<Option<usize>> = vec![None; n];
        for i in 0..self.rels.len() {
            let Some(&p) = plan.rel_index.get(&self.manifest.relations[i].name) else {
                continue;
            };
            home[p] = Some(i);
            self.asserted(i);
            if self.manifest.relations[i].derived_layer {
                if self.rels[i].derived.is_none() {
                    let t = self.load_derived(i)?;
                    self.rels[i].derived = Some(t);
                }
                facts.contents[p] = self.rels[i].derived.take().expect("loaded");
                facts.asserted[p] = self.rels[i].asserted.take();
            } else {
                facts.contents[p] = self.rels[i].asserted.take().expect("loaded");
            }
        }
        let rebuild = !matches!(&self.plans, Some((p, _)) if Arc::ptr_eq(p, plan));
        if rebuild {
            self.plans = Some((plan.clone(), Plans::new(plan)));
        }
        let plans = &self.plans.as_ref().expect("built").1;
        let by_plan: Vec<(RelId, Vec<u64>, Option<FactMeta>)> = changes
            .iter()
            .map(|(i, k, m)| {
                (
                    plan.rel_index[&self.manifest.relations[*i].name],
                    k.clone(),
                    *m,
                )
            })
            .collect();
        let before = incremental::apply(plan, plans, &mut facts, by_plan, self.strings.interner());
        // Put the tables back, and write what changed.
        let mut writes = Vec::new();
        let mut asserted_writes: HashMap<usize, LayerWrite> = HashMap::new();
        for (i, key, new) in changes {
            let w = asserted_writes
                .entry(i)
                .or_insert_with(|| LayerWrite::new(i, ASSERTED, false));
            match new {
                Some(m) => w.rows.push((key, m)),
                None => w.removed.push(key),
            }
        }
        writes.extend(asserted_writes.into_values());
        for (p, touched) in before.into_iter().enumerate() {
            let Some(i) = home[p] else { continue };
            let contents = std::mem::replace(&mut facts.contents[p], Table::new(&[]));
            if let Some(a) = facts.asserted[p].take() {
                let mut w = LayerWrite::new(i, DERIVED, false);
                for (key, old) in touched {
                    let new = contents.get(&key);
                    match (old, new) {
                        (None, Some(m)) => {
                            report.added += 1;
                            w.rows.push((key, m));
                        }
                        (Some(_), None) => {
                            report.removed += 1;
                            w.removed.push(key);
                        }
                        (Some(o), Some(m)) if o != m => {
                            report.changed += 1;
                            w.rows.push((key, m));
                        }
                        _ => {}
                    }
                }
                writes.push(w);
                self.rels[i].asserted = Some(a);
                self.rels[i].derived = Some(contents);
            } else {
                self.rels[i].asserted = Some(contents);
            }
        }
        self.persist(writes)
    }

    fn load_derived(&self, i: usize) -> Result<Table, Error> {
        let rel = &self.rels[i];
        let n = rel.derived_runs.iter().map(|r| r.rows()).sum();
        let mut t = Table::with_capacity(&rel.types, n);
        for run in &rel.derived_runs {
            run.apply(&mut t);
        }
        Ok(t)
    }

    /// Encodes a fact's values for relation `i`, interning new symbols.
    fn encode(&mut self, i: usize, relation: &str, values: &[Value]) -> Result<Vec<u64>, Error> {
        let types = self.rels[i].types.clone();
        check_values(relation, &types, values)?;
        let interner = self.interner();
        Ok(values
            .iter()
            .zip(&types)
            .map(|(v, t)| value::encode(*t, v, interner).expect("types checked"))
            .collect())
    }

    /// Evaluates the program over every asserted fact: the new contents of each relation
    /// with a derived layer (`None` for the others).
    pub(crate) fn infer_tables(&mut self, plan: &Plan) -> Result<Vec<Option<Table>>, Error> {
        use crate::eval::{self, Base, Mode};
        let mut base = Base::new(plan);
        for i in 0..self.rels.len() {
            let Some(&id) = plan.rel_index.get(&self.manifest.relations[i].name) else {
                continue;
            };
            let table = self.asserted(i);
            for (key, m) in table.iter() {
                base.push_at(id, &key, m.conf, m.time);
            }
        }
        let mode = Mode {
            meta: true,
            time: true,
        };
        let done = eval::evaluate(plan, base, self.strings.interner(), mode)?;
        let mut out: Vec<Option<Table>> = (0..self.rels.len()).map(|_| None).collect();
        for (i, entry) in self.manifest.relations.iter().enumerate() {
            if !entry.derived_layer {
                continue;
            }
            let id = plan.rel_index[&entry.name];
            let mut t = Table::new(&self.rels[i].types);
            if let Some(rows) = &done[id] {
                for r in 0..rows.len() {
                    let m = rows.meta(r);
                    let key = &rows.row(r)[..entry.columns.len()];
                    t.upsert(
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

    /// Rewrites every layer with more than one run (or with removals) as one sorted run, and
    /// the string runs as one.
    pub(crate) fn rewrite_all(&mut self) -> Result<(), Error> {
        self.drop_view();
        let mut writes = Vec::new();
        for i in 0..self.rels.len() {
            let layers = [
                (ASSERTED, &self.rels[i].asserted_runs),
                (DERIVED, &self.rels[i].derived_runs),
            ];
            let mut todo = Vec::new();
            for (layer, runs) in layers {
                if runs.len() > 1 || runs.iter().any(|r| r.removed_rows() > 0) {
                    todo.push(layer);
                }
            }
            for layer in todo {
                let table = if layer == ASSERTED {
                    self.asserted(i).clone()
                } else {
                    self.load_derived(i)?
                };
                let mut w = LayerWrite::new(i, layer, true);
                w.rows = table.iter().map(|(k, m)| (k.to_vec(), m)).collect();
                writes.push(w);
            }
        }
        self.compact_strings = true;
        let r = self.persist(writes);
        self.compact_strings = false;
        r
    }

    /// Keeps layers short: a write to a layer that already has [`MAX_RUNS`] runs also takes
    /// in the changes of its [`FOLD`] newest runs and replaces them. Run sizes then grow
    /// geometrically, so a fact is rewritten a logarithmic number of times.
    fn fold_runs(&self, writes: &mut Vec<LayerWrite>) {
        // Every layer with logged runs gets a write, so that the runs become a file.
        for (i, rel) in self.rels.iter().enumerate() {
            for (layer, runs) in [(ASSERTED, &rel.asserted_runs), (DERIVED, &rel.derived_runs)] {
                let has = writes.iter().any(|w| w.rel == i && w.layer == layer);
                if !has && runs.iter().any(|r| r.is_logged()) {
                    writes.push(LayerWrite::new(i, layer, false));
                }
            }
        }
        for w in writes.iter_mut().filter(|w| !w.replace) {
            let rel = &self.rels[w.rel];
            let runs = if w.layer == ASSERTED {
                &rel.asserted_runs
            } else {
                &rel.derived_runs
            };
            let logged = runs.iter().rev().take_while(|r| r.is_logged()).count();
            let empty = w.rows.is_empty() && w.removed.is_empty();
            if logged == 0 && (empty || runs.len() < MAX_RUNS) {
                continue;
            }
            let k = if runs.len() >= MAX_RUNS {
                logged.max(FOLD).min(runs.len())
            } else {
                logged
            };
            let mut map = std::collections::BTreeMap::new();
            for r in &runs[runs.len() - k..] {
                r.fold_into(rel.types.len(), &mut map);
            }
            for key in w.removed.drain(..) {
                map.insert(key, None);
            }
            for (key, m) in w.rows.drain(..) {
                map.insert(key, Some(m));
            }
            let from_first = k == runs.len();
            for (key, m) in map {
                match m {
                    Some(m) => w.rows.push((key, m)),
                    // Nothing earlier can hold a key when the run starts the layer.
                    None if !from_first => w.removed.push(key),
                    None => {}
                }
            }
            w.replaces_last = k;
            w.replaces_files = k - logged;
        }
    }

    /// Makes a commit durable: as one record appended to the commit log when it only
    /// changes facts, else (and every [`CHECKPOINT_RECORDS`] records) as a checkpoint that
    /// writes run files and a new manifest.
    fn persist(&mut self, writes: Vec<LayerWrite>) -> Result<(), Error> {
        let Some(dir) = self.dir.clone() else {
            self.strings.commit_in_memory();
            self.manifest.generation += 1;
            return Ok(());
        };
        let small = !self.rules_changed
            && !self.manifest_dirty
            && !self.compact_strings
            && self.log_file.is_some()
            && self.log_records < CHECKPOINT_RECORDS
            && self.log_len < CHECKPOINT_BYTES
            && writes.iter().all(|w| !w.replace);
        if small {
            self.append_log(&dir, writes)
        } else {
            self.checkpoint(&dir, writes)
        }
    }

    /// Appends the commit to the log.
    fn append_log(&mut self, dir: &std::path::Path, writes: Vec<LayerWrite>) -> Result<(), Error> {
        let (first_string, strings) = self.strings.pending();
        let mut runs = Vec::new();
        let mut at = Vec::new();
        for w in writes {
            if w.rows.is_empty() && w.removed.is_empty() {
                continue;
            }
            let rows: Vec<(&[u64], FactMeta)> =
                w.rows.iter().map(|(k, m)| (k.as_slice(), *m)).collect();
            let removed: Vec<&[u64]> = w.removed.iter().map(Vec::as_slice).collect();
            let name = &self.manifest.relations[w.rel].name;
            runs.push(FactRun::build(
                name,
                w.layer,
                &self.rels[w.rel].types,
                rows,
                removed,
            ));
            at.push((w.rel, w.layer));
        }
        let record = LogRecord {
            generation: self.generation() + 1,
            first_string,
            strings,
            runs,
        };
        let path = dir.join(self.manifest.wal.as_deref().expect("a log is open"));
        let file = self.log_file.as_mut().expect("a log is open");
        let (rec, bytes) = log::append(file, &path, &record)?;
        self.log_records += 1;
        self.log_len += bytes;
        self.strings.commit_logged();
        for (j, (rel, layer)) in at.into_iter().enumerate() {
            let run = MappedFacts::logged(&path, rec.clone(), j, &self.rels[rel].types)?;
            match layer {
                ASSERTED => self.rels[rel].asserted_runs.push(run),
                _ => self.rels[rel].derived_runs.push(run),
            }
        }
        Ok(())
    }

    /// Writes the new runs (with the logged ones) as files, then the manifest that names
    /// them and a new, empty log; then removes dead files.
    fn checkpoint(
        &mut self,
        dir: &std::path::Path,
        mut writes: Vec<LayerWrite>,
    ) -> Result<(), Error> {
        let dir = dir.to_path_buf();
        self.fold_runs(&mut writes);
        let mut m = self.manifest.clone();
        m.generation += 1;
        // Every new file of the commit, written then made durable together.
        let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
        if self.rules_changed {
            m.rules = Vec::new();
            for r in &self.rules {
                let old = self
                    .manifest
                    .rules
                    .iter()
                    .find(|e| e.name == r.name)
                    .filter(|e| self.rules_unchanged(&dir, e, r));
                let file = match old {
                    Some(e) => e.file.clone(),
                    None => {
                        let f = fresh_file(&mut m, &dir, "rules");
                        let bytes = file::envelope(Kind::Rules, r.text.as_bytes());
                        files.push((dir.join(&f), bytes));
                        f
                    }
                };
                m.rules.push(RulesEntry {
                    name: r.name.clone(),
                    file,
                });
            }
        }
        let mut new_strings = None;
        let merge = self.compact_strings && self.strings.disk().0 > 1;
        if merge {
            m.strings.clear();
        }
        // A long list of string runs folds its newest ones into the pending run.
        let pending = self.strings.unwritten_run();
        let fold = if !merge && pending.is_some() && self.strings.run_count() >= MAX_RUNS {
            FOLD
        } else {
            0
        };
        let run = if merge {
            Some(self.strings.all_run())
        } else if fold > 0 {
            m.strings.truncate(m.strings.len() - fold);
            self.strings.tail_run(fold)
        } else {
            pending
        };
        if let Some(run) = run {
            let f = fresh_file(&mut m, &dir, "str");
            let bytes = rkyv::to_bytes::<rkyv::rancor::BoxedError>(&run)
                .expect("archiving plain vectors cannot fail");
            files.push((dir.join(&f), file::envelope(Kind::Strings, &bytes)));
            let count = run.offsets.len() as u32 - 1;
            m.strings.push(StringsEntry {
                file: f.clone(),
                first: run.first,
                count,
            });
            new_strings = Some((f, run.first, count));
        }
        let mut opened = Vec::new();
        let mut emptied = Vec::new();
        let mut dropped = Vec::new();
        for w in writes {
            if w.rows.is_empty() && w.removed.is_empty() {
                if w.replaces_last > 0 {
                    // Folded runs that cancel out: drop them, write nothing.
                    let entry = &mut m.relations[w.rel];
                    let list = match w.layer {
                        ASSERTED => &mut entry.asserted,
                        _ => &mut entry.derived,
                    };
                    list.truncate(list.len() - w.replaces_files);
                    dropped.push((w.rel, w.layer, w.replaces_last));
                    continue;
                }
                if w.replace {
                    // An empty layer is no runs at all.
                    let entry = &mut m.relations[w.rel];
                    match w.layer {
                        ASSERTED => entry.asserted.clear(),
                        _ => entry.derived.clear(),
                    }
                    emptied.push((w.rel, w.layer));
                }
                continue;
            }
            let entry = &m.relations[w.rel];
            let rows: Vec<(&[u64], FactMeta)> =
                w.rows.iter().map(|(k, m)| (k.as_slice(), *m)).collect();
            let removed: Vec<&[u64]> = w.removed.iter().map(Vec::as_slice).collect();
            let run = FactRun::build(&entry.name, w.layer, &self.rels[w.rel].types, rows, removed);
            let f = fresh_file(&mut m, &dir, "facts");
            files.push((dir.join(&f), file::envelope(Kind::Facts, &run.to_bytes())));
            let entry = &mut m.relations[w.rel];
            let list = if w.layer == ASSERTED {
                &mut entry.asserted
            } else {
                &mut entry.derived
            };
            if w.replace {
                list.clear();
            }
            list.truncate(list.len() - w.replaces_files);
            list.push(f.clone());
            opened.push((w.rel, w.layer, w.replace, w.replaces_last, f));
        }
        m.forget = self.manifest.forget.clone();
        let log_name = fresh_file(&mut m, &dir, "log");
        files.push((dir.join(&log_name), log::header()));
        m.wal = Some(log_name);
        file::write_files(&files)?;
        drop(files);
        file::sync_dir(&dir)?;
        m.write(&dir)?;
        self.rules_changed = false;
        self.manifest_dirty = false;
        self.log_records = 0;
        self.log_len = log::header().len() as u64;
        self.log_file = None;
        // Committed. Map what was written, so that this handle reads the same files.
        for (rel, layer, k) in dropped {
            let runs = match layer {
                ASSERTED => &mut self.rels[rel].asserted_runs,
                _ => &mut self.rels[rel].derived_runs,
            };
            runs.truncate(runs.len() - k);
        }
        for (rel, layer) in emptied {
            match layer {
                ASSERTED => self.rels[rel].asserted_runs.clear(),
                _ => self.rels[rel].derived_runs.clear(),
            }
        }
        for (rel, layer, replace, folded, f) in opened {
            let run = MappedFacts::open(
                &dir.join(&f),
                &m.relations[rel].name,
                layer,
                &self.rels[rel].types,
            )?;
            let runs = if layer == ASSERTED {
                &mut self.rels[rel].asserted_runs
            } else {
                &mut self.rels[rel].derived_runs
            };
            if replace {
                runs.clear();
            }
            runs.truncate(runs.len() - folded);
            runs.push(run);
        }
        if let Some((f, first, count)) = new_strings {
            let run = MappedRun::open(&dir.join(f), first, count)?;
            if merge {
                self.strings.replace_runs(run);
            } else if fold > 0 {
                self.strings.replace_last_runs(fold, run);
            } else {
                self.strings.committed_run(run);
            }
        }
        self.manifest = m;
        remove_dead_files(&dir, &self.manifest);
        let wal = dir.join(self.manifest.wal.as_deref().expect("just named"));
        self.log_file = Some(log::open_for_append(&wal, self.log_len)?);
        Ok(())
    }

    fn rules_unchanged(&self, dir: &std::path::Path, e: &RulesEntry, r: &RuleFile) -> bool {
        let path = dir.join(&e.file);
        std::fs::read(&path).ok().is_some_and(|b| {
            file::open_envelope(&path, &b, Kind::Rules).is_ok_and(|p| p == r.text.as_bytes())
        })
    }
}

/// A commit with more changes than this (and than a quarter of the asserted facts)
/// re-derives everything with the bulk evaluator instead of propagating.
const BULK_CHANGES: usize = 10_000;

/// A checkpoint is due after this many logged commits...
const CHECKPOINT_RECORDS: usize = 1024;
/// ...or this many bytes of log.
const CHECKPOINT_BYTES: u64 = 8 << 20;

/// A layer with this many runs folds its newest ones into the next write.
const MAX_RUNS: usize = 8;
/// How many runs a fold takes in.
const FOLD: usize = 4;

/// A new file name that no file in `dir` has (a writer killed mid-commit can leave a file
/// its manifest never named; it is removed when the next writer starts).
fn fresh_file(m: &mut Manifest, dir: &std::path::Path, ext: &str) -> String {
    loop {
        let f = m.new_file(ext);
        if !dir.join(&f).exists() {
            return f;
        }
    }
}

/// Removes files the manifest no longer names, unless a reader still has one mapped (it
/// holds a shared lock); such a file goes at a later commit.
pub(crate) fn remove_dead_files(dir: &std::path::Path, manifest: &Manifest) {
    let live: std::collections::HashSet<&str> = manifest.files().collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = [".str", ".facts", ".rules", ".log", ".tmp"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if !ours || live.contains(name) || name == "MANIFEST.tmp" {
            continue;
        }
        let path = entry.path();
        let Ok(f) = std::fs::File::open(&path) else {
            continue;
        };
        if f.try_lock().is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// One run to write: rows set and keys removed in one layer of one relation.
struct LayerWrite {
    rel: usize,
    layer: u8,
    /// The run replaces the layer's runs (it holds the whole layer).
    replace: bool,
    /// The run replaces this many of the layer's newest runs (it holds their changes too)...
    replaces_last: usize,
    /// ...of which this many are run files (the others are logged runs).
    replaces_files: usize,
    rows: Vec<(Vec<u64>, FactMeta)>,
    removed: Vec<Vec<u64>>,
}

impl LayerWrite {
    fn new(rel: usize, layer: u8, replace: bool) -> LayerWrite {
        LayerWrite {
            rel,
            layer,
            replace,
            replaces_last: 0,
            replaces_files: 0,
            rows: Vec::new(),
            removed: Vec::new(),
        }
    }
}

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
            w.rows.push((key.to_vec(), m));
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

fn check_values(relation: &str, types: &[ColumnType], values: &[Value]) -> Result<(), Error> {
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
    for (v, t) in values.iter().zip(types) {
        if v.column_type() != *t {
            return err(format!("value `{v}` is not a {t}"));
        }
    }
    Ok(())
}

impl Transaction<'_> {
    /// The column types of a relation (see [`Store::relation_types`]).
    pub fn relation_types(&mut self, name: &str) -> Result<Option<Vec<ColumnType>>, Error> {
        self.store.relation_types(name)
    }

    /// Asserts a fact with confidence 1, timed now.
    pub fn add(&mut self, relation: &str, values: Vec<Value>) -> Result<&mut Self, Error> {
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
    ) -> Result<&mut Self, Error> {
        if !(confidence > 0.0 && confidence <= 1.0) {
            return Err(Error::Value {
                relation: relation.to_string(),
                message: format!("confidence {confidence} is not in (0, 1]"),
            });
        }
        if let Some(types) = self.store.relation_types(relation)? {
            check_values(relation, &types, &values)?;
        }
        self.ops.push(Op::Add {
            relation: relation.to_string(),
            values,
            confidence,
            time,
        });
        Ok(self)
    }

    /// Asserts facts written as Datalog, each with its `@ c` confidence if given:
    /// `edge("a", "b") @ 0.8. edge("b", "c").` Returns how many.
    pub fn add_text(&mut self, text: &str) -> Result<usize, Error> {
        let written = facts::parse(text, "<facts>")?;
        for f in &written {
            let types = match self.store.relation_types(&f.relation)? {
                Some(t) => t,
                None => f.inferred_types()?,
            };
            let values = f.values(&types)?;
            self.add_with(&f.relation, values, f.confidence.unwrap_or(1.0), None)?;
        }
        Ok(written.len())
    }

    /// Retracts an asserted fact (nothing happens if it is not asserted). Facts derived
    /// from it go unless something else still supports them.
    pub fn retract(&mut self, relation: &str, values: Vec<Value>) -> Result<&mut Self, Error> {
        if let Some(types) = self.store.relation_types(relation)? {
            check_values(relation, &types, &values)?;
        }
        self.ops.push(Op::Retract {
            relation: relation.to_string(),
            values,
        });
        Ok(self)
    }

    /// Retracts facts written as Datalog. Returns how many were named.
    pub fn retract_text(&mut self, text: &str) -> Result<usize, Error> {
        let written = facts::parse(text, "<facts>")?;
        for f in &written {
            let types = match self.store.relation_types(&f.relation)? {
                Some(t) => t,
                None => f.inferred_types()?,
            };
            let values = f.values(&types)?;
            self.retract(&f.relation, values)?;
        }
        Ok(written.len())
    }

    /// Applies the transaction: infers, writes, and makes it visible atomically.
    pub fn commit(self) -> Result<CommitReport, Error> {
        self.store.commit_changes(self.ops, false)
    }
}
