//! `elgen CONCEPTS DIR`: writes the EL workload's ontology (`engram_bench::elgen`) as `.facts`
//! files, and its program as `DIR/el.dl`.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [n, dir] = &args[..] else {
        anyhow::bail!("usage: elgen CONCEPTS DIR");
    };
    let dir = std::path::Path::new(dir);
    engram_bench::elgen::write(n.parse()?, dir)?;
    std::fs::write(dir.join("el.dl"), engram_bench::elgen::EL_PROGRAM)?;
    Ok(())
}
