//! engram's errors as Python exceptions, one class per kind, all under `engram.Error`:
//! syntax and plan errors carry where they are (`file`, `line`, `column`, `caret`), a store
//! error the store's path, an I/O failure is Python's own `OSError`.

use engram_engine::memory::{BadLine, EditError};
use engram_engine::store::{OpenError, ReadError, WriteError};
use engram_engine::{Diagnostic, EvalError, PlanErrors};
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;

pyo3::create_exception!(
    engram,
    Error,
    PyException,
    "Any of engram's errors (an I/O failure is an `OSError` instead)."
);
pyo3::create_exception!(
    engram,
    ParseError,
    Error,
    "Rule, query or fact text with a syntax error. `file`, `line`, `column` and `message` \
     place the first error, `caret` shows its line with a caret under it, and `errors` lists \
     every error as a dict with those keys."
);
pyo3::create_exception!(
    engram,
    PlanError,
    Error,
    "Text that parses but is not a valid program or query (an undeclared relation, an \
     ungrounded variable, unstratifiable negation, ...). Placed as `ParseError` is."
);
pyo3::create_exception!(
    engram,
    FactError,
    Error,
    "A fact that does not fit its relation (wrong arity or column type): `relation` names it."
);
pyo3::create_exception!(
    engram,
    EvaluationError,
    Error,
    "Evaluation stopped: a bound (facts, time, memory) was passed, or the program is too large \
     to track. A store is left at its last commit."
);
pyo3::create_exception!(
    engram,
    StoreError,
    Error,
    "A store could not be opened, read or changed; `path` names the store or file when known."
);
pyo3::create_exception!(
    engram,
    NotAStoreError,
    StoreError,
    "The directory holds no engram store (create one with `Store.create` or `Store(path)`)."
);
pyo3::create_exception!(
    engram,
    StoreExistsError,
    StoreError,
    "A store (or other files) already exists where one was to be created."
);
pyo3::create_exception!(
    engram,
    LockedError,
    StoreError,
    "Another process holds the store's writer lock; `pid` names it. Try again later."
);
pyo3::create_exception!(
    engram,
    ReadOnlyError,
    StoreError,
    "A change was asked of a store opened with `Store.open_read_only`."
);
pyo3::create_exception!(
    engram,
    CorruptStoreError,
    StoreError,
    "A store file is damaged: `path` names the file and `what` says what is wrong."
);
pyo3::create_exception!(
    engram,
    MemoryFileError,
    Error,
    "A memory file (or a `remember`/`relate` call) with a bad entry: `at` names the line or \
     entry and `message` what is wrong. Nothing of the file was loaded."
);
pyo3::create_exception!(
    engram,
    RefusedError,
    Error,
    "A change to the memory refused for what it was given (`remember` with an importance \
     outside [0, 1], `relate` with a type that has no letters, ...): the message says what to \
     give instead."
);

/// Sets attributes on a new exception of type `T`.
fn raise<T: pyo3::PyTypeInfo>(message: String, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::from_type(py.get_type::<T>(), message);
        let value = err.value(py);
        for (k, v) in attrs {
            // Setting an attribute on a fresh exception instance cannot fail.
            let _ = value.setattr(*k, v.bind(py));
        }
        err
    })
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Py<PyAny> {
    use pyo3::IntoPyObjectExt;
    v.into_py_any(py).unwrap_or_else(|_| py.None())
}

/// A syntax or plan error of type `T`, placed by its diagnostics.
fn placed<T: pyo3::PyTypeInfo>(message: String, diagnostics: Vec<Diagnostic>) -> PyErr {
    Python::attach(|py| {
        let errors: Vec<Py<PyAny>> = (diagnostics.iter())
            .map(|d| {
                let dict = PyDict::new(py);
                let _ = dict.set_item("file", &d.file);
                let _ = dict.set_item("line", d.line);
                let _ = dict.set_item("column", d.column);
                let _ = dict.set_item("message", &d.message);
                let _ = dict.set_item("caret", &d.text);
                dict.into_any().unbind()
            })
            .collect();
        let first = diagnostics.first();
        let attrs = [
            ("file", obj(py, first.map(|d| d.file.clone()))),
            ("line", obj(py, first.map(|d| d.line))),
            ("column", obj(py, first.map(|d| d.column))),
            ("message", obj(py, first.map(|d| d.message.clone()))),
            ("caret", obj(py, first.map(|d| d.text.clone()))),
            ("errors", obj(py, errors)),
        ];
        raise::<T>(message, &attrs)
    })
}

