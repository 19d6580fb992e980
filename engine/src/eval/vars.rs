//! datafrog variables whose tuples are fixed-width rows, with the width chosen at run time: one
//! enum variant per width, so that no tuple is ever a heap allocation. Rows whose columns are
//! all symbols (32-bit ids) are stored as `[u32; N]`, others as `[u64; N]`: half the bytes to
//! sort, merge and compare for the symbol-heavy relations of a knowledge graph.

use datafrog::{Iteration, Relation, Variable};

/// The widest row a relation, projection or intermediate can have.
pub const MAX_WIDTH: usize = 32;

/// A column value as stored in a row: `u32` for symbol-only rows, `u64` otherwise.
pub(crate) trait Cell: Copy + Ord + 'static {
    /// The value as the engine's 64-bit encoding.
    fn get(self) -> u64;
}

impl Cell for u32 {
    #[inline(always)]
    fn get(self) -> u64 {
        u64::from(self)
    }
}

impl Cell for u64 {
    #[inline(always)]
    fn get(self) -> u64 {
        self
    }
}

/// Sorted rows of one variable batch, flat, in their stored cell type.
#[derive(Clone, Copy)]
pub(crate) enum Flat<'a> {
    /// 32-bit cells.
    Narrow(&'a [u32]),
    /// 64-bit cells.
    Wide(&'a [u64]),
}

fn sorted_distinct<T: Ord>(mut elements: Vec<T>) -> Relation<T> {
    // datafrog's `from_vec` sorts stably; an unstable sort is faster and equal here since equal
    // rows are identical.
    elements.sort_unstable();
    elements.dedup();
    Relation { elements }
}

macro_rules! any_var {
    ($($n:literal => $w:ident, $s:ident);* $(;)?) => {
        /// A datafrog variable of rows of some width and cell type.
        pub(crate) enum AnyVar {
            $(
                #[doc = concat!("Rows of ", stringify!($n), " 64-bit cells.")]
                $w(Variable<[u64; $n]>),
                #[doc = concat!("Rows of ", stringify!($n), " 32-bit cells.")]
                $s(Variable<[u32; $n]>),
            )*
        }

        impl AnyVar {
            /// A new variable of `width`-column rows, narrow (32-bit) if `narrow`.
            pub(crate) fn new(iteration: &mut Iteration, width: usize, narrow: bool) -> Option<AnyVar> {
                match (width, narrow) {
                    $(
                        ($n, false) => Some(AnyVar::$w(iteration.variable(concat!("w", $n)))),
                        ($n, true) => Some(AnyVar::$s(iteration.variable(concat!("s", $n)))),
                    )*
                    _ => None,
                }
            }

            /// Row width.
            pub(crate) fn width(&self) -> usize {
                match self {
                    $(AnyVar::$w(_) | AnyVar::$s(_) => $n,)*
                }
            }

            /// Adds rows given as a flat slice of encoded values (`width` per row), any order.
            /// A narrow variable keeps the low 32 bits (symbol ids always fit).
            pub(crate) fn insert_flat(&self, data: &[u64]) {
                if data.is_empty() {
                    return;
                }
                match self {
                    $(
                        AnyVar::$w(var) => {
                            let (rows, _) = data.as_chunks::<$n>();
                            var.insert(sorted_distinct(rows.to_vec()));
                        }
                        AnyVar::$s(var) => {
                            let (rows, _) = data.as_chunks::<$n>();
                            let narrow: Vec<[u32; $n]> =
                                rows.iter().map(|r| r.map(|v| v as u32)).collect();
                            var.insert(sorted_distinct(narrow));
                        }
                    )*
                }
            }

            /// Calls `f` with the rows that became visible in this round, sorted, flat.
            pub(crate) fn with_recent<R>(&self, f: impl FnOnce(Flat<'_>) -> R) -> R {
                match self {
                    $(
                        AnyVar::$w(var) => f(Flat::Wide(var.recent.borrow().elements.as_flattened())),
                        AnyVar::$s(var) => f(Flat::Narrow(var.recent.borrow().elements.as_flattened())),
                    )*
                }
            }

            /// Calls `f` with the batches of rows accepted before this round, each sorted, flat.
            pub(crate) fn with_stable<R>(&self, f: impl FnOnce(&[Flat<'_>]) -> R) -> R {
                match self {
                    $(
                        AnyVar::$w(var) => {
                            let stable = var.stable.borrow();
                            let batches: Vec<Flat<'_>> = stable
                                .iter()
                                .map(|r| Flat::Wide(r.elements.as_flattened()))
                                .collect();
                            f(&batches)
                        }
                        AnyVar::$s(var) => {
                            let stable = var.stable.borrow();
                            let batches: Vec<Flat<'_>> = stable
                                .iter()
                                .map(|r| Flat::Narrow(r.elements.as_flattened()))
                                .collect();
                            f(&batches)
                        }
                    )*
                }
            }

            /// All rows as encoded values, sorted and distinct, once the iteration has stopped.
            pub(crate) fn complete(self) -> Vec<u64> {
                match self {
                    $(
                        AnyVar::$w(var) => var.complete().elements.into_flattened(),
                        AnyVar::$s(var) => var
                            .complete()
                            .elements
                            .as_flattened()
                            .iter()
                            .map(|&v| u64::from(v))
                            .collect(),
                    )*
                }
            }
        }
    };
}

any_var!(
    1 => W1, S1; 2 => W2, S2; 3 => W3, S3; 4 => W4, S4; 5 => W5, S5; 6 => W6, S6;
    7 => W7, S7; 8 => W8, S8; 9 => W9, S9; 10 => W10, S10; 11 => W11, S11; 12 => W12, S12;
    13 => W13, S13; 14 => W14, S14; 15 => W15, S15; 16 => W16, S16; 17 => W17, S17;
    18 => W18, S18; 19 => W19, S19; 20 => W20, S20; 21 => W21, S21; 22 => W22, S22;
    23 => W23, S23; 24 => W24, S24; 25 => W25, S25; 26 => W26, S26; 27 => W27, S27;
    28 => W28, S28; 29 => W29, S29; 30 => W30, S30; 31 => W31, S31; 32 => W32, S32;
);
