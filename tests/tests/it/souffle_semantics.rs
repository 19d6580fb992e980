//! Where engram and Soufflé once disagreed on a program both accept, Soufflé's answer, so that
//! a Soufflé program gives the same output here (issue 13: silent wrong answers).

use engram_engine::OutputTarget;
use engram_engine::Program;
use engram_tests::sorted_rows;
use std::io::{Read, Write};
use std::path::Path;

/// `to_number` and `to_unsigned` read what Soufflé reads: decimal, `0x` hexadecimal and `0b`
/// binary, a number with a leading `-` in every form; what is none of those derives nothing.
#[test]
fn to_number_reads_hexadecimal_and_binary_prefixes() {
    let src = r#"
        .decl text(s: symbol)
        .decl n(s: symbol, v: number)
        .decl u(s: symbol, v: unsigned)
        text("0xcafe"). text("-0xBEEF"). text("0b100"). text("-0b11"). text("42"). text("-7").
        text("0x"). text("12abc"). text("0b102"). text("-0x-5").
        n(s, to_number(s)) :- text(s).
        u(s, to_unsigned(s)) :- text(s).
    "#;
    assert_eq!(
        sorted_rows(src, "n", false),
        [
            r#"[Symbol("-0b11"), Number(-3)]"#,
            r#"[Symbol("-0xBEEF"), Number(-48879)]"#,
            r#"[Symbol("-7"), Number(-7)]"#,
            r#"[Symbol("0b100"), Number(4)]"#,
            r#"[Symbol("0xcafe"), Number(51966)]"#,
            r#"[Symbol("42"), Number(42)]"#,
        ]
    );
    assert_eq!(
        sorted_rows(src, "u", false),
        [
            r#"[Symbol("0b100"), Unsigned(4)]"#,
            r#"[Symbol("0xcafe"), Unsigned(51966)]"#,
            r#"[Symbol("42"), Unsigned(42)]"#,
        ]
    );
}

/// Runs `src` (written to `prog.dl` in `dir`) as `engram run` does: inputs read from `dir`,
/// outputs written to `dir/out`; the output files' text by name, sorted by name.
fn run_in(dir: &Path, src: &str) -> Result<Vec<(String, String)>, String> {
    std::fs::write(dir.join("prog.dl"), src).unwrap();
    let program = Program::from_file(&dir.join("prog.dl")).map_err(|e| e.to_string())?;
    let db = program.evaluate_dir(dir).map_err(|e| e.to_string())?;
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    db.write_outputs(&OutputTarget::Dir(out.clone()), &mut Vec::new())
        .map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut s = String::new();
            flate2::read::GzDecoder::new(bytes.as_slice())
                .read_to_string(&mut s)
                .expect("a gzip file");
            s
        } else {
            String::from_utf8(bytes).unwrap()
        };
        files.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            text,
        ));
    }
    files.sort();
    Ok(files)
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// `headers=true` skips the first line of an input and writes the column names first in an
/// output; `rfc4180=true` reads quoted fields (a delimiter and `""` inside quotes) and writes
/// symbols quoted; a gzip input is read as its text, whatever `compress` says, and
/// `compress=true` writes `<name>.csv.gz`. Soufflé's answers, except that a `"` inside a
/// symbol is written `""` (RFC 4180, which the reader reads back) where Soufflé writes `\""`.
#[test]
fn headers_rfc4180_and_gzip_are_read_and_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("h.facts"), "name\tage\nann\t30\nbob\t41\n").unwrap();
    std::fs::write(
        d.join("c.csv"),
        "\"Smith, J.\",\"said \"\"hi\"\"\",7\nplain,,8\n",
    )
    .unwrap();
    std::fs::write(d.join("z.facts.gz"), gzip("x\t1\ny\t2\n")).unwrap();
    let src = r#"
        .decl h(name: symbol, age: number)
        .input h(headers=true)
        .output h(headers=true, delimiter=",")
        .decl c(who: symbol, said: symbol, n: number)
        .input c(filename="c.csv", rfc4180=true)
        .output c(rfc4180=true)
        .decl z(k: symbol, v: number)
        .input z(filename="z.facts.gz")
        .output z(compress=true)
    "#;
    let files = run_in(d, src).unwrap();
    assert_eq!(
        files,
        [
            (
                "c.csv".to_string(),
                "\"Smith, J.\",\"said \"\"hi\"\"\",7\n\"plain\",\"\",8\n".to_string()
            ),
            (
                "h.csv".to_string(),
                "name,age\nann,30\nbob,41\n".to_string()
            ),
            ("z.csv.gz".to_string(), "x\t1\ny\t2\n".to_string()),
        ]
    );
}

/// Two `.input` directives on one relation load both sources (Soufflé loads both; engram once
/// kept only the last); `columns` picks and orders file columns.
#[test]
fn two_inputs_load_both_and_columns_pick_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.facts"), "1\ta\n2\tb\n").unwrap();
    std::fs::write(d.join("b.tsv"), "skip\tc\t3\n").unwrap();
    let src = r#"
        .decl e(n: number, s: symbol)
        .input e(filename="a.facts")
        .input e(filename="b.tsv", columns="2:1")
        .output e
    "#;
    let files = run_in(d, src).unwrap();
    assert_eq!(
        files,
        [("e.csv".to_string(), "1\ta\n2\tb\n3\tc\n".to_string())]
    );
}

