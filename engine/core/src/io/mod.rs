//! Soufflé-style files: `.facts` inputs (tab-separated, or CSV with `rfc4180`) and `.csv`
//! outputs, `.printsize` lines, and the `-D -` stdout format.

pub mod read;

pub use read::utf8;

use crate::database::Database;
use crate::error::Error;
use crate::plan::directives::Channel;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where `.output` relations go.
#[derive(Clone, Debug)]
pub enum OutputTarget {
    /// `<dir>/<name>.csv` (or the `filename` parameter).
    Dir(PathBuf),
    /// Soufflé's `-D -`: every output printed to stdout.
    Stdout,
}

impl Database {
    /// Writes every `.output` relation and prints every `.printsize` line, in declaration
    /// order, as Soufflé does: to files in a directory, or all to `stdout` (`-D -`).
    pub fn write_outputs(
        &self,
        target: &OutputTarget,
        stdout: &mut dyn std::io::Write,
    ) -> Result<(), Error> {
        write_outputs(self, target, stdout)
    }
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
        let rows = view.raw().1;
        for format in &decl.outputs {
            let header = || {
                let names: Vec<&str> = decl.columns.iter().map(|c| c.0.as_str()).collect();
                names.join(&format.delimiter)
            };
            if format.channel == Channel::PrintSize {
                writeln!(stdout, "{}\t{}", decl.name, view.len())
                    .map_err(io_err(PathBuf::from("<stdout>")))?;
                continue;
            }
            if matches!(target, OutputTarget::Stdout) || format.channel == Channel::Stdout {
                let mut buf = Vec::new();
                writeln!(buf, "---------------\n{}", decl.name)
                    .and_then(|_| match format.headers {
                        true => writeln!(buf, "{}", header()),
                        false => Ok(()),
                    })
                    .and_then(|_| writeln!(buf, "==============="))
                    .and_then(|_| {
                        crate::output::write_rows(&mut buf, rows, &types, interner, format)
                    })
                    .and_then(|_| writeln!(buf, "==============="))
                    .and_then(|_| stdout.write_all(&buf))
                    .map_err(io_err(PathBuf::from("<stdout>")))?;
                continue;
            }
            let OutputTarget::Dir(dir) = target else {
                continue;
            };
            let name = format
                .filename
                .clone()
                .unwrap_or_else(|| match format.compress {
                    true => format!("{}.csv.gz", decl.name),
                    false => format!("{}.csv", decl.name),
                });
            let path = match &format.dir {
                Some(d) => PathBuf::from(d).join(name),
                None => dir.join(name),
            };
            write_file(&path, format.compress, |w| {
                if format.headers {
                    writeln!(w, "{}", header())?;
                }
                crate::output::write_rows(w, rows, &types, interner, format)
            })
            .map_err(io_err(path.clone()))?;
        }
        if decl.printsize {
            writeln!(stdout, "{}\t{}", decl.name, view.len())
                .map_err(io_err(PathBuf::from("<stdout>")))?;
        }
    }
    Ok(())
}

/// Writes one output file: what `body` writes, gzip-compressed with `compress`, every error
/// reported (the compressed stream's trailer included).
fn write_file(
    path: &Path,
    compress: bool,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(path)?);
    if compress {
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        body(&mut gz)?;
        gz.finish()?.flush()
    } else {
        body(&mut file)?;
        file.flush()
    }
}
