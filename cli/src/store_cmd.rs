//! The store commands: `init`, `add`, `load`, `retract`, `query`, `explain`, `infer`,
//! `cleanup`, `compact`, `stats`, `export`, `rules`, `repl`.

use crate::render::{self, Format};
use anyhow::Context;
use clap::Subcommand;
use engram_memory::MemoryExt;
use engram_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `engram rules ...`
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Add a rule file (or replace the one of the same name) and re-derive.
    Add {
        /// The rule file.
        file: PathBuf,
        /// The name to list and remove it by (default: the file's stem).
        #[arg(long)]
        name: Option<String>,
        /// Replace one of the standard rule files (schema, types, affinity, ...): refused
        /// without it.
        #[arg(long)]
        replace_standard: bool,
    },
    /// List the rule files.
    List,
    /// Remove a rule file by name and re-derive.
    Remove {
        /// Its name.
        name: String,
    },
}

/// What `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// engram's memory format, JSON Lines.
    Json,
    /// Tab-separated facts with confidence, depth, rule and time.
    Tsv,
    /// The MCP reference memory server's format.
    McpMemory,
}

/// What `now()` stands for, when `--now` fixes it (set once by `main`).
pub static NOW: std::sync::OnceLock<Option<i64>> = std::sync::OnceLock::new();

/// How long a write waits for another process's writer lock (set once by `main`).
pub static LOCK_WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// The bounds on inference (`--max-facts`, `--timeout`, `--max-memory`; set once by `main`).
pub static LIMITS: std::sync::OnceLock<engram_core::Limits> = std::sync::OnceLock::new();

/// Opens the store at `db` for reading and writing.
pub fn open(db: &Path) -> anyhow::Result<Store> {
    let mut store = Store::open(db)?;
    store.set_now(NOW.get().copied().flatten());
    if let Some(&limits) = LIMITS.get() {
        store.set_limits(limits);
    }
    if let Some(&wait) = LOCK_WAIT.get() {
        store.set_lock_wait(wait);
    }
    Ok(store)
}

/// Opens the store at `db` for reading only.
pub fn open_read_only(db: &Path) -> anyhow::Result<Store> {
    let mut store = Store::open_read_only(db)?;
    store.set_now(NOW.get().copied().flatten());
    Ok(store)
}

