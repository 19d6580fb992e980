//! Why a fact does not hold: for each rule whose head could make it, the first body literal
//! (in the rule's written order) that nothing satisfies with the bindings so far, or the bound
//! that cut the derivations the body has.
//!
//! The head is bound to the fact. The body's literals are then added one at a time in written
//! order (a condition or negation joins once its variables are bound), and each growing
//! prefix is solved over the completed relations, stopping at its first solution. The first
//! literal whose prefix has none is the reason: a positive atom is a missing premise (shown
//! instantiated with a few of the prefix's bindings, with the facts that match it in all but
//! one column), a negation is blocked by the facts it finds (each with its proof), a
//! comparison fails for the bindings shown. When the whole body has solutions, each
//! derivation is judged as evaluation judges it, and the bound that ruled them out is named:
//! `@max_depth`, `min_confidence`, or a forgetting policy. The work is bounded: a prefix is
//! sampled for at most [`SAMPLE`] bindings, a body for at most [`SAMPLE`] derivations.

use crate::database::Database;
use crate::error::Error;
use crate::eval::completed;
use crate::eval::emit::{Cut, HeadMeta, emit_head};
use crate::eval::expr::{Cx, eval};
use crate::eval::meta::Meta;
use crate::eval::solve::{self, Fact as _};
use crate::explain::{Proof, fact_text};
use crate::plan::ir::{AtomArg, Constraint, IrAtom, IrExprKind, IrRule, RelId, VarId};
use crate::plan::order::compile_nested;
use crate::value::{self, Value};
use serde::Serialize;

/// Bindings (of a prefix) or derivations (of a body) looked at, at most.
pub(crate) const SAMPLE: usize = 10_000;
/// Instances of a missing premise, blocking facts or failing bindings shown, at most.
const SHOWN: usize = 3;
/// Facts shown as nearly matching a missing premise, at most.
const NEAR: usize = 3;

/// Why a fact does not hold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhyNot {
    /// The fact asked about, as Datalog text.
    pub fact: String,
    /// The fact's proof, when it holds after all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<Proof>,
    /// Symbols of the fact that no fact anywhere mentions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// In a `functional(...)` relation: the newer fact with the same key that replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<Proof>,
    /// A subsumption rule's: the fact that removed it (with its proof), and the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsumed_by: Option<Subsumed>,
    /// The subsumption rules of its relation (`file:line`), which may have removed it (by a
    /// fact they removed in turn, when `subsumed_by` names none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subsumption_rules: Vec<String>,
    /// When its relation is derived by a recursion that `.limitsize` stopped: the relation
    /// that reached its limit (this one or another of the same recursion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<SizeLimit>,
    /// Whether facts of the relation are asserted as well as derived (then this one was
    /// not asserted, or was retracted or forgotten).
    pub assertable: bool,
    /// Per rule whose head could make the fact: why it did not.
    pub rules: Vec<RuleWhyNot>,
}

/// A `.limitsize` that stopped a recursion: its rounds end once a relation holds its limit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizeLimit {
    /// The relation that reached its limit.
    pub relation: String,
    /// Its `.limitsize`.
    pub limit: usize,
    /// The facts it holds.
    pub facts: usize,
}

/// The fact that removed another through a subsumption rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subsumed {
    /// The subsumption rule (`file:line`).
    pub rule: String,
    /// The fact that subsumes it, with its proof.
    pub by: Proof,
}

/// Why one rule did not derive the fact.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleWhyNot {
    /// The rule's name (`@name`, or `file:line`).
    pub rule: String,
    /// Where it is written (`file:line`).
    pub at: String,
    /// What stopped it.
    #[serde(flatten)]
    pub reason: Reason,
}

