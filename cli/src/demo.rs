//! `engram demo`: the shipped example memory (`examples/memories.jsonl`, built into the
//! binary) in a new store with the standard rules, and what the rules learned from it.

use crate::store_cmd::open_read_only;
use anyhow::Context;
use engram_core::Origin;
use engram_core::internal::value;
use engram_memory as memory;
use engram_memory::MemoryExt;
use engram_store::Store;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Five months of a coding assistant's memory of a small billing product.
const EXAMPLE: &str = include_str!("../../examples/memories.jsonl");

/// How many of the most confident derived relations to show.
const TOP: usize = 10;

/// Builds the store (in `db`, which must not exist, or in a new temporary directory that is
/// kept so the next commands can use it) and prints what was learned.
pub fn demo(db: Option<&Path>) -> anyhow::Result<ExitCode> {
    let dir: PathBuf = match db {
        Some(d) => d.to_path_buf(),
        None => {
            let base = std::env::temp_dir().join(format!("engram-demo-{}", std::process::id()));
            std::fs::create_dir_all(&base).with_context(|| format!("{}", base.display()))?;
            base.join("memory.db")
        }
    };
    let (memories, relations, facts, took, now) = build(&dir)?;
    let mut store = open_read_only(&dir)?;
    store.set_now(Some(now));
    let out = std::io::stdout();
    let mut out = out.lock();
    writeln!(
        out,
        "Loaded examples/memories.jsonl: {memories} memories, {relations} relations ({facts} facts) into {}",
        dir.display()
    )?;
    let stats = store.stats()?;
    writeln!(
        out,
        "The standard rules derived {} facts from {} asserted in {:.0} ms, as of {} \
         (a day after the last memory).\n",
        stats.derived,
        stats.asserted,
        took.as_secs_f64() * 1000.0,
        value::format_time(now)
    )?;

    let derived_edges = per_rule(&mut store, &mut out)?;
    let explained = most_confident(&mut store, derived_edges, &mut out)?;
    merges(&mut store, &mut out)?;
    let violations = store.violations(None)?;
    writeln!(out, "\nContradictions ({}):", violations.len())?;
    for v in &violations {
        writeln!(out, "  {}  @ {:.3}", v.title(), v.confidence)?;
    }
    next_steps(&dir, explained, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds the store in `dir` from the example: the counts of what it read, the time it took,
/// and what `now()` stands for.
fn build(dir: &Path) -> anyhow::Result<(usize, usize, usize, std::time::Duration, i64)> {
    let read = memory::Format::Native
        .read(EXAMPLE, false)
        .map_err(|b| anyhow::anyhow!("examples/memories.jsonl:{b}"))?;
    // The demo reasons as of the memory's last entry, so its answers do not age.
    let last = read.facts.iter().filter_map(|f| f.time).max().unwrap_or(0);
    let now = last + 86_400_000;
    let started = std::time::Instant::now();
    let mut store = Store::create(dir)?;
    store.set_now(Some(now));
    store.add_rule_files(&engram_core::library::default_rules())?;
    let memories = read.facts.iter().filter(|f| f.relation == "memory").count();
    let relations = (read.facts.iter())
        .filter(|f| f.relation == "relation")
        .count();
    let facts = read.facts.len();
    let mut tx = store.transaction()?;
    memory::add_to_transaction(&mut tx, read.facts)?;
    tx.commit()?;
    Ok((memories, relations, facts, started.elapsed(), now))
}

/// Prints the facts derived per rule, over every relation users see; the derived relations
/// of `edge`.
fn per_rule(store: &mut Store, out: &mut dyn Write) -> anyhow::Result<Vec<engram_core::Fact>> {
    let per_rule: BTreeMap<String, usize> = (store.rule_counts()?.into_iter())
        .filter(|r| !engram_core::library::HELPERS.contains(&r.head.as_str()) && r.derived > 0)
        .map(|r| (r.rule, r.derived))
        .collect();
    let derived_edges = (store.facts("edge")?.unwrap_or_default().into_iter())
        .filter(|f| matches!(&f.origin, Origin::Rule(r) if r != "asserted_relation"))
        .collect();
    writeln!(out, "Facts derived, per rule:")?;
    let mut counts: Vec<_> = per_rule.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (rule, n) in &counts {
        writeln!(out, "  {n:>6}  {rule}")?;
    }
    Ok(derived_edges)
}

/// Prints the most confident relations nobody stated, and the proof of the deepest
/// transitive dependency; the fact it explained.
fn most_confident(
    store: &mut Store,
    mut derived_edges: Vec<engram_core::Fact>,
    out: &mut dyn Write,
) -> anyhow::Result<Option<String>> {
    // The most confident relations the memory never stated, deepest inferences first on ties.
    derived_edges.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.depth.cmp(&a.depth))
            .then(
                a.values
                    .iter()
                    .map(ToString::to_string)
                    .cmp(b.values.iter().map(ToString::to_string)),
            )
    });
    writeln!(out, "\nThe most confident relations nobody stated:")?;
    let interesting = |f: &&engram_core::Fact| !matches!(&f.origin, Origin::Rule(r) if r.starts_with("reverse_") || r == "summary_member");
    for f in derived_edges.iter().filter(interesting).take(TOP) {
        let v: Vec<String> = f.values.iter().map(ToString::to_string).collect();
        writeln!(
            out,
            "  {} {} {}  @ {:.3}  depth {}  {}",
            v[0], v[1], v[2], f.confidence, f.depth, f.origin
        )?;
    }

    // One proof: the deepest transitive dependency, step by step.
    let deepest = derived_edges
        .iter()
        .filter(|f| f.origin == Origin::Rule("transitive_depends_on".into()))
        .max_by(|a, b| {
            a.depth
                .cmp(&b.depth)
                .then(b.confidence.total_cmp(&a.confidence))
        });
    let mut explained = None;
    if let Some(f) = deepest {
        let text = engram_core::fact_text("edge", &f.values);
        if let Some(proof) = store.explain(&text)? {
            writeln!(out, "\nWhy {text}?")?;
            for line in proof.to_text().lines() {
                writeln!(out, "  {line}")?;
            }
            explained = Some(text);
        }
    }
    Ok(explained)
}

