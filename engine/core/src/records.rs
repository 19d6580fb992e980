//! Records and algebraic data types (Soufflé's): their types, and the table that interns the
//! field values of each record as one id, so that a row keeps one `u64` per column whatever
//! its columns hold (as Soufflé's record table does).
//!
//! A record `[a, b]` is the id of the row `(a, b)` of encoded field values; `nil` is 0. A
//! value of an ADT's branch, `$B(x, y)`, is the id of `(branch, x, y)`, the branch numbered in
//! declaration order, so `$A()` of an enumeration is the id of `(0)`. Ids count from 1 in the
//! order records are first made, so one program over one input gives the same ids every run.

use crate::value::{self, ColumnType, Interner, Value};
use rustc_hash::FxHashMap;

/// Index of a record or ADT type in [`Records`].
pub type RecordTypeId = u32;

/// A field of a record type or of an ADT branch.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
}

/// What a record type is made of.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// `[a: T, b: U]`: fields in order.
    Tuple(Vec<Field>),
    /// `A {x: T} | B {}`: branches in order, each a name and its fields.
    Sum(Vec<(String, Vec<Field>)>),
}

/// A declared record or ADT type.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecordType {
    /// Its name (`_[number, number]` for a record written with no type to name it).
    pub name: String,
    /// Its fields or branches.
    pub shape: Shape,
}

impl RecordType {
    /// The fields of a tuple type (none for an ADT).
    pub fn fields(&self) -> &[Field] {
        match &self.shape {
            Shape::Tuple(f) => f,
            Shape::Sum(_) => &[],
        }
    }

    /// For an ADT: the branch named `name`, its number and fields.
    pub fn branch(&self, name: &str) -> Option<(usize, &[Field])> {
        match &self.shape {
            Shape::Sum(bs) => (bs.iter().enumerate())
                .find(|(_, b)| b.0 == name)
                .map(|(i, b)| (i, &b.1[..])),
            Shape::Tuple(_) => None,
        }
    }
}

/// The record types of a program and the records made so far.
#[derive(Clone, Debug, Default)]
pub struct Records {
    types: Vec<RecordType>,
    ids: FxHashMap<Box<[u64]>, u64>,
    rows: Vec<Box<[u64]>>,
}

impl Records {
    /// Declares a type by name, its shape given later by [`Records::define`] (a type may name
    /// itself among its fields); the id of the one of that name if it exists.
    pub fn declare(&mut self, name: &str) -> RecordTypeId {
        if let Some(i) = self.types.iter().position(|t| t.name == name) {
            return i as RecordTypeId;
        }
        self.types.push(RecordType {
            name: name.to_string(),
            shape: Shape::Tuple(Vec::new()),
        });
        (self.types.len() - 1) as RecordTypeId
    }

    /// Gives a declared type its shape.
    pub fn define(&mut self, id: RecordTypeId, shape: Shape) {
        if let Some(t) = self.types.get_mut(id as usize) {
            t.shape = shape;
        }
    }

    /// The type of a record written without a type to name it, by its field types: one per
    /// distinct list of field types.
    pub fn anonymous(&mut self, fields: &[ColumnType]) -> RecordTypeId {
        let names: Vec<String> = fields.iter().map(|t| self.type_name(*t)).collect();
        let name = format!("_[{}]", names.join(", "));
        let id = self.declare(&name);
        let fields = (fields.iter().enumerate())
            .map(|(i, &ty)| Field {
                name: format!("_{i}"),
                ty,
            })
            .collect();
        self.define(id, Shape::Tuple(fields));
        id
    }

    /// Every type, by id.
    pub fn types(&self) -> &[RecordType] {
        &self.types
    }

    /// Takes the types of a table that made records this one will hold (a store's, whose
    /// rows name types by id): the types keep their ids, so a program compiled afterwards
    /// declares each name it shares with them as the same id.
    pub fn restore_types(&mut self, types: Vec<RecordType>) {
        self.types = types;
    }

    /// A type by id.
    pub fn get_type(&self, id: RecordTypeId) -> Option<&RecordType> {
        self.types.get(id as usize)
    }