/// What stopped a rule from deriving a fact.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The rule's head cannot make this fact (a constant of the head differs, a variable
    /// repeated in it would need two values, or its expressions never give these values).
    HeadMismatch {
        /// What differs.
        detail: String,
    },
    /// No fact matches a positive body atom with the bindings the literals before it give.
    MissingPremise {
        /// The atom as written (variables by name).
        atom: String,
        /// The atom instantiated with some of the bindings before it (up to three), as
        /// patterns: the facts that are missing.
        missing: Vec<String>,
        /// How many distinct instances were found missing (of at most 10,000 bindings).
        instances: usize,
        /// Facts of the atom's relation that match an instance in all but one known column.
        near: Vec<String>,
    },
    /// A negated atom holds for every binding the literals before it give.
    BlockedByNegation {
        /// The negation as written.
        negation: String,
        /// Facts that block it, each with its proof (up to three).
        blocking: Vec<Proof>,
    },
    /// A comparison (or `contains`/`match`) fails for every binding before it.
    ConditionFails {
        /// The condition as written.
        condition: String,
        /// Bindings it fails for (up to three), as `x = 3, y = "b"`.
        bindings: Vec<String>,
    },
    /// Derivations exist but each is deeper than the rule's `@max_depth`.
    DepthBound {
        /// The rule's bound.
        max_depth: u32,
        /// The shallowest derivation's depth.
        depth: u32,
        /// That derivation's body facts.
        premises: Vec<Proof>,
    },
    /// Derivations exist but each is weaker than the program's `min_confidence`.
    ConfidenceBound {
        /// The bound.
        min_confidence: f64,
        /// The strongest derivation's confidence.
        confidence: f64,
        /// That derivation's body facts.
        premises: Vec<Proof>,
    },
    /// Derivations exist but a forgetting policy (a store's `cleanup`) drops each.
    Forgotten {
        /// The policy's confidence: weaker derivations are forgotten...
        min_confidence: f64,
        /// ...when older than this (ISO 8601).
        before: String,
        /// The strongest derivation's confidence.
        confidence: f64,
        /// Its time (ISO 8601).
        time: String,
        /// Its body facts.
        premises: Vec<Proof>,
    },
    /// The head's confidence expression gives no confidence in (0, 1] for any derivation.
    NoConfidence,
    /// The rule derives the fact (it holds, or something else removed it: see
    /// `superseded_by`).
    Derivable {
        /// The strongest derivation's confidence.
        confidence: f64,
    },
    /// The work bound was reached before a reason was found.
    Undecided,
}

/// A fact a solution matched: its relation, row and metadata.
type BodyFact = (RelId, Vec<u64>, Meta);

/// What [`Database::solve_lits`] calls with each solution: the binding, the facts matched;
/// it returns whether to go on.
type OnSolution<'f> = dyn FnMut(&[u64], Vec<BodyFact>, &mut Cx<'_>) -> bool + 'f;

/// One literal of a rule body, in written order.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lit {
    Atom(usize),
    Cond(usize),
}

impl Database {
    /// Why `relation(values)` does not hold (with its proof when it does). `None` when no
    /// relation has this name or the values do not fit its columns.
    pub fn why_not(&mut self, relation: &str, values: &[Value]) -> Option<WhyNot> {
        let &rel = self.plan.rel_index.get(relation)?;
        let decl = self.plan.relations[rel].clone();
        if values.len() != decl.arity() {
            return None;
        }
        let mut out = WhyNot {
            fact: fact_text(relation, values),
            holds: None,
            unknown: Vec::new(),
            superseded_by: None,
            subsumed_by: None,
            subsumption_rules: (self.plan.subsumptions.iter())
                .filter(|r| r.head == rel)
                .map(|r| r.origin.clone())
                .collect(),
            size_limit: self.size_limit(rel),
            assertable: self.plan.rules.iter().all(|r| r.head != rel) || !decl.inputs.is_empty(),
            rules: Vec::new(),
        };
        out.unknown = (values.iter().zip(&decl.columns))
            .filter(|(v, (_, ty))| value::encode_existing(*ty, v, &self.interner).is_none())
            .map(|(v, _)| v.to_string())
            .collect();
        if !out.unknown.is_empty() {
            return Some(out);
        }
        out.holds = self.explain(relation, values);
        if out.holds.is_some() {
            return Some(out);
        }
        if let Some(by) = self.superseded_by(relation, values) {
            out.superseded_by = self.explain(relation, &by.values);
        }
        let row = self.encode_row(&decl, values)?;
        let row = self.canonical_row(rel, row);
        out.subsumed_by = self.subsumed_by(rel, &row);
        let plan = self.plan.clone();
        for (ri, rule) in plan.rules.iter().enumerate() {
            if rule.head == rel {
                let reason = self.rule_why_not(ri, rule, &row);
                out.rules.push(RuleWhyNot {
                    rule: rule.label().to_string(),
                    at: rule.origin.clone(),
                    reason,
                });
            }
        }
        Some(out)
    }

