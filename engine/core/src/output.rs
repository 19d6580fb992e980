//! Writing relations out: the order of their rows (numbers numerically, symbols by text),
//! computed once as integer keys, and rows streamed through a buffered writer.
//!
//! Symbols order by their rank in text order (the interner's ranking, or one made for the
//! symbols a relation holds); each column becomes an integer key relative to the column's
//! smallest, and when a row's keys fit in 64 or 128 bits they are packed into one integer, so
//! sorting is sorting integers, without a lookup per comparison.

use crate::eval::Rows;
use crate::plan::directives::Format;
use crate::value::{self, ColumnType, Interner};
use rayon::prelude::*;
use std::io::{self, Write};

/// A column value's key: its position in value order, as an unsigned integer.
fn key(v: u64, ty: ColumnType, ranks: &[u32]) -> u64 {
    match ty {
        ColumnType::Symbol => u64::from(ranks.get(v as usize).copied().unwrap_or(u32::MAX)),
        ColumnType::Number => v ^ (1 << 63),
        ColumnType::Unsigned | ColumnType::Record(_) => v,
        ColumnType::Float => {
            if v >> 63 == 1 {
                !v
            } else {
                v | (1 << 63)
            }
        }
    }
}

/// Each symbol's rank in text order, indexed by id, for every symbol `rows` holds: the
/// interner's ranking when it is made and covers them, or when the rows hold most of the
/// symbols (it is made then, and kept for the next relation); else a ranking of these symbols
/// alone (a query's few answers in a store of millions of strings sort only their own).
fn symbol_ranks<'i>(
    rows: &Rows,
    types: &[ColumnType],
    interner: &'i Interner,
) -> std::borrow::Cow<'i, [u32]> {
    let sym_cols: Vec<usize> = (0..types.len())
        .filter(|&c| types[c] == ColumnType::Symbol)
        .collect();
    if sym_cols.is_empty() {
        return std::borrow::Cow::Borrowed(&[]);
    }
    let covers = |all: &[u32]| {
        (0..rows.len()).all(|i| {
            let row = rows.row(i);
            sym_cols.iter().all(|&c| (row[c] as usize) < all.len())
        })
    };
    if let Some(all) = interner.ranked()
        && covers(all)
    {
        return std::borrow::Cow::Borrowed(all);
    }
    let mut held = vec![false; interner.len()];
    let mut ids = Vec::new();
    for i in 0..rows.len() {
        let row = rows.row(i);
        for &c in &sym_cols {
            let id = row[c] as usize;
            if id < held.len() && !held[id] {
                held[id] = true;
                ids.push(id as u32);
            }
        }
    }
    if interner.ranked().is_none() && ids.len() > interner.len() / 2 {
        return std::borrow::Cow::Borrowed(interner.ranks());
    }
    let mut ranks = vec![u32::MAX; interner.len()];
    interner.rank_into(ids.into_iter(), &mut ranks);
    std::borrow::Cow::Owned(ranks)
}

/// The rows' sort keys, column by column: each column's key relative to the column's smallest
/// and the bits it needs, so that a row's keys packed high to low order the rows.
struct Keys<'r> {
    rows: &'r Rows,
    types: &'r [ColumnType],
    ranks: std::borrow::Cow<'r, [u32]>,
    min: Vec<u64>,
    bits: Vec<u32>,
}

impl<'r> Keys<'r> {
    fn new(rows: &'r Rows, types: &'r [ColumnType], interner: &'r Interner) -> Keys<'r> {
        let ranks = symbol_ranks(rows, types, interner);
        let arity = types.len();
        let (mut min, mut max) = (vec![u64::MAX; arity], vec![0u64; arity]);
        for i in 0..rows.len() {
            for (c, (&v, &ty)) in rows.row(i).iter().zip(types).enumerate() {
                let k = key(v, ty, &ranks);
                min[c] = min[c].min(k);
                max[c] = max[c].max(k);
            }
        }
        let bits = (0..arity)
            .map(|c| 64 - (max[c] - min[c]).leading_zeros())
            .collect();
        Keys {
            rows,
            types,
            ranks,
            min,
            bits,
        }
    }

    /// Row `i`'s keys, relative to each column's smallest, with the bits each needs.
    fn row(&self, i: usize) -> impl Iterator<Item = (u64, u32)> + '_ {
        let row = self.rows.row(i);
        (0..self.types.len()).map(move |c| {
            (
                key(row[c], self.types[c], &self.ranks) - self.min[c],
                self.bits[c],
            )
        })
    }

