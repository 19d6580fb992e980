//! The whole-process benchmark: each workload's inputs, the `engram` binary and every peer run
//! on them as whole processes (read input, evaluate, write output), interleaved, and the
//! comparison of what they wrote.

use crate::peers::{self, ENGINES};
use crate::process::measure;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// How big the inputs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// The sizes of the benchmark's table.
    Full,
    /// A few hundred rows each: a correctness check of every workload and engine.
    Tiny,
}

/// One contender on a workload: the `engram` binary on a program, or a peer binary.
#[derive(Clone, Debug)]
pub enum Contender {
    /// `engram run -F input -D out program`, named `label` in the table.
    Engram {
        /// Its name in the table.
        label: String,
        /// The binary, when not the workspace's own release build (another build of engram
        /// measured beside it: `ENGRAM_BASELINE`).
        binary: Option<PathBuf>,
        /// The program file.
        program: PathBuf,
        /// Its input directory.
        input: PathBuf,
        /// Flags of `engram run` (`--best-first`).
        flags: Vec<String>,
    },
    /// `souffle -F input -D out program` (Soufflé's interpreter, its default), when a
    /// `souffle` binary is on PATH.
    Souffle {
        /// The program file (the Soufflé dialect engram runs unchanged).
        program: PathBuf,
        /// Its input directory.
        input: PathBuf,
    },
    /// `peer ENGINE WORKLOAD input out N`.
    Peer {
        /// The engine.
        engine: String,
        /// The peer binary's workload name.
        workload: String,
        /// The size parameter.
        param: i64,
    },
}

impl Contender {
    /// Its name in the table.
    pub fn label(&self) -> &str {
        match self {
            Contender::Engram { label, .. } => label,
            Contender::Souffle { .. } => "souffle",
            Contender::Peer { engine, .. } => engine,
        }
    }
}

/// A workload: what runs on which input, and the relations compared.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Its name in the table.
    pub name: String,
    /// The input directory of the peers.
    pub input: PathBuf,
    /// The relations every contender writes (`<relation>.csv`), compared together.
    pub relations: Vec<String>,
    /// engram first, then the peers.
    pub contenders: Vec<Contender>,
}

/// What one contender did on one workload: medians over the runs.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The contender's name.
    pub label: String,
    /// Median wall time, seconds.
    pub secs: f64,
    /// Median peak resident memory, MB (when `/usr/bin/time` is on the machine).
    pub peak_mb: Option<f64>,
    /// Rows written (over every relation compared).
    pub rows: usize,
    /// FNV-1a of the relations' names and their sorted lines.
    pub checksum: u64,
}

/// Row count and FNV-1a hash of the sorted lines of `dir/<relation>.csv` for each of
/// `relations` in turn (each file's name hashed before its lines).
pub fn checksum(dir: &Path, relations: &[String]) -> anyhow::Result<(usize, u64)> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut hash = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut rows = 0;
    for relation in relations {
        let path = dir.join(format!("{relation}.csv"));
        let file =
            std::fs::File::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let mut lines: Vec<String> = std::io::BufReader::new(file)
            .lines()
            .collect::<Result<_, _>>()?;
        lines.sort_unstable();
        hash(relation.as_bytes());
        hash(b"\0");
        for line in &lines {
            hash(line.as_bytes());
            hash(b"\n");
        }
        rows += lines.len();
    }
    Ok((rows, h))
}

