//! `engram.Transaction`: facts added and retracted together. What a transaction is given is
//! converted to engram's values at once (so a value Python cannot give raises where it is
//! added) and applied to the store in one commit, without the GIL, when it commits; until
//! then other threads read the last commit.

use crate::errors::Failure;
use crate::store::PyStore;
use crate::values::{fit, to_row, to_time, to_value};
use engram_engine::store::{CommitReport, WriteError};
use engram_engine::{ColumnType, Store, Value, fact_text};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use rustc_hash::FxHashMap;

/// One change of a transaction.
pub enum Op {
    /// A fact asserted or retracted.
    Fact {
        /// Whether it is retracted.
        retract: bool,
        /// Its relation.
        relation: String,
        /// Its values.
        values: Vec<Value>,
        /// Its confidence.
        confidence: f64,
        /// Its time (unix ms), else the commit's.
        time: Option<i64>,
    },
    /// Facts written as text.
    Text {
        /// Whether they are retracted.
        retract: bool,
        /// The text.
        text: String,
    },
    /// Many facts of one relation, with one confidence.
    Rows {
        /// Their relation.
        relation: String,
        /// Their values.
        rows: Vec<Vec<Value>>,
        /// Their confidence.
        confidence: f64,
    },
}

impl Op {
    /// A fact asserted or retracted.
    pub fn fact(
        retract: bool,
        relation: String,
        values: Vec<Value>,
        confidence: f64,
        time: Option<i64>,
    ) -> Op {
        Op::Fact {
            retract,
            relation,
            values,
            confidence,
            time,
        }
    }
}

/// Each value read as its column wants it (see [`fit`]); a row of the wrong arity is refused
/// here, naming the fact.
fn fitted(
    tx: &mut engram_engine::store::Transaction<'_>,
    types: &mut FxHashMap<String, Option<Vec<ColumnType>>>,
    relation: &str,
    values: Vec<Value>,
) -> Result<Vec<Value>, WriteError> {
    if !types.contains_key(relation) {
        let t = tx.relation_types(relation)?;
        types.insert(relation.to_string(), t);
    }
    match &types[relation] {
        Some(t) if t.len() == values.len() => Ok(values
            .into_iter()
            .zip(t)
            .map(|(v, &ty)| fit(v, ty))
            .collect()),
        Some(t) => Err(WriteError::Value {
            relation: relation.to_string(),
            message: format!(
                "{} has {} values; the relation has {} columns",
                fact_text(relation, &values),
                values.len(),
                t.len()
            ),
        }),
        None => Ok(values),
    }
}

/// Applies `ops` to the store in one transaction and commits.
pub fn apply(store: &mut Store, ops: Vec<Op>) -> Result<CommitReport, Failure> {
    let mut tx = store.transaction()?;
    let mut types = FxHashMap::default();
    tx.reserve(
        ops.iter()
            .map(|op| match op {
                Op::Rows { rows, .. } => rows.len(),
                _ => 1,
            })
            .sum(),
    );
    for op in ops {
        match op {
            Op::Fact {
                retract: false,
                relation,
                values,
                confidence,
                time,
            } => {
                let values = fitted(&mut tx, &mut types, &relation, values)?;
                tx.add_with(&relation, values, confidence, time)?;
            }
            Op::Fact {
                retract: true,
                relation,
                values,
                ..
            } => {
                let values = fitted(&mut tx, &mut types, &relation, values)?;
                tx.retract(&relation, values)?;
            }
            Op::Text {
                retract: false,
                text,
            } => {
                tx.add_text(&text)?;
            }
            Op::Text {
                retract: true,
                text,
            } => {
                tx.retract_text(&text)?;
            }
            Op::Rows {
                relation,
                rows,
                confidence,
            } => {
                for values in rows {
                    let values = fitted(&mut tx, &mut types, &relation, values)?;
                    tx.add_with(&relation, values, confidence, None)?;
                }
            }
        }
    }
    Ok(tx.commit()?)
}

