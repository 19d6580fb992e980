//! Python values to engram's and back: `str` is a symbol, `int` a number (unsigned past
//! 2^63 - 1; any object with `__index__`, such as numpy's integers, too), `float` a float
//! (and any object with `__float__`); a `datetime` is unix milliseconds (a naive one read as UTC),
//! and a fact's time comes back as an aware `datetime` in UTC. A record is a tuple of its
//! fields (a tuple or list inside a row), an ADT value `$B(1, "a")` is `{"$B": (1, "a")}`;
//! `nil` comes back as `None` (and is not given from Python: `None` stays an error, so that a
//! missing value is never read as a record). JSON (reports, paths) becomes dicts and lists.

use engram_engine::{ColumnType, Value};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyTzInfo,
};

/// A Python value as engram's.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Symbol(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyBool>() || is_numpy_bool(obj) {
        return Err(PyTypeError::new_err(
            "a bool is not an engram value: write 1 or 0, or a symbol",
        ));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::Number(n));
        }
        return match obj.extract::<u64>() {
            Ok(n) => Ok(Value::Unsigned(n)),
            Err(_) => Err(PyOverflowError::new_err(
                "an integer outside -2^63 .. 2^64 - 1 is not an engram value",
            )),
        };
    }
    if let Ok(x) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(x.value()));
    }
    if obj.is_instance_of::<PyDateTime>() {
        return Ok(Value::Number(datetime_ms(obj)?));
    }
    if obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>() {
        let fields = obj.try_iter()?.map(|v| to_value(&v?));
        return Ok(Value::Record(fields.collect::<PyResult<_>>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>()
        && d.len() == 1
        && let Some((k, v)) = d.iter().next()
        && let Some(name) = k.extract::<String>()?.strip_prefix('$')
    {
        let Value::Record(fields) = to_value(&v)? else {
            return Err(PyTypeError::new_err(
                "an ADT value is {\"$Branch\": (fields...)}",
            ));
        };
        return Ok(Value::Branch(name.to_string(), fields));
    }
    // Integers and floats of other types (numpy's `int64` from a DataFrame's rows, say), by
    // the protocols that make them numbers.
    if obj.hasattr("__index__")? {
        return to_value(&obj.call_method0("__index__")?);
    }
    if obj.hasattr("__float__")? {
        return Ok(Value::Float(obj.call_method0("__float__")?.extract()?));
    }
    Err(PyTypeError::new_err(format!(
        "{} is not an engram value (str, int, float, datetime, or a record: tuple, None, \
         {{\"$Branch\": (...)}})",
        obj.get_type().name()?
    )))
}

/// Whether `obj` is numpy's boolean (which has `__index__` and `__float__` too).
fn is_numpy_bool(obj: &Bound<'_, PyAny>) -> bool {
    let ty = obj.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name = ty.name().map(|n| n.to_string()).unwrap_or_default();
    module == "numpy" && (name == "bool" || name == "bool_")
}

/// A row of Python values (any iterable; a lone str or value is one column).
pub fn to_row(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t.iter().map(|v| to_value(&v)).collect();
    }
    if obj.is_instance_of::<PyString>() || !is_iterable(obj) {
        return Ok(vec![to_value(obj)?]);
    }
    obj.try_iter()?.map(|v| to_value(&v?)).collect()
}

fn is_iterable(obj: &Bound<'_, PyAny>) -> bool {
    obj.hasattr("__iter__").unwrap_or(false)
}

/// A value read as a column of type `ty` wants it: an int for a float column is that float,
/// a non-negative int for an unsigned column that number. Anything else is left for the
/// relation's check to refuse.
pub fn fit(value: Value, ty: ColumnType) -> Value {
    match (value, ty) {
        (Value::Number(n), ColumnType::Float) => Value::Float(n as f64),
        (Value::Number(n), ColumnType::Unsigned) if n >= 0 => Value::Unsigned(n as u64),
        (v, _) => v,
    }
}

/// An engram value as Python's.
pub fn from_value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Symbol(s) => PyString::new(py, s).into_any(),
        Value::Number(n) => n.into_pyobject(py)?.into_any(),
        Value::Unsigned(n) => n.into_pyobject(py)?.into_any(),
        Value::Float(x) => PyFloat::new(py, *x).into_any(),
        Value::Record(fields) => tuple(py, fields)?.into_any(),
        Value::Nil => py.None().into_bound(py),
        Value::Branch(name, fields) => {
            let d = PyDict::new(py);
            d.set_item(format!("${name}"), tuple(py, fields)?)?;
            d.into_any()
        }
    })
}

/// Values as a tuple.
pub fn tuple<'py>(py: Python<'py>, values: &[Value]) -> PyResult<Bound<'py, PyTuple>> {
    let items = values
        .iter()
        .map(|v| from_value(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// Unix milliseconds as an aware `datetime` in UTC.
pub fn time<'py>(py: Python<'py>, ms: i64) -> PyResult<Bound<'py, PyDateTime>> {
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::from_timestamp(py, ms as f64 / 1000.0, Some(&utc))
}

/// A fact's time: `None` for 0 (a program's facts have none).
pub fn fact_time(py: Python<'_>, ms: i64) -> PyResult<Py<PyAny>> {
    match ms {
        0 => Ok(py.None()),
        ms => Ok(time(py, ms)?.into_any().unbind()),
    }
}

/// A `datetime` as unix milliseconds; a naive one is read as UTC.
fn datetime_ms(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = obj.py();
    let aware = match obj.getattr("tzinfo")?.is_none() {
        true => {
            let kwargs = PyDict::new(py);
            kwargs.set_item("tzinfo", PyTzInfo::utc(py)?)?;
            obj.call_method("replace", (), Some(&kwargs))?
        }
        false => obj.clone(),
    };
    let seconds: f64 = aware.call_method0("timestamp")?.extract()?;
    Ok((seconds * 1000.0).round() as i64)
}

/// A time given from Python: a `datetime`, unix milliseconds, or ISO 8601 text.
pub fn to_time(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    if obj.is_instance_of::<PyDateTime>() {
        return datetime_ms(obj);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        let text: &str = &text;
        return engram_engine::parse_time(text)
            .ok_or_else(|| PyValueError::new_err(format!("{text:?} is not a time (ISO 8601)")));
    }
    obj.extract::<i64>().map_err(|_| {
        PyTypeError::new_err("a time is a datetime, unix milliseconds or ISO 8601 text")
    })
}

/// JSON as Python: objects as dicts, arrays as lists.
pub fn json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any(),
        },
        J::String(s) => PyString::new(py, s).into_any(),
        J::Array(items) => {
            let items = items
                .iter()
                .map(|i| json(py, i))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        J::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json(py, v)?)?;
            }
            dict.into_any()
        }
    })
}
