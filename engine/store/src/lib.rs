//! The persistent memory store (DESIGN §6): a directory of immutable files, named by an
//! atomically replaced manifest, holding interned strings, rule files, and each relation's
//! asserted and derived facts as memory-mapped rkyv columns.
//!
//! ```text
//! engram.db/
//!   MANIFEST            what is live: runs, rule files, forgetting policy (JSON, checksummed)
//!   LOCK                the writer lock; holds the writer's pid
//!   00000001.str        a run of interned strings (ids first..first+count)
//!   00000002.rules      a rule file's text
//!   00000003.facts      a run of one relation's facts (one layer), sorted columns
//! ```
//!
//! One process writes at a time; any number read, and keep reading what they opened while a
//! writer commits. See `docs/format.md` for the byte layout.

mod commit;
mod error;
#[doc(hidden)]
pub mod faults;
mod file;
mod lock;
mod log;
mod manifest;
#[allow(unsafe_code)]
mod mmap;
mod persist;
mod program;
mod segment;
mod storage;
mod strings;
mod tsv;
mod view;

pub use commit::{CommitReport, Transaction};

use error::{Error, StoreError};
pub use error::{OpenError, ReadError, WriteError};
pub use manifest::ForgetPolicy;
pub use storage::{Storage, StorageFile};

use engram_core::Source;
pub use view::{CleanupReport, CompactReport, RelationStats, StoreStats};

use engram_core::Database;
use engram_core::internal::incremental::table::Table;
use engram_core::internal::plan::ir::Plan;
use engram_core::internal::value::ColumnType;
use file::Kind;
use lock::WriterLock;
use manifest::{MANIFEST, Manifest};
use rayon::prelude::*;
use segment::MappedFacts;
use std::path::Path;
use std::sync::Arc;
use storage::{FileStorage, MemoryStorage};
use strings::{MappedRun, Strings};

/// The layer of asserted facts.
pub(crate) const ASSERTED: u8 = 0;
/// The layer of a relation's contents after inference.
pub(crate) const DERIVED: u8 = 1;

/// An engram store: a long-lived memory of facts and rules, on disk or in memory.
///
/// ```
/// use engram_store::Store;
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut store = Store::create(dir.path().join("memory.db"))?;
/// store.add_rules(
///     "paths",
///     r#"
///     .decl edge(x: symbol, y: symbol)
///     .decl path(x: symbol, y: symbol)
///     path(x, y) :- edge(x, y).
///     @name("transitive") path(x, z) :- edge(x, y), path(y, z).
///     "#,
/// )?;
/// let mut tx = store.transaction()?;
/// tx.add_text(r#"edge("a", "b") @ 0.9. edge("b", "c")."#)?;
/// tx.commit()?;
///
/// let answers = store.query(r#"?- path("a", x)."#)?;
/// assert_eq!(answers[0].answers.len(), 2);
/// let proof = store.explain(r#"path("a", "c")"#)?.expect("derived");
/// assert_eq!(proof.rule, "transitive");
///
/// let mut tx = store.transaction()?;
/// tx.retract_text(r#"edge("b", "c")"#)?;
/// tx.commit()?;
/// assert_eq!(store.query(r#"?- path("a", x)."#)?[0].answers.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Store {
    /// Where its files are: a directory, or memory.
    storage: Arc<dyn Storage>,
    read_only: bool,
    lock: Option<WriterLock>,
    manifest: Manifest,
    strings: Strings,
    rules: Vec<Source>,
    rels: Vec<Rel>,
    /// Each relation's index in `manifest.relations` and `rels`, by name.
    names: rustc_hash::FxHashMap<String, usize>,
    /// The planned program (its interner moved out to `strings`); built on first need.
    plan: Option<Arc<Plan>>,
    /// The facts as a database for queries and proofs (holds the interner while it exists).
    view: Option<Database>,
    /// Which relations the view has loaded (by plan relation id).
    loaded: Vec<bool>,
    /// The rule files changed since the last commit.
    rules_changed: bool,
    /// The manifest's relations or policies changed since the last commit (so the next one
    /// writes a manifest rather than a log record).
    manifest_dirty: bool,
    /// Records in the commit log after the manifest's state.
    log_records: usize,
    /// Bytes of the log's committed records (with its header).
    log_len: u64,
    /// The log, open for appending (a writer's).
    log_file: Option<Box<dyn StorageFile>>,
    /// The next persist rewrites the string runs as one (compaction).
    compact_strings: bool,
    /// The rule plans of incremental inference, for the program they were compiled from.
    plans: Option<(Arc<Plan>, engram_core::internal::incremental::Plans)>,
    /// What `now()` stands for in this handle's evaluations, when fixed (`--now`).
    now: Option<i64>,
    /// How long a write waits for another process's writer lock.
    lock_wait: std::time::Duration,
    /// Bounds on each commit's inference.
    limits: engram_core::Limits,
}

