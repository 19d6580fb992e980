//! The planned program: relations, typed rules and strata, ready to evaluate.

use crate::plan::directives::Format;
use crate::value::{ColumnType, Interner};
use engram_parser::{AggFunc, BinaryOp, CmpOp, Span, UnaryOp};
use std::collections::HashMap;

/// The most columns a relation can have.
pub const MAX_COLUMNS: usize = 32;

/// Index of a relation in [`Plan::relations`].
pub type RelId = usize;
/// Index of a variable within one rule.
pub type VarId = usize;

/// A declared relation.
#[derive(Clone, Debug)]
pub struct RelDecl {
    /// Its name.
    pub name: String,
    /// Column names and base types.
    pub columns: Vec<(String, ColumnType)>,
    /// `.input` formats, one per `.input` directive (each loads its own source), read from
    /// the directive's parameters by the planner.
    pub inputs: Vec<Format>,
    /// `.output` formats, one per `.output` directive.
    pub outputs: Vec<Format>,
    /// Whether `.printsize` asks for its size.
    pub printsize: bool,
    /// Whether it is an equivalence relation (`eqrel`). Its rows are the pairs asserted or
    /// derived for it; rules read it through its class relation (see [`RelDecl::class`]).
    pub eqrel: bool,
    /// For an eqrel: its class relation, `member -> label` (a union-find flattened), which
    /// every body atom of the eqrel reads instead of the closed pairs.
    pub class: Option<RelId>,
    /// For a class relation (named `<eqrel>@class`): the eqrel whose classes it holds.
    pub class_of: Option<RelId>,
    /// For the relation of an integrity constraint (named `violation@<n>`): the constraint's
    /// name (`@name`, or `file:line`). Its facts are the violations.
    pub constraint: Option<String>,
    /// For a `functional(...)` relation: its key columns. Of the facts that agree on them,
    /// only the newest holds (see `eval/supersede.rs`).
    pub functional: Option<Vec<usize>>,
    /// For a functional relation: its history relation (named `<name>@superseded`), the
    /// facts a newer one with the same key replaced.
    pub superseded: Option<RelId>,
    /// For a history relation: the functional relation whose replaced facts it holds.
    pub superseded_of: Option<RelId>,
    /// Soufflé's `choice-domain`: per domain, its columns. Of the facts derived, one per value
    /// of each domain holds: the first one (see `eval/choice.rs`).
    pub choice: Vec<Vec<usize>>,
    /// Whether it is marked `inline` (its positive uses are replaced by its rules' bodies).
    pub inline: bool,
    /// How the confidences of a fact's derivations combine (`combine(...)`; max by default).
    pub combine: Combine,
    /// Whether it is a magic-set relation: a filter that carries no confidence or depth.
    pub magic: bool,
    /// Soufflé's `.limitsize r(n=N)`: the rounds of its (recursive) stratum stop once it
    /// holds `N` facts or more.
    pub limit: Option<usize>,
    /// Where it is declared.
    pub span: Span,
}

impl RelDecl {
    /// A relation with these columns and nothing else set: no I/O, combined by max.
    pub fn new(name: String, columns: Vec<(String, ColumnType)>, span: Span) -> RelDecl {
        RelDecl {
            name,
            columns,
            inputs: Vec::new(),
            outputs: Vec::new(),
            printsize: false,
            eqrel: false,
            class: None,
            class_of: None,
            constraint: None,
            functional: None,
            superseded: None,
            superseded_of: None,
            choice: Vec::new(),
            inline: false,
            combine: Combine::Max,
            magic: false,
            limit: None,
            span,
        }
    }

    /// Whether the relation is engram's own bookkeeping (a name users cannot write), kept
    /// out of listings and exports.
    pub fn hidden(&self) -> bool {
        self.class_of.is_some() || self.constraint.is_some() || self.superseded_of.is_some()
    }
    /// Number of columns.
    pub fn arity(&self) -> usize {
        self.columns.len()
    }
    /// Column types in order.
    pub fn types(&self) -> Vec<ColumnType> {
        self.columns.iter().map(|c| c.1).collect()
    }
    /// Whether it is read by `.input`.
    pub fn is_input(&self) -> bool {
        !self.inputs.is_empty()
    }
}

