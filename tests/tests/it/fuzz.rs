//! The fuzz harnesses of `engram_tests::fuzz` as proptest cases, a few hundred each in CI
//! (`ENGRAM_LONG_TESTS=1`; a quarter as many without it; `ENGRAM_FUZZ_CASES` sets how many);
//! cargo-fuzz runs the same harnesses for longer on nightly (`fuzz/README.md`). Inputs the
//! fuzzers found are replayed by name below.

use engram_tests::fuzz;
use proptest::prelude::*;

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("ENGRAM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(match engram_tests::long_tests() {
            true => default,
            false => default.div_ceil(4),
        });
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes that look like a Datalog program: pieces of the dialect, shuffled and cut.
fn datalog_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        ".decl ",
        ".input ",
        ".output ",
        ".type ",
        ".pragma ",
        ".include ",
        "r(x, y)",
        "p(\"a\")",
        " :- ",
        ", ",
        "; ",
        "!",
        ".",
        "(",
        ")",
        "{",
        "}",
        "@name(\"n\") ",
        "@ 0.5",
        "~ t",
        " = ",
        "count : ",
        "x",
        "\"",
        "\\",
        "//",
        "/*",
        "*/",
        "\n",
        "number",
        "symbol",
        "float",
        "0x1f",
        "1e308",
        "-",
        "+",
        "?- ",
        "é",
        "\u{0}",
        "eqrel",
        "sk(",
        "match(",
        "(IO=stdin)",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn the_parser_and_planner_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzz::compile_any(&bytes);
    }

    #[test]
    fn the_parser_and_planner_take_datalog_pieces(bytes in datalog_bytes()) {
        fuzz::compile_any(&bytes);
    }

    #[test]
    fn generated_programs_plan_and_evaluate_within_bounds(bytes in prop::collection::vec(any::<u8>(), 0..160)) {
        fuzz::compile_generated(&bytes);
    }

    #[test]
    fn the_tsv_loader_takes_any_bytes(bytes in prop::collection::vec(
        prop::sample::select(b"a\t1\t-2\t0.5\t\n\r\xff\"x".to_vec()), 0..80)) {
        fuzz::load_tsv(&bytes);
    }

    #[test]
    fn the_jsonl_loader_takes_any_json_pieces(bytes in prop::collection::vec(prop::sample::select(vec![
        "{", "}", "[", "]", ",", ":", "\"kind\"", "\"memory\"", "\"entity\"", "\"relation\"",
        "\"type\"", "\"name\"", "\"id\"", "\"from\"", "\"to\"", "\"values\"", "\"confidence\"",
        "\"time\"", "\"observations\"", "\"entityType\"", "\"relationType\"", "\"memories\"",
        "\"relationships\"", "1", "-1", "1e999", "99999999999999999999", "0.5", "null", "true",
        "\"a\"", "\n",
    ]), 0..60)) {
        fuzz::load_jsonl(bytes.concat().as_bytes());
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn a_store_with_a_damaged_file_opens_or_names_the_file(bytes in prop::collection::vec(any::<u8>(), 0..24)) {
        fuzz::open_mutated(&bytes);
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn commits_on_a_failing_storage_keep_the_last_commit(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        fuzz::faulty_commits(&bytes);
    }
}

#[test]
fn the_template_store_opens_unchanged() {
    let mut store = engram_engine::Store::open_read_only(fuzz::template_store()).unwrap();
    let path = store.facts("path").unwrap().unwrap();
    assert_eq!(path.len(), 4, "{path:?}");
    assert!(
        std::fs::read_dir(fuzz::template_store()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("log"))
    );
}

/// Found by `generated_programs_plan_and_evaluate_within_bounds`: a variable an aggregate's
/// body introduces (here the fresh one of `z + 1`) was forgotten by the bookkeeping of which
/// variables atoms bind, and the next atom's expression argument indexed past it (a panic).
#[test]
fn an_expression_in_an_atom_after_an_aggregate_that_introduced_variables() {
    let text = ".decl r(a: symbol, b: number)\n\
                r(\"a\", 1).\n\
                .decl s(n: number)\n\
                s(x) :- x = count : { r(y, z + 1) }, r(\"a\", x + 1).\n";
    fuzz::compile_text(text);
    let e = engram_engine::Program::compile(text, "t.dl")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("variable `z` is not bound by a positive atom"),
        "{e}"
    );
}

/// Found by `a_store_with_a_damaged_file_opens_or_names_the_file`: a run whose checksum holds
/// but whose fact names a rule the program does not have (here the bytes change a run's
/// `depth_rule` column) panicked when its facts were read; the fact now reads as from
/// "unknown rule N", and explaining it shows no derivation.
#[test]
fn a_fact_naming_an_unknown_rule_does_not_panic() {
    fuzz::open_mutated(&[59, 32, 4, 20, 120, 204, 188, 1]);
}

/// Issue 27: a commit whose log record was written whole, whose fsync failed, and whose
/// cutting off failed too, was visible (readers take the whole record for committed) while
/// the error said only that the disk was full; it now says the commit may be visible and may
/// not be durable.
#[test]
fn a_record_that_could_be_neither_synced_nor_cut_off_says_it_may_be_visible() {
    fuzz::faulty_commits(&[
        0, 0, 0, 0, 24, 0, 0, 24, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 140, 0, 0, 0, 0, 0, 1, 234, 103,
        17, 128, 137, 236, 218, 174, 28, 252, 52,
    ]);
}

/// Found by the fuzzer: a rule's span took the blank space after its `.` (read while looking
/// for a `.plan`), so an error on the last rule of a text pointed past its end.
#[test]
fn an_error_on_the_last_rule_stays_inside_the_text() {
    fuzz::compile_text(
        ".decl r0(x: number) inline\n.decl b(x: number)\n@weight(0.5) r0(x) :- b(x).  ",
    );
    fuzz::compile_text(
        ".decl r0(x: number) inline\n.decl b(x: number)\n@weight(0.5) r0(x) :- b(x). // end",
    );
}
