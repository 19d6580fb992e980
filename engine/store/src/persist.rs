//! Making commits durable: a log record for a commit that only changes facts, else a
//! checkpoint that writes run files (folding the logged and the newest runs in) and a new
//! manifest; and compaction, which rewrites every layer as one run.

use super::file::{self, Kind};
use super::grams::{self, GramRun};
use super::log::{self, LogRecord};
use super::manifest::{Manifest, RecordsEntry, RulesEntry, StringsEntry};
use super::records::RecordRun;
use super::segment::{FactRun, MappedFacts, OrderRun, orders_file};
use super::storage::Storage;
use super::strings::MappedRun;
use super::terms::TermRun;
use super::{ASSERTED, DERIVED, Store};
use crate::Error;
use crate::error::StoreError;
use engram_core::Source;
use engram_core::internal::incremental::table::FactMeta;

impl Store {
    /// The run a write makes.
    fn run_of(&self, w: &LayerWrite) -> FactRun {
        let (name, types) = (
            &self.files.manifest.relations[w.rel].name,
            &self.files.rels[w.rel].types,
        );
        match (w.whole_table, &self.files.rels[w.rel].derived) {
            (true, Some(t)) => FactRun::from_table(name, w.layer, types, t),
            _ => w.run(name, types),
        }
    }

    /// The facts a write sets or removes.
    fn write_len(&self, w: &LayerWrite) -> usize {
        let rows = match (w.whole_table, &self.files.rels[w.rel].derived) {
            (true, Some(t)) => t.len(),
            _ => w.rows.len(),
        };
        rows + w.removed.len()
    }

    /// Rewrites every layer with more than one run (or with removals) as one sorted run, and
    /// the string runs as one, and the record runs.
    pub(crate) fn rewrite_all(&mut self) -> Result<(), Error> {
        self.drop_view();
        let mut writes = Vec::new();
        for i in 0..self.files.rels.len() {
            let layers = [
                (ASSERTED, &self.files.rels[i].asserted_runs),
                (DERIVED, &self.files.rels[i].derived_runs),
            ];
            let mut todo = Vec::new();
            for (layer, runs) in layers {
                if runs.len() > 1 || runs.iter().any(|r| r.removed_rows() > 0) {
                    todo.push(layer);
                }
            }
            for layer in todo {
                let table = if layer == ASSERTED {
                    self.asserted(i)?.clone()
                } else {
                    self.load_derived(i)?
                };
                let mut w = LayerWrite::new(i, layer, true);
                for (k, m) in table.iter() {
                    w.rows.push(&k, m);
                }
                writes.push(w);
            }
        }
        self.writer.compact_strings = true;
        let r = self.persist(writes);
        self.writer.compact_strings = false;
        r
    }

    /// The first damage found by a read of a writer's table that could not fail (reading
    /// its oldest run in place), as an error naming the run's file.
    pub(crate) fn check_damage(&self) -> Result<(), StoreError> {
        let runs =
            (self.files.rels.iter()).flat_map(|r| r.asserted_runs.iter().chain(&r.derived_runs));
        super::segment::damage_in(runs)
    }

