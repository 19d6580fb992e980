//! Reading memories: engram's memory format, the MCP reference memory server's file and
//! MemoryGraph's export, each into facts of the memory schema.

use engram_core::internal::value::parse_time;
use engram_core::{ColumnType, Value};
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// One fact to assert: a relation of the memory schema, its values, confidence and time (the
/// load time when `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryFact {
    /// The relation (`memory`, `tag`, `relation`, ...; any relation for a generic
    /// `{"relation", "values"}` line).
    pub relation: String,
    /// Its values, typed as `rules/schema.dl` declares them.
    pub values: Vec<Value>,
    /// In (0, 1].
    pub confidence: f64,
    /// Unix milliseconds, or `None` for the time it is loaded.
    pub time: Option<i64>,
    /// Where it was read: the line of a JSON Lines file, or the entry of a MemoryGraph
    /// export's `memories` or `relationships` (as in [`BadLine::at`]).
    pub at: std::sync::Arc<str>,
}

/// The formats `engram load` reads as memories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// engram's memory format: JSON Lines of `{"kind": "memory" | "entity" | "relation", ...}`.
    Native,
    /// The MCP reference memory server's `memory.jsonl`: `{"type": "entity" | "relation", ...}`.
    McpMemory,
    /// MemoryGraph's export: one JSON object `{"format_version", "memories", "relationships"}`.
    MemoryGraph,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "engram" | "native" => Ok(Format::Native),
            "mcp-memory" => Ok(Format::McpMemory),
            "memorygraph" => Ok(Format::MemoryGraph),
            other => Err(format!(
                "unknown memory format `{other}`: use engram, mcp-memory or memorygraph"
            )),
        }
    }
}

/// A line (or entry) that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// Where: the line (`12`), or the entry of a MemoryGraph export (`memories[3]`).
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for BadLine {}

/// What a file holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The format it was read as.
    pub format: Format,
    /// The facts to assert.
    pub facts: Vec<MemoryFact>,
    /// Lines skipped as bad (only when asked to skip them).
    pub skipped: Vec<BadLine>,
    /// Lines of derived knowledge (an export's `"inferred": true` lines, merges, violations),
    /// which are not asserted: the rules derive them again.
    pub derived: usize,
    /// Lines of a type the format's own tool ignores too (the MCP server's unknown `type`s).
    pub ignored: usize,
    /// Fields of a MemoryGraph export that have no place in the schema.
    pub unknown_fields: BTreeSet<String>,
}

/// Bytes of JSON Lines read as one chunk.
const CHUNK_BYTES: usize = 1 << 20;

impl Format {
    /// Reads one object of a memory file (a line of JSON Lines) in engram's format or the MCP
    /// server's, as [`Format::read`] reads each line: its facts, each told it was read `at`, or what is
    /// wrong with it. `engram mcp`'s `remember` and `relate` go through here.
    pub fn read_object(
        self,
        object: &Map<String, Json>,
        at: &str,
    ) -> Result<Vec<MemoryFact>, String> {
        let format = self;
        let mut import = Import::empty(format);
        let mut out = Vec::new();
        match format {
            Format::Native => native(object, &mut out, &mut import)?,
            Format::McpMemory => mcp(object, &mut out, &mut import)?,
            Format::MemoryGraph => return Err("a MemoryGraph export is read whole".into()),
        }
        Ok(placed(out, at).collect())
    }

