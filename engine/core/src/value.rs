//! Column types, the u64 encoding of values inside tuples, and the symbol interner.
//!
//! Every column value is stored as one `u64`: a symbol as its dense interned id, a `number` as the
//! bits of an `i64`, an `unsigned` as itself, a `float` as the bits of an `f64`. Tuples therefore
//! never hold a float as such (datafrog needs `Ord`), only its encoding.

use lasso::{Rodeo, Spur};
use std::cmp::Ordering;
use std::fmt;

/// The four primitive column types.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// An interned string.
    Symbol,
    /// A signed 64-bit integer.
    Number,
    /// An unsigned 64-bit integer.
    Unsigned,
    /// A 64-bit float.
    Float,
    /// A record or an ADT value (Soufflé's): the id of its fields in the interner's record
    /// table, of the record type with this index (see `records.rs`).
    Record(crate::records::RecordTypeId),
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColumnType::Symbol => "symbol",
            ColumnType::Number => "number",
            ColumnType::Unsigned => "unsigned",
            ColumnType::Float => "float",
            ColumnType::Record(_) => "record",
        })
    }
}

/// A decoded column value, as the library hands it out.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A symbol's text.
    Symbol(String),
    /// A signed integer.
    Number(i64),
    /// An unsigned integer.
    Unsigned(u64),
    /// A float.
    Float(f64),
    /// A record's fields (Soufflé's `[a, b]`).
    Record(Vec<Value>),
    /// The empty record, `nil`.
    Nil,
    /// A value of an ADT's branch, `$Name(a, b)`: the branch's name and fields.
    Branch(String, Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Symbol(s) => f.write_str(s),
            Value::Number(n) => write!(f, "{n}"),
            Value::Unsigned(n) => write!(f, "{n}"),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::Record(vs) => write!(f, "[{}]", join_values(vs)),
            Value::Nil => f.write_str("nil"),
            Value::Branch(name, vs) if vs.is_empty() => write!(f, "${name}"),
            Value::Branch(name, vs) => write!(f, "${name}({})", join_values(vs)),
        }
    }
}

fn join_values(vs: &[Value]) -> String {
    vs.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The current time in unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A time in unix milliseconds as ISO 8601 in UTC (`2026-11-01T10:00:00Z`, with milliseconds
/// when it has any).
pub fn format_time(ms: i64) -> String {
    let t = if ms >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_millis(ms.unsigned_abs())
    };
    if ms % 1000 == 0 {
        humantime::format_rfc3339_seconds(t).to_string()
    } else {
        humantime::format_rfc3339_millis(t).to_string()
    }
}

/// Parses a time written as ISO 8601 (`2026-11-01T10:00:00Z`, `2026-11-01T10:00:00.5Z`, or a
/// date alone, `2026-11-01`, for its midnight in UTC) or as unix milliseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Some(ms);
    }
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_string()
    };
    let at = humantime::parse_rfc3339(&full).ok()?;
    Some(match at.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    })
}

impl Value {
    /// The value as JSON: a symbol is a string, a number a number.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Symbol(s) => serde_json::Value::from(s.as_str()),
            Value::Number(n) => serde_json::Value::from(*n),
            Value::Unsigned(u) => serde_json::Value::from(*u),
            Value::Float(x) => serde_json::Value::from(*x),
            Value::Record(vs) => vs.iter().map(Value::to_json).collect(),
            Value::Nil => serde_json::Value::Null,
            Value::Branch(name, vs) => serde_json::json!({
                format!("${name}"): vs.iter().map(Value::to_json).collect::<Vec<_>>()
            }),
        }
    }

    /// Parses the text of one column of type `ty` (as in a tab-separated `.facts` file:
    /// symbols are the text as it is, numbers may be hex `0x..` or binary `0b..`).
    pub fn parse(ty: ColumnType, text: &str) -> Result<Value, String> {
        let t = text.trim();
        match ty {
            ColumnType::Symbol => Ok(Value::Symbol(text.to_string())),
            ColumnType::Number => engram_parser::parse_int(t)
                .map(Value::Number)
                .ok_or_else(|| format!("`{text}` is not a number")),
            ColumnType::Unsigned => engram_parser::parse_uint(t)
                .map(Value::Unsigned)
                .ok_or_else(|| format!("`{text}` is not an unsigned")),
            ColumnType::Float => t
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| format!("`{text}` is not a float")),
            ColumnType::Record(_) => Err(format!(
                "`{text}`: a record is read with its program's types (`value::parse_field`)"
            )),
        }
    }

    /// The column type this value belongs to.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Value::Symbol(_) => ColumnType::Symbol,
            Value::Number(_) => ColumnType::Number,
            Value::Unsigned(_) => ColumnType::Unsigned,
            Value::Float(_) => ColumnType::Float,
            // The type of a record is its program's; this is a placeholder for its kind.
            Value::Record(_) | Value::Nil | Value::Branch(..) => ColumnType::Record(0),
        }
    }
}

