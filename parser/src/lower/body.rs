//! Rule bodies and expressions: disjunctions split into rules, negation pushed to atoms,
//! atoms, annotations, comparisons, and expressions by precedence climbing (pest's Pratt
//! parser), each bounded in size.

use super::{Lowerer, Rule, unescape};
use crate::ast::*;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

/// Operators one expression may hold, and how deeply expressions may nest: beyond these a
/// program is rejected rather than risk exhausting the stack in later recursive passes.
const MAX_OPERATORS: usize = 1_000;
const MAX_NESTING: usize = 200;
/// How many rules one clause may expand to through `;` disjunctions.
const MAX_ALTERNATIVES: usize = 4_096;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_lor, Assoc::Left))
            .op(Op::infix(Rule::op_land, Assoc::Left))
            .op(Op::infix(Rule::op_bor, Assoc::Left))
            .op(Op::infix(Rule::op_bxor, Assoc::Left))
            .op(Op::infix(Rule::op_band, Assoc::Left))
            .op(Op::infix(Rule::op_bshl, Assoc::Left)
                | Op::infix(Rule::op_bshr, Assoc::Left)
                | Op::infix(Rule::op_bshru, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left)
                | Op::infix(Rule::op_div, Assoc::Left)
                | Op::infix(Rule::op_mod, Assoc::Left))
            .op(Op::prefix(Rule::op_neg) | Op::prefix(Rule::op_bnot) | Op::prefix(Rule::op_lnot))
            .op(Op::infix(Rule::op_pow, Assoc::Right))
    })
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_lor
            | Rule::op_land
            | Rule::op_bor
            | Rule::op_bxor
            | Rule::op_band
            | Rule::op_bshru
            | Rule::op_bshl
            | Rule::op_bshr
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_mod
            | Rule::op_pow
            | Rule::op_neg
            | Rule::op_bnot
            | Rule::op_lnot
    )
}