/// Runs every contender of `w` `runs` times, interleaved (engram, peer, peer, engram, ...), so
/// that drift in the machine's speed hits them alike.
pub fn run_workload(
    w: &Workload,
    engram: &Path,
    peer: &Path,
    scratch: &Path,
    runs: usize,
) -> anyhow::Result<Vec<Outcome>> {
    let mut times = vec![Vec::new(); w.contenders.len()];
    let mut peaks = vec![Vec::new(); w.contenders.len()];
    let mut out_dirs = Vec::new();
    for i in 0..w.contenders.len() {
        let out = scratch.join(format!("out-{}-{i}", w.name.replace(' ', "_")));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out)?;
        out_dirs.push(out);
    }
    for _ in 0..runs.max(1) {
        for (i, c) in w.contenders.iter().enumerate() {
            let out = out_dirs[i].to_str().expect("a UTF-8 path");
            let (secs, peak, _) = match c {
                // The same command line for both: Soufflé's `-F in -D out program`.
                Contender::Engram { program, input, .. }
                | Contender::Souffle { program, input } => {
                    let mut args = match c {
                        Contender::Engram { binary, flags, .. } => {
                            let bin = binary.as_deref().unwrap_or(engram);
                            let mut args = vec![bin.to_str().expect("a UTF-8 path"), "run"];
                            args.extend(flags.iter().map(String::as_str));
                            args
                        }
                        _ => vec!["souffle"],
                    };
                    let (input, program) = (input.to_str(), program.to_str());
                    args.extend(["-F", input.expect("a UTF-8 path"), "-D", out]);
                    args.push(program.expect("a UTF-8 path"));
                    measure(&args)
                }
                Contender::Peer {
                    engine,
                    workload,
                    param,
                } => measure(&[
                    peer.to_str().expect("a UTF-8 path"),
                    engine,
                    workload,
                    w.input.to_str().expect("a UTF-8 path"),
                    out,
                    &param.to_string(),
                ]),
            };
            times[i].push(secs);
            peaks[i].extend(peak);
        }
    }
    let mut outcomes = Vec::new();
    for (i, c) in w.contenders.iter().enumerate() {
        let (rows, checksum) = checksum(&out_dirs[i], &w.relations)?;
        outcomes.push(Outcome {
            label: c.label().to_string(),
            secs: crate::process::median(times[i].clone()),
            peak_mb: (!peaks[i].is_empty()).then(|| crate::process::median(peaks[i].clone())),
            rows,
            checksum,
        });
    }
    Ok(outcomes)
}

/// The table's lines for one workload: engram's figures, then each peer's with the ratios, and
/// whether the rows agree.
pub fn report(name: &str, outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let Some((first, peers)) = outcomes.split_first() else {
        return s;
    };
    let mb = |o: &Outcome| o.peak_mb.map_or("-".to_string(), |m| format!("{m:.0} MB"));
    let _ = writeln!(
        s,
        "{name:<34} {:>10} rows  {:<16} {:>7.2} s {:>8}",
        first.rows,
        first.label,
        first.secs,
        mb(first)
    );
    for p in peers {
        let agree = if (p.rows, p.checksum) == (first.rows, first.checksum) {
            "same rows".to_string()
        } else {
            format!("DIFFERENT ROWS ({} rows)", p.rows)
        };
        let mem_ratio = match (first.peak_mb, p.peak_mb) {
            (Some(a), Some(b)) => format!("{:.2}x", a / b),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "{:<34} {:>15}  {:<16} {:>7.2} s {:>8}   time {:>5.2}x  memory {:>6}  {agree}",
            "",
            "",
            p.label,
            p.secs,
            mb(p),
            first.secs / p.secs,
            mem_ratio,
        );
    }
    s
}

