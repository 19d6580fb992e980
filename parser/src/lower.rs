//! The only file that touches pest: drives the grammar one statement at a time and lowers pest's
//! pairs into the AST of `ast.rs`, collecting every error of the file.

use crate::ast::*;
use crate::error::ParseError;
use pest::Parser;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct DlParser;

/// Whether `name` is a relation name as the grammar reads one (`qname`: identifiers joined
/// by `.`), so that it can be declared and written in rules.
pub(crate) fn is_relation_name(name: &str) -> bool {
    DlParser::parse(Rule::qname, name).is_ok_and(|mut p| p.next().map(|p| p.as_str()) == Some(name))
}

/// Parses `src`, returning the statements that parsed and every error found.
pub(crate) fn parse_statements(src: &str) -> (Program, Vec<ParseError>) {
    if let Some(at) = too_deep(src) {
        let error = ParseError {
            message: format!("parentheses nest deeper than {MAX_PARENS} levels"),
            span: Span::new(at, at + 1),
        };
        return (Program::default(), vec![error]);
    }
    let mut program = Program::default();
    let mut errors = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let rest = &src[pos..];
        // Only blank space and comments left. (Not asked of pest: its error for a failed
        // parse finds the line start by scanning from the end of the input, so a check per
        // statement would be quadratic in the file's length.)
        let blank = skip_blank(rest);
        if blank == rest.len() {
            break;
        }
        let start = pos + blank;
        if src[start..].starts_with("/*") {
            // Only an unterminated block comment stops blank skipping here.
            errors.push(ParseError {
                message: "unterminated block comment".into(),
                span: Span::new(start, start + 2),
            });
            break;
        }
        match DlParser::parse(Rule::statement, rest) {
            Ok(mut pairs) => {
                let stmt = pairs.next().expect("statement rule yields one pair");
                let end = stmt.as_span().end();
                let mut lowerer = Lowerer {
                    base: pos,
                    errors: &mut errors,
                    depth: 0,
                };
                if let Some(inner) = stmt.into_inner().next() {
                    let mut extra = Vec::new();
                    if let Some(item) = lowerer.statement(inner, &mut extra) {
                        program.items.extend(extra);
                        program.items.push(item);
                    }
                }
                if end == 0 {
                    break;
                }
                pos += end;
            }
            Err(e) => {
                let e = detailed(rest, e);
                let (at, message, span) = describe_error(&e, rest);
                errors.push(ParseError {
                    message,
                    span: span.map_or(Span::new(pos + at, pos + next_char_len(rest, at)), |s| {
                        Span::new(pos + s.start, pos + s.end)
                    }),
                });
                let directive = src[start..].starts_with('.');
                pos += resync(rest, at, directive);
            }
        }
    }
    (program, errors)
}

/// The error of a statement that failed to parse, with what pest expected there. pest collects
/// that only when asked (a process-wide switch), at a cost every statement would pay (half the
/// time of parsing a file of facts), so a statement is parsed again with it once it failed.
fn detailed(rest: &str, fast: pest::error::Error<Rule>) -> pest::error::Error<Rule> {
    pest::set_error_detail(true);
    let detailed = DlParser::parse(Rule::statement, rest).err();
    pest::set_error_detail(false);
    detailed.unwrap_or(fast)
}

/// How deeply parentheses may nest in a statement. The grammar tries a parenthesis as an
/// expression before it tries it as a group of literals, so each level parses the levels inside
/// it twice: parsing time grows with the square of the depth (5,000 levels took 55 s).
const MAX_PARENS: usize = 256;

/// The offset of the first `(` nested deeper than [`MAX_PARENS`] in a statement, if any;
/// parentheses in strings and comments do not count, and a statement's end (a `.` before
/// blank space) closes whatever it left open.
fn too_deep(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'(' => {
                depth += 1;
                if depth > MAX_PARENS {
                    return Some(i);
                }
            }
            b')' => depth = depth.saturating_sub(1),
            b'.' if b.get(i + 1).is_none_or(|c| c.is_ascii_whitespace()) => depth = 0,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Bytes of blank space and complete comments at the start of `s`.
fn skip_blank(s: &str) -> usize {
    let mut i = 0;
    loop {
        let rest = &s[i..];
        // The grammar's WHITESPACE.
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}']);
        i += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            i += trimmed.find('\n').unwrap_or(trimmed.len());
        } else if trimmed.starts_with("/*") {
            match trimmed.find("*/") {
                Some(end) => i += end + 2,
                None => return i,
            }
        } else {
            return i;
        }
    }
}

