//! What one join step does with its matches: projections that feed joins, and the emitter that
//! turns matched row pairs into output rows, with their confidence and depth when evaluation
//! tracks provenance.

use super::expr::{Cx, eval, run_ops};
use super::join::{RowSlice, merge_join};
use super::meta::{self, Meta};
use super::range::{self, Bindings};
use super::vars::{AnyVar, Cell, Flat};
use crate::plan::ir::*;
use crate::plan::order::{Access, AccessFilter, Output, Side, Step};
use crate::value::dec_float;

/// Projects rows through an access: filters, then picks the access's columns. With `meta`, the
/// source rows are facts and the projection keeps their confidence and depth (and time, with
/// `time`).
pub(super) fn project<T: Cell>(
    a: &Access,
    rows: RowSlice<'_, T>,
    meta: bool,
    time: bool,
    out: &mut Vec<u64>,
) {
    'rows: for i in 0..rows.len() {
        let row = rows.row(i);
        for f in &a.filters {
            let ok = match *f {
                AccessFilter::Const(c, v) => row[c].get() == v,
                AccessFilter::SameAs(x, y) => row[x] == row[y],
            };
            if !ok {
                continue 'rows;
            }
        }
        if a.cols.is_empty() {
            out.push(0);
        } else {
            out.extend(a.cols.iter().map(|&c| row[c].get()));
        }
        if meta {
            let at = row.len() - meta::cells(time);
            Meta::read_at(row, at, true, time).push(out, false, time);
        }
    }
}

/// How a rule's derivations get their metadata (provenance tracking only).
pub(crate) struct HeadMeta<'r> {
    /// The rule's settings.
    pub rule: &'r RuleMeta,
    /// The rule's id in fact metadata (index + 1).
    pub id: u32,
    /// The head is a magic-set relation: its facts carry no confidence or depth.
    pub magic: bool,
    /// Derived facts below this are pruned.
    pub min_conf: f64,
    /// Derivations these policies forget are dropped.
    pub forget: &'r [Forget],
}

impl<'r> HeadMeta<'r> {
    /// How rule `ri` of `plan` derives.
    pub(crate) fn of(plan: &'r Plan, ri: usize) -> HeadMeta<'r> {
        let rule = &plan.rules[ri];
        HeadMeta {
            rule: &rule.meta,
            id: ri as u32 + 1,
            magic: plan.relations[rule.head].magic,
            min_conf: plan.min_confidence,
            forget: &plan.forget,
        }
    }

    /// The metadata of a derivation whose body combined to `part`, or `None` when the depth
    /// bound or the confidence threshold rules it out. `env` is the binding, for a head
    /// confidence expression.
    #[inline]
    pub(crate) fn derive(&self, part: Meta, env: &[u64], cx: &mut Cx<'_>) -> Option<Meta> {
        self.judge(part, env, cx).ok()
    }

    /// [`HeadMeta::derive`], saying which bound cut a derivation it rules out (why-not
    /// explanations read it).
    #[inline]
    pub(crate) fn judge(&self, part: Meta, env: &[u64], cx: &mut Cx<'_>) -> Result<Meta, Cut> {
        if self.magic {
            return Ok(Meta::asserted(1.0));
        }
        let depth = part.depth.saturating_add(1);
        if let Some(max) = self.rule.max_depth.filter(|&d| depth > d) {
            return Err(Cut::Depth { max, depth });
        }
        let depth = depth.min(meta::MAX_DEPTH);
        let conf = match &self.rule.head_conf {
            Some(e) => eval(e, env, cx)
                .and_then(|v| meta::clamp_confidence(dec_float(v)))
                .ok_or(Cut::HeadConfidence)?,
            None => self.rule.weight * part.conf,
        };
        if conf < self.min_conf {
            return Err(Cut::Confidence {
                min: self.min_conf,
                conf,
            });
        }
        if let Some(policy) = self.forget.iter().find(|p| p.forgets(conf, part.time)) {
            return Err(Cut::Forgotten {
                policy: *policy,
                conf,
                time: part.time,
            });
        }
        Ok(Meta {
            conf,
            depth,
            rule: self.id,
            time: part.time,
        })
    }
}

/// Why [`HeadMeta::judge`] ruled a derivation out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cut {
    /// The rule's `@max_depth(max)`: the derivation would have been `depth` deep.
    Depth { max: u32, depth: u32 },
    /// The program's `min_confidence`: the derivation's confidence was below it.
    Confidence { min: f64, conf: f64 },
    /// A forgetting policy (a store's cleanup) drops derivations this weak and this old.
    Forgotten {
        policy: Forget,
        conf: f64,
        time: i64,
    },
    /// The head's confidence expression gave no confidence in (0, 1].
    HeadConfidence,
}

