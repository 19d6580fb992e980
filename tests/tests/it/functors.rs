//! User-defined functors (`.functor` and `@f(...)`) with functions given from Rust: values of
//! each type both ways, no value, a value of the wrong type, a functor without a function,
//! one in a recursion and in a query, and a store's refusal.

use engram_engine::{ColumnType, Program, Store, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const SRC: &str = r#"
.functor greet(name: symbol, times: number): symbol
.functor half(x: float): float
.functor big(x: unsigned): unsigned stateful
.decl who(name: symbol)
who("ann"). who("bob").
.decl greeting(g: symbol)
greeting(@greet(n, 2)) :- who(n).
.decl h(x: float)
h(@half(3.0)).
.decl u(x: unsigned)
u(@big(7u)).
"#;

fn program() -> Program {
    Program::compile(SRC, "f.dl")
        .unwrap()
        .with_functor("greet", |args| match args {
            [Value::Symbol(n), Value::Number(k)] if n != "bob" => {
                Some(Value::Symbol(format!("hi {n}").repeat(*k as usize)))
            }
            // No value: bob gets no greeting.
            _ => None,
        })
        .unwrap()
        .with_functor("half", |args| match args {
            [Value::Float(x)] => Some(Value::Float(x / 2.0)),
            _ => None,
        })
        .unwrap()
        .with_functor("big", |args| match args {
            [Value::Unsigned(x)] => Some(Value::Unsigned(x * 1_000_000_000_000)),
            _ => None,
        })
        .unwrap()
}

fn rows(db: &engram_engine::Database, rel: &str) -> Vec<Vec<Value>> {
    db.relation(rel).unwrap().rows().collect()
}

#[test]
fn functions_take_and_give_values_of_the_declared_types() {
    let db = program().evaluate(&Default::default()).unwrap();
    assert_eq!(
        rows(&db, "greeting"),
        [vec![Value::Symbol("hi annhi ann".into())]]
    );
    assert_eq!(rows(&db, "h"), [vec![Value::Float(1.5)]]);
    assert_eq!(rows(&db, "u"), [vec![Value::Unsigned(7_000_000_000_000)]]);
    let info = program().functors();
    assert_eq!(info.len(), 3);
    assert_eq!(info[0].name, "greet");
    assert_eq!(info[0].params, [ColumnType::Symbol, ColumnType::Number]);
    assert_eq!(
        (info[1].ret, info[2].ret),
        (ColumnType::Float, ColumnType::Unsigned)
    );
    assert!(info.iter().all(|f| f.given));
}

#[test]
fn a_value_of_another_type_stops_evaluation_naming_the_functor() {
    let p = Program::compile(SRC, "f.dl")
        .unwrap()
        .with_functor("greet", |_| Some(Value::Number(1)))
        .unwrap()
        .with_functor("half", |_| None)
        .unwrap()
        .with_functor("big", |_| None)
        .unwrap();
    let err = p.evaluate(&Default::default()).unwrap_err().to_string();
    assert!(
        err.contains("`@greet` gave Number(1) where its declaration says symbol"),
        "{err}"
    );
}

#[test]
fn a_functor_without_a_function_or_a_function_without_a_functor_is_refused() {
    let p = Program::compile(SRC, "f.dl").unwrap();
    assert!(!p.functors()[0].given);
    let err = p.evaluate(&Default::default()).unwrap_err().to_string();
    assert!(
        err.contains("functor `greet` (`.functor` at f.dl:2) has no function"),
        "{err}"
    );
    let err = Program::compile(SRC, "f.dl")
        .unwrap()
        .with_functor("nope", |_| None)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("declares no functor `nope`"), "{err}");
}

#[test]
fn a_functor_in_a_recursion_and_in_a_query() {
    let src = ".functor next(x: number): number\n.decl n(x: number)\nn(0).\n\
               n(@next(x)) :- n(x), x < 5.\n?- n(x), @next(x) = 3.\n";
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let p = Program::compile(src, "n.dl")
        .unwrap()
        .with_functor("next", move |args| {
            counted.fetch_add(1, Ordering::Relaxed);
            match args {
                [Value::Number(x)] => Some(Value::Number(x + 1)),
                _ => None,
            }
        })
        .unwrap();
    let db = p.evaluate(&Default::default()).unwrap();
    let got: Vec<i64> = (db.relation("n").unwrap().rows())
        .map(|r| match r[0] {
            Value::Number(x) => x,
            _ => panic!("a number"),
        })
        .collect();
    assert_eq!(got, [0, 1, 2, 3, 4, 5]);
    assert!(calls.load(Ordering::Relaxed) >= 5);
    assert_eq!(db.queries()[0].answers.len(), 1, "x = 2 only");
}

#[test]
fn a_failing_function_stops_evaluation_with_its_message() {
    let src = ".functor f(x: number): number\n.decl a(x: number)\na(@f(1)).\n";
    let p = Program::compile(src, "f.dl")
        .unwrap()
        .with_fallible_functor("f", |_| Err("the service is down".into()))
        .unwrap();
    let err = p.evaluate(&Default::default()).unwrap_err().to_string();
    assert!(err.contains("`@f` failed: the service is down"), "{err}");
}

#[test]
fn a_store_refuses_user_defined_functors() {
    let mut store = Store::in_memory();
    let err = store
        .add_rules(
            "f",
            ".functor f(x: number): number\n.decl a(x: number)\na(@f(1)).\n",
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("functor `f`"), "{err}");
}
