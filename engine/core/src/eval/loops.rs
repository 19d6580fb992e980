//! Strata evaluated by index nested loops, with or without provenance: no partial match is
//! ever stored, and each relation of the stratum is held once (`docs/join-engine.md`).
//! With provenance each row carries its metadata cells and a relation of the stratum keeps
//! one live row per fact, improved by the lattice step (`table.rs`); a derivation's
//! metadata is its body's facts' combined by the rule's t-norm, then the head's weight,
//! threshold and depth bound (`HeadMeta`), as on datafrog's joins.
//!
//! Every relation a rule reads has a table (`table.rs`): its rows with a hash index per set
//! of columns a level probes. A relation of the stratum keeps its rows distinct through its
//! index on all columns; the rows one round added are the next round's delta.
//!
//! Semi-naive by versions: for each atom over a relation of the stratum, one version of the
//! rule reads that atom's delta and probes every other atom's rows so far. A rule without
//! such an atom runs once, before the first round, from the atom whose rows lead to the
//! fewest probes.
//!
//! The order of a version's other atoms is chosen by cost: every order is tried (bodies are
//! short), each atom's fan-out estimated from its table (rows over the distinct values of the
//! bound columns, columns taken as independent; one row at most when every column is bound),
//! and the order with the fewest probes expected wins. Orders are chosen again when the
//! stratum's relations have doubled since.

mod best_first;

use super::emit::{HeadMeta, emit_head};
use super::expr::Cx;
use super::meta::Meta;
use super::rounds::width_of;
use super::solve::{self, Compiled, Fact, Level, matches};
use super::table::{Table, key_hash};
use super::{Base, EvalError, Mode, Rows, existence, group_count, vars};
use crate::plan::independent::independent_parts;
use crate::plan::ir::*;
use crate::plan::order::{compile_nested_ordered, join_order};

/// The most columns an atom evaluated here has (a hashed probe key's most).
const MAX_KEY: usize = 16;

/// Bodies up to this many atoms besides the first have every order costed; longer ones take
/// the planner's order.
const MAX_COSTED: usize = 5;

/// Whether `stratum` is evaluated here: it is settled best-first (`best_first.rs`); or it
/// has subsumption rules; or a rule with a `.plan`
/// (whose orders only this evaluator follows), or it is recursive with a `.limitsize`
/// relation (whose facts only tables count exactly with provenance); or one of its rules has
/// three or more atoms, one of them over a relation of the stratum (two-atom rules, closures
/// above all, are faster on datafrog's merge joins of sorted batches, with provenance too: a
/// confidence closure took 1.3 s here against 0.96 s there), or with provenance an
/// independent part over earlier strata; and no atom has more than [`MAX_KEY`] columns.
pub(super) fn takes(plan: &Plan, stratum: &Stratum, mode: Mode) -> bool {
    if best_first::takes(plan, stratum, mode) {
        return true;
    }
    if !stratum.subsumptions.is_empty() {
        // Only here can a fact be removed during the rounds (see `Loops::subsume`).
        return true;
    }
    let rules = || stratum.rules.iter().map(|&i| &plan.rules[i]);
    let live = |a: &IrAtom| stratum.relations.contains(&a.rel);
    // A `choice-domain` is applied as facts enter a relation's variable (`rounds.rs`).
    let chooses = (stratum.relations.iter()).any(|&r| !plan.relations[r].choice.is_empty());
    !chooses
        && rules().all(|r| {
            (r.atoms.iter())
                .all(|a| (mode.meta || a.meta_vars().is_empty()) && a.args.len() <= MAX_KEY)
        })
        && (limited(plan, stratum)
            || rules().any(|r| {
                r.exec_plan.is_some()
                    || (r.atoms.len() >= 3 && r.atoms.iter().any(live))
                    || mode.meta && apart(r, stratum)
            }))
}

/// Whether `stratum` is recursive with a relation of a `.limitsize` (Soufflé stops the rounds
/// of such a stratum once one holds its number of facts; a stratum that runs once is not cut).
pub(super) fn limited(plan: &Plan, stratum: &Stratum) -> bool {
    stratum.recursive && (stratum.relations.iter()).any(|&r| plan.relations[r].limit.is_some())
}

