//! Loading a memory file into a store's transaction: the file's format detected (or given),
//! read in parts, each part's facts asserted while the next part is parsed on another core.
//! Any bad line refuses the whole file (the caller does not commit) unless bad lines are to be
//! skipped. `engram load` and the Python package's `Store.load` are this.

use crate::{BadLine, EditError, Format, Import};
use engram_store::Transaction;

/// What a memory file held.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Facts read (and asserted).
    pub facts: usize,
    /// The format the file was read as.
    pub format: Format,
    /// Lines skipped as bad (only when asked to skip them).
    pub skipped: Vec<BadLine>,
    /// What else the user should know: lines not loaded on purpose, fields with no place.
    pub notes: Vec<String>,
}

/// Why a memory file could not be loaded. Nothing of it should be committed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A line (or entry) could not be read.
    #[error("{0}")]
    BadLine(BadLine),
    /// A fact read does not fit its relation, or the store refused it.
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// Bytes of JSON Lines read as one part: each part is asserted while the next is parsed.
const PART_BYTES: usize = 8 << 20;

impl Format {
    /// The name `--format` (and `Store.load(format=)`) takes for it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "engram",
            Format::McpMemory => "mcp-memory",
            Format::MemoryGraph => "memorygraph",
        }
    }
}

/// Asserts the memories of `text` (a whole file) in `tx`, read as `format`, else as the
/// format its first line shows, else as engram's.
pub fn load_text(
    tx: &mut Transaction<'_>,
    text: &str,
    format: Option<Format>,
    skip_bad: bool,
) -> Result<Loaded, LoadError> {
    // JSON Lines that are neither the MCP server's nor MemoryGraph's are engram's.
    let format = format
        .or_else(|| Format::detect(text))
        .unwrap_or(Format::Native);
    let parts = match format {
        Format::MemoryGraph => vec![(0, text)],
        _ => Format::parts(text, PART_BYTES),
    };
    let read_part = |&(first, part): &(usize, &str)| {
        format
            .read_part(part, first, skip_bad)
            .map_err(LoadError::BadLine)
    };
    // What the parts read besides their facts, which are asserted as each part is read.
    let mut read = Import::empty(format);
    let mut facts = 0;
    let mut next = parts.first().map(read_part);
    for k in 0..parts.len() {
        let mut part = next.take().expect("read ahead")?;
        facts += part.facts.len();
        let part_facts = std::mem::take(&mut part.facts);
        let (added, ahead) = rayon::join(
            || crate::add_to_transaction(tx, part_facts),
            || parts.get(k + 1).map(read_part),
        );
        added?;
        next = ahead;
        read.absorb(part);
    }
    Ok(Loaded {
        facts,
        format,
        notes: notes(&read),
        skipped: read.skipped,
    })
}

/// What a read left out on purpose, in words.
fn notes(read: &Import) -> Vec<String> {
    let mut notes = Vec::new();
    if read.derived > 0 {
        notes.push(format!(
            "{} lines of derived knowledge (\"inferred\", merges, violations) not loaded: the \
             rules derive them again",
            read.derived
        ));
    }
    if read.ignored > 0 {
        notes.push(format!(
            "{} lines of a type the format does not define ignored, as its own tool does",
            read.ignored
        ));
    }
    if !read.unknown_fields.is_empty() {
        let fields: Vec<&str> = read.unknown_fields.iter().map(String::as_str).collect();
        notes.push(format!(
            "fields with no place in engram's memory, not loaded: {}",
            fields.join(", ")
        ));
    }
    notes
}