/// How the confidences of a fact's derivations combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Combine {
    /// The best derivation counts (any relation).
    #[default]
    Max,
    /// `1 - (1 - c1)(1 - c2)...` over distinct derivations (relations outside any cycle).
    NoisyOr,
}

/// How a rule combines the confidences of its body facts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TNorm {
    /// Their product (the default).
    #[default]
    Product,
    /// Their minimum.
    Min,
}

/// A rule's confidence settings: name, weight, depth bound, t-norm, head expression.
#[derive(Clone, Debug)]
pub struct RuleMeta {
    /// `@name(...)`: the origin reported for the facts it derives.
    pub name: Option<String>,
    /// `@weight(w)`, in (0, 1]; 1 by default.
    pub weight: f64,
    /// `@max_depth(n)`: the rule fires only where the head's depth stays at most `n`.
    pub max_depth: Option<u32>,
    /// `@tnorm(...)`.
    pub tnorm: TNorm,
    /// `head @ (expr)`: the derivation's confidence, instead of weight x t-norm (a float).
    pub head_conf: Option<IrExpr>,
}

impl Default for RuleMeta {
    fn default() -> Self {
        RuleMeta {
            name: None,
            weight: 1.0,
            max_depth: None,
            tnorm: TNorm::Product,
            head_conf: None,
        }
    }
}

impl RuleMeta {
    /// Whether any setting differs from the default.
    pub fn is_default(&self) -> bool {
        self.name.is_none()
            && self.weight == 1.0
            && self.max_depth.is_none()
            && self.tnorm == TNorm::Product
            && self.head_conf.is_none()
    }
}

/// An argument of a body atom.
#[derive(Clone, Debug, PartialEq)]
pub enum AtomArg {
    /// A variable.
    Var(VarId),
    /// An encoded constant.
    Const(u64),
    /// `_`.
    Wild,
}

/// A relation applied to arguments in a body.
#[derive(Clone, Debug)]
pub struct IrAtom {
    /// The relation.
    pub rel: RelId,
    /// One argument per column.
    pub args: Vec<AtomArg>,
    /// `@ c`: the variable bound to the matched fact's confidence (a float).
    pub conf_var: Option<VarId>,
    /// `~ t`: the variable bound to the matched fact's time (a number: unix milliseconds).
    pub time_var: Option<VarId>,
    /// Where it is written.
    pub span: Span,
}

impl IrAtom {
    /// The variables bound to the matched fact's confidence and time.
    pub fn meta_vars(&self) -> MetaVars {
        MetaVars {
            conf: self.conf_var,
            time: self.time_var,
        }
    }

    /// The distinct variables of the atom's columns, in order of first occurrence (not its
    /// confidence or time variable).
    pub fn vars(&self) -> Vec<VarId> {
        let mut out = Vec::new();
        for a in &self.args {
            if let AtomArg::Var(v) = a
                && !out.contains(v)
            {
                out.push(*v);
            }
        }
        out
    }
}

/// The variables a body atom binds to its matched fact's confidence (`@ c`) and time
/// (`~ t`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MetaVars {
    /// `@ c`: a float.
    pub conf: Option<VarId>,
    /// `~ t`: a number, unix milliseconds.
    pub time: Option<VarId>,
}

impl MetaVars {
    /// Binds the variables to a matched fact's confidence and time.
    #[inline]
    pub fn bind(&self, env: &mut [u64], conf: f64, time: i64) {
        if let Some(c) = self.conf {
            env[c] = crate::value::enc_float(conf);
        }
        if let Some(t) = self.time {
            env[t] = crate::value::enc_number(time);
        }
    }

    /// The variables bound.
    pub fn vars(&self) -> impl Iterator<Item = VarId> {
        self.conf.into_iter().chain(self.time)
    }

    /// Whether the atom binds none.
    pub fn is_empty(&self) -> bool {
        self.conf.is_none() && self.time.is_none()
    }
}

