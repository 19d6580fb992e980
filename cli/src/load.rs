//! `engram load`: facts from tab-separated `.facts` files or JSON Lines, in one transaction,
//! with a progress bar on large files.

use anyhow::{Context, bail};
use engram_engine::{ColumnType, Store, Value};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Files larger than this show a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 1 << 20;

/// What was loaded.
pub struct Loaded {
    /// Facts read.
    pub facts: usize,
}

/// Loads `path` into the store: tab-separated rows of `relation` (with a confidence as an
/// extra last column when `confidence`), or, for a `.jsonl` file or without a relation, JSON
/// Lines `{"relation", "values", "confidence"?, "time"?}`.
pub fn load(
    store: &mut Store,
    path: &Path,
    relation: Option<&str>,
    confidence: bool,
) -> anyhow::Result<(Loaded, engram_engine::store::CommitReport)> {
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
    let reader = BufReader::new(bar.wrap_read(file));
    let jsonl = relation.is_none() || path.extension().is_some_and(|e| e == "jsonl");
    let mut tx = store.transaction()?;
    let facts = if jsonl {
        load_jsonl(&mut tx, reader, path)?
    } else {
        let relation = relation.expect("checked");
        load_tsv(&mut tx, reader, path, relation, confidence)?
    };
    bar.set_message("inferring");
    let report = tx.commit()?;
    bar.finish_and_clear();
    Ok((Loaded { facts }, report))
}

fn load_tsv(
    tx: &mut engram_engine::store::Transaction<'_>,
    reader: impl Read,
    path: &Path,
    relation: &str,
    confidence: bool,
) -> anyhow::Result<usize> {
    let mut types: Option<Vec<ColumnType>> = None;
    let mut n = 0;
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.with_context(|| format!("{}", path.display()))?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if line.is_empty() {
            continue;
        }
        let mut fields: Vec<&str> = line.split('\t').collect();
        let conf = if confidence {
            let c = fields.pop().unwrap_or("");
            match c.trim().parse::<f64>() {
                Ok(x) if x > 0.0 && x <= 1.0 => x,
                _ => bail!(
                    "{}:{}: confidence `{c}` is not a number in (0, 1]",
                    path.display(),
                    i + 1
                ),
            }
        } else {
            1.0
        };
        let types = match &types {
            Some(t) => t,
            None => types.insert(match tx.relation_types(relation)? {
                Some(t) => t,
                // A relation no rule declares: every column is a symbol.
                None => vec![ColumnType::Symbol; fields.len()],
            }),
        };
        if fields.len() != types.len() {
            bail!(
                "{}:{}: {} columns, `{relation}` has {}",
                path.display(),
                i + 1,
                fields.len(),
                types.len()
            );
        }
        let values = fields
            .iter()
            .zip(types.iter())
            .map(|(f, t)| Value::parse(*t, f))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
        tx.add_with(relation, values, conf, None)?;
        n += 1;
    }
    Ok(n)
}

fn load_jsonl(
    tx: &mut engram_engine::store::Transaction<'_>,
    reader: impl Read,
    path: &Path,
) -> anyhow::Result<usize> {
    let mut n = 0;
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.with_context(|| format!("{}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let v: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{}: not JSON", at()))?;
        let relation = v["relation"]
            .as_str()
            .with_context(|| format!("{}: no \"relation\" string", at()))?;
        let raw = v["values"]
            .as_array()
            .with_context(|| format!("{}: no \"values\" array", at()))?;
        let types = tx.relation_types(relation)?;
        let values = raw
            .iter()
            .enumerate()
            .map(|(k, x)| json_value(x, types.as_ref().and_then(|t| t.get(k)).copied()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("{}: {e}", at()))?;
        let conf = match &v["confidence"] {
            serde_json::Value::Null => 1.0,
            c => c
                .as_f64()
                .with_context(|| format!("{}: \"confidence\" is not a number", at()))?,
        };
        let time = match &v["time"] {
            serde_json::Value::Null => None,
            t => Some(
                t.as_i64()
                    .with_context(|| format!("{}: \"time\" is not unix milliseconds", at()))?,
            ),
        };
        tx.add_with(relation, values, conf, time).with_context(at)?;
        n += 1;
    }
    Ok(n)
}

/// A JSON value as a column value: of the declared type when the relation is known, else a
/// string is a symbol, an integer a number, another number a float.
fn json_value(x: &serde_json::Value, ty: Option<ColumnType>) -> Result<Value, String> {
    use serde_json::Value as J;
    Ok(match (x, ty) {
        (J::String(s), None | Some(ColumnType::Symbol)) => Value::Symbol(s.clone()),
        (J::Number(n), None | Some(ColumnType::Number)) if n.is_i64() => {
            Value::Number(n.as_i64().expect("checked"))
        }
        (J::Number(n), Some(ColumnType::Unsigned)) if n.is_u64() => {
            Value::Unsigned(n.as_u64().expect("checked"))
        }
        (J::Number(n), None | Some(ColumnType::Float)) => {
            Value::Float(n.as_f64().ok_or("a number out of range")?)
        }
        (other, Some(t)) => return Err(format!("{other} is not a {t}")),
        (other, None) => return Err(format!("{other} is not a string or a number")),
    })
}