    /// Keeps layers short: a write to a layer that already has [`MAX_RUNS`] runs also takes
    /// in the changes of its [`FOLD`] newest runs and replaces them. Run sizes then grow
    /// geometrically, so a fact is rewritten a logarithmic number of times.
    fn fold_runs(&self, writes: &mut Vec<LayerWrite>) -> Result<(), StoreError> {
        // Every layer with logged runs gets a write, so that the runs become a file.
        for (i, rel) in self.files.rels.iter().enumerate() {
            for (layer, runs) in [(ASSERTED, &rel.asserted_runs), (DERIVED, &rel.derived_runs)] {
                let has = writes.iter().any(|w| w.rel == i && w.layer == layer);
                if !has && runs.iter().any(|r| r.is_logged()) {
                    writes.push(LayerWrite::new(i, layer, false));
                }
            }
        }
        for w in writes.iter_mut().filter(|w| !w.replace && !w.whole_table) {
            let rel = &self.files.rels[w.rel];
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
                r.fold_into(rel.types.len(), &mut map)?;
            }
            for key in w.removed.drain(..) {
                map.insert(key, None);
            }
            for (key, m) in std::mem::take(&mut w.rows).iter() {
                map.insert(key.to_vec(), Some(m));
            }
            let from_first = k == runs.len();
            for (key, m) in map {
                match m {
                    Some(m) => w.rows.push(&key, m),
                    // Nothing earlier can hold a key when the run starts the layer.
                    None if !from_first => w.removed.push(key),
                    None => {}
                }
            }
            w.replaces_last = k;
            w.replaces_files = k - logged;
        }
        Ok(())
    }

    /// Makes a commit durable: as one record appended to the commit log when it only
    /// changes facts, and fewer than [`CHECKPOINT_FACTS`], else (and every
    /// [`CHECKPOINT_RECORDS`] records) as a checkpoint that writes run files and a new
    /// manifest.
    pub(crate) fn persist(&mut self, writes: Vec<LayerWrite>) -> Result<(), Error> {
        // What was computed from a damaged run is not made durable.
        self.check_damage()?;
        let (string_bytes, longest) = self.files.strings.pending_bytes();
        if longest > crate::strings::RUN_BYTES {
            return Err(super::error::StoreError::Invalid(format!(
                "a symbol of {longest} bytes: a store holds symbols of at most 4 GiB"
            ))
            .into());
        }
        // A commit that made records, or changed their types, writes them as a run file.
        let records = self.files.strings.records();
        let records_logged = records.len() as u64 == self.files.strings.committed_records()
            && records.types() == &self.files.manifest.record_types[..];
        let small = string_bytes < CHECKPOINT_BYTES as usize
            && records_logged
            && !self.writer.rules_changed
            && !self.writer.manifest_dirty
            && !self.writer.compact_strings
            && self.writer.log_file.is_some()
            && self.files.log_records < CHECKPOINT_RECORDS
            && self.files.log_len < CHECKPOINT_BYTES
            && writes.iter().all(|w| !w.replace)
            && writes.iter().map(|w| self.write_len(w)).sum::<usize>() < CHECKPOINT_FACTS;
        if small {
            self.append_log(writes)
        } else {
            self.checkpoint(writes)
        }
    }

    /// Appends the commit to the log.
    fn append_log(&mut self, writes: Vec<LayerWrite>) -> Result<(), Error> {
        let (first_string, strings) = self.files.strings.pending();
        let mut runs = Vec::new();
        let mut at = Vec::new();
        for w in writes {
            if self.write_len(&w) == 0 {
                continue;
            }
            runs.push(self.run_of(&w));
            at.push((w.rel, w.layer));
        }
        let record = LogRecord {
            generation: self.generation() + 1,
            first_string,
            strings,
            runs,
        };
        let wal = self.files.manifest.wal.clone().expect("a log is open");
        let path = (self.files.storage).path(&wal);
        let (framed, rec) = log::frame(&path, &record)?;
        match &mut self.writer.held {
            Some(held) => held.extend_from_slice(&framed),
            None => {
                let file = self.writer.log_file.as_mut().expect("a log is open");
                log::append(&mut **file, &path, &framed)?;
            }
        }
        self.files.log_records += 1;
        self.files.log_len += framed.len() as u64;
        if self.writer.held.is_none() {
            log::note_committed(&*self.files.storage, &wal, self.files.log_len);
        }
        self.files.strings.commit_logged();
        for (j, (rel, layer)) in at.into_iter().enumerate() {
            let symbols = self.files.strings.committed();
            let run =
                MappedFacts::logged(&path, rec.clone(), j, &self.files.rels[rel].types, symbols)?;
            match layer {
                ASSERTED => self.files.rels[rel].asserted_runs.push(run),
                _ => self.files.rels[rel].derived_runs.push(run),
            }
        }
        Ok(())
    }

    /// Writes the new runs (with the logged ones) as files, then the manifest that names
    /// them and a new, empty log; then removes dead files.
    fn checkpoint(&mut self, mut writes: Vec<LayerWrite>) -> Result<(), Error> {
        // The commits held back go to the log first, so that a checkpoint that fails leaves
        // them durable in the log it read them from.
        self.write_held()?;
        let storage = self.files.storage.clone();
        let st = &*storage;
        self.fold_runs(&mut writes)?;
        let mut cp = Checkpoint {
            m: self.files.manifest.clone(),
            files: file::NewFiles::default(),
            strings: Vec::new(),
            merge: false,
            fold: 0,
            opened: Vec::new(),
            emptied: Vec::new(),
            dropped: Vec::new(),
        };
        // After the logged commits (each counted in `generation()`), not the manifest's own.
        cp.m.generation = self.generation() + 1;
        if self.writer.rules_changed {
            self.write_rule_files(&mut cp, st)?;
        }
        self.write_string_runs(&mut cp, st)?;
        self.write_record_run(&mut cp, st)?;
        for w in writes {
            self.write_fact_run(&mut cp, st, w)?;
        }
        cp.m.forget = self.files.manifest.forget.clone();
        // Counts only of the runs the new manifest names.
        let live: std::collections::HashSet<String> = cp.m.files().map(str::to_string).collect();
        cp.m.derived_rows.retain(|f, _| live.contains(f));
        let log_name = fresh_file(&mut cp.m, st, "log");
        cp.files.write_raw(st, &log_name, &log::header())?;
        cp.m.wal = Some(log_name);
        std::mem::take(&mut cp.files).sync()?;
        file::sync_dir(st)?;
        cp.m.write(st)?;
        self.writer.rules_changed = false;
        self.writer.manifest_dirty = false;
        self.files.log_records = 0;
        self.files.log_len = log::header().len() as u64;
        self.writer.log_file = None;
        // Committed. Map what was written, so that this handle reads the same files.
        self.map_checkpoint(cp, st)?;
        remove_dead_files(st, &self.files.manifest);
        let wal = self.files.manifest.wal.as_deref().expect("just named");
        self.writer.log_file = Some(log::open_for_append(st, wal, self.files.log_len)?);
        Ok(())
    }

    /// The rule files, each written anew unless the file the manifest names holds its text.
    fn write_rule_files(&self, cp: &mut Checkpoint, st: &dyn Storage) -> Result<(), Error> {
        cp.m.rules = Vec::new();
        for r in &self.files.rules {
            let old = (self.files.manifest.rules.iter())
                .find(|e| e.name == r.name)
                .filter(|e| self.rules_unchanged(e, r));
            let file = match old {
                Some(e) => e.file.clone(),
                None => {
                    let f = fresh_file(&mut cp.m, st, "rules");
                    cp.files.write(st, &f, Kind::Rules, r.text.as_bytes())?;
                    f
                }
            };
            cp.m.rules.push(RulesEntry {
                name: r.name.clone(),
                file,
            });
        }
        Ok(())
    }

    /// The strings interned since the last checkpoint as a run file; with a compaction all
    /// the strings as one, and past [`MAX_RUNS`] runs the newest folded into the new one.
    fn write_string_runs(&mut self, cp: &mut Checkpoint, st: &dyn Storage) -> Result<(), Error> {
        cp.merge = self.writer.compact_strings && self.files.strings.disk().0 > 1;
        if cp.merge {
            cp.m.strings.clear();
        }
        // A long list of string runs folds its newest ones into the pending run.
        let pending = self.files.strings.unwritten_run();
        let long = self.files.strings.run_count() >= MAX_RUNS;
        cp.fold = if !cp.merge && pending.is_some() && long {
            FOLD
        } else {
            0
        };
        let run = if cp.merge {
            Some(self.files.strings.all_run())
        } else if cp.fold > 0 {
            cp.m.strings.truncate(cp.m.strings.len() - cp.fold);
            self.files.strings.tail_run(cp.fold)
        } else {
            pending
        };
        for run in run.into_iter().flatten() {
            // A name whose trigram file is free too (a crashed checkpoint may have left one).
            let f = loop {
                let f = fresh_file(&mut cp.m, st, "str");
                if !st.exists(&grams::file_of(&f)) {
                    break f;
                }
            };
            let bytes = rkyv::to_bytes::<rkyv::rancor::BoxedError>(&run)
                .expect("archiving plain vectors cannot fail");
            cp.files.write(st, &f, Kind::Strings, &bytes)?;
            // Its trigrams, beside it (a search reads them instead of every string).
            let trigrams = GramRun::build(run.first, || run.strings());
            let bytes = trigrams.to_bytes();
            drop(trigrams);
            cp.files
                .write(st, &grams::file_of(&f), Kind::Grams, &bytes)?;
            // The run's word postings, named beside it.
            let t = fresh_file(&mut cp.m, st, "terms");
            let terms = TermRun::build(run.first, run.strings());
            cp.files.write(st, &t, Kind::Terms, &terms.to_bytes())?;
            let count = run.offsets.len() as u32 - 1;
            cp.m.strings.push(StringsEntry {
                file: f.clone(),
                first: run.first,
                count,
                terms: Some(t.clone()),
            });
            cp.strings.push((f, run.first, count, t));
        }
        Ok(())
    }

    /// The records made since the last checkpoint as a run file (with a compaction all of
    /// them as one), and the record types.
    fn write_record_run(&mut self, cp: &mut Checkpoint, st: &dyn Storage) -> Result<(), Error> {
        let merge = self.writer.compact_strings && cp.m.records.len() > 1;
        let first = match merge {
            true => 1,
            false => self.files.strings.committed_records() + 1,
        };
        let records = self.files.strings.records();
        cp.m.record_types = records.types().to_vec();
        let Some(run) = RecordRun::since(records, first) else {
            return Ok(());
        };
        if !run.fits() {
            return Err(StoreError::Invalid(format!(
                "records of {} field values in one commit: a record run holds at most 2^32",
                run.fields.len()
            ))
            .into());
        }
        if merge {
            cp.m.records.clear();
        }
        let f = fresh_file(&mut cp.m, st, "rec");
        cp.files.write(st, &f, Kind::Records, &run.to_bytes())?;
        let count = run.offsets.len() as u64 - 1;
        cp.m.records.push(RecordsEntry {
            file: f,
            first,
            count,
        });
        Ok(())
    }

    /// One layer's run as a file, named in the new manifest in place of what it replaces.
    fn write_fact_run(
        &self,
        cp: &mut Checkpoint,
        st: &dyn Storage,
        w: LayerWrite,
    ) -> Result<(), Error> {
        let entry = &mut cp.m.relations[w.rel];
        let list = match w.layer {
            ASSERTED => &mut entry.asserted,
            _ => &mut entry.derived,
        };
        if self.write_len(&w) == 0 {
            if w.replaces_last > 0 {
                // Folded runs that cancel out: drop them, write nothing.
                list.truncate(list.len() - w.replaces_files);
                cp.dropped.push((w.rel, w.layer, w.replaces_last));
            } else if w.replace {
                // An empty layer is no runs at all.
                list.clear();
                cp.emptied.push((w.rel, w.layer));
            }
            return Ok(());
        }
        let run = self.run_of(&w);
        // A name whose orders file is free too (a crashed checkpoint may have left one).
        let f = loop {
            let f = fresh_file(&mut cp.m, st, "facts");
            if !st.exists(&orders_file(&f)) {
                break f;
            }
        };
        cp.files.write(st, &f, Kind::Facts, &run.to_bytes())?;
        let derived = super::segment::derived_in(&run.depth_rule);
        cp.m.derived_rows.insert(f.clone(), derived as u64);
        // A large run's orders by its other columns, beside it (a writer's table searches
        // them instead of sorting the run).
        if let Some(orders) = OrderRun::build(&run, self.settings.orders_min_rows) {
            drop(run);
            cp.files
                .write(st, &orders_file(&f), Kind::Orders, &orders.to_bytes())?;
        }
        let entry = &mut cp.m.relations[w.rel];
        let list = match w.layer {
            ASSERTED => &mut entry.asserted,
            _ => &mut entry.derived,
        };
        if w.replace {
            list.clear();
        }
        list.truncate(list.len() - w.replaces_files);
        list.push(f.clone());
        cp.opened
            .push((w.rel, w.layer, w.replace, w.replaces_last, f));
        Ok(())
    }

    /// Maps what a committed checkpoint wrote, so that this handle reads the same files as a
    /// reader opening the new manifest, and takes the manifest.
    fn map_checkpoint(&mut self, cp: Checkpoint, st: &dyn Storage) -> Result<(), Error> {
        fn runs(rel: &mut super::Rel, layer: u8) -> &mut Vec<MappedFacts> {
            match layer {
                ASSERTED => &mut rel.asserted_runs,
                _ => &mut rel.derived_runs,
            }
        }
        for (rel, layer, k) in cp.dropped {
            let runs = runs(&mut self.files.rels[rel], layer);
            runs.truncate(runs.len() - k);
        }
        for (rel, layer) in cp.emptied {
            runs(&mut self.files.rels[rel], layer).clear();
        }
        for (rel, layer, replace, folded, f) in cp.opened {
            let symbols = self.files.strings.interner().len() as u32;
            let types = &self.files.rels[rel].types;
            let run = MappedFacts::open(st, &f, &cp.m.relations[rel].name, layer, types, symbols)?
                .with_derived_rows(cp.m.derived_rows.get(&f).copied());
            let runs = runs(&mut self.files.rels[rel], layer);
            if replace {
                runs.clear();
            }
            runs.truncate(runs.len() - folded);
            runs.push(run);
        }
        if !cp.strings.is_empty() {
            let runs = (cp.strings.into_iter())
                .map(|(f, first, count, t)| MappedRun::open(st, &f, first, count, Some(&t)))
                .collect::<Result<Vec<_>, _>>()?;
            if cp.merge {
                self.files.strings.replace_runs(runs);
            } else if cp.fold > 0 {
                self.files.strings.replace_last_runs(cp.fold, runs);
            } else {
                self.files.strings.committed_run(runs);
            }
        }
        self.files.strings.commit_records();
        self.files.manifest = cp.m;
        Ok(())
    }

    fn rules_unchanged(&self, e: &RulesEntry, r: &Source) -> bool {
        let path = self.files.storage.path(&e.file);
        self.files.storage.read(&e.file).ok().is_some_and(|b| {
            file::open_envelope(&path, &b, Kind::Rules).is_ok_and(|p| p == r.text.as_bytes())
        })
    }
}