/// Formats a float for output: the shortest digits that read back as the same float, laid out
/// as C's `%g` (fixed for exponents -4 to 16, else `1e+20`): `0.5`, `3`, `0.0009765625`,
/// `0.1`, `1e-05`. Soufflé writes 17 significant digits (`0.10000000000000001`); where those
/// digits are not noise, both write the same text, and both read back as the same float.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest digits that round-trip: `-9.765625e-4`.
    let sci = format!("{x:e}");
    let (mantissa, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    if !(-4..17).contains(&e) {
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", e.abs());
    }
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    if e < 0 {
        let zeros = "0".repeat((-e - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = e as usize + 1;
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

/// Encodes a number column value.
pub fn enc_number(n: i64) -> u64 {
    n as u64
}
/// Decodes a number column value.
pub fn dec_number(v: u64) -> i64 {
    v as i64
}
/// Encodes a float column value.
pub fn enc_float(x: f64) -> u64 {
    x.to_bits()
}
/// Decodes a float column value.
pub fn dec_float(v: u64) -> f64 {
    f64::from_bits(v)
}

/// An interned symbol: a dense id, stable for the life of its [`Interner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

impl Sym {
    /// The symbol with a dense id.
    pub fn from_id(id: u32) -> Sym {
        Sym(id)
    }
    /// The dense id.
    pub fn id(self) -> u32 {
        self.0
    }
}

/// A read-only table of strings with dense ids `0..len`, such as a store's mapped string runs:
/// an [`Interner`] can start from one without copying it.
pub trait SymbolBase: Send + Sync {
    /// Number of strings.
    fn len(&self) -> usize;
    /// Whether it holds none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The string with id `id` (`id < len`).
    fn resolve(&self, id: u32) -> &str;
    /// The id of `s`, if the table holds it.
    fn lookup(&self, s: &str) -> Option<u32>;
}

/// Interns strings as dense ids: those of an optional read-only base table first, then new
/// ones (lasso underneath) numbered after them.
#[derive(Clone)]
pub struct Interner {
    base: Option<std::sync::Arc<dyn SymbolBase>>,
    base_len: u32,
    rodeo: Rodeo<Spur, rustc_hash::FxBuildHasher>,
    /// The record types of the program and the records made (see `records.rs`).
    records: crate::records::Records,
    /// Each symbol's position in text order, for the ids below its length: built on the first
    /// comparison that needs it (see [`Interner::order`]), so comparing two symbols is comparing
    /// two integers instead of two strings.
    ranks: std::sync::OnceLock<std::sync::Arc<[u32]>>,
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("base", &self.base_len)
            .field("new", &self.rodeo.len())
            .finish()
    }
}

impl Default for Interner {
    fn default() -> Interner {
        Interner {
            base: None,
            base_len: 0,
            rodeo: Rodeo::with_hasher(rustc_hash::FxBuildHasher),
            records: Default::default(),
            ranks: std::sync::OnceLock::new(),
        }
    }
}

impl Interner {
    /// An interner whose first ids are the strings of `base`.
    pub fn with_base(base: std::sync::Arc<dyn SymbolBase>) -> Interner {
        Interner {
            base_len: base.len() as u32,
            base: Some(base),
            rodeo: Rodeo::with_hasher(rustc_hash::FxBuildHasher),
            records: Default::default(),
            ranks: std::sync::OnceLock::new(),
        }
    }

    /// The record types and records.
    pub fn records(&self) -> &crate::records::Records {
        &self.records
    }

    /// The record types and records, to declare types or make records.
    pub fn records_mut(&mut self) -> &mut crate::records::Records {
        &mut self.records
    }

    /// Interns `s`, returning its id.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(id) = self.base.as_ref().and_then(|b| b.lookup(s)) {
            return Sym(id);
        }
        let key: Spur = self.rodeo.get_or_intern(s);
        Sym(self.base_len + lasso::Key::into_usize(key) as u32)
    }

    /// The id of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        if let Some(id) = self.base.as_ref().and_then(|b| b.lookup(s)) {
            return Some(Sym(id));
        }
        self.rodeo
            .get(s)
            .map(|k| Sym(self.base_len + lasso::Key::into_usize(k) as u32))
    }

    /// The text of an id.
    ///
    /// Every id this interner handed out resolves; an id from elsewhere resolves to "".
    pub fn resolve(&self, sym: Sym) -> &str {
        if sym.0 < self.base_len {
            return self.base.as_ref().map_or("", |b| b.resolve(sym.0));
        }
        <Spur as lasso::Key>::try_from_usize((sym.0 - self.base_len) as usize)
            .and_then(|k| self.rodeo.try_resolve(&k))
            .unwrap_or("")
    }

    /// The text of an encoded symbol column value.
    pub fn resolve_enc(&self, v: u64) -> &str {
        self.resolve(Sym(v as u32))
    }

    /// Encodes a string as a symbol column value.
    pub fn enc(&mut self, s: &str) -> u64 {
        u64::from(self.intern(s).0)
    }

    /// Number of interned strings.
    pub fn len(&self) -> usize {
        self.base_len as usize + self.rodeo.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of strings in the base table.
    pub fn base_len(&self) -> usize {
        self.base_len as usize
    }

    /// Forgets the strings interned after the first `len` (their ids will be handed out
    /// again).
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() || len < self.base_len as usize {
            return;
        }
        let keep = len - self.base_len as usize;
        let mut rodeo = Rodeo::with_hasher(rustc_hash::FxBuildHasher);
        for (_, s) in self.rodeo.iter().take(keep) {
            rodeo.get_or_intern(s);
        }
        self.rodeo = rodeo;
        self.ranks = std::sync::OnceLock::new();
    }

    /// Orders two symbols by their text.
    ///
    /// The first call ranks every symbol interned so far (one parallel sort of the ids by text);
    /// later calls compare ranks, and fall back to the text for a symbol interned after the
    /// ranking. [`Interner::refresh_order`] re-ranks when many symbols came after it.
    pub fn order(&self, a: Sym, b: Sym) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        let ranks = self.ranks.get_or_init(|| self.rank());
        match (ranks.get(a.0 as usize), ranks.get(b.0 as usize)) {
            (Some(x), Some(y)) => x.cmp(y),
            _ => self.resolve(a).cmp(self.resolve(b)),
        }
    }

    /// Orders two symbols by their text without ranking every symbol: by the ranks if
    /// [`Interner::order`] made them, else by the texts. For a few comparisons (a class's
    /// label among its members), where ranking a store's every string would cost more than
    /// all of them.
    pub fn order_unranked(&self, a: Sym, b: Sym) -> Ordering {
        if self.ranks.get().is_some() {
            return self.order(a, b);
        }
        self.resolve(a).cmp(self.resolve(b))
    }

    /// Each symbol's rank in text order, indexed by id, for the symbols interned when the
    /// ranking was made (see [`Interner::order`]); later ones are not in it.
    pub fn ranks(&self) -> &[u32] {
        self.ranks.get_or_init(|| self.rank())
    }

    /// Forgets the ranking of [`Interner::order`] if more than an eighth of the symbols were
    /// interned after it, so the next comparison ranks them all again.
    pub fn refresh_order(&mut self) {
        let ranked = self.ranks.get().map_or(0, |r| r.len());
        if self.len() - ranked > ranked / 8 {
            self.ranks = std::sync::OnceLock::new();
        }
    }

    /// The ranking of [`Interner::ranks`] if it has been made.
    pub fn ranked(&self) -> Option<&[u32]> {
        self.ranks.get().map(|r| &r[..])
    }

    fn rank(&self) -> std::sync::Arc<[u32]> {
        let mut ranks = vec![0u32; self.len()];
        self.rank_into(0..self.len() as u32, &mut ranks);
        ranks.into()
    }

    /// Writes the rank in text order among `ids` of each of `ids` into `ranks[id]`: one
    /// parallel sort, each string resolved once (a store's strings live in mapped runs).
    pub(crate) fn rank_into(&self, ids: impl Iterator<Item = u32>, ranks: &mut [u32]) {
        use rayon::slice::ParallelSliceMut;
        let mut keyed: Vec<(&str, u32)> = ids.map(|id| (self.resolve(Sym(id)), id)).collect();
        keyed.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (rank, (_, id)) in keyed.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
    }
}

