//! Relations that combine by noisy-or: `1 - (1 - c1)(1 - c2)...` over distinct derivations.
//!
//! The planner only allows noisy-or outside cycles, so such a relation is a stratum of its own
//! and every relation its rules read is complete. Each rule's body is enumerated by nested
//! loops over the full facts (no projection, so two derivations that differ only in a column
//! the head does not use stay two derivations), and each derivation counts once.

use super::Mode;
use super::Rows;
use super::completed;
use super::emit::{HeadMeta, emit_head};
use super::expr::Cx;
use super::meta::{Meta, cells};
use super::solve::{self, Fact as _};
use crate::plan::ir::{Plan, Stratum};
use crate::plan::order::compile_nested;
use std::collections::HashMap;

/// A fact's evidence so far.
struct Evidence {
    /// The noisy-or of the confidences seen.
    conf: f64,
    /// The best single derivation (its rule is the fact's origin).
    best: Meta,
    /// The smallest depth.
    depth: u32,
    /// The latest time.
    time: i64,
}

impl Evidence {
    fn add(&mut self, m: Meta) {
        // 1 - (1 - a)(1 - b), written so that one derivation keeps its exact confidence.
        self.conf = self.conf + m.conf - self.conf * m.conf;
        if m.conf > self.best.conf {
            self.best = m;
        }
        self.depth = self.depth.min(m.depth);
        self.time = self.time.max(m.time);
    }
}

/// Evaluates a noisy-or relation's stratum; `asserted` holds its input facts with metadata.
pub(super) fn eval_noisy_or(
    plan: &Plan,
    stratum: &Stratum,
    asserted: Vec<u64>,
    mode: Mode,
    cx: &mut Cx<'_>,
) -> Rows {
    let n_cells = cells(mode.time);
    let rel = stratum.relations[0];
    let arity = plan.relations[rel].arity();
    let w = arity.max(1);
    let mut facts: HashMap<Vec<u64>, Evidence> = HashMap::new();
    let mut add = |key: Vec<u64>, m: Meta| match facts.get_mut(&key) {
        Some(e) => e.add(m),
        None => {
            facts.insert(
                key,
                Evidence {
                    conf: m.conf,
                    best: m,
                    depth: m.depth,
                    time: m.time,
                },
            );
        }
    };
    // An input fact listed twice is one assertion: its best confidence counts, once.
    let mut inputs: HashMap<Vec<u64>, Meta> = HashMap::new();
    for row in asserted.chunks_exact(w + n_cells) {
        let m = Meta::read(&row[w..], true);
        let e = inputs.entry(row[..w].to_vec()).or_insert(m);
        if m.conf > e.conf {
            *e = m;
        }
    }
    for (key, m) in inputs {
        add(key, m);
    }
    for &ri in &stratum.rules {
        let rule = &plan.rules[ri];
        let n = rule.var_names.len();
        let compiled = solve::compile(
            &compile_nested(&rule.atoms, &rule.constraints, n, &[]),
            &[],
            n,
        );
        let head = HeadMeta {
            rule: &rule.meta,
            id: ri as u32 + 1,
            magic: false,
            min_conf: plan.min_confidence,
            forget: &plan.forget,
        };
        let mut env = vec![0u64; n];
        completed::solve(&compiled, &mut env, cx, &mut |env, hits, cx| {
            let mut row = Vec::with_capacity(w);
            if !emit_head(&rule.head_args, env, cx, &mut row) {
                return;
            }
            let part = Meta::body(rule.meta.tnorm, hits.iter().map(|h| h.meta()));
            if let Some(m) = head.derive(part, env, cx) {
                add(row, m);
            }
        });
    }
    let mut keys: Vec<(Vec<u64>, Evidence)> = facts.into_iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut data = Vec::with_capacity(keys.len() * (w + n_cells));
    for (key, e) in keys {
        data.extend_from_slice(&key);
        Meta {
            conf: e.conf,
            depth: e.depth,
            rule: e.best.rule,
            time: e.time,
        }
        .push(&mut data, true, mode.time);
    }
    Rows {
        arity,
        width: w + n_cells,
        meta: true,
        data,
    }
}
