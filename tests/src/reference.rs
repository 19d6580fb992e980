//! A naive reference evaluator for random stratified programs with recursion and negation, and
//! their rendering as Datalog text, to check the real evaluator against.
//!
//! Evaluation is the textbook one: stratum by stratum, apply every rule to the whole database
//! (nested loops over all facts) until nothing changes.

use std::collections::BTreeSet;
use std::fmt::Write;

/// A term of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// Variable number `i` (rendered `v<i>`).
    Var(usize),
    /// A number.
    Const(i64),
}

/// A relation applied to terms.
#[derive(Clone, Debug)]
pub struct Atom {
    /// Relation index.
    pub rel: usize,
    /// One term per column.
    pub args: Vec<Term>,
}

/// Comparison operators used by generated rules.
#[derive(Clone, Copy, Debug)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `!=`
    Ne,
}

/// A rule: head, positive atoms, negated atoms, comparisons.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The head.
    pub head: Atom,
    /// Positive body atoms (at least one).
    pub pos: Vec<Atom>,
    /// Negated atoms (over lower strata only).
    pub neg: Vec<Atom>,
    /// Comparisons between terms.
    pub cmps: Vec<(Term, Cmp, Term)>,
}

/// A relation: its arity and stratum level (`None` for input relations).
#[derive(Clone, Debug)]
pub struct Rel {
    /// Number of columns.
    pub arity: usize,
    /// Stratum level of a derived relation.
    pub level: Option<usize>,
    /// Marked `inline` (the engine substitutes its rules instead of materialising it).
    pub inline: bool,
    /// Written by `.output` (only these are compared).
    pub output: bool,
}

/// A whole random program.
#[derive(Clone, Debug)]
pub struct RandomProgram {
    /// Relations, named `r<i>`.
    pub rels: Vec<Rel>,
    /// Input facts.
    pub facts: Vec<(usize, Vec<i64>)>,
    /// Rules.
    pub rules: Vec<Rule>,
    /// Whether the program asks for the magic-set transformation.
    pub magic: bool,
}

/// A tiny deterministic generator (splitmix64), so one seed gives one program.
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True with probability `p` percent.
    pub fn chance(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
}

const DOMAIN: i64 = 6;

impl RandomProgram {
    /// Generates a stratified program with recursion and negation from a seed.
    pub fn generate(seed: u64) -> RandomProgram {
        let mut rng = Rng::new(seed);
        let n_edb = 2 + rng.below(2);
        let n_idb = 2 + rng.below(3);
        let mut rels = Vec::new();
        for _ in 0..n_edb {
            rels.push(Rel {
                arity: 1 + rng.below(2),
                level: None,
                inline: false,
                output: false,
            });
        }
        for i in 0..n_idb {
            rels.push(Rel {
                arity: 1 + rng.below(2),
                level: Some(i / 2),
                inline: rng.chance(30),
                output: rng.chance(70),
            });
        }
        let mut facts = Vec::new();
        for (r, rel) in rels.iter().enumerate().take(n_edb) {
            for _ in 0..rng.below(12) {
                let row = (0..rel.arity)
                    .map(|_| rng.below(DOMAIN as usize) as i64)
                    .collect();
                facts.push((r, row));
            }
        }
        let mut rules = Vec::new();
        for h in n_edb..rels.len() {
            let level = rels[h].level.unwrap_or(0);
            for _ in 0..1 + rng.below(3) {
                rules.push(random_rule(&mut rng, &rels, h, level));
            }
        }
        let magic = rng.chance(50);
        RandomProgram {
            rels,
            facts,
            rules,
            magic,
        }
    }

    /// The program as Datalog text (every derived relation is an output).
    pub fn to_datalog(&self) -> String {
        self.text(false)
    }

    /// The same program written with engram's confidence syntax, all of it neutral: facts
    /// `@ 1.0`, rules `@weight(1.0)` with the product or min t-norm, a `min_confidence`
    /// threshold. Its facts must be exactly the plain program's.
    pub fn to_datalog_with_neutral_confidence(&self) -> String {
        self.text(true)
    }

    fn text(&self, confidence: bool) -> String {
        let mut s = String::new();
        if confidence {
            writeln!(s, ".pragma \"min_confidence\" \"0.5\"").unwrap();
        }
        if self.magic {
            writeln!(s, ".pragma \"magic-transform\" \"*\"").unwrap();
        }
        for (i, r) in self.rels.iter().enumerate() {
            let cols: Vec<String> = (0..r.arity).map(|c| format!("c{c}: number")).collect();
            let inline = if r.inline { " inline" } else { "" };
            writeln!(s, ".decl r{i}({}){inline}", cols.join(", ")).unwrap();
            if r.level.is_some() && !r.inline && r.output {
                writeln!(s, ".output r{i}").unwrap();
            }
        }
        for (r, row) in &self.facts {
            let vals: Vec<String> = row.iter().map(i64::to_string).collect();
            let conf = if confidence && !self.rels[*r].inline {
                " @ 1.0"
            } else {
                ""
            };
            writeln!(s, "r{r}({}){conf}.", vals.join(", ")).unwrap();
        }
        for (k, rule) in self.rules.iter().enumerate() {
            if confidence && !self.rels[rule.head.rel].inline {
                let tnorm = if k % 2 == 0 { "product" } else { "min" };
                writeln!(s, "@weight(1.0) @tnorm({tnorm})").unwrap();
            }
            let mut body: Vec<String> = rule.pos.iter().map(atom_text).collect();
            body.extend(rule.neg.iter().map(|a| format!("!{}", atom_text(a))));
            for (a, op, b) in &rule.cmps {
                let op = match op {
                    Cmp::Lt => "<",
                    Cmp::Ne => "!=",
                };
                body.push(format!("{} {op} {}", term_text(a), term_text(b)));
            }
            writeln!(s, "{} :- {}.", atom_text(&rule.head), body.join(", ")).unwrap();
        }
        s
    }

