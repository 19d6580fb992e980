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
//!
//! The files live on a [`Storage`]: a directory, memory ([`Store::in_memory`]) or a backend
//! of one's own. A [`Store`] is one struct of named parts: `Files` (the committed state its
//! storage holds), `Writer` (the lock, the open log, what the next commit must write),
//! `Cache` (the planned program and the facts loaded for reads) and `Settings`. Its methods
//! are in files named after what they do: `open.rs` (opening, catching up with other
//! processes' commits, the writer lock), `commit.rs` (transactions and commits), `read.rs`
//! (queries, proofs, facts, statistics), `maintain.rs` (cleanup, compaction), `program.rs`
//! (rule files and the store's program), `persist.rs` (making a commit durable).

mod cache;
mod commit;
mod error;
#[doc(hidden)]
pub mod faults;
mod file;
mod grams;
mod group;
mod lock;
mod log;
mod lookup;
mod maintain;
mod manifest;
mod marks;
#[allow(unsafe_code)]
mod mmap;
mod open;
mod persist;
mod program;
mod read;
mod records;
mod rule_counts;
mod scan;
mod segment;
mod storage;
mod strings;
mod terms;
mod text;
mod tsv;

pub use cache::CacheFile;
pub use commit::{CommitReport, Transaction};

use error::{Error, StoreError};
pub use error::{OpenError, ReadError, WriteError};
pub use manifest::ForgetPolicy;
pub use storage::{Pin, Storage, StorageFile};

use engram_core::Source;
pub use maintain::{CleanupReport, CompactReport};
pub use marks::LayerMark;
pub use read::{RelationStats, StoreStats};
pub use rule_counts::RuleCount;
#[doc(hidden)]
pub use terms::{STOP_WORDS, each_word, stem_counts, words};

use engram_core::Database;
use engram_core::internal::incremental::table::Table;
use engram_core::internal::plan::ir::Plan;
use engram_core::internal::value::ColumnType;
use lock::WriterLock;
use manifest::Manifest;
use segment::MappedFacts;
use std::path::Path;
use std::sync::Arc;
use strings::Strings;

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
    /// What is committed: the storage and the state its files hold.
    files: Files,
    /// A writer's state between commits: its lock, its open log, what the next commit must
    /// write besides facts.
    writer: Writer,
    /// What the handle builds from the files on first need, and drops when they change.
    cache: Cache,
    /// This handle's settings, kept when it moves to another commit.
    settings: Settings,
}

/// The committed state: what the manifest names, and the commit log's records after it.
struct Files {
    /// Where the files are: a directory, or memory.
    storage: Arc<dyn Storage>,
    manifest: Manifest,
    strings: Strings,
    rules: Vec<Source>,
    rels: Vec<Rel>,
    /// Each relation's index in `manifest.relations` and `rels`, by name.
    names: rustc_hash::FxHashMap<String, usize>,
    /// Records in the commit log after the manifest's state.
    log_records: usize,
    /// Bytes of the log's committed records (with its header).
    log_len: u64,
    /// Unique in the process to this state's reading of the files (see [`Store::state`]).
    id: u64,
}

/// A new [`Files::id`].
fn next_files_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A writer's state between commits.
#[derive(Default)]
struct Writer {
    lock: Option<WriterLock>,
    /// The log, open for appending.
    log_file: Option<Box<dyn StorageFile>>,
    /// The rule files changed since the last commit.
    rules_changed: bool,
    /// The manifest's relations or policies changed since the last commit (so the next one
    /// writes a manifest rather than a log record).
    manifest_dirty: bool,
    /// The next persist rewrites the string runs as one (compaction).
    compact_strings: bool,
    /// While durability is held back ([`Store::hold_sync`]): the log records of the commits
    /// made since, framed, not yet written.
    held: Option<Vec<u8>>,
    /// Why commits held back were lost (their records could not be written before the
    /// handle went back to the disk's state): what the next [`Store::sync`] reports.
    lost: Option<String>,
}

