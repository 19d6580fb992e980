//! `Store.load`: a memory file (or a tab-separated file of one relation) in one commit, read
//! as `engram load` reads it.

use crate::errors::Failure;
use crate::store::report;
use engram_engine::Store;
use engram_engine::memory::{self, Format, MemoryExt};
use engram_engine::store::CommitReport;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;

/// How to read the file.
pub struct How {
    /// The memory format, when not detected.
    pub format: Option<Format>,
    /// Whether bad lines are skipped (and listed) instead of refusing the file.
    pub skip_bad: bool,
    /// The relation of a tab-separated file.
    pub relation: Option<String>,
    /// Whether a tab-separated file's last column is a confidence.
    pub confidence_column: bool,
}

/// What a load did.
pub struct Loaded {
    facts: usize,
    format: Option<Format>,
    skipped: Vec<memory::BadLine>,
    notes: Vec<String>,
    commit: CommitReport,
}

impl Loaded {
    /// As a dict: `facts`, `format`, `skipped` (`[(at, message)]`), `notes`, `commit`.
    pub fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("facts", self.facts)?;
        d.set_item("format", self.format.map(Format::name))?;
        let skipped: Vec<(String, String)> = (self.skipped.iter())
            .map(|b| (b.at.clone(), b.message.clone()))
            .collect();
        d.set_item("skipped", skipped)?;
        d.set_item("notes", self.notes.clone())?;
        d.set_item("commit", report(py, &self.commit)?)?;
        Ok(d)
    }
}

/// Loads `path` into the store in one transaction.
pub fn load(store: &mut Store, path: &Path, how: How) -> Result<Loaded, Failure> {
    let io = |e| Failure::Io(path.to_path_buf(), e);
    let mut tx = store.transaction()?;
    match &how.relation {
        Some(relation) => {
            let file = std::fs::File::open(path).map_err(io)?;
            let facts = tx.add_tsv(file, path, relation, how.confidence_column)?;
            Ok(Loaded {
                facts,
                format: None,
                skipped: Vec::new(),
                notes: Vec::new(),
                commit: tx.commit()?,
            })
        }
        None => {
            let bytes = std::fs::read(path).map_err(io)?;
            let text =
                engram_core::internal::io::utf8(path, &bytes, 1).map_err(Failure::Program)?;
            let read = memory::load_text(&mut tx, text, how.format, how.skip_bad)?;
            Ok(Loaded {
                facts: read.facts,
                format: Some(read.format),
                skipped: read.skipped,
                notes: read.notes,
                commit: tx.commit()?,
            })
        }
    }
}

/// Writes the memory to `path` a line at a time (engram's format, or the MCP server's when
/// `mcp`); returns the lines written.
pub fn export_to(
    store: &mut Store,
    path: &Path,
    mcp: bool,
    inferred_only: bool,
) -> Result<usize, Failure> {
    use std::io::Write;
    let io = |e| Failure::Io(path.to_path_buf(), e);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut n = 0;
    let mut write = |line: &serde_json::Value| -> Result<(), Failure> {
        n += 1;
        writeln!(out, "{line}").map_err(io)
    };
    match mcp {
        true => store.export_mcp()?.iter().try_for_each(&mut write)?,
        false => store.export_memory_each(inferred_only, |line| write(&line))?,
    }
    out.flush().map_err(io)?;
    Ok(n)
}