    /// The name of a column type, a record type's own name for a record.
    pub fn type_name(&self, ty: ColumnType) -> String {
        match ty {
            ColumnType::Record(id) => self
                .get_type(id)
                .map_or_else(|| "record".to_string(), |t| t.name.clone()),
            other => other.to_string(),
        }
    }

    /// The id of the record with these field values, made if new.
    pub fn intern(&mut self, fields: &[u64]) -> u64 {
        if let Some(&id) = self.ids.get(fields) {
            return id;
        }
        let row: Box<[u64]> = fields.into();
        self.rows.push(row.clone());
        let id = self.rows.len() as u64;
        self.ids.insert(row, id);
        id
    }

    /// The id of the record with these field values, if it was made.
    pub fn lookup(&self, fields: &[u64]) -> Option<u64> {
        self.ids.get(fields).copied()
    }

    /// The field values of a record (`None` for `nil` and unknown ids).
    pub fn fields(&self, id: u64) -> Option<&[u64]> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        self.rows.get(i).map(|r| &r[..])
    }

    /// The field values of the records with ids from `first` on (ids count from 1).
    pub fn rows_from(&self, first: u64) -> impl Iterator<Item = &[u64]> {
        let skip = usize::try_from(first.saturating_sub(1)).unwrap_or(usize::MAX);
        self.rows.iter().skip(skip).map(|r| &r[..])
    }

    /// Forgets the records made after the first `len` (their ids will be handed out again).
    pub fn truncate(&mut self, len: usize) {
        for row in self.rows.drain(len.min(self.rows.len())..) {
            self.ids.remove(&row);
        }
    }

    /// Number of records made.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no record was made.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Renders a record or ADT value as Soufflé writes it: `[1, a]` (symbols bare), `nil`,
