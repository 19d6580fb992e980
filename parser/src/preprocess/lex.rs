//! The preprocessor's tokens, as the C preprocessor splits text: identifiers, numbers, string
//! literals, comments, blank space, line ends and single punctuation characters (`##` is one).
//! Joined back together, a file's tokens are its text.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `[A-Za-z_][A-Za-z0-9_]*`: may name a macro.
    Ident,
    /// A digit and the letters, digits, `.` and `_` after it.
    Number,
    /// A `"..."` literal (to the line end if unterminated).
    Str,
    /// `// ...` to the line end or `/* ... */` (line ends included).
    Comment,
    /// Spaces, tabs and carriage returns.
    Space,
    /// One `\n`.
    Newline,
    /// `\` directly before a line end: the directive goes on on the next line.
    Continuation,
    /// Anything else: one character, or `##` and C's two-character operators (`<=`, `&&`, ...).
    Punct,
}

/// One token: its kind, its text, where it starts in its file, and the macros that may not be
/// expanded in it again (those whose expansion produced it).
#[derive(Clone, Debug)]
pub(crate) struct Tok {
    pub kind: Kind,
    pub text: String,
    /// Byte offset in the file the token (or the macro use that produced it) is in.
    pub at: usize,
    pub hide: Vec<String>,
}

impl Tok {
    pub fn new(kind: Kind, text: &str, at: usize) -> Tok {
        Tok {
            kind,
            text: text.to_string(),
            at,
            hide: Vec::new(),
        }
    }

    /// Whether the token is blank space within a line (or a comment, which the C preprocessor
    /// reads as a space).
    pub fn is_blank(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Comment | Kind::Continuation)
    }

    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }
}

/// Splits `src` into tokens; every byte belongs to exactly one.
pub(crate) fn lex(src: &str) -> Vec<Tok> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let (kind, end) = token_at(src, i);
        out.push(Tok::new(kind, &src[i..end], i));
        i = end;
    }
    out
}

/// The kind and end of the token starting at byte `i` of `src`.
fn token_at(src: &str, i: usize) -> (Kind, usize) {
    let bytes = src.as_bytes();
    let rest = &src[i..];
    let c = bytes[i];
    let run = |from: usize, keep: &dyn Fn(u8) -> bool| {
        from + bytes[from..].iter().take_while(|&&b| keep(b)).count()
    };
    match c {
        b'\n' => (Kind::Newline, i + 1),
        b' ' | b'\t' | b'\r' | b'\x0c' => (
            Kind::Space,
            run(i, &|b| matches!(b, b' ' | b'\t' | b'\r' | b'\x0c')),
        ),
        b'/' if rest.starts_with("//") => (Kind::Comment, run(i, &|b| b != b'\n')),
        b'/' if rest.starts_with("/*") => {
            let end = rest[2..].find("*/").map_or(src.len(), |j| i + 2 + j + 2);
            (Kind::Comment, end)
        }
        b'"' => (Kind::Str, string_end(bytes, i)),
        b'\\' if rest[1..].starts_with('\n') || rest[1..].starts_with("\r\n") => (
            Kind::Continuation,
            i + 1 + usize::from(rest[1..].starts_with('\r')),
        ),
        _ if ["##", "||", "&&", "==", "!=", "<=", ">=", "<<", ">>"]
            .iter()
            .any(|p| rest.starts_with(p)) =>
        {
            (Kind::Punct, i + 2)
        }
        c if c.is_ascii_alphabetic() || c == b'_' => (
            Kind::Ident,
            run(i, &|b| b.is_ascii_alphanumeric() || b == b'_'),
        ),
        c if c.is_ascii_digit() => (
            Kind::Number,
            run(i, &|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.'),
        ),
        _ => {
            let width = rest.chars().next().map_or(1, char::len_utf8);
            (Kind::Punct, i + width)
        }
    }
}

/// The end of the string literal opening at `i`: after its closing quote, or at the line end.
fn string_end(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' if j + 1 < bytes.len() && bytes[j + 1] != b'\n' => j += 2,
            b'"' => return j + 1,
            b'\n' => return j,
            _ => j += 1,
        }
    }
    bytes.len()
}

/// Joins tokens' texts.
pub(crate) fn text_of(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.text.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_the_text() {
        let src = "#define F(a, b) a##b // c\nr(\"x,\\\"y\", 0x1F) :- /* it's\n */ s(_).\\\n";
        let toks = lex(src);
        assert_eq!(text_of(&toks), src);
        let kinds: Vec<Kind> = toks.iter().map(|t| t.kind).collect();
        assert!(kinds.contains(&Kind::Continuation));
        assert!(toks.iter().any(|t| t.is_punct("##")));
        assert!(
            toks.iter()
                .any(|t| t.kind == Kind::Str && t.text == "\"x,\\\"y\"")
        );
        assert!(
            toks.iter()
                .any(|t| t.kind == Kind::Number && t.text == "0x1F")
        );
        assert!(
            toks.iter()
                .any(|t| t.kind == Kind::Comment && t.text.contains("it's"))
        );
    }
}
