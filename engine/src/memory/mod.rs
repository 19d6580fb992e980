//! The memory data model: memories, entities and typed relations as facts of the schema in
//! `rules/schema.dl`, read from engram's memory format (JSON Lines of `{"kind": ...}` objects)
//! and from the files of the tools people use today: the MCP reference memory server's
//! `memory.jsonl` and MemoryGraph's export. See README, "The memory format".

mod export;
mod import;

pub use export::{export, export_mcp};
pub use import::{BadLine, Format, Import, MemoryFact, detect, json_value, read};

/// A relation type as the rules read it: upper case, words joined by `_` (`works_at`,
/// `worksAt` and `works at` are all `WORKS_AT`).
pub fn normalize_type(written: &str) -> String {
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
        ] {
            assert_eq!(normalize_type(written), want, "{written}");
        }
    }
}
