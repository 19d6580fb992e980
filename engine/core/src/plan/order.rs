//! Join order and the compiled shape of each rule: which projections of which relations are
//! joined on which keys, and where each filter, assignment and negation runs.

use super::ir::*;

/// A projection of a relation used as a join input: output row = the relation's columns `cols`,
/// restricted to rows passing `filters`.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    /// The relation.
    pub rel: RelId,
    /// Relation columns, in output order.
    pub cols: Vec<usize>,
    /// Row filters.
    pub filters: Vec<AccessFilter>,
}

impl Access {
    /// Whether the projection is the relation itself.
    pub fn is_identity(&self, arity: usize) -> bool {
        self.filters.is_empty()
            && self.cols.len() == arity
            && self.cols.iter().enumerate().all(|(i, &c)| i == c)
    }
}

/// A filter applied while projecting a relation.
#[derive(Clone, Debug, PartialEq)]
pub enum AccessFilter {
    /// Column equals a constant.
    Const(usize, u64),
    /// Two columns are equal (a repeated variable).
    SameAs(usize, usize),
}

/// A step that runs on a full binding: an assignment or a check.
#[derive(Clone, Debug)]
pub enum Op {
    /// Bind a variable to an expression's value (fails when the value is undefined).
    Assign(VarId, IrExpr),
    /// Keep the binding only if the constraint holds.
    Check(Constraint),
}

/// Where a join input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An access (index into [`RulePlan`]'s shared access table).
    Access(usize),
    /// The intermediate result of an earlier step of the same rule.
    Intermediate(usize),
}

/// Which side of a join a loaded value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The left input row.
    Left,
    /// The right input row.
    Right,
}

/// Where a step's output rows go.
#[derive(Clone, Debug)]
pub enum Output {
    /// An intermediate keyed for the next step: the values of these variables, in order.
    Intermediate(usize, Vec<VarId>),
    /// The rule's head: one expression per column.
    Head(Vec<IrExpr>),
}

/// One binary join (or, with no right input, a map) of a rule's pipeline.
#[derive(Clone, Debug)]
pub struct Step {
    /// Left input.
    pub left: Source,
    /// Right input; `None` for a single-atom rule.
    pub right: Option<Source>,
    /// Number of leading columns both inputs are keyed on.
    pub key_len: usize,
    /// Variables read from the input rows.
    pub loads: Vec<(VarId, Side, usize)>,
    /// `@ c` and `~ t` variables bound to the confidence and time of the fact on one side
    /// (that side is the atom's own projection).
    pub conf_loads: Vec<(MetaVars, Side)>,
    /// Assignments and checks, in order.
    pub ops: Vec<Op>,
    /// Where results go.
    pub out: Output,
}

/// The compiled pipeline of one rule.
#[derive(Clone, Debug)]
pub struct RulePlan {
    /// The rule (index into [`Plan::rules`]).
    pub rule: usize,
    /// Steps in order; empty for a rule without positive atoms.
    pub steps: Vec<Step>,
    /// For a rule without positive atoms: its ops, run once.
    pub once_ops: Vec<Op>,
}

/// A nested-loop plan over completed relations (for aggregates, queries and negation).
#[derive(Clone, Debug, Default)]
pub struct NestedPlan {
    /// Ops that run before the first atom.
    pub pre: Vec<Op>,
    /// Each atom, and the ops that run once it is bound.
    pub levels: Vec<(IrAtom, Vec<Op>)>,
}

/// Orders the atoms so that each one shares a variable with the ones before it whenever any
/// remaining atom does (never a cross product while a shared variable exists).
pub fn join_order(atoms: &[IrAtom], bound_at_start: &[VarId]) -> Vec<usize> {
    let mut order = Vec::new();
    let mut bound: Vec<VarId> = bound_at_start.to_vec();
    let mut left: Vec<usize> = (0..atoms.len()).collect();
    while !left.is_empty() {
        let pick = left
            .iter()
            .position(|&i| atoms[i].vars().iter().any(|v| bound.contains(v)))
            .filter(|_| !order.is_empty() || !bound.is_empty())
            .or_else(|| {
                // Prefer an atom with a constant when starting fresh.
                left.iter()
                    .position(|&i| atoms[i].args.iter().any(|a| matches!(a, AtomArg::Const(_))))
            })
            .unwrap_or(0);
        let i = left.remove(pick);
        bound.extend(atoms[i].vars());
        order.push(i);
    }
    order
}