    /// Row `i`'s key in column `c`.
    fn col(&self, i: usize, c: usize) -> u64 {
        key(self.rows.row(i)[c], self.types[c], &self.ranks) - self.min[c]
    }

    /// When the rows are sorted by their first column's values (completed relations are), the
    /// rows with one value there are a run: the runs are ordered by that column's key, then
    /// each run by the other columns' keys, each a small sort that stays in cache, the runs
    /// in parallel. `None` when the rows are not so sorted, or the runs are too short to pay.
    fn sort_by_runs(&self) -> Option<Vec<u32>> {
        let n = self.rows.len();
        let mut runs: Vec<(u64, u32, u32)> = Vec::new();
        let mut start = 0;
        for i in 1..=n {
            let first = self.rows.row(start)[0];
            if i < n && self.rows.row(i)[0] == first {
                continue;
            }
            if i < n && self.rows.row(i)[0] < first {
                return None;
            }
            runs.push((self.col(start, 0), start as u32, i as u32));
            start = i;
        }
        if runs.len() * 8 > n {
            return None;
        }
        let rest_bits: u32 = self.bits[1..].iter().sum();
        let longest = runs.iter().map(|r| r.2 - r.1).max().unwrap_or(1);
        let run_bits = 32 - (longest - 1).leading_zeros();
        if rest_bits + run_bits > 64 {
            return None;
        }
        runs.sort_unstable_by_key(|r| r.0);
        let mut order = vec![0u32; n];
        let mut parts = Vec::with_capacity(runs.len());
        let mut rest = &mut order[..];
        for &(_, s, e) in &runs {
            let (part, tail) = rest.split_at_mut((e - s) as usize);
            parts.push((s, part));
            rest = tail;
        }
        let mask = (1u64 << run_bits) - 1;
        parts.into_par_iter().with_min_len(16).for_each_init(
            Vec::new,
            |scratch: &mut Vec<u64>, (s, out)| {
                scratch.clear();
                for j in 0..out.len() {
                    let mut k = 0u64;
                    for (key, bits) in self.row(s as usize + j).skip(1) {
                        k = k.checked_shl(bits).unwrap_or(0) | key;
                    }
                    scratch.push(k.checked_shl(run_bits).unwrap_or(0) | j as u64);
                }
                scratch.sort_unstable();
                for (slot, k) in out.iter_mut().zip(scratch.iter()) {
                    *slot = s + (k & mask) as u32;
                }
            },
        );
        Some(order)
    }

    /// Row numbers in key order, by a radix sort of the packed keys with the row number in the
    /// low bits (rows are distinct, so the keys alone decide the order).
    fn sort_packed<K>(&self, index_bits: u32) -> Vec<u32>
    where
        K: radsort::Key
            + Copy
            + Default
            + std::ops::Shl<u32, Output = K>
            + std::ops::BitOr<Output = K>
            + std::ops::BitAnd<Output = K>
            + std::ops::Sub<Output = K>
            + From<u64>
            + TryInto<u64>,
    {
        let mut packed: Vec<K> = (0..self.rows.len())
            .map(|i| {
                let mut k = K::default();
                for (key, bits) in self.row(i) {
                    k = (k << bits) | K::from(key);
                }
                (k << index_bits) | K::from(i as u64)
            })
            .collect();
        radsort::sort(&mut packed);
        let mask = (K::from(1) << index_bits) - K::from(1);
        packed
            .into_iter()
            .map(|k| (k & mask).try_into().unwrap_or(0) as u32)
            .collect()
    }
}

