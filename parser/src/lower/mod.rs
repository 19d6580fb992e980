//! The only module that touches pest (with its parts `body.rs` and `diagnose.rs`): drives the grammar one statement at a time and lowers pest's
//! pairs into the AST of `ast.rs`, collecting every error of the file.

mod body;
mod diagnose;

use crate::ast::*;
use crate::error::ParseError;
use diagnose::describe_error;
use pest::Parser;
use pest::iterators::Pair;

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
    let mut nest = Nesting::default();
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
                    let span = lowerer.span(&inner);
                    match inner.as_rule() {
                        Rule::comp_open => nest.open(lowerer.comp_header(inner, span)),
                        Rule::comp_close => nest.close(span, lowerer.errors),
                        Rule::comp_override => {
                            let name = (inner.into_inner())
                                .find(|p| p.as_rule() == Rule::ident)
                                .map(|p| p.as_str().to_string());
                            nest.override_(name.unwrap_or_default(), span, lowerer.errors);
                        }
                        _ => {
                            let mut extra = Vec::new();
                            if let Some(item) = lowerer.statement(inner, &mut extra) {
                                extra.into_iter().for_each(|i| nest.push(i));
                                nest.push(item);
                            }
                        }
                    }
                }
                if end == 0 {
                    break;
                }
                pos += end;
            }
            Err(e) => {
                let e = detailed(rest, e);
                let (at, message, span) = describe_error(&e, rest, &src[..pos]);
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
    (nest.finish(&mut errors), errors)
}

/// The components open at a point of the file (`.comp ... {` read, its `}` not yet), and the
/// items read outside every component.
#[derive(Default)]
struct Nesting {
    open: Vec<Component>,
    top: Vec<Item>,
}

impl Nesting {
    fn push(&mut self, item: Item) {
        match self.open.last_mut() {
            Some(c) => c.items.push(item),
            None => self.top.push(item),
        }
    }

    fn open(&mut self, header: Component) {
        self.open.push(header);
    }

    fn close(&mut self, span: Span, errors: &mut Vec<ParseError>) {
        match self.open.pop() {
            Some(c) => self.push(Item::Component(c)),
            None => errors.push(ParseError {
                message: "`}` closes no component".into(),
                span,
            }),
        }
    }

    fn override_(&mut self, name: String, span: Span, errors: &mut Vec<ParseError>) {
        match self.open.last_mut() {
            Some(c) => c.overrides.push((name, span)),
            None => errors.push(ParseError {
                message: "`.override` outside a component".into(),
                span,
            }),
        }
    }

