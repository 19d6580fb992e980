//! `engram load`: facts from tab-separated `.facts` files or JSON Lines, in one transaction,
//! with a progress bar on large files.

use anyhow::Context;
use engram_memory as memory;
use engram_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufReader, Read};
use std::path::Path;

/// Files larger than this show a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 1 << 20;

/// How to read the file.
pub struct How<'a> {
    /// The relation of a tab-separated file.
    pub relation: Option<&'a str>,
    /// Whether a tab-separated file's last column is a confidence.
    pub confidence: bool,
    /// The memory format, when not detected.
    pub format: Option<memory::Format>,
    /// Whether to skip bad lines (listing them) instead of refusing the file.
    pub skip_bad: bool,
}

/// What was loaded.
pub struct Loaded {
    /// Facts read.
    pub facts: usize,
    /// The memory format the file was read as, if it held memories.
    pub format: Option<memory::Format>,
    /// Lines skipped as bad (with `--skip-bad`).
    pub skipped: Vec<memory::BadLine>,
    /// What else the user should know: lines not loaded on purpose, fields with no place.
    pub notes: Vec<String>,
}

/// A memory format's name, as `--format` takes it.
pub fn format_name(f: memory::Format) -> &'static str {
    match f {
        memory::Format::Native => "engram",
        memory::Format::McpMemory => "mcp-memory",
        memory::Format::MemoryGraph => "memorygraph",
    }
}

/// Loads `path` into the store in one transaction: memories (detected, or as `how.format`
/// says), JSON Lines `{"relation", "values", "confidence"?, "time"?}`, or tab-separated rows
/// of `how.relation` (with a confidence as an extra last column when `how.confidence`).
pub fn load(
    store: &mut Store,
    path: &Path,
    how: &How<'_>,
) -> anyhow::Result<(Loaded, engram_store::CommitReport)> {
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if size >= PROGRESS_BYTES {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {eta}")
                .expect("a valid template"),
        );
        bar.set_message(format!("loading {}", path.display()));
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut reader = BufReader::new(bar.wrap_read(file));
    let mut loaded = Loaded {
        facts: 0,
        format: None,
        skipped: Vec::new(),
        notes: Vec::new(),
    };
    let mut tx = store.transaction()?;
    match how.relation {
        Some(relation) if path.extension().is_none_or(|e| e != "jsonl") => {
            loaded.facts = tx.add_tsv(reader, path, relation, how.confidence)?;
        }
        _ => {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .with_context(|| format!("{}", path.display()))?;
            let text = engram_core::internal::io::utf8(path, &bytes, 1)?;
            // JSON Lines that are neither the MCP server's nor MemoryGraph's are engram's.
            let format = how
                .format
                .or_else(|| memory::Format::detect(text))
                .unwrap_or(memory::Format::Native);
            load_memories(&mut tx, text, path, format, how.skip_bad, &mut loaded)?;
        }
    }
    bar.set_message("inferring");
    let report = tx.commit()?;
    bar.finish_and_clear();
    Ok((loaded, report))
}

/// Bytes of JSON Lines read as one part: each part is asserted while the next is parsed.
const PART_BYTES: usize = 8 << 20;

/// Memories read by the engine's reader, asserted as facts of the memory schema. A file of
/// JSON Lines is read in parts, the next part parsed on the other cores while one is
/// asserted; any bad line still refuses the whole file (the transaction is not committed).
fn load_memories(
    tx: &mut engram_store::Transaction<'_>,
    text: &str,
    path: &Path,
    format: memory::Format,
    skip_bad: bool,
    loaded: &mut Loaded,
) -> anyhow::Result<()> {
    let parts = match format {
        memory::Format::MemoryGraph => vec![(0, text)],
        _ => memory::Format::parts(text, PART_BYTES),
    };
    let read_part = |&(first, part): &(usize, &str)| {
        format.read_part(part, first, skip_bad).map_err(|b| {
            anyhow::anyhow!(
                "{}:{b} (nothing was loaded; --skip-bad loads the other lines)",
                path.display()
            )
        })
    };
    // What the parts read besides their facts, which are asserted as each part is read.
    let mut read = memory::Import::empty(format);
    let mut next = parts.first().map(read_part);
    for k in 0..parts.len() {
        let mut part = next.take().expect("read ahead")?;
        loaded.facts += part.facts.len();
        let facts = std::mem::take(&mut part.facts);
        let (added, ahead) = rayon::join(
            || memory::add_to_transaction(tx, facts),
            || parts.get(k + 1).map(read_part),
        );
        added.map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
        next = ahead;
        read.absorb(part);
    }
    loaded.format = Some(format);
    loaded.skipped = read.skipped;
    if read.derived > 0 {
        loaded.notes.push(format!(
            "{} lines of derived knowledge (\"inferred\", merges, violations) not loaded: the \
             rules derive them again",
            read.derived
        ));
    }
    if read.ignored > 0 {
        loaded.notes.push(format!(
            "{} lines of a type the format does not define ignored, as its own tool does",
            read.ignored
        ));
    }
    if !read.unknown_fields.is_empty() {
        let fields: Vec<&str> = read.unknown_fields.iter().map(String::as_str).collect();
        loaded.notes.push(format!(
            "fields with no place in engram's memory, not loaded: {}",
            fields.join(", ")
        ));
    }
    Ok(())
}