/// Row numbers in value order (numbers numerically, symbols by text), as `u32`s.
fn order_u32(rows: &Rows, types: &[ColumnType], interner: &Interner) -> Vec<u32> {
    let n = rows.len();
    if types.is_empty() || n < 2 {
        return (0..n as u32).collect();
    }
    let keys = Keys::new(rows, types, interner);
    if let Some(order) = keys.sort_by_runs() {
        return order;
    }
    let index_bits = 64 - (n as u64 - 1).leading_zeros();
    let total: u32 = keys.bits.iter().sum::<u32>() + index_bits;
    if total <= 64 {
        return keys.sort_packed::<u64>(index_bits);
    }
    if total <= 128 {
        return keys.sort_packed::<u128>(index_bits);
    }
    let key_of = |i: u32| keys.row(i as usize).map(|(k, _)| k);
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by(|&a, &b| key_of(a).cmp(key_of(b)));
    order
}

/// Row numbers in value order (numbers numerically, symbols by text).
pub fn sorted_order(rows: &Rows, types: &[ColumnType], interner: &Interner) -> Vec<usize> {
    order_u32(rows, types, interner)
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

/// Appends one value as output text (Soufflé's formatting); with `quoted` (RFC 4180), a symbol
/// in double quotes, each `"` in it doubled.
fn render_value(out: &mut Vec<u8>, ty: ColumnType, v: u64, interner: &Interner, quoted: bool) {
    let mut buf = itoa::Buffer::new();
    match ty {
        ColumnType::Symbol if quoted => {
            out.push(b'"');
            for &b in interner.resolve_enc(v).as_bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        }
        ColumnType::Symbol => out.extend_from_slice(interner.resolve_enc(v).as_bytes()),
        ColumnType::Number => out.extend_from_slice(buf.format(value::dec_number(v)).as_bytes()),
        ColumnType::Unsigned => out.extend_from_slice(buf.format(v).as_bytes()),
        ColumnType::Float => {
            out.extend_from_slice(value::format_float(value::dec_float(v)).as_bytes())
        }
        ColumnType::Record(_) => out.extend_from_slice(value::render(ty, v, interner).as_bytes()),
    }
}

/// Rows rendered per task of the parallel renderer.
const RENDER_CHUNK: usize = 1 << 14;

/// Writes the rows sorted by value, one per line, as `format` says: columns separated by its
/// delimiter, symbols quoted with `rfc4180`, each row's confidence last (six decimals) with
/// `confidence`. A nullary relation with a row is
/// written `()`, as Soufflé does.
///
/// Lines are rendered in parallel, a few chunks at a time, and written in order, so the text
/// held in memory at once stays small.
pub(crate) fn write_rows(
    w: &mut (impl Write + ?Sized),
    rows: &Rows,
    types: &[ColumnType],
    interner: &Interner,
    format: &Format,
) -> io::Result<()> {
    let (delim, with_conf) = (format.delimiter.as_str(), format.confidence);
    if types.is_empty() {
        if !rows.is_empty() {
            if with_conf {
                writeln!(w, "(){delim}{}", format_confidence(rows.meta(0).conf))?;
            } else {
                w.write_all(b"()\n")?;
            }
        }
        return Ok(());
    }
    let render = |part: &[u32]| -> Vec<u8> {
        let mut out = Vec::with_capacity(part.len() * 16);
        for &i in part {
            let i = i as usize;
            for (c, (&v, &ty)) in rows.row(i).iter().zip(types).enumerate() {
                if c > 0 {
                    out.extend_from_slice(delim.as_bytes());
                }
                render_value(&mut out, ty, v, interner, format.rfc4180);
            }
            if with_conf {
                out.extend_from_slice(delim.as_bytes());
                out.extend_from_slice(format_confidence(rows.meta(i).conf).as_bytes());
            }
            out.push(b'\n');
        }
        out
    };
    let order = order_u32(rows, types, interner);
    for batch in order.chunks(RENDER_CHUNK * 8) {
        let texts: Vec<Vec<u8>> = batch.par_chunks(RENDER_CHUNK).map(render).collect();
        for text in texts {
            w.write_all(&text)?;
        }
    }
    Ok(())
}

/// Confidences in output files: six decimals.
pub fn format_confidence(c: f64) -> String {
    if c == 1.0 {
        // Asserted facts' confidence, most of every listing: without the exact formatter.
        return "1.000000".to_string();
    }
    format!("{c:.6}")
}

/// Renders query answers as an aligned text table.
pub fn format_table(columns: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for r in rows {
        for (i, v) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(v.chars().count());
            }
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    let mut out = String::new();
    if !columns.is_empty() {
        out.push_str(&line(columns));
        out.push('\n');
        out.push_str(
            &widths
                .iter()
                .map(|&w| "-".repeat(w))
                .collect::<Vec<_>>()
                .join("-+-"),
        );
        out.push('\n');
    }
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Rows;
    use proptest::prelude::*;

    /// The order by packed keys (run by run, or by radix sort, or by comparison when keys are
    /// wide) is the order of comparing values column by column, for every column type. With
    /// `ranked`, the interner's ranking is made first; without, the rows' symbols are ranked on
    /// their own, among many they do not hold.
    fn check(types: &[ColumnType], cells: &[u64], words: &[String], ranked: bool) {
        let mut interner = Interner::default();
        let syms: Vec<u64> = words.iter().map(|w| interner.enc(w)).collect();
        if ranked {
            let _ = interner.ranks();
        } else {
            for i in 0..500 {
                interner.enc(&format!("unheld{i}"));
            }
        }
        // Symbols interned after the ranking are ranked by the rows that hold them.
        let late = interner.enc("zz-late");
        let arity = types.len();
        let mut rows: Vec<Vec<u64>> = cells
            .chunks_exact(arity)
            .map(|row| {
                (row.iter().zip(types))
                    .map(|(&v, ty)| match ty {
                        ColumnType::Symbol if v % 7 == 0 => late,
                        ColumnType::Symbol => syms[v as usize % syms.len()],
                        ColumnType::Float => value::enc_float((v as i64 - 50) as f64 / 4.0),
                        ColumnType::Number => value::enc_number(v as i64 - (1 << 40)),
                        ColumnType::Unsigned | ColumnType::Record(_) => v,
                    })
                    .collect()
            })
            .collect();
        rows.sort();
        rows.dedup();
        let data = Rows {
            arity,
            width: arity,
            meta: false,
            data: rows.concat(),
        };
        let got: Vec<Vec<u64>> = sorted_order(&data, types, &interner)
            .into_iter()
            .map(|i| data.row(i).to_vec())
            .collect();
        let mut want = rows.clone();
        want.sort_by(|a, b| {
            (a.iter().zip(b).zip(types))
                .map(|((&x, &y), &ty)| value::compare(ty, x, y, &interner))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        assert_eq!(got, want);
    }

    fn column_type() -> impl Strategy<Value = ColumnType> {
        prop_oneof![
            Just(ColumnType::Symbol),
            Just(ColumnType::Number),
            Just(ColumnType::Unsigned),
            Just(ColumnType::Float),
        ]
    }

    proptest! {
        #[test]
        fn rows_are_written_in_value_order(
            types in proptest::collection::vec(column_type(), 1..5),
            cells in proptest::collection::vec(
                prop_oneof![0u64..100, any::<u64>()], 0..400),
            words in proptest::collection::vec("[a-z]{0,4}", 1..30),
            ranked in any::<bool>(),
        ) {
            check(&types, &cells, &words, ranked);
        }
    }

    /// Long runs of one first value, ordered within by a second symbol column.
    #[test]
    fn runs_of_a_first_column_are_ordered_within() {
        let words: Vec<String> = (0..50).map(|i| format!("w{}", (i * 37) % 50)).collect();
        let cells: Vec<u64> = (0..2000u64).flat_map(|i| [i % 5 + 1, i % 49 + 1]).collect();
        check(
            &[ColumnType::Symbol, ColumnType::Symbol],
            &cells,
            &words,
            true,
        );
        check(
            &[ColumnType::Symbol, ColumnType::Symbol],
            &cells,
            &words,
            false,
        );
    }
}
