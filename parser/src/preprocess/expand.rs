//! Macros: their definitions (`#define NAME body`, `#define F(a, b) body`) and their expansion
//! as the C preprocessor does it: arguments expanded before they are substituted (except next
//! to `#` and `##`), `#a` made a string, `a ## b` pasted into one token, the result read again
//! for more macros, and a macro never expanded again inside its own expansion (each token
//! carries the macros that produced it).

use super::lex::{Kind, Tok, lex};
use std::collections::{HashMap, VecDeque};

/// One macro.
#[derive(Clone, Debug)]
pub(crate) struct Macro {
    /// `Some` for a function-like macro: its parameters (`__VA_ARGS__` last when variadic).
    pub params: Option<Vec<String>>,
    /// Whether the last parameter takes the remaining arguments (`...`).
    pub variadic: bool,
    pub body: Vec<Tok>,
}

/// The macros defined so far.
pub(crate) type Macros = HashMap<String, Macro>;

/// An error at a byte offset of the file being read.
pub(crate) type Failure = (usize, String);

/// How many tokens one block may grow to: a guard against macros that double at each level.
const MAX_TOKENS: usize = 50_000_000;

/// Reads a `#define`'s tokens after `define`: the name, parameters and body.
pub(crate) fn parse_define(toks: &[Tok], at: usize) -> Result<(String, Macro), Failure> {
    let mut i = skip_blank(toks, 0);
    let name = match toks.get(i) {
        Some(t) if t.kind == Kind::Ident => t.text.clone(),
        _ => return Err((at, "`#define` needs a macro name".into())),
    };
    i += 1;
    let mut params = None;
    let mut variadic = false;
    if toks.get(i).is_some_and(|t| t.is_punct("(")) {
        let mut names = Vec::new();
        i += 1;
        loop {
            i = skip_blank(toks, i);
            match toks.get(i) {
                Some(t) if t.is_punct(")") && names.is_empty() => break,
                Some(t) if t.kind == Kind::Ident => names.push(t.text.clone()),
                Some(t) if t.is_punct(".") && dots(toks, i) => {
                    names.push("__VA_ARGS__".to_string());
                    variadic = true;
                    i += 2;
                }
                _ => return Err((at, format!("bad parameter list of macro `{name}`"))),
            }
            i = skip_blank(toks, i + 1);
            match toks.get(i) {
                Some(t) if t.is_punct(")") => break,
                Some(t) if t.is_punct(",") && !variadic => i += 1,
                _ => return Err((at, format!("bad parameter list of macro `{name}`"))),
            }
        }
        i += 1;
        params = Some(names);
    }
    let body: Vec<Tok> = (toks[i.min(toks.len())..].iter())
        .map(|t| match t.kind {
            Kind::Comment | Kind::Continuation => Tok::new(Kind::Space, " ", t.at),
            _ => t.clone(),
        })
        .collect();
    let trimmed = trim(&body).to_vec();
    let m = Macro {
        params,
        variadic,
        body: trimmed,
    };
    Ok((name, m))
}

fn dots(toks: &[Tok], i: usize) -> bool {
    (i..i + 3).all(|j| toks.get(j).is_some_and(|t| t.is_punct(".")))
}

fn skip_blank(toks: &[Tok], mut i: usize) -> usize {
    while toks.get(i).is_some_and(Tok::is_blank) {
        i += 1;
    }
    i
}

fn trim(toks: &[Tok]) -> &[Tok] {
    let blank = |t: &Tok| t.is_blank() || t.kind == Kind::Newline;
    let start = toks.iter().position(|t| !blank(t)).unwrap_or(toks.len());
    let end = toks
        .iter()
        .rposition(|t| !blank(t))
        .map_or(start, |e| e + 1);
    &toks[start..end]
}

