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
            let read =
                memory::load_text(&mut tx, text, how.format, how.skip_bad).map_err(
                    |e| match e {
                        memory::LoadError::BadLine(b) => anyhow::anyhow!(
                            "{}:{b} (nothing was loaded; --skip-bad loads the other lines)",
                            path.display()
                        ),
                        memory::LoadError::Edit(e) => anyhow::anyhow!("{}:{e}", path.display()),
                    },
                )?;
            loaded = Loaded {
                facts: read.facts,
                format: Some(read.format),
                skipped: read.skipped,
                notes: read.notes,
            };
        }
    }
    bar.set_message("inferring");
    let report = tx.commit()?;
    bar.finish_and_clear();
    Ok((loaded, report))
}
