//! Why-not explanations as text: body literals written back from the plan (variables by
//! name, or by the value a binding gives them), and the report itself.

use crate::database::Database;
use crate::explain::{Proof, quoted};
use crate::plan::ir::{
    AtomArg, Constraint, Functor, IrAtom, IrExpr, IrExprKind, IrRule, RelId, TextPred,
};
use crate::value::{self, ColumnType, Value};
use crate::why_not::{Reason, WhyNot};
use engram_parser::{BinaryOp, UnaryOp};
use std::fmt::Write;

impl WhyNot {
    /// The explanation as text: what holds instead, then one paragraph per rule.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(proof) = &self.holds {
            let _ = writeln!(out, "{} holds:", self.fact);
            out.push_str(&proof.to_text());
            return out;
        }
        let _ = writeln!(out, "{} does not hold.", self.fact);
        if !self.unknown.is_empty() {
            let _ = writeln!(
                out,
                "  no fact mentions {}",
                self.unknown
                    .iter()
                    .map(|s| quoted(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return out;
        }
        if let Some(by) = &self.superseded_by {
            let _ = writeln!(out, "  superseded by a newer fact with the same key:");
            indent(&mut out, &by.to_text(), "    ");
        }
        if let Some(s) = &self.subsumed_by {
            let _ = writeln!(out, "  removed by the subsumption rule at {}, for:", s.rule);
            indent(&mut out, &s.by.to_text(), "    ");
        } else if !self.subsumption_rules.is_empty() {
            let _ = writeln!(
                out,
                "  its relation has subsumption rules ({}): they may have removed it, and \
                 the fact that subsumed it after it",
                self.subsumption_rules.join(", ")
            );
        }
        if let Some(l) = &self.size_limit {
            let _ = writeln!(
                out,
                "  its recursion stopped when `{}` reached its `.limitsize` of {} facts (it \
                 holds {}): the rounds that would derive more were not run",
                l.relation, l.limit, l.facts
            );
        }
        if self.rules.is_empty()
            && self.superseded_by.is_none()
            && self.subsumption_rules.is_empty()
        {
            let _ = writeln!(
                out,
                "  it is not asserted, and no rule derives its relation"
            );
        } else if self.assertable && !self.rules.is_empty() {
            let _ = writeln!(out, "  it is not asserted, and no rule derives it:");
        }
        let (cannot, can): (Vec<_>, Vec<_>) =
            (self.rules.iter()).partition(|r| matches!(r.reason, Reason::HeadMismatch { .. }));
        for r in can {
            match r.rule == r.at {
                true => writeln!(out, "  rule {}:", r.rule),
                false => writeln!(out, "  rule {} ({}):", r.rule, r.at),
            }
            .expect("writing to a string");
            reason_text(&mut out, &r.reason);
        }
        if cannot.len() > 2 {
            let names: Vec<&str> = cannot.iter().map(|r| r.rule.as_str()).collect();
            let _ = writeln!(
                out,
                "  {} rules make only other facts (their heads differ): {}",
                cannot.len(),
                names.join(", ")
            );
        } else {
            for r in cannot {
                let _ = writeln!(out, "  rule {}:", r.rule);
                reason_text(&mut out, &r.reason);
            }
        }
        out
    }

    /// The explanation as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a why-not explanation always serializes")
    }
}

fn indent(out: &mut String, text: &str, by: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "{by}{line}");
    }
}

fn premises_text(out: &mut String, premises: &[Proof]) {
    for p in premises {
        let _ = writeln!(
            out,
            "      from {}  @ {:.6}  {}",
            p.fact, p.confidence, p.rule
        );
    }
}