/// Whether a relation of `stratum` holds its `.limitsize` or more facts, `size` counting them
/// (the one check of both evaluators).
pub(super) fn limit_reached(plan: &Plan, stratum: &Stratum, size: impl Fn(RelId) -> usize) -> bool {
    (stratum.relations.iter()).any(|&r| plan.relations[r].limit.is_some_and(|n| size(r) >= n))
}

/// Whether `rule` has a part independent of the rest over relations of earlier strata (with
/// provenance, settled once here where datafrog's joins would pair it with every new row).
fn apart(rule: &IrRule, stratum: &Stratum) -> bool {
    (independent_parts(rule).iter()).any(|p| existence::outside(rule, p, stratum))
}

/// Evaluates `stratum` to its fixpoint from its relations' facts in `base` (taken), the
/// completed relations in `cx`: each relation of the stratum's rows, sorted and distinct.
pub(super) fn evaluate(
    plan: &Plan,
    stratum: &Stratum,
    base: &mut Base,
    cx: &mut Cx<'_>,
    mode: Mode,
) -> Result<Vec<(RelId, Rows)>, EvalError> {
    let mut tables: Vec<Option<Table>> = (0..plan.relations.len()).map(|_| None).collect();
    let width = |rel: RelId| width_of(plan, rel, mode);
    let lattice = mode.meta.then_some(mode.time);
    for &rel in &stratum.relations {
        let mut t = Table::live(width(rel), lattice);
        t.insert_all(&match mode.meta {
            true => base.take_facts(rel, mode.time),
            false => std::mem::take(&mut base.rows[rel]),
        });
        tables[rel] = Some(t);
    }
    let mut rules = Vec::new();
    let mut buf = Vec::new();
    for &i in &stratum.rules {
        if let Some(gc) = group_count::detect(plan, i) {
            // A rule that counts its own body runs once, before the others.
            buf.clear();
            let hm = HeadMeta::of(plan, i);
            let head = mode.meta.then_some((&hm, mode.time));
            group_count::evaluate(plan, i, &gc, head, cx, &mut buf);
            let head = plan.rules[i].head;
            tables[head]
                .as_mut()
                .expect("a table per relation of the stratum")
                .insert_all(&buf);
            continue;
        }
        // Parts of the body independent of the rest are checked once, here (with provenance,
        // their best metadata a constant factor of every derivation).
        let Some((rule, factor)) = existence::settle(&plan.rules[i], stratum, mode.meta, cx) else {
            continue;
        };
        for a in &rule.atoms {
            read_completed(&mut tables, a.rel, cx.done, width(a.rel), mode);
        }
        rules.push((i, rule.into_owned(), factor));
    }
    let subsumptions: Vec<IrRule> = (stratum.subsumptions.iter())
        .map(|&i| plan.subsumptions[i].clone())
        .collect();
    for a in subsumptions.iter().flat_map(|r| &r.atoms) {
        read_completed(&mut tables, a.rel, cx.done, width(a.rel), mode);
    }
    let mut loops = Loops::new(stratum, rules, subsumptions, tables);
    match best_first::takes(plan, stratum, mode) {
        true => loops.run_best_first(plan, stratum, cx, mode, &mut buf)?,
        false => loops.run(plan, stratum, cx, mode, &mut buf)?,
    }
    let mut out = Vec::new();
    for &rel in &stratum.relations {
        let t = loops.tables[rel]
            .take()
            .expect("a table per relation of the stratum");
        let width = t.width;
        let mut data = t.into_rows();
        vars::sort_flat(&mut data, width);
        out.push((
            rel,
            Rows {
                arity: plan.relations[rel].arity(),
                width,
                meta: mode.meta,
                data,
            },
        ));
    }
    Ok(out)
}

/// Makes the table of `rel`, a relation of an earlier stratum (`width` cells a row), from its
/// rows in `done`, unless it has one.
fn read_completed(
    tables: &mut [Option<Table>],
    rel: RelId,
    done: &[Option<Rows>],
    width: usize,
    mode: Mode,
) {
    if tables[rel].is_none() {
        tables[rel] = Some(match done.get(rel).and_then(|r| r.as_ref()) {
            Some(r) => Table::completed(r.width, r.meta.then_some(mode.time), &r.data),
            None => Table::completed(width, mode.meta.then_some(mode.time), &[]),
        });
    }
}