    /// The memory format of a file, from its first object (engram's format includes generic
    /// `{"relation", "values"}` fact lines): `None` when it is none of them, or not JSON.
    pub fn detect(text: &str) -> Option<Format> {
        let first = text.lines().find(|l| !l.trim().is_empty())?;
        if let Ok(Json::Object(o)) = serde_json::from_str::<Json>(first) {
            if o.contains_key("kind") || o.contains_key("relation") {
                return Some(Format::Native);
            }
            if matches!(
                o.get("type").and_then(Json::as_str),
                Some("entity" | "relation")
            ) {
                return Some(Format::McpMemory);
            }
            if o.contains_key("memories") || o.contains_key("format_version") {
                return Some(Format::MemoryGraph);
            }
            return None;
        }
        // A pretty-printed MemoryGraph export spans many lines.
        match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(o)) if o.contains_key("memories") => Some(Format::MemoryGraph),
            _ => None,
        }
    }

    /// Reads `text` as `format`. A bad line fails the whole read unless `skip_bad`, in which case
    /// it is listed in [`Import::skipped`] and the rest is read.
    ///
    /// JSON Lines are read in chunks of lines on every core; what comes back is in file order, and
    /// the bad line reported is the first in the file.
    pub fn read(self, text: &str, skip_bad: bool) -> Result<Import, BadLine> {
        self.read_part(text, 0, skip_bad)
    }

    /// [`Format::read`] for a part of a file of JSON Lines that follows its first `first` lines (see
    /// [`Format::parts`]), so that lines are reported by their number in the file. A MemoryGraph
    /// export is one document: it is read whole, as [`Format::read`] reads it.
    pub fn read_part(self, text: &str, first: usize, skip_bad: bool) -> Result<Import, BadLine> {
        let format = self;
        use rayon::prelude::*;
        if format == Format::MemoryGraph {
            return read_lines(text, first, format, skip_bad);
        }
        let chunks = Format::parts(text, CHUNK_BYTES);
        let parts: Vec<Result<Import, BadLine>> = chunks
            .into_par_iter()
            .map(|(before, chunk)| read_lines(chunk, first + before, format, skip_bad))
            .collect();
        let mut import = Import::empty(format);
        let facts = parts.iter().flatten().map(|p| p.facts.len()).sum();
        import.facts.reserve_exact(facts);
        for part in parts {
            import.absorb(part?);
        }
        Ok(import)
    }

    /// `text` cut after a newline every `size` bytes or so, each part with the number of lines
    /// before it.
    pub fn parts(text: &str, size: usize) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        let (mut rest, mut lines) = (text, 0);
        while !rest.is_empty() {
            let cut = match rest.as_bytes().get(size..) {
                None => rest.len(),
                Some(after) => after
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |p| size + p + 1),
            };
            let (chunk, next) = rest.split_at(cut);
            out.push((lines, chunk));
            lines += chunk.bytes().filter(|&b| b == b'\n').count();
            rest = next;
        }
        out
    }
}

impl Import {
    /// Nothing read yet, as `format`.
    pub fn empty(format: Format) -> Import {
        Import {
            format,
            facts: Vec::new(),
            skipped: Vec::new(),
            derived: 0,
            ignored: 0,
            unknown_fields: BTreeSet::new(),
        }
    }

    /// Adds what a later part of the file read ([`Format::read_part`]).
    pub fn absorb(&mut self, part: Import) {
        self.facts.extend(part.facts);
        self.skipped.extend(part.skipped);
        self.derived += part.derived;
        self.ignored += part.ignored;
        self.unknown_fields.extend(part.unknown_fields);
    }
}

/// Reads `text`, whose first line is line `first + 1` of the file.
fn read_lines(text: &str, first: usize, format: Format, skip_bad: bool) -> Result<Import, BadLine> {
    let mut import = Import::empty(format);
    let mut bad = |import: &mut Import, b: BadLine| {
        if skip_bad {
            import.skipped.push(b);
            Ok(())
        } else {
            Err(b)
        }
    };
    if format == Format::MemoryGraph {
        return match memorygraph(text, &mut import, &mut bad) {
            Ok(()) => Ok(import),
            Err(b) => Err(b),
        };
    }
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || (first + i + 1).to_string();
        let object = match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(o)) => o,
            Ok(_) => {
                bad(
                    &mut import,
                    BadLine {
                        at: at(),
                        message: "not a JSON object".into(),
                    },
                )?;
                continue;
            }
            Err(e) => {
                bad(
                    &mut import,
                    BadLine {
                        at: at(),
                        message: format!("not JSON: {e}"),
                    },
                )?;
                continue;
            }
        };
        let mut out = Vec::new();
        let read = match format {
            Format::Native => native(&object, &mut out, &mut import),
            _ => mcp(&object, &mut out, &mut import),
        };
        match read {
            Ok(()) => import.facts.extend(placed(out, &at())),
            Err(message) => bad(&mut import, BadLine { at: at(), message })?,
        }
    }
    Ok(import)
}

/// The facts of one line or entry, each told where it was read.
fn placed(facts: Vec<MemoryFact>, at: &str) -> impl Iterator<Item = MemoryFact> {
    let at: std::sync::Arc<str> = std::sync::Arc::from(at);
    facts.into_iter().map(move |mut f| {
        f.at = at.clone();
        f
    })
}

/// The fields of one object, read one at a time and checked off, so that a field nobody read
/// can be reported.
struct Fields<'a> {
    object: &'a Map<String, Json>,
    read: BTreeSet<&'static str>,
}

