//! Rules of three or more atoms, in evaluation without provenance, solved by index nested
//! loops: no partial match is ever stored (`docs/join-engine.md`).
//!
//! Semi-naive by versions: for each atom over a relation of the stratum, one version of the
//! rule reads that atom's rows new this round (the tail of its table) and probes every other
//! atom's rows so far. Every relation
//! a level reads has a table here: its rows (all of them for a completed relation, those so far
//! for a relation of the stratum) with a hash index (hash of the key values to row numbers,
//! keys compared on probe) per set of columns a level probes. Derivations go to the head's
//! datafrog variable, which keeps them distinct.
//!
//! The order of a version's other atoms is chosen by cost: every order is tried (bodies are
//! short), each atom's fan-out estimated from its table (rows over the distinct values of the
//! bound columns, columns taken as independent; one row at most when every column is bound),
//! and the order with the fewest probes expected wins. Orders are chosen again when a relation
//! of the stratum has doubled since.

use super::emit::emit_head;
use super::expr::{Cx, run_ops};
use super::nested::{Compiled, KeySrc, compile};
use super::vars::AnyVar;
use crate::plan::ir::*;
use crate::plan::order::{compile_nested_ordered, join_order};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::collections::HashMap;
use std::hash::Hasher;

/// The most key columns a level probes with.
const MAX_KEY: usize = 16;

/// Bodies up to this many atoms besides the first have every order costed; longer ones take
/// the planner's order.
const MAX_COSTED: usize = 5;

/// Whether rule `rule` of `stratum` is solved here: three or more atoms, two of them over
/// relations of the stratum (with one, datafrog's merge joins keep only partial matches of
/// completed relations with new rows, and win), none binding a confidence or time (those need
/// provenance), none nullary, none wider than [`MAX_KEY`] columns.
pub(super) fn takes(rule: &IrRule, stratum: &Stratum) -> bool {
    let live = (rule.atoms.iter())
        .filter(|a| stratum.relations.contains(&a.rel))
        .count();
    rule.atoms.len() >= 3
        && live >= 2
        && rule
            .atoms
            .iter()
            .all(|a| a.meta_vars().is_empty() && !a.args.is_empty() && a.args.len() <= MAX_KEY)
}

fn key_hash(values: impl Iterator<Item = u64>) -> u64 {
    let mut h = FxHasher::default();
    for v in values {
        h.write_u64(v);
    }
    h.finish()
}

/// The key hash of row `r` of `rows` (`width` cells a row) on columns `cols`.
fn row_hash(rows: &[u64], width: usize, cols: &[usize], r: usize) -> u64 {
    let row = &rows[r * width..(r + 1) * width];
    key_hash(cols.iter().map(|&c| row[c]))
}

/// A hash index: a directory of buckets (a power of two, at least one per row), each holding
/// the last row whose key hash falls in it, and per row the row before it in its bucket.
/// Probing walks the bucket's chain and compares keys there (other keys in the bucket cost a
/// compare). Four bytes per bucket and per row, 8 to 12 bytes a row: the hash map of key
/// hashes this replaces took about 30 (EL classification, 20,000 concepts: 23.5 MB of
/// indexes became about 12).
#[derive(Default)]
struct Chains {
    heads: Vec<u32>,
    prev: Vec<u32>,
    /// 64 minus the directory's bits: a bucket is the hash's top bits (a multiplicative hash's
    /// best).
    shift: u32,
}

impl Chains {
    const END: u32 = u32::MAX;

    fn bucket(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// Makes room for `rows` rows: when the directory would have fewer buckets than rows, one
    /// of the next power of two, the rows so far chained again by `hash_of(row)`.
    fn reserve(&mut self, rows: usize, hash_of: impl Fn(usize) -> u64) {
        if rows > self.heads.len() {
            self.rebuild(rows, self.prev.len(), hash_of);
        }
    }

    /// A directory with room for `capacity` rows, rows `0..rows` chained in it by
    /// `hash_of(row)`.
    fn rebuild(&mut self, capacity: usize, rows: usize, hash_of: impl Fn(usize) -> u64) {
        let n = capacity.next_power_of_two().max(64);
        self.heads = vec![Self::END; n];
        self.shift = 64 - n.trailing_zeros();
        self.prev.clear();
        for r in 0..rows {
            self.push(hash_of(r), r as u32);
        }
    }

    /// Chains `row` (after [`Chains::reserve`] made room for it).
    fn push(&mut self, hash: u64, row: u32) {
        let b = self.bucket(hash);
        self.prev.push(self.heads[b]);
        self.heads[b] = row;
    }

    /// The rows in this key hash's bucket, latest first.
    fn rows(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let mut at = match self.heads.is_empty() {
            true => Self::END,
            false => self.heads[self.bucket(hash)],
        };
        std::iter::from_fn(move || {
            (at != Self::END).then(|| {
                let r = at;
                at = self.prev[r as usize];
                r
            })
        })
    }
}

/// A relation's rows (column order) and hash indexes on them.
#[derive(Default)]
struct Table {
    width: usize,
    /// A relation of the stratum (it grows every round), not a completed one.
    live: bool,
    rows: Vec<u64>,
    /// Where this round's new rows start (row number).
    round_start: usize,
    /// Per indexed column set: its rows chained by key hash.
    indexes: Vec<(Vec<usize>, Chains)>,
    /// Distinct values per column, when last counted.
    distinct: Vec<usize>,
}

impl Table {
    fn len(&self) -> usize {
        self.rows.len() / self.width.max(1)
    }