/// `$B(1, a)`, `$A`.
pub fn render(t: RecordTypeId, v: u64, interner: &Interner) -> String {
    let records = interner.records();
    let (Some(ty), Some(row)) = (records.get_type(t), records.fields(v)) else {
        return "nil".to_string();
    };
    let join = |fields: &[Field], vals: &[u64]| -> String {
        (fields.iter().zip(vals))
            .map(|(f, &x)| value::render(f.ty, x, interner))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &ty.shape {
        Shape::Tuple(fields) => format!("[{}]", join(fields, row)),
        Shape::Sum(branches) => {
            let Some((name, fields)) = row.first().and_then(|&b| branches.get(b as usize)) else {
                return "nil".to_string();
            };
            if fields.is_empty() {
                format!("${name}")
            } else {
                format!("${name}({})", join(fields, &row[1..]))
            }
        }
    }
}

/// Decodes a record or ADT value.
pub fn decode(t: RecordTypeId, v: u64, interner: &Interner) -> Value {
    let records = interner.records();
    let (Some(ty), Some(row)) = (records.get_type(t), records.fields(v)) else {
        return Value::Nil;
    };
    let values = |fields: &[Field], vals: &[u64]| -> Vec<Value> {
        (fields.iter().zip(vals))
            .map(|(f, &x)| value::decode(f.ty, x, interner))
            .collect()
    };
    match &ty.shape {
        Shape::Tuple(fields) => Value::Record(values(fields, row)),
        Shape::Sum(branches) => match row.first().and_then(|&b| branches.get(b as usize)) {
            Some((name, fields)) => Value::Branch(name.clone(), values(fields, &row[1..])),
            None => Value::Nil,
        },
    }
}

/// The field types and leading branch number of a record value of type `t`, checked against
/// the value's shape: `None` when the value does not fit the type.
fn layout(
    t: RecordTypeId,
    v: &Value,
    interner: &Interner,
) -> Option<(Vec<ColumnType>, Option<u64>)> {
    let ty = interner.records().get_type(t)?;
    let (fields, branch, n) = match (v, &ty.shape) {
        (Value::Record(vals), Shape::Tuple(fields)) => (fields.as_slice(), None, vals.len()),
        (Value::Branch(name, vals), Shape::Sum(_)) => {
            let (b, fields) = ty.branch(name)?;
            (fields, Some(b as u64), vals.len())
        }
        _ => return None,
    };
    (fields.len() == n).then(|| (fields.iter().map(|f| f.ty).collect(), branch))
}

/// Encodes a record or ADT value, making its records: `None` when it does not fit the type.
pub fn encode(t: RecordTypeId, v: &Value, interner: &mut Interner) -> Option<u64> {
    if *v == Value::Nil {
        return Some(0);
    }
    let (types, branch) = layout(t, v, interner)?;
    let mut row: Vec<u64> = branch.into_iter().collect();
    for (ty, x) in types.iter().zip(elements(v)) {
        row.push(value::encode(*ty, x, interner)?);
    }
    Some(interner.records_mut().intern(&row))
}

/// Encodes a record or ADT value made before: `None` when it does not fit the type or no such
/// record was made (then no fact holds it).
pub fn encode_existing(t: RecordTypeId, v: &Value, interner: &Interner) -> Option<u64> {
    if *v == Value::Nil {
        return Some(0);
    }
    let (types, branch) = layout(t, v, interner)?;
    let mut row: Vec<u64> = branch.into_iter().collect();
    for (ty, x) in types.iter().zip(elements(v)) {
        row.push(value::encode_existing(*ty, x, interner)?);
    }
    interner.records().lookup(&row)
}

fn elements(v: &Value) -> &[Value] {
    match v {
        Value::Record(vals) | Value::Branch(_, vals) => vals,
        _ => &[],
    }
}

/// Reads a record or ADT value written as Soufflé writes it ([`render`]): `[1, a]`,
/// `[1, "a, b"]` (a symbol quoted when it holds `,`, `]` or `)`), `nil`, `$B(1, a)`, `$A`.
pub fn parse(t: RecordTypeId, text: &str, interner: &mut Interner) -> Result<u64, String> {
    let mut reader = Reader { text, at: 0 };
    let v = reader.value(ColumnType::Record(t), interner)?;
    reader.skip_space();
    if reader.at < text.len() {
        return Err(format!(
            "`{text}`: unexpected `{}` after the record",
            &text[reader.at..]
        ));
    }
    Ok(v)
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
}

impl Reader<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_space();
        let found = self.rest().starts_with(s);
        if found {
            self.at += s.len();
        }
        found
    }

    fn expect(&mut self, s: &str) -> Result<(), String> {
        if self.eat(s) {
            return Ok(());
        }
        Err(format!(
            "`{}`: expected `{s}` at `{}`",
            self.text,
            self.rest()
        ))
    }

    /// One value of type `ty`, its text ending at `,`, `]` or `)` outside quotes.
    fn value(&mut self, ty: ColumnType, interner: &mut Interner) -> Result<u64, String> {
        self.skip_space();
        let ColumnType::Record(t) = ty else {
            let text = self.scalar()?;
            return value::parse_field(ty, &text, interner);
        };
        if self.eat("nil") {
            return Ok(0);
        }
        let shape = (interner.records().get_type(t))
            .map(|r| r.shape.clone())
            .ok_or_else(|| format!("`{}`: unknown record type", self.text))?;
        let (mut row, fields, close) = match shape {
            Shape::Tuple(fields) => {
                self.expect("[")?;
                (Vec::new(), fields, "]")
            }
            Shape::Sum(branches) => {
                self.expect("$")?;
                let name: String = (self.rest().chars())
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '?')
                    .collect();
                self.at += name.len();
                let Some(b) = branches.iter().position(|b| b.0 == name) else {
                    return Err(format!("`{}`: no branch `${name}` in its type", self.text));
                };
                let fields = branches[b].1.clone();
                if !self.eat("(") {
                    if fields.is_empty() {
                        return Ok(interner.records_mut().intern(&[b as u64]));
                    }
                    return Err(format!("`{}`: `${name}` needs its fields", self.text));
                }
                (vec![b as u64], fields, ")")
            }
        };
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.expect(",")?;
            }
            row.push(self.value(f.ty, interner)?);
        }
        self.expect(close)?;
        Ok(interner.records_mut().intern(&row))
    }

    /// The text of a field that is not a record: a quoted symbol, or the text up to the next
    /// `,`, `]` or `)`, trimmed.
    fn scalar(&mut self) -> Result<String, String> {
        if self.rest().starts_with('"') {
            let mut out = String::new();
            let mut chars = self.rest().char_indices().skip(1);
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.at += i + 1;
                        return Ok(out);
                    }
                    '\\' => out.extend(chars.next().map(|(_, c)| c)),
                    c => out.push(c),
                }
            }
            return Err(format!("`{}`: unterminated quoted symbol", self.text));
        }
        let end = self
            .rest()
            .find([',', ']', ')'])
            .unwrap_or(self.rest().len());
        let text = self.rest()[..end].trim_end().to_string();
        self.at += end;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interner_with_types() -> (Interner, RecordTypeId, RecordTypeId) {
        let mut i = Interner::default();
        let list = i.records_mut().declare("List");
        let pair = i.records_mut().declare("Pair");
        let fields = |v: &[(&str, ColumnType)]| {
            v.iter()
                .map(|(n, ty)| Field {
                    name: n.to_string(),
                    ty: *ty,
                })
                .collect::<Vec<_>>()
        };
        let list_shape = Shape::Tuple(fields(&[
            ("head", ColumnType::Record(pair)),
            ("tail", ColumnType::Record(list)),
        ]));
        i.records_mut().define(list, list_shape);
        let pair_shape = Shape::Tuple(fields(&[
            ("n", ColumnType::Number),
            ("s", ColumnType::Symbol),
        ]));
        i.records_mut().define(pair, pair_shape);
        (i, list, pair)
    }

    #[test]
    fn records_read_back_as_written() {
        let (mut i, list, _) = interner_with_types();
        for text in ["nil", "[[1, a], nil]", "[[-3, x y], [[7, ], nil]]"] {
            let v = parse(list, text, &mut i).unwrap();
            assert_eq!(render(list, v, &i), text);
        }
        let quoted = parse(list, "[[1, \"a, ]b\"], nil]", &mut i).unwrap();
        assert_eq!(render(list, quoted, &i), "[[1, a, ]b], nil]");
        assert!(parse(list, "[[1, a]]", &mut i).is_err());
        assert!(parse(list, "[[1, a], nil] x", &mut i).is_err());
        assert!(parse(list, "[[z, a], nil]", &mut i).is_err());
    }

    #[test]
    fn equal_records_share_one_id_and_values_round_trip() {
        let (mut i, list, pair) = interner_with_types();
        let a = parse(list, "[[1, a], nil]", &mut i).unwrap();
        let b = parse(list, " [ [1,a] , nil ] ", &mut i).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, 0);
        let v = decode(list, a, &i);
        assert_eq!(
            v,
            Value::Record(vec![
                Value::Record(vec![Value::Number(1), Value::Symbol("a".into())]),
                Value::Nil
            ])
        );
        assert_eq!(encode_existing(list, &v, &i), Some(a));
        assert_eq!(encode(list, &v, &mut i), Some(a));
        let unseen = Value::Record(vec![Value::Number(2), Value::Symbol("b".into())]);
        assert_eq!(encode_existing(pair, &unseen, &i), None);
        assert_eq!(encode(pair, &Value::Number(2), &mut i), None);
    }

    #[test]
    fn adt_values_render_as_soufflé_writes_them() {
        let mut i = Interner::default();
        let t = i.records_mut().declare("T");
        let field = Field {
            name: "x".into(),
            ty: ColumnType::Record(t),
        };
        let shape = Shape::Sum(vec![
            ("Zero".into(), Vec::new()),
            ("Succ".into(), vec![field]),
        ]);
        i.records_mut().define(t, shape);
        let two = parse(t, "$Succ($Succ($Zero))", &mut i).unwrap();
        assert_eq!(render(t, two, &i), "$Succ($Succ($Zero))");
        assert_eq!(parse(t, "$Zero()", &mut i), parse(t, "$Zero", &mut i));
        assert!(parse(t, "$Pred($Zero)", &mut i).is_err());
        assert!(parse(t, "$Succ", &mut i).is_err());
    }
}
