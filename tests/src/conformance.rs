//! Runs Soufflé's own evaluation tests the way Soufflé's harness does and compares sorted rows.

use engram_engine::OutputTarget;
use engram_engine::Program;
use std::fmt;
use std::path::{Path, PathBuf};

/// One test case: `<category>/<name>/`.
#[derive(Clone, Debug)]
pub struct Case {
    /// `evaluation` or `example`.
    pub category: String,
    /// The test's name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
}

impl Case {
    /// `category/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.category, self.name)
    }
}

/// How a case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every expected file matches.
    Pass,
    /// A difference: which file and the first differing row.
    Fail(String),
    /// The program uses something engram rejects: the error.
    Unsupported(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => f.write_str("pass"),
            Outcome::Fail(why) => write!(f, "fail: {why}"),
            Outcome::Unsupported(why) => write!(f, "unsupported: {why}"),
        }
    }
}

/// The conformance suite's root: `$ENGRAM_CONFORMANCE_DIR` when set (another snapshot of
/// Soufflé's tests laid out the same way, with its `MANIFEST.tsv`), else the shared suite.
pub fn suite_dir() -> PathBuf {
    match std::env::var_os("ENGRAM_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => crate::shared_dir().join("conformance/souffle"),
    }
}

/// Every case listed in `MANIFEST.tsv`, in its order.
pub fn cases() -> anyhow::Result<Vec<Case>> {
    let root = suite_dir();
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv"))?;
    let mut out = Vec::new();
    for line in manifest.lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(category), Some(name)) = (cols.next(), cols.next()) else {
            continue;
        };
        out.push(Case {
            category: category.to_string(),
            name: name.to_string(),
            dir: root.join(category).join(name),
        });
    }
    Ok(out)
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    v.sort();
    v
}

fn first_difference(expected: &[String], actual: &[String]) -> String {
    let mut i = 0;
    let mut j = 0;
    while i < expected.len() || j < actual.len() {
        match (expected.get(i), actual.get(j)) {
            (Some(e), Some(a)) if e == a => {
                i += 1;
                j += 1;
            }
            (Some(e), Some(a)) if e < a => return format!("missing row `{e}`"),
            (Some(_), Some(a)) => return format!("extra row `{a}`"),
            (Some(e), None) => return format!("missing row `{e}`"),
            (None, Some(a)) => return format!("extra row `{a}`"),
            (None, None) => break,
        }
    }
    String::from("rows differ")
}

/// Runs one case: `-F <dir>/facts` (or `-F <dir>`), outputs to a scratch `-D`.
pub fn run_case(case: &Case) -> Outcome {
    let program_path = case.dir.join(format!("{}.dl", case.name));
    let facts = if case.dir.join("facts").is_dir() {
        case.dir.join("facts")
    } else {
        case.dir.clone()
    };
    let program = match Program::from_file(&program_path) {
        Ok(p) => p,
        Err(e) => return Outcome::Unsupported(first_line(&e.to_string())),
    };
    // As Soufflé's harness bounds a test, so that one that runs away is reported, not waited on.
    let options = engram_engine::EvalOptions {
        limits: engram_engine::Limits {
            timeout: Some(std::time::Duration::from_secs(30)),
            ..engram_engine::Limits::NONE
        },
        ..Default::default()
    };
    let db = match program.evaluate_dir_with(&facts, &options) {
        Ok(db) => db,
        Err(e) => return Outcome::Unsupported(first_line(&e.to_string())),
    };
    let out_dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return Outcome::Fail(format!("cannot make a scratch directory: {e}")),
    };
    let mut stdout = Vec::new();
    if let Err(e) = db.write_outputs(
        &OutputTarget::Dir(out_dir.path().to_path_buf()),
        &mut stdout,
    ) {
        return Outcome::Fail(first_line(&e.to_string()));
    }
    compare_dir(
        &case.dir,
        &case.name,
        out_dir.path(),
        &String::from_utf8_lossy(&stdout),
    )
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

fn compare_dir(expected_dir: &Path, name: &str, actual_dir: &Path, stdout: &str) -> Outcome {
    let Ok(entries) = std::fs::read_dir(expected_dir) else {
        return Outcome::Fail("cannot list the test directory".into());
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    for exp in files {
        let file_name = exp.file_name().expect("file has a name");
        let expected = sorted_lines(&std::fs::read_to_string(&exp).unwrap_or_default());
        let Ok(actual_text) = std::fs::read_to_string(actual_dir.join(file_name)) else {
            return Outcome::Fail(format!("{} was not written", file_name.to_string_lossy()));
        };
        let actual = sorted_lines(&actual_text);
        if expected != actual {
            return Outcome::Fail(format!(
                "{}: {}",
                file_name.to_string_lossy(),
                first_difference(&expected, &actual)
            ));
        }
    }
    let out_file = expected_dir.join(format!("{name}.out"));
    if let Ok(expected_out) = std::fs::read_to_string(out_file) {
        let (e, a) = (sorted_lines(&expected_out), sorted_lines(stdout));
        if e != a {
            return Outcome::Fail(format!("stdout: {}", first_difference(&e, &a)));
        }
    }
    Outcome::Pass
}