/// Where the metadata cells of a step's inputs start, and how the rule derives.
pub(super) struct StepMeta<'r> {
    /// First metadata cell of a left row.
    pub left_at: usize,
    /// Whether left rows are facts (their last metadata cell packs depth and rule).
    pub left_fact: bool,
    /// First metadata cell of a right row.
    pub right_at: usize,
    /// Whether right rows are facts.
    pub right_fact: bool,
    /// Whether rows carry a time.
    pub time: bool,
    /// The rule's derivation settings.
    pub head: HeadMeta<'r>,
}

/// Turns joined row pairs into output rows: loads variables, runs the step's ops, projects. The
/// output cells are `O`: `u32` straight into a symbol-only relation's buffer, `u64` otherwise.
pub(super) struct Emitter<'s, 'e, 'c, 'a, O: Cell = u64> {
    step: &'s Step,
    env: &'e mut [u64],
    cx: &'c mut Cx<'a>,
    buf: &'e mut Vec<O>,
    /// When the step has no ops and every output value is an input cell or a constant: where
    /// each output value comes from, so rows are copied without going through `env`.
    direct: Option<Vec<Src>>,
    meta: Option<StepMeta<'s>>,
    /// Whether the step's ops make several bindings (a `range`).
    generates: bool,
    /// Derivations until the next check of the limits ([`crate::limits::pulse`]).
    until_pulse: u32,
    /// Whether a limit stopped the round: nothing more is derived.
    stopped: bool,
}

/// Where a directly copied output value comes from.
#[derive(Clone, Copy)]
enum Src {
    Left(usize),
    Right(usize),
    Const(u64),
}

#[inline(always)]
fn read_part<T: Cell>(row: &[T], at: usize, fact: bool, time: bool) -> Meta {
    let mut m = Meta::read_at(row, at, fact, time);
    m.rule = meta::ASSERTED;
    m
}