/// A built-in functor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Functor {
    /// `cat(a, b, ...)`
    Cat,
    /// `strlen(s)`
    Strlen,
    /// `substr(s, start, len)`
    Substr,
    /// `ord(s)`: the symbol's id
    Ord,
    /// `to_string(x)`
    ToString,
    /// `to_number(s)` and numeric conversions to `number`
    ToNumber,
    /// conversions to `unsigned`
    ToUnsigned,
    /// conversions to `float`
    ToFloat,
    /// `min(a, b, ...)`
    Min,
    /// `max(a, b, ...)`
    Max,
    /// `lower(s)`: the text in lower case.
    Lower,
    /// `upper(s)`: the text in upper case.
    Upper,
    /// `normalize(s)`: a name's key: lower case, letters and digits only (`"Postgres DB"` and
    /// `"postgres-db"` are both `"postgresdb"`).
    Normalize,
    /// `now()`: the evaluation time, unix milliseconds (fixed for one evaluation).
    Now,
    /// `sk(name, args...)`: a new entity determined by its arguments (a Skolem term), the
    /// symbol `name#<hash of the arguments' text>`.
    Skolem,
    /// `range(from, to[, step])`: several values, one binding each. Only ever the right side
    /// of an assignment to a variable of its own (`v = range(...)`, made by the planner),
    /// which evaluation runs as a generator (`eval::range`).
    Range,
    /// `autoinc()` (Soufflé's `$`): 0, 1, 2, ..., a new number each time it is evaluated in
    /// one evaluation. Which fact gets which number follows the order rules fire in.
    AutoInc,
    /// A record made of its arguments (`[a, b]`; an ADT value's first argument is its
    /// branch): its id in the record table, made if new.
    Record,
    /// The field with this index of a record (none for `nil`).
    Field(usize),
    /// A user-defined functor (index into [`Plan::functors`]), given by the embedding program.
    User(usize),
}

/// A typed expression.
#[derive(Clone, Debug)]
pub struct IrExpr {
    /// What it computes.
    pub kind: IrExprKind,
    /// Its result type.
    pub ty: ColumnType,
}

/// The kinds of typed expression.
#[derive(Clone, Debug)]
pub enum IrExprKind {
    /// A variable's value.
    Var(VarId),
    /// An encoded constant.
    Const(u64),
    /// A unary operation.
    Unary(UnaryOp, Box<IrExpr>),
    /// A binary operation; operands have the expression's type (or their own for shifts).
    Binary(BinaryOp, Box<IrExpr>, Box<IrExpr>),
    /// A functor call.
    Call(Functor, Vec<IrExpr>),
    /// An aggregate over completed relations.
    Agg(Box<IrAggregate>),
}

impl IrExpr {
    /// The variable the expression is, if it is one.
    pub fn as_var(&self) -> Option<VarId> {
        match self.kind {
            IrExprKind::Var(v) => Some(v),
            _ => None,
        }
    }

    /// Whether functor `f` is called in the expression (aggregates included).
    pub fn calls(&self, f: Functor) -> bool {
        match &self.kind {
            IrExprKind::Call(g, _) if *g == f => true,
            IrExprKind::Call(_, args) => args.iter().any(|a| a.calls(f)),
            IrExprKind::Unary(_, a) => a.calls(f),
            IrExprKind::Binary(_, a, b) => a.calls(f) || b.calls(f),
            IrExprKind::Agg(agg) => {
                agg.target.as_ref().is_some_and(|t| t.calls(f))
                    || (agg.constraints.iter()).any(|c| c.exprs().iter().any(|e| e.calls(f)))
            }
            IrExprKind::Var(_) | IrExprKind::Const(_) => false,
        }
    }

    /// Whether an aggregate occurs in the expression.
    pub fn has_aggregate(&self) -> bool {
        let mut found = false;
        self.for_each_aggregate(&mut |_| found = true);
        found
    }

    /// Calls `f` for each aggregate of the expression (not for aggregates nested in their bodies).
    pub fn for_each_aggregate<'a>(&'a self, f: &mut dyn FnMut(&'a IrAggregate)) {
        match &self.kind {
            IrExprKind::Agg(agg) => f(agg),
            IrExprKind::Unary(_, a) => a.for_each_aggregate(f),
            IrExprKind::Binary(_, a, b) => {
                a.for_each_aggregate(f);
                b.for_each_aggregate(f);
            }
            IrExprKind::Call(_, args) => args.iter().for_each(|a| a.for_each_aggregate(f)),
            IrExprKind::Var(_) | IrExprKind::Const(_) => {}
        }
    }