fn next_char_len(s: &str, at: usize) -> usize {
    at + s[at.min(s.len())..]
        .chars()
        .next()
        .map_or(0, char::len_utf8)
}

/// Turns pest's error into the furthest position reached, a message naming what was expected,
/// and a better span where one is known.
fn describe_error(e: &pest::error::Error<Rule>, src: &str) -> (usize, String, Option<Span>) {
    let fallback = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let Some(attempts) = e.parse_attempts() else {
        return (fallback, "syntax error".to_string(), None);
    };
    let at = attempts.max_position.min(src.len());
    let mut expected: Vec<String> = Vec::new();
    for stack in attempts.call_stacks() {
        let rule = stack.deepest.get_rule().copied();
        if let Some(name) = rule.and_then(friendly_rule)
            && !expected.contains(&name.to_string())
        {
            expected.push(name.to_string());
        }
    }
    for token in attempts.expected_tokens() {
        let text = token.to_string();
        if text == "BUILTIN_RULE"
            || (text.len() > 2 && text.contains(".."))
            || text.trim().is_empty()
            || text.trim_matches('\u{feff}').is_empty()
            || text == "//"
            || text == "/*"
            || INFIX_TOKENS.contains(&text.as_str())
            || LITERAL_STARTS.contains(&text.as_str())
            || (CMP_TOKENS.contains(&text.as_str())
                && expected.iter().any(|e| e == "comparison operator"))
        {
            continue;
        }
        let t = format!("`{text}`");
        if !expected.contains(&t) {
            expected.push(t);
        }
    }
    // A missing `.` is best shown right after the statement it should end.
    let mut at = at;
    if expected.iter().any(|e| e == "`.`") {
        let trimmed = src[..at].trim_end();
        if trimmed.len() < at && src[trimmed.len()..at].contains('\n') {
            at = trimmed.len();
        }
    }
    let found = match src[at..].chars().next() {
        None => "end of file".to_string(),
        Some(_) => {
            let word: String = src[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .take(12)
                .collect();
            if word.is_empty() {
                "end of line".to_string()
            } else {
                format!("`{word}`")
            }
        }
    };
    let at_line_end = src[at..].starts_with('\n') || at >= src.len();
    if at_line_end
        && expected.iter().any(|e| e == "`\"`")
        && let Some(open) = src[..at].rfind('"')
    {
        return (
            at,
            "unterminated string literal".into(),
            Some(Span::new(open, at)),
        );
    }
    let message = if expected.iter().any(|e| e == "statement") {
        format!("expected a declaration, directive, fact, rule or query, found {found}")
    } else if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    (at, message, None)
}

const LITERAL_STARTS: &[&str] = &["\"", "0b", "0x", "?", "_", "$"];
const CMP_TOKENS: &[&str] = &["=", "!=", "<", "<=", ">", ">="];
const INFIX_TOKENS: &[&str] = &[
    "+", "-", "*", "/", "%", "^", "band", "bor", "bxor", "bshl", "bshr", "bshru", "land", "lor",
];

/// The text of the next pair (an atom's or annotation's name), or "" if there is none.
fn next_text(it: &mut pest::iterators::Pairs<'_, Rule>) -> String {
    it.next()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn friendly_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::qname | Rule::functor_name => "identifier",
        Rule::expr => "expression",
        Rule::string => "string",
        Rule::io_value => "value",
        Rule::integer | Rule::unsigned | Rule::float => "number",
        Rule::atom => "atom",
        Rule::annotation | Rule::annotation_name => "annotation",
        Rule::annotation_arg => "annotation argument",
        Rule::literal | Rule::conjunction | Rule::disjunction => "body literal",
        Rule::cmp_op => "comparison operator",
        Rule::attribute | Rule::attributes => "attribute `name: type`",
        Rule::io_param => "parameter `key=value`",
        Rule::statement => "statement",
        _ => return None,
    })
}