    /// The index on `cols`, made if new.
    fn index_on(&mut self, cols: &[usize]) -> usize {
        if let Some(i) = self.indexes.iter().position(|(c, _)| c == cols) {
            return i;
        }
        let mut chains = Chains::default();
        let n = self.len();
        chains.rebuild(n, n, |r| row_hash(&self.rows, self.width, cols, r));
        self.indexes.push((cols.to_vec(), chains));
        self.indexes.len() - 1
    }

    /// Appends rows (`width` cells each) and indexes them; they are the round's new rows.
    fn append(&mut self, cells: impl Iterator<Item = u64>) {
        let start = self.len();
        self.round_start = start;
        self.rows.extend(cells);
        let end = self.len();
        let (width, rows) = (self.width, &self.rows);
        for (cols, chains) in &mut self.indexes {
            chains.reserve(end, |r| row_hash(rows, width, cols, r));
            for r in start..end {
                chains.push(row_hash(rows, width, cols, r), r as u32);
            }
        }
    }

    fn row(&self, r: usize) -> &[u64] {
        &self.rows[r * self.width..(r + 1) * self.width]
    }

    /// Counts each column's distinct values again.
    fn count(&mut self) {
        let n = self.len();
        self.distinct = (0..self.width)
            .map(|c| {
                let set: FxHashSet<u64> = (0..n).map(|r| self.rows[r * self.width + c]).collect();
                set.len()
            })
            .collect();
    }

    /// Expected rows matching a probe on `cols` (one at most when every column is bound).
    fn fan_out(&self, cols: &[usize]) -> f64 {
        let rows = self.len().max(1) as f64;
        if cols.len() >= self.width {
            return 1.0;
        }
        let distinct: f64 = (cols.iter())
            .map(|&c| self.distinct.get(c).copied().unwrap_or(1).max(1) as f64)
            .product();
        (rows / distinct.min(rows)).max(1.0)
    }
}

/// Where one level's rows come from: a relation's table, the index, and the map from index
/// positions (key columns first, as `nested::compile` numbers them) to columns.
struct Source {
    rel: RelId,
    index: usize,
    perm: Vec<usize>,
}

/// One version of a rule: the atom that reads the round's new rows, then the other atoms as
/// nested levels.
struct Version {
    /// The rule (index into [`Loops::rules`]).
    rule: usize,
    /// The atom read first, over its relation's new rows.
    first: IrAtom,
    /// The other atoms, in written order.
    rest: Vec<IrAtom>,
    plan: Compiled,
    sources: Vec<Source>,
}

/// The rules of one stratum solved here, and the tables of the relations they read.
pub(super) struct Loops {
    versions: Vec<Version>,
    tables: FxHashMap<RelId, Table>,
    /// The rules as evaluated (after `existence::settle`).
    rules: Vec<IrRule>,
    /// Rows of the stratum's relations when the orders were last chosen.
    planned_at: usize,
}

/// The columns of `atom` bound by constants or by `bound` variables.
fn bound_cols(atom: &IrAtom, bound: &[VarId]) -> Vec<usize> {
    (atom.args.iter().enumerate())
        .filter(|(_, a)| match a {
            AtomArg::Const(_) => true,
            AtomArg::Var(v) => bound.contains(v),
            AtomArg::Wild => false,
        })
        .map(|(c, _)| c)
        .collect()
}

/// Calls `f` with every permutation of `0..n` (Heap's algorithm).
fn permutations(n: usize, f: &mut dyn FnMut(&[usize])) {
    let mut p: Vec<usize> = (0..n).collect();
    let mut c = vec![0; n];
    f(&p);
    let mut i = 0;
    while i < n {
        if c[i] < i {
            p.swap(if i % 2 == 0 { 0 } else { c[i] }, i);
            f(&p);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}

/// The order of `rest` with the fewest probes expected, `first`'s variables bound.
fn cheapest_order(tables: &FxHashMap<RelId, Table>, first: &IrAtom, rest: &[IrAtom]) -> Vec<usize> {
    let start = first.vars();
    if rest.len() > MAX_COSTED {
        return join_order(rest, &start);
    }
    let mut best: Option<(f64, Vec<usize>)> = None;
    permutations(rest.len(), &mut |order| {
        let mut bound = start.clone();
        let (mut matches, mut cost) = (1.0f64, 0.0f64);
        for &i in order {
            let t = &tables[&rest[i].rel];
            matches *= t.fan_out(&bound_cols(&rest[i], &bound));
            cost += matches;
            bound.extend(rest[i].vars());
        }
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, order.to_vec()));
        }
    });
    best.map_or_else(|| (0..rest.len()).collect(), |(_, o)| o)
}

