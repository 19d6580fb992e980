//! How the CLI prints answers and facts: an aligned table, tab-separated values, or JSON.

use engram_core::internal::output::{format_confidence, format_table};
use engram_core::{Answers, Fact, Superseded};
use engram_store::{CommitReport, StoreStats};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

/// Output format of `query` and `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table.
    Table,
    /// Tab-separated values, with a header line.
    Tsv,
    /// JSON.
    Json,
}
/// A fact's metadata cells: confidence, depth, rule, time (ISO 8601).
fn meta_cells(f: &Fact) -> [String; 4] {
    [
        format_confidence(f.confidence),
        f.depth.to_string(),
        f.origin.to_string(),
        engram_core::internal::value::format_time(f.time),
    ]
}

/// Writes one query's answers, decoding each as it is written (a million answers are never
/// held as text or as values), where `n` counts the queries written before it. JSON separates
/// the queries with commas: [`end_answers`] closes the array after the last. A table needs
/// every column's width first, so it is built whole; `tsv` and `json` stream.
pub fn write_answers(
    out: &mut dyn Write,
    answers: &Answers<'_>,
    format: Format,
    n: usize,
) -> std::io::Result<()> {
    let columns: Vec<&str> = answers.columns().collect();
    match format {
        Format::Json => {
            out.write_all(if n == 0 { b"[\n" } else { b",\n" })?;
            write!(
                out,
                "  {{\n    \"query\": {},\n    \"columns\": {},\n    \"answers\": [",
                json!(answers.text().trim()),
                json!(columns)
            )?;
            for (i, a) in answers.iter().enumerate() {
                out.write_all(if i == 0 { b"\n      " } else { b",\n      " })?;
                serde_json::to_writer(&mut *out, &a.to_json())?;
            }
            out.write_all(match answers.is_empty() {
                true => b"]\n  }",
                false => b"\n    ]\n  }",
            })?;
        }
        Format::Tsv => {
            for c in &columns {
                write!(out, "{c}\t")?;
            }
            out.write_all(b"confidence\tdepth\trule\ttime\n")?;
            for a in answers.iter() {
                for v in &a.values {
                    write!(out, "{v}\t")?;
                }
                writeln!(out, "{}", meta_cells(&a).join("\t"))?;
            }
        }
        Format::Table => {
            let mut header: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            header.extend(["confidence", "depth", "rule", "time"].map(String::from));
            let rows: Vec<Vec<String>> = answers
                .iter()
                .map(|a| {
                    let mut cells: Vec<String> = a.values.iter().map(ToString::to_string).collect();
                    cells.extend(meta_cells(&a));
                    cells
                })
                .collect();
            writeln!(out, "{}", answers.text().trim())?;
            out.write_all(format_table(&header, &rows).as_bytes())?;
            writeln!(out, "({} answers)", rows.len())?;
        }
    }
    Ok(())
}

/// Ends what [`write_answers`] wrote of `n` queries (JSON's closing bracket).
pub fn end_answers(out: &mut dyn Write, format: Format, n: usize) -> std::io::Result<()> {
    match (format, n) {
        (Format::Json, 0) => out.write_all(b"[]\n"),
        (Format::Json, _) => out.write_all(b"\n]\n"),
        _ => Ok(()),
    }
}

/// A fact a newer one replaced, as a tab-separated line: [`fact_tsv`]'s cells, then
/// `superseded_by` and the values of the fact that holds for its key now.
pub fn superseded_tsv(relation: &str, s: &Superseded) -> String {
    let mut cells = vec![fact_tsv(relation, &s.fact), "superseded_by".to_string()];
    cells.extend(s.by.values.iter().map(ToString::to_string));
    cells.join("\t")
}

/// One exported fact as a tab-separated line: relation, values, confidence, depth, rule, time.
pub fn fact_tsv(relation: &str, f: &Fact) -> String {
    let mut cells = vec![relation.to_string()];
    cells.extend(f.values.iter().map(ToString::to_string));
    cells.extend(meta_cells(f));
    cells.join("\t")
}