/// The outcomes as JSON.
pub fn to_json(results: &[(String, Vec<Outcome>)]) -> serde_json::Value {
    serde_json::Value::Array(
        results
            .iter()
            .map(|(name, outcomes)| {
                serde_json::json!({
                    "workload": name,
                    "contenders": outcomes.iter().map(|o| serde_json::json!({
                        "name": o.label,
                        "seconds": o.secs,
                        "peak_mb": o.peak_mb,
                        "rows": o.rows,
                        "checksum": format!("{:016x}", o.checksum),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn write_program(dir: &Path, name: &str, text: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Writes `dir/edge.facts` from a gzipped tab-separated file of the shared data, with columns
/// `cols` of each line, and at most `limit` lines (skipped when it exists).
fn shared_edges(src: &Path, cols: (usize, usize), dir: &Path, limit: usize) -> anyhow::Result<()> {
    let dst = dir.join("edge.facts");
    if dst.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let file = std::fs::File::open(src).map_err(|e| anyhow::anyhow!("{}: {e}", src.display()))?;
    let text = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&dst)?);
    for line in text.lines().take(limit) {
        let line = line?;
        let f: Vec<&str> = line.split('\t').collect();
        if let (Some(a), Some(b)) = (f.get(cols.0), f.get(cols.1)) {
            writeln!(out, "{a}\t{b}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `../shared/data/`.
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// How many copies of LUBM's university the LUBM workload reads at full scale.
pub const UNIVERSITIES: usize = 20;

/// Every workload of the table at `scale`, its inputs generated under `scratch`. With
/// `ENGRAM_BASELINE` naming another engram binary, it runs beside the workspace's build on
/// every program engram runs ("engram baseline"), so that a change is measured against the
/// build before it in one run.
pub fn workloads(scale: Scale, scratch: &Path) -> anyhow::Result<Vec<Workload>> {
    let programs = scratch.join("programs");
    let setup = Setup {
        full: scale == Scale::Full,
        scratch: scratch.to_path_buf(),
        tc: write_program(&programs, "tc.dl", &output(crate::TC_PROGRAM, "path"))?,
        souffle: souffle_on_path(),
        baseline: std::env::var_os("ENGRAM_BASELINE").map(PathBuf::from),
        programs,
    };
    let mut out = setup.closures()?;
    out.extend(setup.confidence()?);
    out.push(setup.same_generation()?);
    out.push(setup.el()?);
    out.push(setup.lubm()?);
    out.push(setup.independent()?);
    Ok(out)
}

/// What every workload is made with.
struct Setup {
    full: bool,
    scratch: PathBuf,
    programs: PathBuf,
    /// The transitive closure program.
    tc: PathBuf,
    souffle: bool,
    baseline: Option<PathBuf>,
}

impl Setup {
    /// The peer binary's contenders on a workload.
    fn peers_of(&self, workload: &str, param: i64) -> Vec<Contender> {
        (ENGINES.iter())
            .map(|e| Contender::Peer {
                engine: e.to_string(),
                workload: workload.to_string(),
                param,
            })
            .collect()
    }

    /// engram (and the baseline build) on a program, labelled `label`.
    fn engram(&self, label: &str, program: &Path, input: &Path) -> Vec<Contender> {
        self.engram_with(label, program, input, &[])
    }

    /// [`Setup::engram`] with flags of `engram run`.
    fn engram_with(
        &self,
        label: &str,
        program: &Path,
        input: &Path,
        flags: &[&str],
    ) -> Vec<Contender> {
        let engram = |label: String, binary: Option<PathBuf>| Contender::Engram {
            label,
            binary,
            program: program.to_path_buf(),
            input: input.to_path_buf(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
        };
        let mut out = vec![engram(label.to_string(), None)];
        if let Some(b) = &self.baseline {
            out.push(engram(format!("{label} baseline"), Some(b.clone())));
        }
        out
    }

    /// engram on a program in the Soufflé dialect, and Soufflé on it too when it is installed.
    fn engram_and_souffle(&self, program: &Path, input: &Path) -> Vec<Contender> {
        let mut out = self.engram("engram", program, input);
        if self.souffle {
            out.push(Contender::Souffle {
                program: program.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
        out
    }

    /// The random graph (its input directory and sizes).
    fn graph(&self) -> anyhow::Result<(PathBuf, [&'static str; 2])> {
        let graph = if self.full {
            ["2000", "4000"]
        } else {
            ["100", "200"]
        };
        let dir = (self.scratch).join(format!("graph-{}-{}", graph[0], graph[1]));
        crate::generate(&["graph", graph[0], graph[1]], &dir, "edge.facts")?;
        Ok((dir, graph))
    }

    /// Transitive closures: a random graph, a chain, the Gene Ontology, WordNet.
    fn closures(&self) -> anyhow::Result<Vec<Workload>> {
        let closure = |name: String, input: PathBuf| -> Workload {
            let mut contenders = self.engram_and_souffle(&self.tc, &input);
            contenders.extend(self.peers_of("tc", 0));
            Workload {
                name,
                input,
                relations: vec!["path".into()],
                contenders,
            }
        };
        let (dir, graph) = self.graph()?;
        let mut out = vec![closure(format!("TC random {} {}", graph[0], graph[1]), dir)];
        let chain = if self.full { "2000" } else { "50" };
        let cdir = self.scratch.join(format!("chain-{chain}"));
        crate::generate(&["chain", chain], &cdir, "edge.facts")?;
        out.push(closure(format!("TC chain {chain}"), cdir));
        let (limit, sized) = match self.full {
            true => (usize::MAX, String::new()),
            false => (300, "-300".to_string()),
        };
        let go = self.scratch.join(format!("go{sized}"));
        let ontology = shared_data().join("gene-ontology/edge.tsv.gz");
        shared_edges(&ontology, (0, 2), &go, limit)?;
        out.push(closure("Gene Ontology closure".into(), go));
        let wn = self.scratch.join(format!("wordnet{sized}"));
        let hypernyms = shared_data().join("wordnet/hypernym.tsv.gz");
        shared_edges(&hypernyms, (0, 1), &wn, limit)?;
        out.push(closure("WordNet hypernym closure".into(), wn));
        Ok(out)
    }

    /// The random graph's closure with a confidence per edge (in [0.9, 1)), against engram's
    /// boolean closure and a best-per-key loop by hand; and the closure of a dense graph with
    /// confidences in [0.05, 1), whose facts improve often.
    fn confidence(&self) -> anyhow::Result<Vec<Workload>> {
        let (dir, _) = self.graph()?;
        let dense = match self.full {
            true => ["600", "9000"],
            false => ["60", "400"],
        };
        let dense_dir = (self.scratch).join(format!("graph-{}-{}", dense[0], dense[1]));
        crate::generate(&["graph", dense[0], dense[1]], &dense_dir, "edge.facts")?;
        Ok(vec![
            self.confidence_of("confidence closure".into(), &dir, 0.9)?,
            self.confidence_of(
                format!("dense confidence closure {} {}", dense[0], dense[1]),
                &dense_dir,
                0.05,
            )?,
        ])
    }

    /// The closure of the graph in `dir` with a confidence per edge in [low, 1), by rounds
    /// and best-first, against engram's boolean closure and a best-per-key loop by hand.
    fn confidence_of(&self, name: String, dir: &Path, low: f64) -> anyhow::Result<Workload> {
        let tc_conf = write_program(
            &self.programs,
            "tc-confidence.dl",
            &output(crate::TC_CONFIDENCE_PROGRAM, "path"),
        )?;
        let conf_dir = (self.scratch).join(format!(
            "{}-confidence-{low}",
            dir.file_name().and_then(|n| n.to_str()).unwrap_or("graph")
        ));
        crate::add_confidences(&dir.join("edge.facts"), &conf_dir.join("edge.facts"), low)?;
        let mut contenders = self.engram("engram", &tc_conf, &conf_dir);
        contenders.extend(self.engram_with(
            "engram best-first",
            &tc_conf,
            &conf_dir,
            &["--best-first"],
        ));
        contenders.extend(self.engram("engram boolean", &self.tc, dir));
        contenders.push(Contender::Peer {
            engine: "by-hand".into(),
            workload: "tc-confidence".into(),
            param: 0,
        });
        Ok(Workload {
            name,
            input: conf_dir,
            relations: vec!["path".into()],
            contenders,
        })
    }

    /// Same generation over a tree.
    fn same_generation(&self) -> anyhow::Result<Workload> {
        let sg = write_program(&self.programs, "sg.dl", &output(crate::SG_PROGRAM, "sg"))?;
        let tree = if self.full {
            ["20000", "300"]
        } else {
            ["200", "10"]
        };
        let tdir = self.scratch.join(format!("tree-{}-{}", tree[0], tree[1]));
        crate::generate(&["tree", tree[0], tree[1]], &tdir, "parent.facts")?;
        let mut contenders = self.engram_and_souffle(&sg, &tdir);
        contenders.extend(self.peers_of("sg", 0));
        Ok(Workload {
            name: format!("same generation {} {}", tree[0], tree[1]),
            input: tdir,
            relations: vec!["sg".into()],
            contenders,
        })
    }

    /// An OWL EL classification, boolean and with a rule weight.
    fn el(&self) -> anyhow::Result<Workload> {
        let concepts = if self.full { 20_000 } else { 300 };
        let el_dir = self.scratch.join(format!("el-{concepts}"));
        crate::elgen::write(concepts, &el_dir)?;
        let el = write_program(&self.programs, "el.dl", crate::elgen::EL_PROGRAM)?;
        // The same classification with provenance (a rule weight): every fact's best confidence.
        let weighted = crate::elgen::weighted();
        let el_conf = write_program(&self.programs, "el-confidence.dl", &weighted)?;
        let mut contenders = self.engram_and_souffle(&el, &el_dir);
        contenders.extend(self.engram("engram confidence", &el_conf, &el_dir));
        contenders.extend(self.engram_with(
            "engram confidence best-first",
            &el_conf,
            &el_dir,
            &["--best-first"],
        ));
        contenders.extend(self.peers_of("el", 0));
        Ok(Workload {
            name: format!("EL classification, {concepts} concepts"),
            input: el_dir,
            relations: vec!["sub".into()],
            contenders,
        })
    }

    /// LUBM materialisation: Soufflé's own program over its university copied.
    fn lubm(&self) -> anyhow::Result<Workload> {
        let (universities, limit) = match self.full {
            true => (UNIVERSITIES, usize::MAX),
            false => (1, 200),
        };
        let lubm_dir = match limit {
            usize::MAX => self.scratch.join(format!("lubm-{universities}")),
            _ => self.scratch.join(format!("lubm-{universities}-{limit}")),
        };
        crate::lubmgen::write(universities, limit, &lubm_dir)?;
        let mut contenders = self.engram_and_souffle(&crate::lubmgen::program(), &lubm_dir);
        contenders.extend(self.peers_of("lubm", 0));
        Ok(Workload {
            name: format!("LUBM, {universities} universities"),
            input: lubm_dir,
            relations: crate::peers::lubm::OUTPUTS.map(String::from).to_vec(),
            contenders,
        })
    }

    /// A body with a part independent of the rest.
    fn independent(&self) -> anyhow::Result<Workload> {
        let n: i64 = if self.full { 1_000_000 } else { 1_000 };
        let ind = write_program(
            &self.programs,
            &format!("independent-{n}.dl"),
            &peers::independent_program(n),
        )?;
        let empty = self.scratch.join("empty");
        std::fs::create_dir_all(&empty)?;
        let mut contenders = self.engram_and_souffle(&ind, &empty);
        contenders.extend(self.peers_of("independent", n));
        Ok(Workload {
            name: format!("independent body, N = {n}"),
            input: empty,
            relations: vec!["a".into()],
            contenders,
        })
    }
}

/// Whether a `souffle` executable is on PATH (the benchmark runs it beside engram then).
pub fn souffle_on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("souffle").is_file()))
}

/// A program with an `.output` directive for `relation` added.
fn output(program: &str, relation: &str) -> String {
    format!("{program}.output {relation}\n")
}