/// How one level reads its relation's table.
#[derive(Clone, Copy)]
enum Access {
    /// Every row (with `true`, the last round's), the key columns (constants) checked.
    Scan(bool),
    /// Every column bound, into a relation of the stratum: its distinct set answers.
    Whole,
    /// Through the table's index number `.0`.
    Index(usize),
}

/// One version of a rule: the atom read first (all its rows, or with `delta` the last
/// round's), then the other atoms as nested levels.
struct Version {
    /// The rule (index into [`Loops::rules`]).
    rule: usize,
    /// The atom read first (none for a rule without atoms).
    first: Option<usize>,
    /// Whether `first` reads the last round's rows (else all rows, once).
    delta: bool,
    /// The other atoms, in written order.
    rest: Vec<IrAtom>,
    /// The loop nest: `first` at level 0, then the others in the order chosen.
    plan: Compiled,
    /// How each level reads its table.
    access: Vec<Access>,
    /// For a version of a subsumption rule: the levels of its two atoms, the fact removed and
    /// the fact removing it (set with the order).
    compared: Option<[usize; 2]>,
}

/// The tables of a stratum as the solver's source: a level's facts are rows of its
/// relation's table, in column order.
struct Tables<'a> {
    tables: &'a [Option<Table>],
    access: &'a [Access],
}

/// A row of a table (column order, metadata cells after the columns with provenance).
#[derive(Clone, Copy)]
struct Row<'a> {
    cells: &'a [u64],
    table: &'a Table,
}

impl Fact for Row<'_> {
    #[inline]
    fn cell(&self, col: usize) -> u64 {
        self.cells[col]
    }
    fn meta(&self) -> Meta {
        self.table.meta(self.cells)
    }
}

impl<'a> solve::Source<'a> for Tables<'a> {
    type Fact = Row<'a>;

    #[inline]
    fn probe(&self, depth: usize, level: &Level, key: &[u64], mut f: impl FnMut(Row<'a>) -> bool) {
        let table = table_of(self.tables, level.rel);
        match self.access[depth] {
            Access::Scan(delta) => {
                let rows = if delta { table.delta() } else { table.all() };
                let first = if delta { table.delta_start() } else { 0 };
                for (i, cells) in rows.chunks_exact(table.width).enumerate() {
                    if matches(cells, &level.key_cols, key)
                        && !table.is_dead(first + i)
                        && !f(Row { cells, table })
                    {
                        return;
                    }
                }
            }
            Access::Whole => {
                if let Some(r) = table.find(key).filter(|&r| !table.is_dead(r)) {
                    f(Row {
                        cells: table.row(r),
                        table,
                    });
                }
            }
            Access::Index(i) => {
                let (cols, chains) = &table.indexes[i];
                for r in chains.rows(key_hash(key.iter().copied())) {
                    let cells = table.row(r as usize);
                    if matches(cells, cols, key)
                        && !table.is_dead(r as usize)
                        && !f(Row { cells, table })
                    {
                        return;
                    }
                }
            }
        }
    }
}

/// The rules of one stratum and the tables of the relations they read, by relation.
struct Loops {
    versions: Vec<Version>,
    tables: Vec<Option<Table>>,
    /// The rules as evaluated (after `existence::settle`), then the stratum's subsumption
    /// rules.
    rules: Vec<IrRule>,
    /// Each rule's number in the plan (not a subsumption rule's).
    origins: Vec<usize>,
    /// Each rule's independent parts' best metadata, which every derivation takes in (not a
    /// subsumption rule's).
    factors: Vec<Meta>,
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

/// The table of `rel` (every relation a rule reads has one).
fn table_of(tables: &[Option<Table>], rel: RelId) -> &Table {
    tables[rel].as_ref().expect("a table per relation read")
}

/// The order of `rest` with the fewest probes expected per row of the first atom, with
/// `start` bound, and that number.
fn cheapest_order(tables: &[Option<Table>], start: &[VarId], rest: &[IrAtom]) -> (f64, Vec<usize>) {
    if rest.len() > MAX_COSTED {
        return (f64::MAX, join_order(rest, start));
    }
    let mut best: Option<(f64, Vec<usize>)> = None;
    permutations(rest.len(), &mut |order| {
        let mut bound = start.to_vec();
        let (mut matches, mut cost) = (1.0f64, 0.0f64);
        for &i in order {
            let t = table_of(tables, rest[i].rel);
            matches *= t.fan_out(&bound_cols(&rest[i], &bound));
            cost += matches;
            bound.extend(rest[i].vars());
        }
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, order.to_vec()));
        }
    });
    best.unwrap_or_else(|| (0.0, (0..rest.len()).collect()))
}

