//! The peer programs of the whole-process benchmark: each workload written by hand for
//! datafrog, and in Ascent and Crepe, run by the `peer` binary as users run a program: read the
//! input files, evaluate, write the output files.
//!
//! Each peer reads tab-separated `.facts` files, interns their symbols as dense `u32` ids (a
//! hash map over the file's text), evaluates, and writes `<relation>.csv` with the symbols' text
//! back, through a buffered writer, in whatever order its engine holds the rows (Soufflé's
//! output is not sorted by text either; the harness sorts before comparing).

pub mod ascent_programs;
pub mod crepe_programs;
pub mod datafrog_programs;
pub mod lubm;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Symbols read from input files, as dense ids.
#[derive(Default)]
pub struct Symbols<'t> {
    ids: HashMap<&'t str, u32>,
    names: Vec<&'t str>,
}

impl<'t> Symbols<'t> {
    /// The id of `s`, interning it.
    pub fn intern(&mut self, s: &'t str) -> u32 {
        let next = self.names.len() as u32;
        *self.ids.entry(s).or_insert_with(|| {
            self.names.push(s);
            next
        })
    }

    /// The text of id `i`.
    pub fn name(&self, i: u32) -> &'t str {
        self.names[i as usize]
    }

    /// Reads the two-column rows of `text` (fields past the second are ignored).
    pub fn pairs(&mut self, text: &'t str) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for line in text.lines() {
            let mut f = line.split('\t');
            if let (Some(a), Some(b)) = (f.next(), f.next()) {
                out.push((self.intern(a), self.intern(b)));
            }
        }
        out
    }
}