/// What is built from the files on first need.
#[derive(Default)]
struct Cache {
    /// The planned program (its interner moved out to `strings`).
    plan: Option<Arc<Plan>>,
    /// The rule plans of incremental inference, for the program they were compiled from.
    plans: Option<(Arc<Plan>, engram_core::internal::incremental::Plans)>,
    /// Under a merge whose classes read some of the rules' constants as others: the planned
    /// program, those constants with their labels, and the program reading them so.
    merged: Option<MergedPlan>,
    /// The facts as a database for queries and proofs (holds the interner while it exists).
    view: Option<Database>,
    /// Which relations the view has loaded (by plan relation id).
    loaded: Vec<bool>,
    /// [`Store::count_derived_not_in`] over two layers' oldest runs (by their files' names),
    /// for as long as they are the oldest.
    base_counts: Vec<(BaseRuns, usize)>,
    /// The bytes of the manifest file a refresh last found naming this handle's state (its
    /// generation and log, kept beside them): while the file holds them, a refresh reads only
    /// the log's length.
    seen_manifest: Option<(Vec<u8>, u64, Option<String>)>,
    /// A pin on the manifest file those bytes were read from: while the name still names that
    /// file, a refresh does not read it again.
    manifest_pin: Option<storage::Pin>,
}

/// Two layers' oldest runs, by their files' names (`None`: the layer has no runs).
type BaseRuns = (Option<String>, Option<String>);

/// A program, the constants a merge reads as others, and the program reading them so.
type MergedPlan = (Arc<Plan>, Vec<(u64, u64)>, Arc<Plan>);

/// A handle's settings.
struct Settings {
    read_only: bool,
    /// What `now()` stands for in this handle's evaluations, when fixed (`--now`).
    now: Option<i64>,
    /// How long a write waits for another process's writer lock.
    lock_wait: std::time::Duration,
    /// Bounds on each commit's inference.
    limits: engram_core::Limits,
    /// Runs of at least this many rows get an orders file.
    orders_min_rows: usize,
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
    /// A layer's runs, and its table if this handle holds one that a pass over the whole
    /// layer reads better than the runs: a table that reads its oldest run in place (a
    /// writer's, [`Table::based`]) holds the same facts as the runs, and is read as they are.
    fn layer(&self, layer: u8) -> (&[MappedFacts], Option<&Table>) {
        let (runs, table) = match layer {
            DERIVED => (&self.derived_runs, &self.derived),
            _ => (&self.asserted_runs, &self.asserted),
        };
        (runs, table.as_ref().filter(|t| !t.is_based()))
    }

    /// A layer's runs, and its table if this handle holds one, to look facts up in: a table
    /// finds them through its indexes (a based table's base through the run's orders), where
    /// the runs would fold every newer run in on each lookup.
    fn layer_mut(&mut self, layer: u8) -> (&[MappedFacts], Option<&mut Table>) {
        let (runs, table) = match layer {
            DERIVED => (&self.derived_runs, &mut self.derived),
            _ => (&self.asserted_runs, &mut self.asserted),
        };
        (runs, table.as_mut())
    }

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

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("storage", &self.files.storage)
            .field("generation", &self.files.manifest.generation)
            .field("relations", &self.files.rels.len())
            .finish()
    }
}

impl Store {
    /// Fixes what `now()` stands for in this handle's evaluations (unix milliseconds), for
    /// reproducible runs; `None` goes back to the default: the time of the last `infer` or
    /// `cleanup` (they move it to the current time; other commits keep it).
    pub fn set_now(&mut self, now: Option<i64>) {
        if self.settings.now != now {
            self.settings.now = now;
            self.cache.plan = None;
            self.drop_view();
        }
    }

    /// What `now()` stands for: as fixed, else as of the last full inference, else now.
    pub(crate) fn now(&self) -> i64 {
        self.settings
            .now
            .or(self.files.manifest.now)
            .unwrap_or_else(engram_core::internal::value::now_ms)
    }

    /// How long a write waits for the writer lock while another process holds it before it
    /// fails with [`WriteError::Locked`] ([`DEFAULT_LOCK_WAIT`], 10 s, unless set).
    pub fn set_lock_wait(&mut self, wait: std::time::Duration) {
        self.settings.lock_wait = wait;
    }

