//! Programs generated from bytes: declarations, facts, rules and directives built from the
//! pieces of engram's dialect (Soufflé's core and engram's additions), mostly well formed, so
//! that the planner and the evaluator are what a fuzzer explores, not the parser's first
//! error. Types, arities and variables are chosen freely, so many programs are wrong in the
//! ways a planner must catch (a variable of two types, an ungrounded head, a negation cycle).

/// Choices read from bytes: each [`Choices::pick`] takes the next byte; once they run out,
/// every pick is 0 (the simplest choice), so any bytes make a finite program.
pub struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    /// Choices read from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Choices<'a> {
        Choices { bytes, at: 0 }
    }

    /// A number below `n` (0 when the bytes have run out or `n` is 0).
    pub fn pick(&mut self, n: usize) -> usize {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 { 0 } else { b as usize % n }
    }

    /// One of `items` (not empty).
    pub fn one<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.pick(items.len())]
    }

    /// Whether the bytes have run out.
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

const TYPES: [&str; 4] = ["symbol", "number", "unsigned", "float"];
const VARS: [&str; 5] = ["x", "y", "z", "w", "_"];
const SYMBOLS: [&str; 4] = ["\"a\"", "\"b\"", "\"\"", "\"x\\ty\""];
const NUMBERS: [&str; 6] = ["0", "1", "-3", "42", "0x10", "2147483647"];
const FLOATS: [&str; 3] = ["0.5", "-1.25", "1e3"];

/// A relation of the generated program.
struct Rel {
    name: String,
    types: Vec<&'static str>,
}

/// A program of up to 5 relations, a few facts, up to 8 rules, queries and directives.
pub fn program(c: &mut Choices<'_>) -> String {
    let mut out = String::new();
    let rels: Vec<Rel> = (0..1 + c.pick(5))
        .map(|i| Rel {
            name: format!("r{i}"),
            types: (0..c.pick(4)).map(|_| c.one(&TYPES)).collect(),
        })
        .collect();
    for r in &rels {
        let cols: Vec<String> = (r.types.iter().enumerate())
            .map(|(i, t)| format!("c{i}: {t}"))
            .collect();
        let qualifier = c.one(&["", "", " eqrel", " input", " output", " inline"]);
        out.push_str(&format!(
            ".decl {}({}){qualifier}\n",
            r.name,
            cols.join(", ")
        ));
        match c.pick(6) {
            0 => out.push_str(&format!(".output {}\n", r.name)),
            1 => out.push_str(&format!(".printsize {}\n", r.name)),
            2 => out.push_str(&format!(
                ".output {}(IO=stdout, headers={})\n",
                r.name,
                c.one(&["true", "false", "maybe"])
            )),
            _ => {}
        }
    }
    for _ in 0..c.pick(6) {
        let r = &rels[c.pick(rels.len())];
        let args: Vec<String> = r.types.iter().map(|t| constant(c, t)).collect();
        let conf = c.one(&["", "", " @ 0.7", " @ 1.5"]);
        out.push_str(&format!("{}({}){conf}.\n", r.name, args.join(", ")));
    }
    for _ in 0..1 + c.pick(8) {
        if c.done() {
            break;
        }
        out.push_str(&rule(c, &rels));
    }
    if c.pick(3) == 0 {
        let r = &rels[c.pick(rels.len())];
        out.push_str(&format!("?- {}.\n", atom(c, r)));
    }
    out
}

/// A constant of a column type (sometimes of another type, which the planner refuses).
fn constant(c: &mut Choices<'_>, ty: &str) -> String {
    let ty = if c.pick(8) == 0 { c.one(&TYPES) } else { ty };
    match ty {
        "symbol" => c.one(&SYMBOLS).to_string(),
        "float" => c.one(&FLOATS).to_string(),
        "unsigned" => c.one(&["0", "7", "4294967295"]).to_string(),
        _ => c.one(&NUMBERS).to_string(),
    }
}

/// An argument: a variable, a constant, or an expression.
fn term(c: &mut Choices<'_>, ty: &str) -> String {
    match c.pick(8) {
        0 => constant(c, ty),
        1 => format!(
            "{} {} {}",
            c.one(&VARS[..4]),
            c.one(&["+", "-", "*", "/", "%", "band", "^"]),
            c.one(&["1", "2", "0", "x"])
        ),
        2 => format!(
            "{}({})",
            c.one(&["cat", "strlen", "to_string", "to_number", "ord", "sk"]),
            c.one(&VARS[..4])
        ),
        _ => c.one(&VARS).to_string(),
    }
}

fn atom(c: &mut Choices<'_>, r: &Rel) -> String {
    let args: Vec<String> = r.types.iter().map(|t| term(c, t)).collect();
    format!("{}({})", r.name, args.join(", "))
}

/// A rule: annotations, a head, and a body of atoms, negations, comparisons and aggregates.
fn rule(c: &mut Choices<'_>, rels: &[Rel]) -> String {
    let mut out = String::new();
    match c.pick(5) {
        0 => out.push_str("@name(\"gen\") "),
        1 => out.push_str(&format!("@weight({}) ", c.one(&["0.5", "1", "2", "-1"]))),
        _ => {}
    }
    let head = &rels[c.pick(rels.len())];
    let head_text = if c.pick(10) == 0 {
        String::new() // an integrity constraint: `:- body.`
    } else {
        let args: Vec<String> = (head.types.iter())
            .map(|t| match c.pick(4) {
                0 => term(c, t),
                _ => c.one(&VARS[..4]).to_string(),
            })
            .collect();
        format!("{}({})", head.name, args.join(", "))
    };
    let mut body = Vec::new();
    for _ in 0..1 + c.pick(4) {
        let r = &rels[c.pick(rels.len())];
        body.push(match c.pick(9) {
            0 => format!("!{}", atom(c, r)),
            1 => {
                let (var, op, ty) = (
                    c.one(&VARS[..4]),
                    c.one(&["<", "<=", "=", "!=", ">"]),
                    c.one(&TYPES),
                );
                format!("{var} {op} {}", term(c, ty))
            }
            2 => format!(
                "{} = {} : {{ {} }}",
                c.one(&VARS[..4]),
                c.one(&["count", "sum x", "min y", "max z", "mean x"]),
                atom(c, r)
            ),
            3 => format!("match(\"a.*\", {})", c.one(&VARS[..4])),
            4 => format!("{} ~ t", atom(c, r)),
            _ => atom(c, r),
        });
    }
    let sep = c.one(&[", ", ", ", "; "]);
    out.push_str(&format!("{head_text} :- {}.\n", body.join(sep)));
    out
}
