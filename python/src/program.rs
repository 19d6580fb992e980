//! `engram.Program`, `engram.Database` and `engram.Relation`: a Datalog program compiled once
//! and evaluated over Python rows (or `.input` files), and its relations read lazily, one
//! fact decoded at a time, as tuples, rows with metadata, or DataFrames.

use crate::errors::Failure;
use crate::results::{Proof, Row, Violation, WhyNot};
use crate::values::{from_value, to_row, to_value, tuple};
use engram_engine::{
    Database as RustDatabase, EvalOptions, Fact, Inputs, Limits, OutputTarget,
    Program as RustProgram, Value,
};
use pyo3::exceptions::{PyImportError, PyKeyError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// A Datalog program (Soufflé's dialect with engram's confidence, rule names and queries),
/// compiled: a syntax error raises `ParseError`, an invalid program `PlanError`, each placed
/// in the file with a caret. `Program(text)`, or `Program.from_file(path)`.
#[pyclass(module = "engram", frozen)]
pub struct Program {
    inner: RustProgram,
}

/// A row given from Python: a tuple of values, or `((values...), confidence)`.
fn input_row(row: &Bound<'_, PyAny>) -> PyResult<(Vec<Value>, f64)> {
    if let Ok(t) = row.cast::<PyTuple>()
        && t.len() == 2
        && let Ok(first) = t.get_item(0)
        && (first.is_instance_of::<PyTuple>() || first.is_instance_of::<PyList>())
    {
        return Ok((to_row(&first)?, t.get_item(1)?.extract()?));
    }
    match row.cast::<PyTuple>() {
        Ok(t) => Ok((
            t.iter().map(|v| to_value(&v)).collect::<PyResult<_>>()?,
            1.0,
        )),
        Err(_) => Ok((to_row(row)?, 1.0)),
    }
}

/// `{relation: rows}` as the program's inputs.
fn inputs(given: Option<&Bound<'_, PyAny>>) -> PyResult<Inputs> {
    let mut inputs = Inputs::default();
    let Some(given) = given else {
        return Ok(inputs);
    };
    let items = given.call_method0("items")?;
    for item in items.try_iter()? {
        let (relation, rows): (String, Bound<'_, PyAny>) = item?.extract()?;
        for row in rows.try_iter()? {
            let (values, confidence) = input_row(&row?)?;
            inputs.add_with_confidence(&relation, values, confidence);
        }
    }
    Ok(inputs)
}

#[pymethods]
impl Program {
    /// Compiles a program; `file` names it in error messages.
    #[new]
    #[pyo3(signature = (text, file = "program.dl"))]
    fn new(py: Python<'_>, text: String, file: &str) -> PyResult<Program> {
        let inner = py.detach(|| RustProgram::compile(&text, file).map_err(Failure::Program))?;
        Ok(Program { inner })
    }

    /// Reads and compiles a program file (its `.include`s read beside it).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Program> {
        let inner = py.detach(|| RustProgram::from_file(&path).map_err(Failure::Program))?;
        Ok(Program { inner })
    }

    /// Evaluates the program over `inputs` (a dict of relation name to rows: tuples, or
    /// `((values...), confidence)`), and the `.input` files of `facts_dir` when given.
    /// `now` fixes what `now()` stands for (a datetime or unix milliseconds); `max_facts` and
    /// `timeout` (seconds) bound the evaluation (`EvaluationError` past them). `best_first`
    /// settles each fact once, in order of confidence, where a stratum allows it
    /// (`EvalOptions::best_first`: the same facts, less memory where facts improve often).
    #[pyo3(signature = (inputs = None, *, facts_dir = None, now = None, max_facts = None, timeout = None, best_first = false))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        py: Python<'_>,
        inputs: Option<&Bound<'_, PyAny>>,
        facts_dir: Option<PathBuf>,
        now: Option<&Bound<'_, PyAny>>,
        max_facts: Option<usize>,
        timeout: Option<f64>,
        best_first: bool,
    ) -> PyResult<Database> {
        let given = self::inputs(inputs)?;
        let options = EvalOptions {
            now: now.map(crate::values::to_time).transpose()?,
            limits: Limits {
                max_facts,
                timeout: timeout.map(std::time::Duration::from_secs_f64),
                ..Limits::NONE
            },
            best_first,
            ..EvalOptions::default()
        };
        let db = py.detach(|| {
            match &facts_dir {
                Some(dir) => self.inner.evaluate_dir_and(dir, &given, &options),
                None => self.inner.evaluate_with(&given, &options),
            }
            .map_err(Failure::Program)
        })?;
        Ok(Database { db: Mutex::new(db) })
    }

    /// A copy of the program with the function of user-defined functor `name` given: the
    /// program declares it with `.functor name(x: number, s: symbol): number` and calls it as
    /// `@name(...)`. `function` takes the arguments as Python values and returns the value
    /// (an int for a float or unsigned result is converted; `None` gives no value, so the
    /// binding derives nothing). An exception it raises stops the evaluation with an
    /// `EvaluationError` naming the functor.
    fn with_functor(&self, name: &str, function: Py<PyAny>) -> PyResult<Program> {
        let ret = (self.inner.functors().into_iter())
            .find(|f| f.name == name)
            .map_or(engram_engine::ColumnType::Number, |f| f.ret);
        let call = move |args: &[Value]| {
            Python::attach(|py| {
                let args = tuple(py, args).map_err(|e| e.to_string())?;
                let out = function.call1(py, args).map_err(|e| e.to_string())?;
                let out = out.bind(py);
                if out.is_none() {
                    return Ok(None);
                }
                let value = to_value(out).map_err(|e| e.to_string())?;
                Ok(Some(crate::values::fit(value, ret)))
            })
        };
        let inner = (self.inner.clone())
            .with_fallible_functor(name, call)
            .map_err(Failure::Program)?;
        Ok(Program { inner })
    }

    /// The user-defined functors the program declares: a dict of name to
    /// `(parameter types, result type, whether a function is given)`.
    fn functors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for f in self.inner.functors() {
            let params: Vec<String> = f.params.iter().map(|t| t.to_string()).collect();
            d.set_item(&f.name, (params, f.ret.to_string(), f.given))?;
        }
        Ok(d)
    }

    /// The relations: a dict of name to a list of `(column, type)`.
    fn relations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for r in self.inner.relations() {
            d.set_item(&r.name, columns(&r.columns))?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Program({:?})", self.inner.file())
    }
}