/// `engram init`: a store, with the standard memory rules unless asked for none.
pub fn init(db: &Path, default_rules: bool) -> anyhow::Result<ExitCode> {
    let mut store = Store::create(db)?;
    println!("created store {}", db.display());
    if default_rules {
        let files = engram_core::library::default_rules();
        store.add_rule_files(&files)?;
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        println!("attached the standard memory rules: {}", names.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `engram add` / `engram retract`.
pub fn add_or_retract(db: &Path, facts: &[String], retract: bool) -> anyhow::Result<ExitCode> {
    let mut store = open(db)?;
    let mut tx = store.transaction()?;
    for f in facts {
        if retract {
            tx.retract_text(f)?;
        } else {
            tx.add_text(f)?;
        }
    }
    let r = tx.commit()?;
    print!("{}", render::commit_text(&r));
    Ok(ExitCode::SUCCESS)
}

/// `engram load`.
pub fn load(db: &Path, file: &Path, how: &crate::load::How<'_>) -> anyhow::Result<ExitCode> {
    let mut store = open(db)?;
    let (loaded, r) = crate::load::load(&mut store, file, how)?;
    for s in &loaded.skipped {
        eprintln!("skipped {}:{s}", file.display());
    }
    let what = match loaded.format {
        Some(f) => format!(" ({})", f.name()),
        None => String::new(),
    };
    println!(
        "loaded {} facts from {}{what}",
        loaded.facts,
        file.display()
    );
    for note in &loaded.notes {
        println!("{note}");
    }
    print!("{}", render::commit_text(&r));
    Ok(ExitCode::SUCCESS)
}

/// `engram query`.
pub fn query(db: &Path, text: &str, format: Format) -> anyhow::Result<ExitCode> {
    let mut store = open_read_only(db)?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out.lock());
    let mut n = 0;
    store.query_each(text, |answers| {
        render::write_answers(&mut out, answers, format, n)?;
        n += 1;
        anyhow::Ok(())
    })?;
    render::end_answers(&mut out, format, n)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `engram explain FACT` on a store.
pub fn explain(db: &Path, fact: &str, json: bool, why_not: bool) -> anyhow::Result<ExitCode> {
    let mut store = open_read_only(db)?;
    if let Some(name) = render::violation_filter(fact) {
        return render::print_violations(store.violations(name)?, json);
    }
    if why_not {
        return render::print_why_not(&store.why_not(fact)?, json);
    }
    let Some(proof) = store.explain(fact)? else {
        return render::not_derived(fact, store.superseded_by(fact)?);
    };
    if json {
        println!("{}", proof.to_json());
    } else {
        print!("{}", proof.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

/// `engram violations`: every violation with its proof.
pub fn violations(db: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = open_read_only(db)?;
    render::print_violations(store.violations(None)?, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `engram infer`.
pub fn infer(db: &Path) -> anyhow::Result<ExitCode> {
    let mut store = open(db)?;
    print!("{}", render::commit_text(&store.infer()?));
    Ok(ExitCode::SUCCESS)
}

/// `engram cleanup`.
pub fn cleanup(
    db: &Path,
    min_confidence: f64,
    max_age_days: f64,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = if dry_run {
        open_read_only(db)?
    } else {
        open(db)?
    };
    let r = store.cleanup(min_confidence, max_age_days, dry_run)?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for (relation, f) in &r.forgotten {
        writeln!(out, "{}", render::fact_tsv(relation, f))?;
    }
    let verb = if dry_run { "would forget" } else { "forgot" };
    writeln!(
        out,
        "{verb} {} derived facts (confidence below {}, older than {} days)",
        r.forgotten.len(),
        min_confidence,
        max_age_days
    )?;
    if let Some(c) = &r.commit {
        write!(out, "{}", render::commit_text(c))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `engram compact`.
pub fn compact(db: &Path) -> anyhow::Result<ExitCode> {
    let mut store = open(db)?;
    let r = store.compact()?;
    println!(
        "compacted: {} files ({} bytes) -> {} files ({} bytes)",
        r.files_before, r.bytes_before, r.files_after, r.bytes_after
    );
    Ok(ExitCode::SUCCESS)
}

/// `engram stats`.
pub fn stats(db: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = open_read_only(db)?;
    let s = store.stats()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s.to_json())?);
    } else {
        print!("{}", render::stats_text(&s));
    }
    Ok(ExitCode::SUCCESS)
}

/// `engram export`: everything the store holds, in engram's memory format (JSON), one fact a
/// line (TSV), or the MCP reference memory server's format.
pub fn export(db: &Path, format: ExportFormat, inferred_only: bool) -> anyhow::Result<ExitCode> {
    let mut store = open_read_only(db)?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    match format {
        ExportFormat::Json => {
            store.export_memory_each(inferred_only, |line| {
                writeln!(out, "{line}")?;
                anyhow::Ok(())
            })?;
        }
        ExportFormat::McpMemory => {
            for line in store.export_mcp()? {
                writeln!(out, "{line}")?;
            }
        }
        ExportFormat::Tsv => {
            for rel in store.relations()? {
                let Some(view) = store.relation(&rel.name)? else {
                    continue;
                };
                for f in view.sorted().filter(|f| !inferred_only || f.depth > 0) {
                    writeln!(out, "{}", render::fact_tsv(&rel.name, &f))?;
                }
                // The history of a functional relation: what newer facts replaced.
                for s in store.superseded(&rel.name)? {
                    writeln!(out, "{}", render::superseded_tsv(&rel.name, &s))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `engram rules ...`.
pub fn rules(db: &Path, cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Add {
            file,
            name,
            replace_standard,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = name.unwrap_or_else(|| {
                file.file_stem()
                    .map_or("rules".into(), |s| s.to_string_lossy().into_owned())
            });
            let mut store = open(db)?;
            if store.replaces_standard_rules(&name) && !replace_standard {
                anyhow::bail!(
                    "`{name}` is one of engram's standard rule files: replacing it changes what \
                     every memory derives. Name yours with --name, or pass --replace-standard \
                     to replace it on purpose"
                );
            }
            let r = store.add_rules(&name, &text)?;
            println!("rule file `{name}` added");
            print!("{}", render::commit_text(&r));
        }
        RulesCommand::List => {
            let store = open_read_only(db)?;
            for r in store.rules() {
                println!("{}\t{} lines", r.name, r.text.lines().count());
            }
        }
        RulesCommand::Remove { name } => {
            let mut store = open(db)?;
            let r = store.remove_rules(&name)?;
            println!("rule file `{name}` removed");
            print!("{}", render::commit_text(&r));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `engram repl`.
pub fn repl(db: &Path) -> anyhow::Result<ExitCode> {
    let mut store = open(db)?;
    crate::repl::run(&mut store)?;
    Ok(ExitCode::SUCCESS)
}

/// `engram recall`: the memories and entities that answer a question, each with why.
pub fn recall(
    db: &Path,
    query: &str,
    options: engram_memory::RecallOptions,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = open_read_only(db)?;
    let options = engram_memory::RecallOptions {
        now: store.evaluation_time(),
        shown: None,
        ..options
    };
    let hits = store.recall(query, &options)?;
    let out = std::io::stdout();
    let mut out = out.lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&hits)?)?;
    } else {
        let columns: Vec<String> = ["#", "id", "type", "text", "score", "why"]
            .iter()
            .map(ToString::to_string)
            .collect();
        let short = |s: &str, n: usize| -> String {
            match s.char_indices().nth(n) {
                Some((i, _)) => format!("{}...", &s[..i]),
                None => s.to_string(),
            }
        };
        let rows: Vec<Vec<String>> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                vec![
                    (i + 1).to_string(),
                    h.id.clone(),
                    format!("{} {}", h.kind, h.ty),
                    short(h.line(), 60),
                    format!("{:.3}", h.score),
                    short(&h.why(), 90),
                ]
            })
            .collect();
        write!(
            out,
            "{}",
            engram_core::internal::output::format_table(&columns, &rows)
        )?;
        writeln!(out, "({} hits)", hits.len())?;
    }
    Ok(if hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