/// A checkpoint being written: the manifest that will name its files, the files, and what
/// the handle must map once it is committed.
struct Checkpoint {
    m: Manifest,
    files: file::NewFiles,
    /// New string runs: file, first id, count, postings file.
    strings: Vec<(String, u32, u32, String)>,
    /// The string runs were merged into one (a compaction)...
    merge: bool,
    /// ...or this many of the newest folded into the new one.
    fold: usize,
    /// Runs written: relation, layer, whether it replaces the layer, runs it folds in, file.
    opened: Vec<(usize, u8, bool, usize, String)>,
    /// Layers now empty.
    emptied: Vec<(usize, u8)>,
    /// Folded runs that cancelled out: relation, layer, how many.
    dropped: Vec<(usize, u8, usize)>,
}

/// A checkpoint is due after this many logged commits...
const CHECKPOINT_RECORDS: usize = 1024;
/// ...or this many bytes of log.
const CHECKPOINT_BYTES: u64 = 8 << 20;
/// A commit that changes this many facts is written as a checkpoint (runs and a manifest)
/// rather than logged: a bulk load's facts are written once, as runs, and no reader ever
/// replays them from the log.
const CHECKPOINT_FACTS: usize = 1 << 16;

/// A layer with this many runs folds its newest ones into the next write.
const MAX_RUNS: usize = 8;
/// How many runs a fold takes in.
const FOLD: usize = 4;

