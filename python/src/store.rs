//! `engram.Store`: a persistent memory store (or one in memory), its reads and its changes.
//! Every call runs without the GIL, holding the handle's lock: threads may share one `Store`
//! (their calls take turns), and a thread reading never waits for Python.

use crate::errors::Failure;
use crate::results::{Hit, Proof, Row, Violation, WhyNot};
use crate::transaction::{Op, Transaction, apply};
use crate::values::{json, to_row, to_time};
use engram_engine::Store as RustStore;
use engram_engine::memory::{self, MemoryExt, RecallCache, RecallOptions};
use engram_engine::store::CommitReport;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// An open store and what its reads keep between calls.
pub struct Inner {
    /// The store.
    pub store: RustStore,
    recall: RecallCache,
}

/// A store of facts, rules and everything derived from them: a directory that keeps them
/// across restarts (or memory, with `Store.in_memory()`).
///
/// `Store(path)` opens the store at `path`, creating it with the standard memory rules when
/// there is none (as `engram init` does). Each call sees the latest commit, also of other
/// processes (the CLI, `engram mcp`), and a change holds the store's writer lock only while it
/// commits. A `Store` may be shared by threads; close it with `close()` or a `with` block.
#[pyclass(module = "engram", name = "Store", frozen)]
pub struct PyStore {
    inner: Mutex<Option<Inner>>,
    path: Option<PathBuf>,
    read_only: bool,
    /// `lock_wait` in seconds, as `f64` bits.
    lock_wait: std::sync::atomic::AtomicU64,
}

/// A commit's report as a dict.
pub fn report<'py>(py: Python<'py>, r: &CommitReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("generation", r.generation)?;
    d.set_item("asserted", r.asserted)?;
    d.set_item("retracted", r.retracted)?;
    d.set_item("added", r.added)?;
    d.set_item("removed", r.removed)?;
    d.set_item("changed", r.changed)?;
    d.set_item("rederived", r.rederived)?;
    Ok(d)
}

impl PyStore {
    fn of(store: RustStore, path: Option<PathBuf>, read_only: bool) -> PyStore {
        PyStore {
            inner: Mutex::new(Some(Inner {
                store,
                recall: RecallCache::default(),
            })),
            path,
            read_only,
            lock_wait: std::sync::atomic::AtomicU64::new(10f64.to_bits()),
        }
    }

    fn lock_wait_secs(&self) -> f64 {
        f64::from_bits(self.lock_wait.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Inner>> {
        // A panic while the lock was held left the store as its last commit (a failed change
        // is never partly committed), so the lock is taken again.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `read` without the GIL on the store at its latest commit.
    pub fn read<T: Send>(
        &self,
        py: Python<'_>,
        read: impl FnOnce(&mut Inner) -> Result<T, Failure> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.lock();
            let inner = guard.as_mut().ok_or(Failure::Closed)?;
            inner.store.refresh()?;
            read(inner)
        })
        .map_err(PyErr::from)
    }

    /// Runs `change` without the GIL; the writer lock is given back after it. A change that
    /// failed committed nothing, and a writer's handle reads the store again as committed (a
    /// read-only handle changed nothing to read again).
    pub fn change<T: Send>(
        &self,
        py: Python<'_>,
        change: impl FnOnce(&mut Inner) -> Result<T, Failure> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.lock();
            let inner = guard.as_mut().ok_or(Failure::Closed)?;
            let result = change(inner);
            inner.store.unlock();
            if result.is_err()
                && !self.read_only
                && let Some(path) = &self.path
                && let Ok(mut store) = RustStore::open(path)
            {
                store.set_lock_wait(std::time::Duration::from_secs_f64(self.lock_wait_secs()));
                *inner = Inner {
                    store,
                    recall: RecallCache::default(),
                };
            }
            result
        })
        .map_err(PyErr::from)
    }

    /// Commits `ops` in one transaction.
    pub fn commit(&self, py: Python<'_>, ops: Vec<Op>) -> PyResult<Py<PyDict>> {
        let r = self.change(py, move |inner| apply(&mut inner.store, ops))?;
        Ok(report(py, &r)?.unbind())
    }
}