impl<'s, 'e, 'c, 'a, O: Cell> Emitter<'s, 'e, 'c, 'a, O> {
    pub(super) fn new(
        step: &'s Step,
        env: &'e mut [u64],
        cx: &'c mut Cx<'a>,
        buf: &'e mut Vec<O>,
        meta: Option<StepMeta<'s>>,
    ) -> Self {
        let from_var = |v: VarId| {
            step.loads
                .iter()
                .find(|l| l.0 == v)
                .map(|&(_, side, c)| match side {
                    Side::Left => Src::Left(c),
                    Side::Right => Src::Right(c),
                })
        };
        let needs_env = !step.ops.is_empty()
            || !step.conf_loads.is_empty()
            || meta
                .as_ref()
                .is_some_and(|m| m.head.rule.head_conf.is_some());
        let direct = if needs_env {
            None
        } else {
            match &step.out {
                Output::Intermediate(_, layout) if !layout.is_empty() => {
                    layout.iter().map(|&v| from_var(v)).collect()
                }
                Output::Head(args) if !args.is_empty() => args
                    .iter()
                    .map(|a| match a.kind {
                        IrExprKind::Var(v) => from_var(v),
                        IrExprKind::Const(c) => Some(Src::Const(c)),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        };
        Emitter {
            step,
            env,
            cx,
            buf,
            direct,
            meta,
            generates: range::generates(&step.ops),
            until_pulse: crate::limits::PULSE,
            stopped: false,
        }
    }

    /// Counts one derivation, checking the limits every [`crate::limits::PULSE`]; whether a
    /// limit stopped the round.
    #[inline]
    fn tick(&mut self) -> bool {
        self.until_pulse -= 1;
        if self.until_pulse == 0 {
            self.until_pulse = crate::limits::PULSE;
            let held = self.buf.len() * std::mem::size_of::<O>();
            self.stopped |= crate::limits::pulse(held);
        }
        self.stopped
    }

    #[inline]
    fn emit<L: Cell, R: Cell>(&mut self, l: &[L], r: &[R]) {
        if self.tick() {
            return;
        }
        let mark = self.buf.len();
        // The partial derivation's metadata, and `@ c` bindings.
        let part = self.meta.as_ref().map(|m| {
            let lm = read_part(l, m.left_at, m.left_fact, m.time);
            if self.step.right.is_none() {
                return (lm, lm);
            }
            let rm = read_part(r, m.right_at, m.right_fact, m.time);
            (lm.and(m.head.rule.tnorm, &rm), rm)
        });
        if let Some(direct) = &self.direct {
            self.buf.extend(direct.iter().map(|s| {
                O::put(match *s {
                    Src::Left(c) => l[c].get(),
                    Src::Right(c) => r[c].get(),
                    Src::Const(k) => k,
                })
            }));
        } else {
            for &(v, side, c) in &self.step.loads {
                self.env[v] = match side {
                    Side::Left => l[c].get(),
                    Side::Right => r[c].get(),
                };
            }
            if let (Some(m), Some((_, rm))) = (&self.meta, &part) {
                for &(vars, side) in &self.step.conf_loads {
                    let fact = match side {
                        Side::Left => read_part(l, m.left_at, m.left_fact, m.time),
                        Side::Right => *rm,
                    };
                    vars.bind(self.env, fact.conf, fact.time);
                }
            }
            if self.generates {
                // One output per binding: per value of each `range`.
                let mut each = Bindings::new(&self.step.ops);
                while each.next(self.env, self.cx) {
                    let mark = self.buf.len();
                    if self.output() {
                        self.finish(part, mark);
                    }
                    if self.tick() {
                        return;
                    }
                }
                return;
            }
            if !self.step.ops.is_empty() && !run_ops(&self.step.ops, self.env, self.cx) {
                return;
            }
            if !self.output() {
                return;
            }
        }
        self.finish(part, mark);
    }

    /// Writes the step's output row from `env`; false (nothing written) when a head
    /// expression has no value.
    #[inline]
    fn output(&mut self) -> bool {
        match &self.step.out {
            Output::Intermediate(_, layout) => {
                if layout.is_empty() {
                    self.buf.push(O::put(0));
                } else {
                    self.buf.extend(layout.iter().map(|&v| O::put(self.env[v])));
                }
                true
            }
            Output::Head(args) => emit_head(args, self.env, self.cx, self.buf),
        }
    }

    /// Writes the metadata after the row written from `mark`: the partial derivation's, or
    /// the head's (the row is dropped when the head's confidence is none).
    #[inline]
    fn finish(&mut self, part: Option<(Meta, Meta)>, mark: usize) {
        let (Some(m), Some((part, _))) = (&self.meta, part) else {
            return;
        };
        match &self.step.out {
            Output::Intermediate(..) => part.push(self.buf, false, m.time),
            Output::Head(_) => match m.head.derive(part, self.env, self.cx) {
                Some(d) => d.push(self.buf, true, m.time),
                None => self.buf.truncate(mark),
            },
        }
    }

    pub(super) fn map(&mut self, rows: Flat<'_>, w: usize) {
        match rows {
            Flat::Narrow(d) => self.map_rows(RowSlice::new(d, w)),
            Flat::Wide(d) => self.map_rows(RowSlice::new(d, w)),
        }
    }

    fn map_rows<T: Cell>(&mut self, rows: RowSlice<'_, T>) {
        for i in 0..rows.len() {
            self.emit::<T, u64>(rows.row(i), &[]);
            if self.stopped {
                return;
            }
        }
    }

    fn join(&mut self, l: Flat<'_>, lw: usize, r: Flat<'_>, rw: usize) {
        let k = self.step.key_len;
        match (l, r) {
            (Flat::Narrow(a), Flat::Narrow(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y);
                    !self.stopped
                })
            }
            (Flat::Narrow(a), Flat::Wide(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y);
                    !self.stopped
                })
            }
            (Flat::Wide(a), Flat::Narrow(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y);
                    !self.stopped
                })
            }
            (Flat::Wide(a), Flat::Wide(b)) => {
                merge_join(RowSlice::new(a, lw), RowSlice::new(b, rw), k, |x, y| {
                    self.emit(x, y);
                    !self.stopped
                })
            }
        }
    }
}

/// One semi-naive round of one step: new-left x old-right, old-left x new-right, new x new.
pub(super) fn run_step<O: Cell>(
    step: &Step,
    left: &AnyVar,
    right: Option<&AnyVar>,
    em: &mut Emitter<'_, '_, '_, '_, O>,
) {
    let lw = left.width();
    let Some(right) = right else {
        left.with_recent(|rows| em.map(rows, lw));
        return;
    };
    debug_assert!(step.right.is_some());
    let rw = right.width();
    left.with_recent(|lr| {
        right.with_stable(|batches| {
            for &b in batches {
                em.join(lr, lw, b, rw);
            }
        })
    });
    left.with_stable(|batches| {
        right.with_recent(|rr| {
            for &b in batches {
                em.join(b, lw, rr, rw);
            }
        })
    });
    left.with_recent(|lr| right.with_recent(|rr| em.join(lr, lw, rr, rw)));
}

/// Appends the head row for the binding; false (and nothing appended) if an expression is
/// undefined.
pub fn emit_head<O: Cell>(args: &[IrExpr], env: &[u64], cx: &mut Cx<'_>, buf: &mut Vec<O>) -> bool {
    let mark = buf.len();
    if args.is_empty() {
        buf.push(O::put(0));
        return true;
    }
    for a in args {
        let v = match a.kind {
            IrExprKind::Var(v) => env[v],
            IrExprKind::Const(c) => c,
            _ => match eval(a, env, cx) {
                Some(v) => v,
                None => {
                    buf.truncate(mark);
                    return false;
                }
            },
        };
        buf.push(O::put(v));
    }
    true
}
