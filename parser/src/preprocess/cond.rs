//! `#if` and `#elif` conditions: `defined NAME` and `defined(NAME)` answered first, macros
//! expanded, any identifier left read as 0, and the result evaluated as the C preprocessor
//! evaluates an integer constant expression (in 64 bits).

use super::expand::{Failure, Macros, expand};
use super::lex::{Kind, Tok};

/// Whether the condition `toks` (the tokens after `#if`) holds.
pub(crate) fn holds(toks: &[Tok], macros: &Macros, at: usize) -> Result<bool, Failure> {
    let mut answered = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        if t.kind == Kind::Ident && t.text == "defined" {
            let (name, next) = defined_operand(toks, i + 1)
                .ok_or_else(|| (at, "`defined` needs a macro name".to_string()))?;
            let value = if macros.contains_key(name) { "1" } else { "0" };
            answered.push(Tok::new(Kind::Number, value, t.at));
            i = next;
            continue;
        }
        answered.push(t.clone());
        i += 1;
    }
    let expanded = expand(answered, macros)?;
    let words: Vec<Tok> = expanded
        .into_iter()
        .filter(|t| !(t.is_blank() || t.kind == Kind::Newline))
        .collect();
    let mut parser = Parser {
        toks: &words,
        i: 0,
        at,
    };
    let value = parser.ternary()?;
    if parser.i < words.len() {
        let message = format!("unexpected `{}` in the condition", words[parser.i].text);
        return Err((at, message));
    }
    Ok(value != 0)
}

/// `NAME` or `( NAME )` from token `i`: the name and the index after it.
fn defined_operand(toks: &[Tok], i: usize) -> Option<(&str, usize)> {
    let skip = |mut j: usize| {
        while toks.get(j).is_some_and(Tok::is_blank) {
            j += 1;
        }
        j
    };
    let j = skip(i);
    let t = toks.get(j)?;
    if t.kind == Kind::Ident {
        return Some((&t.text, j + 1));
    }
    if !t.is_punct("(") {
        return None;
    }
    let k = skip(j + 1);
    let name = toks.get(k).filter(|t| t.kind == Kind::Ident)?;
    let close = skip(k + 1);
    toks.get(close)
        .filter(|t| t.is_punct(")"))
        .map(|_| (name.text.as_str(), close + 1))
}

struct Parser<'a> {
    toks: &'a [Tok],
    i: usize,
    at: usize,
}

/// The binary operators by precedence, loosest first.
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", "<=", ">", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Parser<'_> {
    fn fail<T>(&self, what: &str) -> Result<T, Failure> {
        Err((self.at, format!("bad condition: {what}")))
    }

    /// The operator at the cursor.
    fn peek_op(&self) -> Option<&str> {
        let t = self.toks.get(self.i).filter(|t| t.kind == Kind::Punct)?;
        Some(&t.text)
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.peek_op() == Some(op) {
            self.i += 1;
            return true;
        }
        false
    }

    fn ternary(&mut self) -> Result<i64, Failure> {
        let c = self.binary(0)?;
        if !self.eat("?") {
            return Ok(c);
        }
        let a = self.ternary()?;
        if !self.eat(":") {
            return self.fail("`?` without `:`");
        }
        let b = self.ternary()?;
        Ok(if c != 0 { a } else { b })
    }

    fn binary(&mut self, level: usize) -> Result<i64, Failure> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        loop {
            let Some(op) = (self.peek_op())
                .filter(|op| LEVELS[level].contains(op))
                .map(str::to_string)
            else {
                return Ok(left);
            };
            self.i += 1;
            let right = self.binary(level + 1)?;
            left = self.apply(&op, left, right)?;
        }
    }

    fn apply(&self, op: &str, a: i64, b: i64) -> Result<i64, Failure> {
        Ok(match op {
            "||" => i64::from(a != 0 || b != 0),
            "&&" => i64::from(a != 0 && b != 0),
            "|" => a | b,
            "^" => a ^ b,
            "&" => a & b,
            "==" => i64::from(a == b),
            "!=" => i64::from(a != b),
            "<" => i64::from(a < b),
            "<=" => i64::from(a <= b),
            ">" => i64::from(a > b),
            ">=" => i64::from(a >= b),
            "<<" => a.wrapping_shl(b as u32),
            ">>" => a.wrapping_shr(b as u32),
            "+" => a.wrapping_add(b),
            "-" => a.wrapping_sub(b),
            "*" => a.wrapping_mul(b),
            "/" | "%" if b == 0 => return self.fail("division by zero"),
            "/" => a.wrapping_div(b),
            _ => a.wrapping_rem(b),
        })
    }

    fn unary(&mut self) -> Result<i64, Failure> {
        for (op, f) in [
            ("!", (|v: i64| i64::from(v == 0)) as fn(i64) -> i64),
            ("~", |v| !v),
            ("-", i64::wrapping_neg),
            ("+", |v| v),
        ] {
            if self.eat(op) {
                return Ok(f(self.unary()?));
            }
        }
        if self.eat("(") {
            let v = self.ternary()?;
            if !self.eat(")") {
                return self.fail("missing `)`");
            }
            return Ok(v);
        }
        let Some(t) = self.toks.get(self.i) else {
            return self.fail("it ends early");
        };
        self.i += 1;
        match t.kind {
            // An identifier no macro defines is 0 (`true` too: this is C's preprocessor).
            Kind::Ident => Ok(0),
            Kind::Number => number(&t.text).map_or_else(|| self.fail(&t.text), Ok),
            _ => self.fail(&format!("unexpected `{}`", t.text)),
        }
    }
}

/// A C integer literal: decimal, `0x` hexadecimal, `0b` binary or `0` octal, with any of the
/// suffixes `u`, `l`, `ll`.
fn number(text: &str) -> Option<i64> {
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
        (16, h)
    } else if let Some(b) = digits.strip_prefix("0b").or(digits.strip_prefix("0B")) {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    u64::from_str_radix(body, radix).ok().map(|v| v as i64)
}

#[cfg(test)]
mod tests {
    use super::super::expand::parse_define;
    use super::super::lex::lex;
    use super::*;

    fn eval(defines: &[&str], cond: &str) -> Result<bool, String> {
        let mut macros = Macros::new();
        for d in defines {
            let (name, m) = parse_define(&lex(d), 0).map_err(|e| e.1)?;
            macros.insert(name, m);
        }
        holds(&lex(cond), &macros, 0).map_err(|e| e.1)
    }

    #[test]
    fn conditions() {
        assert_eq!(eval(&[], "1 + 2 * 3 == 7"), Ok(true));
        assert_eq!(eval(&["A 2"], "defined A && A >= 2"), Ok(true));
        assert_eq!(eval(&[], "defined(B) || !defined B"), Ok(true));
        assert_eq!(eval(&[], "UNDEFINED"), Ok(false));
        assert_eq!(
            eval(&["V(x) (x << 2)"], "V(1) == 0x4 ? 010 == 8 : 0"),
            Ok(true)
        );
        assert_eq!(eval(&[], "(1 - 2) < 0 && -1 == ~0 + 1 - 1"), Ok(true));
        assert!(eval(&[], "1 +").unwrap_err().contains("bad condition"));
        assert!(eval(&[], "1 / 0").unwrap_err().contains("division by zero"));
        assert!(eval(&[], "1 2").unwrap_err().contains("unexpected `2`"));
    }
}