/// Where to continue after an error at `at`: for a directive, at the next line; otherwise after
/// the next `.` that ends a clause, or at the next line that starts with a directive, whichever
/// comes first.
fn resync(src: &str, at: usize, directive: bool) -> usize {
    let bytes = src.as_bytes();
    if directive {
        return src[at..].find('\n').map_or(src.len(), |i| at + i + 1);
    }
    let mut i = at;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' || c == b'\n' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if c == b'.' && i > at {
            let next = bytes.get(i + 1).copied();
            let at_line_start = i == 0 || bytes[i - 1] == b'\n';
            if at_line_start && next.is_some_and(|n| n.is_ascii_alphabetic()) {
                return i;
            }
            if next.is_none_or(|n| n.is_ascii_whitespace()) {
                return i + 1;
            }
        }
        i += 1;
    }
    bytes.len().max(at + 1)
}

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

/// Operators one expression may hold, and how deeply expressions may nest: beyond these a
/// program is rejected rather than risk exhausting the stack in later recursive passes.
const MAX_OPERATORS: usize = 1_000;
const MAX_NESTING: usize = 200;
/// How many rules one clause may expand to through `;` disjunctions.
const MAX_ALTERNATIVES: usize = 4_096;

struct Lowerer<'e> {
    base: usize,
    errors: &'e mut Vec<ParseError>,
    depth: usize,
}

