//! The bearer tokens `engram serve` accepts, from a file it reads at start and again on
//! SIGHUP: one token a line, after what it may do (`read` or `write`), `#` starting a comment.
//!
//! ```text
//! # who may use this store
//! write 6f1c0b2e9d4a47d3a8e5b0c1d2e3f405   agent on the build machine
//! read  0a9b8c7d6e5f40312233445566778899   dashboards
//! ```
//!
//! A token is at least 16 characters, none of them white space; anything after it on the line
//! is a note for people. Tokens are compared in constant time and never printed: an error
//! names the file and the line, not what is on it.

use engram_mcp::Access;
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// The shortest token accepted: a guessable one is no lock.
pub const MIN_TOKEN_LEN: usize = 16;

/// The tokens read from a file.
#[derive(Clone, Default)]
pub struct Tokens {
    entries: Vec<(Vec<u8>, Access)>,
}

/// Why a tokens file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokensError {
    /// The file could not be read.
    #[error("reading the tokens file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `read TOKEN` or `write TOKEN`, or its token is too short.
    #[error("{}:{line}: {what}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong with it (never the token itself).
        what: String,
    },
    /// No token at all: nobody could use the server.
    #[error("{}: no tokens (write lines such as `write <token>`)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl Tokens {
    /// Reads the tokens of `path`.
    pub fn read(path: &Path) -> Result<Tokens, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Tokens::parse(&text)
            .map_err(|(line, what)| TokensError::Line {
                path: path.to_path_buf(),
                line,
                what,
            })?
            .ok_or_else(|| TokensError::Empty {
                path: path.to_path_buf(),
            })
    }

    /// The tokens of a file's text; `None` when it has none; else the line (1-based) and
    /// what is wrong with it.
    fn parse(text: &str) -> Result<Option<Tokens>, (usize, String)> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default();
            let mut words = line.split_whitespace();
            let Some(scope) = words.next() else {
                continue;
            };
            let access = match scope {
                "read" => Access::Read,
                "write" => Access::Write,
                _ => {
                    let what = "a line is `read TOKEN` or `write TOKEN` (what the token may do, \
                                then the token)";
                    return Err((i + 1, what.to_string()));
                }
            };
            let token = words.next().unwrap_or_default();
            if token.chars().count() < MIN_TOKEN_LEN {
                let what = format!("the token is shorter than {MIN_TOKEN_LEN} characters");
                return Err((i + 1, what));
            }
            entries.push((token.as_bytes().to_vec(), access));
        }
        Ok((!entries.is_empty()).then_some(Tokens { entries }))
    }

    /// What the bearer of `token` may do, if it is one of these: every token is compared,
    /// each in constant time.
    pub fn access(&self, token: &[u8]) -> Option<Access> {
        let mut found = None;
        for (known, access) in &self.entries {
            if bool::from(known.as_slice().ct_eq(token)) {
                found = Some(*access);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_names_what_each_token_may_do() {
        let text = "# tokens\n\nwrite 0123456789abcdef  the agent\nread  fedcba9876543210\n";
        let tokens = Tokens::parse(text).unwrap().unwrap();
        assert_eq!(tokens.access(b"0123456789abcdef"), Some(Access::Write));
        assert_eq!(tokens.access(b"fedcba9876543210"), Some(Access::Read));
        assert_eq!(tokens.access(b"0123456789abcde"), None);
        assert_eq!(tokens.access(b""), None);
        assert_eq!(tokens.access(b"the agent"), None);
    }

    #[test]
    fn a_bad_line_is_named_without_its_token() {
        let short = Tokens::parse("write 0123456789abcdef\nread shortsecret\n").err();
        let (line, what) = short.unwrap();
        assert_eq!(line, 2);
        assert!(!what.contains("shortsecret"), "{what}");
        let scope = Tokens::parse("admin 0123456789abcdef\n").err().unwrap();
        assert_eq!(scope.0, 1);
        assert!(Tokens::parse("# none\n\n").unwrap().is_none());
    }
}
