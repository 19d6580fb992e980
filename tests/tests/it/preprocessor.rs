//! The C preprocessor's pass over program files (issue 32): `#include` beside the file and in
//! `-I` directories, guards and `#pragma once`, macros given from outside, and errors (the
//! preprocessor's own, and the parser's and planner's after it) that name the original file
//! and line.

use engram_engine::{Program, ReadOptions};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn rows(p: &Program, relation: &str) -> Vec<String> {
    let db = p.evaluate(&Default::default()).unwrap();
    let mut out: Vec<String> = (db.relation(relation).unwrap().facts())
        .map(|f| {
            f.values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    out.sort();
    out
}

const GUARDED: &str =
    "#ifndef TYPES_INC\n#define TYPES_INC\n.decl edge(x: number, y: number)\n#endif\n";

#[test]
fn includes_guards_once_and_include_dirs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "types.inc", GUARDED);
    write(dir.path(), "once.inc", "#pragma once\nedge(7, 8).\n");
    write(
        dir.path(),
        "lib/extra.inc",
        "#include \"../types.inc\"\nedge(LAST, 1).\n",
    );
    let main = "#include \"types.inc\"\n#include \"types.inc\"\n#include \"once.inc\"\n\
                #include \"once.inc\"\n#include <extra.inc>\n.output edge\nedge(1, 2).\n";
    write(dir.path(), "main.dl", main);
    let options = ReadOptions {
        include_dirs: vec![dir.path().join("lib")],
        macros: vec![("LAST".into(), "9".into())],
    };
    let p = Program::from_file_with(&dir.path().join("main.dl"), &options).unwrap();
    assert_eq!(rows(&p, "edge"), ["1,2", "7,8", "9,1"]);
    // Without the include directory, `<extra.inc>` is not found, and the error names where.
    let err = Program::from_file(&dir.path().join("main.dl"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("main.dl:5:1: error: cannot find `extra.inc` to include"),
        "{err}"
    );
}

#[test]
fn errors_after_preprocessing_name_the_original_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "types.inc",
        "// types\n\n.decl edge(x: number, y: number)\n",
    );
    write(dir.path(), "bad.inc", "// bad\n.decl broken(x: number\n");
    // A syntax error in an included file: that file's line.
    write(dir.path(), "a.dl", "#include \"bad.inc\"\n");
    let err = Program::from_file(&dir.path().join("a.dl"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.inc:3:1: error:"), "{err}");
    // A syntax error in the including file, after an include and a macro use over two lines.
    let b = "#include \"types.inc\"\n#define E(a, b) edge(a, b).\nE(1,\n  2)\nedge(3 4).\n";
    write(dir.path(), "b.dl", b);
    let err = Program::from_file(&dir.path().join("b.dl"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("b.dl:5:8: error:"), "{err}");
    assert!(err.contains("5 | edge(3 4)."), "{err}");
    // A planner error in the including file after an include: its file and line.
    let c = "#include \"types.inc\"\n\n.output path\npath(x, y) :- edge(x, y), nope(y).\n";
    write(dir.path(), "c.dl", c);
    let err = Program::from_file(&dir.path().join("c.dl"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("c.dl:4:"), "{err}");
    // A rule's origin after an include names its file and line.
    let d = "#include \"types.inc\"\n.decl path(x: number, y: number)\n\nedge(1, 2).\n\
             path(x, y) :- edge(x, y).\n";
    write(dir.path(), "d.dl", d);
    let p = Program::from_file(&dir.path().join("d.dl")).unwrap();
    let db = p.evaluate(&Default::default()).unwrap();
    let fact = &db.relation("path").unwrap().facts().next().unwrap();
    assert_eq!(
        fact.origin.to_string(),
        format!("{}:5", dir.path().join("d.dl").display())
    );
}

#[test]
fn the_preprocessors_own_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("#if 1\nr(1).\n", "e.dl:1:1: error: `#if` without `#endif`"),
        ("\n#endif\n", "e.dl:2:1: error: `#endif` without `#if`"),
        (
            "#if 0\n#else\n#else\n#endif\n",
            "e.dl:3:1: error: `#else` after `#else`",
        ),
        ("#error stop here\n", "e.dl:1:1: error: #error stop here"),
        (
            "#frobnicate\n",
            "e.dl:1:1: error: unknown preprocessor directive `#frobnicate`",
        ),
        (
            "#if 1 +\n#endif\n",
            "e.dl:1:1: error: bad condition: it ends early",
        ),
        (
            "#define F(a, b) a\nF(1)\n",
            "e.dl:2:1: error: macro `F` takes 2 arguments, given 1",
        ),
        ("#include \"e.dl\"\n", "includes nested too deeply"),
        ("#include nothing\n", "`#include` needs a file"),
    ];
    for (text, expected) in cases {
        write(dir.path(), "e.dl", text);
        let err = Program::from_file(&dir.path().join("e.dl"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
    // Directives in a branch not taken are not read (an unknown one included).
    write(
        dir.path(),
        "f.dl",
        "#if 0\n#frobnicate\n#error no\n#endif\n.decl r(x: number)\n",
    );
    Program::from_file(&dir.path().join("f.dl")).unwrap();
}

#[test]
fn macros_from_outside_are_read_as_souffles_dash_m() {
    let mut options = ReadOptions::default();
    options.add_macros("N=3 FLAG");
    assert_eq!(
        options.macros,
        [
            ("N".to_string(), "3".to_string()),
            ("FLAG".to_string(), "1".to_string())
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m.dl",
        ".decl r(x: number)\n.output r\n#if FLAG\nr(N).\n#endif\n",
    );
    let p = Program::from_file_with(&dir.path().join("m.dl"), &options).unwrap();
    assert_eq!(rows(&p, "r"), ["3"]);
    let p = Program::from_file(&dir.path().join("m.dl")).unwrap();
    assert!(rows(&p, "r").is_empty());
}
