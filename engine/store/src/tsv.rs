//! Tab-separated facts asserted into a transaction (`engram load FILE --relation r`): one
//! fact a line, each field read as its column's type ([`Value::parse`]).

use super::Transaction;
use crate::error::WriteError;
use engram_core::internal::value::{ColumnType, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

impl Transaction<'_> {
    /// Asserts each line of `reader` as a fact of `relation`: tab-separated fields, with a
    /// last field holding the fact's confidence when `confidence` (a number in (0, 1]). A
    /// relation nothing declares takes symbol columns, as many as the first line has fields.
    /// Empty lines are skipped; a bad line is an error naming `path` and its line (the
    /// transaction then holds the lines before it: drop it to load nothing). Returns how many
    /// facts were read.
    pub fn add_tsv(
        &mut self,
        reader: impl Read,
        path: &Path,
        relation: &str,
        confidence: bool,
    ) -> Result<usize, WriteError> {
        let input_err = |line: usize, message: String| WriteError::Input {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut types: Option<Vec<ColumnType>> = None;
        let mut n = 0;
        for (i, line) in BufReader::new(reader).split(b'\n').enumerate() {
            let line = line.map_err(|source| WriteError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let line = engram_core::internal::io::utf8(path, &line, i + 1)?;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            let mut fields: Vec<&str> = line.split('\t').collect();
            let conf = match confidence {
                true => {
                    engram_core::internal::io::read::parse_confidence(fields.pop().unwrap_or(""))
                        .map_err(|m| input_err(i + 1, m))?
                }
                false => 1.0,
            };
            let types = match &types {
                Some(t) => t,
                None => types.insert(match self.relation_types(relation)? {
                    Some(t) => t,
                    None => vec![ColumnType::Symbol; fields.len()],
                }),
            };
            if fields.len() != types.len() {
                return Err(input_err(
                    i + 1,
                    format!("{} columns, `{relation}` has {}", fields.len(), types.len()),
                ));
            }
            let values = (fields.iter().zip(types.iter()))
                .map(|(f, t)| Value::parse(*t, f))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| input_err(i + 1, e))?;
            self.add_with(relation, values, conf, None)?;
            n += 1;
        }
        Ok(n)
    }
}
