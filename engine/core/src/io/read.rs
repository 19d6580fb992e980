//! Reading `.input` relations: delimited text (Soufflé's `.facts` files, `rfc4180` CSV), from
//! a file (gzip-compressed or not) or standard input.

use crate::error::Error;
use crate::eval::Base;
use crate::plan::directives::{Channel, Format};
use crate::plan::ir::Plan;
use crate::value::{self, ColumnType, Interner};
use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads every `.input` directive's facts (two directives on one relation load both): a file in
/// `dir` (`<name>.facts`, or the `filename` parameter) or standard input. With
/// `confidence=true` a row may end with one more field, its confidence (1 when absent).
///
/// A missing input file is an empty relation, as in Soufflé; each one is named in the returned
/// warnings.
pub(crate) fn load_inputs(
    plan: &Plan,
    dir: &Path,
    interner: &mut Interner,
) -> Result<(Base, Vec<String>), Error> {
    let mut base = Base::new(plan);
    let mut warnings = Vec::new();
    for (id, rel) in plan.relations.iter().enumerate() {
        for format in &rel.inputs {
            let (path, bytes) = match format.channel {
                Channel::Stdin => {
                    let mut bytes = Vec::new();
                    let path = PathBuf::from("<stdin>");
                    std::io::stdin()
                        .lock()
                        .read_to_end(&mut bytes)
                        .map_err(|source| Error::Io {
                            path: path.clone(),
                            source,
                        })?;
                    (path, bytes)
                }
                _ => {
                    let name =
                        (format.filename.clone()).unwrap_or_else(|| format!("{}.facts", rel.name));
                    let path = match &format.dir {
                        Some(d) => Path::new(d).join(name),
                        None => dir.join(name),
                    };
                    match std::fs::read(&path) {
                        Ok(bytes) => (path, bytes),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            warnings.push(format!(
                                "no input file {} for `{}`: the relation is empty",
                                path.display(),
                                rel.name
                            ));
                            continue;
                        }
                        Err(source) => return Err(Error::Io { path, source }),
                    }
                }
            };
            let bytes = gunzip(&path, bytes)?;
            let text = utf8(&path, &bytes, 1)?;
            let mut rows = Vec::new();
            let mut conf = Vec::new();
            let with_conf = format.confidence.then_some(&mut conf);
            parse_rows(
                text,
                &path,
                &rel.types(),
                format,
                interner,
                &mut rows,
                with_conf,
            )?;
            let w = rel.arity().max(1);
            for (i, row) in rows.chunks_exact(w).enumerate() {
                let row = if rel.arity() == 0 { &[][..] } else { row };
                base.push(id, row, conf.get(i).copied().unwrap_or(1.0));
            }
        }
    }
    Ok((base, warnings))
}

/// The bytes of a file, decompressed when they are gzip (recognised by its magic number, as
/// Soufflé's reader does whatever `compress` says).
fn gunzip(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                source.kind(),
                format!("not a readable gzip file: {source}"),
            ),
        })?;
    Ok(out)
}

/// The text of a file (or of its lines from line `first` on), or an error naming the line of
/// its first invalid UTF-8 byte.
pub fn utf8<'a>(path: &Path, bytes: &'a [u8], first: usize) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + first;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        Error::Input {
            path: path.to_path_buf(),
            line,
            message: format!(
                "invalid UTF-8 at byte {} of the line: symbols are UTF-8 text",
                e.valid_up_to() - start + 1
            ),
        }
    })
}

/// Parses one confidence field (a number in (0, 1]).
pub fn parse_confidence(field: &str) -> Result<f64, String> {
    match field.trim().parse::<f64>() {
        Ok(c) if c > 0.0 && c <= 1.0 => Ok(c),
        _ => Err(format!("confidence `{field}` is not a number in (0, 1]")),
    }
}

