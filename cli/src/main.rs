//! `engram`: run, check and query Datalog programs from the command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use engram_engine::io::{OutputTarget, format_confidence, format_table, write_outputs};
use engram_engine::{EvalOptions, Program};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

// Evaluation allocates and frees large row buffers every round; mimalloc keeps those pages
// instead of returning them to the OS and faulting them in again.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// engram: a Datalog engine for agent memory.
#[derive(Parser, Debug)]
#[command(name = "engram", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate a program: read `.input` facts, write `.output` relations, answer `?-` queries.
    Run {
        #[command(flatten)]
        facts: FactDir,
        /// Directory for output `.csv` files, or `-` for stdout (Soufflé's -D).
        #[arg(
            short = 'D',
            long = "output-dir",
            visible_alias = "output",
            default_value = "."
        )]
        output: String,
        /// The program.
        program: PathBuf,
    },
    /// Parse and plan a program, printing every error.
    Check {
        /// The program.
        program: PathBuf,
    },
    /// Print the proof tree of a fact's best derivation: each fact with its confidence, depth
    /// and rule. Exits with 1 if the fact does not hold.
    Explain {
        #[command(flatten)]
        facts: FactDir,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The program.
        program: PathBuf,
        /// The fact, as Datalog: `path("a", "d")`.
        fact: String,
    },
}

/// Where `.input` files are read from.
#[derive(clap::Args, Debug)]
struct FactDir {
    /// Directory of input `.facts` files (Soufflé's -F).
    #[arg(
        short = 'F',
        long = "fact-dir",
        visible_alias = "facts",
        default_value = "."
    )]
    facts: PathBuf,
}

/// How `explain` prints a proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// An indented tree.
    Text,
    /// Nested JSON objects `{fact, confidence, depth, rule, premises}`.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { program } => {
            let p = Program::from_file(&program)?;
            println!(
                "{}: ok ({} relations, {} rules, {} strata)",
                program.display(),
                p.plan().relations.len(),
                p.plan().rules.len(),
                p.plan().strata.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            facts,
            output,
            program,
        } => {
            let p = Program::from_file(&program)?;
            // Plain programs without queries evaluate as plain Datalog; confidence syntax
            // or queries (which print confidence, depth and rule) turn tracking on.
            let options = EvalOptions {
                provenance: !p.plan().queries.is_empty(),
            };
            let db = p.evaluate_dir_with(&facts.facts, &options)?;
            for w in db.warnings() {
                eprintln!("warning: {w}");
            }
            let target = if output == "-" {
                OutputTarget::Stdout
            } else {
                let dir = PathBuf::from(&output);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create output directory {output}"))?;
                OutputTarget::Dir(dir)
            };
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            write_outputs(&db, &target, &mut out)?;
            for q in db.queries() {
                let rows: Vec<Vec<String>> = q
                    .answers
                    .iter()
                    .map(|a| {
                        let mut cells: Vec<String> =
                            a.values.iter().map(|v| v.to_string()).collect();
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
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            facts,
            format,
            program,
            fact,
        } => {
            let p = Program::from_file(&program)?;
            let mut db = p.evaluate_dir(&facts.facts)?;
            for w in db.warnings() {
                eprintln!("warning: {w}");
            }
            let Some(proof) = db.explain_text(&fact)? else {
                println!("{}: not derived", fact.trim().trim_end_matches('.'));
                return Ok(ExitCode::from(1));
            };
            match format {
                Format::Text => print!("{}", proof.to_text()),
                Format::Json => println!("{}", proof.to_json()),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
