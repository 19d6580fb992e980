//! What reads give back to Python: a `Row` per fact or answer (values with confidence, depth,
//! rule and time), a `Proof` tree, a recall `Hit` with why, a `Violation`, a `WhyNot`.

use crate::values::{fact_time, json, tuple};
use engram_engine::memory::Hit as RustHit;
use engram_engine::{Fact, Proof as RustProof, Violation as RustViolation, WhyNot as RustWhyNot};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

/// A fact or a query answer: its `values` (a tuple), `confidence` in (0, 1], `depth` (0 for an
/// asserted fact), `rule` (`"asserted"`, or the rule of its best derivation) and `time` (an
/// aware `datetime` in UTC: when it was asserted, or the latest time of what derived it; `None`
/// for a program's facts). A row unpacks and indexes like its values: `x, y = row`,
/// `row[0]`.
#[pyclass(module = "engram", frozen)]
pub struct Row {
    fact: Fact,
    /// The values as Python's, made on first use (a row is made for every answer; most
    /// are read once).
    values: PyOnceLock<Py<PyTuple>>,
}

impl Row {
    /// A fact as a row.
    pub fn new(fact: Fact) -> Row {
        Row {
            fact,
            values: PyOnceLock::new(),
        }
    }

    /// Facts as a list of rows.
    pub fn list(py: Python<'_>, facts: Vec<Fact>) -> PyResult<Bound<'_, PyList>> {
        let rows = (facts.into_iter())
            .map(|f| Bound::new(py, Row::new(f)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, rows)
    }

    fn tuple<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyTuple>> {
        let values = self
            .values
            .get_or_try_init(py, || tuple(py, &self.fact.values).map(Bound::unbind))?;
        Ok(values.bind(py))
    }
}

#[pymethods]
impl Row {
    /// The values, one per column.
    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.tuple(py).cloned()
    }

    /// How sure it is, in (0, 1].
    #[getter]
    fn confidence(&self) -> f64 {
        self.fact.confidence
    }

    /// 0 for an asserted fact; 1 + the deepest premise of its shallowest derivation otherwise.
    #[getter]
    fn depth(&self) -> u32 {
        self.fact.depth
    }

    /// `"asserted"`, or the rule of its best derivation (`@name`, or `file:line`).
    #[getter]
    fn rule(&self) -> String {
        self.fact.origin.to_string()
    }

    /// When it was asserted or derived (an aware `datetime` in UTC), or `None`.
    #[getter]
    fn time(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        fact_time(py, self.fact.time)
    }

    fn __len__(&self) -> usize {
        self.fact.values.len()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyAny>> {
        let n = self.fact.values.len() as isize;
        let at = if i < 0 { i + n } else { i };
        match at >= 0 && at < n {
            true => self.tuple(py)?.get_item(at as usize),
            false => Err(PyIndexError::new_err("row index out of range")),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.tuple(py)?.as_any().try_iter()?.into_any())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Row>() {
            Ok(o) => o.get().fact == self.fact,
            Err(_) => false,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Row({}, confidence={}, depth={}, rule={:?})",
            self.tuple(py)?.repr()?,
            self.fact.confidence,
            self.fact.depth,
            self.rule()
        ))
    }

    /// The row as a dict: `values` (a list), `confidence`, `depth`, `rule`, `time`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("values", self.tuple(py)?.to_list())?;
        d.set_item("confidence", self.fact.confidence)?;
        d.set_item("depth", self.fact.depth)?;
        d.set_item("rule", self.rule())?;
        d.set_item("time", self.time(py)?)?;
        Ok(d)
    }
}

/// A proof: the `fact` (Datalog text), its `confidence`, `depth`, `rule` (`"asserted"` or the
/// rule of its best derivation) and `premises`, the proofs of the body facts of that
/// derivation. `str(proof)` (or `proof.text`) is the tree as the CLI prints it; `to_dict()`
/// the same nested structure as the JSON of `engram explain --format json`.
#[pyclass(module = "engram", frozen)]
pub struct Proof {
    /// The fact as Datalog text, such as `path("a", "c")`.
    #[pyo3(get)]
    pub fact: String,
    /// Its confidence.
    #[pyo3(get)]
    pub confidence: f64,
    /// Its depth.
    #[pyo3(get)]
    pub depth: u32,
    /// `"asserted"`, or the rule of its best derivation.
    #[pyo3(get)]
    pub rule: String,
    /// The proofs of the body facts of that derivation (none for an asserted fact).
    #[pyo3(get)]
    pub premises: Vec<Py<Proof>>,
    /// In a `functional(...)` relation: when the fact was asserted or derived; else `None`.
    #[pyo3(get)]
    pub time: Py<PyAny>,
    /// The tree as indented text, one fact per line.
    #[pyo3(get)]
    pub text: String,
    /// Whether the premises were left out (a proof is built to a bounded depth).
    #[pyo3(get)]
    pub truncated: bool,
    json: String,
}

impl Proof {
    /// A proof tree as Python objects.
    pub fn new(py: Python<'_>, proof: &RustProof) -> PyResult<Proof> {
        let premises = (proof.premises.iter())
            .map(|p| Py::new(py, Proof::new(py, p)?))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Proof {
            fact: proof.fact.clone(),
            confidence: proof.confidence,
            depth: proof.depth,
            rule: proof.rule.clone(),
            premises,
            time: match proof.time {
                Some(ms) => fact_time(py, ms)?,
                None => py.None(),
            },
            text: proof.to_text().trim_end().to_string(),
            truncated: proof.truncated,
            json: proof.to_json(),
        })
    }
}