/// A new file name that no file of the store has (a writer killed mid-commit can leave a
/// file its manifest never named; it is removed when the next writer starts).
fn fresh_file(m: &mut Manifest, storage: &dyn Storage, ext: &str) -> String {
    loop {
        let f = m.new_file(ext);
        if !storage.exists(&f) {
            return f;
        }
    }
}

/// Removes files the manifest no longer names. A reader that still maps one keeps reading it
/// (a mapping outlives its file's deletion); one that read an older manifest and finds a file
/// gone reads the new manifest (`Store::load`). Where a mapped file cannot be deleted, it goes
/// at a later commit.
pub(crate) fn remove_dead_files(storage: &dyn Storage, manifest: &Manifest) {
    let live: std::collections::HashSet<&str> = manifest.files().collect();
    let Ok(names) = storage.list() else {
        return;
    };
    for name in &names {
        let name = name.as_str();
        let ours = [
            ".str", ".terms", ".grams", ".facts", ".ord", ".rules", ".log", ".tmp", ".rec",
        ]
        .iter()
        .any(|ext| name.ends_with(ext));
        // An orders file lives as long as its run, a trigram file as its strings.
        let run_live = (name.strip_suffix(".ord"))
            .is_some_and(|stem| live.contains(format!("{stem}.facts").as_str()))
            || (name.strip_suffix(".grams"))
                .is_some_and(|stem| live.contains(format!("{stem}.str").as_str()));
        if !ours || live.contains(name) || run_live || name == "MANIFEST.tmp" {
            continue;
        }
        let _ = storage.remove(name);
    }
}