impl<'a> Fields<'a> {
    fn new(object: &'a Map<String, Json>) -> Self {
        Fields {
            object,
            read: BTreeSet::new(),
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Json> {
        self.read.insert(key);
        self.object.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &'static str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("\"{key}\" is not a string: {other}")),
        }
    }

    fn required(&mut self, key: &'static str) -> Result<String, String> {
        self.string(key)?
            .ok_or_else(|| format!("\"{key}\" is missing"))
    }

    fn strings(&mut self, key: &'static str) -> Result<Vec<String>, String> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("\"{key}\" holds {x}, not a string"))
                })
                .collect(),
            Some(other) => Err(format!("\"{key}\" is not a list of strings: {other}")),
        }
    }

    fn unit(&mut self, key: &'static str, zero: bool) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if (x > 0.0 || (zero && x == 0.0)) && x <= 1.0 => Ok(Some(x)),
                _ => Err(format!(
                    "\"{key}\" is {v}, not a number in {}",
                    if zero { "[0, 1]" } else { "(0, 1]" }
                )),
            },
        }
    }

    fn time(&mut self, key: &'static str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::String(s)) => parse_time(s)
                .map(Some)
                .ok_or_else(|| format!("\"{key}\" is `{s}`, not an ISO 8601 time")),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("\"{key}\" is {v}, not a time")),
        }
    }

    /// The fields present that nothing read.
    fn unread(&self) -> Vec<String> {
        self.object
            .iter()
            .filter(|(k, v)| !self.read.contains(k.as_str()) && !v.is_null())
            .map(|(k, _)| k.clone())
            .collect()
    }
}

fn sym(s: impl Into<String>) -> Value {
    Value::Symbol(s.into())
}

/// Appends the facts of one fact of the schema.
fn fact(out: &mut Vec<MemoryFact>, relation: &str, values: Vec<Value>, c: f64, t: Option<i64>) {
    out.push(MemoryFact {
        relation: relation.to_string(),
        values,
        confidence: c,
        time: t,
        at: std::sync::Arc::from(""),
    });
}

/// A relation, with the type as written when it is not already the normalised one.
fn relation(
    out: &mut Vec<MemoryFact>,
    from: String,
    written: &str,
    to: String,
    c: f64,
    t: Option<i64>,
) -> Result<(), String> {
    let ty = super::rule_type(written)?;
    if ty != written {
        let values = vec![sym(&from), sym(&ty), sym(&to), sym(written)];
        fact(out, "relation_written", values, c, t);
    }
    fact(out, "relation", vec![sym(from), sym(ty), sym(to)], c, t);
    Ok(())
}

/// One line of engram's memory format.
fn native(
    object: &Map<String, Json>,
    out: &mut Vec<MemoryFact>,
    import: &mut Import,
) -> Result<(), String> {
    let mut f = Fields::new(object);
    if matches!(f.get("inferred"), Some(Json::Bool(true))) {
        import.derived += 1;
        return Ok(());
    }
    if object.contains_key("relation") && !object.contains_key("kind") {
        return generic(&mut f, out);
    }
    let kind = f.required("kind")?;
    if matches!(f.get("inferred"), Some(Json::Bool(true)))
        || matches!(kind.as_str(), "type" | "same_as" | "violation")
    {
        import.derived += 1;
        return Ok(());
    }
    let c = f.unit("confidence", false)?.unwrap_or(1.0);
    let t = f.time("time")?;
    match kind.as_str() {
        "memory" => memory(&mut f, out, c, t)?,
        "entity" => {
            let id = f.required("id")?;
            let ty = f.string("type")?.unwrap_or_else(|| "entity".into());
            for o in f.strings("observations")? {
                fact(out, "observation", vec![sym(&id), sym(o)], c, t);
            }
            fact(out, "entity", vec![sym(id), sym(ty)], c, t);
        }
        "relation" => {
            let from = f.required("from")?;
            let ty = f.required("type")?;
            let to = f.required("to")?;
            relation(out, from, &ty, to, c, t)?;
        }
        other => {
            return Err(format!(
                "unknown kind `{other}`: use memory, entity or relation"
            ));
        }
    }
    // Export writes these on asserted facts too.
    for key in ["depth", "rule"] {
        f.get(key);
    }
    match f.unread().as_slice() {
        [] => Ok(()),
        unknown => Err(format!("unknown field(s) {}", unknown.join(", "))),
    }
}

/// A generic fact line, `{"relation", "values", "confidence"?, "time"?}` (what an export
/// writes for relations outside the memory shapes). Values are typed by JSON: a string is a
/// symbol, an integer a number, another number a float.
fn generic(f: &mut Fields<'_>, out: &mut Vec<MemoryFact>) -> Result<(), String> {
    let relation = f.required("relation")?;
    let values = match f.get("values") {
        Some(Json::Array(items)) => items
            .iter()
            .map(|x| json_value(x, None))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("\"values\" is not a list".into()),
    };
    let c = f.unit("confidence", false)?.unwrap_or(1.0);
    let t = f.time("time")?;
    for key in ["depth", "rule", "superseded_by"] {
        f.get(key);
    }
    fact(out, &relation, values, c, t);
    match f.unread().as_slice() {
        [] => Ok(()),
        unknown => Err(format!("unknown field(s) {}", unknown.join(", "))),
    }
}