/// Schedules every constraint that can run given `bound`, marking what it binds.
fn schedule(pending: &mut Vec<Constraint>, bound: &mut [bool]) -> Vec<Op> {
    let mut ops = Vec::new();
    loop {
        let mut progressed = false;
        let mut i = 0;
        while i < pending.len() {
            let c = &pending[i];
            if let Some((v, e)) = c.assignment(bound) {
                let e = e.clone();
                bound[v] = true;
                ops.push(Op::Assign(v, e));
                pending.remove(i);
                progressed = true;
                continue;
            }
            if c.vars().iter().all(|&v| bound[v]) {
                ops.push(Op::Check(pending.remove(i)));
                progressed = true;
                continue;
            }
            i += 1;
        }
        if !progressed {
            return ops;
        }
    }
}

fn access_for(atom: &IrAtom, first: &[VarId], also: &[VarId]) -> (Access, Vec<VarId>) {
    let mut cols = Vec::new();
    let mut layout = Vec::new();
    let col_of = |v: VarId| {
        atom.args
            .iter()
            .position(|a| *a == AtomArg::Var(v))
            .expect("variable occurs in atom")
    };
    for &v in first.iter().chain(also) {
        if !layout.contains(&v) {
            cols.push(col_of(v));
            layout.push(v);
        }
    }
    let mut filters = Vec::new();
    for (i, a) in atom.args.iter().enumerate() {
        match a {
            AtomArg::Const(c) => filters.push(AccessFilter::Const(i, *c)),
            AtomArg::Var(v) => {
                let f = col_of(*v);
                if f != i {
                    filters.push(AccessFilter::SameAs(f, i));
                }
            }
            AtomArg::Wild => {}
        }
    }
    (
        Access {
            rel: atom.rel,
            cols,
            filters,
        },
        layout,
    )
}

/// Compiles a rule into its pipeline, registering the accesses it needs in `accesses`.
pub fn compile_rule(rule_index: usize, rule: &IrRule, accesses: &mut Vec<Access>) -> RulePlan {
    let mut pending = rule.constraints.clone();
    let mut bound = vec![false; rule.var_names.len()];
    if rule.atoms.is_empty() {
        let mut ops = schedule(&mut pending, &mut bound);
        ops.extend(pending.into_iter().map(Op::Check));
        return RulePlan {
            rule: rule_index,
            steps: Vec::new(),
            once_ops: ops,
        };
    }
    let order = join_order(&rule.atoms, &[]);
    let mut head_vars = Vec::new();
    (rule.head_args.iter())
        .chain(&rule.meta.head_conf)
        .for_each(|e| e.vars(&mut head_vars));
    let mut c = RuleCompiler {
        rule,
        atoms: order.iter().map(|&i| &rule.atoms[i]).collect(),
        head_vars,
        accesses,
        pending,
        bound,
    };
    for v in (c.atoms[0].vars().into_iter()).chain(c.atoms[0].meta_vars().vars()) {
        c.bound[v] = true;
    }
    let steps = match c.atoms.len() {
        1 => vec![c.single_step()],
        _ => c.join_steps(),
    };
    RulePlan {
        rule: rule_index,
        steps,
        once_ops: Vec::new(),
    }
}

/// The left input of the next join: the intermediate a step writes, its key and its layout.
type NextLeft = (Source, Vec<VarId>, Vec<VarId>);

/// A rule being compiled into join steps, its atoms in join order.
struct RuleCompiler<'r> {
    rule: &'r IrRule,
    atoms: Vec<&'r IrAtom>,
    /// The variables the head reads.
    head_vars: Vec<VarId>,
    accesses: &'r mut Vec<Access>,
    /// The constraints not scheduled yet.
    pending: Vec<Constraint>,
    /// The variables bound so far.
    bound: Vec<bool>,
}

