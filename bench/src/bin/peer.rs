//! `peer ENGINE WORKLOAD INPUT_DIR OUTPUT_DIR [N]`: one peer engine (datafrog by hand, Ascent,
//! Crepe) on one workload of the whole-process benchmark, as a whole process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [engine, workload, input, output, rest @ ..] = &args[..] else {
        anyhow::bail!("usage: peer ENGINE WORKLOAD INPUT_DIR OUTPUT_DIR [N]");
    };
    let n = rest.first().map_or(Ok(0), |s| s.parse())?;
    std::fs::create_dir_all(output)?;
    engram_bench::peers::run(engine, workload, input.as_ref(), output.as_ref(), n)
}