/// A fact as text: `fact` itself, or with `values` the fact of relation `fact` written by
/// engram (each value quoted as engram quotes it).
pub fn fact_or_values(fact: String, values: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    match values {
        Some(values) => Ok(engram_engine::fact_text(&fact, &to_row(values)?)),
        None => Ok(fact),
    }
}

#[pymethods]
impl PyStore {
    /// Opens the store at `path`, creating it with the standard memory rules when absent.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<PyStore> {
        let opened = py.detach(|| memory::open_or_create(&path));
        let (store, _) = opened.map_err(|e| match e {
            memory::OpenMemoryError::Open(e) => PyErr::from(Failure::Open(e)),
            memory::OpenMemoryError::Rules(e) => PyErr::from(Failure::Write(e)),
        })?;
        Ok(PyStore::of(store, Some(path), false))
    }

    /// A store in memory (gone when closed): empty, or with the standard memory rules.
    #[staticmethod]
    #[pyo3(signature = (default_rules = false))]
    fn in_memory(py: Python<'_>, default_rules: bool) -> PyResult<PyStore> {
        let store = py.detach(|| -> Result<RustStore, Failure> {
            let mut store = RustStore::in_memory();
            if default_rules {
                store.add_rule_files(&engram_engine::library::default_rules())?;
            }
            Ok(store)
        })?;
        Ok(PyStore::of(store, None, false))
    }

    /// Creates a store in `path` (a new or empty directory); with the standard memory rules
    /// when `default_rules`. Raises `StoreExistsError` when a store or other files are there.
    #[staticmethod]
    #[pyo3(signature = (path, default_rules = false))]
    fn create(py: Python<'_>, path: PathBuf, default_rules: bool) -> PyResult<PyStore> {
        let store = py.detach(|| -> Result<RustStore, Failure> {
            let mut store = RustStore::create(&path)?;
            if default_rules {
                store.add_rule_files(&engram_engine::library::default_rules())?;
            }
            store.unlock();
            Ok(store)
        })?;
        Ok(PyStore::of(store, Some(path), false))
    }

    /// Opens an existing store; raises `NotAStoreError` when there is none.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<PyStore> {
        let store = py.detach(|| RustStore::open(&path).map_err(Failure::Open))?;
        Ok(PyStore::of(store, Some(path), false))
    }

    /// Opens an existing store to read only: it never takes the writer lock, and a change
    /// raises `ReadOnlyError`.
    #[staticmethod]
    fn open_read_only(py: Python<'_>, path: PathBuf) -> PyResult<PyStore> {
        let store = py.detach(|| RustStore::open_read_only(&path).map_err(Failure::Open))?;
        Ok(PyStore::of(store, Some(path), true))
    }

    /// The store's directory (`None` in memory).
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// Whether the store was opened read-only.
    #[getter]
    fn read_only(&self) -> bool {
        self.read_only
    }

    /// How long a change waits for another process's writer lock before it raises
    /// `LockedError`, in seconds (10 unless set).
    #[getter]
    fn lock_wait(&self) -> f64 {
        self.lock_wait_secs()
    }

    #[setter]
    fn set_lock_wait(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "lock_wait is a number of seconds, 0 or more",
            ));
        }
        let wait = std::time::Duration::from_secs_f64(seconds);
        py.detach(|| {
            if let Some(inner) = self.lock().as_mut() {
                inner.store.set_lock_wait(wait);
            }
        });
        self.lock_wait
            .store(seconds.to_bits(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The latest commit's number.
    #[getter]
    fn generation(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |inner| Ok(inner.store.generation()))
    }

    /// Closes the store (a later call raises `StoreError`). Idempotent.
    fn close(&self, py: Python<'_>) {
        let inner = py.detach(|| self.lock().take());
        drop(inner);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        match &self.path {
            Some(p) => format!("Store({:?})", p.display().to_string()),
            None => "Store.in_memory()".to_string(),
        }
    }

    /// A transaction: facts added and retracted in it are committed together when it
    /// commits (at the end of a `with` block without an exception), or not at all.
    fn transaction(slf: Py<Self>) -> Transaction {
        Transaction::new(slf)
    }

    /// Asserts one fact and commits: `store.add("edge", ("a", "b"), confidence=0.9)`.
    #[pyo3(signature = (relation, values, confidence = 1.0, time = None))]
    fn add(
        &self,
        py: Python<'_>,
        relation: String,
        values: &Bound<'_, PyAny>,
        confidence: f64,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyDict>> {
        let values = to_row(values)?;
        let time = time.map(to_time).transpose()?;
        let op = Op::fact(false, relation, values, confidence, time);
        self.commit(py, vec![op])
    }

    /// Asserts facts written as text (`'edge("a", "b") @ 0.9. edge("b", "c").'`) and
    /// commits.
    fn add_text(&self, py: Python<'_>, text: String) -> PyResult<Py<PyDict>> {
        self.commit(
            py,
            vec![Op::Text {
                retract: false,
                text,
            }],
        )
    }

    /// Takes back one asserted fact and commits (what was derived only from it goes too).
    fn retract(
        &self,
        py: Python<'_>,
        relation: String,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyDict>> {
        let op = Op::fact(true, relation, to_row(values)?, 1.0, None);
        self.commit(py, vec![op])
    }

    /// Takes back asserted facts written as text (`'edge("a", "b").'`) and commits.
    fn retract_text(&self, py: Python<'_>, text: String) -> PyResult<Py<PyDict>> {
        self.commit(
            py,
            vec![Op::Text {
                retract: true,
                text,
            }],
        )
    }

    /// Adds (or replaces) the rule file `name` and re-derives; a syntax or plan error raises
    /// `ParseError` / `PlanError` placed in the file, and changes nothing.
    fn add_rules(&self, py: Python<'_>, name: String, text: String) -> PyResult<Py<PyDict>> {
        let r = self.change(py, move |i| Ok(i.store.add_rules(&name, &text)?))?;
        Ok(report(py, &r)?.unbind())
    }

    /// Removes the rule file `name` and re-derives.
    fn remove_rules(&self, py: Python<'_>, name: String) -> PyResult<Py<PyDict>> {
        let r = self.change(py, move |i| Ok(i.store.remove_rules(&name)?))?;
        Ok(report(py, &r)?.unbind())
    }

    /// The rule files, as a dict of name to text.
    fn rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let files = self.read(py, |i| Ok(i.store.rules().to_vec()))?;
        let d = PyDict::new(py);
        for f in files {
            d.set_item(f.name, f.text)?;
        }
        Ok(d)
    }

    /// Re-derives everything.
    fn infer(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let r = self.change(py, |i| Ok(i.store.infer()?))?;
        Ok(report(py, &r)?.unbind())
    }

    /// The answers of one query (`'?- path("a", x).'`, or without `?-`), as rows: each
    /// answer's values (one per named variable), confidence, depth, rule and time.
    fn query<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let text = engram_engine::query_text(text).into_owned();
        let answers = self.read(py, move |i| Ok(i.store.query(&text)?))?;
        Row::list(py, answers.into_iter().flat_map(|a| a.answers).collect())
    }

    /// Every fact of a relation with its metadata, sorted by value (`[]` for a relation the
    /// store does not have).
    fn facts<'py>(&self, py: Python<'py>, relation: String) -> PyResult<Bound<'py, PyList>> {
        let facts = self.read(py, move |i| {
            Ok((i.store.relation(&relation)?).map_or_else(Vec::new, |v| v.sorted_facts()))
        })?;
        Row::list(py, facts)
    }

    /// The relations of the store, with their columns: a dict of name to a list of
    /// `(column, type)`.
    fn relations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let relations = self.read(py, |i| Ok(i.store.relations()?))?;
        let d = PyDict::new(py);
        for r in relations {
            let columns: Vec<(String, String)> = (r.columns.iter())
                .map(|(name, ty)| (name.clone(), ty.to_string()))
                .collect();
            d.set_item(r.name, columns)?;
        }
        Ok(d)
    }

    /// The proof of a fact, or `None` when it does not hold: the fact as text
    /// (`'path("a", "c")'`), or a relation and its values (`explain("path", ("a", "c"))`,
    /// for values that come from elsewhere: they are never read as Datalog).
    #[pyo3(signature = (fact, values = None))]
    fn explain(
        &self,
        py: Python<'_>,
        fact: String,
        values: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Proof>> {
        let fact = fact_or_values(fact, values)?;
        let proof = self.read(py, move |i| Ok(i.store.explain(&fact)?))?;
        proof.map(|p| Proof::new(py, &p)).transpose()
    }

    /// Why a fact does not hold: per rule, the premise missing, the negation blocking it or
    /// the bound that cut it. The fact is given as to `explain`.
    #[pyo3(signature = (fact, values = None))]
    fn why_not(
        &self,
        py: Python<'_>,
        fact: String,
        values: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<WhyNot> {
        let fact = fact_or_values(fact, values)?;
        let why = self.read(py, move |i| Ok(i.store.why_not(&fact)?))?;
        WhyNot::new(py, &why)
    }

    /// The memories and entities that answer a question, best first, each with why: text
    /// matches, then what relations lead to from them (up to `depth` steps), ranked by
    /// relevance, confidence, importance and recency.
    #[pyo3(signature = (question, depth = 2, limit = 10))]
    fn recall(
        &self,
        py: Python<'_>,
        question: String,
        depth: usize,
        limit: usize,
    ) -> PyResult<Vec<Hit>> {
        let hits = self.read(py, move |i| {
            let options = RecallOptions {
                depth,
                limit,
                now: i.store.evaluation_time(),
                shown: None,
            };
            Ok(i.store.recall_with(&mut i.recall, &question, &options)?)
        })?;
        hits.iter().map(|h| Hit::new(py, h)).collect()
    }

    /// The violations of the integrity constraints (of one, when named), each with its proof.
    #[pyo3(signature = (constraint = None))]
    fn violations(&self, py: Python<'_>, constraint: Option<String>) -> PyResult<Vec<Violation>> {
        let found = self.read(py, move |i| {
            Ok(i.store.violations(constraint.as_deref())?)
        })?;
        found.iter().map(|v| Violation::new(py, v)).collect()
    }

    /// Statistics: facts per relation (asserted and derived), files and bytes.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = self.read(py, |i| Ok(i.store.stats()?.to_json()))?;
        json(py, &stats)
    }

    /// Forgets derived facts with confidence below `min_confidence` and older than
    /// `max_age_days` (a policy kept by the store), or with `dry_run` only lists them.
    /// Returns `{"forgotten": [(relation, Row)], "commit": report or None}`.
    #[pyo3(signature = (min_confidence, max_age_days, dry_run = false))]
    fn cleanup<'py>(
        &self,
        py: Python<'py>,
        min_confidence: f64,
        max_age_days: f64,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let r = self.change(py, move |i| {
            Ok(i.store.cleanup(min_confidence, max_age_days, dry_run)?)
        })?;
        let forgotten = (r.forgotten.iter())
            .map(|(relation, fact)| Ok((relation.clone(), Py::new(py, Row::new(fact.clone()))?)))
            .collect::<PyResult<Vec<_>>>()?;
        let d = PyDict::new(py);
        d.set_item("forgotten", forgotten)?;
        match &r.commit {
            Some(c) => d.set_item("commit", report(py, c)?)?,
            None => d.set_item("commit", py.None())?,
        }
        Ok(d)
    }

    /// Rewrites each relation layer as one sorted run; returns files and bytes before and
    /// after.
    fn compact<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = self.change(py, |i| Ok(i.store.compact()?))?;
        let d = PyDict::new(py);
        d.set_item("files_before", r.files_before)?;
        d.set_item("files_after", r.files_after)?;
        d.set_item("bytes_before", r.bytes_before)?;
        d.set_item("bytes_after", r.bytes_after)?;
        Ok(d)
    }

    /// Loads a memory file in one commit: engram's memory format, the MCP reference memory
    /// server's `memory.jsonl` or a MemoryGraph export (detected, or `format` = `"engram"`,
    /// `"mcp-memory"`, `"memorygraph"`); with `relation`, a tab-separated file of that
    /// relation's rows (the last column a confidence when `confidence_column`). A bad line
    /// raises `MemoryFileError` and loads nothing, unless `skip_bad`. Returns `{"facts",
    /// "format", "skipped", "notes", "commit"}`.
    #[pyo3(signature = (path, format = None, *, skip_bad = false, relation = None, confidence_column = false))]
    fn load<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        format: Option<String>,
        skip_bad: bool,
        relation: Option<String>,
        confidence_column: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let format = (format.as_deref())
            .map(str::parse::<memory::Format>)
            .transpose()
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        let how = crate::memory_calls::How {
            format,
            skip_bad,
            relation,
            confidence_column,
        };
        let loaded = self.change(py, move |i| {
            crate::memory_calls::load(&mut i.store, &path, how)
        })?;
        loaded.to_dict(py)
    }

    /// The memory in a memory format: `"engram"` (engram's, JSON Lines: what was asserted, then
    /// what was derived marked `"inferred": true`; only that with `inferred_only`) or
    /// `"mcp-memory"` (the MCP reference server's file). Returned as text, or with `path`
    /// written to that file a line at a time (a large memory is never held whole) and the
    /// number of lines returned.
    #[pyo3(signature = (format = "engram", *, inferred_only = false, path = None))]
    fn export(
        &self,
        py: Python<'_>,
        format: &str,
        inferred_only: bool,
        path: Option<PathBuf>,
    ) -> PyResult<Py<PyAny>> {
        use pyo3::IntoPyObjectExt;
        let mcp = match format {
            "engram" | "json" => false,
            "mcp-memory" => true,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "unknown export format `{other}`: use engram or mcp-memory"
                )));
            }
        };
        let Some(path) = path else {
            let text: String = self.read(py, move |i| {
                let lines = match mcp {
                    true => i.store.export_mcp()?,
                    false => i.store.export_memory(inferred_only)?,
                };
                Ok(lines.iter().map(|l| format!("{l}\n")).collect())
            })?;
            return text.into_py_any(py);
        };
        let written = self.read(py, move |i| {
            crate::memory_calls::export_to(&mut i.store, &path, mcp, inferred_only)
        })?;
        written.into_py_any(py)
    }

    /// Remembers a memory (as the MCP `remember` tool does): asserts it with its fields in one
    /// commit. Without an `id`, one is made from the title and content. Returns `{"id",
    /// "report", "inferred"}`, `inferred` being the relations the rules derived around it.
    #[pyo3(signature = (title, content = None, *, r#type = None, tags = None, project = None, importance = None, confidence = None, summary = None, id = None))]
    #[allow(clippy::too_many_arguments)]
    fn remember<'py>(
        &self,
        py: Python<'py>,
        title: String,
        content: Option<String>,
        r#type: Option<String>,
        tags: Option<Vec<String>>,
        project: Option<String>,
        importance: Option<f64>,
        confidence: Option<f64>,
        summary: Option<String>,
        id: Option<String>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let new = memory::NewMemory {
            id,
            title,
            content,
            ty: r#type,
            tags,
            project,
            importance,
            confidence,
            summary,
        };
        let done = self.change(py, move |i| Ok(memory::remember(&mut i.store, new)?))?;
        let d = PyDict::new(py);
        d.set_item("id", &done.id)?;
        d.set_item("report", report(py, &done.report)?)?;
        let inferred = serde_json::to_value(&done.inferred).unwrap_or_default();
        d.set_item("inferred", json(py, &inferred)?)?;
        Ok(d)
    }

    /// Relates two memories or entities (as the MCP `relate` tool does): asserts the relation
    /// `source -[type]-> target` in one commit. The type is read as the rules read it
    /// (`"works at"` is `WORKS_AT`). Returns `{"relation", "report"}`.
    #[pyo3(signature = (source, r#type, target, confidence = None))]
    fn relate<'py>(
        &self,
        py: Python<'py>,
        source: String,
        r#type: String,
        target: String,
        confidence: Option<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let new = memory::NewRelation {
            from: source,
            ty: r#type,
            to: target,
            confidence,
        };
        let done = self.change(py, move |i| Ok(memory::relate(&mut i.store, new)?))?;
        let d = PyDict::new(py);
        d.set_item(
            "relation",
            json(py, &serde_json::Value::Object(done.relation))?,
        )?;
        d.set_item("report", report(py, &done.report)?)?;
        Ok(d)
    }

    /// Moves to the latest commit of any process (every call does this first); returns
    /// whether there was one.
    fn refresh(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| {
            let mut guard = self.lock();
            let inner = guard.as_mut().ok_or(Failure::Closed)?;
            Ok(inner.store.refresh()?)
        })
        .map_err(|e: Failure| e.into())
    }
}