/// The atoms of `rule` without atom `i`.
fn without(rule: &IrRule, i: usize) -> Vec<IrAtom> {
    (rule.atoms.iter().enumerate())
        .filter(|(j, _)| *j != i)
        .map(|(_, a)| a.clone())
        .collect()
}

impl Loops {
    /// The versions of `rules` (each as evaluated, after `existence::settle`) and of
    /// `subsumptions` over `tables` (one for every relation they read), their orders chosen.
    fn new(
        stratum: &Stratum,
        rules: Vec<(usize, IrRule, Meta)>,
        subsumptions: Vec<IrRule>,
        tables: Vec<Option<Table>>,
    ) -> Loops {
        let mut origins = Vec::new();
        let mut factors = Vec::new();
        let rules: Vec<IrRule> = (rules.into_iter())
            .map(|(i, rule, factor)| {
                origins.push(i);
                factors.push(factor);
                rule
            })
            .chain(subsumptions)
            .collect();
        let mut versions = Vec::new();
        let in_stratum = |rel: RelId| stratum.relations.contains(&rel);
        for (ri, rule) in rules.iter().enumerate() {
            let version = |first: Option<usize>, delta: bool| Version {
                rule: ri,
                first,
                delta,
                rest: match first {
                    Some(i) => without(rule, i),
                    None => rule.atoms.clone(),
                },
                plan: Compiled {
                    pre: Vec::new(),
                    levels: Vec::new(),
                    bound: Vec::new(),
                },
                access: Vec::new(),
                // A subsumption rule's levels are known once its order is.
                compared: (ri >= origins.len()).then_some([0, 1]),
            };
            let live: Vec<usize> = (0..rule.atoms.len())
                .filter(|&i| in_stratum(rule.atoms[i].rel))
                .collect();
            if live.is_empty() {
                // Runs once: from the atom whose rows times the probes each leads to is least.
                let first = (0..rule.atoms.len())
                    .map(|i| {
                        let rows = table_of(&tables, rule.atoms[i].rel).len() as f64;
                        let (probes, _) =
                            cheapest_order(&tables, &rule.atoms[i].vars(), &without(rule, i));
                        (rows * (1.0 + probes), i)
                    })
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, i)| i);
                versions.push(version(first, false));
            }
            versions.extend(live.into_iter().map(|d| version(Some(d), true)));
        }
        let mut loops = Loops {
            versions,
            tables,
            rules,
            origins,
            factors,
            planned_at: 0,
        };
        loops.plan();
        loops
    }

    /// Chooses every version's order from the tables as they are, and makes the indexes the
    /// orders probe.
    fn plan(&mut self) {
        // Only the tables a version probes have their fan-out estimated.
        let mut probed: Vec<RelId> = (self.versions.iter().flat_map(|v| &v.rest))
            .map(|a| a.rel)
            .collect();
        probed.sort_unstable();
        probed.dedup();
        for rel in probed {
            if let Some(t) = self.tables[rel].as_mut().filter(|t| t.live) {
                t.count();
            }
        }
        self.planned_at = self.live_rows();
        let live =
            |tables: &[Option<Table>], rel: RelId| tables[rel].as_ref().is_some_and(|t| t.live);
        for v in &mut self.versions {
            let rule = &self.rules[v.rule];
            let n = rule.var_names.len();
            // Atom numbers of the rule in join order: the `.plan` written for the version (the
            // atom reading the delta where it puts it), else `first`, then the others in the
            // cheapest order.
            let written = (rule.exec_plan.as_ref()).zip(v.first.filter(|_| v.delta));
            let order = match written
                .and_then(|(ep, d)| ep.order_for(rule, d, |r| live(&self.tables, r)))
            {
                Some(order) => order,
                None => {
                    let bound = v.first.map(|i| rule.atoms[i].vars()).unwrap_or_default();
                    let (_, order) = cheapest_order(&self.tables, &bound, &v.rest);
                    let others: Vec<usize> = (0..rule.atoms.len())
                        .filter(|&i| Some(i) != v.first)
                        .collect();
                    (v.first.into_iter())
                        .chain(order.into_iter().map(|j| others[j]))
                        .collect()
                }
            };
            if let Some(compared) = &mut v.compared {
                let level = |atom| order.iter().position(|&a| a == atom).expect("atom ordered");
                *compared = [level(0), level(1)];
            }
            let nested = compile_nested_ordered(&rule.atoms, &order, &rule.constraints, n, &[]);
            v.plan = solve::compile(&nested, &[], n);
            v.access = (v.plan.levels.iter().enumerate())
                .map(|(depth, level)| {
                    let t = self.tables[level.rel].as_mut().expect("a table per atom");
                    if v.first == Some(order[depth]) {
                        Access::Scan(v.delta)
                    } else if level.key_cols.is_empty() {
                        // An atom `.plan` puts before any that binds its columns.
                        Access::Scan(false)
                    } else if t.live && level.key_cols.len() == t.width {
                        Access::Whole
                    } else {
                        Access::Index(t.index_on(&level.key_cols))
                    }
                })
                .collect();
        }
    }

    /// Whether a version probes a relation of the stratum (whose growth may change the best
    /// order).
    fn probes_live(&self) -> bool {
        (self.versions.iter().flat_map(|v| &v.rest)).any(|a| table_of(&self.tables, a.rel).live)
    }

    /// Chooses the join orders again once the stratum's rows have doubled since they were
    /// chosen (and a version probes a relation of the stratum).
    fn replan_if_grown(&mut self) {
        if self.live_rows() >= 2 * self.planned_at.max(512) && self.probes_live() {
            self.plan();
        }
    }

    fn live_rows(&self) -> usize {
        (self.tables.iter().flatten())
            .filter(|t| t.live)
            .map(Table::len)
            .sum()
    }

    /// Runs the rules to the fixpoint: those without atoms of the stratum once, then rounds
    /// of the versions reading a delta until a round adds nothing.
    fn run(
        &mut self,
        plan: &Plan,
        stratum: &Stratum,
        cx: &mut Cx<'_>,
        mode: Mode,
        buf: &mut Vec<u64>,
    ) -> Result<(), EvalError> {
        for delta in [false, true] {
            loop {
                if delta
                    && limited(plan, stratum)
                    && limit_reached(plan, stratum, |r| table_of(&self.tables, r).facts())
                {
                    break;
                }
                let derives = |v: &Version| v.delta == delta && v.compared.is_none();
                for v in (0..self.versions.len()).filter(|&v| derives(&self.versions[v])) {
                    buf.clear();
                    self.solve(plan, &self.versions[v], cx, mode, buf);
                    let head = self.rules[self.versions[v].rule].head;
                    (self.tables[head].as_mut())
                        .expect("a table per relation of the stratum")
                        .insert_all(buf);
                }
                let mut grew = false;
                for t in self.tables.iter_mut().flatten().filter(|t| t.live) {
                    grew |= t.grew();
                    t.advance();
                }
                self.subsume(cx, buf);
                // A runaway program stops here, naming its biggest relation.
                crate::eval::check_limits(
                    plan,
                    (stratum.relations.iter()).map(|&r| (r, table_of(&self.tables, r).len())),
                )?;
                if !delta || !grew {
                    break;
                }
                self.replan_if_grown();
            }
        }
        Ok(())
    }

    /// Every derivation of version `v`, its head's rows emitted into `out` (with provenance,
    /// each with its metadata cells).
    fn solve(&self, plan: &Plan, v: &Version, cx: &mut Cx<'_>, mode: Mode, out: &mut Vec<u64>) {
        let rule = &self.rules[v.rule];
        let mut env = vec![0u64; rule.var_names.len()];
        let tables = Tables {
            tables: &self.tables,
            access: &v.access,
        };
        if !mode.meta {
            solve::solve_bindings(&v.plan, &tables, &mut env, cx, &mut |env, cx| {
                emit_head(&rule.head_args, env, cx, out);
            });
            return;
        }
        let head = HeadMeta::of(plan, self.origins[v.rule]);
        solve::solve(&v.plan, &tables, &mut env, cx, &mut |env, facts, cx| {
            let mark = out.len();
            if emit_head(&rule.head_args, env, cx, out) {
                let part = Meta::body(rule.meta.tnorm, facts.iter().map(Fact::meta))
                    .and(rule.meta.tnorm, &self.factors[v.rule]);
                match head.derive(part, env, cx) {
                    Some(m) => m.push(out, true, mode.time),
                    None => out.truncate(mark),
                }
            }
        });
    }
}

