//! Supersession: a relation declared `functional(keys...)` keeps one fact per key, the newest.
//!
//! Its stratum is evaluated as usual (the planner refuses a recursive functional relation, so
//! its facts are complete when its stratum ends and nothing has read it yet). Then, of the
//! facts that agree on the key columns, the one with the latest time holds; on equal times the
//! greatest by value (column by column, in output order) holds, so a run and a store give the
//! same answer whatever order the facts came in. The others move to the relation's history
//! relation `<name>@superseded`: they no longer hold and derive nothing, and `explain` and
//! `export` still show them.

use super::Rows;
use crate::plan::ir::RelDecl;
use crate::value::{self, Interner};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Splits the completed facts of a functional relation into the newest per key (which hold)
/// and the rest (superseded), both sorted as the input was.
pub(crate) fn split(
    decl: &RelDecl,
    keys: &[usize],
    rows: Rows,
    interner: &Interner,
) -> (Rows, Rows) {
    let newer = |a: usize, b: usize| -> bool {
        let by_time = rows.meta(a).time.cmp(&rows.meta(b).time);
        let by_value = || {
            let (ra, rb) = (rows.row(a), rows.row(b));
            decl.columns
                .iter()
                .enumerate()
                .map(|(c, (_, ty))| value::compare(*ty, ra[c], rb[c], interner))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        by_time.then_with(by_value) == Ordering::Greater
    };
    let mut best: HashMap<Vec<u64>, usize> = HashMap::new();
    for i in 0..rows.len() {
        let key: Vec<u64> = keys.iter().map(|&c| rows.row(i)[c]).collect();
        best.entry(key)
            .and_modify(|b| {
                if newer(i, *b) {
                    *b = i;
                }
            })
            .or_insert(i);
    }
    let mut holds = vec![false; rows.len()];
    for &i in best.values() {
        holds[i] = true;
    }
    let mut live = Rows::empty(rows.arity, rows.mode());
    let mut old = Rows::empty(rows.arity, rows.mode());
    for (i, cells) in rows.data.chunks_exact(rows.width).enumerate() {
        let out = if holds[i] { &mut live } else { &mut old };
        out.data.extend_from_slice(cells);
    }
    (live, old)
}