    /// The `.limitsize` that stopped the recursion deriving `rel`, if one did.
    fn size_limit(&self, rel: RelId) -> Option<SizeLimit> {
        let stratum = (self.plan.strata.iter()).find(|s| s.relations.contains(&rel))?;
        if !stratum.recursive {
            return None;
        }
        stratum.relations.iter().find_map(|&r| {
            let decl = &self.plan.relations[r];
            let limit = decl.limit?;
            let facts = self.relation(&decl.name)?.len();
            (facts >= limit).then(|| SizeLimit {
                relation: decl.name.clone(),
                limit,
                facts,
            })
        })
    }

    /// [`Database::why_not`] for a fact written as Datalog text.
    pub fn why_not_text(&mut self, fact: &str) -> Result<WhyNot, Error> {
        let (name, values) = self.parse_fact(fact)?;
        self.why_not(&name, &values).ok_or_else(|| Error::Value {
            relation: name,
            message: "the values do not fit the relation".into(),
        })
    }

    /// The fact of `rel` that a subsumption rule of `rel` finds subsuming `row`, with the
    /// rule: the rule's body solved with its first atom bound to `row` (which no longer
    /// holds, so that atom is not read), its second to a different fact.
    fn subsumed_by(&mut self, rel: RelId, row: &[u64]) -> Option<Subsumed> {
        let rules: Vec<IrRule> = (self.plan.subsumptions.iter())
            .filter(|r| r.head == rel)
            .cloned()
            .collect();
        for mut rule in rules {
            let dominated = rule.atoms.remove(0);
            // The subsuming fact's `_` columns get variables, to be read back.
            for arg in &mut rule.atoms[0].args {
                if *arg == AtomArg::Wild {
                    *arg = AtomArg::Var(rule.var_names.len());
                    rule.var_names.push("_".into());
                    rule.var_types.push(crate::value::ColumnType::Number);
                }
            }
            let n = rule.var_names.len();
            let (mut env, mut bound) = (vec![0u64; n], vec![false; n]);
            let fits = (dominated.args.iter().zip(row)).all(|(a, &v)| match *a {
                AtomArg::Var(x) if bound[x] => env[x] == v,
                AtomArg::Var(x) => {
                    (env[x], bound[x]) = (v, true);
                    true
                }
                AtomArg::Const(c) => c == v,
                AtomArg::Wild => true,
            });
            if !fits {
                continue;
            }
            let head_bound: Vec<VarId> = (0..n).filter(|&v| bound[v]).collect();
            let steps = written_steps(&rule, bound);
            let subsuming = rule.atoms[0].clone();
            let mut found = None;
            self.solve_lits(&rule, &steps, &head_bound, &env, &mut |env, _, _| {
                let other: Vec<u64> = (subsuming.args.iter())
                    .map(|a| match *a {
                        AtomArg::Var(x) => env[x],
                        AtomArg::Const(c) => c,
                        AtomArg::Wild => unreachable!("wildcards made variables"),
                    })
                    .collect();
                if other == row {
                    return true;
                }
                found = Some(other);
                false
            });
            let Some(other) = found else { continue };
            let decl = &self.plan.relations[rel];
            let values: Vec<Value> = (decl.columns.iter().zip(&other))
                .map(|((_, ty), &v)| value::decode(*ty, v, &self.interner))
                .collect();
            let name = decl.name.clone();
            if let Some(by) = self.explain(&name, &values) {
                return Some(Subsumed {
                    rule: rule.origin.clone(),
                    by,
                });
            }
        }
        None
    }

    /// Why rule `ri` did not derive `row`.
    fn rule_why_not(&mut self, ri: usize, rule: &IrRule, row: &[u64]) -> Reason {
        let n = rule.var_names.len();
        let mut env = vec![0u64; n];
        let mut bound = vec![false; n];
        for (i, a) in rule.head_args.iter().enumerate() {
            let column = &self.plan.relations[rule.head].columns[i].0;
            match a.kind {
                IrExprKind::Var(v) if bound[v] && env[v] != row[i] => {
                    let name = &rule.var_names[v];
                    return Reason::HeadMismatch {
                        detail: format!("the head repeats `{name}`, and the fact's values differ"),
                    };
                }
                IrExprKind::Var(v) => {
                    env[v] = row[i];
                    bound[v] = true;
                }
                IrExprKind::Const(c) if c != row[i] => {
                    let ty = self.plan.relations[rule.head].columns[i].1;
                    return Reason::HeadMismatch {
                        detail: format!("the head's `{column}` is always {}", self.shown(ty, c)),
                    };
                }
                _ => {}
            }
        }
        let head_bound: Vec<VarId> = (0..n).filter(|&v| bound[v]).collect();
        let steps = written_steps(rule, bound);
        for k in 0..steps.len() {
            if !self.satisfiable(rule, &steps[..=k], &head_bound, &env) {
                return self.blame(rule, &steps[..k], steps[k], &head_bound, &env);
            }
        }
        self.judge_derivations(ri, rule, &steps, &head_bound, &env, row)
    }