/// JSON text as Python objects.
fn parse_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    json(py, &value)
}

#[pymethods]
impl Proof {
    /// The proof as nested dicts: `fact`, `confidence`, `depth`, `rule`, `premises`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        parse_json(py, &self.json)
    }

    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Proof({}, confidence={}, depth={}, rule={:?}, premises={})",
            self.fact,
            self.confidence,
            self.depth,
            self.rule,
            self.premises.len()
        )
    }
}

/// One recall hit: the memory or entity (`id`, `kind`, `type`, `title`), its `score` and
/// `relevance`, and why it was recalled (`why`, in words; `matched`, the question's words it
/// holds; `path`, the relations that reached it, each a dict `from`, `relation`, `to`,
/// `confidence`, `rule`; `beside`, the memory it was recorded next to) with a `snippet` of
/// its text.
#[pyclass(module = "engram", frozen, get_all)]
pub struct Hit {
    /// Its id.
    pub id: String,
    /// `"memory"` or `"entity"`.
    pub kind: String,
    /// A memory's type, or an entity's.
    #[pyo3(name = "type")]
    pub ty: String,
    /// A memory's title, or an entity's name.
    pub title: String,
    /// relevance x confidence x importance x recency.
    pub score: f64,
    /// Its relevance to the question, in (0, 1].
    pub relevance: f64,
    /// The question's words it matches.
    pub matched: Vec<String>,
    /// The relations that reached it from a text match.
    pub path: Py<PyAny>,
    /// The excerpt of its texts that holds the most of the question's words.
    pub snippet: Option<String>,
    /// The memory matching the question that it was recorded next to.
    pub beside: Option<String>,
    /// Why it was recalled, in words.
    pub why: String,
}

impl Hit {
    /// A recall hit as a Python object.
    pub fn new(py: Python<'_>, hit: &RustHit) -> PyResult<Hit> {
        let path = serde_json::to_value(&hit.path).unwrap_or_default();
        Ok(Hit {
            id: hit.id.clone(),
            kind: hit.kind.to_string(),
            ty: hit.ty.clone(),
            title: hit.title.clone(),
            score: hit.score,
            relevance: hit.relevance,
            matched: hit.matched.clone(),
            path: json(py, &path)?.unbind(),
            snippet: hit.snippet.clone(),
            beside: hit.beside.clone(),
            why: hit.why(),
        })
    }
}

#[pymethods]
impl Hit {
    fn __repr__(&self) -> String {
        format!(
            "Hit({:?}, {:?}, score={:.4}, why={:?})",
            self.id, self.title, self.score, self.why
        )
    }
}

/// A violation of an integrity constraint: the `constraint` (its `@name` or `file:line`),
/// its `bindings` (a dict of the constraint's named variables), `confidence`, `title`
/// (`name: a = "x", ...`) and the `proof` of the matched facts.
#[pyclass(module = "engram", frozen, get_all)]
pub struct Violation {
    /// The constraint.
    pub constraint: String,
    /// Its named variables and what they matched.
    pub bindings: Py<PyDict>,
    /// The product of the matched facts' confidences.
    pub confidence: f64,
    /// `name: a = "x", b = "y"`.
    pub title: String,
    /// The matched facts, each with its own proof.
    pub proof: Py<Proof>,
}

impl Violation {
    /// A violation as a Python object.
    pub fn new(py: Python<'_>, v: &RustViolation) -> PyResult<Violation> {
        let bindings = PyDict::new(py);
        for (name, value) in &v.bindings {
            bindings.set_item(name, crate::values::from_value(py, value)?)?;
        }
        Ok(Violation {
            constraint: v.constraint.clone(),
            bindings: bindings.unbind(),
            confidence: v.confidence,
            title: v.title(),
            proof: Py::new(py, Proof::new(py, &v.proof)?)?,
        })
    }
}

#[pymethods]
impl Violation {
    fn __repr__(&self) -> String {
        format!(
            "Violation({:?}, confidence={})",
            self.title, self.confidence
        )
    }
}

/// Why a fact does not hold: per rule that could make it, the premise that is missing, the
/// negation that blocks it or the bound that cut it (`text`, as `engram explain --why-not`
/// prints it; `to_dict()`, as its JSON). `holds` is the fact's proof when it holds after all.
#[pyclass(module = "engram", frozen)]
pub struct WhyNot {
    /// The fact asked about.
    #[pyo3(get)]
    pub fact: String,
    /// Its proof, when it holds after all.
    #[pyo3(get)]
    pub holds: Option<Py<Proof>>,
    /// The explanation as text.
    #[pyo3(get)]
    pub text: String,
    json: String,
}

impl WhyNot {
    /// A why-not as a Python object.
    pub fn new(py: Python<'_>, w: &RustWhyNot) -> PyResult<WhyNot> {
        Ok(WhyNot {
            fact: w.fact.clone(),
            holds: match &w.holds {
                Some(p) => Some(Py::new(py, Proof::new(py, p)?)?),
                None => None,
            },
            text: w.to_text().trim_end().to_string(),
            json: w.to_json(),
        })
    }
}

#[pymethods]
impl WhyNot {
    /// The explanation as nested dicts.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        parse_json(py, &self.json)
    }

    fn __str__(&self) -> String {
        self.text.clone()
    }
}