/// One run to write: rows set and keys removed in one layer of one relation.
pub(crate) struct LayerWrite {
    pub(crate) rel: usize,
    pub(crate) layer: u8,
    /// The run replaces the layer's runs (it holds the whole layer).
    pub(crate) replace: bool,
    /// The run replaces this many of the layer's newest runs (it holds their changes too)...
    replaces_last: usize,
    /// ...of which this many are run files (the others are logged runs).
    replaces_files: usize,
    pub(crate) rows: KeyedRows,
    pub(crate) removed: Vec<Vec<u64>>,
    /// The rows are the relation's derived table, all of it, written from the table (a
    /// layer that had no runs; `rows` stays empty).
    pub(crate) whole_table: bool,
}

/// Facts to write: keys flat, one metadata each. No allocation per fact.
#[derive(Default)]
pub(crate) struct KeyedRows {
    arity: usize,
    keys: Vec<u64>,
    metas: Vec<FactMeta>,
}

impl KeyedRows {
    /// Adds a fact (every key of one write has the same length).
    pub(crate) fn push(&mut self, key: &[u64], m: FactMeta) {
        if self.metas.is_empty() {
            self.arity = key.len();
        }
        debug_assert_eq!(key.len(), self.arity);
        self.keys.extend_from_slice(key);
        self.metas.push(m);
    }
    /// Number of facts.
    pub(crate) fn len(&self) -> usize {
        self.metas.len()
    }
    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }
    /// Fact `i`'s key.
    pub(crate) fn key(&self, i: usize) -> &[u64] {
        &self.keys[i * self.arity..(i + 1) * self.arity]
    }
    /// Fact `i`'s metadata.
    pub(crate) fn meta(&self, i: usize) -> FactMeta {
        self.metas[i]
    }
    /// Every fact, in the order added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u64], FactMeta)> + '_ {
        (0..self.len()).map(|i| (self.key(i), self.metas[i]))
    }
}

impl LayerWrite {
    /// The run holding this write's rows and removed keys.
    fn run(&self, relation: &str, types: &[engram_core::internal::value::ColumnType]) -> FactRun {
        let removed: Vec<&[u64]> = self.removed.iter().map(Vec::as_slice).collect();
        FactRun::build(relation, self.layer, types, &self.rows, removed)
    }

    pub(crate) fn new(rel: usize, layer: u8, replace: bool) -> LayerWrite {
        LayerWrite {
            rel,
            layer,
            replace,
            replaces_last: 0,
            replaces_files: 0,
            rows: KeyedRows::default(),
            removed: Vec::new(),
            whole_table: false,
        }
    }
}