impl Loops {
    /// The versions of `rules` (each as evaluated, after `existence::settle`), and a
    /// table for every relation they read.
    pub(super) fn new(
        plan: &Plan,
        stratum: &Stratum,
        rules: Vec<IrRule>,
        cx: &mut Cx<'_>,
    ) -> Loops {
        let mut tables: FxHashMap<RelId, Table> = FxHashMap::default();
        let mut versions = Vec::new();
        let in_stratum = |rel: RelId| stratum.relations.contains(&rel);
        for (ri, rule) in rules.iter().enumerate() {
            for a in &rule.atoms {
                tables.entry(a.rel).or_insert_with(|| {
                    let mut t = Table {
                        width: plan.relations[a.rel].arity().max(1),
                        live: in_stratum(a.rel),
                        ..Table::default()
                    };
                    // A completed relation's rows are all there from the start.
                    if let Some(rows) = cx.done.get(a.rel).and_then(|r| r.as_ref())
                        && !t.live
                    {
                        t.append(rows.data.iter().copied());
                        t.count();
                    }
                    t
                });
            }
            // `takes` admits rules with at least two such atoms.
            for d in (0..rule.atoms.len()).filter(|&i| in_stratum(rule.atoms[i].rel)) {
                let rest: Vec<IrAtom> = (rule.atoms.iter().enumerate())
                    .filter(|(i, _)| *i != d)
                    .map(|(_, a)| a.clone())
                    .collect();
                versions.push(Version {
                    rule: ri,
                    first: rule.atoms[d].clone(),
                    rest,
                    plan: Compiled {
                        pre: Vec::new(),
                        levels: Vec::new(),
                    },
                    sources: Vec::new(),
                });
            }
        }
        let mut loops = Loops {
            versions,
            tables,
            rules,
            planned_at: 0,
        };
        loops.plan();
        loops
    }

    /// Chooses every version's order from the tables as they are, and makes the indexes the
    /// orders probe.
    fn plan(&mut self) {
        for t in self.tables.values_mut().filter(|t| t.live) {
            t.count();
        }
        self.planned_at = self.live_rows();
        for v in &mut self.versions {
            let rule = &self.rules[v.rule];
            let n = rule.var_names.len();
            let bound = v.first.vars();
            let order = cheapest_order(&self.tables, &v.first, &v.rest);
            let nested = compile_nested_ordered(&v.rest, &order, &rule.constraints, n, &bound);
            v.plan = compile(&nested, &bound, n);
            v.sources = (v.plan.levels.iter())
                .map(|level| {
                    let cols: Vec<usize> = level.key.iter().map(|k| k.0).collect();
                    let t = self.tables.get_mut(&level.rel).expect("a table per atom");
                    let mut perm = cols.clone();
                    perm.extend((0..t.width).filter(|c| !cols.contains(c)));
                    Source {
                        rel: level.rel,
                        index: t.index_on(&cols),
                        perm,
                    }
                })
                .collect();
        }
    }

    fn live_rows(&self) -> usize {
        self.tables
            .values()
            .filter(|t| t.live)
            .map(Table::len)
            .sum()
    }

