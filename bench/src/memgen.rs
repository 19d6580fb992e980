//! A synthetic agent memory at any scale, in engram's memory format: memories on topics in
//! projects, with tags, entities (technologies, services, people, some spelt several ways),
//! and typed relations whose endpoints follow a heavy-tailed distribution (a few hubs that
//! everything touches, a long tail touched once), plus contradictions. Deterministic for a
//! seed.

use std::io::Write;

/// A small, fast, deterministic generator (SplitMix64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
    /// Heavy-tailed in [0, n): small indexes are picked far more often (u^3 skews to 0).
    fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * u) * n as f64) as usize % n.max(1)
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// Memories.
    pub memories: usize,
    /// Entities (aliases included).
    pub entities: usize,
    /// Relations.
    pub relations: usize,
}

const KINDS: &[&str] = &[
    "problem", "solution", "fix", "decision", "learning", "pattern", "task", "bug",
];
const MEMORY_TO_ENTITY: &[&str] = &["ABOUT", "USES", "MENTIONS"];
const MEMORY_TO_MEMORY: &[&str] = &[
    "SOLVES",
    "FIXES",
    "ADDRESSES",
    "CAUSES",
    "CONFIRMS",
    "RELATED_TO",
    "DEPENDS_ON",
];
const ENTITY_TO_ENTITY: &[&str] = &["DEPENDS_ON", "REQUIRES", "PART_OF"];
const WORDS: &[&str] = &[
    "retry",
    "timeout",
    "cache",
    "index",
    "token",
    "queue",
    "schema",
    "deploy",
    "latency",
    "memory",
    "lock",
    "webhook",
    "build",
    "test",
    "config",
    "migration",
    "alert",
    "log",
    "session",
    "payment",
    "invoice",
    "render",
    "query",
    "backup",
];

/// Writes `memories` memories and about `relations` relations (one JSON object a line).
pub fn write(
    out: &mut impl Write,
    memories: usize,
    relations: usize,
    seed: u64,
) -> std::io::Result<Counts> {
    let mut g = Gen {
        rng: Rng(seed),
        counts: Counts::default(),
        n_entities: (memories / 10).max(10),
        topic_of: Vec::with_capacity(memories),
    };
    g.entities(out)?;
    g.memories(out, memories)?;
    for _ in 0..relations {
        g.relation(out, memories)?;
    }
    Ok(g.counts)
}

/// The generator's state: draws are made in the same order for a seed, whatever the scale.
struct Gen {
    rng: Rng,
    counts: Counts,
    n_entities: usize,
    /// Each memory's topic.
    topic_of: Vec<usize>,
}

/// When the memory ends (2026-11-18), and a year, in unix milliseconds.
const END_MS: i64 = 1_795_000_000_000;
const YEAR_MS: i64 = 365 * 86_400_000;

fn time(ms: i64) -> String {
    engram_engine::format_time(ms)
}

fn entity_name(i: usize) -> String {
    format!("entity-{i}")
}

impl Gen {
    /// The entities; one in fifty also written another way (merged by the rules).
    fn entities(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        for i in 0..self.n_entities {
            let ty = ["technology", "service", "person", "library"][i % 4];
            writeln!(
                out,
                r#"{{"kind":"entity","id":"{}","type":"{ty}","time":"{}"}}"#,
                entity_name(i),
                time(END_MS - YEAR_MS)
            )?;
            self.counts.entities += 1;
            if i % 50 == 7 {
                writeln!(
                    out,
                    r#"{{"kind":"entity","id":"Entity {i}","type":"{ty}","time":"{}"}}"#,
                    time(END_MS - YEAR_MS)
                )?;
                self.counts.entities += 1;
            }
        }
        Ok(())
    }

    /// The memories, each on a topic, with tags, a project, an importance and a time.
    fn memories(&mut self, out: &mut impl Write, memories: usize) -> std::io::Result<()> {
        let topics = (memories / 50).max(1);
        let projects = (memories / 5_000).max(2);
        let rng = &mut self.rng;
        for m in 0..memories {
            let topic = rng.below(topics);
            self.topic_of.push(topic);
            let kind = KINDS[rng.below(KINDS.len())];
            let t = END_MS - (rng.unit() * YEAR_MS as f64) as i64;
            let (a, b) = (WORDS[rng.below(WORDS.len())], WORDS[rng.below(WORDS.len())]);
            let mut tags = vec![format!("topic-{topic}"), format!("topic-{topic}-core")];
            for _ in 0..1 + rng.below(3) {
                tags.push(format!("topic-{topic}-{}", rng.below(12)));
            }
            if rng.unit() < 0.3 {
                tags.push("backend".into());
            }
            tags.sort();
            tags.dedup();
            let tags: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
            writeln!(
                out,
                r#"{{"kind":"memory","id":"m{m}","type":"{kind}","title":"{a} {b} in topic {topic}","content":"Notes on {a} and {b} for topic {topic}.","tags":[{}],"project":"project-{}","importance":{:.2},"time":"{}"}}"#,
                tags.join(","),
                topic % projects,
                rng.unit(),
                time(t)
            )?;
            self.counts.memories += 1;
        }
        Ok(())
    }

    /// One relation: memory to entity, memory to memory (mostly within a topic) or entity to
    /// entity, a few contradicted.
    fn relation(&mut self, out: &mut impl Write, memories: usize) -> std::io::Result<()> {
        let rng = &mut self.rng;
        let n_entities = self.n_entities;
        let r = rng.unit();
        let (from, ty, to) = if r < 0.6 {
            let m = rng.below(memories);
            let e = rng.skewed(n_entities);
            let ty = MEMORY_TO_ENTITY[rng.below(MEMORY_TO_ENTITY.len())];
            (format!("m{m}"), ty, entity_name(e))
        } else if r < 0.95 {
            // Mostly within a topic: memories near each other in id share topics rarely, so
            // pick a partner of the same topic by scanning a few candidates.
            let m = rng.below(memories);
            let mut other = rng.below(memories);
            for _ in 0..8 {
                if self.topic_of[other] == self.topic_of[m] {
                    break;
                }
                other = rng.below(memories);
            }
            let ty = MEMORY_TO_MEMORY[rng.below(MEMORY_TO_MEMORY.len())];
            (format!("m{m}"), ty, format!("m{other}"))
        } else {
            let a = rng.skewed(n_entities);
            let b = rng.below(n_entities);
            let ty = ENTITY_TO_ENTITY[rng.below(ENTITY_TO_ENTITY.len())];
            (entity_name(a), ty, entity_name(b))
        };
        if from == to {
            return Ok(());
        }
        let t = time(END_MS);
        writeln!(
            out,
            r#"{{"kind":"relation","from":"{from}","type":"{ty}","to":"{to}","confidence":{:.2},"time":"{t}"}}"#,
            0.5 + rng.unit() / 2.0
        )?;
        self.counts.relations += 1;
        // One relation in a thousand is contradicted.
        if ty == "CONFIRMS" && rng.unit() < 0.01 {
            writeln!(
                out,
                r#"{{"kind":"relation","from":"{from}","type":"CONTRADICTS","to":"{to}","confidence":0.6,"time":"{t}"}}"#
            )?;
            self.counts.relations += 1;
        }
        Ok(())
    }
}
