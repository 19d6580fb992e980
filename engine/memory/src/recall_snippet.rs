//! What a recall hit shows of itself: the excerpt of its texts that best shows why it
//! matched, so that an agent sees the words without opening the memory.

use engram_store::each_word;

/// About this many characters of a text are shown.
const SNIPPET: usize = 160;

/// Characters shown before the first word that matched, when a text is cut.
const BEFORE: usize = 40;

/// The excerpt of `texts` (a hit's title, content, tags, observations, ...) that holds the
/// most of the question's `stems`: that text whole when it is short, else about [`SNIPPET`]
/// characters from a little before its first word that matched, `…` where it is cut. Among
/// texts holding as many, the longest, then the first in text order (so the choice does not
/// depend on the order the texts come in). `None` when none holds one.
pub(crate) fn snippet(texts: &[String], stems: &[String]) -> Option<String> {
    // (stems held, the text, where its first match starts)
    let mut best: Option<(usize, &str, usize)> = None;
    for text in texts {
        let mut held: Vec<&str> = Vec::new();
        let mut first = None;
        each_word(text, |stem, w| {
            if let Some(q) = stems.iter().find(|s| s.as_str() == stem) {
                if !held.contains(&q.as_str()) {
                    held.push(q);
                }
                // `w` is a slice of `text`: its place in it.
                first.get_or_insert(w.as_ptr() as usize - text.as_ptr() as usize);
            }
        });
        let (Some(at), n) = (first, held.len()) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((bn, bt, _)) => {
                (n, text.len(), std::cmp::Reverse(text.as_str()))
                    > (bn, bt.len(), std::cmp::Reverse(bt))
            }
        };
        if better {
            best = Some((n, text, at));
        }
    }
    let (_, text, at) = best?;
    Some(excerpt(text, at))
}

/// `text` whole when it is short, else about [`SNIPPET`] characters from [`BEFORE`] before
/// byte `at`.
fn excerpt(text: &str, at: usize) -> String {
    if text.chars().count() <= SNIPPET {
        return text.to_string();
    }
    let start = (text[..at].char_indices().rev())
        .nth(BEFORE - 1)
        .map_or(0, |(i, _)| i);
    let rest = &text[start..];
    let end = rest
        .char_indices()
        .nth(SNIPPET)
        .map_or(rest.len(), |(i, _)| i);
    let open = if start > 0 { "…" } else { "" };
    let close = if start + end < text.len() { "…" } else { "" };
    format!("{open}{}{close}", &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(q: &str) -> Vec<String> {
        engram_store::words(q).into_iter().map(|w| w.0).collect()
    }

    /// The text holding the most of the question's words is shown, whole when short, cut
    /// around its first match when long; no text that matches, no snippet.
    #[test]
    fn the_text_that_matched_best_is_shown() {
        let texts = vec![
            "Retry webhooks".to_string(),
            "Stripe webhooks are retried with exponential backoff".to_string(),
            "unrelated".to_string(),
        ];
        let s = snippet(&texts, &stems("webhook retries backoff"));
        assert_eq!(
            s.as_deref(),
            Some("Stripe webhooks are retried with exponential backoff")
        );
        assert_eq!(snippet(&texts, &stems("payments")), None);
        let long = format!(
            "{} the webhook retry {}",
            "lorem ".repeat(40),
            "ipsum ".repeat(40)
        );
        let s = snippet(&[long], &stems("webhook")).unwrap();
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("the webhook retry"),
            "{s}"
        );
        assert!(s.chars().count() <= SNIPPET + 2, "{s}");
        // The order the texts come in does not choose.
        let a = vec!["cache retry".to_string(), "retry cache".to_string()];
        let b = vec!["retry cache".to_string(), "cache retry".to_string()];
        assert_eq!(snippet(&a, &stems("retry")), snippet(&b, &stems("retry")));
    }
}
