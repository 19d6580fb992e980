//! LUBM-style data at any scale: the one university of Soufflé's `example/lubm` test (as
//! LUBM's own generator made it), copied once per university with its names renamed
//! (`University0` becomes `University<k>` inside every IRI, name and address), so each copy
//! has LUBM's distributions of departments, faculty, students, courses and publications. Degrees
//! still point at the universities LUBM's generator chose (`University241`, ...), which the
//! copies make real universities of the data set, as in a multi-university LUBM.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Soufflé's LUBM test: `lubm.dl` and its input directory `facts/`.
pub fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/souffle/example/lubm")
}

/// The LUBM program, unchanged.
pub fn program() -> PathBuf {
    example().join("lubm.dl")
}

/// Writes every input file of the example into `dir`, `universities` times over, taking at
/// most `limit` lines of each file per university (skipped when `dir` is complete).
pub fn write(universities: usize, limit: usize, dir: &Path) -> anyhow::Result<()> {
    let done = dir.join(".complete");
    if done.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let src = example().join("facts");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&src)
        .map_err(|e| anyhow::anyhow!("{}: {e}", src.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path)?;
        let name = path.file_name().expect("a file name");
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        for k in 0..universities {
            for line in text.lines().take(limit) {
                out.write_all(rename(line, k).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
    }
    std::fs::write(done, "")?;
    Ok(())
}

/// `line` with every `University0` that is not the start of a longer number
/// (`University0.edu`, not `University07`) renamed `University<k>`.
fn rename(line: &str, k: usize) -> String {
    const NAME: &str = "University0";
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while let Some(at) = rest.find(NAME) {
        let after = &rest[at + NAME.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(NAME);
        } else {
            out.push_str(&format!("University{k}"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::rename;

    #[test]
    fn only_university_zero_itself_is_renamed() {
        assert_eq!(
            rename(
                "\"<http://www.Department3.University0.edu/X>\"\t\"<http://www.University07.edu>\"",
                12
            ),
            "\"<http://www.Department3.University12.edu/X>\"\t\"<http://www.University07.edu>\""
        );
        assert_eq!(rename("University0", 3), "University3");
        assert_eq!(rename("University241", 3), "University241");
    }
}