/// Prints the merged names and the consolidated summaries.
fn merges(store: &mut Store, out: &mut dyn Write) -> anyhow::Result<()> {
    // Merges: each class of names for one thing, and the name the memory now uses.
    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in store.export_memory(true)? {
        if line["kind"] == "same_as" {
            let id = line["id"].as_str().unwrap_or_default().to_string();
            let label = line["canonical"].as_str().unwrap_or_default().to_string();
            classes.entry(label).or_default().push(id);
        }
    }
    writeln!(
        out,
        "\nMerged names (one entity each, read as the first name):"
    )?;
    for (label, aliases) in &classes {
        writeln!(out, "  {label} = {}", aliases.join(", "))?;
    }
    let summaries = store.facts("summary")?.unwrap_or_default();
    let mut per_summary: BTreeMap<String, usize> = BTreeMap::new();
    for f in &summaries {
        *per_summary.entry(f.values[0].to_string()).or_default() += 1;
    }
    writeln!(
        out,
        "\nConsolidated: {} summary entities over {} memberships (high_overlap_merge, temporal_consolidation).",
        per_summary.len(),
        summaries.len()
    )?;
    Ok(())
}

/// Prints the commands to try next on the store in `dir`.
fn next_steps(dir: &Path, explained: Option<String>, out: &mut dyn Write) -> anyhow::Result<()> {
    let db = dir.display();
    writeln!(out, "\nNext, try:")?;
    writeln!(
        out,
        "  engram --db {db} query '?- edge(x, \"RELATED_TO\", y).'"
    )?;
    if let Some(text) = explained {
        writeln!(out, "  engram --db {db} explain '{text}'")?;
    }
    writeln!(out, "  engram --db {db} violations")?;
    writeln!(out, "  engram --db {db} export --inferred-only | head")?;
    writeln!(out, "  engram --db {db} rules list")?;
    Ok(())
}
