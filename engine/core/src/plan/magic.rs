//! The magic-set transformation, on request (`.pragma "magic-transform" "*"` or a comma-separated
//! list of relations, as in Soufflé): a relation that is only ever asked about with some
//! arguments bound is computed for those arguments only.
//!
//! For a use `q(c, y)` whose first argument is bound (a constant, or a variable bound by the atoms
//! before it, left to right), `q` gets an adorned copy `q@bf` and a magic relation `@magic_q@bf`
//! holding the bound values asked for:
//!
//! ```text
//! @magic_q@bf(c) :- <atoms before the use>.
//! q@bf(x, y) :- @magic_q@bf(x), <body of q's rule, its own uses adorned the same way>.
//! ```
//!
//! Relations eligible for adornment are derived, not input, output or printed, have no facts, and
//! no negation or aggregate in their rules (so the transformed program stays stratified). Relations
//! that no output, printed relation or query reads any more are then not evaluated: with the
//! pragma, as in Soufflé, only those are observable. If the transformed program cannot be
//! stratified, the original one is kept.

use super::ir::*;
use crate::value::ColumnType;
use std::collections::{HashMap, HashSet};

type Adornment = Vec<bool>;

/// Applies the transformation when the program asks for it; returns whether it did.
pub(crate) fn magic_transform(plan: &mut Plan) -> bool {
    let Some(targets) = requested(plan) else {
        return false;
    };
    // A subsumption rule compares a relation's facts with each other: all of them. A `.plan`
    // orders the atoms as written; `.limitsize` cuts the rounds of the relations as written.
    let planned = (plan.rules.iter()).any(|r| r.exec_plan.is_some());
    let limited = plan.relations.iter().any(|r| r.limit.is_some());
    if !plan.subsumptions.is_empty() || planned || limited {
        return false;
    }
    let eligible: Vec<bool> = (0..plan.relations.len())
        .map(|r| is_eligible(plan, r, &targets))
        .collect();
    if !eligible.iter().any(|&e| e) {
        return false;
    }
    let mut cx = Magic {
        adorned: HashMap::new(),
        work: Vec::new(),
        new_rules: Vec::new(),
        new_facts: Vec::new(),
        eligible,
    };
    let originals = std::mem::take(&mut plan.rules);
    let mut rules = Vec::with_capacity(originals.len());
    for rule in &originals {
        rules.push(cx.adorn_body(plan, rule.clone(), Vec::new()));
    }
    while let Some((rel, adornment, id, magic)) = cx.work.pop() {
        for rule in originals.iter().filter(|r| r.head == rel) {
            let mut r = rule.clone();
            r.head = id;
            let magic_args: Vec<AtomArg> = r
                .head_args
                .iter()
                .zip(&adornment)
                .filter(|(_, b)| **b)
                .map(|(e, _)| match e.kind {
                    IrExprKind::Var(v) => AtomArg::Var(v),
                    IrExprKind::Const(c) => AtomArg::Const(c),
                    _ => AtomArg::Wild,
                })
                .collect();
            let magic_atom = IrAtom {
                rel: magic,
                args: magic_args,
                conf_var: None,
                time_var: None,
                span: r.span,
            };
            let adorned = cx.adorn_body(plan, r, vec![magic_atom]);
            rules.push(adorned);
        }
    }
    rules.append(&mut cx.new_rules);
    plan.facts.append(&mut cx.new_facts);
    plan.rules = rules;
    drop_unobservable(plan);
    true
}

/// The relations the pragma names, if it is present.
fn requested(plan: &Plan) -> Option<HashSet<String>> {
    let mut out: Option<HashSet<String>> = None;
    for (k, v) in &plan.pragmas {
        if k == "magic-transform" {
            let set = out.get_or_insert_with(HashSet::new);
            set.extend(v.split(',').map(|s| s.trim().to_string()));
        }
    }
    out
}

fn is_eligible(plan: &Plan, rel: RelId, targets: &HashSet<String>) -> bool {
    let d = &plan.relations[rel];
    if !(targets.contains("*") || targets.contains(&d.name))
        || d.is_input()
        || !d.outputs.is_empty()
        || d.printsize
        || d.eqrel
        || d.combine != Combine::Max
        || d.functional.is_some()
        || !d.choice.is_empty()
        || plan.facts.iter().any(|(r, _, _, _)| *r == rel)
    {
        return false;
    }
    let mut rules = plan.rules.iter().filter(|r| r.head == rel).peekable();
    rules.peek().is_some()
        && rules.all(|r| {
            r.constraints.iter().all(|c| match c {
                Constraint::Negated { .. } => false,
                Constraint::Cmp { left, right, .. } => {
                    !left.has_aggregate() && !right.has_aggregate()
                }
                _ => true,
            }) && r
                .head_args
                .iter()
                .all(|e| matches!(e.kind, IrExprKind::Var(_) | IrExprKind::Const(_)))
        })
}

struct Magic {
    /// (relation, adornment) -> (adorned relation, magic relation).
    adorned: HashMap<(RelId, Adornment), (RelId, RelId)>,
    /// Adorned relations whose rules are still to be written.
    work: Vec<(RelId, Adornment, RelId, RelId)>,
    new_rules: Vec<IrRule>,
    new_facts: Vec<(RelId, Vec<u64>, f64, i64)>,
    eligible: Vec<bool>,
}