fn columns(columns: &[(String, engram_engine::ColumnType)]) -> Vec<(String, String)> {
    (columns.iter())
        .map(|(n, t)| (n.clone(), t.to_string()))
        .collect()
}

/// What a program derived: `db["path"]` is a relation, iterated lazily as tuples.
#[pyclass(module = "engram", frozen)]
pub struct Database {
    db: Mutex<RustDatabase>,
}

impl Database {
    fn lock(&self) -> MutexGuard<'_, RustDatabase> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl Database {
    /// The relation `name`; `KeyError` when the program has none.
    fn __getitem__(slf: Py<Self>, py: Python<'_>, name: String) -> PyResult<Relation> {
        let columns = {
            let db = slf.get().lock();
            let view = db.relation(&name);
            view.map(|v| columns(v.columns()))
        };
        match columns {
            Some(columns) => Ok(Relation {
                db: slf.clone_ref(py),
                name,
                columns,
            }),
            None => Err(PyKeyError::new_err(name)),
        }
    }

    fn __contains__(&self, name: &str) -> bool {
        self.lock().relation(name).is_some()
    }

    /// The names of the relations.
    fn relations(&self) -> Vec<String> {
        self.lock()
            .relations()
            .map(|r| r.name().to_string())
            .collect()
    }

    /// The answers of a query over what was derived, as rows.
    fn query<'py>(&self, py: Python<'py>, text: String) -> PyResult<Bound<'py, PyList>> {
        let answers = py.detach(|| self.lock().ask(&text).map_err(Failure::Program))?;
        let facts: Vec<Fact> = answers.into_iter().flat_map(|a| a.answers).collect();
        Row::list(py, facts)
    }

    /// The answers of the program's own `?-` queries: a list of `(query text, rows)`.
    fn queries<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyList>)>> {
        let answers = self.lock().queries().to_vec();
        (answers.into_iter())
            .map(|a| Ok((a.text, Row::list(py, a.answers)?)))
            .collect()
    }

    /// The proof of a fact (`'path("a", "c")'`, or `("path", ("a", "c"))`), or `None` when
    /// it does not hold.
    #[pyo3(signature = (fact, values = None))]
    fn explain(
        &self,
        py: Python<'_>,
        fact: String,
        values: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Proof>> {
        let fact = crate::store::fact_or_values(fact, values)?;
        let proof = py.detach(|| self.lock().explain_text(&fact).map_err(Failure::Program))?;
        proof.map(|p| Proof::new(py, &p)).transpose()
    }

    /// Why a fact does not hold (given as to `explain`).
    #[pyo3(signature = (fact, values = None))]
    fn why_not(
        &self,
        py: Python<'_>,
        fact: String,
        values: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<WhyNot> {
        let fact = crate::store::fact_or_values(fact, values)?;
        let why = py.detach(|| self.lock().why_not_text(&fact).map_err(Failure::Program))?;
        WhyNot::new(py, &why)
    }

    /// The violations of the integrity constraints (of one, when named).
    #[pyo3(signature = (constraint = None))]
    fn violations(&self, py: Python<'_>, constraint: Option<String>) -> PyResult<Vec<Violation>> {
        let found = py.detach(|| self.lock().violations(constraint.as_deref()));
        found.iter().map(|v| Violation::new(py, v)).collect()
    }

    /// Writes the `.output` relations into `directory`, as `engram run -D` does.
    fn write_outputs(&self, py: Python<'_>, directory: PathBuf) -> PyResult<()> {
        py.detach(|| {
            let target = OutputTarget::Dir(directory);
            (self.lock().write_outputs(&target, &mut std::io::sink())).map_err(Failure::Program)
        })?;
        Ok(())
    }
}

/// A relation of a `Database`: `len(r)`, `tuple in r`, iteration as tuples in value order
/// (decoded one at a time), `r.rows()` as `Row`s with confidence, depth and rule,
/// `r.get(values)`, and `r.to_pandas()` / `r.to_polars()` when those are installed.
#[pyclass(module = "engram", frozen)]
pub struct Relation {
    db: Py<Database>,
    /// The relation's name.
    #[pyo3(get)]
    name: String,
    /// Its columns: `(name, type)` pairs.
    #[pyo3(get)]
    columns: Vec<(String, String)>,
}

impl Relation {
    fn with<T>(&self, read: impl FnOnce(engram_engine::RelationView<'_>) -> T) -> T {
        let db = self.db.get().lock();
        read(db.relation(&self.name).expect("a relation of the database"))
    }

    fn iter(&self, rows: bool) -> RelationIter {
        RelationIter {
            db: Python::attach(|py| self.db.clone_ref(py)),
            name: self.name.clone(),
            order: self.with(|v| v.sorted_positions()),
            at: 0,
            rows,
        }
    }

    /// The columns as Python lists (values, then metadata when asked).
    fn column_lists<'py>(&self, py: Python<'py>, metadata: bool) -> PyResult<Bound<'py, PyDict>> {
        let facts: Vec<Fact> = self.with(|v| v.sorted_facts());
        let d = PyDict::new(py);
        for (c, (name, _)) in self.columns.iter().enumerate() {
            let values = (facts.iter())
                .map(|f| from_value(py, &f.values[c]))
                .collect::<PyResult<Vec<_>>>()?;
            d.set_item(name, PyList::new(py, values)?)?;
        }
        if metadata {
            d.set_item(
                "confidence",
                facts.iter().map(|f| f.confidence).collect::<Vec<_>>(),
            )?;
            d.set_item("depth", facts.iter().map(|f| f.depth).collect::<Vec<_>>())?;
            let rules: Vec<String> = facts.iter().map(|f| f.origin.to_string()).collect();
            d.set_item("rule", rules)?;
        }
        Ok(d)
    }

    fn frame<'py>(
        &self,
        py: Python<'py>,
        module: &str,
        metadata: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let lib = py.import(module).map_err(|_| {
            PyImportError::new_err(format!(
                "{module} is not installed (pip install {module}); it is optional"
            ))
        })?;
        lib.getattr("DataFrame")?
            .call1((self.column_lists(py, metadata)?,))
    }
}