/// How long a write waits for another process's writer lock unless told otherwise.
pub const DEFAULT_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// One relation's runs and, once loaded, its tables.
pub(crate) struct Rel {
    types: Vec<ColumnType>,
    asserted_runs: Vec<MappedFacts>,
    derived_runs: Vec<MappedFacts>,
    asserted: Option<Table>,
    derived: Option<Table>,
}

impl Rel {
    fn new(types: Vec<ColumnType>) -> Rel {
        Rel {
            asserted: Some(Table::new(&types)),
            derived: Some(Table::new(&types)),
            types,
            asserted_runs: Vec::new(),
            derived_runs: Vec::new(),
        }
    }
}

/// What `Store::load` reads: the state a manifest names, and its log's records.
struct Loaded {
    manifest: Manifest,
    strings: Strings,
    rules: Vec<Source>,
    rels: Vec<Rel>,
    log_records: usize,
    log_len: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("storage", &self.storage)
            .field("generation", &self.manifest.generation)
            .field("relations", &self.rels.len())
            .finish()
    }
}

impl Store {
    /// Creates a new, empty store in `dir` (made if missing) and holds its writer lock.
    pub fn create(dir: impl AsRef<Path>) -> Result<Store, OpenError> {
        Store::create_on(Arc::new(FileStorage::new(dir.as_ref())))
    }

    /// Creates a new, empty store on `storage` (a backend of one's own; [`Store::create`] is
    /// this on a directory) and holds its writer lock.
    pub fn create_on(storage: Arc<dyn Storage>) -> Result<Store, OpenError> {
        let st = &*storage;
        (st.create_place()).map_err(|e| StoreError::io(file::place(st), e))?;
        let lock = WriterLock::acquire(st, DEFAULT_LOCK_WAIT)?;
        if st.exists(MANIFEST) {
            return Err(StoreError::Exists {
                path: file::place(st),
            }
            .into());
        }
        let manifest = Manifest::default();
        manifest.write(st)?;
        let mut store = Store::from_loaded(
            storage,
            false,
            Loaded {
                manifest,
                strings: Strings::default(),
                rules: Vec::new(),
                rels: Vec::new(),
                log_records: 0,
                log_len: 0,
            },
        );
        store.lock = Some(lock);
        Ok(store)
    }

