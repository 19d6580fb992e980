//! Semi-naive rounds of one stratum on datafrog variables: every relation of the stratum,
//! every projection of a relation a join needs (key columns first) and every intermediate
//! join result is a `Variable` of fixed-width rows; each round runs every rule's join steps
//! on the new rows, and with provenance a head's derivations go through the lattice step
//! (only improvements become the next round's delta). Strata of long bodies go to the
//! nested loops instead (`loops.rs`).

use super::choice::Choice;
use super::emit::{Emitter, HeadMeta, StepMeta, emit_head, project, run_step};
use super::expr::Cx;
use super::join::RowSlice;
use super::meta::{Meta, cells};
use super::range::Bindings;
use super::vars::{AnyVar, Cell, Flat};
use super::{Base, EvalError, MAX_WIDTH, Mode, Rows, check_limits, existence, group_count, loops};
use crate::eval::completed::Caches;
use crate::plan::ir::*;
use crate::plan::order::{Access, Output, RulePlan, Source, compile_rule};
use crate::value::{ColumnType, Interner};
use datafrog::Iteration;
use std::collections::HashMap;

/// A head's derivations of one round, in the cell type of its variable.
enum Pending {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Pending {
    fn new(var: &AnyVar) -> Pending {
        if var.is_narrow() {
            Pending::Narrow(Vec::new())
        } else {
            Pending::Wide(Vec::new())
        }
    }
}

pub(super) fn width_of(plan: &Plan, rel: RelId, mode: Mode) -> usize {
    plan.relations[rel].arity().max(1) + if mode.meta { cells(mode.time) } else { 0 }
}

fn narrow_rel(plan: &Plan, rel: RelId) -> bool {
    let d = &plan.relations[rel];
    d.arity() > 0 && d.columns.iter().all(|c| c.1 == ColumnType::Symbol)
}

fn new_var(
    it: &mut Iteration,
    width: usize,
    narrow: bool,
    lattice: bool,
    what: &str,
) -> Result<AnyVar, EvalError> {
    AnyVar::new(it, width, narrow, lattice).ok_or_else(|| EvalError::TooWide {
        what: what.to_string(),
        width,
        max: MAX_WIDTH,
    })
}

/// The rules of a stratum, compiled: rules that count their own body (run once, before the
/// rounds: `group_count.rs`), and the others as join pipelines over the accesses they read.
struct Rules {
    counting: Vec<(usize, group_count::GroupCount)>,
    plans: Vec<RulePlan>,
    accesses: Vec<Access>,
}

impl Rules {
    fn compile(plan: &Plan, stratum: &Stratum, mode: Mode, cx: &mut Cx<'_>) -> Rules {
        let mut rules = Rules {
            counting: Vec::new(),
            plans: Vec::new(),
            accesses: Vec::new(),
        };
        for &i in &stratum.rules {
            match group_count::detect(plan, i) {
                Some(gc) => rules.counting.push((i, gc)),
                None if mode.meta => {
                    let compiled = compile_rule(i, &plan.rules[i], &mut rules.accesses);
                    rules.plans.push(compiled);
                }
                None => {
                    // Parts of the body independent of the rest are checked once, here.
                    if let Some((rule, _)) = existence::settle(&plan.rules[i], stratum, false, cx) {
                        rules
                            .plans
                            .push(compile_rule(i, &rule, &mut rules.accesses));
                    }
                }
            }
        }
        rules
    }
}

/// The datafrog variables of a stratum: one per relation of the stratum and per completed
/// relation a rule reads (`canon`), one per projection a join needs (`None` where the
/// relation's own variable serves), and per rule one per intermediate join result.
struct Vars {
    it: Iteration,
    canon: HashMap<RelId, AnyVar>,
    /// The stratum's relations with a `choice-domain`, and their choices so far.
    choice: HashMap<RelId, Choice>,
    access: Vec<Option<AnyVar>>,
    inter: Vec<Vec<AnyVar>>,
}

impl Vars {
    fn new(
        plan: &Plan,
        stratum: &Stratum,
        rules: &Rules,
        base: &mut Base,
        done: &[Option<Rows>],
        mode: Mode,
    ) -> Result<Vars, EvalError> {
        let mut it = Iteration::new();
        let part = if mode.meta { cells(mode.time) } else { 0 };
        let mut canon: HashMap<RelId, AnyVar> = HashMap::new();
        let mut choice = HashMap::new();
        for &rel in &stratum.relations {
            let name = &plan.relations[rel].name;
            let width = width_of(plan, rel, mode);
            let var = new_var(&mut it, width, narrow_rel(plan, rel), mode.meta, name)?;
            let mut facts = match mode.meta {
                true => base.take_facts(rel, mode.time),
                false => std::mem::take(&mut base.rows[rel]),
            };
            if let Some(c) = Choice::of(&plan.relations[rel]) {
                c.filter(&mut facts, width);
                choice.insert(rel, c);
            }
            match mode.meta {
                true => var.insert_lattice(&mut facts, mode.time),
                false => var.insert_flat(&facts),
            }
            canon.insert(rel, var);
        }
        for a in &rules.accesses {
            if let std::collections::hash_map::Entry::Vacant(e) = canon.entry(a.rel) {
                let (width, narrow) = (width_of(plan, a.rel, mode), narrow_rel(plan, a.rel));
                let var = new_var(&mut it, width, narrow, false, &plan.relations[a.rel].name)?;
                if let Some(rows) = &done[a.rel] {
                    var.insert_flat(&rows.data);
                }
                e.insert(var);
            }
        }
        let mut access = Vec::new();
        for a in &rules.accesses {
            let d = &plan.relations[a.rel];
            if a.is_identity(d.arity()) {
                access.push(None);
                continue;
            }
            let narrow =
                !a.cols.is_empty() && a.cols.iter().all(|&c| d.columns[c].1 == ColumnType::Symbol);
            let width = a.cols.len().max(1) + part;
            access.push(Some(new_var(&mut it, width, narrow, false, &d.name)?));
        }
        let mut inter = Vec::new();
        for rp in &rules.plans {
            let rule = &plan.rules[rp.rule];
            let mut vs = Vec::new();
            for step in &rp.steps {
                if let Output::Intermediate(_, layout) = &step.out {
                    let narrow = !layout.is_empty()
                        && (layout.iter()).all(|&v| rule.var_types[v] == ColumnType::Symbol);
                    let width = layout.len().max(1) + part;
                    vs.push(new_var(&mut it, width, narrow, false, &rule.origin)?);
                }
            }
            inter.push(vs);
        }
        Ok(Vars {
            it,
            canon,
            choice,
            access,
            inter,
        })
    }