    /// Writes an orders file beside every run of at least `rows` rows that a checkpoint
    /// writes from now on (16,384 unless set): tests set it low so that small stores have them.
    #[doc(hidden)]
    pub fn set_orders_min_rows(&mut self, rows: usize) {
        self.settings.orders_min_rows = rows;
    }

    /// The store's directory (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.files.storage.dir()
    }

    /// The number of commits made to this store.
    pub fn generation(&self) -> u64 {
        self.files.manifest.generation + self.files.log_records as u64
    }

    /// How many runs keep a fold of their layer's newer runs: at most one a layer (a test's
    /// measure of what a handle holds).
    #[doc(hidden)]
    pub fn folds_kept(&self) -> usize {
        let rels = self.files.rels.iter();
        let runs = rels.flat_map(|r| r.asserted_runs.iter().chain(&r.derived_runs));
        runs.filter(|r| r.keeps_fold()).count()
    }

    /// What this handle holds, as a key unique in the process: a cache of something read from
    /// it is good while the key is the same (another handle, or this one at another commit,
    /// has another key).
    #[doc(hidden)]
    pub fn state(&self) -> (u64, u64) {
        (self.files.id, self.generation())
    }

    /// Bounds each commit's inference: a commit that passes one fails with
    /// [`engram_core::internal::eval::EvalError::Limit`], naming the relation that grew, and the store stays
    /// as it was. None by default; `engram mcp` bounds the rules agents add.
    pub fn set_limits(&mut self, limits: engram_core::Limits) {
        self.settings.limits = limits;
    }

    /// The index of a relation by name.
    pub(crate) fn rel_index(&self, name: &str) -> Option<usize> {
        self.files.names.get(name).copied()
    }

    /// Adds an entry for a relation the store has not held, with these columns; its index.
    pub(crate) fn add_relation(&mut self, name: &str, columns: Vec<(String, ColumnType)>) -> usize {
        let types = columns.iter().map(|c| c.1).collect();
        self.files.manifest.relations.push(manifest::RelationEntry {
            name: name.to_string(),
            columns,
            asserted: Vec::new(),
            derived: Vec::new(),
            derived_layer: false,
        });
        self.writer.manifest_dirty = true;
        self.files.rels.push(Rel::new(types));
        self.files
            .names
            .insert(name.to_string(), self.files.rels.len() - 1);
        self.files.rels.len() - 1
    }

    /// The interner, wherever it is (the view holds it while the view exists).
    pub(crate) fn interner(&mut self) -> &mut engram_core::internal::value::Interner {
        match &mut self.cache.view {
            Some(v) => v.interner_mut(),
            None => self.files.strings.interner(),
        }
    }

    /// Drops the query view, giving its interner back.
    pub(crate) fn drop_view(&mut self) {
        if let Some(v) = self.cache.view.take() {
            self.files.strings.set_interner(v.into_interner());
        }
        self.cache.loaded.clear();
    }

    /// The rule files, in the order they were added.
    pub fn rules(&self) -> &[Source] {
        &self.files.rules
    }

    /// Loads a relation's asserted facts into memory (once).
    pub(crate) fn asserted(&mut self, i: usize) -> Result<&mut Table, StoreError> {
        let rel = &mut self.files.rels[i];
        if rel.asserted.is_none() {
            rel.asserted = Some(segment::table_of(
                &*self.files.storage,
                &rel.asserted_runs,
                &rel.types,
            )?);
        }
        Ok(rel.asserted.as_mut().expect("loaded above"))
    }

    /// Loads a relation's contents after inference into memory (once): its derived layer, or
    /// its asserted facts when no rule derives it.
    pub(crate) fn contents(&mut self, i: usize) -> Result<&Table, StoreError> {
        if !self.files.manifest.relations[i].derived_layer {
            return Ok(self.asserted(i)?);
        }
        let rel = &mut self.files.rels[i];
        if rel.derived.is_none() {
            rel.derived = Some(segment::table_of(
                &*self.files.storage,
                &rel.derived_runs,
                &rel.types,
            )?);
        }
        Ok(rel.derived.as_ref().expect("loaded above"))
    }
}

/// The current time in unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    engram_core::internal::value::now_ms()
}
