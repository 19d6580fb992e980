//! Planning: name resolution and typing, variable safety, stratification, join order.

mod bounded;
pub mod directives;
mod eqrel;
pub mod exec_plan;
pub mod functors;
pub(crate) mod independent;
mod inline;
pub mod ir;
mod magic;
pub mod order;
mod range;
mod records;
mod resolve;
mod rule;
mod safety;
mod stratify;
mod subsume;
mod types;
mod witness;

use engram_parser::Span;

/// One planning error at a place in the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl PlanError {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        PlanError {
            message: message.into(),
            span,
        }
    }
}

/// Resolves, types and stratifies a parsed program.
pub fn plan(
    program: &engram_parser::Program,
    file: &str,
    src: &str,
) -> Result<ir::Plan, Vec<PlanError>> {
    plan_seeded(program, file, src, crate::value::Interner::default())
}

/// [`plan`] with symbols interned after those already in `interner` (a store's strings), so
/// that the program's literals get the ids the store uses.
pub fn plan_seeded(
    program: &engram_parser::Program,
    file: &str,
    src: &str,
    interner: crate::value::Interner,
) -> Result<ir::Plan, Vec<PlanError>> {
    let mut plan = resolve::resolve(program, file, src, interner)?;
    inline::inline_relations(&mut plan);
    let unbound = inline::unbound_after_inlining(&plan);
    if !unbound.is_empty() {
        return Err(unbound);
    }
    bounded::bound_counts(&mut plan);
    let before_magic = plan.clone();
    if magic::magic_transform(&mut plan) && stratify::stratify(&mut plan).is_ok() {
        return Ok(plan);
    }
    plan = before_magic;
    stratify::stratify(&mut plan)?;
    Ok(plan)
}

/// Plans the `?-` queries of `program` against an already planned program.
pub fn plan_queries(
    plan: &mut ir::Plan,
    program: &engram_parser::Program,
    src: &str,
) -> Result<Vec<ir::IrQuery>, Vec<PlanError>> {
    resolve::queries(plan, program, src)
}