/// `:- NAME` asks for the violations of one constraint, `:-` for all of them.
pub fn violation_filter(text: &str) -> Option<Option<&str>> {
    let rest = text
        .trim()
        .strip_prefix(":-")?
        .trim()
        .trim_end_matches('.')
        .trim();
    Some((!rest.is_empty()).then_some(rest))
}

/// Says that a fact asked about does not hold, and what replaced it if a newer fact with the
/// same key did; exits with 1.
pub fn not_derived(fact: &str, by: Option<engram_core::Fact>) -> anyhow::Result<ExitCode> {
    let fact = fact.trim().trim_end_matches('.');
    match by {
        Some(by) => {
            let name = fact.split('(').next().unwrap_or(fact).trim();
            println!(
                "{fact}: superseded by {}  ~ {}",
                engram_core::fact_text(name, &by.values),
                engram_core::internal::value::format_time(by.time)
            );
        }
        None => println!("{fact}: not derived"),
    }
    Ok(ExitCode::from(1))
}

/// Prints why a fact does not hold (text or JSON); exits with 1 when it holds after all
/// (its proof is printed).
pub fn print_why_not(why: &engram_core::WhyNot, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", why.to_json());
    } else {
        print!("{}", why.to_text());
    }
    Ok(match why.holds {
        Some(_) => ExitCode::from(1),
        None => ExitCode::SUCCESS,
    })
}

/// Prints violations with their proofs (text or a JSON array); exits with 1 when there are
/// none.
pub fn print_violations(
    violations: Vec<engram_core::Violation>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if json {
        let values: Vec<serde_json::Value> = violations
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()?;
        println!("{}", serde_json::to_string_pretty(&values)?);
    } else {
        for v in &violations {
            print!("{}", v.proof.to_text());
        }
        if violations.is_empty() {
            println!("no violations");
        }
    }
    Ok(if violations.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A commit's effect as a line of text: what it asserted and retracted, what changed, and
/// whether it re-derived every rule (a load, a rule change, `infer`, or a change that reaches
/// what only a full evaluation maintains) instead of maintaining what it touched.
pub fn commit_text(r: &CommitReport) -> String {
    format!(
        "generation {}: {} asserted, {} retracted; {} facts added, {} removed, {} changed{}\n",
        r.generation,
        r.asserted,
        r.retracted,
        r.added,
        r.removed,
        r.changed,
        // Whether the commit evaluated every rule rather than maintaining what it touched.
        if r.rederived {
            "; every rule re-derived"
        } else {
            ""
        }
    )
}

/// `stats` as text.
pub fn stats_text(s: &StoreStats) -> String {
    let rows: Vec<Vec<String>> = s
        .relations
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.facts.to_string(),
                r.asserted.to_string(),
                r.derived.to_string(),
                r.runs.to_string(),
                r.bytes.to_string(),
            ]
        })
        .collect();
    let columns = ["relation", "facts", "asserted", "derived", "runs", "bytes"].map(String::from);
    let mut out = format_table(&columns, &rows);
    out.push_str(&format!(
        "facts: {} ({} asserted, {} derived)\nstrings: {} ({} bytes)\nfiles: {}, {} bytes on disk\n\
         bytes per fact: {:.1} (strings excluded)\ngeneration: {}\n",
        s.facts,
        s.asserted,
        s.derived,
        s.strings,
        s.string_bytes,
        s.files,
        s.bytes_on_disk,
        s.bytes_per_fact,
        s.generation
    ));
    out
}

/// How `explain`, `violations` and `recall` print: text for people, JSON for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    /// Text for people; a proof prints as an indented tree.
    Text,
    /// JSON; a proof prints as nested objects `{fact, confidence, depth, rule, premises}`.
    Json,
}