    /// Inserts a head's derivations: through the lattice step with provenance.
    fn insert_head(&self, rel: RelId, buf: &mut Vec<u64>, mode: Mode) {
        self.choose(rel, buf);
        match mode.meta {
            true => self.canon[&rel].insert_lattice(buf, mode.time),
            false => self.canon[&rel].insert_flat(buf),
        }
    }
}

impl Vars {
    /// Drops the rows a `choice-domain` of `rel` does not take (none for another relation).
    #[inline]
    fn choose<T: Cell>(&self, rel: RelId, rows: &mut Vec<T>) {
        if self.choice.is_empty() {
            return;
        }
        if let Some(c) = self.choice.get(&rel) {
            c.filter(rows, self.canon[&rel].width());
        }
    }
}

/// Evaluates one stratum to its fixpoint; its relations' rows.
pub(super) fn eval_stratum(
    plan: &Plan,
    stratum: &Stratum,
    base: &mut Base,
    done: &[Option<Rows>],
    interner: &mut Interner,
    caches: &mut Caches,
    mode: Mode,
) -> Result<Vec<(RelId, Rows)>, EvalError> {
    let mut cx = Cx::new(interner, done, caches);
    if loops::takes(plan, stratum, mode) {
        // Strata of long bodies: index nested loops, each relation held once (`loops.rs`).
        return loops::evaluate(plan, stratum, base, &mut cx, mode);
    }
    let rules = Rules::compile(plan, stratum, mode, &mut cx);
    let mut vars = Vars::new(plan, stratum, &rules, base, done, mode)?;
    run_once(plan, &rules, &vars, &mut cx, mode);
    let mut buf: Vec<u64> = Vec::new();
    // With provenance: each head's derivations of the round, in its variable's cell type.
    let mut pending: HashMap<RelId, Pending> = HashMap::new();
    while vars.it.changed() {
        // A runaway program stops here, naming its biggest relation.
        let sizes =
            (stratum.relations.iter()).filter_map(|r| vars.canon.get(r).map(|v| (*r, v.rows())));
        check_limits(plan, sizes)?;
        // With provenance, a fact improved during the rounds counts once per version here.
        let rows = |r| vars.canon.get(&r).map_or(0, |v| v.rows());
        if loops::limited(plan, stratum) && loops::limit_reached(plan, stratum, rows) {
            // This round's facts stay; the next's are not derived (the variables settle).
            while vars.it.changed() {}
            break;
        }
        project_accesses(&rules, &vars, &mut buf, mode);
        let run = Run {
            plan,
            rules: &rules,
            vars: &vars,
            mode,
        };
        for (rp, inters) in rules.plans.iter().zip(&vars.inter) {
            run.rule(rp, inters, &mut pending, &mut buf, &mut cx);
        }
        for (rel, rows) in pending.iter_mut() {
            match rows {
                Pending::Narrow(r) => {
                    vars.choose(*rel, r);
                    vars.canon[rel].insert_lattice_narrow(r, mode.time);
                    r.clear();
                }
                Pending::Wide(r) => {
                    vars.choose(*rel, r);
                    vars.canon[rel].insert_lattice(r, mode.time);
                    r.clear();
                }
            }
        }
    }
    Ok(complete(plan, stratum, vars, mode))
}

/// What fires once, before the rounds: the rules that count their own body, and the rules
/// without positive atoms.
fn run_once(plan: &Plan, rules: &Rules, vars: &Vars, cx: &mut Cx<'_>, mode: Mode) {
    for (ri, gc) in &rules.counting {
        let hm = HeadMeta::of(plan, *ri);
        let mut buf = Vec::new();
        let head = mode.meta.then_some((&hm, mode.time));
        group_count::evaluate(plan, *ri, gc, head, cx, &mut buf);
        vars.insert_head(plan.rules[*ri].head, &mut buf, mode);
    }
    for rp in rules.plans.iter().filter(|rp| rp.steps.is_empty()) {
        let rule = &plan.rules[rp.rule];
        let mut env = vec![0u64; rule.var_names.len()];
        let mut buf = Vec::new();
        // One binding, or one per value of each `range`.
        let mut each = Bindings::new(&rp.once_ops);
        while each.next(&mut env, cx) {
            let mark = buf.len();
            if !emit_head(&rule.head_args, &env, cx, &mut buf) {
                continue;
            }
            if mode.meta {
                match HeadMeta::of(plan, rp.rule).derive(Meta::asserted(1.0), &env, cx) {
                    Some(m) => m.push(&mut buf, true, mode.time),
                    None => buf.truncate(mark),
                }
            }
        }
        vars.insert_head(rule.head, &mut buf, mode);
    }
}

/// Each projection a join needs, of the rows its relation got last round.
fn project_accesses(rules: &Rules, vars: &Vars, buf: &mut Vec<u64>, mode: Mode) {
    for (a, var) in rules.accesses.iter().zip(&vars.access) {
        let Some(var) = var else { continue };
        buf.clear();
        let src = &vars.canon[&a.rel];
        let w = src.width();
        src.with_recent(|rows| match rows {
            Flat::Narrow(d) => project(a, RowSlice::new(d, w), mode.meta, mode.time, buf),
            Flat::Wide(d) => project(a, RowSlice::new(d, w), mode.meta, mode.time, buf),
        });
        var.insert_flat(buf);
    }
}

/// What a round runs on: the stratum's compiled rules and variables.
struct Run<'a> {
    plan: &'a Plan,
    rules: &'a Rules,
    vars: &'a Vars,
    mode: Mode,
}

