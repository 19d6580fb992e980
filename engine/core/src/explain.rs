//! Explanations: the proof tree of a fact's best derivation, found again from the completed
//! relations (no proof is stored during evaluation).
//!
//! A fact records the rule of its best derivation. To explain it, that rule's body is solved
//! with the head bound to the fact; a derivation whose confidence (recomputed from its body
//! facts) reaches the fact's confidence is its best derivation, and its body facts are
//! explained the same way. A fact already on the path being explained is not used again, so
//! the tree is finite even on cycles of equal confidence.

use crate::database::{Database, Origin};
use crate::error::Error;
use crate::eval::emit::{HeadMeta, emit_head};
use crate::eval::expr::Cx;
use crate::eval::meta::{self, ASSERTED, MERGED, Meta};
use crate::eval::solve::{self, Fact as _};
use crate::eval::{completed, merge};
use crate::literal::constant_in;
use crate::plan::ir::{Combine, IrExprKind, RelId};
use crate::plan::order::compile_nested;
use crate::value::{self, Value};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

/// A node of a proof tree: a fact, how sure it is, and the facts its best derivation used.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Proof {
    /// The fact as Datalog text, such as `path("a", "d")`.
    pub fact: String,
    /// Its confidence.
    pub confidence: f64,
    /// Its depth.
    pub depth: u32,
    /// `asserted`, or the rule of its best derivation.
    pub rule: String,
    /// The body facts of that derivation (none for an asserted fact).
    pub premises: Vec<Proof>,
    /// In a `functional(...)` relation: when the fact was asserted or derived (unix ms;
    /// ISO 8601 in JSON).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "iso_time")]
    pub time: Option<i64>,
    /// In a `functional(...)` relation: the older facts with the same key that this one
    /// replaced (they no longer hold), newest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<Proof>,
    /// Whether the fact's premises were left out: a proof is built to [`MAX_PROOF_DEPTH`]
    /// levels, so that building, printing, serializing and dropping it never exhausts the
    /// stack however deep the derivation goes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// The levels of a proof tree shown: a fact this deep below the explained one is shown
/// without its premises, marked [`Proof::truncated`]. (Explain that fact to see further.)
pub const MAX_PROOF_DEPTH: usize = 256;

impl Proof {
    /// The tree as indented text, one fact per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out, "", "");
        out
    }

    fn write_text(&self, out: &mut String, first: &str, rest: &str) {
        let _ = write!(
            out,
            "{first}{}  @ {:.6}  depth {}  {}",
            self.fact, self.confidence, self.depth, self.rule
        );
        if let Some(t) = self.time {
            let _ = write!(out, "  ~ {}", value::format_time(t));
        }
        if self.truncated {
            let _ = write!(
                out,
                "  (premises not shown: a proof is shown to {MAX_PROOF_DEPTH} levels; explain \
                 this fact to see them)"
            );
        }
        out.push('\n');
        for old in &self.supersedes {
            let _ = write!(out, "{rest}  supersedes ");
            old.write_text(out, "", &format!("{rest}  "));
        }
        for (i, p) in self.premises.iter().enumerate() {
            let last = i + 1 == self.premises.len();
            let (f, r) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            p.write_text(out, &format!("{rest}{f}"), &format!("{rest}{r}"));
        }
    }

    /// The tree as pretty-printed JSON: `{fact, confidence, depth, rule, premises: [...]}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a proof always serializes")
    }
}

fn iso_time<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(ms) => s.serialize_str(&value::format_time(*ms)),
        None => s.serialize_none(),
    }
}