    /// Calls `f` for each aggregate of the expression, mutably (not for aggregates nested in
    /// their bodies).
    pub fn for_each_aggregate_mut(&mut self, f: &mut dyn FnMut(&mut IrAggregate)) {
        match &mut self.kind {
            IrExprKind::Agg(agg) => f(agg),
            IrExprKind::Unary(_, a) => a.for_each_aggregate_mut(f),
            IrExprKind::Binary(_, a, b) => {
                a.for_each_aggregate_mut(f);
                b.for_each_aggregate_mut(f);
            }
            IrExprKind::Call(_, args) => args.iter_mut().for_each(|a| a.for_each_aggregate_mut(f)),
            IrExprKind::Var(_) | IrExprKind::Const(_) => {}
        }
    }

    /// Collects the variables the expression reads, excluding aggregate-local ones.
    pub fn vars(&self, out: &mut Vec<VarId>) {
        match &self.kind {
            IrExprKind::Var(v) => {
                if !out.contains(v) {
                    out.push(*v)
                }
            }
            IrExprKind::Const(_) => {}
            IrExprKind::Unary(_, a) => a.vars(out),
            IrExprKind::Binary(_, a, b) => {
                a.vars(out);
                b.vars(out);
            }
            IrExprKind::Call(_, args) => args.iter().for_each(|a| a.vars(out)),
            IrExprKind::Agg(agg) => {
                for v in &agg.outer {
                    if !out.contains(v) {
                        out.push(*v)
                    }
                }
            }
        }
    }
}

/// An aggregate: `func target : { body }`.
#[derive(Clone, Debug)]
pub struct IrAggregate {
    /// Unique among all aggregates of all plans (caches key on it).
    pub id: usize,
    /// The function.
    pub func: AggFunc,
    /// The aggregated expression (absent for `count`).
    pub target: Option<IrExpr>,
    /// Inner positive atoms.
    pub atoms: Vec<IrAtom>,
    /// Inner constraints.
    pub constraints: Vec<Constraint>,
    /// Variables bound outside and read inside.
    pub outer: Vec<VarId>,
    /// Variables local to the aggregate.
    pub local: Vec<VarId>,
    /// For a `count` that only comparisons with constants read: the count at which every
    /// comparison is decided, where counting may stop (see `plan/bounded.rs`).
    pub limit: Option<i64>,
    /// Where Soufflé materialises the body into a relation of its named variables (two atoms
    /// or more, a nested aggregate, a `range`, a variable repeated in its one atom) and the
    /// body has unnamed columns: those variables, whose distinct bindings are aggregated
    /// (`count : { b(x, _), c(x) }` counts the values of `x`; with none, a body that holds
    /// counts 1). `None`: every binding counts.
    pub distinct: Option<Vec<VarId>>,
}

/// The built-in string predicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextPred {
    /// `contains(needle, text)`: `needle` is a substring of `text`.
    Contains,
    /// `match(pattern, text)`: the whole `text` matches the regular expression `pattern`.
    Match,
}

impl IrAggregate {
    /// Variables read by the aggregate's constraints and target (bound there or outside).
    pub fn reads(&self) -> Vec<VarId> {
        let mut out = Vec::new();
        for c in &self.constraints {
            out.extend(c.vars());
        }
        if let Some(t) = &self.target {
            t.vars(&mut out);
        }
        out
    }
}

/// A non-atom body literal.
#[derive(Clone, Debug)]
pub enum Constraint {
    /// `left op right`, both of type `ty`.
    Cmp {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        left: IrExpr,
        /// Right operand.
        right: IrExpr,
        /// Where it is written.
        span: Span,
    },
    /// `!atom`: arguments are expressions or `None` for `_`.
    Negated {
        /// The relation.
        rel: RelId,
        /// One entry per column.
        args: Vec<Option<IrExpr>>,
        /// Whether `rel` is a class relation and the atom is its eqrel's `!e(a, b)`: a and b
        /// are not in one class.
        classes: bool,
        /// Where it is written.
        span: Span,
    },
    /// `contains(needle, text)` or `match(pattern, text)`, possibly negated.
    Text {
        /// Which predicate.
        pred: TextPred,
        /// The needle or pattern.
        pattern: IrExpr,
        /// The text.
        text: IrExpr,
        /// `true` for the predicate, `false` for its negation.
        holds: bool,
    },
    /// `false` (a literal `true` is dropped).
    False,
}

