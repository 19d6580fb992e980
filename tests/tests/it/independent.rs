//! Body parts independent of the rest of their rule (`a(x) :- b(x), c(y), d(y).`) are checked
//! once per stratum; with provenance their best confidence, depth and time are one factor of
//! every derivation. Both must derive the same facts, whether the part holds, fails, reads a
//! relation of the rule's own stratum, or is the whole body; and with provenance the same
//! confidences and depths as the rule with the part tied to the rest (so joined).

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

/// The facts of `a` with their confidence and depth.
fn weighted(src: &str) -> Vec<(String, String, u32)> {
    let program = engram_engine::Program::compile(src, "independent.dl").unwrap();
    let db = program.evaluate(&engram_engine::Inputs::default()).unwrap();
    let mut out: Vec<_> = (db.relation("a").unwrap().facts())
        .map(|f| {
            (
                format!("{:?}", f.values),
                format!("{:.12}", f.confidence),
                f.depth,
            )
        })
        .collect();
    out.sort();
    out
}

/// With provenance the part's best derivation enters every derivation of the rule: the same
/// confidences and depths as when a constraint that always holds ties the part to the rest
/// (`x != y + 1000`: no longer independent, joined with every `b` row).
#[test]
fn with_provenance_the_part_is_a_constant_factor() {
    let facts = ".pragma \"min_confidence\" \"0\"\nb(0) @ 0.9. c(1) @ 0.5. c(2) @ 0.8. c(3) @ 0.95. \
                 d(1) @ 0.9. d(2) @ 0.6. e(2). e(3) @ 0.7. e(3).\n\
                 e(y) :- c(y), d(y).\n";
    for (apart, joined) in [
        (
            "@weight(0.9)\na(x) :- b(x), c(y), d(y).",
            "@weight(0.9)\na(x) :- b(x), c(y), d(y), x != y + 1000.",
        ),
        (
            "a(x) :- b(x), e(y), c(y).",
            "a(x) :- b(x), e(y), c(y), x != y + 1000.",
        ),
    ] {
        let rec = "b(x + 1) :- a(x), x < 20.\n";
        let (a, j) = (
            weighted(&format!("{DECLS}{facts}{apart}\n{rec}")),
            weighted(&format!("{DECLS}{facts}{joined}\n{rec}")),
        );
        assert_eq!(a.len(), 21, "{apart}: {a:?}");
        assert_eq!(a, j, "{apart}");
    }
}
