//! Where engram and Soufflé once disagreed on a program both accept, Soufflé's answer, so that
//! a Soufflé program gives the same output here (issue 13: silent wrong answers).

use engram_tests::sorted_rows;

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