/// Expands every macro in `toks`. A use of a function-like macro may span lines: the line
/// ends it takes are put back after the next line end, so that every other line keeps its
/// number.
pub(crate) fn expand(toks: Vec<Tok>, macros: &Macros) -> Result<Vec<Tok>, Failure> {
    let mut work: VecDeque<Tok> = toks.into();
    let mut out: Vec<Tok> = Vec::new();
    let mut owed = 0;
    while let Some(t) = work.pop_front() {
        if out.len() + work.len() > MAX_TOKENS {
            return Err((t.at, "macro expansion too large".into()));
        }
        if t.kind == Kind::Newline {
            out.extend((0..owed).map(|_| Tok::new(Kind::Newline, "\n", t.at)));
            owed = 0;
            out.push(t);
            continue;
        }
        let found = (t.kind == Kind::Ident && !t.hide.contains(&t.text))
            .then(|| macros.get(&t.text))
            .flatten();
        let Some(m) = found else {
            out.push(t);
            continue;
        };
        let replacement = match &m.params {
            None => substitute(m, &[], macros, t.at)?,
            Some(_) => {
                let open = (0..work.len())
                    .find(|&k| !(work[k].is_blank() || work[k].kind == Kind::Newline));
                if !open.is_some_and(|k| work[k].is_punct("(")) {
                    out.push(t);
                    continue;
                }
                let (args, lines) = take_arguments(&mut work, open.unwrap_or(0), &t)?;
                owed += lines;
                check_arity(m, &args, &t)?;
                substitute(m, &args, macros, t.at)?
            }
        };
        for mut r in replacement.into_iter().rev() {
            r.at = t.at;
            for h in t.hide.iter().chain([&t.text]) {
                if !r.hide.contains(h) {
                    r.hide.push(h.clone());
                }
            }
            work.push_front(r);
        }
    }
    out.extend((0..owed).map(|_| Tok::new(Kind::Newline, "\n", 0)));
    Ok(out)
}

/// Takes a use's arguments from `work` (whose token `open` is its `(`), through the matching
/// `)`; line ends within become spaces, and are counted.
fn take_arguments(
    work: &mut VecDeque<Tok>,
    open: usize,
    name: &Tok,
) -> Result<(Vec<Vec<Tok>>, usize), Failure> {
    let mut lines = (0..open).filter(|&k| work[k].kind == Kind::Newline).count();
    work.drain(..=open);
    let mut args = vec![Vec::new()];
    let mut depth = 1;
    loop {
        let Some(mut t) = work.pop_front() else {
            let message = format!("unterminated use of macro `{}`", name.text);
            return Err((name.at, message));
        };
        if t.kind == Kind::Newline {
            lines += 1;
            t = Tok::new(Kind::Space, " ", t.at);
        }
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            depth -= 1;
            if depth == 0 {
                return Ok((args, lines));
            }
        } else if t.is_punct(",") && depth == 1 {
            args.push(Vec::new());
            continue;
        }
        args.last_mut().expect("one argument at least").push(t);
    }
}

fn check_arity(m: &Macro, args: &[Vec<Tok>], name: &Tok) -> Result<(), Failure> {
    let params = m.params.as_deref().unwrap_or(&[]);
    let given = if params.is_empty() && args.len() == 1 && trim(&args[0]).is_empty() {
        0
    } else {
        args.len()
    };
    let fits = if m.variadic {
        given + 1 >= params.len()
    } else {
        given == params.len()
    };
    if fits {
        return Ok(());
    }
    let message = format!(
        "macro `{}` takes {}{} argument{}, given {given}",
        name.text,
        if m.variadic { "at least " } else { "" },
        params.len() - usize::from(m.variadic),
        if params.len() - usize::from(m.variadic) == 1 {
            ""
        } else {
            "s"
        },
    );
    Err((name.at, message))
}

/// The body of `m` with its parameters replaced by `args`, `#` and `##` applied.
fn substitute(
    m: &Macro,
    args: &[Vec<Tok>],
    macros: &Macros,
    at: usize,
) -> Result<Vec<Tok>, Failure> {
    let params = m.params.as_deref().unwrap_or(&[]);
    let arg_of = |name: &str| -> Option<Vec<Tok>> {
        let i = params.iter().position(|p| p == name)?;
        if m.variadic && i + 1 == params.len() {
            let mut rest = Vec::new();
            for (k, a) in args.iter().enumerate().skip(i) {
                if k > i {
                    rest.push(Tok::new(Kind::Punct, ",", at));
                }
                rest.extend(a.iter().cloned());
            }
            return Some(trim(&rest).to_vec());
        }
        Some(args.get(i).map_or(Vec::new(), |a| trim(a).to_vec()))
    };
    let body = &m.body;
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let t = &body[i];
        let next = skip_blank(body, i + 1);
        if m.params.is_some()
            && t.is_punct("#")
            && let Some(arg) = body.get(next).and_then(|n| arg_of(&n.text))
        {
            out.push(Tok::new(Kind::Str, &stringize(&arg), at));
            i = next + 1;
            continue;
        }
        match (t.kind == Kind::Ident).then(|| arg_of(&t.text)).flatten() {
            Some(arg) => {
                let pasted = body.get(next).is_some_and(|n| n.is_punct("##"))
                    || (out.iter().rev().find(|o| !o.is_blank())).is_some_and(|o| o.is_punct("##"));
                if pasted {
                    let raw = trim(&arg).to_vec();
                    // An empty argument next to `##` is a placemarker: nothing to paste.
                    out.extend(if raw.is_empty() {
                        vec![Tok::new(Kind::Punct, "", at)]
                    } else {
                        raw
                    });
                } else {
                    out.extend(expand(arg, macros)?);
                }
            }
            None => out.push(t.clone()),
        }
        i += 1;
    }
    Ok(paste(out))
}

