//! Soufflé-style files: `.facts` inputs (tab-separated) and `.csv` outputs, `.printsize` lines,
//! and the `-D -` stdout format.

use crate::database::Database;
use crate::error::Error;
use crate::eval::Base;
use crate::plan::ir::{Plan, confidence_param};
use crate::value::{self, ColumnType, Interner};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn delimiter(params: &BTreeMap<String, String>) -> String {
    params
        .get("delimiter")
        .cloned()
        .unwrap_or_else(|| "\t".to_string())
}

/// Reads every `.input` relation from `dir`: `<name>.facts`, or the `filename` parameter. With
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
        let Some(params) = &rel.input else { continue };
        if params.get("IO").is_some_and(|io| io != "file") {
            continue;
        }
        let name = params
            .get("filename")
            .cloned()
            .unwrap_or_else(|| format!("{}.facts", rel.name));
        let path = dir.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                warnings.push(format!(
                    "no input file {} for `{}`: the relation is empty",
                    path.display(),
                    rel.name
                ));
                continue;
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        let mut rows = Vec::new();
        let mut conf = Vec::new();
        let with_conf = confidence_param(params).then_some(&mut conf);
        parse_rows(
            &text,
            &path,
            &rel.types(),
            &delimiter(params),
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
    Ok((base, warnings))
}

/// Parses delimited rows of the given column types, appending encoded values to `out` (one 0
/// per row of a nullary relation).
pub fn parse_facts(
    text: &str,
    path: &Path,
    types: &[ColumnType],
    delimiter: &str,
    interner: &mut Interner,
    out: &mut Vec<u64>,
) -> Result<(), Error> {
    parse_rows(text, path, types, delimiter, interner, out, None)
}

/// Parses one confidence field.
fn parse_confidence(field: &str) -> Result<f64, String> {
    match field.trim().parse::<f64>() {
        Ok(c) if c > 0.0 && c <= 1.0 => Ok(c),
        _ => Err(format!("confidence `{field}` is not a number in (0, 1]")),
    }
}

/// [`parse_facts`], and with `conf` one confidence per row from an optional last field.
fn parse_rows(
    text: &str,
    path: &Path,
    types: &[ColumnType],
    delimiter: &str,
    interner: &mut Interner,
    out: &mut Vec<u64>,
    mut conf: Option<&mut Vec<f64>>,
) -> Result<(), Error> {
    let input_err = |line: usize, message: String| Error::Input {
        path: path.to_path_buf(),
        line,
        message,
    };
    for (i, line) in text.lines().enumerate() {
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
        let mut n = 0;
        let mut row_conf = 1.0;
        for field in fields(line, delimiter) {
            let Some(&ty) = types.get(n) else {
                if n == types.len()
                    && let Some(_) = conf.as_deref()
                {
                    row_conf = parse_confidence(field).map_err(|m| input_err(i + 1, m))?;
                }
                n += 1;
                continue;
            };
            let v = value::parse_field(ty, field, interner).map_err(|message| Error::Input {
                path: path.to_path_buf(),
                line: i + 1,
                message,
            })?;
            out.push(v);
            n += 1;
        }
        let allowed = types.len() + usize::from(conf.is_some());
        if n < types.len() || n > allowed {
            out.truncate(out.len() - n.min(types.len()));
            let expected = if conf.is_some() {
                format!("{} or {allowed}", types.len())
            } else {
                types.len().to_string()
            };
            return Err(input_err(
                i + 1,
                format!("expected {expected} columns, found {n}"),
            ));
        }
        if let Some(conf) = conf.as_deref_mut() {
            conf.push(row_conf);
        }
    }
    Ok(())
}

/// The fields of `line` between occurrences of `delimiter`: split on a `char` when the
/// delimiter is one (a byte search, several times faster than a substring search), on the
/// string otherwise.
fn fields<'a>(line: &'a str, delimiter: &'a str) -> Fields<'a> {
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
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Fields::Char(s) => s.next(),
            Fields::Str(s) => s.next(),
        }
    }
}

/// Where `.output` relations go.
#[derive(Clone, Debug)]
pub enum OutputTarget {
    /// `<dir>/<name>.csv` (or the `filename` parameter).
    Dir(PathBuf),
    /// Soufflé's `-D -`: every output printed to stdout.
    Stdout,
}

/// Confidences in output files: six decimals.
pub fn format_confidence(c: f64) -> String {
    if c == 1.0 {
        // Asserted facts' confidence, most of every listing: without the exact formatter.
        return "1.000000".to_string();
    }
    format!("{c:.6}")
}

/// Writes every `.output` relation and prints every `.printsize` line, in declaration order.
pub fn write_outputs(
    db: &Database,
    target: &OutputTarget,
    stdout: &mut dyn Write,
) -> Result<(), Error> {
    let io_err = |path: PathBuf| move |source| Error::Io { path, source };
    for view in db.relations() {
        let (decl, interner) = view.decl_and_interner();
        let types = decl.types();
        for params in &decl.outputs {
            let rows = view.raw().1;
            let to_stdout = matches!(target, OutputTarget::Stdout)
                || params.get("IO").is_some_and(|v| v == "stdout");
            let delim = delimiter(params);
            let with_conf = confidence_param(params);
            if to_stdout {
                let mut buf = Vec::new();
                writeln!(buf, "---------------\n{}\n===============", decl.name)
                    .and_then(|_| {
                        crate::output::write_rows(
                            &mut buf, rows, &types, interner, &delim, with_conf,
                        )
                    })
                    .and_then(|_| writeln!(buf, "==============="))
                    .and_then(|_| stdout.write_all(&buf))
                    .map_err(io_err(PathBuf::from("<stdout>")))?;
                continue;
            }
            let OutputTarget::Dir(dir) = target else {
                continue;
            };
            let name = params
                .get("filename")
                .cloned()
                .unwrap_or_else(|| format!("{}.csv", decl.name));
            let path = dir.join(name);
            let file = std::fs::File::create(&path).map_err(io_err(path.clone()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
            crate::output::write_rows(&mut w, rows, &types, interner, &delim, with_conf)
                .and_then(|_| w.flush())
                .map_err(io_err(path.clone()))?;
        }
        if decl.printsize {
            writeln!(stdout, "{}\t{}", decl.name, view.len())
                .map_err(io_err(PathBuf::from("<stdout>")))?;
        }
    }
    Ok(())
}

/// Renders query answers as an aligned text table.
pub fn format_table(columns: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for r in rows {
        for (i, v) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(v.chars().count());
            }
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    let mut out = String::new();
    if !columns.is_empty() {
        out.push_str(&line(columns));
        out.push('\n');
        out.push_str(
            &widths
                .iter()
                .map(|&w| "-".repeat(w))
                .collect::<Vec<_>>()
                .join("-+-"),
        );
        out.push('\n');
    }
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}
