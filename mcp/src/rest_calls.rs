//! Calls no MCP tool offers, which `engram serve`'s REST API makes through the same
//! [`crate::Server::call`]: asserting facts written as Datalog (data: each is read by the
//! parser of facts, never as a rule), importing memories (a file `engram load` reads), and the
//! rule files listed, read and removed. An MCP client cannot call them (they are not among the
//! tools listed).

use crate::calls::{CallError, json_of};
use crate::results::Report;
use engram_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// The calls of this module, and whether each writes.
pub(crate) const CALLS: &[(&str, bool)] = &[
    ("assert_facts", true),
    ("rule_files", false),
    ("rule_file", false),
    ("remove_rule", true),
    ("import_memories", true),
    ("neighbourhood", false),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssertFacts {
    /// Facts as Datalog, each with its `@ c` confidence and `~ t` time if given.
    facts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Named {
    name: String,
    #[serde(default)]
    replace_standard: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportMemories {
    /// The file's text.
    text: String,
    /// engram, mcp-memory or memorygraph; detected when not given.
    format: Option<String>,
}

#[derive(Serialize)]
struct Imported {
    format: &'static str,
    /// Facts asserted.
    asserted: usize,
    /// Lines of derived knowledge not asserted (the rules derive them again).
    derived: usize,
    report: Report,
}

#[derive(Serialize)]
struct Asserted {
    asserted: usize,
    report: Report,
}

#[derive(Serialize)]
struct RuleFileOut {
    name: String,
    /// One of engram's standard rule files.
    standard: bool,
    /// Its rules (clauses with a body), counted as the parser reads them.
    rules: usize,
    /// Facts that hold now derived by its rules (those of the files it includes too).
    derived: usize,
    /// Each of its rules with what it derived, in the order written (with the text).
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<Vec<RuleCountOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

/// A rule and what it derived ([`engram_store::RuleCount`]).
#[derive(Serialize)]
struct RuleCountOut {
    rule: String,
    written: String,
    head: String,
    derived: usize,
}

#[derive(Serialize)]
struct RuleRemoved {
    removed: String,
    report: Report,
}

/// Runs one of [`CALLS`]; `None` when `name` is not one of them.
pub(crate) fn call(store: &mut Store, name: &str, args: &Json) -> Option<Result<Json, CallError>> {
    Some(match name {
        "assert_facts" => read(args).and_then(|call| assert_facts(store, call)),
        "rule_files" => rule_files(store, false).and_then(json_of),
        "rule_file" => read::<Named>(args).and_then(|call| {
            let found = rule_files(store, true)?
                .into_iter()
                .find(|r| r.name == call.name);
            let missing = || CallError::NotFound(format!("no rule file named {:?}", call.name));
            found.ok_or_else(missing).and_then(json_of)
        }),
        "remove_rule" => read(args).and_then(|call| remove_rule(store, call)),
        "import_memories" => read(args).and_then(|call| import_memories(store, call)),
        "neighbourhood" => {
            read(args).and_then(|call| crate::view_calls::neighbourhood(store, call))
        }
        _ => return None,
    })
}

fn read<T: serde::de::DeserializeOwned>(args: &Json) -> Result<T, CallError> {
    crate::calls::args(args)
}

fn assert_facts(store: &mut Store, call: AssertFacts) -> Result<Json, CallError> {
    if call.facts.is_empty() {
        return Err(CallError::Arguments("`facts`: give at least one".into()));
    }
    let mut tx = store.transaction()?;
    let mut asserted = 0;
    for (i, fact) in call.facts.iter().enumerate() {
        // One fact per string: the parser of facts reads it (a rule is refused by it).
        let text = format!("{}.", fact.trim().trim_end_matches('.'));
        match tx.add_text(&text) {
            Ok(1) => asserted += 1,
            Ok(n) => {
                return Err(CallError::Arguments(format!(
                    "`facts[{i}]`: one fact per string ({n} here)"
                )));
            }
            Err(e) => return Err(CallError::Arguments(format!("`facts[{i}]`: {e}"))),
        }
    }
    let report = Report::from(&tx.commit()?);
    json_of(Asserted { asserted, report })
}

/// The store's rule files, with what their rules derived (with those of a file it includes
/// that is not one of the store's rule files).
fn rule_files(store: &mut Store, with_text: bool) -> Result<Vec<RuleFileOut>, CallError> {
    let counts = store.rule_counts()?;
    let files = store.rules().to_vec();
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let out = (files.into_iter())
        .map(|r| {
            let parsed = engram_parser::parse_file_alone(&r.text, &r.name).ok().map(|p| p.0);
            let is_rule = |i: &&engram_parser::Item| {
                matches!(i, engram_parser::Item::Clause(c) if !c.body.is_empty())
            };
            let rules = parsed.as_ref().map_or(0, |p| p.items.iter().filter(is_rule).count());
            // Its rules and those of the files it includes that are not rule files of the
            // store themselves (those are counted as theirs).
            let included: Vec<String> = (parsed.iter().flat_map(|p| &p.items))
                .filter_map(|i| match i {
                    engram_parser::Item::Include(inc) => Some(inc.path.clone()),
                    _ => None,
                })
                .filter(|path| !names.contains(path))
                .collect();
            let file_of = |written: &str| written.rsplit_once(':').map_or("", |w| w.0).to_string();
            let mine: Vec<RuleCountOut> = (counts.iter())
                .filter(|c| {
                    let file = file_of(&c.written);
                    file == r.name || included.contains(&file)
                })
                .map(|c| RuleCountOut {
                    rule: c.rule.clone(),
                    written: c.written.clone(),
                    head: c.head.clone(),
                    derived: c.derived,
                })
                .collect();
            RuleFileOut {
                standard: engram_core::library::is_standard(&r.name),
                rules,
                derived: mine.iter().map(|c| c.derived).sum(),
                counts: with_text.then_some(mine),
                text: with_text.then(|| r.text.clone()),
                name: r.name,
            }
        })
        .collect();
    Ok(out)
}

fn remove_rule(store: &mut Store, call: Named) -> Result<Json, CallError> {
    if !store.rules().iter().any(|r| r.name == call.name) {
        return Err(CallError::NotFound(format!(
            "no rule file named {:?}",
            call.name
        )));
    }
    if store.replaces_standard_rules(&call.name) && !call.replace_standard {
        return Err(CallError::Failed(format!(
            "`{}` is one of engram's standard rule files: removing it changes what every \
             memory derives. Pass replace_standard=true to remove it on purpose",
            call.name
        )));
    }
    let report = Report::from(&store.remove_rules(&call.name)?);
    json_of(RuleRemoved {
        removed: call.name,
        report,
    })
}

/// Memories in one of `engram load`'s formats, asserted in one commit (a line that cannot be
/// read fails the whole import, naming the line).
fn import_memories(store: &mut Store, call: ImportMemories) -> Result<Json, CallError> {
    use engram_memory::Format;
    let format = match call.format.as_deref() {
        Some(name) => name.parse::<Format>().map_err(CallError::Arguments)?,
        None => Format::detect(&call.text).ok_or_else(|| {
            CallError::Arguments(
                "not a memory file engram reads (engram's JSON Lines, the MCP reference \
                 server's memory.jsonl, a MemoryGraph export); give format="
                    .into(),
            )
        })?,
    };
    let read = (format.read(&call.text, false))
        .map_err(|bad| CallError::Arguments(format!("line {bad}")))?;
    let asserted = read.facts.len();
    let mut tx = store.transaction()?;
    engram_memory::add_to_transaction(&mut tx, read.facts)?;
    let report = Report::from(&tx.commit()?);
    json_of(Imported {
        format: match format {
            Format::Native => "engram",
            Format::McpMemory => "mcp-memory",
            Format::MemoryGraph => "memorygraph",
        },
        asserted,
        derived: read.derived,
        report,
    })
}
