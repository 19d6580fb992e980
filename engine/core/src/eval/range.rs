//! Soufflé's `range(from, to[, step])`: one binding per value. The planner gives each use its
//! own variable, bound by the assignment `v = range(...)`; running a body's ops then yields one
//! binding per value of each range ([`Bindings`]), where ops without a range yield one binding
//! or none.

use super::expr::{Cx, eval, run_ops};
use crate::plan::ir::{Functor, IrExpr, IrExprKind, VarId};
use crate::plan::order::Op;
use crate::value::{ColumnType, dec_float, dec_number, enc_float, enc_number};

/// Whether any of `ops` makes several bindings (a `range`).
pub(crate) fn generates(ops: &[Op]) -> bool {
    ops.iter().any(|op| range_of(op).is_some())
}

/// For `v = range(...)`: `v` and the range's arguments.
fn range_of(op: &Op) -> Option<(VarId, &[IrExpr])> {
    match op {
        Op::Assign(v, e) => match &e.kind {
            IrExprKind::Call(Functor::Range, args) => Some((*v, args)),
            _ => None,
        },
        Op::Check(_) => None,
    }
}

/// The values of one range, as Soufflé gives them: from `from` by `step` while short of `to`
/// (`to` itself excluded). Without a step it is 1 upwards, or -1 when `to` is below `from`; a
/// step of the wrong sign (or 0) gives nothing.
#[derive(Clone, Debug)]
enum Values {
    Int {
        next: i64,
        to: i64,
        step: i64,
    },
    Uint {
        next: u64,
        to: u64,
        up: bool,
        step: u64,
    },
    Float {
        next: f64,
        to: f64,
        step: f64,
    },
}

impl Values {
    fn new(args: &[IrExpr], ty: ColumnType, env: &[u64], cx: &mut Cx<'_>) -> Option<Values> {
        let from = eval(&args[0], env, cx)?;
        let to = eval(&args[1], env, cx)?;
        let step = match args.get(2) {
            Some(s) => Some(eval(s, env, cx)?),
            None => None,
        };
        Some(match ty {
            ColumnType::Float => {
                let (from, to) = (dec_float(from), dec_float(to));
                let step = step.map_or(if to < from { -1.0 } else { 1.0 }, dec_float);
                Values::Float {
                    next: from,
                    to,
                    step,
                }
            }
            ColumnType::Unsigned => {
                let up = to >= from;
                Values::Uint {
                    next: from,
                    to,
                    up,
                    // An unsigned step is a distance in the range's direction.
                    step: step.unwrap_or(1),
                }
            }
            _ => {
                let (from, to) = (dec_number(from), dec_number(to));
                let step = step.map_or(if to < from { -1 } else { 1 }, dec_number);
                Values::Int {
                    next: from,
                    to,
                    step,
                }
            }
        })
    }

    /// The next value, encoded.
    fn next(&mut self) -> Option<u64> {
        match self {
            Values::Int { next, to, step } => {
                let x = *next;
                let ahead = (*step > 0 && x < *to) || (*step < 0 && x > *to);
                if !ahead {
                    return None;
                }
                // Past the end of the numbers: the last value was this one.
                *next = x.checked_add(*step).unwrap_or(*to);
                Some(enc_number(x))
            }
            Values::Uint { next, to, up, step } => {
                let x = *next;
                let ahead = *step > 0 && if *up { x < *to } else { x > *to };
                if !ahead {
                    return None;
                }
                *next = if *up {
                    x.checked_add(*step).unwrap_or(*to)
                } else {
                    x.checked_sub(*step).map_or(*to, |n| n.max(*to))
                };
                Some(x)
            }
            Values::Float { next, to, step } => {
                let x = *next;
                let ahead = (*step > 0.0 && x < *to) || (*step < 0.0 && x > *to);
                if !ahead {
                    return None;
                }
                *next = x + *step;
                Some(enc_float(x))
            }
        }
    }
}

/// The bindings a list of ops makes from one binding, one at a time: each call to
/// [`Bindings::next`] leaves the next one in `env`. Ops without a range make one binding (if
/// every check holds and every assignment has a value) or none.
pub(crate) struct Bindings<'o> {
    ops: &'o [Op],
    started: bool,
    /// The ranges being walked: the op's index and its remaining values.
    open: Vec<(usize, Values)>,
}

impl<'o> Bindings<'o> {
    pub(crate) fn new(ops: &'o [Op]) -> Bindings<'o> {
        Bindings {
            ops,
            started: false,
            open: Vec::new(),
        }
    }

    /// Moves `env` to the next binding; false when there is none left.
    pub(crate) fn next(&mut self, env: &mut [u64], cx: &mut Cx<'_>) -> bool {
        let mut i = if self.started {
            match self.backtrack(env) {
                Some(i) => i,
                None => return false,
            }
        } else {
            self.started = true;
            0
        };
        while i < self.ops.len() {
            let op = &self.ops[i];
            let advanced = match range_of(op) {
                Some((v, args)) => {
                    let ty = args[0].ty;
                    match Values::new(args, ty, env, cx) {
                        Some(mut values) => match values.next() {
                            Some(x) => {
                                env[v] = x;
                                self.open.push((i, values));
                                true
                            }
                            None => false,
                        },
                        None => false,
                    }
                }
                None => run_ops(std::slice::from_ref(op), env, cx),
            };
            i = if advanced {
                i + 1
            } else {
                match self.backtrack(env) {
                    Some(i) => i,
                    None => return false,
                }
            };
        }
        true
    }

    /// Moves the innermost range with values left to its next value: the index of the op after
    /// it, or `None` when every range is done.
    fn backtrack(&mut self, env: &mut [u64]) -> Option<usize> {
        while let Some((i, values)) = self.open.last_mut() {
            if let Some(x) = values.next() {
                let (v, _) = range_of(&self.ops[*i]).expect("a range op");
                env[v] = x;
                return Some(*i + 1);
            }
            self.open.pop();
        }
        None
    }
}