impl Magic {
    /// Rewrites the eligible atoms of `rule`'s body to adorned relations, left to right, adding
    /// the magic rules that feed them. `prefix` atoms (the rule's own magic atom) come first.
    fn adorn_body(&mut self, plan: &mut Plan, mut rule: IrRule, prefix: Vec<IrAtom>) -> IrRule {
        let mut bound: HashSet<VarId> = HashSet::new();
        for a in &prefix {
            bound.extend(a.vars());
        }
        let mut done: Vec<IrAtom> = prefix;
        let mut remaining = std::mem::take(&mut rule.atoms);
        while !remaining.is_empty() {
            let atom = remaining.remove(self.next_atom(&remaining, &bound));
            let adornment: Adornment = atom
                .args
                .iter()
                .map(|a| match a {
                    AtomArg::Const(_) => true,
                    AtomArg::Var(v) => bound.contains(v),
                    AtomArg::Wild => false,
                })
                .collect();
            let mut atom = atom;
            if self.eligible[atom.rel] && adornment.iter().any(|&b| b) {
                let (adorned, magic) = self.relation_for(plan, atom.rel, &adornment);
                let magic_atom = IrAtom {
                    rel: magic,
                    args: atom
                        .args
                        .iter()
                        .zip(&adornment)
                        .filter(|(_, b)| **b)
                        .map(|(a, _)| a.clone())
                        .collect(),
                    conf_var: None,
                    time_var: None,
                    span: atom.span,
                };
                let types = plan.relations[magic].types();
                self.magic_rule(&types, &rule, magic_atom, &done);
                atom.rel = adorned;
            }
            bound.extend(atom.vars());
            done.push(atom);
        }
        rule.atoms = done;
        rule
    }

    /// Sideways information passing: the next atom to bind. Base atoms that share a bound
    /// variable come first (they bind more for free), then the eligible atom with the most bound
    /// arguments, else the first atom left.
    fn next_atom(&self, atoms: &[IrAtom], bound: &HashSet<VarId>) -> usize {
        let bound_args = |a: &IrAtom| {
            a.args
                .iter()
                .filter(|x| match x {
                    AtomArg::Const(_) => true,
                    AtomArg::Var(v) => bound.contains(v),
                    AtomArg::Wild => false,
                })
                .count()
        };
        if let Some(i) = atoms
            .iter()
            .position(|a| !self.eligible[a.rel] && bound_args(a) > 0)
        {
            return i;
        }
        (0..atoms.len())
            .filter(|&i| bound_args(&atoms[i]) > 0)
            .max_by_key(|&i| (bound_args(&atoms[i]), std::cmp::Reverse(i)))
            .unwrap_or(0)
    }

    /// `magic(args) :- done...`, a fact when there is no body and every argument is constant.
    fn magic_rule(&mut self, types: &[ColumnType], rule: &IrRule, head: IrAtom, body: &[IrAtom]) {
        let consts: Option<Vec<u64>> = head
            .args
            .iter()
            .map(|a| match a {
                AtomArg::Const(c) => Some(*c),
                _ => None,
            })
            .collect();
        if body.is_empty() {
            if let Some(row) = consts {
                self.new_facts.push((head.rel, row, 1.0, 0));
            }
            return;
        }
        let head_args = head
            .args
            .iter()
            .zip(types)
            .map(|(a, &ty)| IrExpr {
                kind: match a {
                    AtomArg::Var(v) => IrExprKind::Var(*v),
                    AtomArg::Const(c) => IrExprKind::Const(*c),
                    AtomArg::Wild => unreachable!("bound arguments are never `_`"),
                },
                ty,
            })
            .collect();
        self.new_rules.push(IrRule {
            head: head.rel,
            head_args,
            atoms: body.to_vec(),
            constraints: Vec::new(),
            var_names: rule.var_names.clone(),
            var_types: rule.var_types.clone(),
            span: rule.span,
            origin: format!("{} (magic)", rule.origin),
            meta: RuleMeta::default(),
            exec_plan: None,
        });
    }

    fn relation_for(
        &mut self,
        plan: &mut Plan,
        rel: RelId,
        adornment: &Adornment,
    ) -> (RelId, RelId) {
        if let Some(&ids) = self.adorned.get(&(rel, adornment.clone())) {
            return ids;
        }
        let base = plan.relations[rel].clone();
        let suffix: String = adornment
            .iter()
            .map(|&b| if b { 'b' } else { 'f' })
            .collect();
        let mut adorned = base.clone();
        adorned.name = format!("{}@{suffix}", base.name);
        adorned.inline = false;
        let mut magic = base.clone();
        magic.name = format!("@magic_{}@{suffix}", base.name);
        magic.inline = false;
        magic.magic = true;
        magic.columns = base
            .columns
            .iter()
            .zip(adornment)
            .filter(|(_, b)| **b)
            .map(|(c, _)| c.clone())
            .collect();
        let adorned_id = plan.push_relation(adorned);
        let magic_id = plan.push_relation(magic);
        self.eligible.extend([false, false]);
        self.adorned
            .insert((rel, adornment.clone()), (adorned_id, magic_id));
        self.work
            .push((rel, adornment.clone(), adorned_id, magic_id));
        (adorned_id, magic_id)
    }
}

/// Removes the rules of relations that no output, printed relation or query reads.
fn drop_unobservable(plan: &mut Plan) {
    let n = plan.relations.len();
    let mut live = vec![false; n];
    let mut stack: Vec<RelId> = (0..n)
        .filter(|&r| {
            let d = &plan.relations[r];
            !d.outputs.is_empty() || d.printsize || d.constraint.is_some()
        })
        .collect();
    for q in &plan.queries {
        stack.extend(q.rule.reads());
    }
    while let Some(r) = stack.pop() {
        if std::mem::replace(&mut live[r], true) {
            continue;
        }
        // An eqrel's classes are made from its pairs.
        stack.extend(plan.relations[r].class_of);
        for rule in plan.rules.iter().filter(|x| x.head == r) {
            stack.extend(rule.reads());
        }
    }
    plan.rules.retain(|r| live[r.head]);
}