/// A JSON value as a column value: of type `ty` when given, else a string is a symbol, an
/// integer a number, another number a float. An integer too big for its column is refused,
/// never read as a float.
pub(crate) fn json_value(x: &Json, ty: Option<ColumnType>) -> Result<Value, String> {
    Ok(match (x, ty) {
        (Json::String(s), None | Some(ColumnType::Symbol)) => Value::Symbol(s.clone()),
        (Json::Number(n), None | Some(ColumnType::Number)) if n.is_i64() => {
            Value::Number(n.as_i64().expect("checked"))
        }
        (Json::Number(n), Some(ColumnType::Unsigned)) if n.is_u64() => {
            Value::Unsigned(n.as_u64().expect("checked"))
        }
        // An integer as written (the JSON reader keeps a number's text): too big.
        (Json::Number(n), None | Some(ColumnType::Number | ColumnType::Unsigned))
            if !n.is_f64() =>
        {
            let (ty, range) = match ty {
                Some(ColumnType::Unsigned) => ("an unsigned", "0 to 18446744073709551615"),
                _ => ("a number", "-9223372036854775808 to 9223372036854775807"),
            };
            return Err(format!("{n} is too big for {ty} (64 bits: {range})"));
        }
        (Json::Number(n), None | Some(ColumnType::Float)) => {
            Value::Float(n.as_f64().ok_or("a number out of range")?)
        }
        (other, Some(t)) => return Err(format!("{other} is not a {t}")),
        (other, None) => return Err(format!("{other} is not a string or a number")),
    })
}

/// A memory's fields as facts: `memory(id, type, title)` and one fact per other field.
fn memory(
    f: &mut Fields<'_>,
    out: &mut Vec<MemoryFact>,
    c: f64,
    t: Option<i64>,
) -> Result<(), String> {
    let id = f.required("id")?;
    let ty = f.string("type")?.unwrap_or_else(|| "memory".into());
    let title = f.string("title")?.unwrap_or_default();
    if let Some(text) = f.string("content")? {
        fact(out, "content", vec![sym(&id), sym(text)], c, t);
    }
    if let Some(text) = f.string("summary")? {
        fact(out, "memory_summary", vec![sym(&id), sym(text)], c, t);
    }
    for tag in f.strings("tags")? {
        fact(out, "tag", vec![sym(&id), sym(tag)], c, t);
    }
    if let Some(p) = f.string("project")? {
        fact(out, "project", vec![sym(&id), sym(p)], c, t);
    }
    if let Some(x) = f.unit("importance", true)? {
        fact(out, "importance", vec![sym(&id), Value::Float(x)], c, t);
    }
    if let Some(u) = f.time("updated")? {
        fact(out, "memory_updated", vec![sym(&id)], c, Some(u));
    }
    fact(out, "memory", vec![sym(id), sym(ty), sym(title)], c, t);
    Ok(())
}

/// One line of the MCP reference memory server's file. As that server does, a line of
/// another `type` is ignored, and so are fields it does not know.
fn mcp(
    object: &Map<String, Json>,
    out: &mut Vec<MemoryFact>,
    import: &mut Import,
) -> Result<(), String> {
    let mut f = Fields::new(object);
    match f.string("type")?.as_deref() {
        Some("entity") => {
            // Required as the server's own schema requires them.
            let name = f.required("name")?;
            let ty = f.required("entityType")?;
            if f.get("observations").is_none() {
                return Err("\"observations\" is missing".into());
            }
            for o in f.strings("observations")? {
                fact(out, "observation", vec![sym(&name), sym(o)], 1.0, None);
            }
            fact(out, "entity", vec![sym(name), sym(ty)], 1.0, None);
        }
        Some("relation") => {
            let from = f.required("from")?;
            let ty = f.required("relationType")?;
            let to = f.required("to")?;
            relation(out, from, &ty, to, 1.0, None)?;
        }
        _ => import.ignored += 1,
    }
    Ok(())
}