    /// Solves the literals `lits` with the head's bindings, calling `f` with each solution
    /// (and the facts it matched) until `f` returns false.
    fn solve_lits(
        &mut self,
        rule: &IrRule,
        lits: &[Lit],
        head_bound: &[VarId],
        env: &[u64],
        f: &mut OnSolution<'_>,
    ) {
        let atoms: Vec<IrAtom> = (lits.iter())
            .filter_map(|l| match *l {
                Lit::Atom(i) => Some(rule.atoms[i].clone()),
                Lit::Cond(_) => None,
            })
            .collect();
        let conds: Vec<Constraint> = (lits.iter())
            .filter_map(|l| match *l {
                Lit::Cond(i) => Some(rule.constraints[i].clone()),
                Lit::Atom(_) => None,
            })
            .collect();
        let n = rule.var_names.len();
        let compiled = solve::compile(
            &compile_nested(&atoms, &conds, n, head_bound),
            head_bound,
            n,
        );
        let mut env = env.to_vec();
        let mut cx = Cx::for_lookups(&mut self.interner, &self.rows, &mut self.caches);
        let mut seen = 0;
        completed::solve(&compiled, &mut env, &mut cx, &mut |env, hits, cx| {
            let facts = (hits.iter())
                .map(|h| (h.rel(), h.row(), h.meta()))
                .collect();
            seen += 1;
            if !f(env, facts, cx) || seen >= SAMPLE {
                cx.stop = true;
            }
        });
    }

    /// Whether the literals have a solution.
    fn satisfiable(
        &mut self,
        rule: &IrRule,
        lits: &[Lit],
        head_bound: &[VarId],
        env: &[u64],
    ) -> bool {
        let mut any = false;
        self.solve_lits(rule, lits, head_bound, env, &mut |_, _, _| {
            any = true;
            false
        });
        any
    }

    /// Why adding `lit` to the satisfiable `before` leaves no solution.
    fn blame(
        &mut self,
        rule: &IrRule,
        before: &[Lit],
        lit: Lit,
        head_bound: &[VarId],
        env: &[u64],
    ) -> Reason {
        let vars = match lit {
            Lit::Atom(i) => rule.atoms[i].vars(),
            Lit::Cond(i) => rule.constraints[i].vars(),
        };
        // Distinct bindings of the literal's variables the literals before it give.
        let mut samples: Vec<Vec<u64>> = Vec::new();
        let mut instances = 0;
        self.solve_lits(rule, before, head_bound, env, &mut |env, _, _| {
            let b: Vec<u64> = vars.iter().map(|&v| env[v]).collect();
            if !samples.contains(&b) {
                instances += 1;
                if samples.len() < SHOWN {
                    samples.push(b);
                }
            }
            true
        });
        let at = |b: &[u64]| {
            let mut e = env.to_vec();
            for (&v, &x) in vars.iter().zip(b) {
                e[v] = x;
            }
            e
        };
        let bound_before = bound_after(rule, before, head_bound);
        match lit {
            Lit::Atom(i) => {
                let atom = &rule.atoms[i];
                let mut missing = Vec::new();
                let mut near = Vec::new();
                for b in &samples {
                    let e = at(b);
                    missing.push(self.atom_text(rule, atom, Some((&e, &bound_before))));
                    for f in self.near_facts(atom, &e, &bound_before) {
                        if near.len() < NEAR && !near.contains(&f) {
                            near.push(f);
                        }
                    }
                }
                Reason::MissingPremise {
                    atom: self.atom_text(rule, atom, None),
                    missing,
                    instances,
                    near,
                }
            }
            Lit::Cond(j) => match &rule.constraints[j] {
                Constraint::Negated { rel, args, .. } => {
                    let negation = format!("!{}", self.negation_text(rule, *rel, args, None));
                    let blocking = (samples.iter())
                        .filter_map(|b| self.blocking_fact(*rel, args, &at(b)))
                        .collect();
                    Reason::BlockedByNegation { negation, blocking }
                }
                c => Reason::ConditionFails {
                    condition: self.condition_text(rule, c),
                    bindings: (samples.iter())
                        .map(|b| self.bindings_text(rule, &vars, b))
                        .collect(),
                },
            },
        }
    }

