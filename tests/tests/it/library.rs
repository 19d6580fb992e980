//! The library API: typed inputs, typed rows, query answers and typed errors.

use engram_core::Error;
use engram_engine::{Inputs, Program, Value};

fn program() -> Program {
    Program::compile(
        r#"
        .decl edge(x: symbol, y: symbol)
        .decl weight(x: symbol, w: float)
        .decl path(x: symbol, y: symbol)
        .output path
        path(x, y) :- edge(x, y).
        path(x, z) :- edge(x, y), path(y, z).
        ?- path("a", y).
        "#,
        "lib.dl",
    )
    .expect("compiles")
}

fn sym(s: &str) -> Value {
    Value::Symbol(s.into())
}

#[test]
fn evaluates_typed_inputs_and_answers_queries() {
    let p = program();
    let mut inputs = Inputs::default();
    inputs
        .add("edge", vec![sym("a"), sym("b")])
        .add("edge", vec![sym("b"), sym("c")])
        .add("weight", vec![sym("a"), Value::Float(0.5)]);
    let db = p.evaluate(&inputs).expect("evaluates");
    let path = db.relation("path").expect("declared");
    assert_eq!(path.len(), 3);
    assert!(path.contains(&[sym("a"), sym("c")]));
    assert!(!path.contains(&[sym("c"), sym("a")]));
    let answers = &db.queries()[0];
    assert_eq!(answers.columns, vec!["y".to_string()]);
    let values: Vec<Vec<Value>> = answers.answers.iter().map(|a| a.values.clone()).collect();
    assert_eq!(values, vec![vec![sym("b")], vec![sym("c")]]);
    let infos = p.relations();
    assert!(infos.iter().any(|r| r.name == "path" && r.is_output));
}

#[test]
fn wrong_inputs_are_typed_errors() {
    let p = program();
    let mut wrong_type = Inputs::default();
    wrong_type.add("weight", vec![sym("a"), Value::Number(1)]);
    assert!(
        matches!(p.evaluate(&wrong_type), Err(Error::Value { relation, .. }) if relation == "weight")
    );
    let mut wrong_arity = Inputs::default();
    wrong_arity.add("edge", vec![sym("a")]);
    assert!(matches!(p.evaluate(&wrong_arity), Err(Error::Value { .. })));
    let mut unknown = Inputs::default();
    unknown.add("nope", vec![]);
    assert!(
        matches!(p.evaluate(&unknown), Err(Error::Value { relation, .. }) if relation == "nope")
    );
}

#[test]
fn compile_errors_are_typed() {
    assert!(matches!(
        Program::compile("p(x) :-", "bad.dl"),
        Err(Error::Parse(_))
    ));
    assert!(matches!(
        Program::compile(".decl p(x: number)\np(y) :- p(x).", "bad.dl"),
        Err(Error::Plan(_))
    ));
}
