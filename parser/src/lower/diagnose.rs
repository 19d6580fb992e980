//! What a parse error says: pest's furthest failure turned into a message that names what
//! was expected in the dialect's own words, at the right spot.

use super::Rule;
use crate::ast::Span;

const LITERAL_STARTS: &[&str] = &["\"", "\\", "0b", "0x", "?", "_", "$"];
const CMP_TOKENS: &[&str] = &["=", "!=", "<", "<=", ">", ">="];
const INFIX_TOKENS: &[&str] = &[
    "+", "-", "*", "/", "%", "^", "band", "bor", "bxor", "bshl", "bshr", "bshru", "land", "lor",
];

/// Turns pest's error into the furthest position reached, a message naming what was expected,
/// and a better span where one is known. `src` is the text from the statement that failed,
/// `before` the program's text before it.
pub(super) fn describe_error(
    e: &pest::error::Error<Rule>,
    src: &str,
    before: &str,
) -> (usize, String, Option<Span>) {
    let fallback = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let Some(attempts) = e.parse_attempts() else {
        return (fallback, "syntax error".to_string(), None);
    };
    let at = attempts.max_position.min(src.len());
    let mut expected: Vec<String> = Vec::new();
    // pest folds the attempts of a rule with many alternatives into the rule itself: a
    // statement expected says little when what it expected is known too.
    let mut statement = false;
    for stack in attempts.call_stacks() {
        let rule = stack.deepest.get_rule().copied();
        if rule == Some(Rule::statement) {
            statement = true;
        } else if let Some(name) = rule.and_then(friendly_rule)
            && !expected.contains(&name.to_string())
        {
            expected.push(name.to_string());
        }
    }
    for token in attempts.expected_tokens() {
        let text = token.to_string();
        if text == "BUILTIN_RULE"
            || (text.len() > 2 && text.contains(".."))
            || text.trim().is_empty()
            || text.trim_matches('\u{feff}').is_empty()
            || text == "//"
            || text == "/*"
            || INFIX_TOKENS.contains(&text.as_str())
            || LITERAL_STARTS.contains(&text.as_str())
            || (CMP_TOKENS.contains(&text.as_str())
                && expected.iter().any(|e| e == "comparison operator"))
        {
            continue;
        }
        let t = format!("`{text}`");
        if !expected.contains(&t) {
            expected.push(t);
        }
    }
    // ...unless the statement could end here: then what it needs to go on says more.
    if statement && !expected.iter().any(|e| e == "`.`") {
        expected.push("statement".to_string());
    }
    // A missing `.` is best shown right after the statement it should end.
    let mut at = at;
    if expected.iter().any(|e| e == "`.`") {
        let trimmed = src[..at].trim_end();
        if trimmed.len() < at && src[trimmed.len()..at].contains('\n') {
            at = trimmed.len();
        }
    }
    let found = match src[at..].chars().next() {
        None => "end of file".to_string(),
        Some(_) => {
            let word: String = src[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(12)
                .collect();
            if word.is_empty() {
                "end of line".to_string()
            } else {
                format!("`{word}`")
            }
        }
    };
    let at_line_end = src[at..].starts_with('\n') || at >= src.len();
    if at_line_end
        && expected.iter().any(|e| e == "`\"`")
        && let Some(open) = src[..at].rfind('"')
    {
        return (
            at,
            "unterminated string literal".into(),
            Some(Span::new(open, at)),
        );
    }
    if let Some((span, message)) = unknown_directive(src, at) {
        return (at, message, Some(span));
    }
    let whole = [before, src].concat();
    let message = if directive_at(&whole, before.len() + at) {
        format!(
            "a C preprocessor directive ({found}) in text that was not preprocessed: read the \
             program with `Program::compile` or `Program::from_file`, which preprocess it, or \
             run `engram_parser::preprocess` first"
        )
    } else if expected.iter().any(|e| e == "statement") {
        format!("expected a declaration, directive, fact, rule or query, found {found}")
    } else if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    (at, message, None)
}

/// A directive's keyword run on into more letters (`.outputx`, `.planned`): parsing stopped
/// inside the word, after the directive it begins with. The word's span, and a message naming
/// it and that directive.
fn unknown_directive(src: &str, at: usize) -> Option<(Span, String)> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = src[..at].trim_end_matches(word).len();
    let known = &src[start..at];
    // `.` is one byte: the character before the word, when it is one (another character
    // there may be several bytes).
    let dot = src[..start].ends_with('.').then(|| start - 1)?;
    let rest = src[at..].len() - src[at..].trim_start_matches(word).len();
    if known.is_empty() || rest == 0 || !known.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let end = at + rest;
    let message = format!(
        "unknown directive `{}`: did you mean `.{known}`?",
        &src[dot..end]
    );
    Some((Span::new(dot, end), message))
}

/// Whether parsing stopped at a `#` first on its line: a preprocessor directive.
fn directive_at(src: &str, at: usize) -> bool {
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    src[at..].starts_with('#') && src[line_start..at].trim().is_empty()
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn friendly_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::qname | Rule::functor_name => "identifier",
        Rule::expr => "expression",
        Rule::string => "string",
        Rule::io_value => "value",
        Rule::integer | Rule::unsigned | Rule::float => "number",
        Rule::atom => "atom",
        Rule::annotation | Rule::annotation_name => "annotation",
        Rule::annotation_arg => "annotation argument",
        Rule::literal | Rule::conjunction | Rule::disjunction => "body literal",
        Rule::cmp_op => "comparison operator",
        Rule::attribute | Rule::attributes => "attribute `name: type`",
        Rule::io_param => "parameter `key=value`",
        Rule::statement => "statement",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzzer: a word after a character of several bytes (the byte before the
    /// word is then not a character's start).
    #[test]
    fn an_unknown_directive_is_looked_for_at_any_character_boundary() {
        for src in ["é.outputx r", ".outputé", "ré(x)", "€abc", ".outputx"] {
            for at in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
                let _ = unknown_directive(src, at);
            }
        }
        let (span, message) = unknown_directive("é.outputx r", 9).expect("a directive");
        assert_eq!((span.start, span.end), (2, 10));
        assert!(message.contains("`.outputx`"), "{message}");
    }
}