    /// With the whole body satisfiable: judges its derivations of `row` as evaluation does.
    fn judge_derivations(
        &mut self,
        ri: usize,
        rule: &IrRule,
        steps: &[Lit],
        head_bound: &[VarId],
        env: &[u64],
        row: &[u64],
    ) -> Reason {
        let plan = self.plan.clone();
        let head = HeadMeta::of(&plan, ri);
        let want: Vec<u64> = if rule.head_args.is_empty() {
            vec![0]
        } else {
            row.to_vec()
        };
        let mut best: Option<(f64, Result<Meta, Cut>, Vec<BodyFact>)> = None;
        let mut matched = false;
        self.solve_lits(rule, steps, head_bound, env, &mut |env, facts, cx| {
            let mut got: Vec<u64> = Vec::with_capacity(want.len());
            if !emit_head(&rule.head_args, env, cx, &mut got) || got != want {
                return true;
            }
            matched = true;
            let part = Meta::body(rule.meta.tnorm, facts.iter().map(|f| f.2));
            let judged = head.judge(part, env, cx);
            let score = match judged {
                Ok(m) => 2.0 + m.conf,
                Err(Cut::Depth { depth, .. }) => 1.0 / (1.0 + f64::from(depth)),
                Err(Cut::Confidence { conf, .. } | Cut::Forgotten { conf, .. }) => conf,
                Err(Cut::HeadConfidence) => 0.0,
            };
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, judged, facts));
            }
            judged.is_err()
        });
        let Some((_, judged, facts)) = best else {
            return match matched {
                false => Reason::HeadMismatch {
                    detail: "the head's expressions give other values for every derivation".into(),
                },
                true => Reason::Undecided,
            };
        };
        let premises: Vec<Proof> = (facts.iter())
            .filter(|(r, _, _)| !self.plan.relations[*r].magic)
            .map(|(r, row, m)| self.leaf(*r, row, *m))
            .collect();
        match judged {
            Ok(m) => Reason::Derivable { confidence: m.conf },
            Err(Cut::Depth { max, depth }) => Reason::DepthBound {
                max_depth: max,
                depth,
                premises,
            },
            Err(Cut::Confidence { min, conf }) => Reason::ConfidenceBound {
                min_confidence: min,
                confidence: conf,
                premises,
            },
            Err(Cut::Forgotten { policy, conf, time }) => Reason::Forgotten {
                min_confidence: policy.min_confidence,
                before: value::format_time(policy.before_ms),
                confidence: conf,
                time: value::format_time(time),
                premises,
            },
            Err(Cut::HeadConfidence) => Reason::NoConfidence,
        }
    }

    /// Up to [`NEAR`] facts of the atom's relation that match its known columns (bound
    /// variables and constants) in all but one, when it has two known columns or more. The
    /// facts that differ in the column whose value is commonest come first (they keep the
    /// rarer, more telling values: `relation("m1", "USES", x)` is near m1's other relations
    /// before other things' `USES`).
    fn near_facts(&self, atom: &IrAtom, env: &[u64], bound: &[bool]) -> Vec<String> {
        let known: Vec<(usize, u64)> = (atom.args.iter().enumerate())
            .filter_map(|(c, a)| match *a {
                AtomArg::Const(x) => Some((c, x)),
                AtomArg::Var(v) if bound[v] => Some((c, env[v])),
                _ => None,
            })
            .collect();
        let Some(rows) = self.rows[atom.rel].as_ref().filter(|_| known.len() >= 2) else {
            return Vec::new();
        };
        // Per known column: how many facts differ there alone, and the first few.
        let mut groups: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); known.len()];
        for i in 0..rows.len() {
            let r = rows.row(i);
            let mut off = known.iter().enumerate().filter(|(_, (c, x))| r[*c] != *x);
            if let (Some((k, _)), None) = (off.next(), off.next()) {
                groups[k].0 += 1;
                if groups[k].1.len() < NEAR {
                    groups[k].1.push(i);
                }
            }
        }
        groups.sort_by_key(|g| g.0);
        (groups.iter())
            .flat_map(|g| g.1.iter())
            .take(NEAR)
            .map(|&i| self.fact_of(atom.rel, rows.row(i)))
            .collect()
    }

    /// A fact that a negated atom, under binding `env`, finds: with its proof.
    fn blocking_fact(
        &mut self,
        rel: RelId,
        args: &[Option<crate::plan::ir::IrExpr>],
        env: &[u64],
    ) -> Option<Proof> {
        let mut want: Vec<Option<u64>> = Vec::with_capacity(args.len());
        {
            let mut cx = Cx::for_lookups(&mut self.interner, &self.rows, &mut self.caches);
            for a in args {
                want.push(match a {
                    Some(e) => Some(eval(e, env, &mut cx)?),
                    None => None,
                });
            }
        }
        // A negated eqrel reads its classes: the pair holds if its two sides share one.
        let decl = &self.plan.relations[rel];
        let rel = decl.class_of.unwrap_or(rel);
        if self.plan.relations[rel].eqrel
            && let [Some(a), Some(b)] = want[..]
        {
            let values = self.values_of(rel, &[a, b]);
            let name = self.plan.relations[rel].name.clone();
            return self.explain(&name, &values);
        }
        let rows = self.rows[rel].as_ref()?;
        let i = (0..rows.len()).find(|&i| {
            let r = rows.row(i);
            want.iter().zip(r).all(|(w, &x)| w.is_none_or(|w| w == x))
        })?;
        let values = self.values_of(rel, rows.row(i));
        let name = self.plan.relations[rel].name.clone();
        self.explain(&name, &values)
    }
}