impl RuleCompiler<'_> {
    /// The index of an access, registered once.
    fn intern(&mut self, a: Access) -> usize {
        match self.accesses.iter().position(|x| *x == a) {
            Some(i) => i,
            None => {
                self.accesses.push(a);
                self.accesses.len() - 1
            }
        }
    }

    /// Variables needed at or after step `i` (by atoms after i, constraints, the head).
    fn needed_after(&self, i: usize, pending: &[Constraint]) -> Vec<VarId> {
        let mut vs = self.head_vars.clone();
        for a in &self.atoms[i + 1..] {
            vs.extend(a.vars());
        }
        for c in pending {
            vs.extend(c.vars());
        }
        vs
    }

    /// The first atom's metadata variables, loaded from the left of the first step.
    fn first_conf(&self) -> Vec<(MetaVars, Side)> {
        Some(self.atoms[0].meta_vars())
            .filter(|m| !m.is_empty())
            .map(|m| (m, Side::Left))
            .into_iter()
            .collect()
    }

    /// A body of one atom: one step, straight to the head.
    fn single_step(&mut self) -> Step {
        let ops = schedule(&mut self.pending, &mut self.bound);
        let needed = self.needed_after(0, &[]);
        let mut also: Vec<VarId> = self.atoms[0].vars();
        also.retain(|v| needed.contains(v) || ops_read(&ops, *v));
        let (access, layout) = access_for(self.atoms[0], &[], &also);
        let loads = (layout.iter().enumerate())
            .map(|(c, &v)| (v, Side::Left, c))
            .collect();
        let mut ops = ops;
        ops.extend(self.pending.drain(..).map(Op::Check));
        Step {
            left: Source::Access(self.intern(access)),
            right: None,
            key_len: 0,
            loads,
            conf_loads: self.first_conf(),
            ops,
            out: Output::Head(self.rule.head_args.clone()),
        }
    }

    /// A body of several atoms: a binary join per atom after the first, each joining what the
    /// atoms before it bound (an intermediate, or the first atom) with it on their shared
    /// variables.
    fn join_steps(&mut self) -> Vec<Step> {
        let shared = |bound: &[bool], atom: &IrAtom| -> Vec<VarId> {
            atom.vars().into_iter().filter(|&v| bound[v]).collect()
        };
        // Left input of the first join: the first atom keyed on what it shares with the second.
        let mut key = shared(&self.bound, self.atoms[1]);
        let mut live0 = self.needed_after(0, &self.pending);
        live0.retain(|v| self.atoms[0].vars().contains(v));
        let (first_access, mut left_layout) = access_for(self.atoms[0], &key, &live0);
        let mut left = Source::Access(self.intern(first_access));
        let mut steps = Vec::new();
        for i in 1..self.atoms.len() {
            let (step, next) = self.join_step(i, left, &key, &left_layout, steps.len());
            steps.push(step);
            if let Some((next_left, next_key, layout)) = next {
                (left, key, left_layout) = (next_left, next_key, layout);
            }
        }
        steps
    }

    /// The join of atom `i` with the left input `left` (its columns `left_layout`, keyed on
    /// `key`); the step, and for a step before the last the next step's left input, key and
    /// layout (the intermediate it writes, the `n`th).
    fn join_step(
        &mut self,
        i: usize,
        left: Source,
        key: &[VarId],
        left_layout: &[VarId],
        n: usize,
    ) -> (Step, Option<NextLeft>) {
        let atom = self.atoms[i];
        let mut rest = atom.vars();
        rest.retain(|v| !key.contains(v));
        let needed_now = self.needed_after(i, &self.pending);
        let mut right_also = rest;
        right_also.retain(|v| {
            needed_now.contains(v) || self.pending.iter().any(|c| c.vars().contains(v))
        });
        // A variable repeated inside the atom is filtered by the access; a variable bound on
        // the left and present on the right is a key column, so nothing else is needed.
        let (right_access, right_layout) = access_for(atom, key, &right_also);
        let right = Source::Access(self.intern(right_access));
        let mut loads: Vec<(VarId, Side, usize)> = (left_layout.iter().enumerate())
            .map(|(c, &v)| (v, Side::Left, c))
            .collect();
        for (c, &v) in right_layout.iter().enumerate().skip(key.len()) {
            loads.push((v, Side::Right, c));
        }
        for &(v, _, _) in &loads {
            self.bound[v] = true;
        }
        let mut conf_loads = if i == 1 {
            self.first_conf()
        } else {
            Vec::new()
        };
        let meta = atom.meta_vars();
        if !meta.is_empty() {
            for v in meta.vars() {
                self.bound[v] = true;
            }
            conf_loads.push((meta, Side::Right));
        }
        let mut ops = schedule(&mut self.pending, &mut self.bound);
        let (out, next) = if i + 1 == self.atoms.len() {
            ops.extend(self.pending.drain(..).map(Op::Check));
            (Output::Head(self.rule.head_args.clone()), None)
        } else {
            let next_key: Vec<VarId> = (self.atoms[i + 1].vars().into_iter())
                .filter(|&v| self.bound[v])
                .collect();
            let needed = self.needed_after(i, &self.pending);
            let mut layout = next_key.clone();
            for (v, &is_bound) in self.bound.iter().enumerate() {
                if is_bound && needed.contains(&v) && !layout.contains(&v) {
                    layout.push(v);
                }
            }
            let next = (Source::Intermediate(n), next_key, layout.clone());
            (Output::Intermediate(n, layout), Some(next))
        };
        let step = Step {
            left,
            right: Some(right),
            key_len: key.len(),
            loads,
            conf_loads,
            ops,
            out,
        };
        (step, next)
    }
}

