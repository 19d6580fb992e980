//! `?-` queries over completed relations, with each answer's confidence, depth and origin.

use super::Rows;
use super::completed::{self, Caches};
use super::emit::emit_head;
use super::expr::Cx;
use super::meta::Meta;
use super::solve::{self, Fact as _};
use crate::plan::ir::{IrQuery, TNorm};
use crate::plan::order::compile_nested;
use crate::value::Interner;
use rustc_hash::FxHashMap as HashMap;

/// One answer of a query, encoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The answer columns' values.
    pub row: Vec<u64>,
    /// The best confidence among the bindings giving this answer: the product of the matched
    /// facts' confidences.
    pub conf: f64,
    /// The smallest depth among those bindings: the largest depth of the matched facts.
    pub depth: u32,
    /// The latest time among the matched facts, over those bindings.
    pub time: i64,
    /// When the query has exactly one atom: the matched fact's rule id.
    pub rule: Option<u32>,
}

/// Answers a query: distinct answers, sorted by their encoded values. `functors` are the
/// program's user-defined functors, which the query may call.
pub fn answer_query(
    q: &IrQuery,
    done: &[Option<Rows>],
    interner: &mut Interner,
    functors: &[crate::plan::functors::UserFunctor],
) -> Result<Vec<Answer>, super::EvalError> {
    let rule = &q.rule;
    let n = rule.var_names.len();
    let nplan = compile_nested(&rule.atoms, &rule.constraints, n, &[]);
    let compiled = solve::compile(&nplan, &[], n);
    let mut caches = Caches::with_functors(functors);
    let mut cx = Cx {
        interner,
        done,
        caches: &mut caches,
        tables: None,
        stop: false,
        few: false,
    };
    let mut env = vec![0u64; n];
    let mut best = Answers::default();
    completed::solve(&compiled, &mut env, &mut cx, &mut |env, hits, cx| {
        let mut row = Vec::new();
        if !emit_head(&rule.head_args, env, cx, &mut row) {
            return;
        }
        if rule.head_args.is_empty() {
            row.clear();
        }
        let metas: Vec<Meta> = hits.iter().map(|h| h.meta()).collect();
        best.add(row, &metas);
    });
    match caches.functor_error {
        Some(e) => Err(super::EvalError::Functor(e)),
        None => Ok(best.finish()),
    }
}

/// Distinct answers as bindings are found: per answer row, the best confidence (with its
/// rule), the smallest depth, the latest time.
#[derive(Default)]
pub struct Answers {
    best: HashMap<Vec<u64>, Answer>,
}

impl Answers {
    /// One binding's answer row and the metadata of the facts it matched.
    pub fn add(&mut self, row: Vec<u64>, metas: &[Meta]) {
        let body = Meta::body(TNorm::Product, metas.iter().copied());
        let answer = Answer {
            conf: body.conf,
            depth: body.depth,
            time: body.time,
            rule: match metas {
                [one] => Some(one.rule),
                _ => None,
            },
            row: row.clone(),
        };
        match self.best.get_mut(&row) {
            None => {
                self.best.insert(row, answer);
            }
            Some(b) => {
                if answer.conf > b.conf {
                    b.conf = answer.conf;
                    b.rule = answer.rule;
                }
                b.depth = b.depth.min(answer.depth);
                b.time = b.time.max(answer.time);
            }
        }
    }

    /// The answers, sorted by their encoded values.
    pub fn finish(self) -> Vec<Answer> {
        let mut answers: Vec<Answer> = self.best.into_values().collect();
        answers.sort_unstable_by(|a, b| a.row.cmp(&b.row));
        answers
    }
}