/// The body's literals in written order, each condition moved to where its variables are
/// bound (an equation that binds its one unbound variable counts as binding it). `bound`
/// holds the head's bindings.
fn written_steps(rule: &IrRule, mut bound: Vec<bool>) -> Vec<Lit> {
    let span = |l: &Lit| match *l {
        Lit::Atom(i) => rule.atoms[i].span.start,
        Lit::Cond(i) => constraint_start(&rule.constraints[i]),
    };
    let mut written: Vec<Lit> = (0..rule.atoms.len())
        .map(Lit::Atom)
        .chain((0..rule.constraints.len()).map(Lit::Cond))
        .collect();
    written.sort_by_key(span);
    let mut steps = Vec::with_capacity(written.len());
    let mut pending: Vec<usize> = Vec::new();
    let ready = |c: &Constraint, bound: &mut Vec<bool>| -> bool {
        if let Some((v, _)) = c.assignment(bound) {
            bound[v] = true;
            return true;
        }
        c.vars().iter().all(|&v| bound[v])
    };
    for lit in written {
        match lit {
            Lit::Atom(i) => {
                let a = &rule.atoms[i];
                for v in a.vars().into_iter().chain(a.meta_vars().vars()) {
                    bound[v] = true;
                }
                steps.push(lit);
            }
            Lit::Cond(j) if ready(&rule.constraints[j], &mut bound) => steps.push(lit),
            Lit::Cond(j) => pending.push(j),
        }
        while let Some(k) =
            (0..pending.len()).find(|&k| ready(&rule.constraints[pending[k]], &mut bound))
        {
            steps.push(Lit::Cond(pending.remove(k)));
        }
    }
    steps
}

/// Which variables the head and `lits` bind.
fn bound_after(rule: &IrRule, lits: &[Lit], head_bound: &[VarId]) -> Vec<bool> {
    let mut bound = vec![false; rule.var_names.len()];
    for &v in head_bound {
        bound[v] = true;
    }
    for l in lits {
        match *l {
            Lit::Atom(i) => {
                let a = &rule.atoms[i];
                for v in a.vars().into_iter().chain(a.meta_vars().vars()) {
                    bound[v] = true;
                }
            }
            Lit::Cond(j) => {
                for v in rule.constraints[j].vars() {
                    bound[v] = true;
                }
            }
        }
    }
    bound
}

/// Where a condition is written (a condition the planner made sorts last).
fn constraint_start(c: &Constraint) -> usize {
    match c {
        Constraint::Cmp { span, .. } | Constraint::Negated { span, .. } => span.start,
        // Written without a span: placed where its variables are bound.
        Constraint::Text { .. } | Constraint::False => usize::MAX,
    }
}