/// A fact's text: `name(v1, v2)`, symbols quoted ([`quoted`]): text the parser reads back as
/// the same fact.
pub fn fact_text(name: &str, values: &[Value]) -> String {
    let args: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Symbol(s) => quoted(s),
            other => other.to_string(),
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

/// A symbol as a string literal the parser reads back as the same text: `"` and `\`
/// escaped, newline, tab and return as `\n`, `\t`, `\r`, any other control character
/// (NUL among them) as `\u{..}`.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One derivation of a fact: its metadata and its body facts.
struct Derivation {
    meta: Meta,
    premises: Vec<(RelId, Vec<u64>)>,
}

impl Database {
    /// Parses a fact written as Datalog (`path("a", "d")`, a final `.` optional) against this
    /// database's relations.
    pub fn parse_fact(&self, text: &str) -> Result<(String, Vec<Value>), Error> {
        let src = text.trim().trim_end_matches('.').to_string() + ".";
        let ast = engram_parser::parse(&src, "<fact>")?;
        let value_err = |relation: &str, message: String| Error::Value {
            relation: relation.to_string(),
            message,
        };
        let [engram_parser::Item::Clause(c)] = ast.items.as_slice() else {
            return Err(value_err("<fact>", format!("`{text}` is not one fact")));
        };
        let [head] = c.heads.as_slice() else {
            return Err(value_err("<fact>", format!("`{text}` is not one fact")));
        };
        if !c.body.is_empty() {
            return Err(value_err(&head.name, "a fact has no body".into()));
        }
        let Some(rel) = self.plan.relation_named(&head.name) else {
            return Err(value_err(&head.name, "no such relation".into()));
        };
        let decl = &self.plan.relations[rel];
        if head.args.len() != decl.arity() {
            return Err(value_err(
                &head.name,
                format!(
                    "{} values given, {} expected",
                    head.args.len(),
                    decl.arity()
                ),
            ));
        }
        let mut values = Vec::new();
        for (arg, (_, ty)) in head.args.iter().zip(&decl.columns) {
            let v = constant_in(&arg.kind, *ty, self.interner.records()).ok_or_else(|| {
                value_err(
                    &head.name,
                    format!(
                        "`{}` is not a {} constant",
                        &src[arg.span.start..arg.span.end],
                        self.interner.records().type_name(*ty)
                    ),
                )
            })?;
            values.push(v);
        }
        Ok((decl.name.clone(), values))
    }

    /// The proof tree of the best derivation of `relation(values)`, or `None` if the fact
    /// does not hold. Without provenance tracking every fact is a leaf.
    pub fn explain(&mut self, relation: &str, values: &[Value]) -> Option<Proof> {
        let &rel = self.plan.rel_index.get(relation)?;
        let row = self.encode_row(&self.plan.relations[rel].clone(), values)?;
        let row = self.canonical_row(rel, row);
        let mut path = Vec::new();
        let mut proven = HashMap::new();
        self.prove(rel, row, &mut path, &mut proven)
    }

    /// [`Database::explain`] for a fact written as Datalog text.
    pub fn explain_text(&mut self, fact: &str) -> Result<Option<Proof>, Error> {
        let (name, values) = self.parse_fact(fact)?;
        Ok(self.explain(&name, &values))
    }

    fn prove(
        &mut self,
        rel: RelId,
        row: Vec<u64>,
        path: &mut Vec<(RelId, Vec<u64>)>,
        proven: &mut HashMap<(RelId, Vec<u64>), Proof>,
    ) -> Option<Proof> {
        if let Some(p) = proven.get(&(rel, row.clone())) {
            return Some(p.clone());
        }
        // A class membership `e@class(m, label)` reads as the pair `e(m, label)`.
        if let Some(eqrel) = self.plan.relations[rel].class_of {
            return self.prove(eqrel, row, path, proven);
        }
        if self.plan.relations[rel].eqrel {
            return self.prove_equivalent(rel, row, path, proven);
        }
        self.prove_row(rel, row, path, proven)
    }

    /// The proof of `e(a, b)` for an eqrel `e`: the pairs on the best paths from `a` and `b`
    /// to their class's label. A pair that holds on its own is proved as itself.
    fn prove_equivalent(
        &mut self,
        rel: RelId,
        row: Vec<u64>,
        path: &mut Vec<(RelId, Vec<u64>)>,
        proven: &mut HashMap<(RelId, Vec<u64>), Proof>,
    ) -> Option<Proof> {
        let classes = self.classes(rel);
        let m = classes.same(row[0], row[1])?;
        let pairs = self.rows[rel].as_ref()?;
        let steps: Vec<Vec<u64>> = classes
            .path(row[0], row[1])
            .into_iter()
            .map(|i| pairs.row(i).to_vec())
            .collect();
        let reversed = vec![row[1], row[0]];
        if let [only] = steps.as_slice()
            && (*only == row || *only == reversed)
        {
            return self.prove_row(rel, only.clone(), path, proven);
        }
        let mut node = self.node(rel, &row, m);
        for step in steps {
            node.premises.push(self.prove_row(rel, step, path, proven)?);
        }
        proven.insert((rel, row), node.clone());
        Some(node)
    }

    /// The premises of a fact a merge rewrote: the best of the facts it came from, as it was,
    /// and the pairs of the identity that read each of its symbols as the label.
    fn merge_premises(
        &mut self,
        rel: RelId,
        row: &[u64],
        path: &mut Vec<(RelId, Vec<u64>)>,
        proven: &mut HashMap<(RelId, Vec<u64>), Proof>,
    ) -> Vec<Proof> {
        let (Some(merge), Some(sources)) = (
            self.plan.merge,
            self.rewritten.get(&(rel, row.to_vec())).cloned(),
        ) else {
            return Vec::new();
        };
        let classes = self.classes(merge);
        let types = self.plan.relations[rel].types();
        let merged = |(from, m): &(Vec<u64>, Meta)| {
            let membership = merge::canonical_row(from, &types, &classes).map_or(1.0, |c| c.1.conf);
            m.conf * membership
        };
        let Some((from, m)) = sources
            .into_iter()
            .max_by(|a, b| merged(a).total_cmp(&merged(b)))
        else {
            return Vec::new();
        };
        let mut premises = vec![self.node(rel, &from, m)];
        for (col, (&was, &is)) in from.iter().zip(row).enumerate() {
            if was != is && self.plan.relations[rel].columns[col].1 == value::ColumnType::Symbol {
                premises.extend(self.prove(merge, vec![was, is], path, proven));
            }
        }
        premises
    }

    /// A proof node without premises for `rel(row)` with metadata `m`. In a functional
    /// relation it carries its time and the facts it replaced.
    fn node(&self, rel: RelId, row: &[u64], m: Meta) -> Proof {
        let mut node = self.leaf(rel, row, m);
        let decl = &self.plan.relations[rel];
        if let (Some(_), Some(history)) = (&decl.functional, decl.superseded) {
            node.time = Some(m.time);
            let rows = self.rows[history].as_ref();
            let mut old: Vec<(Meta, Proof)> = self
                .replaced(rel, row)
                .into_iter()
                .filter_map(|r| {
                    let m = rows.and_then(|x| x.find(&r).map(|i| x.meta(i)))?;
                    let mut p = self.leaf(rel, &r, m);
                    p.time = Some(m.time);
                    Some((m, p))
                })
                .collect();
            old.sort_by_key(|(m, _)| std::cmp::Reverse(m.time));
            node.supersedes = old.into_iter().map(|(_, p)| p).collect();
        }
        node
    }

    /// The values of an encoded row of `rel`.
    pub(crate) fn values_of(&self, rel: RelId, row: &[u64]) -> Vec<Value> {
        (row.iter().zip(&self.plan.relations[rel].columns))
            .map(|(&v, (_, ty))| value::decode(*ty, v, &self.interner))
            .collect()
    }

    /// A fact's text from its encoded row.
    pub(crate) fn fact_of(&self, rel: RelId, row: &[u64]) -> String {
        fact_text(&self.plan.relations[rel].name, &self.values_of(rel, row))
    }

    /// A proof node with nothing but the fact and its metadata (its premises left out).
    pub(crate) fn leaf(&self, rel: RelId, row: &[u64], m: Meta) -> Proof {
        Proof {
            fact: self.fact_of(rel, row),
            confidence: m.conf,
            depth: m.depth,
            rule: self.origin(m).to_string(),
            ..Proof::default()
        }
    }

    /// The proof of a fact stored in its relation's rows.
    fn prove_row(
        &mut self,
        rel: RelId,
        row: Vec<u64>,
        path: &mut Vec<(RelId, Vec<u64>)>,
        proven: &mut HashMap<(RelId, Vec<u64>), Proof>,
    ) -> Option<Proof> {
        let rows = self.rows[rel].as_ref()?;
        let i = rows.find(&row)?;
        let m = rows.meta(i);
        let decl = &self.plan.relations[rel];
        let mut node = self.node(rel, &row, m);
        if m.rule == ASSERTED || self.origin(m) == Origin::Untracked {
            return Some(node);
        }
        if path.contains(&(rel, row.clone())) {
            return None;
        }
        if path.len() >= MAX_PROOF_DEPTH {
            node.truncated = true;
            return Some(node);
        }
        if m.rule == MERGED {
            path.push((rel, row.clone()));
            node.premises = self.merge_premises(rel, &row, path, proven);
            path.pop();
            proven.insert((rel, row), node.clone());
            return Some(node);
        }
        let noisy = decl.combine == Combine::NoisyOr;
        let mut cands = self.derivations(m.rule, &row);
        if noisy {
            cands.sort_by(|a, b| b.meta.conf.total_cmp(&a.meta.conf));
        } else {
            cands.retain(|d| d.meta.conf >= m.conf * (1.0 - 2.0 * meta::EPSILON));
            let deepest = |d: &Derivation| {
                d.premises
                    .iter()
                    .map(|(r, row)| {
                        let rows = self.rows[*r].as_ref();
                        rows.and_then(|x| x.find(row).map(|i| x.meta(i).depth))
                            .unwrap_or(0)
                    })
                    .max()
                    .unwrap_or(0)
            };
            cands.sort_by_key(deepest);
        }
        path.push((rel, row.clone()));
        let mut found = None;
        'cands: for d in cands {
            let mut premises = Vec::new();
            for (r, prow) in d.premises {
                // Magic filters carry nothing; a class's label belongs to it by definition.
                let label = self.plan.relations[r].class_of.is_some() && prow[0] == prow[1];
                if self.plan.relations[r].magic || label {
                    continue;
                }
                match self.prove(r, prow, path, proven) {
                    Some(p) => premises.push(p),
                    None => continue 'cands,
                }
            }
            found = Some(premises);
            break;
        }
        path.pop();
        match found {
            Some(premises) => node.premises = premises,
            // A pair of the merge derived in an earlier pass, from facts the merge has since
            // rewritten: its derivation no longer matches; it stands on its own.
            None if self.plan.merge == Some(rel) => {}
            None => return None,
        }
        proven.insert((rel, row), node.clone());
        Some(node)
    }

    /// Every derivation of `row` by rule `rule_id` (index + 1), from the completed relations.
    fn derivations(&mut self, rule_id: u32, row: &[u64]) -> Vec<Derivation> {
        let plan = self.plan.clone();
        // A damaged store run may name a rule the program does not have: no derivation.
        let Some(rule) = plan.rules.get(rule_id as usize - 1) else {
            return Vec::new();
        };
        let n = rule.var_names.len();
        let mut env = vec![0u64; n];
        let mut bound = Vec::new();
        for (i, a) in rule.head_args.iter().enumerate() {
            if let IrExprKind::Var(v) = a.kind
                && !bound.contains(&v)
            {
                env[v] = row[i];
                bound.push(v);
            }
        }
        let compiled = solve::compile(
            &compile_nested(&rule.atoms, &rule.constraints, n, &bound),
            &bound,
            n,
        );
        let head = HeadMeta::of(&plan, rule_id as usize - 1);
        let mut out = Vec::new();
        let mut cx = Cx::for_lookups(&mut self.interner, &self.rows, &mut self.caches);
        let want = if rule.head_args.is_empty() {
            vec![0]
        } else {
            row.to_vec()
        };
        completed::solve(&compiled, &mut env, &mut cx, &mut |env, hits, cx| {
            let mut got: Vec<u64> = Vec::with_capacity(want.len());
            if !emit_head(&rule.head_args, env, cx, &mut got) || got != want {
                return;
            }
            let part = Meta::body(rule.meta.tnorm, hits.iter().map(|h| h.meta()));
            if let Some(meta) = head.derive(part, env, cx) {
                out.push(Derivation {
                    meta,
                    premises: hits.iter().map(|h| (h.rel(), h.row())).collect(),
                });
            }
        });
        out
    }
}