fn reason_text(out: &mut String, reason: &Reason) {
    match reason {
        Reason::HeadMismatch { detail } => {
            let _ = writeln!(out, "    cannot make this fact: {detail}");
        }
        Reason::MissingPremise {
            atom,
            missing,
            instances,
            near,
        } => {
            let _ = writeln!(out, "    missing premise {atom}:");
            for m in missing {
                let _ = writeln!(out, "      no fact {m}");
            }
            if *instances > missing.len() {
                let _ = writeln!(out, "      ... {instances} instances missing in all");
            }
            for n in near {
                let _ = writeln!(out, "      nearest: {n}");
            }
        }
        Reason::BlockedByNegation { negation, blocking } => {
            let _ = writeln!(out, "    blocked by the negation {negation}: it finds");
            for b in blocking {
                indent(out, &b.to_text(), "      ");
            }
        }
        Reason::ConditionFails {
            condition,
            bindings,
        } => {
            let _ = writeln!(out, "    the condition {condition} fails");
            for b in bindings {
                let _ = writeln!(out, "      for {b}");
            }
        }
        Reason::DepthBound {
            max_depth,
            depth,
            premises,
        } => {
            let _ = writeln!(
                out,
                "    cut by @max_depth({max_depth}): its derivation would be {depth} deep"
            );
            premises_text(out, premises);
        }
        Reason::ConfidenceBound {
            min_confidence,
            confidence,
            premises,
        } => {
            let _ = writeln!(
                out,
                "    cut by min_confidence {min_confidence}: its derivation's confidence is \
                 {confidence:.6}"
            );
            premises_text(out, premises);
        }
        Reason::Forgotten {
            min_confidence,
            before,
            confidence,
            time,
            premises,
        } => {
            let _ = writeln!(
                out,
                "    forgotten by the policy (confidence below {min_confidence}, older than \
                 {before}): its derivation has confidence {confidence:.6} at {time}"
            );
            premises_text(out, premises);
        }
        Reason::NoConfidence => {
            let _ = writeln!(
                out,
                "    its head's confidence expression gives no confidence in (0, 1]"
            );
        }
        Reason::Derivable { confidence } => {
            let _ = writeln!(out, "    derives it, with confidence {confidence:.6}");
        }
        Reason::Undecided => {
            let _ = writeln!(out, "    undecided: the bound on the work was reached");
        }
    }
}

/// Binding `env` of the variables marked in `bound`: a variable so bound is shown by value.
pub(crate) type Binding<'e> = Option<(&'e [u64], &'e [bool])>;

impl Database {
    /// A value of type `ty` as the parser reads it.
    pub(crate) fn shown(&self, ty: ColumnType, v: u64) -> String {
        match value::decode(ty, v, &self.interner) {
            Value::Symbol(s) => quoted(&s),
            other => other.to_string(),
        }
    }

    fn var_text(&self, rule: &IrRule, v: usize, binding: Binding<'_>) -> String {
        match binding {
            Some((env, bound)) if bound[v] => self.shown(rule.var_types[v], env[v]),
            _ => rule.var_names[v].clone(),
        }
    }

    /// A body atom as written, or instantiated by `binding`.
    pub(crate) fn atom_text(&self, rule: &IrRule, atom: &IrAtom, binding: Binding<'_>) -> String {
        let decl = &self.plan.relations[atom.rel];
        let args: Vec<String> = (atom.args.iter().zip(&decl.columns))
            .map(|(a, (_, ty))| match *a {
                AtomArg::Var(v) => self.var_text(rule, v, binding),
                AtomArg::Const(c) => self.shown(*ty, c),
                AtomArg::Wild => "_".into(),
            })
            .collect();
        format!("{}({})", shown_name(&decl.name), args.join(", "))
    }

    /// A negated atom's relation and arguments as written.
    pub(crate) fn negation_text(
        &self,
        rule: &IrRule,
        rel: RelId,
        args: &[Option<IrExpr>],
        binding: Binding<'_>,
    ) -> String {
        let decl = &self.plan.relations[rel];
        let name = decl
            .class_of
            .map_or(&decl.name, |e| &self.plan.relations[e].name);
        let args: Vec<String> = (args.iter())
            .map(|a| match a {
                Some(e) => self.expr_text(rule, e, binding),
                None => "_".into(),
            })
            .collect();
        format!("{}({})", shown_name(name), args.join(", "))
    }

