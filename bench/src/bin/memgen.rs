//! `memgen MEMORIES RELATIONS [SEED] > memories.jsonl`: a synthetic agent memory in engram's
//! memory format (see `engram_bench::memgen`).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u64| -> anyhow::Result<u64> {
        Ok(match args.get(i) {
            Some(s) => s.parse()?,
            None => default,
        })
    };
    let (memories, relations, seed) = (num(0, 100_000)?, num(1, 1_000_000)?, num(2, 1)?);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let c = engram_bench::memgen::write(&mut out, memories as usize, relations as usize, seed)?;
    eprintln!(
        "{} memories, {} entities, {} relations",
        c.memories, c.entities, c.relations
    );
    Ok(())
}