impl Run<'_> {
    /// One round of one rule: each join step on its inputs' new rows.
    fn rule(
        &self,
        rp: &RulePlan,
        inters: &[AnyVar],
        pending: &mut HashMap<RelId, Pending>,
        buf: &mut Vec<u64>,
        cx: &mut Cx<'_>,
    ) {
        let (plan, rules, vars, mode) = (self.plan, self.rules, self.vars, self.mode);
        let rule = &plan.rules[rp.rule];
        let mut env = vec![0u64; rule.var_names.len()];
        for step in &rp.steps {
            // The variable a source reads, and whether its rows are facts (else partial
            // derivations), which decides their metadata cells.
            let input = |s: Source| -> (&AnyVar, bool) {
                match s {
                    Source::Access(i) => match &vars.access[i] {
                        Some(v) => (v, false),
                        None => (&vars.canon[&rules.accesses[i].rel], true),
                    },
                    Source::Intermediate(i) => (&inters[i], false),
                }
            };
            let n = cells(mode.time);
            let (left, lfact) = input(step.left);
            let right = step.right.map(input);
            let meta = mode.meta.then(|| StepMeta {
                left_at: left.width() - n,
                left_fact: lfact,
                right_at: right.map_or(0, |(v, _)| v.width() - n),
                right_fact: right.is_some_and(|(_, fact)| fact),
                time: mode.time,
                head: HeadMeta::of(plan, rp.rule),
            });
            let right = right.map(|r| r.0);
            // With provenance a head's derivations collect in its pending buffer for the round's
            // lattice step; everything else is inserted straight away.
            if mode.meta && matches!(step.out, Output::Head(_)) {
                let head = &vars.canon[&rule.head];
                match (pending.entry(rule.head)).or_insert_with(|| Pending::new(head)) {
                    Pending::Narrow(out) => {
                        run_step(
                            step,
                            left,
                            right,
                            &mut Emitter::new(step, &mut env, cx, out, meta),
                        );
                    }
                    Pending::Wide(out) => {
                        run_step(
                            step,
                            left,
                            right,
                            &mut Emitter::new(step, &mut env, cx, out, meta),
                        );
                    }
                }
                continue;
            }
            buf.clear();
            run_step(
                step,
                left,
                right,
                &mut Emitter::new(step, &mut env, cx, buf, meta),
            );
            match &step.out {
                Output::Intermediate(i, _) => inters[*i].insert_flat(buf),
                Output::Head(_) => {
                    vars.choose(rule.head, buf);
                    vars.canon[&rule.head].insert_flat(buf);
                }
            }
        }
    }
}

/// The stratum's relations, completed (with provenance, each fact's best version).
fn complete(plan: &Plan, stratum: &Stratum, mut vars: Vars, mode: Mode) -> Vec<(RelId, Rows)> {
    let mut out = Vec::new();
    for &rel in &stratum.relations {
        let var = vars
            .canon
            .remove(&rel)
            .expect("stratum relation has a variable");
        let width = var.width();
        let data = match mode.meta {
            true => var.complete_lattice(mode.time),
            false => var.complete(),
        };
        let arity = plan.relations[rel].arity();
        out.push((
            rel,
            Rows {
                arity,
                width,
                meta: mode.meta,
                data,
            },
        ));
    }
    out
}
