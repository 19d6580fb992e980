//! How the CLI prints answers and facts: an aligned table, tab-separated values, or JSON.

use engram_engine::io::{format_confidence, format_table};
use engram_engine::{Fact, QueryAnswer, Superseded, Value};
use serde_json::{Value as Json, json};

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
        engram_engine::value::format_time(f.time),
    ]
}

/// One answer (or fact) as JSON: `{values, confidence, depth, rule, time}`.
pub fn answer_json(a: &Fact) -> Json {
    json!({
        "values": a.values.iter().map(Value::to_json).collect::<Vec<_>>(),
        "confidence": a.confidence,
        "depth": a.depth,
        "rule": a.origin.to_string(),
        "time": time_json(a.time),
    })
}

/// Renders query answers.
pub fn answers(answers: &[QueryAnswer], format: Format) -> String {
    match format {
        Format::Json => {
            let all: Vec<Json> = answers
                .iter()
                .map(|q| {
                    json!({
                        "query": q.text.trim(),
                        "columns": q.columns,
                        "answers": q.answers.iter().map(answer_json).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&all).expect("JSON values serialise") + "\n"
        }
        Format::Table | Format::Tsv => {
            let mut out = String::new();
            for q in answers {
                let mut columns = q.columns.clone();
                columns.extend(["confidence", "depth", "rule", "time"].map(String::from));
                let rows: Vec<Vec<String>> = q
                    .answers
                    .iter()
                    .map(|a| {
                        let mut cells: Vec<String> =
                            a.values.iter().map(ToString::to_string).collect();
                        cells.extend(meta_cells(a));
                        cells
                    })
                    .collect();
                if format == Format::Table {
                    out.push_str(q.text.trim());
                    out.push('\n');
                    out.push_str(&format_table(&columns, &rows));
                    out.push_str(&format!("({} answers)\n", rows.len()));
                } else {
                    out.push_str(&columns.join("\t"));
                    out.push('\n');
                    for r in rows {
                        out.push_str(&r.join("\t"));
                        out.push('\n');
                    }
                }
            }
            out
        }
    }
}

/// A fact a newer one replaced, as a tab-separated line: [`fact_tsv`]'s cells, then
/// `superseded_by` and the values of the fact that holds for its key now.
pub fn superseded_tsv(relation: &str, s: &Superseded) -> String {
    let mut cells = vec![fact_tsv(relation, &s.fact), "superseded_by".to_string()];
    cells.extend(s.by.values.iter().map(ToString::to_string));
    cells.join("\t")
}

/// A time in JSON: ISO 8601, or null when none is tracked (0).
fn time_json(ms: i64) -> Json {
    if ms == 0 {
        Json::Null
    } else {
        json!(engram_engine::value::format_time(ms))
    }
}

/// One exported fact as a tab-separated line: relation, values, confidence, depth, rule, time.
pub fn fact_tsv(relation: &str, f: &Fact) -> String {
    let mut cells = vec![relation.to_string()];
    cells.extend(f.values.iter().map(ToString::to_string));
    cells.extend(meta_cells(f));
    cells.join("\t")
}