/// Encodes a value as a column of type `ty`, interning a new symbol; `None` on a type mismatch.
pub fn encode(ty: ColumnType, v: &Value, interner: &mut Interner) -> Option<u64> {
    Some(match (v, ty) {
        (Value::Symbol(s), ColumnType::Symbol) => interner.enc(s),
        (Value::Number(n), ColumnType::Number) => enc_number(*n),
        (Value::Unsigned(n), ColumnType::Unsigned) => *n,
        (Value::Float(x), ColumnType::Float) => enc_float(*x),
        (_, ColumnType::Record(t)) => return crate::records::encode(t, v, interner),
        _ => return None,
    })
}

/// Encodes a value as a column of type `ty` without interning: `None` on a type mismatch or a
/// symbol never seen (no fact can hold it).
pub fn encode_existing(ty: ColumnType, v: &Value, interner: &Interner) -> Option<u64> {
    Some(match (v, ty) {
        (Value::Symbol(s), ColumnType::Symbol) => u64::from(interner.get(s)?.id()),
        (Value::Number(n), ColumnType::Number) => enc_number(*n),
        (Value::Unsigned(n), ColumnType::Unsigned) => *n,
        (Value::Float(x), ColumnType::Float) => enc_float(*x),
        (_, ColumnType::Record(t)) => return crate::records::encode_existing(t, v, interner),
        _ => return None,
    })
}

