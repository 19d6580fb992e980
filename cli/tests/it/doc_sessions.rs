//! The shell sessions in README.md and the pages of `docs/` run as written, so that what they
//! show is what the binary prints.
//!
//! A session is a ```` ```text ```` block whose first line starts with `$ `: each `$ ` line is a
//! command, run by `sh` in the page's own empty directory with `engram` on `PATH` (stdout and
//! stderr together), and the lines up to the next command are its output. The blocks of a page
//! run in order in one directory, so a later block sees the files and stores an earlier one
//! made. `$ cat FILE` of a file that does not exist yet writes the shown text to it: that is
//! how a page shows a program and creates it. Times (ISO 8601) compare as `<time>`.
//! `UPDATE_GOLDEN=1` writes the output the binary printed back into the page.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pages whose sessions run.
const PAGES: [&str; 4] = [
    "README.md",
    "docs/cli.md",
    "docs/store.md",
    "docs/memory.md",
];

/// One command of a session and the output the page shows for it.
struct Step {
    /// The command, without `$ `.
    command: String,
    /// The page's lines of its output: `lines[start..end]`.
    start: usize,
    end: usize,
}

/// The steps of every session of a page, in order.
fn steps(lines: &[&str]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let opens_session =
            lines[at] == "```text" && lines.get(at + 1).is_some_and(|l| l.starts_with("$ "));
        at += 1;
        if !opens_session {
            continue;
        }
        while at < lines.len() && lines[at] != "```" {
            let command = lines[at]["$ ".len()..].to_string();
            let start = at + 1;
            at = start;
            while at < lines.len() && lines[at] != "```" && !lines[at].starts_with("$ ") {
                at += 1;
            }
            steps.push(Step {
                command,
                start,
                end: at,
            });
        }
        at += 1;
    }
    steps
}

/// The text with every ISO 8601 time (`2026-12-06T07:04:11.411Z`) replaced by `<time>`, and
/// trailing spaces dropped.
fn normalized(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = time_at(rest) {
            out.push_str(&rest[..at.0]);
            out.push_str("<time>");
            rest = &rest[at.1..];
        }
        out.push_str(rest.trim_end());
        out.push('\n');
    }
    out
}

/// Where the first ISO 8601 time in the line starts and ends: `dddd-dd-ddTdd:dd:dd`, then an
/// optional fraction, then `Z`.
fn time_at(line: &str) -> Option<(usize, usize)> {
    let b = line.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    (0..b.len().saturating_sub(shape.len() - 1)).find_map(|start| {
        let fits = shape.iter().zip(&b[start..]).all(|(&s, &c)| match s {
            b'd' => c.is_ascii_digit(),
            s => s == c,
        });
        if !fits {
            return None;
        }
        let mut end = start + shape.len();
        if b.get(end) == Some(&b'.') {
            end += 1;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
        (b.get(end) == Some(&b'Z')).then_some((start, end + 1))
    })
}

/// What the command prints, stdout and stderr together, run in `dir`.
fn run(command: &str, dir: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_engram")).parent().unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&path)),
    )
    .unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("ENGRAM_DB")
        .output()
        .expect("sh runs");
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// The `FILE` of `cat FILE`, when the step shows a file.
fn shown_file(command: &str) -> Option<&str> {
    command.strip_prefix("cat ").filter(|f| !f.contains(' '))
}

/// Runs a page's sessions; returns the differences found, and the page as the binary would
/// have it.
fn check_page(page: &Path, dir: &Path) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(page).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let steps = steps(&lines);
    assert!(!steps.is_empty(), "{} has no session", page.display());
    let (mut problems, mut blessed, mut copied) = (Vec::new(), Vec::new(), 0);
    for step in &steps {
        let shown: String = lines[step.start..step.end]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let printed = match shown_file(&step.command).map(|f| dir.join(f)) {
            Some(file) if !file.exists() => {
                std::fs::write(&file, &shown).unwrap();
                shown.clone()
            }
            _ => run(&step.command, dir),
        };
        if normalized(&printed) != normalized(&shown) {
            problems.push(format!(
                "{}:{}: `{}`\n--- the page shows:\n{shown}--- the binary printed:\n{printed}",
                page.display(),
                step.start,
                step.command
            ));
        }
        blessed.extend(lines[copied..step.start].iter().map(|l| l.to_string()));
        blessed.extend(printed.lines().map(str::to_string));
        copied = step.end;
    }
    blessed.extend(lines[copied..].iter().map(|l| l.to_string()));
    (problems, blessed.join("\n") + "\n")
}

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn the_sessions_in_the_readme_and_docs_print_what_they_show() {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut problems = Vec::new();
    for page in PAGES {
        let dir = tempfile::tempdir().unwrap();
        let path = root().join(page);
        let (found, blessed) = check_page(&path, dir.path());
        if bless && !found.is_empty() {
            std::fs::write(&path, blessed).unwrap();
        } else {
            problems.extend(found);
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(UPDATE_GOLDEN=1 writes what the binary printed into the pages)",
        problems.join("\n")
    );
}

#[test]
fn a_session_is_read_into_steps_and_times_compare_as_one() {
    let page = "x\n```text\n$ engram a\none\ntwo\n$ engram b\n```\n```text\nnot a session\n```\n";
    let lines: Vec<&str> = page.lines().collect();
    let steps = steps(&lines);
    let read: Vec<_> = steps
        .iter()
        .map(|s| (s.command.as_str(), lines[s.start..s.end].to_vec()))
        .collect();
    assert_eq!(
        read,
        [("engram a", vec!["one", "two"]), ("engram b", vec![])]
    );
    assert_eq!(
        normalized("b | 2026-12-06T07:04:11.411Z | 2026-01-01T00:00:00Z  \n"),
        "b | <time> | <time>\n"
    );
    assert_eq!(
        normalized("2026-12-06T07:04:11 and 1795327826334\n"),
        "2026-12-06T07:04:11 and 1795327826334\n"
    );
}
