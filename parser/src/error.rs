//! Syntax errors and the `file:line:column` + caret rendering shared by every diagnostic.

use crate::ast::Span;
use std::fmt;

/// One syntax error at a place in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// All the syntax errors of one source text, rendered with file, line, column and a caret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseErrors {
    /// The file name used in messages.
    pub file: String,
    /// The source text the spans point into.
    pub source_text: String,
    /// The errors, in source order.
    pub errors: Vec<ParseError>,
}

/// One error placed in its file, for an embedder that shows errors its own way (the Python
/// package's exceptions carry these): where it is, what is wrong, and the rendered text with the
/// source line and a caret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name used in messages.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// `file:line:column: error: message`, the source line and a caret under the place.
    pub text: String,
}

impl Diagnostic {
    /// The error `message` at `span` of `source`, a file named `file`.
    pub fn at(file: &str, source: &str, span: Span, message: &str) -> Diagnostic {
        let (line, column) = line_col(source, span.start);
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.to_string(),
            text: render_diagnostic(file, source, span, message),
        }
    }
}

impl ParseErrors {
    /// Each error placed in the file, in source order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        (self.errors.iter())
            .map(|e| Diagnostic::at(&self.file, &self.source_text, e.span, &e.message))
            .collect()
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&Diagnostic::at(&self.file, &self.source_text, e.span, &e.message).text)?;
        }
        Ok(())
    }
}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

/// Where each line of a source starts, for [`line_col`] answers at many offsets: each in
/// logarithmic time, where [`line_col`] scans the text before the offset.
pub struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of each line's first byte.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `source`'s lines.
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { source, starts }
    }

    /// The 1-based line and column (in characters) of a byte offset, as [`line_col`].
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.source, offset.min(self.source.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.source[start..offset].chars().count() + 1)
    }

    /// The byte offset where 1-based line `line` starts, if the source has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders `file:line:col: error: message`, the source line, and a caret under the span.
pub fn render_diagnostic(file: &str, source: &str, span: Span, message: &str) -> String {
    let (line, col) = line_col(source, span.start);
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    // Show at most a window of a long line around the error.
    const BEFORE: usize = 60;
    const WINDOW: usize = 120;
    let prefix: Vec<char> = source[line_start..start].chars().collect();
    let skip = prefix.len().saturating_sub(BEFORE);
    let shown_prefix: String = prefix[skip..].iter().collect();
    let rest: String = source[start..line_end]
        .trim_end_matches('\r')
        .chars()
        .take(WINDOW - shown_prefix.chars().count().min(WINDOW))
        .collect();
    let cut_end = rest.len() < source[start..line_end].trim_end_matches('\r').len();
    let text = format!(
        "{}{shown_prefix}{rest}{}",
        if skip > 0 { "..." } else { "" },
        if cut_end { "..." } else { "" }
    );
    let width = source[start..span.end.clamp(start, line_end)]
        .chars()
        .count()
        .clamp(1, rest.chars().count().max(1));
    let pad: String = (if skip > 0 { "..." } else { "" })
        .chars()
        .chain(shown_prefix.chars())
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let gutter = line.to_string().len();
    format!(
        "{file}:{line}:{col}: error: {message}\n{blank:gutter$} |\n{line} | {text}\n{blank:gutter$} | {pad}{carets}",
        blank = "",
        carets = "^".repeat(width)
    )
}