/// The text of the next pair (an atom's or annotation's name), or "" if there is none.
fn next_text(it: &mut pest::iterators::Pairs<'_, Rule>) -> String {
    it.next()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

impl Lowerer<'_> {
    pub(super) fn disjunction(&mut self, pair: Pair<'_, Rule>) -> Vec<Vec<Literal>> {
        let mut out = Vec::new();
        for conj in pair.into_inner() {
            out.extend(self.conjunction(conj));
        }
        out
    }

    /// A conjunction in disjunctive normal form: nested groups multiply out.
    pub(super) fn conjunction(&mut self, pair: Pair<'_, Rule>) -> Vec<Vec<Literal>> {
        let mut alternatives: Vec<Vec<Literal>> = vec![Vec::new()];
        for lit in pair.into_inner() {
            let lit_span = self.span(&lit);
            let options = self.literal(lit);
            if alternatives.len() * options.len() > MAX_ALTERNATIVES {
                self.error(
                    lit_span,
                    format!(
                        "the disjunctions of this body expand to more than {MAX_ALTERNATIVES} rules"
                    ),
                );
                return vec![Vec::new()];
            }
            let mut next = Vec::with_capacity(alternatives.len() * options.len());
            for alt in &alternatives {
                for opt in &options {
                    let mut combined = alt.clone();
                    combined.extend(opt.iter().cloned());
                    next.push(combined);
                }
            }
            alternatives = next;
        }
        alternatives
    }

    /// A literal as a disjunction of conjunctions (a group may hold several alternatives).
    pub(super) fn literal(&mut self, pair: Pair<'_, Rule>) -> Vec<Vec<Literal>> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return vec![vec![]];
        };
        match inner.as_rule() {
            Rule::body_atom => {
                let mut it = inner.into_inner();
                let mut atom = self.atom(it.next().expect("body atom"));
                for var in it {
                    let bound = Some((var.as_str().to_string(), self.span(&var)));
                    match var.as_rule() {
                        Rule::conf_var => atom.conf_var = bound,
                        _ => atom.time_var = bound,
                    }
                }
                vec![vec![Literal::Atom(atom)]]
            }
            Rule::comparison => vec![vec![Literal::Compare(self.comparison(inner))]],
            Rule::constant_literal => vec![vec![Literal::Bool(inner.as_str() == "true", span)]],
            Rule::group => self.disjunction(inner.into_inner().next().expect("group body")),
            Rule::negation => {
                let negated = self.literal(inner.into_inner().next().expect("negated literal"));
                self.negate(negated, span)
            }
            _ => vec![vec![]],
        }
    }

    /// `!` applied to a disjunction of conjunctions, in disjunctive normal form again (as
    /// Soufflé rewrites it): `!(a ; b)` is `!a, !b` and `!(a, b)` is `!a ; !b`.
    pub(super) fn negate(&mut self, negated: Vec<Vec<Literal>>, span: Span) -> Vec<Vec<Literal>> {
        // not (or_i and_j l_ij) = and_i (or_j not l_ij), multiplied out.
        let mut alternatives: Vec<Vec<Literal>> = vec![Vec::new()];
        for conjunction in &negated {
            let options: Vec<Literal> = conjunction.iter().map(|l| self.complement(l)).collect();
            if options.is_empty() {
                // `!()` of an empty (true) conjunction is false.
                return vec![vec![Literal::Bool(false, span)]];
            }
            if alternatives.len() * options.len() > MAX_ALTERNATIVES {
                self.error(
                    span,
                    format!("this negation expands to more than {MAX_ALTERNATIVES} rules"),
                );
                return vec![Vec::new()];
            }
            let mut next = Vec::with_capacity(alternatives.len() * options.len());
            for alt in &alternatives {
                for opt in &options {
                    let mut combined = alt.clone();
                    combined.push(opt.clone());
                    next.push(combined);
                }
            }
            alternatives = next;
        }
        alternatives
    }

    /// The literal that holds exactly when `lit` does not.
    pub(super) fn complement(&mut self, lit: &Literal) -> Literal {
        match lit {
            Literal::Atom(a) => {
                if let Some((var, var_span)) = &a.conf_var {
                    self.error(
                        *var_span,
                        format!(
                            "`@ {var}` cannot bind the confidence of a negated atom: a fact \
                             that does not hold has none"
                        ),
                    );
                }
                if let Some((var, var_span)) = &a.time_var {
                    self.error(
                        *var_span,
                        format!(
                            "`~ {var}` cannot bind the time of a negated atom: a fact that \
                             does not hold has none"
                        ),
                    );
                }
                Literal::Negated(a.clone())
            }
            Literal::Compare(c) => {
                let mut c = c.clone();
                c.op = c.op.negate();
                Literal::Compare(c)
            }
            Literal::Bool(b, s) => Literal::Bool(!b, *s),
            Literal::Negated(a) => Literal::Atom(a.clone()),
        }
    }

    pub(super) fn atom(&mut self, pair: Pair<'_, Rule>) -> Atom {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let name = next_text(&mut it);
        let args = it
            .next()
            .map(|a| a.into_inner().map(|e| self.expr(e)).collect())
            .unwrap_or_default();
        Atom {
            name,
            args,
            conf_var: None,
            time_var: None,
            span,
        }
    }

    pub(super) fn annotation(&mut self, pair: Pair<'_, Rule>) -> Annotation {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let name = next_text(&mut it);
        let arg = it.next().and_then(|a| a.into_inner().next()).map(|v| {
            let text = v.as_str();
            match v.as_rule() {
                Rule::string => AnnotationArg::Str(unescape(text)),
                Rule::float => text
                    .parse()
                    .map_or_else(|_| AnnotationArg::Ident(text.into()), AnnotationArg::Float),
                Rule::integer => crate::parse_int(text)
                    .map_or_else(|| AnnotationArg::Ident(text.into()), AnnotationArg::Int),
                _ => AnnotationArg::Ident(text.to_string()),
            }
        });
        Annotation { name, arg, span }
    }

    pub(super) fn comparison(&mut self, pair: Pair<'_, Rule>) -> Comparison {
        let span = self.span(&pair);
        let mut it = pair.into_inner();
        let left = self.expr(it.next().expect("left operand"));
        let op = match it.next().expect("operator").as_str() {
            "=" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let right = self.expr(it.next().expect("right operand"));
        Comparison {
            op,
            left,
            right,
            span,
        }
    }

    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let operators = pair
            .clone()
            .into_inner()
            .filter(|p| is_operator(p.as_rule()))
            .count();
        if operators > MAX_OPERATORS || self.depth >= MAX_NESTING {
            self.error(
                span,
                format!(
                    "expression too large: at most {MAX_OPERATORS} operators and {MAX_NESTING} levels of nesting"
                ),
            );
            return Expr {
                kind: ExprKind::Int(0),
                span,
            };
        }
        let base = self.base;
        let depth = self.depth + 1;
        let errors = std::cell::RefCell::new(std::mem::take(self.errors));
        let sp = |s: pest::Span<'_>| Span::new(base + s.start(), base + s.end());
        let result = pratt()
            .map_primary(|p| {
                let mut inner = Lowerer {
                    base,
                    errors: &mut errors.borrow_mut(),
                    depth,
                };
                inner.primary(p)
            })
            .map_prefix(|op, rhs| {
                let span = Span::new(sp(op.as_span()).start, rhs.span.end);
                let op = match op.as_rule() {
                    Rule::op_neg => UnaryOp::Neg,
                    Rule::op_bnot => UnaryOp::BNot,
                    _ => UnaryOp::LNot,
                };
                // Fold `-<literal>` so that `-5` is a constant.
                let kind = match (op, &rhs.kind) {
                    (UnaryOp::Neg, ExprKind::Int(v)) => ExprKind::Int(v.wrapping_neg()),
                    (UnaryOp::Neg, ExprKind::Float(v)) => ExprKind::Float(-v),
                    _ => ExprKind::Unary(op, Box::new(rhs)),
                };
                Expr { kind, span }
            })
            .map_infix(|lhs, op, rhs| {
                let span = Span::new(lhs.span.start, rhs.span.end);
                let op = match op.as_rule() {
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    Rule::op_mod => BinaryOp::Mod,
                    Rule::op_pow => BinaryOp::Pow,
                    Rule::op_band => BinaryOp::BAnd,
                    Rule::op_bor => BinaryOp::BOr,
                    Rule::op_bxor => BinaryOp::BXor,
                    Rule::op_bshl => BinaryOp::Shl,
                    Rule::op_bshr => BinaryOp::Shr,
                    Rule::op_bshru => BinaryOp::ShrU,
                    Rule::op_land => BinaryOp::LAnd,
                    _ => BinaryOp::LOr,
                };
                Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                }
            })
            .parse(pair.into_inner());
        *self.errors = errors.into_inner();
        result
    }

    /// The expressions of an `arguments` pair (none when it is absent).
    fn arguments(&mut self, pair: Option<Pair<'_, Rule>>) -> Vec<Expr> {
        pair.map(|a| a.into_inner().map(|e| self.expr(e)).collect())
            .unwrap_or_default()
    }

    pub(super) fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::expr => return self.expr(pair),
            Rule::variable => ExprKind::Var(text.to_string()),
            Rule::wildcard => ExprKind::Wildcard,
            Rule::counter => ExprKind::Counter,
            Rule::string => ExprKind::Str(unescape(text)),
            Rule::integer => match crate::parse_int(text) {
                Some(v) => ExprKind::Int(v),
                None => {
                    self.error(span, format!("integer literal `{text}` is out of range"));
                    ExprKind::Int(0)
                }
            },
            Rule::unsigned => match crate::parse_uint(&text[..text.len() - 1]) {
                Some(v) => ExprKind::Unsigned(v),
                None => {
                    self.error(span, format!("unsigned literal `{text}` is out of range"));
                    ExprKind::Unsigned(0)
                }
            },
            Rule::float => ExprKind::Float(text.parse().unwrap_or(0.0)),
            Rule::functor => {
                let mut it = pair.into_inner();
                let name = it
                    .next()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default();
                ExprKind::Call(name, self.arguments(it.next()))
            }
            Rule::user_call => {
                let mut it = pair.into_inner();
                let name = it.next().map(|p| p.as_str().to_string());
                ExprKind::UserCall(name.unwrap_or_default(), self.arguments(it.next()))
            }
            Rule::record => ExprKind::Record(self.arguments(pair.into_inner().next())),
            Rule::nil => ExprKind::Nil,
            Rule::branch => {
                let mut it = pair.into_inner();
                let name = it.next().map(|p| p.as_str().to_string());
                ExprKind::Branch(name.unwrap_or_default(), self.arguments(it.next()))
            }
            Rule::aggregate => {
                let mut func = AggFunc::Count;
                let mut target = None;
                let mut body = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::agg_func => {
                            func = match p.as_str() {
                                "count" => AggFunc::Count,
                                "sum" => AggFunc::Sum,
                                "min" => AggFunc::Min,
                                "max" => AggFunc::Max,
                                _ => AggFunc::Mean,
                            }
                        }
                        Rule::expr => target = Some(self.expr(p)),
                        Rule::atom => body = vec![Literal::Atom(self.atom(p))],
                        Rule::conjunction => {
                            let pspan = self.span(&p);
                            let mut alts = self.conjunction(p);
                            if alts.len() != 1 {
                                self.error(
                                    pspan,
                                    "disjunction inside an aggregate body is not supported",
                                );
                            }
                            body = alts.pop().unwrap_or_default();
                        }
                        _ => {}
                    }
                }
                ExprKind::Aggregate(Box::new(Aggregate { func, target, body }))
            }
            _ => {
                self.error(span, format!("unexpected `{text}`"));
                ExprKind::Wildcard
            }
        };
        Expr { kind, span }
    }
}
