//! The memory data model: memories, entities and typed relations as facts of the schema in
//! `rules/schema.dl`, read from engram's memory format (JSON Lines of `{"kind": ...}` objects)
//! and from the files of the tools people use today: the MCP reference memory server's
//! `memory.jsonl` and MemoryGraph's export. See README, "The memory format".

mod error;
mod export;
mod graph;
mod graph_edit;
mod graph_page;
mod import;
mod load;
mod open;
mod recall;
mod recall_adjacency;
mod recall_docs;
mod recall_docs_base;
mod recall_forms;
mod recall_lookup;
mod recall_snippet;
mod recall_when;
mod remember;
mod store_ext;

pub use error::EditError;
pub use graph::{Entity, Graph, GraphEntity, GraphRelation, Inferred, Observations, Relation};
pub use graph_page::GraphCache;
pub use import::{BadLine, Format, Import, MemoryFact};
pub use load::{LoadError, Loaded, load_text};
pub use open::{OpenMemoryError, open_or_create};
pub use recall::{Hit, RecallIndex, RecallOptions, Step};
pub use recall_lookup::RecallCache;
pub use remember::{NewMemory, NewRelation, Related, Remembered, relate, remember};
pub use store_ext::MemoryExt;

/// Adds facts read from a memory file ([`Format::read`]) to a program's inputs; a fact without a time
/// gets `now`.
pub fn add_to_inputs(inputs: &mut engram_core::Inputs, facts: &[MemoryFact], now: i64) {
    for f in facts {
        inputs.add_fact(
            &f.relation,
            f.values.clone(),
            f.confidence,
            f.time.unwrap_or(now),
        );
    }
}

/// Asserts facts read from a memory file ([`Format::read`]) in a transaction. A generic line's
/// numbers are typed by JSON; where the relation's columns say otherwise (a float column given
/// `1`), the value is read as the column's type. An error names the line the fact came from.
pub fn add_to_transaction(
    tx: &mut engram_store::Transaction<'_>,
    facts: Vec<MemoryFact>,
) -> Result<(), EditError> {
    let mut types: rustc_hash::FxHashMap<String, Option<Vec<engram_core::ColumnType>>> =
        Default::default();
    tx.reserve(facts.len());
    for f in facts {
        let at = |message: String| EditError::Fact {
            at: f.at.to_string(),
            message: format!("relation `{}`: {message}", f.relation),
        };
        if !types.contains_key(&f.relation) {
            let t = tx.relation_types(&f.relation)?;
            types.insert(f.relation.clone(), t);
        }
        let values = match &types[&f.relation] {
            Some(types) if types.len() == f.values.len() => (f.values.into_iter().zip(types))
                .map(|(v, &ty)| match v.column_type() == ty {
                    true => Ok(v),
                    false => engram_core::Value::parse(ty, &v.to_string()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(at)?,
            _ => f.values,
        };
        tx.add_with(&f.relation, values, f.confidence, f.time)
            .map_err(|e| match e {
                engram_store::WriteError::Value { message, .. } => at(message),
                other => other.into(),
            })?;
    }
    Ok(())
}

/// [`normalize_type`], refusing an empty type (a relation must say what it is).
pub(crate) fn rule_type(written: &str) -> Result<String, String> {
    let ty = normalize_type(written);
    match ty.is_empty() {
        true => Err("a relation type is empty: say what the relation is".to_string()),
        false => Ok(ty),
    }
}

/// A relation type as the rules read it: upper case, words joined by `_` (`works_at`,
/// `worksAt` and `works at` are all `WORKS_AT`). A type with no letters or digits (`🔗`,
/// `__`, `!!!`) is read as its characters' code points (`U1F517`, `U5F_U5F`,
/// `U21_U21_U21`), so that the rules can name it and two such types stay apart; the form
/// written is kept beside it, as for any type.
pub fn normalize_type(written: &str) -> String {
    let words = words_of_type(written);
    match words.is_empty() {
        true => (written.chars())
            .map(|c| format!("U{:X}", u32::from(c)))
            .collect::<Vec<_>>()
            .join("_"),
        false => words,
    }
}

/// [`normalize_type`] of a type with a letter or digit: its words, upper case, joined by `_`
/// (empty for a type with none).
fn words_of_type(written: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in written.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_uppercase());
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_type;

    #[test]
    fn relation_types_normalise_to_upper_snake_case() {
        for (written, want) in [
            ("works_at", "WORKS_AT"),
            ("WORKS_AT", "WORKS_AT"),
            ("worksAt", "WORKS_AT"),
            ("works at", "WORKS_AT"),
            ("depends-on ", "DEPENDS_ON"),
            ("is part of", "IS_PART_OF"),
            ("HTTPClient", "HTTPCLIENT"),
            ("v2Of", "V2_OF"),
            ("🔗", "U1F517"),
            ("__", "U5F_U5F"),
            ("!!!", "U21_U21_U21"),
            ("", ""),
        ] {
            assert_eq!(normalize_type(written), want, "{written}");
        }
    }
}
