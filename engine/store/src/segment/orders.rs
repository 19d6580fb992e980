//! A run's rows in the orders of its other columns, so that a writer's table finds the rows
//! holding given values in any column by binary search, as it finds leading ones in the run.
//!
//! For a run of `n` columns, rotation `c` (for `c` in `1..n`) is the run's row numbers sorted
//! by the key rotated to start at column `c`: columns `c, c + 1, .., n - 1, 0, .., c - 1`. It
//! serves every probe whose bound columns start it (`[c]`, `[c, c + 1]`, ...); with the run's
//! own order, a run of up to three columns is searched on every set of bound columns.
//!
//! A checkpoint writes a large run's rotations beside it, as `<run>.ord` (the run file's name
//! with another extension), in the same checkpoint, so the two become live together. A run
//! without one (small, logged, or written before orders were kept) has its rotations sorted
//! in memory the first time a probe needs them.

use super::{ColumnView, FactRun};
use crate::error::StoreError;
use crate::file::Kind;
use crate::mmap::{ArchiveFile, u32s};
use crate::storage::Storage;
use rayon::prelude::*;
use rkyv::{Archive, Serialize};

/// Runs with fewer rows get no orders file (unless a store's handle is set otherwise):
/// sorting them when needed takes about a millisecond.
pub(crate) const MIN_ROWS: usize = 16_384;

/// A run's rotations, as written (rkyv).
#[derive(Archive, Serialize)]
pub(crate) struct OrderRun {
    /// The run's number of rows.
    pub rows: u64,
    /// Rotation `c` at index `c - 1`.
    pub orders: Vec<Vec<u32>>,
}

/// The columns of rotation `start` of a key of `arity` columns, in order.
pub(crate) fn rotation(arity: usize, start: usize) -> impl Iterator<Item = usize> {
    (start..arity).chain(0..start)
}

/// The name of the orders file of run file `run`.
pub(crate) fn file_of(run: &str) -> String {
    let stem = run.strip_suffix(".facts").unwrap_or(run);
    format!("{stem}.ord")
}

/// The rows of a run (its key columns `cols`) sorted by rotation `start`: as pairs of the
/// rotated key's leading columns packed into 64 bits and the row (16 bytes a row, so that the
/// load of a large memory does not hold more), then each run of rows with the same leading
/// columns sorted by the rest.
pub(crate) fn sort_rotation(cols: &[ColumnView<'_>], start: usize) -> Vec<u32> {
    let n = cols.first().map_or(0, |c| c.len());
    let seq: Vec<ColumnView<'_>> = rotation(cols.len(), start).map(|c| cols[c]).collect();
    // The leading columns that fit in 64 bits (at least one).
    let mut bits = 0;
    let packed = (seq.iter())
        .take_while(|c| {
            bits += match c {
                ColumnView::Narrow(_) => 32,
                ColumnView::Wide(_) => 64,
            };
            bits <= 64
        })
        .count()
        .max(1);
    let lead = &seq[..packed];
    let mut pairs: Vec<(u64, u32)> = (0..n)
        .into_par_iter()
        .map(|r| {
            let key = lead.iter().fold(0u64, |k, c| match c {
                ColumnView::Narrow(_) => k << 32 | c.get(r),
                ColumnView::Wide(_) => c.get(r),
            });
            (key, r as u32)
        })
        .collect();
    pairs.par_sort_unstable();
    let mut rows: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    if packed < seq.len() {
        let rest = &seq[packed..];
        let key = |r: u32| rest.iter().map(move |c| c.get(r as usize));
        let mut at = 0;
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            if group.len() > 1 {
                rows[at..at + group.len()].sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
            }
            at += group.len();
        }
    }
    rows
}

impl OrderRun {
    /// The rotations of a run about to be written, if it has `min_rows` rows or more.
    pub(crate) fn build(run: &FactRun, min_rows: usize) -> Option<OrderRun> {
        let rows = run.rows as usize;
        if run.columns.len() < 2 || rows < min_rows {
            return None;
        }
        let cols: Vec<ColumnView<'_>> = run.columns.iter().map(|c| c.view()).collect();
        Some(OrderRun {
            rows: rows as u64,
            orders: (1..cols.len()).map(|s| sort_rotation(&cols, s)).collect(),
        })
    }

    /// The bytes of its file's payload.
    pub(crate) fn to_bytes(&self) -> rkyv::util::AlignedVec {
        rkyv::to_bytes::<rkyv::rancor::BoxedError>(self)
            .expect("archiving plain vectors cannot fail")
    }
}

/// A run's orders file, read in place: each rotation's blocks checked when first read.
pub(crate) struct MappedOrders {
    file: ArchiveFile<OrderRun>,
}

impl MappedOrders {
    /// Opens the orders file of run file `run` (of `rows` rows and `arity` columns), if
    /// there is one.
    pub(crate) fn open(
        storage: &dyn Storage,
        run: &str,
        rows: usize,
        arity: usize,
    ) -> Result<Option<MappedOrders>, StoreError> {
        let name = file_of(run);
        if !storage.exists(&name) {
            return Ok(None);
        }
        let file = ArchiveFile::<OrderRun>::open(storage, &name, Kind::Orders)?;
        let o = file.get();
        let shape_ok = o.rows.to_native() as usize == rows
            && o.orders.len() == arity.saturating_sub(1)
            && o.orders.iter().all(|v| v.len() == rows);
        if !shape_ok {
            return Err(StoreError::corrupt(
                file.path(),
                format!("its orders do not fit run {run} ({rows} rows of {arity} columns)"),
            ));
        }
        Ok(Some(MappedOrders { file }))
    }

    /// Rotation `start`, its blocks checked (what is wrong, as text, naming the file).
    pub(crate) fn rotation(&self, start: usize) -> Result<&[u32], String> {
        let v = &self.file.get().orders[start - 1];
        self.file
            .verify_slice(v.as_slice())
            .map_err(|e| format!("{}: {e}", self.file.path().display()))?;
        Ok(u32s(v))
    }
}
