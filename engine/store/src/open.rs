//! Opening a store (on a directory, in memory, or on any [`Storage`]), catching up with the
//! commits of other processes, and taking the writer lock.

use super::error::{Error, OpenError, ReadError, StoreError, WriteError};
use super::file::{self, Kind};
use super::lock::WriterLock;
use super::manifest::{MANIFEST, Manifest};
use super::segment::MappedFacts;
use super::storage::{FileStorage, MemoryStorage, Storage};
use super::strings::{MappedRun, Strings};
use super::{
    ASSERTED, Cache, DEFAULT_LOCK_WAIT, DERIVED, Files, Rel, Settings, Store, Writer, log, persist,
};
use engram_core::Source;
use engram_core::internal::value::ColumnType;
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

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
        // A directory of other files (a project folder named by mistake) is not written into:
        // only a new or empty one, or what a store's creation leaves before its manifest.
        let held = st.list().map_err(|e| StoreError::io(file::place(st), e))?;
        let other =
            (held.iter()).find(|n| !matches!(n.as_str(), "LOCK" | MANIFEST | "MANIFEST.tmp"));
        if let Some(first) = other.filter(|_| !st.exists(MANIFEST)) {
            return Err(StoreError::NotEmpty {
                path: file::place(st),
                first: first.clone(),
            }
            .into());
        }
        let lock = WriterLock::acquire(st, DEFAULT_LOCK_WAIT)?;
        if st.exists(MANIFEST) {
            return Err(StoreError::Exists {
                path: file::place(st),
            }
            .into());
        }
        let manifest = Manifest::default();
        manifest.write(st)?;
        let files = Files {
            storage,
            manifest,
            strings: Strings::default(),
            rules: Vec::new(),
            rels: Vec::new(),
            names: Default::default(),
            log_records: 0,
            log_len: 0,
            id: super::next_files_id(),
        };
        let mut store = Store::with_files(files, false);
        store.writer.lock = Some(lock);
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
        Ok(Store::with_files(Store::load(&storage)?, false))
    }

    /// Opens the store in `dir` for reading only: it never takes the writer lock.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Store, OpenError> {
        let storage: Arc<dyn Storage> = Arc::new(FileStorage::new(dir.as_ref()));
        Ok(Store::with_files(Store::load(&storage)?, true))
    }

    /// A store that lives in memory only: the same code and API on a backend of memory, gone
    /// with the store.
    pub fn in_memory() -> Store {
        Store::create_on(Arc::new(MemoryStorage::default()))
            .expect("a new memory backend holds no store and never fails an operation")
    }

    pub(crate) fn with_files(files: Files, read_only: bool) -> Store {
        Store {
            files,
            writer: Writer::default(),
            cache: Cache::default(),
            settings: Settings {
                read_only,
                now: None,
                lock_wait: DEFAULT_LOCK_WAIT,
                limits: engram_core::Limits::NONE,
                orders_min_rows: super::segment::ORDERS_MIN_ROWS,
            },
        }
    }

    /// Gives the writer lock back, so that other processes can write between this handle's
    /// transactions; the next transaction takes it again (waiting as
    /// [`Store::set_lock_wait`] says) and first moves to the latest commit. A long-lived
    /// writer that shares its store (`engram mcp`) calls this after each commit.
    /// Commits held back ([`Store::hold_sync`]) are written first.
    pub fn unlock(&mut self) {
        self.write_held_or_reload();
        self.writer.log_file = None;
        self.writer.lock = None;
    }

    /// Takes the writer lock now (waiting as [`Store::set_lock_wait`] says) and moves to the
    /// latest commit, so that what is read before the next transaction commits is what it
    /// changes: a read-then-write that no other process can interleave with. Held until
    /// [`Store::unlock`] or the handle is dropped.
    pub fn lock(&mut self) -> Result<(), WriteError> {
        Ok(self.begin_write()?)
    }

    /// Reads the state the manifest names. A run that vanishes between reading the manifest
    /// and opening it was removed by a writer that committed meanwhile: read again.
    pub(crate) fn load(storage: &Arc<dyn Storage>) -> Result<Files, StoreError> {
        let mut attempts = 0;
        loop {
            let manifest = Manifest::read(&**storage)?;
            match Store::open_files(storage, &manifest) {
                Ok(l) => return Ok(l),
                Err(StoreError::Io { path, source })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    attempts += 1;
                    let moved = Manifest::read(&**storage)?.generation != manifest.generation;
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

    /// Opens the files `manifest` names: string runs, rule files, fact runs, then the
    /// commit log's records after them.
    pub(crate) fn open_files(
        st: &Arc<dyn Storage>,
        manifest: &Manifest,
    ) -> Result<Files, StoreError> {
        let storage = &**st;
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
            let terms = s.terms.as_deref();
            runs.push(MappedRun::open(storage, &s.file, s.first, s.count, terms)?);
            next += s.count;
        }
        let rules = (manifest.rules.iter())
            .map(|r| rule_file(storage, &r.name, &r.file))
            .collect::<Result<Vec<Source>, StoreError>>()?;
        // Each run is mapped and validated on its own, so the relations open in parallel
        // (validation reads every key: at 10M facts it is most of the open).
        let rels = manifest
            .relations
            .par_iter()
            .map(|entry| {
                let types: Vec<ColumnType> = entry.columns.iter().map(|c| c.1).collect();
                let open = |files: &[String], layer: u8| -> Result<Vec<MappedFacts>, StoreError> {
                    files
                        .par_iter()
                        .map(|f| {
                            let run =
                                MappedFacts::open(storage, f, &entry.name, layer, &types, next)?;
                            Ok(run.with_derived_rows(manifest.derived_rows.get(f).copied()))
                        })
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
        let names = (manifest.relations.iter().enumerate())
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        let mut strings = Strings::from_runs(runs);
        load_records(storage, manifest, &mut strings)?;
        let mut files = Files {
            storage: st.clone(),
            manifest: manifest.clone(),
            strings,
            rules,
            rels,
            names,
            log_records: 0,
            log_len: 0,
            id: super::next_files_id(),
        };
        if let Some(w) = &manifest.wal {
            files.read_log(w, 0)?;
        }
        Ok(files)
    }

    /// Whether the store's files, whose manifest is `m`, hold another state than this
    /// handle's.
    fn moved(&self, m: &Manifest) -> Result<bool, StoreError> {
        if m.generation != self.files.manifest.generation || m.wal != self.files.manifest.wal {
            return Ok(true);
        }
        self.log_moved()
    }

    /// Whether the log of this handle's manifest is longer or shorter than it read.
    fn log_moved(&self) -> Result<bool, StoreError> {
        let Some(w) = &self.files.manifest.wal else {
            return Ok(false);
        };
        let len = (self.files.storage.len(w))
            .map_err(|e| StoreError::io(self.files.storage.path(w), e))?;
        Ok(len != self.files.log_len)
    }

    /// Re-reads the store if another process committed since it was opened; returns whether
    /// it did. (A reader sees the state it opened until it refreshes.)
    pub fn refresh(&mut self) -> Result<bool, ReadError> {
        if self.holds_commits() {
            // This handle holds the writer lock and commits not yet in the log: nobody else
            // committed, and the log is behind this handle, not ahead.
            return Ok(false);
        }
        let st = self.files.storage.clone();
        let manifest = &self.files.manifest;
        let ours = |seen: &(Vec<u8>, u64, Option<String>)| {
            seen.1 == manifest.generation && seen.2 == manifest.wal
        };
        // The manifest file this handle read is still the file (not replaced): no read of it,
        // and the log no longer.
        if let (Some(seen), Some(pin)) = (&self.cache.seen_manifest, &self.cache.manifest_pin)
            && ours(seen)
            && st.unchanged(MANIFEST, pin).unwrap_or(false)
            && !self.log_moved()?
        {
            return Ok(false);
        }
        let (bytes, pin) = Manifest::read_pinned(&*st)?;
        let seen = (self.cache.seen_manifest.as_ref()).is_some_and(|s| s.0 == bytes && ours(s));
        // The manifest this handle read (no parse needed), and the log no longer.
        if seen && !self.log_moved()? {
            self.cache.manifest_pin = pin;
            return Ok(false);
        }
        let m = Manifest::parse(&*st, &bytes)?;
        if !self.moved(&m)? {
            self.cache.seen_manifest = Some((bytes, m.generation, m.wal));
            self.cache.manifest_pin = pin;
            return Ok(false);
        }
        if self.catch_up_log(&m)? {
            self.cache.seen_manifest = Some((bytes, m.generation, m.wal));
            self.cache.manifest_pin = pin;
            return Ok(true);
        }
        let loaded = Store::load(&self.files.storage)?;
        self.reload(loaded);
        Ok(true)
    }

    /// Moves to the latest commit by the records another process appended to the commit log,
    /// when the manifest is still the one this handle read: their strings and runs are taken
    /// in, and the tables the handle holds move forward by them, so the cost is that of the
    /// records, not of the store. False, with nothing changed, when a checkpoint wrote a new
    /// manifest (then the caller reads the store again).
    fn catch_up_log(&mut self, m: &Manifest) -> Result<bool, StoreError> {
        let Some(w) = m.wal.clone() else {
            return Ok(false);
        };
        if m.generation != self.files.manifest.generation
            || self.files.manifest.wal.as_ref() != Some(&w)
        {
            return Ok(false);
        }
        self.drop_view();
        // What reads interned (a query's constants) was never committed: the logged strings
        // take those ids.
        self.files.strings.forget_uncommitted();
        let skip = self.files.log_records;
        self.files.read_log(&w, skip)?;
        Ok(true)
    }

    /// Takes the state `loaded` read, keeping what belongs to this handle: its lock and
    /// settings.
    pub(crate) fn reload(&mut self, files: Files) {
        self.files = files;
        self.cache = Cache::default();
        // Commits still held are lost with the state they were made on (callers write them
        // first: see `group`); holding back goes on for the commits to come.
        self.writer = Writer {
            lock: self.writer.lock.take(),
            held: self.writer.held.take().map(|_| Vec::new()),
            lost: self.writer.lost.take(),
            ..Writer::default()
        };
    }

    /// Takes the writer lock (once) and makes sure the state is the latest committed one.
    pub(crate) fn begin_write(&mut self) -> Result<(), Error> {
        if self.settings.read_only {
            return Err(StoreError::ReadOnly {
                path: file::place(&*self.files.storage),
            }
            .into());
        }
        if self.writer.lock.is_none() {
            self.writer.lock = Some(WriterLock::acquire(
                &*self.files.storage,
                self.settings.lock_wait,
            )?);
            self.refresh()?;
            // Files a killed writer wrote but never committed.
            persist::remove_dead_files(&*self.files.storage, &self.files.manifest);
        }
        self.refresh()?;
        if self.writer.log_file.is_none()
            && let Some(w) = &self.files.manifest.wal
        {
            self.writer.log_file = Some(log::open_for_append(
                &*self.files.storage,
                w,
                self.files.log_len,
            )?);
        }
        Ok(())
    }
}

/// A rule file's text.
fn rule_file(storage: &dyn Storage, name: &str, file: &str) -> Result<Source, StoreError> {
    let path = storage.path(file);
    let bytes = storage.read(file).map_err(|e| StoreError::io(&path, e))?;
    let payload = file::open_envelope(&path, &bytes, Kind::Rules)?;
    let text = String::from_utf8(payload.to_vec())
        .map_err(|_| StoreError::corrupt(&path, "rule text is not valid UTF-8"))?;
    Ok(Source {
        name: name.to_string(),
        text,
    })
}

impl Files {
    /// Takes in the committed records of the commit log `w` after the first `skip` (which this
    /// state holds already): their strings and runs, applied to the tables it holds.
    fn read_log(&mut self, w: &str, skip: usize) -> Result<(), StoreError> {
        let storage = &*self.storage;
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
        let generation = self.manifest.generation;
        if log.records.len() < skip {
            return Err(StoreError::corrupt(
                &path,
                format!(
                    "holds {} commit records; {skip} were read from it before",
                    log.records.len()
                ),
            ));
        }
        for (k, rec) in log.records.iter().enumerate().skip(skip) {
            let r = rec.get();
            let bad = |what: String| StoreError::corrupt(&path, what);
            if r.generation.to_native() != generation + k as u64 + 1 {
                return Err(bad(format!(
                    "record {k} is generation {}, expected {}",
                    r.generation.to_native(),
                    generation + k as u64 + 1
                )));
            }
            let texts: Vec<&str> = r.strings.iter().map(|s| s.as_str()).collect();
            (self.strings)
                .log_strings(r.first_string.to_native(), &texts)
                .map_err(|e| bad(format!("record {k}: {e}")))?;
            for (j, run) in r.runs.iter().enumerate() {
                let Some(&i) = self.names.get(run.relation.as_str()) else {
                    return Err(bad(format!(
                        "record {k} names an unknown relation `{}`",
                        run.relation.as_str()
                    )));
                };
                let symbols = self.strings.committed();
                let rel = &mut self.rels[i];
                let m = MappedFacts::logged(&path, rec.clone(), j, &rel.types, symbols)?;
                let (runs, table) = match run.layer {
                    ASSERTED => (&mut rel.asserted_runs, &mut rel.asserted),
                    _ => (&mut rel.derived_runs, &mut rel.derived),
                };
                if let Some(t) = table {
                    m.apply(t)?;
                }
                runs.push(m);
            }
        }
        self.log_records = log.records.len();
        self.log_len = log.valid_len;
        Ok(())
    }
}

/// Reads the record types and the record runs `manifest` names into the table of `strings`'
/// interner.
fn load_records(
    storage: &dyn Storage,
    manifest: &Manifest,
    strings: &mut Strings,
) -> Result<(), StoreError> {
    let records = strings.interner().records_mut();
    records.restore_types(manifest.record_types.clone());
    for r in &manifest.records {
        super::records::load(storage, &r.file, r.first, r.count, records)?;
    }
    strings.commit_records();
    Ok(())
}