fn parse_error(e: &engram_engine::parser::ParseErrors) -> PyErr {
    placed::<ParseError>(e.to_string(), e.diagnostics())
}

fn plan_error(e: &PlanErrors) -> PyErr {
    placed::<PlanError>(e.to_string(), e.diagnostics())
}

fn with_path<T: pyo3::PyTypeInfo>(message: String, path: &Path) -> PyErr {
    Python::attach(|py| raise::<T>(message, &[("path", obj(py, path.to_path_buf()))]))
}

fn os_error(path: &Path, source: &std::io::Error) -> PyErr {
    let message = format!("{}: {source}", path.display());
    match source.raw_os_error() {
        Some(errno) => PyOSError::new_err((errno, message, path.to_path_buf())),
        None => PyOSError::new_err(message),
    }
}

fn corrupt(message: String, path: &Path, what: &str) -> PyErr {
    Python::attach(|py| {
        let attrs = [
            ("path", obj(py, path.to_path_buf())),
            ("what", obj(py, what)),
        ];
        raise::<CorruptStoreError>(message, &attrs)
    })
}

fn value_error(message: String, relation: &str) -> PyErr {
    Python::attach(|py| raise::<FactError>(message, &[("relation", obj(py, relation))]))
}

fn eval_error(e: &EvalError) -> PyErr {
    EvaluationError::new_err(e.to_string())
}

/// A program's error (compiling, reading inputs, evaluating).
pub fn program(e: engram_engine::ProgramError) -> PyErr {
    use engram_engine::ProgramError as E;
    let message = e.to_string();
    match &e {
        E::Parse(p) => parse_error(p),
        E::Plan(p) => plan_error(p),
        E::Io { path, source } => os_error(path, source),
        E::Input { line, .. } => {
            Python::attach(|py| raise::<MemoryFileError>(message, &[("at", obj(py, *line))]))
        }
        E::Eval(e) => eval_error(e),
        E::Value { relation, .. } => value_error(message, relation),
        _ => Error::new_err(message),
    }
}

/// Opening or creating a store.
pub fn open(e: OpenError) -> PyErr {
    let message = e.to_string();
    match &e {
        OpenError::NotAStore { path } => with_path::<NotAStoreError>(message, path),
        OpenError::Exists { path } | OpenError::NotEmpty { path, .. } => {
            with_path::<StoreExistsError>(message, path)
        }
        OpenError::Locked { path, pid, .. } => Python::attach(|py| {
            let attrs = [("path", obj(py, path.clone())), ("pid", obj(py, *pid))];
            raise::<LockedError>(message, &attrs)
        }),
        OpenError::Corrupt { path, what } => corrupt(message, path, what),
        OpenError::Io { path, source } => os_error(path, source),
        _ => StoreError::new_err(message),
    }
}

/// Reading a store.
pub fn read(e: ReadError) -> PyErr {
    let message = e.to_string();
    match &e {
        ReadError::Parse(p) => parse_error(p),
        ReadError::Plan(p) => plan_error(p),
        ReadError::Value { relation, .. } => value_error(message, relation),
        ReadError::Eval(e) => eval_error(e),
        ReadError::Corrupt { path, what } => corrupt(message, path, what),
        ReadError::Io { path, source } => os_error(path, source),
        _ => StoreError::new_err(message),
    }
}