impl Loops {
    /// Removes the facts the subsumption rules find subsumed, in Soufflé's two steps: the facts
    /// of the last round that another fact (of that round or older) subsumes, then the older
    /// facts that a remaining fact of the round subsumes (or that a body relation's new facts
    /// let another subsume). The matches of each step are found before any is removed. A
    /// removed fact stays removed: derived again, it is not added back.
    fn subsume(&mut self, cx: &mut Cx<'_>, buf: &mut Vec<u64>) {
        for new_ones in [true, false] {
            let mut removed: Vec<(RelId, usize)> = Vec::new();
            for v in &self.versions {
                let Some([at, by]) = v.compared else { continue };
                if (v.first == Some(0)) != new_ones {
                    continue;
                }
                let rule = &self.rules[v.rule];
                let mut env = vec![0u64; rule.var_names.len()];
                let tables = Tables {
                    tables: &self.tables,
                    access: &v.access,
                };
                buf.clear();
                solve::solve(&v.plan, &tables, &mut env, cx, &mut |_, facts, _| {
                    let (fact, other) = (facts[at], facts[by]);
                    let key = fact.table.key;
                    if fact.cells[..key] != other.cells[..key] {
                        buf.extend_from_slice(&fact.cells[..key]);
                    }
                });
                let table = table_of(&self.tables, rule.head);
                let key = table.key.max(1);
                removed.extend(
                    (buf.chunks_exact(key))
                        .filter_map(|k| table.find(k))
                        .map(|r| (rule.head, r)),
                );
            }
            for (rel, r) in removed {
                (self.tables[rel].as_mut())
                    .expect("a table per relation of the stratum")
                    .kill(r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.plan` gives each version its order, the atom reading the delta where it puts it.
    #[test]
    fn a_written_plan_orders_each_version() {
        let src = ".decl e(x: number, y: number)\n.decl f(x: number, y: number)\n\
                   .decl t(x: number, y: number)\nt(x, y) :- e(x, y).\n\
                   t(x, w) :- t(x, y), e(y, z), t(z, w), f(w, x). .plan 0:(4,2,1,3), 1:(3,4,2,1)\n";
        let program = engram_parser::parse(src, "p.dl").unwrap();
        let plan = crate::plan::plan(&program, "p.dl", src).unwrap();
        let stratum = (plan.strata.iter())
            .find(|s| s.relations.contains(&plan.rel_index["t"]))
            .unwrap();
        let tables = (0..plan.relations.len())
            .map(|r| match stratum.relations.contains(&r) {
                true => Some(Table::live(2, None)),
                false => Some(Table::completed(2, None, &[])),
            })
            .collect();
        let rules = (stratum.rules.iter())
            .map(|&i| (i, plan.rules[i].clone(), Meta::asserted(1.0)))
            .collect();
        let loops = Loops::new(stratum, rules, Vec::new(), tables);
        let name = |v: &Version| -> Vec<String> {
            let level = |(l, a): (&solve::Level, &Access)| {
                let delta = matches!(a, Access::Scan(true));
                format!(
                    "{}{}",
                    plan.relations[l.rel].name,
                    if delta { "'" } else { "" }
                )
            };
            v.plan.levels.iter().zip(&v.access).map(level).collect()
        };
        let planned: Vec<Vec<String>> = (loops.versions.iter())
            .filter(|v| loops.rules[v.rule].exec_plan.is_some())
            .map(name)
            .collect();
        assert_eq!(planned, [["f", "e", "t'", "t"], ["t'", "f", "e", "t"]]);
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