/// An I/O parameter engram does not implement is refused, naming it, where it once was
/// accepted silently (and gave wrong output with exit 0).
#[test]
fn unimplemented_io_parameters_are_refused_by_name() {
    let cases = [
        (
            ".input e(IO=sqlite, dbname=\"x.db\")",
            "`IO=sqlite` is not implemented for input",
        ),
        (
            ".output e(IO=json)",
            "`IO=json` is not implemented for output",
        ),
        (".input e(compress=gzip)", "`compress=gzip`"),
        (".input e(headers=1)", "`headers=1`"),
        (
            ".output e(columns=\"0\")",
            "unknown output parameter `columns`",
        ),
        (
            ".input e(rfc4180=true, delimiter=\"\\\"\")",
            "cannot contain",
        ),
    ];
    for (directive, named) in cases {
        let src = format!(".decl e(x: number)\n{directive}\n");
        let err = Program::compile(&src, "io.dl").unwrap_err().to_string();
        assert!(err.contains(named), "{directive}: {err}");
        assert!(err.contains("io.dl:2:"), "{directive}: {err}");
    }
}

/// A load file with invalid UTF-8 is refused naming the line (once: the file, without a line).
#[test]
fn invalid_utf8_in_a_load_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("e.facts"), b"fine\nbad \xc3\x28\n").unwrap();
    let err = run_in(d, ".decl e(s: symbol)\n.input e\n").unwrap_err();
    assert!(err.contains("e.facts:2: invalid UTF-8 at byte 5"), "{err}");
}

/// Float comparison is IEEE's, as Soufflé's: `0.0 = -0.0` holds and `-0.0 < 0.0` does not
/// (a total order once said the opposite); NaN equals nothing, itself included.
#[test]
fn float_comparison_is_ieee() {
    let src = r#"
        .decl one(x: number)
        one(1).
        .decl holds(s: symbol)
        holds("0.0 = -0.0") :- one(_), 0.0 = -0.0.
        holds("-0.0 < 0.0") :- one(_), -0.0 < 0.0.
        holds("-0.0 <= 0.0") :- one(_), -0.0 <= 0.0.
        holds("0.0 != -0.0") :- one(_), 0.0 != -0.0.
        holds("nan = nan") :- one(_), x = 0.0 / 0.0, x = x.
        holds("nan != nan") :- one(_), x = 0.0 / 0.0, x != x.
        holds("1.5 > 1.25") :- one(_), 1.5 > 1.25.
    "#;
    assert_eq!(
        sorted_rows(src, "holds", false),
        [
            r#"[Symbol("-0.0 <= 0.0")]"#,
            r#"[Symbol("0.0 = -0.0")]"#,
            r#"[Symbol("1.5 > 1.25")]"#,
            r#"[Symbol("nan != nan")]"#,
        ]
    );
}

/// Floats are written with the digits that read back as the same float (`0.0009765625`, once
/// `0.000976562`), and `to_string` of a float is C++'s `std::to_string`, as in Soufflé
/// (`3.140000`).
#[test]
fn floats_are_written_to_round_trip_and_to_string_has_six_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
        .decl f(x: float, s: symbol)
        f(x, to_string(x)) :- x = 1.0 / 1024.0.
        f(3.14, to_string(3.14)).
        f(2.0 / 3.0, to_string(-0.5)).
        .output f
    "#;
    let files = run_in(dir.path(), src).unwrap();
    assert_eq!(
        files,
        [(
            "f.csv".to_string(),
            "0.0009765625\t0.000977\n0.6666666666666666\t-0.500000\n3.14\t3.140000\n".to_string()
        )]
    );
}

/// `match` with a pattern that is not a regular expression holds for no text, and neither does
/// `!match` (Soufflé's answer, with a warning; `!match` once held for every text).
#[test]
fn an_invalid_pattern_matches_nothing_either_way() {
    let src = r#"
        .decl text(s: symbol)
        text("a"). text("[").
        .decl m(s: symbol)
        .decl nm(s: symbol)
        .decl ok(s: symbol)
        m(s) :- text(s), match("[", s).
        nm(s) :- text(s), !match("[", s).
        ok(s) :- text(s), !match("\\[", s).
    "#;
    assert!(sorted_rows(src, "m", false).is_empty());
    assert!(sorted_rows(src, "nm", false).is_empty());
    assert_eq!(sorted_rows(src, "ok", false), [r#"[Symbol("a")]"#]);
    let db = Program::compile(src, "p.dl")
        .unwrap()
        .evaluate(&Default::default())
        .unwrap();
    assert!(
        db.warnings()
            .iter()
            .any(|w| w.contains("`[` is not a regular expression")),
        "{:?}",
        db.warnings()
    );
}