    /// A condition as written.
    pub(crate) fn condition_text(&self, rule: &IrRule, c: &Constraint) -> String {
        match c {
            Constraint::Cmp {
                op, left, right, ..
            } => format!(
                "{} {op} {}",
                self.expr_text(rule, left, None),
                self.expr_text(rule, right, None)
            ),
            Constraint::Negated { rel, args, .. } => {
                format!("!{}", self.negation_text(rule, *rel, args, None))
            }
            Constraint::Text {
                pred,
                pattern,
                text,
                holds,
            } => format!(
                "{}{}({}, {})",
                if *holds { "" } else { "!" },
                match pred {
                    TextPred::Contains => "contains",
                    TextPred::Match => "match",
                },
                self.expr_text(rule, pattern, None),
                self.expr_text(rule, text, None)
            ),
            Constraint::False => "false".into(),
        }
    }

    /// The values of `vars` in one binding, as `x = 1, y = "b"`.
    pub(crate) fn bindings_text(&self, rule: &IrRule, vars: &[usize], values: &[u64]) -> String {
        (vars.iter().zip(values))
            .map(|(&v, &x)| {
                format!(
                    "{} = {}",
                    rule.var_names[v],
                    self.shown(rule.var_types[v], x)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// An expression as written (operators infix, functors by name).
    pub(crate) fn expr_text(&self, rule: &IrRule, e: &IrExpr, binding: Binding<'_>) -> String {
        match &e.kind {
            IrExprKind::Var(v) => self.var_text(rule, *v, binding),
            IrExprKind::Const(c) => self.shown(e.ty, *c),
            IrExprKind::Unary(op, a) => {
                let op = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::BNot => "bnot ",
                    UnaryOp::LNot => "lnot ",
                };
                format!("{op}{}", self.expr_text(rule, a, binding))
            }
            IrExprKind::Binary(op, a, b) => format!(
                "({} {} {})",
                self.expr_text(rule, a, binding),
                binary_op(*op),
                self.expr_text(rule, b, binding)
            ),
            IrExprKind::Call(f, args) => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| self.expr_text(rule, a, binding))
                    .collect();
                match f {
                    Functor::Record => format!("[{}]", args.join(", ")),
                    Functor::Field(i) => format!("{}.{i}", args.join(", ")),
                    Functor::User(i) => {
                        format!("@{}({})", self.plan.functors[*i].name, args.join(", "))
                    }
                    _ => format!("{}({})", functor_name(*f), args.join(", ")),
                }
            }
            IrExprKind::Agg(agg) => format!("{:?} : {{ ... }}", agg.func).to_lowercase(),
        }
    }
}

/// A relation's name as a user wrote it (a planner-made relation by the one it stands for).
fn shown_name(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

fn binary_op(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "^",
        BinaryOp::BAnd => "band",
        BinaryOp::BOr => "bor",
        BinaryOp::BXor => "bxor",
        BinaryOp::Shl => "bshl",
        BinaryOp::Shr => "bshr",
        BinaryOp::ShrU => "bshru",
        BinaryOp::LAnd => "land",
        BinaryOp::LOr => "lor",
    }
}

fn functor_name(f: Functor) -> &'static str {
    match f {
        Functor::Cat => "cat",
        Functor::Strlen => "strlen",
        Functor::Substr => "substr",
        Functor::Ord => "ord",
        Functor::ToString => "to_string",
        Functor::ToNumber => "to_number",
        Functor::ToUnsigned => "to_unsigned",
        Functor::ToFloat => "to_float",
        Functor::Min => "min",
        Functor::Max => "max",
        Functor::Lower => "lower",
        Functor::Upper => "upper",
        Functor::Normalize => "normalize",
        Functor::Now => "now",
        Functor::Skolem => "sk",
        Functor::Range => "range",
        Functor::AutoInc => "autoinc",
        Functor::Record | Functor::Field(_) | Functor::User(_) => "",
    }
}
