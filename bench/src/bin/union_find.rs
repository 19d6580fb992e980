//! The peer for the alias benchmarks: Soufflé's published approach to `eqrel` (a union-find
//! that answers a bound lookup by its class and counts pairs without listing them), written
//! by hand for one program, run as a whole process like `engram run`.
//!
//! `union_find FACTS_DIR OUTPUT_DIR ROOT` reads `eq.facts` (two tab-separated symbols a
//! line), writes the members of ROOT's class to `alias.csv` (sorted) and prints
//! `eq<TAB>pairs` as `.printsize` does: the program
//!
//! ```text
//! .decl eq(x: symbol, y: symbol) eqrel
//! .input eq
//! .decl alias(x: symbol)
//! .output alias
//! .printsize eq
//! alias(x) :- eq(ROOT, x).
//! ```

use std::collections::HashMap;
use std::io::{BufWriter, Write};

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grand = parent[parent[x as usize] as usize];
        parent[x as usize] = grand;
        x = grand;
    }
    x
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, facts, out, root] = args.as_slice() else {
        eprintln!("usage: union_find FACTS_DIR OUTPUT_DIR ROOT");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(std::path::Path::new(facts).join("eq.facts"))?;
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    let mut size: Vec<u64> = Vec::new();
    for line in text.lines() {
        let Some((a, b)) = line.split_once('\t') else {
            continue;
        };
        let mut intern = |s| {
            *ids.entry(s).or_insert_with(|| {
                names.push(s);
                parent.push(parent.len() as u32);
                size.push(1);
                (names.len() - 1) as u32
            })
        };
        let (x, y) = (intern(a), intern(b));
        let (mut rx, mut ry) = (find(&mut parent, x), find(&mut parent, y));
        if rx != ry {
            if size[rx as usize] < size[ry as usize] {
                std::mem::swap(&mut rx, &mut ry);
            }
            parent[ry as usize] = rx;
            size[rx as usize] += size[ry as usize];
        }
    }
    let pairs: u64 = (0..parent.len() as u32)
        .filter(|&x| find(&mut parent, x) == x)
        .map(|r| size[r as usize] * size[r as usize])
        .sum();
    let mut alias: Vec<&str> = Vec::new();
    if let Some(&r) = ids.get(root.as_str()) {
        let r = find(&mut parent, r);
        for x in 0..parent.len() as u32 {
            if find(&mut parent, x) == r {
                alias.push(names[x as usize]);
            }
        }
    }
    alias.sort_unstable();
    let mut w = BufWriter::new(std::fs::File::create(
        std::path::Path::new(out).join("alias.csv"),
    )?);
    for a in &alias {
        writeln!(w, "{a}")?;
    }
    w.flush()?;
    println!("eq\t{pairs}");
    Ok(())
}