fn ops_read(ops: &[Op], v: VarId) -> bool {
    ops.iter().any(|op| match op {
        Op::Assign(_, e) => {
            let mut vs = Vec::new();
            e.vars(&mut vs);
            vs.contains(&v)
        }
        Op::Check(c) => c.vars().contains(&v),
    })
}

/// Compiles a body over completed relations into nested loops, given the variables bound on entry.
pub fn compile_nested(
    atoms: &[IrAtom],
    constraints: &[Constraint],
    n_vars: usize,
    bound_at_start: &[VarId],
) -> NestedPlan {
    let order = join_order(atoms, bound_at_start);
    compile_nested_ordered(atoms, &order, constraints, n_vars, bound_at_start)
}

/// [`compile_nested`] with the atoms in the order given (indices into `atoms`).
pub fn compile_nested_ordered(
    atoms: &[IrAtom],
    order: &[usize],
    constraints: &[Constraint],
    n_vars: usize,
    bound_at_start: &[VarId],
) -> NestedPlan {
    let mut bound = vec![false; n_vars];
    for &v in bound_at_start {
        bound[v] = true;
    }
    let mut pending = constraints.to_vec();
    let pre = schedule(&mut pending, &mut bound);
    let mut levels = Vec::new();
    for &i in order {
        for v in atoms[i].vars() {
            bound[v] = true;
        }
        let ops = schedule(&mut pending, &mut bound);
        levels.push((atoms[i].clone(), ops));
    }
    if let Some(last) = levels.last_mut() {
        last.1.extend(pending.drain(..).map(Op::Check));
    }
    let mut plan = NestedPlan { pre, levels };
    if !pending.is_empty() {
        plan.pre.extend(pending.into_iter().map(Op::Check));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(rel: RelId, vars: &[VarId]) -> IrAtom {
        IrAtom {
            rel,
            args: vars.iter().map(|&v| AtomArg::Var(v)).collect(),
            conf_var: None,
            time_var: None,
            span: Default::default(),
        }
    }

    #[test]
    fn join_order_never_crosses_while_a_shared_variable_exists() {
        // a(x, y), b(z, w), c(y, z): b shares nothing with a, c does; c must come before b.
        let atoms = [atom(0, &[0, 1]), atom(1, &[2, 3]), atom(2, &[1, 2])];
        assert_eq!(join_order(&atoms, &[]), vec![0, 2, 1]);
        // Variables bound on entry (aggregates, queries) count as shared.
        let atoms = [atom(0, &[5]), atom(1, &[6, 7]), atom(2, &[7, 9])];
        assert_eq!(join_order(&atoms, &[9]), vec![2, 1, 0]);
    }
}