/// Changing a store.
pub fn write(e: WriteError) -> PyErr {
    let message = e.to_string();
    match &e {
        WriteError::Locked { path, pid, .. } => Python::attach(|py| {
            let attrs = [("path", obj(py, path.clone())), ("pid", obj(py, *pid))];
            raise::<LockedError>(message, &attrs)
        }),
        WriteError::ReadOnly { path } => with_path::<ReadOnlyError>(message, path),
        WriteError::Parse(p) => parse_error(p),
        WriteError::Plan(p) => plan_error(p),
        WriteError::Value { relation, .. } => value_error(message, relation),
        WriteError::Input { line, .. } => {
            Python::attach(|py| raise::<MemoryFileError>(message, &[("at", obj(py, *line))]))
        }
        WriteError::Eval(e) => eval_error(e),
        WriteError::Corrupt { path, what } => corrupt(message, path, what),
        WriteError::Io { path, source } => os_error(path, source),
        _ => StoreError::new_err(message),
    }
}

/// A bad line of a memory file.
pub fn bad_line(e: BadLine) -> PyErr {
    Python::attach(|py| {
        let attrs = [
            ("at", obj(py, e.at.clone())),
            ("message", obj(py, e.message.clone())),
        ];
        raise::<MemoryFileError>(e.to_string(), &attrs)
    })
}

/// A change to the memory (`load`, `remember`, `relate`).
pub fn edit(e: EditError) -> PyErr {
    match e {
        EditError::Refused(m) => RefusedError::new_err(m),
        EditError::Fact { at, message } => bad_line(BadLine { at, message }),
        EditError::Write(w) => write(w),
        other => Error::new_err(other.to_string()),
    }
}

/// Registers the exception classes in the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("PlanError", py.get_type::<PlanError>())?;
    m.add("FactError", py.get_type::<FactError>())?;
    m.add("EvaluationError", py.get_type::<EvaluationError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("NotAStoreError", py.get_type::<NotAStoreError>())?;
    m.add("StoreExistsError", py.get_type::<StoreExistsError>())?;
    m.add("LockedError", py.get_type::<LockedError>())?;
    m.add("ReadOnlyError", py.get_type::<ReadOnlyError>())?;
    m.add("CorruptStoreError", py.get_type::<CorruptStoreError>())?;
    m.add("MemoryFileError", py.get_type::<MemoryFileError>())?;
    m.add("RefusedError", py.get_type::<RefusedError>())?;
    Ok(())
}

/// An error of any of engram's layers, carried out of a call made without the GIL and raised
/// once the GIL is held again.
pub enum Failure {
    /// Opening a store.
    Open(OpenError),
    /// Reading a store.
    Read(ReadError),
    /// Changing a store.
    Write(WriteError),
    /// Changing the memory.
    Edit(EditError),
    /// Reading a memory file.
    BadLine(BadLine),
    /// A program.
    Program(engram_engine::ProgramError),
    /// A file that could not be read.
    Io(std::path::PathBuf, std::io::Error),
    /// The store was closed.
    Closed,
    /// An argument that does not fit (a Python `ValueError`).
    Value(String),
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Open(e) => open(e),
            Failure::Read(e) => read(e),
            Failure::Write(e) => write(e),
            Failure::Edit(e) => edit(e),
            Failure::BadLine(e) => bad_line(e),
            Failure::Program(e) => program(e),
            Failure::Io(path, e) => os_error(&path, &e),
            Failure::Closed => StoreError::new_err("the store is closed"),
            Failure::Value(m) => pyo3::exceptions::PyValueError::new_err(m),
        }
    }
}

impl From<OpenError> for Failure {
    fn from(e: OpenError) -> Failure {
        Failure::Open(e)
    }
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Failure {
        Failure::Read(e)
    }
}

impl From<WriteError> for Failure {
    fn from(e: WriteError) -> Failure {
        Failure::Write(e)
    }
}

impl From<EditError> for Failure {
    fn from(e: EditError) -> Failure {
        Failure::Edit(e)
    }
}

impl From<engram_engine::ProgramError> for Failure {
    fn from(e: engram_engine::ProgramError) -> Failure {
        Failure::Program(e)
    }
}

impl From<engram_engine::memory::LoadError> for Failure {
    fn from(e: engram_engine::memory::LoadError) -> Failure {
        match e {
            engram_engine::memory::LoadError::BadLine(b) => Failure::BadLine(b),
            engram_engine::memory::LoadError::Edit(e) => Failure::Edit(e),
        }
    }
}