#[pymethods]
impl Relation {
    fn __len__(&self) -> usize {
        self.with(|v| v.len())
    }

    fn __iter__(&self) -> RelationIter {
        self.iter(false)
    }

    fn __contains__(&self, values: &Bound<'_, PyAny>) -> PyResult<bool> {
        let values = to_row(values)?;
        Ok(self.with(|v| v.contains(&values)))
    }

    /// The facts as `Row`s (values with confidence, depth and rule), lazily, in value order.
    fn rows(&self) -> RelationIter {
        self.iter(true)
    }

    /// The fact with these values as a `Row`, or `None` when it does not hold.
    fn get(&self, values: &Bound<'_, PyAny>) -> PyResult<Option<Row>> {
        let values = to_row(values)?;
        let fact = self.with(|v| v.get(&values));
        Ok(fact.map(Row::new))
    }

    /// A pandas DataFrame of the relation (one column per relation column; with
    /// `metadata`, also `confidence`, `depth` and `rule`). Needs pandas.
    #[pyo3(signature = (metadata = false))]
    fn to_pandas<'py>(&self, py: Python<'py>, metadata: bool) -> PyResult<Bound<'py, PyAny>> {
        self.frame(py, "pandas", metadata)
    }

    /// A polars DataFrame of the relation, as `to_pandas`. Needs polars.
    #[pyo3(signature = (metadata = false))]
    fn to_polars<'py>(&self, py: Python<'py>, metadata: bool) -> PyResult<Bound<'py, PyAny>> {
        self.frame(py, "polars", metadata)
    }

    fn __repr__(&self) -> String {
        format!("Relation({:?}, {} facts)", self.name, self.__len__())
    }
}

/// Iterates a relation's facts in value order, decoding each as it is asked for.
#[pyclass(module = "engram")]
pub struct RelationIter {
    db: Py<Database>,
    name: String,
    order: Vec<usize>,
    at: usize,
    rows: bool,
}

#[pymethods]
impl RelationIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let Some(&position) = self.order.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        let fact = {
            let db = self.db.get().lock();
            let view = db.relation(&self.name).expect("a relation of the database");
            view.fact_at(position)
        };
        let Some(fact) = fact else {
            return Ok(None);
        };
        Ok(Some(match self.rows {
            true => Py::new(py, Row::new(fact))?.into_any(),
            false => tuple(py, &fact.values)?.into_any().unbind(),
        }))
    }

    fn __length_hint__(&self) -> usize {
        self.order.len() - self.at
    }
}