/// Decodes an encoded column value.
pub fn decode(ty: ColumnType, v: u64, interner: &Interner) -> Value {
    match ty {
        ColumnType::Symbol => Value::Symbol(interner.resolve_enc(v).to_string()),
        ColumnType::Number => Value::Number(dec_number(v)),
        ColumnType::Unsigned => Value::Unsigned(v),
        ColumnType::Float => Value::Float(dec_float(v)),
        ColumnType::Record(t) => crate::records::decode(t, v, interner),
    }
}

/// Compares two encoded values of one type by their meaning (numbers numerically, symbols by text).
pub fn compare(ty: ColumnType, a: u64, b: u64, interner: &Interner) -> Ordering {
    match ty {
        ColumnType::Symbol => interner.order(Sym(a as u32), Sym(b as u32)),
        ColumnType::Number => dec_number(a).cmp(&dec_number(b)),
        ColumnType::Unsigned => a.cmp(&b),
        ColumnType::Float => dec_float(a).total_cmp(&dec_float(b)),
        // Records by id: the order they were made in, as Soufflé orders them.
        ColumnType::Record(_) => a.cmp(&b),
    }
}

/// [`compare`] for a few comparisons: symbols by [`Interner::order_unranked`].
pub fn compare_unranked(ty: ColumnType, a: u64, b: u64, interner: &Interner) -> Ordering {
    match ty {
        ColumnType::Symbol => interner.order_unranked(Sym(a as u32), Sym(b as u32)),
        _ => compare(ty, a, b, interner),
    }
}

/// Orders decoded values: numbers numerically, symbols by text; different kinds by kind.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Symbol(x), Value::Symbol(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.cmp(y),
        (Value::Unsigned(x), Value::Unsigned(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Record(x), Value::Record(y)) => compare_rows(x, y),
        (Value::Branch(n, x), Value::Branch(m, y)) => n.cmp(m).then_with(|| compare_rows(x, y)),
        _ => kind_rank(a).cmp(&kind_rank(b)),
    }
}

fn kind_rank(v: &Value) -> u8 {
    match v {
        Value::Symbol(_) => 0,
        Value::Number(_) => 1,
        Value::Unsigned(_) => 2,
        Value::Float(_) => 3,
        Value::Nil => 4,
        Value::Record(_) => 5,
        Value::Branch(..) => 6,
    }
}

