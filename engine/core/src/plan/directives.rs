//! The parameters of `.input` and `.output` directives, read once into a [`Format`]: the
//! planner refuses a directive whose parameters engram does not implement, naming the
//! parameter, so a program never runs with an I/O setting silently ignored.

use std::collections::BTreeMap;

/// Which way a directive moves facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `.input`.
    Input,
    /// `.output`.
    Output,
}

/// Where a directive's facts come from or go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A file (`IO=file`, the default).
    File,
    /// Standard input (`IO=stdin`).
    Stdin,
    /// Standard output, Soufflé's framed listing (`IO=stdout`).
    Stdout,
    /// The relation's size on standard output (`IO=stdoutprintsize`, as `.printsize`).
    PrintSize,
}

/// A directive's I/O parameters, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    /// Where the facts come from or go.
    pub channel: Channel,
    /// `filename`: the file, relative to the directory (absolute if it says so).
    pub filename: Option<String>,
    /// `fact-dir` (input) or `output-dir` (output): a directory that replaces the command's.
    pub dir: Option<String>,
    /// `delimiter`: between fields (a tab; a comma with `rfc4180=true`).
    pub delimiter: String,
    /// `rfc4180=true`: fields may be quoted, `""` inside quotes is one `"`; symbols are written
    /// quoted.
    pub rfc4180: bool,
    /// `headers=true`: the first line names the columns (skipped on input, written on output).
    pub headers: bool,
    /// `compress=true`: output is gzip-compressed (input is read compressed or not, whatever
    /// this says: a gzip file is recognised by its first bytes).
    pub compress: bool,
    /// `confidence=true` (engram): a last field holds each fact's confidence.
    pub confidence: bool,
    /// `columns="4:7"` (input): the file columns the relation's columns are read from, in
    /// the relation's order.
    pub columns: Option<Vec<usize>>,
}

/// The parameters every directive may give.
const COMMON: [&str; 7] = [
    "IO",
    "filename",
    "delimiter",
    "rfc4180",
    "headers",
    "compress",
    "confidence",
];

impl Format {
    /// Reads and checks a directive's parameters for a relation of `arity` columns; the error
    /// names the parameter engram does not implement or the value it cannot use.
    pub fn parse(
        direction: Direction,
        params: &BTreeMap<String, String>,
        arity: usize,
    ) -> Result<Format, String> {
        let dir_key = match direction {
            Direction::Input => "fact-dir",
            Direction::Output => "output-dir",
        };
        let channel = match (direction, params.get("IO").map(String::as_str)) {
            (_, None | Some("file")) => Channel::File,
            (Direction::Input, Some("stdin")) => Channel::Stdin,
            (Direction::Output, Some("stdout")) => Channel::Stdout,
            (Direction::Output, Some("stdoutprintsize")) => Channel::PrintSize,
            (_, Some(io)) => {
                let choices = match direction {
                    Direction::Input => "`file` or `stdin`",
                    Direction::Output => "`file`, `stdout` or `stdoutprintsize`",
                };
                return Err(format!(
                    "`IO={io}` is not implemented for {}: engram's choices are {choices}",
                    direction.word()
                ));
            }
        };
        for key in params.keys() {
            let known = COMMON.contains(&key.as_str())
                || key == dir_key
                || (key == "columns" && direction == Direction::Input);
            if !known {
                return Err(format!(
                    "unknown {} parameter `{key}`: engram reads {}, {dir_key}{}",
                    direction.word(),
                    COMMON.join(", "),
                    if direction == Direction::Input {
                        " and columns"
                    } else {
                        ""
                    }
                ));
            }
        }
        let flag = |key: &str| -> Result<bool, String> {
            match params.get(key).map(String::as_str) {
                None | Some("false") => Ok(false),
                Some("true") => Ok(true),
                Some(v) => Err(format!("`{key}={v}`: use `{key}=true` or `{key}=false`")),
            }
        };
        let rfc4180 = flag("rfc4180")?;
        let delimiter = match params.get("delimiter") {
            Some(d) => d.clone(),
            None if rfc4180 => ",".to_string(),
            None => "\t".to_string(),
        };
        if delimiter.is_empty() || delimiter.contains(['\n', '\r']) {
            return Err(format!(
                "`delimiter={delimiter:?}`: a delimiter is one or more characters on one line"
            ));
        }
        if rfc4180 && delimiter.contains('"') {
            return Err("with `rfc4180=true` the delimiter cannot contain `\"`".to_string());
        }
        let confidence = flag("confidence")?;
        let columns = match params.get("columns") {
            None => None,
            Some(text) => Some(parse_columns(text, arity, confidence)?),
        };
        Ok(Format {
            channel,
            filename: params.get("filename").cloned(),
            dir: params.get(dir_key).cloned(),
            delimiter,
            rfc4180,
            headers: flag("headers")?,
            compress: flag("compress")?,
            confidence,
            columns,
        })
    }

    /// The format of a directive with no parameters: a tab-separated file named after the
    /// relation (`.decl r(...) input` and `.input r`).
    pub fn plain() -> Format {
        Format {
            channel: Channel::File,
            filename: None,
            dir: None,
            delimiter: "\t".to_string(),
            rfc4180: false,
            headers: false,
            compress: false,
            confidence: false,
            columns: None,
        }
    }
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// `columns="4:7"`: one file column per relation column, each once.
fn parse_columns(text: &str, arity: usize, confidence: bool) -> Result<Vec<usize>, String> {
    if confidence {
        return Err(
            "`columns` and `confidence=true` cannot be combined: the confidence \
                    field follows the relation's columns"
                .to_string(),
        );
    }
    let mut columns = Vec::new();
    for part in text.split(':') {
        let c: usize = part.trim().parse().map_err(|_| {
            format!("`columns=\"{text}\"`: `{part}` is not a column number (counted from 0)")
        })?;
        if columns.contains(&c) {
            return Err(format!("`columns=\"{text}\"`: column {c} is named twice"));
        }
        columns.push(c);
    }
    if columns.len() != arity {
        return Err(format!(
            "`columns=\"{text}\"` names {} columns; the relation has {arity}",
            columns.len()
        ));
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_rfc4180_delimiter() {
        let f = Format::parse(Direction::Input, &params(&[]), 2).unwrap();
        assert_eq!((f.channel, f.delimiter.as_str()), (Channel::File, "\t"));
        let f = Format::parse(Direction::Input, &params(&[("rfc4180", "true")]), 2).unwrap();
        assert_eq!(f.delimiter, ",");
    }

    #[test]
    fn refuses_what_is_not_implemented_by_name() {
        let cases = [
            (Direction::Input, ("IO", "sqlite"), "IO=sqlite"),
            (Direction::Output, ("IO", "jsonfile"), "IO=jsonfile"),
            (Direction::Input, ("dbname", "x.db"), "dbname"),
            (Direction::Output, ("columns", "0:1"), "columns"),
            (Direction::Input, ("headers", "yes"), "headers=yes"),
            (Direction::Input, ("columns", "0:0"), "twice"),
            (Direction::Input, ("columns", "3"), "names 1 columns"),
        ];
        for (direction, (k, v), named) in cases {
            let err = Format::parse(direction, &params(&[(k, v)]), 2).unwrap_err();
            assert!(err.contains(named), "{err}");
        }
    }
}