    /// Opens the store in `dir` for reading and writing. Nothing is locked until the first
    /// write, so opening is cheap and readers may open it while another process writes.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store, OpenError> {
        Store::open_on(Arc::new(FileStorage::new(dir.as_ref())))
    }

    /// Opens the store on `storage` for reading and writing ([`Store::open`] is this on a
    /// directory).
    pub fn open_on(storage: Arc<dyn Storage>) -> Result<Store, OpenError> {
        let loaded = Store::load(&*storage)?;
        Ok(Store::from_loaded(storage, false, loaded))
    }

    /// Opens the store in `dir` for reading only: it never takes the writer lock.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Store, OpenError> {
        let storage: Arc<dyn Storage> = Arc::new(FileStorage::new(dir.as_ref()));
        let loaded = Store::load(&*storage)?;
        Ok(Store::from_loaded(storage, true, loaded))
    }

    /// A store that lives in memory only: the same code and API on a backend of memory, gone
    /// with the store.
    pub fn in_memory() -> Store {
        Store::create_on(Arc::new(MemoryStorage::default()))
            .expect("a new memory backend holds no store and never fails an operation")
    }

    fn from_loaded(storage: Arc<dyn Storage>, read_only: bool, l: Loaded) -> Store {
        let names = (l.manifest.relations.iter().enumerate())
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        Store {
            names,
            storage,
            read_only,
            lock: None,
            manifest: l.manifest,
            strings: l.strings,
            rules: l.rules,
            rels: l.rels,
            plan: None,
            view: None,
            loaded: Vec::new(),
            rules_changed: false,
            manifest_dirty: false,
            log_records: l.log_records,
            log_len: l.log_len,
            log_file: None,
            compact_strings: false,
            plans: None,
            now: None,
            lock_wait: DEFAULT_LOCK_WAIT,
            limits: engram_core::Limits::NONE,
        }
    }

    /// Fixes what `now()` stands for in this handle's evaluations (unix milliseconds), for
    /// reproducible runs; `None` goes back to the default: the time of the last `infer` or
    /// `cleanup` (they move it to the current time; other commits keep it).
    pub fn set_now(&mut self, now: Option<i64>) {
        if self.now != now {
            self.now = now;
            self.plan = None;
            self.drop_view();
        }
    }

    /// What `now()` stands for: as fixed, else as of the last full inference, else now.
    fn now(&self) -> i64 {
        self.now
            .or(self.manifest.now)
            .unwrap_or_else(engram_core::internal::value::now_ms)
    }

    /// How long a write waits for the writer lock while another process holds it before it
    /// fails with [`WriteError::Locked`] ([`DEFAULT_LOCK_WAIT`], 10 s, unless set).
    pub fn set_lock_wait(&mut self, wait: std::time::Duration) {
        self.lock_wait = wait;
    }

    /// Gives the writer lock back, so that other processes can write between this handle's
    /// transactions; the next transaction takes it again (waiting as
    /// [`Store::set_lock_wait`] says) and first moves to the latest commit. A long-lived
    /// writer that shares its store (`engram mcp`) calls this after each commit.
    pub fn unlock(&mut self) {
        self.log_file = None;
        self.lock = None;
    }

    /// Takes the writer lock now (waiting as [`Store::set_lock_wait`] says) and moves to the
    /// latest commit, so that what is read before the next transaction commits is what it
    /// changes: a read-then-write that no other process can interleave with. Held until
    /// [`Store::unlock`] or the handle is dropped.
    pub fn lock(&mut self) -> Result<(), WriteError> {
        Ok(self.begin_write()?)
    }

    /// The store's directory (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.storage.dir()
    }

    /// The number of commits made to this store.
    pub fn generation(&self) -> u64 {
        self.manifest.generation + self.log_records as u64
    }

    /// Reads the state the manifest names. A run that vanishes between reading the manifest
    /// and opening it was removed by a writer that committed meanwhile: read again.
    fn load(storage: &dyn Storage) -> Result<Loaded, StoreError> {
        let mut attempts = 0;
        loop {
            let manifest = Manifest::read(storage)?;
            match Store::open_files(storage, &manifest) {
                Ok(l) => return Ok(l),
                Err(StoreError::Io { path, source })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    attempts += 1;
                    let moved = Manifest::read(storage)?.generation != manifest.generation;
                    if !moved || attempts > 20 {
                        return Err(StoreError::corrupt(
                            path,
                            "named by the manifest but missing (deleted?)",
                        ));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn open_files(storage: &dyn Storage, manifest: &Manifest) -> Result<Loaded, StoreError> {
        let mut runs = Vec::new();
        let mut next = 0u32;
        for s in &manifest.strings {
            if s.first != next {
                return Err(StoreError::corrupt(
                    storage.path(MANIFEST),
                    format!(
                        "string run {} starts at id {}, expected {next}",
                        s.file, s.first
                    ),
                ));
            }
            runs.push(MappedRun::open(storage, &s.file, s.first, s.count)?);
            next += s.count;
        }
        let mut rules = Vec::new();
        for r in &manifest.rules {
            let path = storage.path(&r.file);
            let bytes = storage
                .read(&r.file)
                .map_err(|e| StoreError::io(&path, e))?;
            let payload = file::open_envelope(&path, &bytes, Kind::Rules)?;
            let text = String::from_utf8(payload.to_vec())
                .map_err(|_| StoreError::corrupt(&path, "rule text is not valid UTF-8"))?;
            rules.push(Source {
                name: r.name.clone(),
                text,
            });
        }
        // Each run is mapped and validated on its own, so the relations open in parallel
        // (validation reads every key: at 10M facts it is most of the open).
        let mut rels = manifest
            .relations
            .par_iter()
            .map(|entry| {
                let types: Vec<ColumnType> = entry.columns.iter().map(|c| c.1).collect();
                let open = |files: &[String], layer: u8| -> Result<Vec<MappedFacts>, StoreError> {
                    files
                        .par_iter()
                        .map(|f| MappedFacts::open(storage, f, &entry.name, layer, &types, next))
                        .collect()
                };
                Ok(Rel {
                    asserted_runs: open(&entry.asserted, ASSERTED)?,
                    derived_runs: open(&entry.derived, DERIVED)?,
                    types,
                    asserted: None,
                    derived: None,
                })
            })
            .collect::<Result<Vec<Rel>, StoreError>>()?;
        let mut strings = Strings::from_runs(runs);
        let (mut log_records, mut log_len) = (0, 0);
        if let Some(w) = &manifest.wal {
            let path = storage.path(w);
            let committed = log::committed(storage, w);
            let log = log::read(storage, w)?;
            if let Some(c) = committed.filter(|&c| c > log.valid_len) {
                return Err(StoreError::corrupt(
                    &path,
                    format!(
                        "{c} bytes of commit records were committed, but it holds {} readable \
                         bytes: committed records were lost (the file was cut short or \
                         replaced by an older copy)",
                        log.valid_len
                    ),
                ));
            }
            for (k, rec) in log.records.iter().enumerate() {
                let r = rec.get();
                let bad = |what: String| StoreError::corrupt(&path, what);
                if r.generation.to_native() != manifest.generation + k as u64 + 1 {
                    return Err(bad(format!(
                        "record {k} is generation {}, expected {}",
                        r.generation.to_native(),
                        manifest.generation + k as u64 + 1
                    )));
                }
                let texts: Vec<&str> = r.strings.iter().map(|s| s.as_str()).collect();
                strings
                    .log_strings(r.first_string.to_native(), &texts)
                    .map_err(|e| bad(format!("record {k}: {e}")))?;
                for (j, run) in r.runs.iter().enumerate() {
                    let Some(i) = manifest
                        .relations
                        .iter()
                        .position(|e| e.name == run.relation.as_str())
                    else {
                        return Err(bad(format!(
                            "record {k} names an unknown relation `{}`",
                            run.relation.as_str()
                        )));
                    };
                    let symbols = strings.committed();
                    let m = MappedFacts::logged(&path, rec.clone(), j, &rels[i].types, symbols)?;
                    match run.layer {
                        ASSERTED => rels[i].asserted_runs.push(m),
                        _ => rels[i].derived_runs.push(m),
                    }
                }
            }
            log_records = log.records.len();
            log_len = log.valid_len;
        }
        Ok(Loaded {
            manifest: manifest.clone(),
            strings,
            rules,
            rels,
            log_records,
            log_len,
        })
    }

    /// Whether the store's files hold another state than this handle's.
    fn moved(&self) -> Result<bool, StoreError> {
        let m = Manifest::read(&*self.storage)?;
        if m.generation != self.manifest.generation || m.wal != self.manifest.wal {
            return Ok(true);
        }
        let Some(w) = &m.wal else {
            return Ok(false);
        };
        let len = (self.storage.len(w)).map_err(|e| StoreError::io(self.storage.path(w), e))?;
        Ok(len != self.log_len)
    }

    /// Re-reads the store if another process committed since it was opened; returns whether
    /// it did. (A reader sees the state it opened until it refreshes.)
    pub fn refresh(&mut self) -> Result<bool, ReadError> {
        if !self.moved()? {
            return Ok(false);
        }
        let loaded = Store::load(&*self.storage)?;
        self.reload(loaded);
        Ok(true)
    }

    /// Takes the state `loaded` read, keeping what belongs to this handle: its lock and
    /// settings.
    fn reload(&mut self, loaded: Loaded) {
        let (lock, now, lock_wait, limits) =
            (self.lock.take(), self.now, self.lock_wait, self.limits);
        *self = Store::from_loaded(self.storage.clone(), self.read_only, loaded);
        (self.lock, self.now, self.lock_wait, self.limits) = (lock, now, lock_wait, limits);
    }

    /// Bounds each commit's inference: a commit that passes one fails with
    /// [`engram_core::internal::eval::EvalError::Limit`], naming the relation that grew, and the store stays
    /// as it was. None by default; `engram mcp` bounds the rules agents add.
    pub fn set_limits(&mut self, limits: engram_core::Limits) {
        self.limits = limits;
    }

    /// Takes the writer lock (once) and makes sure the state is the latest committed one.
    fn begin_write(&mut self) -> Result<(), Error> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: file::place(&*self.storage),
            }
            .into());
        }
        if self.lock.is_none() {
            self.lock = Some(WriterLock::acquire(&*self.storage, self.lock_wait)?);
            self.refresh()?;
            // Files a killed writer wrote but never committed.
            persist::remove_dead_files(&*self.storage, &self.manifest);
        }
        self.refresh()?;
        if self.log_file.is_none()
            && let Some(w) = &self.manifest.wal
        {
            self.log_file = Some(log::open_for_append(&*self.storage, w, self.log_len)?);
        }
        Ok(())
    }

    /// The index of a relation by name.
    fn rel_index(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    /// Adds an entry for a relation the store has not held, with these columns; its index.
    fn add_relation(&mut self, name: &str, columns: Vec<(String, ColumnType)>) -> usize {
        let types = columns.iter().map(|c| c.1).collect();
        self.manifest.relations.push(manifest::RelationEntry {
            name: name.to_string(),
            columns,
            asserted: Vec::new(),
            derived: Vec::new(),
            derived_layer: false,
        });
        self.manifest_dirty = true;
        self.rels.push(Rel::new(types));
        self.names.insert(name.to_string(), self.rels.len() - 1);
        self.rels.len() - 1
    }

    /// The interner, wherever it is (the view holds it while the view exists).
    fn interner(&mut self) -> &mut engram_core::internal::value::Interner {
        match &mut self.view {
            Some(v) => v.interner_mut(),
            None => self.strings.interner(),
        }
    }

    /// Drops the query view, giving its interner back.
    fn drop_view(&mut self) {
        if let Some(v) = self.view.take() {
            self.strings.set_interner(v.into_interner());
        }
        self.loaded.clear();
    }

    /// The planned program, compiled on first need.
    fn plan(&mut self) -> Result<Arc<Plan>, Error> {
        if let Some(p) = &self.plan {
            return Ok(p.clone());
        }
        self.drop_view();
        let schemas: Vec<(String, Vec<(String, ColumnType)>)> = self
            .manifest
            .relations
            .iter()
            .map(|r| (r.name.clone(), r.columns.clone()))
            .collect();
        let interner = self.strings.interner().clone();
        let mut plan = program::compile(&self.rules, &schemas, interner)?;
        self.strings
            .set_interner(std::mem::take(&mut plan.interner));
        plan.forget = self.manifest.forget.iter().map(|p| p.filter()).collect();
        if plan.uses_time {
            plan.fix_now(self.now());
        }
        self.check_schemas(&plan)?;
        let plan = Arc::new(plan);
        self.plan = Some(plan.clone());
        Ok(plan)
    }

    /// Every relation that holds facts must be declared by the rules as the store holds it.
    fn check_schemas(&self, plan: &Plan) -> Result<(), Error> {
        for (entry, rel) in self.manifest.relations.iter().zip(&self.rels) {
            let Some(&id) = plan.rel_index.get(&entry.name) else {
                continue;
            };
            let declared = plan.relations[id].types();
            if declared != rel.types {
                let show = |t: &[ColumnType]| {
                    t.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(StoreError::Invalid(format!(
                    "relation `{}` holds facts of types ({}), but the rules declare ({})",
                    entry.name,
                    show(&rel.types),
                    show(&declared)
                ))
                .into());
            }
        }
        Ok(())
    }

    /// The rule files, in the order they were added.
    pub fn rules(&self) -> &[Source] {
        &self.rules
    }

    /// Loads a relation's asserted facts into memory (once).
    fn asserted(&mut self, i: usize) -> &mut Table {
        let rel = &mut self.rels[i];
        rel.asserted.get_or_insert_with(|| {
            let n = rel.asserted_runs.iter().map(|r| r.rows()).sum();
            let mut t = Table::with_capacity(&rel.types, n);
            for run in &rel.asserted_runs {
                run.apply(&mut t);
            }
            t
        })
    }

    /// Loads a relation's contents after inference into memory (once): its derived layer, or
    /// its asserted facts when no rule derives it.
    fn contents(&mut self, i: usize) -> &Table {
        if !self.manifest.relations[i].derived_layer {
            return self.asserted(i);
        }
        let rel = &mut self.rels[i];
        rel.derived.get_or_insert_with(|| {
            let n = rel.derived_runs.iter().map(|r| r.rows()).sum();
            let mut t = Table::with_capacity(&rel.types, n);
            for run in &rel.derived_runs {
                run.apply(&mut t);
            }
            t
        })
    }
}

/// The current time in unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    engram_core::internal::value::now_ms()
}
