//! `engram repl`: an interactive session on a store. Facts typed end with `.` and are added;
//! `?- ...` queries are answered; rules are added to the store's `repl` rule file; lines
//! starting with `.` are commands. A statement may span several lines.

use crate::render::{self, Format};
use anyhow::Context;
use engram_store::Store;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

const HELP: &str = "\
Type Datalog; a statement ends with `.` and may span lines.
  edge(\"a\", \"b\") @ 0.9.        assert a fact (confidence optional)
  ?- path(\"a\", x).              ask a query
  .decl path(x: symbol, y: symbol)        declare a relation (to the rule file `repl`)
  path(x, z) :- edge(x, y), path(y, z).   add a rule (to the rule file `repl`)
Commands:
  .help                         this text
  .retract FACT                 retract an asserted fact
  .explain FACT                 the proof of a fact
  .why-not FACT                 why a fact does not hold
  .rules                        the rule files
  .stats                        facts, files and bytes
  .infer                        re-derive everything
  .quit                         leave (or Ctrl-D)";

/// Runs the loop until `.quit` or end of input.
pub fn run(store: &mut Store) -> anyhow::Result<()> {
    let mut editor = DefaultEditor::new().context("cannot start the line editor")?;
    let history =
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".engram_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("engram repl on {} (.help for help)", describe(store));
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            "engram> "
        } else {
            "   ...> "
        };
        let line = match editor.readline(prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        let trimmed = line.trim();
        if pending.is_empty() && is_directive(trimmed) {
            let _ = editor.add_history_entry(trimmed);
            report(add_to_rules(store, trimmed));
            continue;
        }
        if pending.is_empty() && trimmed.starts_with('.') {
            let _ = editor.add_history_entry(trimmed);
            if trimmed == ".quit" || trimmed == ".exit" {
                break;
            }
            report(command(store, trimmed));
            continue;
        }
        if trimmed.is_empty() && pending.is_empty() {
            continue;
        }
        pending.push_str(&line);
        pending.push('\n');
        if !complete(&pending) {
            continue;
        }
        let statement = std::mem::take(&mut pending);
        let _ = editor.add_history_entry(statement.trim());
        report(statement_run(store, statement.trim()));
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

fn describe(store: &Store) -> String {
    match store.path() {
        Some(p) => p.display().to_string(),
        None => "an in-memory store".into(),
    }
}

fn report(r: anyhow::Result<String>) {
    match r {
        Ok(s) => print!("{s}"),
        Err(e) => eprintln!("{e:#}"),
    }
}

/// Whether the text so far ends a statement: a final `.` outside any string literal.
fn complete(text: &str) -> bool {
    let mut in_str = false;
    let mut escaped = false;
    let mut last = None;
    for c in text.chars() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if !c.is_whitespace() {
            last = Some(c);
        }
    }
    !in_str && last == Some('.')
}

/// Whether a line is a declaration or directive (it goes to the rule file `repl`).
fn is_directive(line: &str) -> bool {
    [".decl ", ".type ", ".pragma ", ".input ", ".output "]
        .iter()
        .any(|d| line.starts_with(d))
}

/// Appends a rule or declaration to the rule file `repl` and re-derives.
fn add_to_rules(store: &mut Store, text: &str) -> anyhow::Result<String> {
    let mut rules = store
        .rules()
        .iter()
        .find(|r| r.name == "repl")
        .map(|r| r.text.clone())
        .unwrap_or_default();
    rules.push_str(text);
    rules.push('\n');
    let r = store.add_rules("repl", &rules)?;
    Ok(format!(
        "added to the rule file `repl`; {} facts derived, {} removed, {} changed\n",
        r.added, r.removed, r.changed
    ))
}

fn statement_run(store: &mut Store, text: &str) -> anyhow::Result<String> {
    if text.starts_with("?-") {
        let mut out = Vec::new();
        store.query_each(text, |answers| {
            render::write_answers(&mut out, answers, Format::Table, 0)?;
            anyhow::Ok(())
        })?;
        return Ok(String::from_utf8(out)?);
    }
    if text.contains(":-") {
        return add_to_rules(store, text);
    }
    let mut tx = store.transaction()?;
    let n = tx.add_text(text)?;
    let r = tx.commit()?;
    Ok(format!(
        "{n} facts asserted; {} derived facts added, {} changed\n",
        r.added, r.changed
    ))
}

fn command(store: &mut Store, line: &str) -> anyhow::Result<String> {
    let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let arg = arg.trim();
    match cmd {
        ".help" => Ok(format!("{HELP}\n")),
        ".retract" => {
            let mut tx = store.transaction()?;
            tx.retract_text(arg)?;
            let r = tx.commit()?;
            Ok(format!(
                "{} retracted; {} facts no longer hold\n",
                r.retracted, r.removed
            ))
        }
        ".explain" => Ok(match store.explain(arg)? {
            Some(p) => p.to_text(),
            None => format!("{}: not derived\n", arg.trim_end_matches('.')),
        }),
        ".why-not" => Ok(store.why_not(arg)?.to_text()),
        ".rules" => Ok(store
            .rules()
            .iter()
            .map(|r| format!("{} ({} lines)\n", r.name, r.text.lines().count()))
            .collect()),
        ".stats" => Ok(render::stats_text(&store.stats()?)),
        ".infer" => {
            let r = store.infer()?;
            Ok(format!(
                "{} added, {} removed, {} changed\n",
                r.added, r.removed, r.changed
            ))
        }
        _ => anyhow::bail!("unknown command `{cmd}` (.help lists them)"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_statement_ends_at_a_dot_outside_strings() {
        assert!(super::complete("e(\"a\", \"b\")."));
        assert!(!super::complete("e(\"a.\","));
        assert!(!super::complete("path(x, z) :-\n  edge(x, y),"));
        assert!(super::complete(
            "path(x, z) :-\n  edge(x, y), path(y, z).\n"
        ));
        assert!(!super::complete("e(\"a\\\".\""));
    }
}
