//! engram from Python: the `engram._engram` extension module of the `engram-datalog` wheel,
//! over the `engram-engine` façade. Python imports it as `engram` (python/engram/__init__.py
//! re-exports it; python/engram/_engram.pyi types it). See docs/python.md.

mod errors;
mod memory_calls;
mod program;
mod results;
mod store;
mod transaction;
mod values;

use pyo3::prelude::*;

/// engram: a Datalog engine for the long-term memory of AI agents, with confidence and proofs
/// on every derived fact.
#[pymodule]
fn _engram(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<store::PyStore>()?;
    m.add_class::<transaction::Transaction>()?;
    m.add_class::<program::Program>()?;
    m.add_class::<program::Database>()?;
    m.add_class::<program::Relation>()?;
    m.add_class::<program::RelationIter>()?;
    m.add_class::<results::Row>()?;
    m.add_class::<results::Proof>()?;
    m.add_class::<results::Hit>()?;
    m.add_class::<results::Violation>()?;
    m.add_class::<results::WhyNot>()?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
