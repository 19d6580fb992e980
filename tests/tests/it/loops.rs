//! A stratum with a rule of three or more atoms, one of them over the stratum, is evaluated by
//! index nested loops when evaluating without provenance (`eval/loops.rs`: every relation of
//! the stratum held once), and by datafrog's joins with it. Both must derive the same facts:
//! constants, repeated variables, wildcards, constraints, rules of every shape in such a
//! stratum, and the EL completion rules.

use engram_tests::sorted_rows as rows;

fn same(src: &str, rel: &str, at_least: usize) {
    let plain = rows(src, rel, false);
    assert_eq!(plain, rows(src, rel, true), "{src}");
    assert!(plain.len() >= at_least, "{}: {plain:?}", plain.len());
}

#[test]
fn three_way_recursive_joins() {
    let mut facts = String::new();
    for i in 0..30 {
        facts.push_str(&format!(
            "e({i}, {}). e({i}, {}).\n",
            (i * 7 + 1) % 30,
            (i * 3 + 2) % 30
        ));
    }
    let decls = ".decl e(x: number, y: number)\n.decl p(x: number, y: number)\n\
                 .decl q(x: number, y: number, z: number)\n";
    same(
        &format!("{decls}{facts}p(x, y) :- e(x, y).\np(x, z) :- p(x, y), p(y, w), e(w, z).\n"),
        "p",
        30,
    );
    // Repeated variables, a constant, a wildcard and a constraint in the recursive body.
    same(
        &format!(
            "{decls}{facts}p(x, y) :- e(x, y).\nq(x, y, x) :- p(x, y), p(y, x), e(x, _).\n\
             p(x, z) :- p(x, y), q(y, z, _), p(z, 3), x < z.\nq(x, x, y) :- p(x, y), p(y, y), e(_, x).\n"
        ),
        "q",
        1,
    );
}

/// Same generation (one recursive atom among three), with every other kind of rule in the
/// same stratum: one without atoms, one over completed relations only, a copy, a count of its
/// own body, a nullary relation, a negation of a completed relation and duplicate facts.
#[test]
fn every_rule_shape_in_a_stratum_of_loops() {
    let mut facts = String::new();
    for i in 1..40 {
        facts.push_str(&format!("parent({i}, {}).\n", i / 3));
    }
    facts.push_str("parent(5, 1). parent(5, 1). blocked(7).\n");
    let program = format!(
        ".decl parent(x: number, y: number)\n.decl blocked(x: number)\n\
         .decl sg(x: number, y: number)\n.decl any()\n.decl wide(x: number, y: number)\n\
         .decl n(x: number, c: number)\n{facts}\
         sg(x, y) :- parent(x, p), parent(y, p), x != y.\n\
         sg(x, y) :- parent(x, a), sg(a, b), parent(y, b), !blocked(x).\n\
         sg(x, y) :- x = 100, y = 101.\n\
         sg(x, y) :- any(), wide(x, y).\n\
         any() :- sg(_, _).\n\
         wide(y, x) :- sg(x, y), x < 3.\n\
         wide(x, x) :- parent(x, 0), parent(x, 0), parent(0, _).\n\
         n(x, c) :- parent(x, _), c = count : {{ parent(x, _) }}.\n\
         sg(x, c) :- n(x, c), sg(x, _), parent(c, _).\n"
    );
    same(&program, "sg", 100);
    same(&program, "wide", 3);
    same(&program, "any", 1);
    let plain = rows(&program, "sg", false);
    assert!(
        plain.contains(&"[Number(100), Number(101)]".to_string()),
        "{plain:?}"
    );
}

#[test]
fn el_completion_rules() {
    let program = "
.decl concept(c: symbol)
.decl told(a: symbol, b: symbol)
.decl conj(a1: symbol, a2: symbol, b: symbol)
.decl exr(a: symbol, r: symbol, b: symbol)
.decl exl(r: symbol, a: symbol, b: symbol)
.decl subrole(r: symbol, s: symbol)
.decl chain(r1: symbol, r2: symbol, t: symbol)
.decl role(r: symbol)
.decl subroles(r: symbol, s: symbol)
.decl sub(x: symbol, a: symbol)
.decl rel(x: symbol, r: symbol, y: symbol)
concept(\"heart\"). concept(\"organ\"). concept(\"muscle\"). concept(\"tissue\").
concept(\"pump\"). concept(\"body\"). concept(\"chamber\"). concept(\"valve\").
told(\"heart\", \"organ\"). told(\"muscle\", \"tissue\"). told(\"chamber\", \"tissue\").
told(\"valve\", \"chamber\").
conj(\"organ\", \"pump\", \"heart\").
exr(\"heart\", \"part\", \"body\"). exr(\"heart\", \"has\", \"chamber\").
exr(\"chamber\", \"has\", \"valve\"). exr(\"valve\", \"made\", \"muscle\").
exl(\"has\", \"tissue\", \"pump\"). exl(\"part\", \"body\", \"organ\").
role(\"part\"). role(\"has\"). role(\"made\"). role(\"contains\").
subrole(\"has\", \"contains\"). subrole(\"made\", \"contains\").
chain(\"contains\", \"contains\", \"contains\").
subroles(r, r) :- role(r).
subroles(r, t) :- subrole(r, s), subroles(s, t).
sub(x, x) :- concept(x).
sub(x, b) :- sub(x, a), told(a, b).
sub(x, b) :- sub(x, a1), sub(x, a2), conj(a1, a2, b).
rel(x, r, b) :- sub(x, a), exr(a, r, b).
sub(x, b) :- rel(x, r, y), sub(y, a), subroles(r, s), exl(s, a, b).
rel(x, t, z) :- rel(x, r1, y), rel(y, r2, z), subroles(r1, s1), subroles(r2, s2), chain(s1, s2, t).
";
    same(program, "sub", 14);
    same(program, "rel", 6);
    let plain = rows(program, "sub", false);
    assert!(
        plain
            .iter()
            .any(|r| r.contains("\"heart\"") && r.contains("\"pump\""))
    );
}