impl Constraint {
    /// For `k = count : { ... }` (either way round): `k` and the count.
    pub fn count_assignment(&self) -> Option<(VarId, &IrAggregate)> {
        let (left, right) = self.equation()?;
        let (k, agg) = match (&left.kind, &right.kind) {
            (IrExprKind::Var(k), IrExprKind::Agg(a)) | (IrExprKind::Agg(a), IrExprKind::Var(k)) => {
                (*k, a)
            }
            _ => return None,
        };
        (agg.func == engram_parser::AggFunc::Count).then_some((k, &**agg))
    }

    /// For `a = b`: its two sides.
    fn equation(&self) -> Option<(&IrExpr, &IrExpr)> {
        match self {
            Constraint::Cmp {
                op: engram_parser::CmpOp::Eq,
                left,
                right,
                ..
            } => Some((left, right)),
            _ => None,
        }
    }

    /// The expressions of the constraint.
    pub fn exprs(&self) -> Vec<&IrExpr> {
        match self {
            Constraint::Cmp { left, right, .. } => vec![left, right],
            Constraint::Negated { args, .. } => args.iter().flatten().collect(),
            Constraint::Text { pattern, text, .. } => vec![pattern, text],
            Constraint::False => Vec::new(),
        }
    }

    /// For `v = e` (either way round) with `v` unbound and every input of `e` bound: `v` and `e`,
    /// the assignment this constraint can act as.
    pub fn assignment(&self, bound: &[bool]) -> Option<(VarId, &IrExpr)> {
        let (left, right) = self.equation()?;
        for (l, r) in [(left, right), (right, left)] {
            if let IrExprKind::Var(v) = l.kind
                && !bound[v]
            {
                let mut vs = Vec::new();
                r.vars(&mut vs);
                if vs.iter().all(|&x| bound[x]) {
                    return Some((v, r));
                }
            }
        }
        None
    }

    /// Variables the constraint reads (for `Cmp`, both sides).
    pub fn vars(&self) -> Vec<VarId> {
        let mut out = Vec::new();
        match self {
            Constraint::Cmp { left, right, .. } => {
                left.vars(&mut out);
                right.vars(&mut out);
            }
            Constraint::Negated { args, .. } => {
                args.iter().flatten().for_each(|a| a.vars(&mut out))
            }
            Constraint::Text { pattern, text, .. } => {
                pattern.vars(&mut out);
                text.vars(&mut out);
            }
            Constraint::False => {}
        }
        out
    }
}

/// A typed rule with one head.
#[derive(Clone, Debug)]
pub struct IrRule {
    /// The head relation.
    pub head: RelId,
    /// One expression per head column.
    pub head_args: Vec<IrExpr>,
    /// Positive body atoms, in written order.
    pub atoms: Vec<IrAtom>,
    /// Other body literals.
    pub constraints: Vec<Constraint>,
    /// Variable names (index = `VarId`).
    pub var_names: Vec<String>,
    /// Variable types (index = `VarId`).
    pub var_types: Vec<ColumnType>,
    /// Where the rule is written.
    pub span: Span,
    /// `file:line` of the rule, its default name.
    pub origin: String,
    /// Confidence settings.
    pub meta: RuleMeta,
    /// Soufflé's `.plan` written after the rule, if any.
    pub exec_plan: Option<Box<super::exec_plan::ExecPlan>>,
}

impl IrRule {
    /// The rule's name as reported in provenance: `@name`, or `file:line`.
    pub fn label(&self) -> &str {
        self.meta.name.as_deref().unwrap_or(&self.origin)
    }

    /// Whether functor `f` is called anywhere in the rule (its head, body and confidence).
    pub fn calls(&self, f: Functor) -> bool {
        (self.head_args.iter().chain(&self.meta.head_conf)).any(|e| e.calls(f))
            || (self.constraints.iter()).any(|c| c.exprs().iter().any(|e| e.calls(f)))
    }

    /// Every relation a rule reads: positive atoms, negations, aggregates (nested ones too).
    pub fn reads(&self) -> Vec<RelId> {
        let mut out: Vec<RelId> = self.atoms.iter().map(|a| a.rel).collect();
        let mut exprs: Vec<&IrExpr> = self.head_args.iter().chain(&self.meta.head_conf).collect();
        let mut constraints: Vec<&Constraint> = self.constraints.iter().collect();
        loop {
            if let Some(c) = constraints.pop() {
                if let Constraint::Negated { rel, .. } = c {
                    out.push(*rel);
                }
                exprs.extend(c.exprs());
            } else if let Some(e) = exprs.pop() {
                e.for_each_aggregate(&mut |agg| {
                    out.extend(agg.atoms.iter().map(|a| a.rel));
                    constraints.extend(agg.constraints.iter());
                    exprs.extend(agg.target.iter());
                });
            } else {
                return out;
            }
        }
    }
}

