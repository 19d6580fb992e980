//! datafrog variables whose tuples are fixed-width rows `[u64; N]`, with the width chosen at run
//! time: one enum variant per width, so that no tuple is ever a heap allocation.

use datafrog::{Iteration, Relation, Variable};

/// The widest row a relation, projection or intermediate can have.
pub const MAX_WIDTH: usize = 24;

macro_rules! any_var {
    ($($n:literal => $v:ident),* $(,)?) => {
        /// A datafrog variable of rows of some width.
        pub(crate) enum AnyVar {
            $(
                #[doc = concat!("Rows of ", stringify!($n), " columns.")]
                $v(Variable<[u64; $n]>),
            )*
        }

        impl AnyVar {
            /// A new variable of `width`-column rows in `iteration`, if the width is supported.
            pub(crate) fn new(iteration: &mut Iteration, width: usize) -> Option<AnyVar> {
                match width {
                    $($n => Some(AnyVar::$v(iteration.variable(concat!("w", $n)))),)*
                    _ => None,
                }
            }

            /// Row width.
            pub(crate) fn width(&self) -> usize {
                match self {
                    $(AnyVar::$v(_) => $n,)*
                }
            }

            /// Adds rows given as a flat slice (`width` values per row), in any order.
            pub(crate) fn insert_flat(&self, data: &[u64]) {
                if data.is_empty() {
                    return;
                }
                match self {
                    $(AnyVar::$v(var) => {
                        let (rows, _) = data.as_chunks::<$n>();
                        var.insert(Relation::from_vec(rows.to_vec()));
                    })*
                }
            }

            /// Calls `f` with the rows that became visible in this round, sorted, flat.
            pub(crate) fn with_recent<R>(&self, f: impl FnOnce(&[u64]) -> R) -> R {
                match self {
                    $(AnyVar::$v(var) => f(var.recent.borrow().elements.as_flattened()),)*
                }
            }

            /// Calls `f` with the batches of rows accepted before this round, each sorted, flat.
            pub(crate) fn with_stable<R>(&self, f: impl FnOnce(&[&[u64]]) -> R) -> R {
                match self {
                    $(AnyVar::$v(var) => {
                        let stable = var.stable.borrow();
                        let batches: Vec<&[u64]> =
                            stable.iter().map(|r| r.elements.as_flattened()).collect();
                        f(&batches)
                    })*
                }
            }

            /// All rows, sorted and distinct, once the iteration has stopped changing.
            pub(crate) fn complete(self) -> Vec<u64> {
                match self {
                    $(AnyVar::$v(var) => var.complete().elements.into_flattened(),)*
                }
            }
        }
    };
}

any_var!(
    1 => W1, 2 => W2, 3 => W3, 4 => W4, 5 => W5, 6 => W6, 7 => W7, 8 => W8,
    9 => W9, 10 => W10, 11 => W11, 12 => W12, 13 => W13, 14 => W14, 15 => W15, 16 => W16,
    17 => W17, 18 => W18, 19 => W19, 20 => W20, 21 => W21, 22 => W22, 23 => W23, 24 => W24,
);