impl Lowerer<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(ParseError {
            message: message.into(),
            span,
        });
    }

    fn statement(&mut self, pair: Pair<'_, Rule>, pending: &mut Vec<Item>) -> Option<Item> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::decl => {
                let mut items = self.decl(pair, span);
                let last = items.pop();
                pending.extend(items);
                last
            }
            Rule::type_decl => {
                let mut it = pair.into_inner();
                let name = it.next()?.as_str().to_string();
                let def = it.next()?;
                let def = match def.as_rule() {
                    Rule::subtype => TypeDef::Subtype(def.into_inner().next()?.as_str().into()),
                    _ => TypeDef::Union(def.into_inner().map(|p| p.as_str().to_string()).collect()),
                };
                Some(Item::Type(TypeDecl { name, def, span }))
            }
            Rule::legacy_type => {
                let base = if pair.as_str().starts_with(".symbol_type") {
                    "symbol"
                } else {
                    "number"
                };
                let name = pair.into_inner().next()?.as_str().to_string();
                Some(Item::Type(TypeDecl {
                    name,
                    def: TypeDef::Subtype(base.into()),
                    span,
                }))
            }
            Rule::io_directive => Some(self.directive(pair, span)),
            Rule::include => {
                let path = unescape(pair.into_inner().next()?.as_str());
                Some(Item::Include(Include { path, span }))
            }
            Rule::pragma => {
                let mut strings = pair.into_inner().map(|p| unescape(p.as_str()));
                let key = strings.next().unwrap_or_default();
                let value = strings.next().unwrap_or_default();
                Some(Item::Pragma(Pragma { key, value, span }))
            }
            Rule::query => {
                let body = self.disjunction(pair.into_inner().next()?);
                Some(Item::Query(Query { body, span }))
            }
            Rule::integrity => {
                let mut annotations = Vec::new();
                let mut body = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::annotation => annotations.push(self.annotation(p)),
                        Rule::disjunction => body = self.disjunction(p),
                        _ => {}
                    }
                }
                Some(Item::Integrity(Integrity {
                    annotations,
                    body,
                    span,
                }))
            }
            Rule::clause => {
                let mut annotations = Vec::new();
                let mut heads = Vec::new();
                let mut confidence = None;
                let mut time = None;
                let mut body = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::annotation => annotations.push(self.annotation(p)),
                        Rule::heads => heads = p.into_inner().map(|a| self.atom(a)).collect(),
                        Rule::head_confidence => {
                            confidence = p.into_inner().next().map(|e| self.expr(e));
                        }
                        Rule::head_time => time = p.into_inner().next().map(|e| self.expr(e)),
                        Rule::disjunction => body = self.disjunction(p),
                        _ => {}
                    }
                }
                Some(Item::Clause(Clause {
                    annotations,
                    heads,
                    confidence,
                    time,
                    body,
                    span,
                }))
            }
            _ => None,
        }
    }

    fn decl(&mut self, pair: Pair<'_, Rule>, span: Span) -> Vec<Item> {
        let mut names = Vec::new();
        let mut attributes = Vec::new();
        let mut qualifiers = Vec::new();
        let mut combine = None;
        let mut functional = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::qname_list => {
                    names = p.into_inner().map(|n| n.as_str().to_string()).collect()
                }
                Rule::attributes => {
                    for a in p.into_inner() {
                        let mut it = a.into_inner();
                        let (Some(n), Some(t)) = (it.next(), it.next()) else {
                            continue;
                        };
                        attributes.push(Attribute {
                            name: n.as_str().to_string(),
                            ty: t.as_str().to_string(),
                            span: self.span(&t),
                        });
                    }
                }
                Rule::qualifier => qualifiers.push(p.as_str().to_string()),
                Rule::combine => {
                    let span = self.span(&p);
                    if let Some(policy) = p.into_inner().next() {
                        combine = Some((policy.as_str().to_string(), span));
                    }
                }
                Rule::functional => {
                    let span = self.span(&p);
                    let keys = p.into_inner().map(|k| k.as_str().to_string()).collect();
                    functional = Some((keys, span));
                }
                _ => {}
            }
        }
        // `.decl a, b(x: number)` declares each name with the same attributes.
        names
            .into_iter()
            .map(|name| {
                Item::Decl(Decl {
                    name,
                    attributes: attributes.clone(),
                    qualifiers: qualifiers.clone(),
                    combine: combine.clone(),
                    functional: functional.clone(),
                    span,
                })
            })
            .collect()
    }

    fn directive(&mut self, pair: Pair<'_, Rule>, span: Span) -> Item {
        let mut kind = DirectiveKind::Input;
        let mut relations = Vec::new();
        let mut params = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::io_kind => {
                    kind = match p.as_str() {
                        ".input" => DirectiveKind::Input,
                        ".output" => DirectiveKind::Output,
                        ".printsize" => DirectiveKind::PrintSize,
                        ".merge" => DirectiveKind::Merge,
                        _ => DirectiveKind::LimitSize,
                    }
                }
                Rule::qname_list => {
                    relations = p
                        .into_inner()
                        .map(|n| (n.as_str().to_string(), self.span(&n)))
                        .collect()
                }
                Rule::io_params => {
                    for kv in p.into_inner() {
                        let mut it = kv.into_inner();
                        let (Some(k), Some(v)) = (it.next(), it.next()) else {
                            continue;
                        };
                        let raw = v.as_str();
                        let value = if raw.starts_with('"') {
                            unescape(raw)
                        } else {
                            raw.to_string()
                        };
                        params.push((k.as_str().to_string(), value));
                    }
                }
                _ => {}
            }
        }
        Item::Directive(Directive {
            kind,
            relations,
            params,
            span,
        })
    }

    fn disjunction(&mut self, pair: Pair<'_, Rule>) -> Vec<Vec<Literal>> {
        let mut out = Vec::new();
        for conj in pair.into_inner() {
            out.extend(self.conjunction(conj));
        }
        out
    }

    /// A conjunction in disjunctive normal form: nested groups multiply out.
    fn conjunction(&mut self, pair: Pair<'_, Rule>) -> Vec<Vec<Literal>> {
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
    fn literal(&mut self, pair: Pair<'_, Rule>) -> Vec<Vec<Literal>> {
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
    fn negate(&mut self, negated: Vec<Vec<Literal>>, span: Span) -> Vec<Vec<Literal>> {
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
    fn complement(&mut self, lit: &Literal) -> Literal {
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

    fn atom(&mut self, pair: Pair<'_, Rule>) -> Atom {
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

    fn annotation(&mut self, pair: Pair<'_, Rule>) -> Annotation {
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

    fn comparison(&mut self, pair: Pair<'_, Rule>) -> Comparison {
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

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
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

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
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
                let args = it
                    .next()
                    .map(|a| a.into_inner().map(|e| self.expr(e)).collect())
                    .unwrap_or_default();
                ExprKind::Call(name, args)
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

/// Strips the quotes of a string literal and resolves its escapes.
fn unescape(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
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
