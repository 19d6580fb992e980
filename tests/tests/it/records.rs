//! Records and ADT values where a golden test cannot reach: given and read back through the
//! library, read from and written to fact files in Soufflé's text, asked about in queries,
//! explained, and kept by a store.

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

/// The values of a store relation's facts, rendered and sorted.
fn rendered(store: &mut Store, relation: &str) -> Vec<String> {
    let facts = store.facts(relation).unwrap().expect("the relation exists");
    let mut out: Vec<String> = (facts.iter())
        .map(|f| {
            (f.values.iter().map(ToString::to_string))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    out.sort();
    out
}

/// Files of the store directory whose names end with `ext`.
fn files_ending(dir: &std::path::Path, ext: &str) -> usize {
    (std::fs::read_dir(dir).unwrap())
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(ext)
        })
        .count()
}

#[test]
fn a_store_keeps_records_across_commits_reopening_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::create(&path).unwrap();
    store.add_rules("records", PROGRAM).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add("point", vec![point(1, "a")]).unwrap();
    tx.add("point", vec![point(2, "b, c")]).unwrap();
    let circle = Value::Branch("Circle".into(), vec![Value::Number(5)]);
    tx.add("shape", vec![circle, point(2, "b, c")]).unwrap();
    tx.commit().unwrap();
    // A reader opened now follows the writer's next commits.
    let mut reader = Store::open_read_only(&path).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add("point", vec![point(3, "d")]).unwrap();
    tx.commit().unwrap();
    let paths = [
        "[[1, a], nil]",
        "[[2, b, c], [[1, a], nil]]",
        "[[2, b, c], nil]",
        "[[3, d], [[2, b, c], [[1, a], nil]]]",
        "[[3, d], [[2, b, c], nil]]",
        "[[3, d], nil]",
    ];
    assert_eq!(rendered(&mut store, "path"), paths);
    assert!(
        reader.refresh().unwrap(),
        "the reader moves to the new commit"
    );
    assert_eq!(rendered(&mut reader, "path"), paths);
    assert_eq!(rendered(&mut reader, "circle_at"), ["b, c\t5"]);
    // Taking a point back takes back the paths through it.
    let mut tx = store.transaction().unwrap();
    tx.retract("point", vec![point(2, "b, c")]).unwrap();
    tx.commit().unwrap();
    let left = ["[[1, a], nil]", "[[3, d], nil]"];
    assert_eq!(rendered(&mut store, "path"), left);
    drop(store);
    assert!(
        files_ending(&path, ".rec") >= 2,
        "a record run per commit that made records"
    );

    // Reopened, the records read back; queries and proofs name them.
    let mut store = Store::open(&path).unwrap();
    assert_eq!(rendered(&mut store, "path"), left);
    assert_eq!(rendered(&mut store, "first"), ["1", "3"]);
    let answers = store.query("?- path([[x, y], nil]).").unwrap();
    assert_eq!(answers[0].answers.len(), 2);
    let proof = store
        .explain(r#"path([[3, "d"], nil])"#)
        .unwrap()
        .expect("the fact holds");
    assert!(
        proof.to_text().contains("point([3, d])"),
        "{}",
        proof.to_text()
    );
    // A new commit after reopening makes records after the stored ones.
    let mut tx = store.transaction().unwrap();
    tx.add("point", vec![point(2, "b, c")]).unwrap();
    tx.commit().unwrap();
    assert_eq!(rendered(&mut store, "path"), paths);
    store.compact().unwrap();
    drop(store);
    assert_eq!(
        files_ending(&path, ".rec"),
        1,
        "compaction writes one record run"
    );
    let mut store = Store::open(&path).unwrap();
    assert_eq!(rendered(&mut store, "path"), paths);
    assert_eq!(rendered(&mut store, "shape"), ["$Circle(5)\t[2, b, c]"]);
}

#[test]
fn a_store_refuses_to_read_its_records_with_another_shape() {
    let mut store = Store::in_memory();
    let rules = ".type Point = [x: number, y: symbol]\n.type Tagged = [at: Point, n: number]\n\
                 .decl point(p: Point)\n.decl path(p: Tagged)\npath([p, 0]) :- point(p).";
    store.add_rules("records", rules).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add("point", vec![point(1, "a")]).unwrap();
    tx.commit().unwrap();
    // Point redefined: the stored [1, a] would read as something else.
    let redefined = rules.replace("[x: number, y: symbol]", "[x: symbol, y: number]");
    let err = store
        .add_rules("records", &redefined)
        .unwrap_err()
        .to_string();
    assert!(err.contains("record type `Point`"), "{err}");
    // A record given as a fact of a relation no rule declares is refused (its value alone
    // gives no record type to declare the column with).
    let mut tx = store.transaction().unwrap();
    let Err(err) = tx.add("loose", vec![point(1, "a")]) else {
        panic!("a record fact was taken");
    };
    let err = err.to_string();
    assert!(err.contains("declare `loose`"), "{err}");
    drop(tx);
    // And keeps what it had.
    assert_eq!(rendered(&mut store, "path"), ["[[1, a], 0]"]);
}