/// A transaction on a store: `with store.transaction() as tx: tx.add("edge", ("a", "b"))`.
/// At the end of the block it commits, or, when the block raised, is discarded. Outside a
/// `with` block call `commit()` (or `rollback()`). Values are checked as they are added;
/// whether they fit their relations is checked when it commits, which then changes nothing.
#[pyclass(module = "engram")]
pub struct Transaction {
    store: Py<PyStore>,
    ops: Vec<Op>,
    done: bool,
}

impl Transaction {
    /// A new transaction on `store`.
    pub fn new(store: Py<PyStore>) -> Transaction {
        Transaction {
            store,
            ops: Vec::new(),
            done: false,
        }
    }

    fn open(&mut self) -> PyResult<&mut Vec<Op>> {
        match self.done {
            true => Err(PyValueError::new_err(
                "the transaction was committed or rolled back",
            )),
            false => Ok(&mut self.ops),
        }
    }
}

#[pymethods]
impl Transaction {
    /// Asserts a fact: `tx.add("edge", ("a", "b"), confidence=0.9, time=datetime(...))`.
    #[pyo3(signature = (relation, values, confidence = 1.0, time = None))]
    fn add(
        &mut self,
        relation: String,
        values: &Bound<'_, PyAny>,
        confidence: f64,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let values = to_row(values)?;
        let time = time.map(to_time).transpose()?;
        (self.open()?).push(Op::fact(false, relation, values, confidence, time));
        Ok(())
    }

    /// Asserts many facts of one relation: `rows` is any iterable of tuples (a list, a
    /// generator, a DataFrame's `itertuples(index=False)`), all with `confidence`.
    #[pyo3(signature = (relation, rows, confidence = 1.0))]
    fn add_many(
        &mut self,
        relation: String,
        rows: &Bound<'_, PyAny>,
        confidence: f64,
    ) -> PyResult<usize> {
        let mut read = Vec::with_capacity(rows.len().unwrap_or(0));
        for row in rows.try_iter()? {
            let row = row?;
            let values = match row.cast::<PyTuple>() {
                Ok(t) => t
                    .iter()
                    .map(|v| to_value(&v))
                    .collect::<PyResult<Vec<_>>>()?,
                Err(_) => to_row(&row)?,
            };
            read.push(values);
        }
        let n = read.len();
        (self.open()?).push(Op::Rows {
            relation,
            rows: read,
            confidence,
        });
        Ok(n)
    }

    /// Asserts facts written as text: `'edge("a", "b") @ 0.9. edge("b", "c").'`.
    fn add_text(&mut self, text: String) -> PyResult<()> {
        (self.open()?).push(Op::Text {
            retract: false,
            text,
        });
        Ok(())
    }

    /// Takes back an asserted fact.
    fn retract(&mut self, relation: String, values: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = to_row(values)?;
        (self.open()?).push(Op::fact(true, relation, values, 1.0, None));
        Ok(())
    }

    /// Takes back asserted facts written as text: `'edge("a", "b").'`.
    fn retract_text(&mut self, text: String) -> PyResult<()> {
        (self.open()?).push(Op::Text {
            retract: true,
            text,
        });
        Ok(())
    }

    /// Commits: asserts and retracts everything given, infers, and returns the commit's
    /// report (`generation`, `asserted`, `retracted`, `added`, `removed`, `changed`,
    /// `rederived`). On an error nothing is committed.
    fn commit(&mut self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let ops = std::mem::take(self.open()?);
        self.done = true;
        self.store.get().commit(py, ops)
    }

    /// Discards everything given.
    fn rollback(&mut self) {
        self.ops.clear();
        self.done = true;
    }

    /// How many changes it holds (a row of `add_many` each).
    fn __len__(&self) -> usize {
        (self.ops.iter())
            .map(|op| match op {
                Op::Rows { rows, .. } => rows.len(),
                _ => 1,
            })
            .sum()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (exc_type, _exc = None, _traceback = None))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        match (exc_type.is_some_and(|t| !t.is_none()), self.done) {
            (false, false) => {
                self.commit(py)?;
            }
            _ => self.rollback(),
        }
        Ok(false)
    }
}
