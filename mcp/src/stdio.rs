//! What `engram mcp` reads from stdin, made readable before the protocol reads it: a line of
//! JSON-RPC that is not UTF-8, or that escapes half of a UTF-16 surrogate pair (`"\ud83e"`,
//! what a JavaScript client sends for `"🧠".slice(0, 1)`), is valid to a JavaScript server but
//! not to a strict JSON reader, which drops the request and leaves the client waiting for
//! ever. Each such byte or escape is read as U+FFFD, the replacement character, as a lenient
//! reader would show it; every other line passes unchanged.

use std::borrow::Cow;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

/// `line` with bytes that are not UTF-8, and `\u` escapes of unpaired surrogates, read as
/// U+FFFD; borrowed when it has neither.
pub(crate) fn readable(line: &[u8]) -> Cow<'_, [u8]> {
    let text = String::from_utf8_lossy(line);
    let lone = lone_surrogates(&text);
    match (text, lone.is_empty()) {
        (Cow::Borrowed(_), true) => Cow::Borrowed(line),
        (text, true) => Cow::Owned(text.into_owned().into_bytes()),
        (text, false) => {
            let mut out = String::with_capacity(text.len());
            let mut at = 0;
            for start in lone {
                out.push_str(&text[at..start]);
                out.push_str("\\ufffd");
                at = start + 6;
            }
            out.push_str(&text[at..]);
            Cow::Owned(out.into_bytes())
        }
    }
}

/// Where `text` escapes a surrogate that is not half of a pair (`\uD800`-`\uDBFF` not followed
/// by an escaped `\uDC00`-`\uDFFF`, or the latter alone): the byte offsets of their `\`.
fn lone_surrogates(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let escape_at = |i: usize| -> Option<u16> {
        let hex = bytes.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut lone = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(i) {
            Some(0xD800..=0xDBFF) => match escape_at(i + 6) {
                Some(0xDC00..=0xDFFF) => i += 12,
                _ => {
                    lone.push(i);
                    i += 6;
                }
            },
            Some(0xDC00..=0xDFFF) => {
                lone.push(i);
                i += 6;
            }
            Some(_) => i += 6,
            // Any other escape (`\\`, `\"`, ...): its two characters.
            None => i += 2,
        }
    }
    lone
}

/// Copies `input`'s lines into `out`, each made [`readable`], until `input` ends.
pub(crate) async fn relay(
    input: impl AsyncRead + Unpin,
    mut out: impl tokio::io::AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).await? == 0 {
            break;
        }
        out.write_all(&readable(&line)).await?;
        out.flush().await?;
    }
    out.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &[u8]) -> String {
        String::from_utf8(readable(line).into_owned()).unwrap()
    }

    /// Lone surrogates become U+FFFD (and then parse); pairs, other escapes and escaped
    /// backslashes are kept; bytes that are not UTF-8 become U+FFFD.
    #[test]
    fn lines_are_made_readable() {
        let ok = br#"{"a":"\ud83e\udde0 \\ud83e \" \n caf\u00e9"}"#;
        assert!(matches!(readable(ok), Cow::Borrowed(_)));
        assert_eq!(read(br#"{"a":"\ud83e"}"#), r#"{"a":"\ufffd"}"#);
        assert_eq!(
            read(br#"{"a":"x\uDC00y\ud83e\ud83e\udde0"}"#),
            r#"{"a":"x\ufffdy\ufffd\ud83e\udde0"}"#
        );
        assert_eq!(
            read(b"{\"a\":\"\xff\xfe ok\"}"),
            "{\"a\":\"\u{fffd}\u{fffd} ok\"}"
        );
        for line in [
            &br#"{"a":"\ud83e"}"#[..],
            b"{\"a\":\"\xc3\"}",
            br#"{"a":"\udc00\ud800"}"#,
        ] {
            let v: serde_json::Value = serde_json::from_slice(&readable(line)).unwrap();
            assert!(v["a"].as_str().unwrap().contains('\u{fffd}'), "{v}");
        }
    }
}
