//! Planning: name resolution and typing, variable safety, stratification, join order.

mod inline;
pub mod ir;
mod magic;
pub(crate) mod order;
mod resolve;
mod rule;
mod safety;
mod stratify;
mod types;

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
    let mut plan = resolve::resolve(program, file, src)?;
    inline::inline_relations(&mut plan);
    let before_magic = plan.clone();
    if magic::magic_transform(&mut plan) && stratify::stratify(&mut plan).is_ok() {
        return Ok(plan);
    }
    plan = before_magic;
    stratify::stratify(&mut plan)?;
    Ok(plan)
}