/// `a ## b`: the token before and the token after joined into one (read again as tokens).
fn paste(toks: Vec<Tok>) -> Vec<Tok> {
    if !toks.iter().any(|t| t.is_punct("##")) {
        return toks.into_iter().filter(|t| !t.text.is_empty()).collect();
    }
    let mut out: Vec<Tok> = Vec::new();
    let mut iter = toks.into_iter().peekable();
    while let Some(t) = iter.next() {
        if !t.is_punct("##") {
            out.push(t);
            continue;
        }
        while out.last().is_some_and(Tok::is_blank) {
            out.pop();
        }
        while iter.peek().is_some_and(Tok::is_blank) {
            iter.next();
        }
        let left = out.pop().map(|l| l.text).unwrap_or_default();
        let right = iter.next().map(|r| r.text).unwrap_or_default();
        let hide = t.hide.clone();
        out.extend(lex(&format!("{left}{right}")).into_iter().map(|mut n| {
            n.at = t.at;
            n.hide = hide.clone();
            n
        }));
    }
    out.into_iter().filter(|t| !t.text.is_empty()).collect()
}

/// `#a`: the argument's text as a string literal, blank space made one space.
fn stringize(arg: &[Tok]) -> String {
    let mut text = String::from("\"");
    let mut blank = false;
    for t in trim(arg) {
        if t.is_blank() || t.kind == Kind::Newline {
            blank = true;
            continue;
        }
        if blank {
            text.push(' ');
            blank = false;
        }
        if t.kind == Kind::Str {
            text.push_str(&t.text.replace('\\', "\\\\").replace('"', "\\\""));
        } else {
            text.push_str(&t.text);
        }
    }
    text.push('"');
    text
}

#[cfg(test)]
mod tests {
    use super::super::lex::text_of;
    use super::*;

    fn run(defines: &[&str], text: &str) -> Result<String, String> {
        let mut macros = Macros::new();
        for d in defines {
            let (name, m) = parse_define(&lex(d), 0).map_err(|e| e.1)?;
            macros.insert(name, m);
        }
        expand(lex(text), &macros)
            .map(|t| text_of(&t))
            .map_err(|e| e.1)
    }

    #[test]
    fn object_and_function_macros() {
        assert_eq!(run(&["N 10"], "r(N, N1)."), Ok("r(10, N1).".into()));
        assert_eq!(
            run(&["F(a, b) a + b"], "r(F(1, (2, 3)))."),
            Ok("r(1 + (2, 3)).".into())
        );
        assert_eq!(run(&["F(a) [a]"], "F ( x ) F"), Ok("[x] F".into()));
        assert_eq!(
            run(&["S(a) #a"], "S( p  \"q\" )"),
            Ok("\"p \\\"q\\\"\"".into())
        );
        assert_eq!(
            run(&["P(a, b) a ## b"], "P(x, 1) P(, y)"),
            Ok("x1 y".into())
        );
        assert_eq!(
            run(&["V(a, ...) a(__VA_ARGS__)"], "V(r, 1, 2)"),
            Ok("r(1, 2)".into())
        );
        assert_eq!(run(&["N \"r\""], "s(\"N\")"), Ok("s(\"N\")".into()));
    }

    #[test]
    fn rescanning_and_self_reference() {
        assert_eq!(run(&["f g", "g(x) [x]"], "f(1)"), Ok("[1]".into()));
        assert_eq!(run(&["x x + 1"], "x"), Ok("x + 1".into()));
        assert_eq!(run(&["a b", "b a"], "a b"), Ok("a b".into()));
        assert_eq!(
            run(&["id(x) x", "two id(id)(2)"], "two"),
            Ok("id(2)".into())
        );
    }

    #[test]
    fn lines_taken_by_a_use_are_put_back() {
        let out = run(&["F(a, b) a b"], "F(1,\n 2) x\ny").unwrap();
        assert_eq!(out, "1 2 x\n\ny");
    }

    #[test]
    fn misuse_is_an_error() {
        assert!(
            run(&["F(a, b) a"], "F(1)")
                .unwrap_err()
                .contains("takes 2 arguments, given 1")
        );
        assert!(
            run(&["F(a) a"], "F(1")
                .unwrap_err()
                .contains("unterminated use")
        );
        assert!(
            run(&["F(a,) a"], "")
                .unwrap_err()
                .contains("bad parameter list")
        );
    }
}
