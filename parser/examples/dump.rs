//! Prints the syntax tree of a file, or its errors.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let src = std::fs::read_to_string(&path).expect("read");
    match engram_parser::parse(&src, &path) {
        Ok(p) => println!("{p:#?}"),
        Err(e) => println!("{e}"),
    }
}