    /// One round: takes in the stratum's new rows, then runs every version over them,
    /// inserting derivations into the heads' variables.
    pub(super) fn round(
        &mut self,
        canon: &HashMap<RelId, AnyVar>,
        cx: &mut Cx<'_>,
        buf: &mut Vec<u64>,
    ) {
        for (rel, table) in self.tables.iter_mut().filter(|(_, t)| t.live) {
            canon[rel].with_recent(|rows| match rows {
                super::vars::Flat::Narrow(d) => table.append(d.iter().map(|&v| u64::from(v))),
                super::vars::Flat::Wide(d) => table.append(d.iter().copied()),
            });
        }
        if self.live_rows() >= 2 * self.planned_at.max(512) {
            self.plan();
        }
        for v in &self.versions {
            let rule = &self.rules[v.rule];
            buf.clear();
            let mut env = vec![0u64; rule.var_names.len()];
            let t = &self.tables[&v.first.rel];
            for row in t.rows[t.round_start * t.width..].chunks_exact(t.width) {
                if bind_first(&v.first, row, &mut env) && run_ops(&v.plan.pre, &mut env, cx) {
                    self.level(v, rule, 0, &mut env, cx, buf);
                }
            }
            canon[&rule.head].insert_flat(buf);
        }
    }

    /// The solutions of levels `depth..` under `env`, each emitting the head into `out`.
    fn level(
        &self,
        v: &Version,
        rule: &IrRule,
        depth: usize,
        env: &mut [u64],
        cx: &mut Cx<'_>,
        out: &mut Vec<u64>,
    ) {
        let Some(level) = v.plan.levels.get(depth) else {
            emit_head(&rule.head_args, env, cx, out);
            return;
        };
        let mut key = [0u64; MAX_KEY];
        for (k, (_, src)) in key.iter_mut().zip(&level.key) {
            *k = match src {
                KeySrc::Const(c) => *c,
                KeySrc::Var(x) => env[*x],
            };
        }
        let key = &key[..level.key.len()];
        let Source { rel, index, perm } = &v.sources[depth];
        let table = &self.tables[rel];
        let (cols, chains) = &table.indexes[*index];
        for r in chains.rows(key_hash(key.iter().copied())) {
            let row = table.row(r as usize);
            if cols.iter().zip(key).any(|(&c, &k)| row[c] != k)
                || (level.same.iter()).any(|&(a, b)| row[perm[a]] != row[perm[b]])
            {
                continue;
            }
            for &(pos, x) in &level.binds {
                env[x] = row[perm[pos]];
            }
            if run_ops(&level.ops, env, cx) {
                self.level(v, rule, depth + 1, env, cx, out);
            }
        }
    }
}

/// Binds the first atom's variables to a row; false when a constant or a repeated variable
/// does not match.
fn bind_first(atom: &IrAtom, row: &[u64], env: &mut [u64]) -> bool {
    // The variables bound so far (an atom here has at most `MAX_KEY` columns): no allocation
    // per row.
    let mut set = [VarId::MAX; MAX_KEY];
    let mut n = 0;
    for (a, &x) in atom.args.iter().zip(row) {
        match a {
            AtomArg::Const(c) if *c != x => return false,
            AtomArg::Var(v) => {
                if set[..n].contains(v) {
                    if env[*v] != x {
                        return false;
                    }
                } else {
                    env[*v] = x;
                    set[n] = *v;
                    n += 1;
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{Table, key_hash, permutations};

    /// Rows appended round by round (the bucket directory growing and re-chaining as they
    /// come) are all found by their key, and only rows with that key match it.
    #[test]
    fn an_index_finds_every_row_of_a_key_as_the_table_grows() {
        let mut t = Table {
            width: 2,
            live: true,
            ..Table::default()
        };
        t.append([1u64, 2].into_iter());
        let i = t.index_on(&[1]);
        let mut all = vec![[1u64, 2]];
        for round in 0..12u64 {
            let rows: Vec<[u64; 2]> = (0..(1u64 << round))
                .map(|k| [k, (k * 31 + round) % 97])
                .collect();
            t.append(rows.iter().flatten().copied());
            all.extend(rows);
        }
        let (cols, chains) = &t.indexes[i];
        assert_eq!(cols, &[1]);
        for key in 0..97u64 {
            let mut got: Vec<usize> = chains
                .rows(key_hash(std::iter::once(key)))
                .map(|r| r as usize)
                .filter(|&r| t.row(r)[1] == key)
                .collect();
            got.sort_unstable();
            let want: Vec<usize> = (0..all.len()).filter(|&r| all[r][1] == key).collect();
            assert_eq!(got, want, "key {key}");
        }
    }

    #[test]
    fn every_permutation_once() {
        let mut seen = Vec::new();
        permutations(4, &mut |p| seen.push(p.to_vec()));
        assert_eq!(seen.len(), 24);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 24);
    }
}