/// Reads `dir/name`.
pub fn read(dir: &Path, name: &str) -> anyhow::Result<String> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Writes pairs of symbols to `dir/<relation>.csv`.
pub fn write_pairs(
    dir: &Path,
    relation: &str,
    rows: impl IntoIterator<Item = (u32, u32)>,
    symbols: &Symbols<'_>,
) -> anyhow::Result<()> {
    let file = std::fs::File::create(dir.join(format!("{relation}.csv")))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    for (a, b) in rows {
        w.write_all(symbols.name(a).as_bytes())?;
        w.write_all(b"\t")?;
        w.write_all(symbols.name(b).as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// Writes numbers to `dir/<relation>.csv`, one per line.
pub fn write_numbers(
    dir: &Path,
    relation: &str,
    rows: impl IntoIterator<Item = i64>,
) -> anyhow::Result<()> {
    let file = std::fs::File::create(dir.join(format!("{relation}.csv")))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    for x in rows {
        writeln!(w, "{x}")?;
    }
    w.flush()?;
    Ok(())
}

/// The normalised ontology of the EL workload (`crate::elgen`), as ids.
#[derive(Default)]
pub struct El {
    /// Concept names.
    pub concept: Vec<u32>,
    /// `A ⊑ B`.
    pub told: Vec<(u32, u32)>,
    /// `A1 ⊓ A2 ⊑ B`.
    pub conj: Vec<(u32, u32, u32)>,
    /// `A ⊑ ∃r.B`.
    pub exr: Vec<(u32, u32, u32)>,
    /// `∃r.A ⊑ B`.
    pub exl: Vec<(u32, u32, u32)>,
    /// `r ⊑ s`.
    pub subrole: Vec<(u32, u32)>,
    /// `r1 ∘ r2 ⊑ t`.
    pub chain: Vec<(u32, u32, u32)>,
    /// Role names.
    pub role: Vec<u32>,
}

impl<'t> Symbols<'t> {
    /// Reads one-column rows.
    pub fn singles(&mut self, text: &'t str) -> Vec<u32> {
        text.lines().map(|l| self.intern(l)).collect()
    }

    /// Reads three-column rows.
    pub fn triples(&mut self, text: &'t str) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for line in text.lines() {
            let mut f = line.split('\t');
            if let (Some(a), Some(b), Some(c)) = (f.next(), f.next(), f.next()) {
                out.push((self.intern(a), self.intern(b), self.intern(c)));
            }
        }
        out
    }
}

/// The engines the `peer` binary runs.
pub const ENGINES: [&str; 3] = ["datafrog", "ascent", "crepe"];

/// Runs `workload` on `engine`: reads `input`, writes `output`. `param` is the workload's
/// size parameter where it has one (the bound of `independent`). Errors name an engine that
/// does not implement the workload.
pub fn run(
    engine: &str,
    workload: &str,
    input: &Path,
    output: &Path,
    param: i64,
) -> anyhow::Result<()> {
    match workload {
        "tc" => {
            let text = read(input, "edge.facts")?;
            let mut sym = Symbols::default();
            let edges = sym.pairs(&text);
            let path = match engine {
                "datafrog" => datafrog_programs::tc(&edges),
                "ascent" => ascent_programs::tc(edges),
                "crepe" => crepe_programs::tc(&edges),
                _ => anyhow::bail!("{engine} has no {workload}"),
            };
            write_pairs(output, "path", path, &sym)
        }
        "sg" => {
            let text = read(input, "parent.facts")?;
            let mut sym = Symbols::default();
            let parent = sym.pairs(&text);
            let sg = match engine {
                "datafrog" => datafrog_programs::sg(&parent),
                "ascent" => ascent_programs::sg(parent),
                "crepe" => crepe_programs::sg(&parent),
                _ => anyhow::bail!("{engine} has no {workload}"),
            };
            write_pairs(output, "sg", sg, &sym)
        }
        "tc-confidence" if engine == "by-hand" => confidence_by_hand(input, output),
        "el" => {
            let texts = el_texts(input)?;
            let mut sym = Symbols::default();
            let ontology = el_ontology(&texts, &mut sym);
            let sub = match engine {
                "datafrog" => datafrog_programs::el(ontology),
                "ascent" => ascent_programs::el(ontology),
                "crepe" => crepe_programs::el(ontology),
                _ => anyhow::bail!("{engine} has no {workload}"),
            };
            write_pairs(output, "sub", sub, &sym)
        }
        "lubm" => {
            let texts = lubm::read_texts(input)?;
            let mut sym = Symbols::default();
            let facts = lubm::parse(&texts, &mut sym);
            let outputs = match engine {
                "datafrog" => datafrog_programs::lubm(facts),
                "ascent" => ascent_programs::lubm(facts),
                "crepe" => crepe_programs::lubm(facts),
                _ => anyhow::bail!("{engine} has no {workload}"),
            };
            lubm::write(output, outputs, &sym)
        }
        "independent" => {
            let a = match engine {
                "datafrog" => datafrog_programs::independent(param),
                "ascent" => ascent_programs::independent(param),
                "crepe" => crepe_programs::independent(param),
                _ => anyhow::bail!("{engine} has no {workload}"),
            };
            write_numbers(output, "a", a)
        }
        _ => anyhow::bail!("no workload {workload}"),
    }
}

/// The confidence closure by hand: the best confidence per pair, with weight 0.9.
fn confidence_by_hand(input: &Path, output: &Path) -> anyhow::Result<()> {
    let text = read(input, "edge.facts")?;
    let mut sym = Symbols::default();
    let mut edges = Vec::new();
    for line in text.lines() {
        let mut f = line.split('\t');
        if let (Some(a), Some(b), Some(c)) = (f.next(), f.next(), f.next()) {
            edges.push((sym.intern(a), sym.intern(b), c.parse()?));
        }
    }
    let path = crate::best_per_key_closure(sym.names.len(), &edges, 0.9);
    write_pairs(output, "path", path, &sym)
}

/// The EL workload's fact files.
fn el_texts(input: &Path) -> anyhow::Result<Vec<String>> {
    let names = [
        "concept", "told", "conj", "exr", "exl", "subrole", "chain", "role",
    ];
    (names.iter())
        .map(|n| read(input, &format!("{n}.facts")))
        .collect()
}

/// The EL workload's ontology, from the texts of its fact files.
fn el_ontology<'t>(texts: &'t [String], sym: &mut Symbols<'t>) -> El {
    El {
        concept: sym.singles(&texts[0]),
        told: sym.pairs(&texts[1]),
        conj: sym.triples(&texts[2]),
        exr: sym.triples(&texts[3]),
        exl: sym.triples(&texts[4]),
        subrole: sym.pairs(&texts[5]),
        chain: sym.triples(&texts[6]),
        role: sym.singles(&texts[7]),
    }
}

/// The `c` facts of the independent-body workload.
pub const INDEPENDENT_C: std::ops::RangeInclusive<i64> = 1..=100;
/// The `d` facts of the independent-body workload (half of them join `c`).
pub const INDEPENDENT_D: std::ops::RangeInclusive<i64> = 51..=150;

/// The independent-body workload in Soufflé's dialect, up to `n`: `c(y), d(y)` shares no
/// variable with the rest of its rule.
pub fn independent_program(n: i64) -> String {
    let facts = |rel: &str, xs: std::ops::RangeInclusive<i64>| -> String {
        xs.map(|x| format!("{rel}({x}). ")).collect()
    };
    format!(
        ".decl a(x: number)\n.decl b(x: number)\n.decl c(y: number)\n.decl d(y: number)\n\
         .output a\nb(0).\n{}\n{}\na(x) :- b(x), c(y), d(y).\nb(x + 1) :- a(x), x < {n}.\n",
        facts("c", INDEPENDENT_C),
        facts("d", INDEPENDENT_D),
    )
}