    /// The program read; a component left open is an error at its header.
    fn finish(mut self, errors: &mut Vec<ParseError>) -> Program {
        while let Some(c) = self.open.pop() {
            errors.push(ParseError {
                message: format!("component `{}` has no closing `}}`", c.name),
                span: c.span,
            });
            self.push(Item::Component(c));
        }
        Program { items: self.top }
    }
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

/// The `name: type` list of a declaration, a record type or an ADT branch.
fn fields(attributes: Option<Pair<'_, Rule>>, base: usize) -> Vec<Attribute> {
    let Some(attributes) = attributes else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in attributes.into_inner() {
        let mut it = a.into_inner();
        let (Some(n), Some(t)) = (it.next(), it.next()) else {
            continue;
        };
        let s = t.as_span();
        out.push(Attribute {
            name: n.as_str().to_string(),
            ty: t.as_str().to_string(),
            span: Span::new(base + s.start(), base + s.end()),
        });
    }
    out
}

/// A `.type` declaration: a subtype, a union, a record type or an ADT.
fn type_decl(pair: Pair<'_, Rule>, span: Span, base: usize) -> Option<Item> {
    let mut it = pair.into_inner();
    let name = it.next()?.as_str().to_string();
    let def = it.next()?;
    let def = match def.as_rule() {
        Rule::subtype => TypeDef::Subtype(def.into_inner().next()?.as_str().into()),
        Rule::record_type => TypeDef::Record(fields(def.into_inner().next(), base)),
        Rule::adt_type => TypeDef::Adt(
            def.into_inner()
                .filter_map(|b| {
                    let mut it = b.into_inner();
                    let name = it.next()?.as_str().to_string();
                    Some(Branch {
                        name,
                        fields: fields(it.next(), base),
                    })
                })
                .collect(),
        ),
        _ => TypeDef::Union(def.into_inner().map(|p| p.as_str().to_string()).collect()),
    };
    Some(Item::Type(TypeDecl { name, def, span }))
}

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
            Rule::type_decl => type_decl(pair, span, self.base),
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
            Rule::integrity => Some(self.integrity(pair, span)),
            Rule::init => {
                let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::kw_init);
                let name = inner.next()?.as_str().to_string();
                let comp = comp_ref(inner.next()?, self.base);
                Some(Item::Init(Init { name, comp, span }))
            }
            Rule::functor_decl => Some(functor_decl(pair, span)),
            Rule::clause => {
                let span = rule_span(&pair, span);
                Some(self.clause(pair, span))
            }
            Rule::subsumption => {
                let span = rule_span(&pair, span);
                Some(self.subsumption(pair, span))
            }
            Rule::exec_plan => {
                self.errors.push(ParseError {
                    message: "`.plan` orders the atoms of the rule it follows: write it after \
                              a rule's `.`"
                        .into(),
                    span,
                });
                None
            }
            _ => None,
        }
    }

    /// A component's header, `.comp Name<T> : Base<T> {`, its body empty.
    fn comp_header(&mut self, pair: Pair<'_, Rule>, span: Span) -> Component {
        let mut types = pair.into_inner().map(|p| comp_ref(p, self.base));
        let own = types.next().unwrap_or(CompRef {
            name: String::new(),
            args: Vec::new(),
            span,
        });
        Component {
            name: own.name,
            params: own.args,
            bases: types.collect(),
            items: Vec::new(),
            overrides: Vec::new(),
            span,
        }
    }

    /// An integrity constraint: `:- body.` with annotations.
    fn integrity(&mut self, pair: Pair<'_, Rule>, span: Span) -> Item {
        let mut annotations = Vec::new();
        let mut body = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::disjunction => body = self.disjunction(p),
                _ => {}
            }
        }
        Item::Integrity(Integrity {
            annotations,
            body,
            span,
        })
    }

    /// A subsumption rule: `dominated <= dominating :- body.`
    fn subsumption(&mut self, pair: Pair<'_, Rule>, span: Span) -> Item {
        let mut atoms = Vec::new();
        let mut body = Vec::new();
        let mut plan = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::atom => atoms.push(self.atom(p)),
                Rule::disjunction => body = self.disjunction(p),
                Rule::exec_plan => plan = self.exec_plan(p),
                _ => {}
            }
        }
        let dominating = atoms.pop().expect("the grammar gives two atoms");
        let dominated = atoms.pop().expect("the grammar gives two atoms");
        Item::Subsumption(Subsumption {
            dominated,
            dominating,
            body,
            plan,
            span,
        })
    }

    /// Soufflé's `.plan 0:(1,2), 1:(2,1)`: each version's order of the body atoms.
    fn exec_plan(&mut self, pair: Pair<'_, Rule>) -> Vec<PlanOrder> {
        let mut orders = Vec::new();
        for order in pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::plan_order)
        {
            let span = self.span(&order);
            let mut numbers = order.into_inner().map(|n| {
                n.as_str().parse::<usize>().unwrap_or_else(|_| {
                    let span = self.span(&n);
                    self.errors.push(ParseError {
                        message: format!("`{}` is too large for a `.plan` position", n.as_str()),
                        span,
                    });
                    0
                })
            });
            let version = numbers.next().expect("the grammar gives a version");
            let atoms = numbers.collect();
            orders.push(PlanOrder {
                version,
                atoms,
                span,
            });
        }
        orders
    }

    /// A fact or a rule: annotations, heads, a confidence and time, a body.
    fn clause(&mut self, pair: Pair<'_, Rule>, span: Span) -> Item {
        let mut annotations = Vec::new();
        let mut heads = Vec::new();
        let mut confidence = None;
        let mut time = None;
        let mut body = Vec::new();
        let mut plan = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::heads => heads = p.into_inner().map(|a| self.atom(a)).collect(),
                Rule::head_confidence => {
                    confidence = p.into_inner().next().map(|e| self.expr(e));
                }
                Rule::head_time => time = p.into_inner().next().map(|e| self.expr(e)),
                Rule::disjunction => body = self.disjunction(p),
                Rule::exec_plan => plan = self.exec_plan(p),
                _ => {}
            }
        }
        Item::Clause(Clause {
            annotations,
            heads,
            confidence,
            time,
            body,
            plan,
            span,
        })
    }

    fn decl(&mut self, pair: Pair<'_, Rule>, span: Span) -> Vec<Item> {
        let mut names = Vec::new();
        let mut attributes = Vec::new();
        let mut qualifiers = Vec::new();
        let mut combine = None;
        let mut functional = None;
        let mut choice = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::qname_list => {
                    names = p.into_inner().map(|n| n.as_str().to_string()).collect()
                }
                Rule::attributes => attributes.extend(fields(Some(p), self.base)),
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
                Rule::choice_domain => {
                    let span = self.span(&p);
                    let domains = (p.into_inner())
                        .map(|key| key.into_inner().map(|c| c.as_str().to_string()).collect())
                        .collect();
                    choice = Some((domains, span));
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
                    choice: choice.clone(),
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
}

/// The character of a `{hex}` code point at the start of `rest` (what follows `\u`), with the
/// bytes it takes.
fn unicode_escape(rest: &str) -> Option<(char, usize)> {
    let inner = rest.strip_prefix('{')?;
    let end = inner.find('}')?;
    let hex = &inner[..end];
    if hex.is_empty() || hex.len() > 6 {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((c, end + 2))
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
            Some('0') => out.push('\0'),
            // `\u{1f}`: a character by its code point (what engram prints for a control
            // character); anything else after `\u` is kept as written.
            Some('u') => match unicode_escape(chars.as_str()) {
                Some((c, len)) => {
                    out.push(c);
                    chars = chars.as_str()[len..].chars();
                }
                None => out.push_str("\\u"),
            },
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `Name<A, B>` (a component and its arguments); `base` is the statement's offset.
fn comp_ref(pair: Pair<'_, Rule>, base: usize) -> CompRef {
    let s = pair.as_span();
    let span = Span::new(base + s.start(), base + s.end());
    let mut parts = pair.into_inner().map(|p| p.as_str().to_string());
    CompRef {
        name: parts.next().unwrap_or_default(),
        args: parts.collect(),
        span,
    }
}

/// `.functor f(x: number, s: symbol): number [stateful]`.
fn functor_decl(pair: Pair<'_, Rule>, span: Span) -> Item {
    let mut decl = FunctorDecl {
        name: String::new(),
        params: Vec::new(),
        ret: String::new(),
        stateful: false,
        span,
    };
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::functor_name => decl.name = p.as_str().to_string(),
            Rule::functor_param => {
                let ty = p.into_inner().last().map(|t| t.as_str().to_string());
                decl.params.push(ty.unwrap_or_default());
            }
            Rule::qname => decl.ret = p.as_str().to_string(),
            Rule::stateful => decl.stateful = true,
            _ => {}
        }
    }
    Item::Functor(decl)
}

/// The span of `pair`, a rule or a fact, ending at its `.` (or its `.plan`): looking for a
/// `.plan` after the `.`, pest took the blank space and comments that follow into the rule.
fn rule_span(pair: &Pair<'_, Rule>, span: Span) -> Span {
    let start = pair.as_span().start();
    if let Some(plan) = (pair.clone().into_inner()).find(|p| p.as_rule() == Rule::exec_plan) {
        // Its last order ends at its `)`.
        let end =
            (plan.into_inner().last()).map_or(span.end - span.start, |o| o.as_span().end() - start);
        return Span::new(span.start, span.start + end);
    }
    let text = pair.as_str();
    let last = (pair.clone().into_inner().last()).map_or(0, |p| p.as_span().end() - start);
    let dot = last + skip_blank(&text[last..]);
    match text[dot..].starts_with('.') {
        true => Span::new(span.start, span.start + dot + 1),
        false => span,
    }
}