/// Parses delimited rows of the given column types as `format` lays them out, appending
/// encoded values to `out` (one 0 per row of a nullary relation); with `conf`, one confidence
/// per row from an optional last field.
fn parse_rows(
    text: &str,
    path: &Path,
    types: &[ColumnType],
    format: &Format,
    interner: &mut Interner,
    out: &mut Vec<u64>,
    mut conf: Option<&mut Vec<f64>>,
) -> Result<(), Error> {
    let input_err = |line: usize, message: String| Error::Input {
        path: path.to_path_buf(),
        line,
        message,
    };
    let delimiter = format.delimiter.as_str();
    // Per field of a line, the relation column it fills.
    let slot = |n: usize| -> Option<usize> {
        match &format.columns {
            None => (n < types.len()).then_some(n),
            Some(cols) => cols.iter().position(|&c| c == n),
        }
    };
    let mut row = vec![0u64; types.len()];
    let skip = usize::from(format.headers);
    for (i, line) in text.lines().enumerate().skip(skip) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() && !types.is_empty() {
            continue;
        }
        if types.is_empty() {
            out.push(0);
            if let Some(conf) = conf.as_deref_mut() {
                let c = if line.is_empty() || line == "()" {
                    1.0
                } else {
                    let field = line.strip_prefix("()").unwrap_or(line);
                    let field = field.strip_prefix(delimiter).unwrap_or(field);
                    parse_confidence(field).map_err(|m| input_err(i + 1, m))?
                };
                conf.push(c);
            }
            continue;
        }
        let (mut n, mut filled, mut extra) = (0, 0, 0);
        let mut row_conf = 1.0;
        for field in fields(line, delimiter, format.rfc4180) {
            let field = field.map_err(|m| input_err(i + 1, m))?;
            match slot(n) {
                Some(col) => {
                    row[col] = value::parse_field(types[col], &field, interner)
                        .map_err(|m| input_err(i + 1, format!("column {}: {m}", n + 1)))?;
                    filled += 1;
                }
                None if format.columns.is_some() => {}
                None if n == types.len() && conf.is_some() => {
                    row_conf = parse_confidence(&field).map_err(|m| input_err(i + 1, m))?;
                }
                None => extra += 1,
            }
            n += 1;
        }
        if filled < types.len() || extra > 0 {
            let message = match &format.columns {
                Some(cols) => format!(
                    "{n} fields, and `columns` reads field {}",
                    cols.iter().max().map_or(0, |c| c + 1)
                ),
                None if conf.is_some() => format!(
                    "expected {} or {} columns, found {n}",
                    types.len(),
                    types.len() + 1
                ),
                None => format!("expected {} columns, found {n}", types.len()),
            };
            return Err(input_err(i + 1, message));
        }
        out.extend_from_slice(&row);
        if let Some(conf) = conf.as_deref_mut() {
            conf.push(row_conf);
        }
    }
    Ok(())
}

/// The fields of `line` between occurrences of `delimiter`: split on a `char` when the
/// delimiter is one (a byte search, several times faster than a substring search), on the
/// string otherwise; with `rfc4180`, a field may be quoted.
fn fields<'a>(line: &'a str, delimiter: &'a str, rfc4180: bool) -> Fields<'a> {
    if rfc4180 {
        return Fields::Quoted {
            rest: Some(line),
            delimiter,
        };
    }
    let mut chars = delimiter.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Fields::Char(line.split(c)),
        _ => Fields::Str(line.split(delimiter)),
    }
}

/// [`fields`]' iterator.
enum Fields<'a> {
    Char(std::str::Split<'a, char>),
    Str(std::str::Split<'a, &'a str>),
    /// RFC 4180: a field that starts with `"` runs to the next lone `"`, and `""` inside it is
    /// one `"`; the delimiter must follow the closing quote. `rest` is `None` after the last
    /// field.
    Quoted {
        rest: Option<&'a str>,
        delimiter: &'a str,
    },
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Cow<'a, str>, String>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Fields::Char(s) => s.next().map(|f| Ok(Cow::Borrowed(f))),
            Fields::Str(s) => s.next().map(|f| Ok(Cow::Borrowed(f))),
            Fields::Quoted { rest, delimiter } => {
                let line = rest.take()?;
                let Some(quoted) = line.strip_prefix('"') else {
                    return Some(Ok(Cow::Borrowed(match line.split_once(*delimiter) {
                        Some((field, after)) => {
                            *rest = Some(after);
                            field
                        }
                        None => line,
                    })));
                };
                let mut field = String::new();
                let mut chars = quoted.char_indices();
                while let Some((at, c)) = chars.next() {
                    if c != '"' {
                        field.push(c);
                        continue;
                    }
                    if quoted[at + 1..].starts_with('"') {
                        field.push('"');
                        chars.next();
                        continue;
                    }
                    let after = &quoted[at + 1..];
                    if after.is_empty() {
                        return Some(Ok(Cow::Owned(field)));
                    }
                    return Some(match after.strip_prefix(*delimiter) {
                        Some(next) => {
                            *rest = Some(next);
                            Ok(Cow::Owned(field))
                        }
                        None => Err(format!(
                            "a quoted field must be followed by the delimiter {delimiter:?} \
                             or the end of the line"
                        )),
                    });
                }
                Some(Err("a quoted field has no closing `\"`".to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str, delimiter: &str, rfc4180: bool) -> Result<Vec<String>, String> {
        fields(line, delimiter, rfc4180)
            .map(|f| f.map(Cow::into_owned))
            .collect()
    }

    #[test]
    fn rfc4180_fields() {
        assert_eq!(
            split("a,\"b,c\",\"say \"\"hi\"\"\",,\"\"\"", ",", true).unwrap_err(),
            "a quoted field has no closing `\"`"
        );
        assert_eq!(
            split("a,\"b,c\",\"say \"\"hi\"\"\",,\"\"\"\"", ",", true).unwrap(),
            ["a", "b,c", r#"say "hi""#, "", "\""]
        );
        assert!(
            split(r#""x"y"#, ",", true)
                .unwrap_err()
                .contains("followed")
        );
        assert_eq!(split("a,b,", ",", true).unwrap(), ["a", "b", ""]);
        assert_eq!(split("a\tb", "\t", false).unwrap(), ["a", "b"]);
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let err = utf8(Path::new("f.facts"), b"ok\nbad \xff here\n", 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.facts:2: invalid UTF-8 at byte 5 of the line: symbols are UTF-8 text"
        );
    }
}
