//! The commands that run a program on files, as Soufflé does: `engram run`, `engram check`,
//! and `engram explain` of a program's fact.

use crate::render::TextOrJson as Format;
use crate::render::{not_derived, print_violations, print_why_not, violation_filter};
use anyhow::Context;
use engram_core::internal::output::{format_confidence, format_table};
use engram_core::{EvalOptions, Limits, OutputTarget, Program, ReadOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where `.input` files are read from.
#[derive(clap::Args, Debug)]
pub struct FactDir {
    /// Directory of input `.facts` files (Soufflé's -F).
    #[arg(
        short = 'F',
        long = "fact-dir",
        visible_alias = "facts",
        default_value = "."
    )]
    pub facts: PathBuf,
    /// Memories to evaluate over besides (engram's memory format, the MCP reference memory
    /// server's file or a MemoryGraph export), as facts of the memory schema (`rules/schema.dl`).
    #[arg(long)]
    pub memories: Option<PathBuf>,
}

/// How the program file is read (Soufflé's -I and -M).
#[derive(clap::Args, Debug, Default)]
pub struct ReadArgs {
    /// A directory `#include` looks in after the including file's own (Soufflé's -I); may be
    /// given more than once.
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    /// Macros for the preprocessor, `NAME=VALUE` or `NAME` (which is 1), as if `#define`d
    /// before the program (Soufflé's -M); may be given more than once.
    #[arg(short = 'M', long = "macro", value_name = "NAME=VALUE")]
    pub macros: Vec<String>,
}

impl ReadArgs {
    /// Reads the program file as these options say.
    pub fn read(&self, program: &Path) -> Result<Program, engram_core::Error> {
        let mut options = ReadOptions {
            include_dirs: self.include_dirs.clone(),
            ..ReadOptions::default()
        };
        for m in &self.macros {
            options.add_macros(m);
        }
        Program::from_file_with(program, &options)
    }
}

impl FactDir {
    /// Evaluates `p` over the input files and the memories.
    fn evaluate(
        &self,
        p: &Program,
        options: &EvalOptions,
    ) -> anyhow::Result<engram_core::Database> {
        let mut inputs = engram_core::Inputs::default();
        if let Some(path) = &self.memories {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
            let format = engram_memory::Format::detect(&text).with_context(|| {
                format!(
                    "{}: not a memory file (engram's, mcp-memory or memorygraph)",
                    path.display()
                )
            })?;
            let read = format
                .read(&text, false)
                .map_err(|b| anyhow::anyhow!("{}:{b}", path.display()))?;
            let now = options
                .now
                .unwrap_or_else(engram_core::internal::value::now_ms);
            engram_memory::add_to_inputs(&mut inputs, &read.facts, now);
        }
        Ok(p.evaluate_dir_and(&self.facts, &inputs, options)?)
    }
}

/// `engram check`: plans a program and says what it holds.
pub fn check(program: &Path, read: &ReadArgs) -> anyhow::Result<ExitCode> {
    let summary = read.read(program)?.summary();
    println!(
        "{}: ok ({} relations, {} rules, {} strata)",
        program.display(),
        summary.relations,
        summary.rules,
        summary.strata
    );
    Ok(ExitCode::SUCCESS)
}

/// `engram run`: evaluates a program on its input files and writes its outputs, then the
/// answers of its queries and its violations; with `strict`, violations exit with 3.
pub fn run(
    program: &Path,
    read: &ReadArgs,
    facts: &FactDir,
    output: &str,
    strict: bool,
    options: EvalOptions,
) -> anyhow::Result<ExitCode> {
    let p = read.read(program)?;
    // Plain programs without queries evaluate as plain Datalog; confidence syntax,
    // queries and constraints (which print confidence, depth and rule) turn tracking
    // on.
    let summary = p.summary();
    let options = EvalOptions {
        provenance: summary.queries > 0 || summary.constraints > 0,
        ..options
    };
    let mut db = facts.evaluate(&p, &options)?;
    for w in db.warnings() {
        eprintln!("warning: {w}");
    }
    let target = if output == "-" {
        OutputTarget::Stdout
    } else {
        let dir = PathBuf::from(output);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create output directory {output}"))?;
        OutputTarget::Dir(dir)
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    db.write_outputs(&target, &mut out)?;
    for q in db.queries() {
        let rows: Vec<Vec<String>> = q
            .answers
            .iter()
            .map(|a| {
                let mut cells: Vec<String> = a.values.iter().map(|v| v.to_string()).collect();
                cells.push(format_confidence(a.confidence));
                cells.push(a.depth.to_string());
                cells.push(a.origin.to_string());
                cells
            })
            .collect();
        writeln!(out, "{}", q.text.trim())?;
        let mut columns = q.columns.clone();
        columns.extend(["confidence", "depth", "rule"].map(String::from));
        write!(out, "{}", format_table(&columns, &rows))?;
        writeln!(out, "({} answers)", rows.len())?;
    }
    let violations = db.violations(None);
    if !violations.is_empty() {
        writeln!(out, "violations ({})", violations.len())?;
        for v in &violations {
            write!(out, "{}", v.proof.to_text())?;
        }
    }
    out.flush()?;
    Ok(if strict && !violations.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// `engram explain PROGRAM FACT`: the proof of a fact of a program evaluated on its files.
pub fn explain(
    program: Result<Program, engram_core::Error>,
    facts: &FactDir,
    fact: &str,
    format: Format,
    why_not: bool,
    now: Option<i64>,
    limits: Limits,
) -> anyhow::Result<ExitCode> {
    let p = program?;
    let options = EvalOptions {
        now,
        limits,
        ..EvalOptions::default()
    };
    let mut db = facts.evaluate(&p, &options)?;
    for w in db.warnings() {
        eprintln!("warning: {w}");
    }
    if let Some(name) = violation_filter(fact) {
        return print_violations(db.violations(name), format == Format::Json);
    }
    if why_not {
        return print_why_not(&db.why_not_text(fact)?, format == Format::Json);
    }
    let Some(proof) = db.explain_text(fact)? else {
        return not_derived(fact, db.superseded_by_text(fact)?);
    };
    match format {
        Format::Text => print!("{}", proof.to_text()),
        Format::Json => println!("{}", proof.to_json()),
    }
    Ok(ExitCode::SUCCESS)
}
