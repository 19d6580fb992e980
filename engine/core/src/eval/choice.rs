//! Soufflé's `choice-domain`: of the facts derived for a relation, one per value of each
//! domain holds, the first. Applied where facts enter the relation's variable (its asserted
//! facts, then each round's derivations), so that a recursive rule reads only the facts
//! chosen. Within one batch the facts are taken in value order, so a run gives the same
//! choice every time.

use super::vars::Cell;
use crate::plan::ir::RelDecl;
use std::cell::RefCell;
use std::collections::HashMap;

/// The choices made so far for one relation.
pub(super) struct Choice {
    domains: Vec<Vec<usize>>,
    arity: usize,
    /// Per domain: each value taken, and the fact (its values) that took it.
    taken: RefCell<Vec<HashMap<Vec<u64>, Vec<u64>>>>,
}

impl Choice {
    /// The choices of a relation with a `choice-domain`, none made yet.
    pub(super) fn of(decl: &RelDecl) -> Option<Choice> {
        (!decl.choice.is_empty()).then(|| Choice {
            domains: decl.choice.clone(),
            arity: decl.arity(),
            taken: RefCell::new(vec![HashMap::new(); decl.choice.len()]),
        })
    }

    /// Keeps, of `rows` (`width` cells each, the values first), the facts that take no value
    /// of a domain another fact holds: a fact already chosen passes again (a better
    /// confidence for it), another fact with one of its domains' values is dropped.
    pub(super) fn filter<T: Cell>(&self, rows: &mut Vec<T>, width: usize) {
        let n = rows.len() / width;
        let mut order: Vec<usize> = (0..n).collect();
        let values = |i: usize| &rows[i * width..i * width + self.arity];
        order.sort_by(|&a, &b| values(a).cmp(values(b)));
        let mut taken = self.taken.borrow_mut();
        let mut keep = vec![false; n];
        for i in order {
            let fact: Vec<u64> = values(i).iter().map(|c| c.get()).collect();
            let key = |cols: &[usize]| cols.iter().map(|&c| fact[c]).collect::<Vec<u64>>();
            let free = (self.domains.iter().zip(taken.iter()))
                .all(|(cols, t)| t.get(&key(cols)).is_none_or(|holder| *holder == fact));
            if free {
                for (cols, t) in self.domains.iter().zip(taken.iter_mut()) {
                    t.entry(key(cols)).or_insert_with(|| fact.clone());
                }
                keep[i] = true;
            }
        }
        let mut out = 0;
        for (i, k) in keep.into_iter().enumerate() {
            if k {
                rows.copy_within(i * width..(i + 1) * width, out * width);
                out += 1;
            }
        }
        rows.truncate(out * width);
    }
}