    /// Naive evaluation: every relation's rows.
    pub fn evaluate(&self) -> Vec<BTreeSet<Vec<i64>>> {
        let mut db: Vec<BTreeSet<Vec<i64>>> = vec![BTreeSet::new(); self.rels.len()];
        for (r, row) in &self.facts {
            db[*r].insert(row.clone());
        }
        let max_level = self.rels.iter().filter_map(|r| r.level).max().unwrap_or(0);
        for level in 0..=max_level {
            let rules: Vec<&Rule> = self
                .rules
                .iter()
                .filter(|r| self.rels[r.head.rel].level == Some(level))
                .collect();
            loop {
                let mut new = Vec::new();
                for rule in &rules {
                    let mut env = vec![None; 8];
                    solve(rule, 0, &mut env, &db, &mut new);
                }
                let mut changed = false;
                for (r, row) in new {
                    changed |= db[r].insert(row);
                }
                if !changed {
                    break;
                }
            }
        }
        db
    }
}

fn random_term(rng: &mut Rng, vars: usize) -> Term {
    if rng.chance(15) {
        Term::Const(rng.below(DOMAIN as usize) as i64)
    } else {
        Term::Var(rng.below(vars))
    }
}

fn random_rule(rng: &mut Rng, rels: &[Rel], head: usize, level: usize) -> Rule {
    let n_vars = 2 + rng.below(3);
    // Positive atoms over inputs and relations of this level or below (recursion allowed).
    let positive: Vec<usize> = (0..rels.len())
        .filter(|&r| rels[r].level.is_none_or(|l| l <= level))
        .collect();
    let mut pos = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let rel = positive[rng.below(positive.len())];
        let args = (0..rels[rel].arity)
            .map(|_| random_term(rng, n_vars))
            .collect();
        pos.push(Atom { rel, args });
    }
    let mut bound: Vec<usize> = Vec::new();
    for a in &pos {
        for t in &a.args {
            if let Term::Var(v) = t
                && !bound.contains(v)
            {
                bound.push(*v);
            }
        }
    }
    let pick = |rng: &mut Rng| -> Term {
        if bound.is_empty() || rng.chance(10) {
            Term::Const(rng.below(DOMAIN as usize) as i64)
        } else {
            Term::Var(bound[rng.below(bound.len())])
        }
    };
    // Negation only over inputs and strictly lower levels.
    let lower: Vec<usize> = (0..rels.len())
        .filter(|&r| rels[r].level.is_none_or(|l| l < level))
        .collect();
    let mut neg = Vec::new();
    if !lower.is_empty() && rng.chance(40) {
        let rel = lower[rng.below(lower.len())];
        let args = (0..rels[rel].arity).map(|_| pick(rng)).collect();
        neg.push(Atom { rel, args });
    }
    let mut cmps = Vec::new();
    if rng.chance(30) {
        let op = if rng.chance(50) { Cmp::Lt } else { Cmp::Ne };
        cmps.push((pick(rng), op, pick(rng)));
    }
    let args = (0..rels[head].arity).map(|_| pick(rng)).collect();
    Rule {
        head: Atom { rel: head, args },
        pos,
        neg,
        cmps,
    }
}

fn term_text(t: &Term) -> String {
    match t {
        Term::Var(v) => format!("v{v}"),
        Term::Const(c) => c.to_string(),
    }
}

fn atom_text(a: &Atom) -> String {
    let args: Vec<String> = a.args.iter().map(term_text).collect();
    format!("r{}({})", a.rel, args.join(", "))
}

fn value(t: Term, env: &[Option<i64>]) -> Option<i64> {
    match t {
        Term::Const(c) => Some(c),
        Term::Var(v) => env[v],
    }
}

fn matches(atom: &Atom, row: &[i64], env: &mut [Option<i64>]) -> bool {
    for (t, &x) in atom.args.iter().zip(row) {
        match *t {
            Term::Const(c) => {
                if c != x {
                    return false;
                }
            }
            Term::Var(v) => match env[v] {
                Some(y) if y != x => return false,
                Some(_) => {}
                None => env[v] = Some(x),
            },
        }
    }
    true
}

fn solve(
    rule: &Rule,
    i: usize,
    env: &mut Vec<Option<i64>>,
    db: &[BTreeSet<Vec<i64>>],
    out: &mut Vec<(usize, Vec<i64>)>,
) {
    if i == rule.pos.len() {
        for a in &rule.neg {
            let row: Vec<i64> = a
                .args
                .iter()
                .map(|&t| value(t, env).expect("bound"))
                .collect();
            if db[a.rel].contains(&row) {
                return;
            }
        }
        for &(a, op, b) in &rule.cmps {
            let (x, y) = (value(a, env).expect("bound"), value(b, env).expect("bound"));
            let ok = match op {
                Cmp::Lt => x < y,
                Cmp::Ne => x != y,
            };
            if !ok {
                return;
            }
        }
        let row = rule
            .head
            .args
            .iter()
            .map(|&t| value(t, env).expect("bound"))
            .collect();
        out.push((rule.head.rel, row));
        return;
    }
    let atom = &rule.pos[i];
    for row in &db[atom.rel] {
        let saved = env.clone();
        if matches(atom, row, env) {
            solve(rule, i + 1, env, db, out);
        }
        *env = saved;
    }
}
