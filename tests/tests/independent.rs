//! Body parts independent of the rest of their rule (`a(x) :- b(x), c(y), d(y).`) are checked
//! once per stratum when evaluating without provenance; with provenance they stay in the
//! join. Both must derive the same facts, whether the part holds, fails, reads a relation of
//! the rule's own stratum, or is the whole body.

use engram_tests::sorted_rows as rows;

const DECLS: &str = ".decl a(x: number)\n.decl b(x: number)\n.decl c(y: number)\n\
                     .decl d(y: number)\n.decl e(y: number)\n";

fn check(body: &str, expected: usize) {
    let src = format!("{DECLS}{body}");
    let plain = rows(&src, "a", false);
    assert_eq!(plain, rows(&src, "a", true), "{body}");
    assert_eq!(plain.len(), expected, "{body}: {plain:?}");
}

#[test]
fn a_part_that_holds_leaves_the_rest_of_the_rule() {
    check(
        "b(0). c(1). c(2). d(2).\na(x) :- b(x), c(y), d(y).\nb(x + 1) :- a(x), x < 50.\n",
        51,
    );
}

#[test]
fn a_part_that_fails_derives_nothing() {
    check(
        "b(0). c(1). d(2).\na(x) :- b(x), c(y), d(y).\nb(x + 1) :- a(x), x < 50.\n",
        0,
    );
    check(
        "b(0). c(1). c(5). d(5).\na(x) :- b(x), c(y), d(y), y < 3.\n",
        0,
    );
    check("b(0). c(1). d(1).\na(x) :- b(x), c(y), !d(y).\n", 0);
    check("b(0). c(1). c(2). d(1).\na(x) :- b(x), c(y), !d(y).\n", 1);
}

#[test]
fn a_part_over_the_rules_own_stratum_is_joined() {
    // `e` is derived in the same stratum as `a`: the part is not complete when it starts.
    check(
        "b(0). c(7).\na(x) :- b(x), e(y).\ne(y) :- c(y), a(_).\ne(y) :- c(y), b(_).\n\
         b(x + 1) :- a(x), x < 5.\n",
        6,
    );
}

#[test]
fn a_whole_body_apart_from_the_head() {
    check("c(1). d(1).\na(42) :- c(y), d(y).\n", 1);
    check("c(1). d(2).\na(42) :- c(y), d(y).\n", 0);
}
