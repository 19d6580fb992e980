//! A generated OWL EL ontology, normalised as the EL completion rules read it, and those rules
//! in Soufflé's dialect: the multi-atom workload of the whole-process benchmark (its rule
//! bodies join four and five atoms, as GALEN's classification does).
//!
//! Concepts form a told hierarchy (each has one or two parents among the concepts before it);
//! some are defined by existentials (`A ⊑ ∃r.B`) or are the range of one (`∃r.A ⊑ B`), some
//! by conjunctions (`A1 ⊓ A2 ⊑ B`); roles form a small hierarchy with a few chains
//! (`r1 ∘ r2 ⊑ t`). Deterministic for a size.

use crate::memgen::Rng;
use std::io::Write;
use std::path::Path;

/// The EL completion rules (ELK's, with role hierarchies and chains) over normalised axioms.
/// `sub(x, a)`: x is subsumed by a; `rel(x, r, y)`: x ⊑ ∃r.y.
pub const EL_PROGRAM: &str = r#"
.decl concept(c: symbol)
.decl told(a: symbol, b: symbol)
.decl conj(a1: symbol, a2: symbol, b: symbol)
.decl exr(a: symbol, r: symbol, b: symbol)
.decl exl(r: symbol, a: symbol, b: symbol)
.decl subrole(r: symbol, s: symbol)
.decl chain(r1: symbol, r2: symbol, t: symbol)
.decl role(r: symbol)
.decl subroles(r: symbol, s: symbol)
.decl sub(x: symbol, a: symbol)
.decl rel(x: symbol, r: symbol, y: symbol)
.input concept
.input told
.input conj
.input exr
.input exl
.input subrole
.input chain
.input role
.output sub
subroles(r, r) :- role(r).
subroles(r, t) :- subrole(r, s), subroles(s, t).
sub(x, x) :- concept(x).
sub(x, b) :- sub(x, a), told(a, b).
sub(x, b) :- sub(x, a1), sub(x, a2), conj(a1, a2, b).
rel(x, r, b) :- sub(x, a), exr(a, r, b).
sub(x, b) :- rel(x, r, y), sub(y, a), subroles(r, s), exl(s, a, b).
rel(x, t, z) :- rel(x, r1, y), rel(y, r2, z), subroles(r1, s1), subroles(r2, s2), chain(s1, s2, t).
"#;

/// Writes the ontology's `.facts` files into `dir` for `n` concepts (skipped when they exist).
pub fn write(n: usize, dir: &Path) -> anyhow::Result<()> {
    if dir.join("role.facts").exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(n as u64 ^ 0x5eed);
    let file = |name: &str| -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
        Ok(std::io::BufWriter::new(std::fs::File::create(
            dir.join(format!("{name}.facts")),
        )?))
    };
    let roles = 24;
    let mut role = file("role")?;
    let mut subrole = file("subrole")?;
    for r in 0..roles {
        writeln!(role, "r{r}")?;
        if r > 0 && rng.below(3) > 0 {
            writeln!(subrole, "r{r}\tr{}", rng.below(r))?;
        }
    }
    // Chains over roles low in the hierarchy (a chain over its root would compose every
    // pair of existentials).
    let mut chain = file("chain")?;
    for _ in 0..3 {
        let leaf = |rng: &mut Rng| roles / 2 + rng.below(roles / 2);
        let (a, b, t) = (leaf(&mut rng), leaf(&mut rng), leaf(&mut rng));
        writeln!(chain, "r{a}\tr{b}\tr{t}")?;
    }
    let (mut concept, mut told, mut conj, mut exr, mut exl) = (
        file("concept")?,
        file("told")?,
        file("conj")?,
        file("exr")?,
        file("exl")?,
    );
    for c in 0..n {
        writeln!(concept, "c{c}")?;
        if c == 0 {
            continue;
        }
        // Parents anywhere before: a hierarchy of logarithmic depth.
        let parent = |rng: &mut Rng| rng.below(c);
        writeln!(told, "c{c}\tc{}", parent(&mut rng))?;
        if rng.below(4) == 0 {
            writeln!(told, "c{c}\tc{}", parent(&mut rng))?;
        }
        match rng.below(10) {
            0..=2 => writeln!(exr, "c{c}\tr{}\tc{}", rng.below(roles), parent(&mut rng))?,
            3 => writeln!(exl, "r{}\tc{c}\tc{}", rng.below(roles), rng.below(c))?,
            4 => writeln!(conj, "c{}\tc{}\tc{c}", rng.below(c), rng.below(c))?,
            _ => {}
        }
    }
    for mut w in [role, subrole, chain, concept, told, conj, exr, exl] {
        w.flush()?;
    }
    Ok(())
}

/// [`EL_PROGRAM`] with a rule weight on the told-subsumption rule: evaluated with provenance,
/// each subsumption with its best confidence (the same rows).
pub fn weighted() -> String {
    let rule = "sub(x, b) :- sub(x, a), told(a, b).";
    assert!(
        EL_PROGRAM.contains(rule),
        "the EL program has the told rule"
    );
    EL_PROGRAM.replace(rule, &format!("@weight(0.95)\n{rule}"))
}