impl IrRule {
    /// Replaces every `now()` of the rule by the constant `now`.
    pub fn fix_now(&mut self, now: i64) {
        fn expr(e: &mut IrExpr, now: i64) {
            match &mut e.kind {
                IrExprKind::Call(Functor::Now, _) => {
                    e.kind = IrExprKind::Const(crate::value::enc_number(now));
                }
                IrExprKind::Unary(_, a) => expr(a, now),
                IrExprKind::Binary(_, a, b) => {
                    expr(a, now);
                    expr(b, now);
                }
                IrExprKind::Call(_, args) => args.iter_mut().for_each(|a| expr(a, now)),
                IrExprKind::Agg(agg) => {
                    agg.target.iter_mut().for_each(|t| expr(t, now));
                    agg.constraints.iter_mut().for_each(|c| constraint(c, now));
                }
                IrExprKind::Var(_) | IrExprKind::Const(_) => {}
            }
        }
        fn constraint(c: &mut Constraint, now: i64) {
            match c {
                Constraint::Cmp { left, right, .. } => {
                    expr(left, now);
                    expr(right, now);
                }
                Constraint::Negated { args, .. } => {
                    args.iter_mut().flatten().for_each(|a| expr(a, now))
                }
                Constraint::Text { pattern, text, .. } => {
                    expr(pattern, now);
                    expr(text, now);
                }
                Constraint::False => {}
            }
        }
        for e in self.head_args.iter_mut().chain(&mut self.meta.head_conf) {
            expr(e, now);
        }
        for c in &mut self.constraints {
            constraint(c, now);
        }
    }
}

/// A `?-` query: a body whose named variables are the answer columns.
#[derive(Clone, Debug)]
pub struct IrQuery {
    /// The body, as a rule whose head is the answer tuple (head relation unused).
    pub rule: IrRule,
    /// The answer columns: variable ids and names.
    pub columns: Vec<(VarId, String)>,
    /// The query's source text.
    pub text: String,
}

/// A set of relations evaluated together to a fixpoint.
#[derive(Clone, Debug)]
pub struct Stratum {
    /// Relations defined here.
    pub relations: Vec<RelId>,
    /// Rules whose head is here (indexes into [`Plan::rules`]).
    pub rules: Vec<usize>,
    /// Whether some rule reads a relation of this stratum (a recursive SCC).
    pub recursive: bool,
    /// Subsumption rules whose relation is here (indexes into [`Plan::subsumptions`]).
    pub subsumptions: Vec<usize>,
}

/// A whole planned program.
#[derive(Clone, Debug)]
pub struct Plan {
    /// All relations.
    pub relations: Vec<RelDecl>,
    /// Name to id.
    pub rel_index: HashMap<String, RelId>,
    /// Constant facts written in the program, with their confidence and time (unix ms; 0
    /// when none is written).
    pub facts: Vec<(RelId, Vec<u64>, f64, i64)>,
    /// Every rule, one head each.
    pub rules: Vec<IrRule>,
    /// Soufflé's subsumption rules, `r(x1) <= r(x2) :- body.`, each planned as the rule
    /// `r(x1) :- r(x1), r(x2), body.` (no head arguments): its first atom matches the fact
    /// removed, its second a different fact that removes it (`Loops::subsume` in
    /// `eval/loops.rs`).
    pub subsumptions: Vec<IrRule>,
    /// User-defined functors (`.functor`), in declaration order.
    pub functors: Vec<super::functors::UserFunctor>,
    /// Strata in evaluation order.
    pub strata: Vec<Stratum>,
    /// Queries in source order.
    pub queries: Vec<IrQuery>,
    /// Symbols of the program's constants.
    pub interner: Interner,
    /// `.pragma` settings.
    pub pragmas: Vec<(String, String)>,
    /// Bounds the program sets on its evaluation (`.pragma "max_facts" "100000"`, `"timeout"`
    /// in seconds, `"max_memory"` in bytes or with a unit, `"512M"`), tightening any the
    /// evaluation is given.
    pub limits: crate::Limits,
    /// Derived facts below this confidence are pruned (`.pragma "min_confidence"`; 1e-6).
    pub min_confidence: f64,
    /// Whether the program uses any of engram's confidence syntax (then evaluation tracks
    /// confidence, depth and origin by default).
    pub uses_confidence: bool,
    /// Forgetting policies (a store's `cleanup`): derivations they match are dropped.
    pub forget: Vec<Forget>,
    /// `.merge e`: the eqrel whose classes are identities (every symbol is read through
    /// its class's label).
    pub merge: Option<RelId>,
    /// Whether the program reads facts' times (`~ t`, facts with a time, `now()`): then
    /// evaluation tracks every fact's time.
    pub uses_time: bool,
    /// The evaluation time `now()` stands for, once fixed (unix milliseconds).
    pub now: Option<i64>,
}