/// What one entry of a MemoryGraph list becomes: its facts, and the names of fields (below
/// its own) that nothing read.
type Entry<'e> =
    dyn FnMut(&mut Fields<'_>, &mut Vec<MemoryFact>, &mut Vec<String>) -> Result<(), String> + 'e;

/// Reads each entry of the list `name` (`memories`, `relationships`) with `read`, noting
/// fields it has no place for as `name.field`.
fn entries(
    items: &[Json],
    name: &str,
    import: &mut Import,
    bad: &mut dyn FnMut(&mut Import, BadLine) -> Result<(), BadLine>,
    read: &mut Entry<'_>,
) -> Result<(), BadLine> {
    for (i, item) in items.iter().enumerate() {
        let at = format!("{name}[{i}]");
        let Json::Object(o) = item else {
            let message = "not a JSON object".to_string();
            bad(import, BadLine { at, message })?;
            continue;
        };
        let mut f = Fields::new(o);
        let (mut out, mut unknown) = (Vec::new(), Vec::new());
        match read(&mut f, &mut out, &mut unknown) {
            Ok(()) => {
                unknown.extend(f.unread());
                let named = unknown.into_iter().map(|k| format!("{name}.{k}"));
                import.unknown_fields.extend(named);
                import.facts.extend(placed(out, &at));
            }
            Err(message) => bad(import, BadLine { at, message })?,
        }
    }
    Ok(())
}

/// MemoryGraph's export: `{"format_version", "memories": [..], "relationships": [..]}`.
fn memorygraph(
    text: &str,
    import: &mut Import,
    bad: &mut dyn FnMut(&mut Import, BadLine) -> Result<(), BadLine>,
) -> Result<(), BadLine> {
    let doc: Map<String, Json> = match serde_json::from_str(text) {
        Ok(Json::Object(o)) => o,
        Ok(_) => {
            return Err(BadLine {
                at: "the file".into(),
                message: "not a JSON object".into(),
            });
        }
        Err(e) => {
            return Err(BadLine {
                at: format!("line {}", e.line()),
                message: format!("not JSON: {e}"),
            });
        }
    };
    let list = |key: &str| {
        doc.get(key)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for key in doc.keys() {
        if !matches!(
            key.as_str(),
            "format_version"
                | "memories"
                | "relationships"
                | "export_date"
                | "exported_at"
                | "version"
        ) {
            import.unknown_fields.insert(key.clone());
        }
    }
    let memories = list("memories");
    entries(&memories, "memories", import, bad, &mut |f, out, _| {
        let c = f.unit("confidence", false)?.unwrap_or(1.0);
        let t = f.time("created_at")?;
        memory(f, out, c, t)?;
        if let Some(u) = f.time("updated_at")? {
            let id = f.required("id")?;
            fact(out, "memory_updated", vec![sym(id)], c, Some(u));
        }
        Ok(())
    })?;
    let relationships = list("relationships");
    entries(
        &relationships,
        "relationships",
        import,
        bad,
        &mut |f, out, unknown| {
            f.get("id");
            let from = f.required("from_memory_id")?;
            let to = f.required("to_memory_id")?;
            let ty = f.required("type")?;
            let mut c = 1.0;
            let mut t = f.time("created_at")?;
            if let Some(Json::Object(p)) = f.get("properties") {
                let mut p = Fields::new(p);
                c = match p.unit("confidence", false)? {
                    Some(x) => x,
                    None => p.unit("strength", false)?.unwrap_or(1.0),
                };
                t = p.time("created_at")?.or(t);
                unknown.extend(p.unread().into_iter().map(|k| format!("properties.{k}")));
            }
            relation(out, from, &ty, to, c, t)
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file read in parts reports a bad line by its number in the file, and reads the same
    /// facts as the file read whole.
    #[test]
    fn parts_number_lines_as_the_file_does() {
        let good = r#"{"kind":"entity","id":"e","type":"tool"}"#;
        let mut text = String::new();
        for _ in 0..40 {
            text.push_str(good);
            text.push('\n');
        }
        text.push_str("{not json\n");
        text.push_str(good);
        let parts = Format::parts(&text, 100);
        assert!(parts.len() > 10, "small parts");
        let mut bad = Vec::new();
        let mut facts = 0;
        for &(first, part) in &parts {
            if let Err(b) = Format::Native.read_part(part, first, false) {
                bad.push(b.at);
            }
            facts += Format::Native
                .read_part(part, first, true)
                .unwrap()
                .facts
                .len();
        }
        assert_eq!(bad, vec!["41".to_string()]);
        assert_eq!(Format::Native.read(&text, false).unwrap_err().at, "41");
        let whole = Format::Native.read(&text, true).unwrap();
        assert_eq!(facts, whole.facts.len());
        assert_eq!(whole.skipped.len(), 1);
    }
}
