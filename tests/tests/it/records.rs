//! Records and ADT values where a golden test cannot reach: given and read back through the
//! library, read from and written to fact files in Soufflé's text, asked about in queries,
//! explained, and refused by a store (which does not keep them yet).

use engram_engine::{Inputs, OutputTarget, Program, Store, Value};

const PROGRAM: &str = r#"
.type Point = [x: number, y: symbol]
.type Path = [at: Point, rest: Path]
.type Shape = Circle {r: number} | Dot {}
.decl point(p: Point)
.decl path(p: Path)
.decl shape(s: Shape, at: Point)
.decl first(x: number)
.decl circle_at(y: symbol, r: number)
path([p, nil]) :- point(p).
path([p, q]) :- point(p), path(q), q = [[x, _], _], p = [x2, _], x2 = x + 1.
first(x) :- path([[x, _], _]).
circle_at(y, r) :- shape($Circle(r), [_, y]).
"#;

fn point(x: i64, y: &str) -> Value {
    Value::Record(vec![Value::Number(x), Value::Symbol(y.into())])
}

#[test]
fn records_given_and_read_back_through_the_library() {
    let program = Program::compile(PROGRAM, "records.dl").unwrap();
    let mut inputs = Inputs::default();
    inputs.add("point", vec![point(1, "a")]);
    inputs.add("point", vec![point(2, "b, c")]);
    let circle = Value::Branch("Circle".into(), vec![Value::Number(5)]);
    inputs.add("shape", vec![circle.clone(), point(2, "b, c")]);
    inputs.add(
        "shape",
        vec![Value::Branch("Dot".into(), vec![]), point(1, "a")],
    );
    let mut db = program.evaluate(&inputs).unwrap();

    // [2, "b, c"] followed by [1, a]: a path of two points, its rest a path of one.
    let long = Value::Record(vec![
        point(2, "b, c"),
        Value::Record(vec![point(1, "a"), Value::Nil]),
    ]);
    let paths = db.relation("path").unwrap();
    assert_eq!(paths.len(), 3);
    assert!(paths.contains(std::slice::from_ref(&long)));
    assert_eq!(long.to_string(), "[[2, b, c], [[1, a], nil]]");
    let firsts: Vec<Vec<Value>> = db.relation("first").unwrap().rows().collect();
    assert_eq!(firsts.len(), 2);
    let circles: Vec<Vec<Value>> = db.relation("circle_at").unwrap().rows().collect();
    assert_eq!(
        circles,
        vec![vec![Value::Symbol("b, c".into()), Value::Number(5)]]
    );

    // A value that does not fit its column is refused, naming the type.
    let mut wrong = Inputs::default();
    wrong.add("point", vec![Value::Record(vec![Value::Number(1)])]);
    let err = program.evaluate(&wrong).unwrap_err().to_string();
    assert!(err.contains("is not a Point"), "{err}");
    let mut wrong = Inputs::default();
    wrong.add(
        "shape",
        vec![Value::Branch("Square".into(), vec![]), point(1, "a")],
    );
    assert!(program.evaluate(&wrong).is_err());

    // Queries match records; proofs name them as they are written.
    let answers = db.ask("?- path([[x, y], nil]).").unwrap();
    assert_eq!(answers[0].answers.len(), 2);
    let proof = db
        .explain_text(r#"path([[2, "b, c"], [[1, "a"], nil]])"#)
        .unwrap()
        .expect("the fact holds");
    let text = proof.to_text();
    assert!(text.contains("point([2, b, c])"), "{text}");
    assert!(text.contains("path([[1, a], nil])"), "{text}");
    assert!(
        db.explain_text("path([[9, \"z\"], nil])")
            .unwrap()
            .is_none()
    );
}

#[test]
fn records_read_from_and_written_to_fact_files_as_souffle_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let program_text = format!(
        "{PROGRAM}\n.input point, shape\n.output path\n.output shape(IO=file, filename=\"{}\")\n",
        dir.path().join("shapes.csv").display()
    );
    std::fs::write(
        dir.path().join("point.facts"),
        "[1, a]\n[2, \"b, c\"]\n[ 3 , d ]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("shape.facts"),
        "$Circle(5)\t[2, \"b, c\"]\n$Dot\t[1, a]\n$Dot()\t[3, d]\n",
    )
    .unwrap();
    let program = Program::compile(&program_text, "io.dl").unwrap();
    let db = program.evaluate_dir(dir.path()).unwrap();
    assert_eq!(db.relation("point").unwrap().len(), 3);
    assert_eq!(db.relation("path").unwrap().len(), 6);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    db.write_outputs(&OutputTarget::Dir(out.clone()), &mut std::io::sink())
        .unwrap();
    let mut shapes: Vec<String> = std::fs::read_to_string(dir.path().join("shapes.csv"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    shapes.sort();
    assert_eq!(
        shapes,
        ["$Circle(5)\t[2, b, c]", "$Dot\t[1, a]", "$Dot\t[3, d]"]
    );
    let paths = std::fs::read_to_string(out.join("path.csv")).unwrap();
    assert!(
        paths
            .lines()
            .any(|l| l == "[[3, d], [[2, b, c], [[1, a], nil]]]"),
        "{paths}"
    );

    // A malformed record names its file and line.
    std::fs::write(dir.path().join("point.facts"), "[1, a]\n[2]\n").unwrap();
    let err = program.evaluate_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("point.facts") && err.contains(":2"), "{err}");
}

#[test]
fn a_store_refuses_records_by_name() {
    let mut store = Store::in_memory();
    let err = store.add_rules("records", PROGRAM).unwrap_err().to_string();
    assert!(
        err.contains("record type `Point`") && err.contains("does not keep records"),
        "{err}"
    );
    // A record given as a fact of a relation no rule declares is refused too (its value alone
    // gives no record type to declare the column with).
    let mut tx = store.transaction().unwrap();
    let Err(err) = tx.add("loose", vec![point(1, "a")]) else {
        panic!("a record fact was taken");
    };
    let err = err.to_string();
    assert!(err.contains("does not keep records"), "{err}");
    drop(tx);
    // And keeps what it had.
    store
        .add_rules("plain", ".decl p(x: number)\np(1).")
        .unwrap();
    assert_eq!(store.query("?- p(x).").unwrap()[0].answers.len(), 1);
}