impl Plan {
    /// The relation a name names: the relation of that name, else, for `memory.edge`, the
    /// rule library's `edge` (see `namespace.rs`).
    pub fn relation_named(&self, name: &str) -> Option<RelId> {
        self.rel_index.get(name).copied().or_else(|| {
            let plain = name
                .strip_prefix(crate::namespace::LIBRARY)?
                .strip_prefix('.')?;
            self.rel_index.get(plain).copied()
        })
    }

    /// A rule file's own relations of this name (`graph.edge` for `edge`), for a message
    /// about the library's: "did you mean".
    pub fn own_relations_named(&self, name: &str) -> Vec<&str> {
        let mut out: Vec<&str> = (self.rel_index.keys())
            .filter(|k| k.strip_suffix(name).is_some_and(|p| p.ends_with('.')))
            .map(String::as_str)
            .collect();
        out.sort_unstable();
        out
    }

    /// Every relation `rel`'s facts can depend on, itself included (an eqrel's classes and
    /// a class relation's eqrel, a functional relation's history and the reverse, included).
    pub fn depends(&self, rel: RelId) -> Vec<RelId> {
        let mut seen = vec![false; self.relations.len()];
        seen[rel] = true;
        let mut out = vec![rel];
        let mut i = 0;
        while i < out.len() {
            let head = out[i];
            let decl = &self.relations[head];
            let linked = [
                decl.class,
                decl.class_of,
                decl.superseded,
                decl.superseded_of,
            ];
            let read = (self.rules.iter().chain(&self.subsumptions))
                .filter(|r| r.head == head)
                .flat_map(|r| r.reads());
            for r in linked.into_iter().flatten().chain(read) {
                if !std::mem::replace(&mut seen[r], true) {
                    out.push(r);
                }
            }
            i += 1;
        }
        out
    }

    /// Fixes the evaluation time: every `now()` of the rules and queries becomes `now`
    /// (unix milliseconds).
    pub fn fix_now(&mut self, now: i64) {
        self.now = Some(now);
        for rule in self
            .rules
            .iter_mut()
            .chain(self.queries.iter_mut().map(|q| &mut q.rule))
        {
            rule.fix_now(now);
        }
    }

    /// Whether evaluation tracks every fact's time: the program reads times, or a
    /// functional relation compares them to keep the newest fact per key.
    pub fn tracks_time(&self) -> bool {
        self.uses_time || self.relations.iter().any(|d| d.functional.is_some())
    }

    /// Declares a relation the planner makes (magic sets, classes, violations).
    pub(crate) fn push_relation(&mut self, decl: RelDecl) -> RelId {
        let id = self.relations.len();
        self.rel_index.insert(decl.name.clone(), id);
        self.relations.push(decl);
        id
    }
}

/// The default of `.pragma "min_confidence"`.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 1e-6;

/// A filter on derivations (a store's forgetting policy): a derivation weaker than
/// `min_confidence` whose time is before `before_ms` is dropped, as if it had never been made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forget {
    /// Derivations below this confidence may be forgotten.
    pub min_confidence: f64,
    /// Those whose time (unix ms) is before this are.
    pub before_ms: i64,
}

impl Forget {
    /// Whether a derivation of this confidence and time is forgotten.
    pub fn forgets(&self, conf: f64, time: i64) -> bool {
        conf < self.min_confidence && time < self.before_ms
    }
}