/// Orders rows of decoded values lexicographically with [`compare_values`].
pub fn compare_rows(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = compare_values(x, y);
        if o.is_ne() {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Renders an encoded value for output files.
pub fn render(ty: ColumnType, v: u64, interner: &Interner) -> String {
    match ty {
        ColumnType::Symbol => interner.resolve_enc(v).to_string(),
        ColumnType::Number => dec_number(v).to_string(),
        ColumnType::Unsigned => v.to_string(),
        ColumnType::Float => format_float(dec_float(v)),
        ColumnType::Record(t) => crate::records::render(t, v, interner),
    }
}

/// Parses the text of one input column and encodes it: [`Value::parse`] (the one reader of a
/// field's text), a symbol interned without first copying it.
pub fn parse_field(ty: ColumnType, text: &str, interner: &mut Interner) -> Result<u64, String> {
    match ty {
        ColumnType::Symbol => return Ok(interner.enc(text)),
        ColumnType::Record(t) => return crate::records::parse(t, text, interner),
        _ => {}
    }
    let v = Value::parse(ty, text)?;
    encode(ty, &v, interner).ok_or_else(|| format!("`{text}` is not a {ty:?}"))
}

/// The name of the entity `sk(args...)` makes, from each argument's type and text: `name#` and
/// 12 hex digits of a 64-bit FNV-1a hash of the arguments (symbols by text, never by id), so
/// the same arguments name the same entity in every run and in every store. `name` is the
/// first argument's text when it is a symbol, else `sk`. `engram mcp`'s `remember` names a
/// memory given no id this way.
///
/// ```
/// use engram_core::{ColumnType, internal::value::skolem};
/// let a = skolem(&[(ColumnType::Symbol, "summary".into()), (ColumnType::Number, "7".into())]);
/// assert!(a.starts_with("summary#") && a.len() == "summary#".len() + 12);
/// ```
pub fn skolem(args: &[(ColumnType, String)]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (ty, text) in args {
        feed(ty.to_string().as_bytes());
        feed(&(text.len() as u64).to_le_bytes());
        feed(text.as_bytes());
    }
    let name = match args.first() {
        Some((ColumnType::Symbol, text)) => text.as_str(),
        _ => "sk",
    };
    // FNV-1a mixes its last bytes poorly into the high bits; a finaliser (MurmurHash3's
    // fmix64) makes entities that differ in one character look nothing alike.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    format!("{name}#{:012x}", hash >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_souffle() {
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(-3.0), "-3");
        assert_eq!(format_float(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(-0.0009765625), "-0.0009765625");
        assert_eq!(format_float(123456789.0), "123456789");
        assert_eq!(format_float(1e16), "10000000000000000");
        assert_eq!(format_float(1e17), "1e+17");
        assert_eq!(format_float(1.5e20), "1.5e+20");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(-2.5e-300), "-2.5e-300");
        assert_eq!(format_float(12.25), "12.25");
        for x in [
            0.1,
            1.0 / 3.0,
            2.0f64.sqrt(),
            6.02214076e23,
            -1e-310,
            f64::MAX,
            1234.5678,
        ] {
            assert_eq!(
                format_float(x).parse::<f64>().unwrap(),
                x,
                "round trip of {x}"
            );
        }
    }

    #[test]
    fn interned_ids_are_dense() {
        let mut i = Interner::default();
        assert_eq!(i.intern("a").id(), 0);
        assert_eq!(i.intern("b").id(), 1);
        assert_eq!(i.intern("a").id(), 0);
        assert_eq!(i.resolve(Sym(1)), "b");
    }

    /// Symbols order by text whether both were ranked, one was interned after the ranking,
    /// or the ranking was refreshed.
    #[test]
    fn symbols_order_by_text_before_and_after_ranking() {
        let mut i = Interner::default();
        let words = ["pear", "apple", "fig", "Zebra", "apple pie", ""];
        let mut syms: Vec<Sym> = words.iter().map(|w| i.intern(w)).collect();
        let check = |i: &Interner, syms: &[Sym]| {
            for &a in syms {
                for &b in syms {
                    assert_eq!(i.order_unranked(a, b), i.resolve(a).cmp(i.resolve(b)));
                    assert_eq!(i.order(a, b), i.resolve(a).cmp(i.resolve(b)));
                }
            }
        };
        assert!(i.ranked().is_none());
        assert_eq!(i.order_unranked(syms[0], syms[1]), Ordering::Greater);
        assert!(i.ranked().is_none(), "an unranked comparison ranks nothing");
        check(&i, &syms);
        syms.extend(["banana", "zz", "a"].iter().map(|w| i.intern(w)));
        check(&i, &syms);
        i.refresh_order();
        check(&i, &syms);
    }
}
