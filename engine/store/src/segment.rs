//! Fact runs: one relation's facts (one layer: asserted or derived) as rkyv-archived columns,
//! sorted by key, plus the keys this run removes from the runs before it.
//!
//! A relation's layer is the runs named in the manifest, read oldest first: each run removes
//! its `removed` keys, then sets its rows (a newer row for a key replaces an older one).

mod base;
mod orders;

use super::error::StoreError;
use super::file::Kind;
use super::log::LogRecord;
use super::mmap::{ArchiveFile, OwnedArchive, f64s, i64s, u32s, u64s};
use super::persist::KeyedRows;
use super::storage::Storage;
pub(crate) use base::{damage_in, table_of};
use engram_core::internal::incremental::table::{FactMeta, Table};
use engram_core::internal::value::ColumnType;
pub(crate) use orders::{MIN_ROWS as ORDERS_MIN_ROWS, OrderRun, file_of as orders_file};
use rkyv::{Archive, Serialize};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// One column of a run: symbols as 32-bit ids, other types as 64-bit encodings.
#[derive(Archive, Serialize)]
pub(crate) enum Column {
    /// Symbol ids.
    Narrow(Vec<u32>),
    /// Number, unsigned and float encodings.
    Wide(Vec<u64>),
}

impl Column {
    fn new(ty: ColumnType, cap: usize) -> Column {
        match ty {
            ColumnType::Symbol => Column::Narrow(Vec::with_capacity(cap)),
            _ => Column::Wide(Vec::with_capacity(cap)),
        }
    }
    fn push(&mut self, v: u64) {
        match self {
            Column::Narrow(c) => c.push(v as u32),
            Column::Wide(c) => c.push(v),
        }
    }

    /// The column as a mapped run's column reads.
    pub(crate) fn view(&self) -> ColumnView<'_> {
        match self {
            Column::Narrow(c) => ColumnView::Narrow(c),
            Column::Wide(c) => ColumnView::Wide(c),
        }
    }
}

/// A run of one relation's facts.
#[derive(Archive, Serialize)]
pub(crate) struct FactRun {
    /// The relation.
    pub relation: String,
    /// The layer: 0 asserted, 1 derived.
    pub layer: u8,
    /// Number of rows.
    pub rows: u64,
    /// The key columns, sorted by key.
    pub columns: Vec<Column>,
    /// Each row's confidence.
    pub confidence: Vec<f64>,
    /// Each row's time (unix ms).
    pub time: Vec<i64>,
    /// Each row's depth (high 16 bits) and rule (low 16 bits).
    pub depth_rule: Vec<u32>,
    /// Number of removed keys.
    pub removed_rows: u64,
    /// Keys removed from the earlier runs, sorted.
    pub removed: Vec<Column>,
}

impl FactRun {
    /// A run of the given rows (in any order; they are sorted here unless they already are)
    /// and removed keys.
    pub(crate) fn build(
        relation: &str,
        layer: u8,
        types: &[ColumnType],
        rows: &KeyedRows,
        removed: Vec<&[u64]>,
    ) -> FactRun {
        let n = rows.len();
        let order: Vec<u32> = match (1..n).all(|i| rows.key(i - 1) < rows.key(i)) {
            true => (0..n as u32).collect(),
            false => {
                let mut order: Vec<u32> = (0..n as u32).collect();
                order.sort_unstable_by(|&a, &b| rows.key(a as usize).cmp(rows.key(b as usize)));
                order
            }
        };
        let cell = |r: usize, c: usize| rows.key(r)[c];
        Self::assemble(
            relation,
            layer,
            types,
            &order,
            cell,
            |r| rows.meta(r),
            removed,
        )
    }

    /// A run of every fact of a table.
    pub(crate) fn from_table(
        relation: &str,
        layer: u8,
        types: &[ColumnType],
        t: &Table,
    ) -> FactRun {
        let cell = |r: usize, c: usize| t.cell(r, c);
        Self::assemble(
            relation,
            layer,
            types,
            &t.sorted(),
            cell,
            |r| t.meta(r),
            Vec::new(),
        )
    }

    /// A run of rows `order` (in key order) whose cells and metadata come from `cell` and
    /// `meta`, and of removed keys.
    fn assemble(
        relation: &str,
        layer: u8,
        types: &[ColumnType],
        order: &[u32],
        cell: impl Fn(usize, usize) -> u64,
        meta: impl Fn(usize) -> FactMeta,
        mut removed: Vec<&[u64]>,
    ) -> FactRun {
        let n = order.len();
        removed.sort_unstable();
        let mut columns: Vec<Column> = types.iter().map(|&t| Column::new(t, n)).collect();
        let mut confidence = Vec::with_capacity(n);
        let mut time = Vec::with_capacity(n);
        let mut depth_rule = Vec::with_capacity(n);
        for &r in order {
            let r = r as usize;
            for (c, column) in columns.iter_mut().enumerate() {
                column.push(cell(r, c));
            }
            let m = meta(r);
            confidence.push(m.conf);
            time.push(m.time);
            // Depths saturate at 16 bits.
            depth_rule.push(m.depth_rule());
        }
        let mut gone: Vec<Column> = types
            .iter()
            .map(|&t| Column::new(t, removed.len()))
            .collect();
        for key in &removed {
            for (c, &v) in gone.iter_mut().zip(key.iter()) {
                c.push(v);
            }
        }
        FactRun {
            relation: relation.to_string(),
            layer,
            rows: n as u64,
            columns,
            confidence,
            time,
            depth_rule,
            removed_rows: removed.len() as u64,
            removed: gone,
        }
    }

    /// The archived bytes of this run.
    pub(crate) fn to_bytes(&self) -> rkyv::util::AlignedVec {
        rkyv::to_bytes::<rkyv::rancor::BoxedError>(self)
            .expect("archiving plain vectors cannot fail")
    }
}

/// A column of a mapped run.
#[derive(Clone, Copy)]
pub(crate) enum ColumnView<'a> {
    /// Symbol ids.
    Narrow(&'a [u32]),
    /// 64-bit encodings.
    Wide(&'a [u64]),
}

impl ColumnView<'_> {
    /// The value in row `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> u64 {
        match self {
            ColumnView::Narrow(c) => u64::from(c[i]),
            ColumnView::Wide(c) => c[i],
        }
    }
    pub(crate) fn len(&self) -> usize {
        match self {
            ColumnView::Narrow(c) => c.len(),
            ColumnView::Wide(c) => c.len(),
        }
    }

    /// Appends to `out` the rows whose value is one of `ids`: one pass over the column's
    /// cells (a few values compared directly, more through a bitmap of them where they are
    /// small, as symbol ids are, else through the set).
    pub(crate) fn rows_holding(&self, ids: &rustc_hash::FxHashSet<u64>, out: &mut Vec<usize>) {
        self.each_holding(ids, |r, _| out.push(r));
    }

    /// Calls `f` with each row whose value is one of `ids`, and the value (see
    /// [`ColumnView::rows_holding`]).
    pub(crate) fn each_holding(
        &self,
        ids: &rustc_hash::FxHashSet<u64>,
        mut f: impl FnMut(usize, u64),
    ) {
        fn pass<T: Copy + Into<u64>>(
            cells: &[T],
            ids: &rustc_hash::FxHashSet<u64>,
            f: &mut impl FnMut(usize, u64),
        ) {
            let few: Vec<u64> = ids.iter().copied().collect();
            let max = few.iter().copied().max().unwrap_or(0);
            if few.len() <= 4 {
                for (r, &v) in cells.iter().enumerate() {
                    let v: u64 = v.into();
                    if few.contains(&v) {
                        f(r, v);
                    }
                }
            } else if max < 1 << 30 {
                // A bit per value up to the largest (at most 128 MiB): a test per cell.
                let mut bits = vec![0u64; (max as usize >> 6) + 1];
                for &v in &few {
                    bits[v as usize >> 6] |= 1 << (v & 63);
                }
                for (r, &v) in cells.iter().enumerate() {
                    let v: u64 = v.into();
                    if v <= max && bits[v as usize >> 6] >> (v & 63) & 1 == 1 {
                        f(r, v);
                    }
                }
            } else {
                for (r, &v) in cells.iter().enumerate() {
                    let v: u64 = v.into();
                    if ids.contains(&v) {
                        f(r, v);
                    }
                }
            }
        }
        match self {
            ColumnView::Narrow(c) => pass(c, ids, &mut f),
            ColumnView::Wide(c) => pass(c, ids, &mut f),
        }
    }
}

fn view(c: &ArchivedColumn) -> ColumnView<'_> {
    match c {
        ArchivedColumn::Narrow(v) => ColumnView::Narrow(u32s(v)),
        ArchivedColumn::Wide(v) => ColumnView::Wide(u64s(v)),
    }
}

/// Where a run's archive lives: a mapped run file, or a record of the commit log.
#[derive(Clone)]
enum Source {
    File(Arc<ArchiveFile<FactRun>>),
    Log(Arc<OwnedArchive<LogRecord>>, usize),
}

/// A run of one relation's facts, read in place. Opening it checks its shape; what a read
/// takes is checked as it is read: a lookup checks the blocks it touches, a pass over the run
/// checks the whole run once (every block, then its contents: [`MappedFacts::verified`]).
///
/// A clone reads the same mapping and shares what has been checked.
#[derive(Clone)]
pub(crate) struct MappedFacts {
    src: Source,
    /// The strings the store held when the run was opened: its symbol ids are below.
    symbols: u32,
    /// Whether the whole run has been checked, and what is wrong if it failed.
    whole: Arc<OnceLock<Result<(), String>>>,
    /// Damage found by a read that cannot fail (a table's base), to report after it.
    damage: Arc<OnceLock<String>>,
    /// The run's rotations ([`orders`]), once its orders file has been looked for.
    rotations: Arc<OnceLock<base::Rotations>>,
    /// How many of its rows a rule derived, once known (the manifest's count, or counted).
    derived: Arc<OnceLock<usize>>,
    /// Where this run is a layer's newest: the layer's newer runs folded together, with the
    /// layer it was folded for (its number of runs, its oldest run), so that a reader's
    /// lookups do not fold every logged run again.
    folded: Arc<std::sync::Mutex<Option<Fold>>>,
    /// Unique in the process to this opening of the run (shared by clones): what a
    /// [`LayerMark`](crate::LayerMark) knows it by.
    id: u64,
}

/// A new [`MappedFacts::id`].
fn next_run_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A layer's newer runs folded together: each key they set, with its metadata, or remove.
type Folded = std::collections::BTreeMap<Vec<u64>, Option<FactMeta>>;

/// [`Folded`] for a layer of this many runs whose oldest is the run whose checks live at
/// this address.
type Fold = (usize, usize, Arc<Folded>);

/// How many of the rows whose depth-and-rule cells are `depth_rule` a rule derived.
pub(crate) fn derived_in(depth_rule: &[u32]) -> usize {
    depth_rule.iter().filter(|&&dr| dr & 0xffff != 0).count()
}

/// A run's metadata columns.
struct Metas<'a> {
    conf: &'a [f64],
    time: &'a [i64],
    depth_rule: &'a [u32],
}

impl Metas<'_> {
    /// Row `i`'s metadata.
    #[inline]
    fn get(&self, i: usize) -> FactMeta {
        FactMeta::from_cells(self.conf[i], self.time[i], self.depth_rule[i])
    }
}

/// Checks that a run is the one expected: relation, layer, column types, columns as long as
/// the row counts. Reads no column's values.
fn check_shape(
    run: &ArchivedFactRun,
    relation: &str,
    layer: u8,
    types: &[ColumnType],
) -> Result<(), String> {
    if run.relation.as_str() != relation || run.layer != layer {
        return Err(format!(
            "holds relation `{}` layer {}; the manifest expects `{relation}` layer {layer}",
            run.relation.as_str(),
            run.layer
        ));
    }
    let rows = run.rows.to_native() as usize;
    let removed = run.removed_rows.to_native() as usize;
    let shape_ok = |cols: &rkyv::vec::ArchivedVec<ArchivedColumn>, n: usize| {
        cols.len() == types.len()
            && cols.iter().zip(types).all(|(c, t)| {
                let v = view(c);
                matches!(
                    (v, t),
                    (ColumnView::Narrow(_), ColumnType::Symbol)
                        | (ColumnView::Wide(_), ColumnType::Number)
                        | (ColumnView::Wide(_), ColumnType::Unsigned)
                        | (ColumnView::Wide(_), ColumnType::Float)
                        | (ColumnView::Wide(_), ColumnType::Record(_))
                ) && v.len() == n
            })
    };
    if !shape_ok(&run.columns, rows)
        || !shape_ok(&run.removed, removed)
        || run.confidence.len() != rows
        || run.time.len() != rows
        || run.depth_rule.len() != rows
    {
        return Err("columns do not match the relation's declaration or row count".into());
    }
    Ok(())
}

/// Checks what a run's checksums cannot vouch for, since a writer with a bug computes
/// checksums of wrong contents too: rows in strictly ascending key order and removed keys in
/// ascending order (lookups binary-search them), symbol ids below `symbols` (the strings the
/// store held when the run was written: an unknown id is an error, never an empty string),
/// confidences in (0, 1]. Reads every value (a pass over the run pays it once).
fn check_contents(run: &ArchivedFactRun, symbols: u32) -> Result<(), String> {
    let rows = run.rows.to_native() as usize;
    let removed = run.removed_rows.to_native() as usize;
    let contents = |cols: &rkyv::vec::ArchivedVec<ArchivedColumn>, n: usize, what: &str| {
        let views: Vec<ColumnView<'_>> = cols.iter().map(view).collect();
        let key = |i: usize| views.iter().map(move |c| c.get(i));
        let strict = what == "row";
        // Keys of one to three symbol columns (most of a memory), compared on the slices: a
        // tenth of the time of the general loop below, which then only finds where.
        let in_order = match views.as_slice() {
            [ColumnView::Narrow(a)] => a
                .windows(2)
                .all(|w| w[0] < w[1] || (!strict && w[0] == w[1])),
            [ColumnView::Narrow(a), ColumnView::Narrow(b)] => {
                (1..n.min(a.len()).min(b.len())).all(|i| {
                    let (x, y) = ((a[i - 1], b[i - 1]), (a[i], b[i]));
                    x < y || (!strict && x == y)
                })
            }
            [
                ColumnView::Narrow(a),
                ColumnView::Narrow(b),
                ColumnView::Narrow(c),
            ] => (1..n.min(a.len()).min(b.len()).min(c.len())).all(|i| {
                let (x, y) = ((a[i - 1], b[i - 1], c[i - 1]), (a[i], b[i], c[i]));
                x < y || (!strict && x == y)
            }),
            _ => false,
        };
        for i in (1..n).filter(|_| !in_order) {
            let ord = key(i - 1).cmp(key(i));
            if ord == std::cmp::Ordering::Greater
                || (what == "row" && ord == std::cmp::Ordering::Equal)
            {
                return Err(format!("{what} {i} is out of key order"));
            }
        }
        for (c, v) in views.iter().enumerate() {
            if let ColumnView::Narrow(ids) = v
                && ids.iter().copied().max().is_some_and(|m| m >= symbols)
                && let Some(&id) = ids.iter().find(|&&id| id >= symbols)
            {
                return Err(format!(
                    "a {what} names symbol {id} in column {c}; the store holds {symbols} symbols"
                ));
            }
        }
        Ok(())
    };
    contents(&run.columns, rows, "row")?;
    contents(&run.removed, removed, "removed key")?;
    // A fold without an early exit vectorises; `position` only runs to name a bad row.
    let confidences = f64s(&run.confidence);
    if !confidences
        .iter()
        .fold(true, |ok, &c| ok & (c > 0.0) & (c <= 1.0))
        && let Some(i) = confidences.iter().position(|&c| !(c > 0.0 && c <= 1.0))
    {
        return Err(format!("row {i} has confidence {}", confidences[i]));
    }
    Ok(())
}

impl MappedFacts {
    /// Whether it keeps a fold of its layer's newer runs ([`fold_newer`]).
    pub(crate) fn keeps_fold(&self) -> bool {
        (self.folded.lock().unwrap_or_else(|e| e.into_inner())).is_some()
    }

    /// Opens a run file and checks that it is the run the manifest says (its shape; its
    /// values are checked as they are read).
    pub(crate) fn open(
        storage: &dyn Storage,
        name: &str,
        relation: &str,
        layer: u8,
        types: &[ColumnType],
        symbols: u32,
    ) -> Result<MappedFacts, StoreError> {
        let file = ArchiveFile::<FactRun>::open(storage, name, Kind::Facts)?;
        let run = file.get();
        // What the shape check reads besides the root: the name and the columns' headers.
        (file.verify_slice(run.relation.as_str().as_bytes()))
            .and_then(|()| file.verify_slice(run.columns.as_slice()))
            .and_then(|()| file.verify_slice(run.removed.as_slice()))
            .and_then(|()| check_shape(run, relation, layer, types))
            .map_err(|e| StoreError::corrupt(file.path(), e))?;
        Ok(MappedFacts {
            src: Source::File(Arc::new(file)),
            symbols,
            whole: Arc::new(OnceLock::new()),
            damage: Arc::default(),
            rotations: Arc::default(),
            derived: Arc::default(),
            folded: Arc::default(),
            id: next_run_id(),
        })
    }

    /// Run `i` of a log record, checked whole (the record's checksum held when the log was
    /// read; errors name the log file `path`).
    pub(crate) fn logged(
        path: &Path,
        record: Arc<OwnedArchive<LogRecord>>,
        i: usize,
        types: &[ColumnType],
        symbols: u32,
    ) -> Result<MappedFacts, StoreError> {
        let run = &record.get().runs[i];
        check_shape(run, run.relation.as_str(), run.layer, types)
            .and_then(|()| check_contents(run, symbols))
            .map_err(|e| StoreError::corrupt(path, e))?;
        Ok(MappedFacts {
            src: Source::Log(record, i),
            symbols,
            whole: Arc::new(OnceLock::from(Ok(()))),
            damage: Arc::default(),
            rotations: Arc::default(),
            derived: Arc::default(),
            folded: Arc::default(),
            id: next_run_id(),
        })
    }

    fn file(&self) -> &ArchivedFactRun {
        match &self.src {
            Source::File(f) => f.get(),
            Source::Log(r, i) => &r.get().runs[*i],
        }
    }

    /// Checks the whole run, once: every block, then its contents. Every pass over the run
    /// (and so every read that copies it) comes through here.
    pub(crate) fn verified(&self) -> Result<&MappedFacts, StoreError> {
        let whole = self.whole.get_or_init(|| match &self.src {
            Source::File(f) => f
                .verify_all()
                .and_then(|()| check_contents(self.file(), self.symbols)),
            Source::Log(..) => Ok(()),
        });
        match whole {
            Ok(()) => Ok(self),
            Err(e) => Err(self.corrupt(e.clone())),
        }
    }

    /// Checks the blocks that `f` names (a log record's run was checked whole).
    fn verify(
        &self,
        f: impl FnOnce(&ArchiveFile<FactRun>) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        self.verify_as_text(f).map_err(|e| self.corrupt(e))
    }

    /// [`MappedFacts::verify`], what is wrong as text.
    fn verify_as_text(
        &self,
        f: impl FnOnce(&ArchiveFile<FactRun>) -> Result<(), String>,
    ) -> Result<(), String> {
        match &self.src {
            Source::File(file) if !matches!(self.whole.get(), Some(Ok(()))) => f(file),
            _ => Ok(()),
        }
    }

    fn corrupt(&self, what: String) -> StoreError {
        match &self.src {
            Source::File(f) => StoreError::corrupt(f.path(), what),
            Source::Log(..) => StoreError::corrupt("the commit log", what),
        }
    }

    /// Checks the cells of key column `c` in `rows`.
    fn verify_cells(&self, c: usize, rows: &[usize]) -> Result<(), StoreError> {
        self.verify(|f| {
            let col = &self.file().columns[c];
            rows.iter().try_for_each(|&i| match col {
                ArchivedColumn::Narrow(v) => f.verify_item(v.as_slice(), i),
                ArchivedColumn::Wide(v) => f.verify_item(v.as_slice(), i),
            })
        })
    }

    /// Key column `c` whole, checked.
    pub(crate) fn column(&self, c: usize) -> Result<ColumnView<'_>, StoreError> {
        self.verify(|f| match &self.file().columns[c] {
            ArchivedColumn::Narrow(v) => f.verify_slice(v.as_slice()),
            ArchivedColumn::Wide(v) => f.verify_slice(v.as_slice()),
        })?;
        Ok(view(&self.file().columns[c]))
    }

    /// Row `i`'s key and metadata, its cells checked.
    pub(crate) fn row_at(&self, i: usize) -> Result<(Vec<u64>, FactMeta), StoreError> {
        let arity = self.file().columns.len();
        for c in 0..arity {
            self.verify_cells(c, &[i])?;
        }
        self.verify(|f| {
            let run = self.file();
            (f.verify_item(run.confidence.as_slice(), i))
                .and_then(|()| f.verify_item(run.time.as_slice(), i))
                .and_then(|()| f.verify_item(run.depth_rule.as_slice(), i))
        })?;
        let cols = self.columns();
        let key: Vec<u64> = cols.iter().map(|c| c.get(i)).collect();
        // What the whole run's check would say of this row's symbols (an unknown id is an
        // error, never an empty string).
        for (c, col) in cols.iter().enumerate() {
            if matches!(col, ColumnView::Narrow(_)) && key[c] >= u64::from(self.symbols) {
                return Err(self.corrupt(format!(
                    "a row names symbol {} in column {c}; the store holds {} symbols",
                    key[c], self.symbols
                )));
            }
        }
        Ok((key, self.meta(i)))
    }

    /// The name of its run file in the store (`None` for a log record's run).
    pub(crate) fn file_name(&self) -> Option<String> {
        match &self.src {
            Source::File(f) => f
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            Source::Log(..) => None,
        }
    }

    /// Unique in the process to this opening of the run: two runs of a layer with the same
    /// id are one.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Whether the run is a log record's (not yet written as a run file).
    pub(crate) fn is_logged(&self) -> bool {
        matches!(self.src, Source::Log(..))
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.file().rows.to_native() as usize
    }

    /// Number of removed keys.
    pub(crate) fn removed_rows(&self) -> usize {
        self.file().removed_rows.to_native() as usize
    }

    /// Bytes of its run file (0 for a log record's run).
    pub(crate) fn file_len(&self) -> usize {
        match &self.src {
            Source::File(f) => f.len(),
            Source::Log(..) => 0,
        }
    }

    /// The key columns, unchecked: for [`MappedFacts::verified`] runs and checked cells.
    fn columns(&self) -> Vec<ColumnView<'_>> {
        self.file().columns.iter().map(view).collect()
    }

    /// The metadata of row `i`, unchecked (see [`MappedFacts::columns`]).
    fn meta(&self, i: usize) -> FactMeta {
        self.metas().get(i)
    }

    /// The metadata columns, unchecked (see [`MappedFacts::columns`]): for a pass over rows.
    fn metas(&self) -> Metas<'_> {
        let run = self.file();
        Metas {
            conf: f64s(&run.confidence),
            time: i64s(&run.time),
            depth_rule: u32s(&run.depth_rule),
        }
    }

    /// The latest time of its rows: one pass over the time cells.
    pub(crate) fn latest_time(&self) -> Result<Option<i64>, StoreError> {
        let time = &self.file().time;
        self.verify(|f| f.verify_slice(time.as_slice()))?;
        Ok(i64s(time).iter().copied().max())
    }

    /// How many of its rows were derived by a rule (not asserted): one pass over the rule
    /// cells.
    pub(crate) fn derived_rows(&self) -> Result<usize, StoreError> {
        if let Some(&n) = self.derived.get() {
            return Ok(n);
        }
        let cells = &self.file().depth_rule;
        self.verify(|f| f.verify_slice(cells.as_slice()))?;
        let n = derived_in(u32s(cells));
        Ok(*self.derived.get_or_init(|| n))
    }

    /// Records how many of its rows a rule derived, as the checkpoint that wrote it counted
    /// them (the manifest's word: [`MappedFacts::derived_rows`] then reads no rule cells).
    pub(crate) fn with_derived_rows(self, n: Option<u64>) -> MappedFacts {
        if let Some(n) = n.filter(|&n| n <= self.rows() as u64) {
            let _ = self.derived.set(n as usize);
        }
        self
    }

    /// The rows whose leading columns equal `prefix` (runs are sorted by key), by binary
    /// search: the cells it compared are checked before the answer is trusted.
    pub(crate) fn prefix_range(
        &self,
        prefix: &[u64],
    ) -> Result<std::ops::Range<usize>, StoreError> {
        let cols = self.columns();
        let probed = std::cell::RefCell::new(Vec::new());
        let cmp = |i: usize| {
            probed.borrow_mut().push(i);
            for (c, &v) in prefix.iter().enumerate() {
                match cols[c].get(i).cmp(&v) {
                    std::cmp::Ordering::Equal => {}
                    o => return o,
                }
            }
            std::cmp::Ordering::Equal
        };
        let range = engram_core::internal::search::equal_range(self.rows(), cmp);
        let probed = probed.into_inner();
        for c in 0..prefix.len().min(cols.len()) {
            self.verify_cells(c, &probed)?;
        }
        Ok(range)
    }

    /// The run's rows as evaluation rows (a run is sorted by key, as rows must be).
    pub(crate) fn to_rows(
        &self,
        arity: usize,
        mode: engram_core::internal::eval::Mode,
    ) -> Result<engram_core::internal::eval::Rows, StoreError> {
        self.verified()?;
        let mut rows = engram_core::internal::eval::Rows::empty(arity, mode);
        let cols = self.columns();
        let n = self.rows();
        rows.data.reserve(n * rows.width);
        for i in 0..n {
            if arity == 0 {
                rows.data.push(0);
            }
            rows.data.extend(cols.iter().map(|c| c.get(i)));
            engram_core::internal::incremental::solve::to_meta(&self.meta(i)).push(
                &mut rows.data,
                true,
                mode.time,
            );
        }
        Ok(rows)
    }

    /// Folds this run into a key-ordered change set: its removed keys become `None`, its rows
    /// their metadata (a later run folded after it wins).
    pub(crate) fn fold_into(
        &self,
        arity: usize,
        map: &mut std::collections::BTreeMap<Vec<u64>, Option<FactMeta>>,
    ) -> Result<(), StoreError> {
        self.verified()?;
        let run = self.file();
        let gone: Vec<ColumnView<'_>> = run.removed.iter().map(view).collect();
        for i in 0..self.removed_rows() {
            map.insert((0..arity).map(|c| gone[c].get(i)).collect(), None);
        }
        let cols = self.columns();
        for i in 0..self.rows() {
            map.insert(
                (0..arity).map(|c| cols[c].get(i)).collect(),
                Some(self.meta(i)),
            );
        }
        Ok(())
    }

    /// Applies this run to a table: removes its removed keys, then sets its rows.
    pub(crate) fn apply(&self, table: &mut Table) -> Result<(), StoreError> {
        self.verified()?;
        let run = self.file();
        let arity = table.arity();
        let mut key = vec![0u64; arity];
        let gone: Vec<ColumnView<'_>> = run.removed.iter().map(view).collect();
        for i in 0..self.removed_rows() {
            for (k, c) in key.iter_mut().zip(&gone) {
                *k = c.get(i);
            }
            table.remove(&key);
        }
        let cols = self.columns();
        for i in 0..self.rows() {
            for (k, c) in key.iter_mut().zip(&cols) {
                *k = c.get(i);
            }
            table.push_sorted(&key, self.meta(i));
        }
        Ok(())
    }
}

/// The facts of a layer of runs that a search finds, in key order: `base_rows` picks the
/// candidate rows of the oldest run (by binary search or a pass over a column), `keep` says
/// which keys the newer runs' changes must have; the newer runs are folded together on top (a
/// newer row or removal wins).
pub(crate) fn layer_matches(
    runs: &[MappedFacts],
    arity: usize,
    base_rows: impl FnOnce(&MappedFacts) -> Result<Vec<usize>, StoreError>,
    keep: impl Fn(&[u64]) -> bool,
) -> Result<Vec<(Vec<u64>, FactMeta)>, StoreError> {
    let newer = fold_newer(runs, arity)?;
    let mut hits: Vec<(Vec<u64>, FactMeta)> = Vec::new();
    if let Some(base) = runs.first() {
        let mut rows = base_rows(base)?;
        rows.sort_unstable();
        rows.dedup();
        for r in rows {
            let (key, meta) = base.row_at(r)?;
            if !newer.contains_key(&key) {
                hits.push((key, meta));
            }
        }
    }
    for (key, m) in newer.iter() {
        if let Some(m) = m
            && keep(key)
        {
            hits.push((key.clone(), *m));
        }
    }
    hits.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(hits)
}

/// How many facts a layer of runs holds, and how many of them a rule derived, without
/// building a table: the oldest run's counts, corrected by the newer runs folded together (a
/// key they set or remove is looked up in the oldest by binary search).
pub(crate) fn layer_counts(
    runs: &[MappedFacts],
    arity: usize,
) -> Result<(usize, usize), StoreError> {
    let Some(base) = runs.first() else {
        return Ok((0, 0));
    };
    let (mut facts, mut derived) = (base.rows(), base.derived_rows()?);
    newer_changes(
        runs,
        arity,
        |_| true,
        |_, old, new| {
            if let Some(old) = old {
                facts -= 1;
                derived -= usize::from(base.row_at(old)?.1.rule != 0);
            }
            if let Some(m) = new {
                facts += 1;
                derived += usize::from(m.rule != 0);
            }
            Ok(())
        },
    )?;
    Ok((facts, derived))
}

/// The changes of a layer's newer runs (all but the oldest) folded together in key order:
/// each key they set, with its metadata, or remove (`None`); a newer run's word wins. Kept
/// by the newest run, and made from what an earlier run kept when it was the newest (a layer
/// only grows by runs at its end between checkpoints).
fn fold_newer(runs: &[MappedFacts], arity: usize) -> Result<Arc<Folded>, StoreError> {
    let (Some(oldest), Some(newest)) = (runs.first(), runs.last()) else {
        return Ok(Arc::default());
    };
    if runs.len() == 1 {
        return Ok(Arc::default());
    }
    let id = Arc::as_ptr(&oldest.whole) as usize;
    let cached = newest
        .folded
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some((n, at, folded)) = cached
        && (n, at) == (runs.len(), id)
    {
        return Ok(folded);
    }
    // From the fold an earlier newest run kept, taken from it (only the newest keeps one):
    // the run before, or, for a handle that moved several commits at once, one further back.
    // Only the newest holding a fold can hold one (each is taken when a newer one is made),
    // so the search stops at the first; a fold left behind would hold a copy of the layer's
    // newer keys until the next checkpoint.
    let mut kept: Option<(usize, Arc<Folded>)> = None;
    for j in (1..runs.len() - 1).rev() {
        let taken = (runs[j].folded.lock().unwrap_or_else(|e| e.into_inner())).take();
        if let Some((n, at, f)) = taken {
            kept = ((n, at) == (j + 1, id)).then_some((j, f));
            break;
        }
    }
    let (mut folded, from) = match kept {
        Some((j, f)) => (Arc::try_unwrap(f).unwrap_or_else(|f| (*f).clone()), j + 1),
        None => (Folded::new(), 1),
    };
    for r in &runs[from..runs.len() - 1] {
        r.fold_into(arity, &mut folded)?;
    }
    newest.fold_into(arity, &mut folded)?;
    let folded = Arc::new(folded);
    *newest.folded.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((runs.len(), id, folded.clone()));
    Ok(folded)
}

/// How many keys of the layer of runs `derived` hold a fact a rule derived and are no key of
/// the layer `asserted` (of the same columns), given `base`, that count over the two layers'
/// oldest runs alone: corrected by each key the newer runs of either set or remove (looked
/// up in the oldest runs by binary search).
pub(crate) fn derived_not_in(
    derived: &[MappedFacts],
    asserted: &[MappedFacts],
    arity: usize,
    base: usize,
) -> Result<usize, StoreError> {
    let (d_new, a_new) = (fold_newer(derived, arity)?, fold_newer(asserted, arity)?);
    let in_oldest = |runs: &[MappedFacts], key: &[u64]| -> Result<Option<FactMeta>, StoreError> {
        let Some(oldest) = runs.first() else {
            return Ok(None);
        };
        let rows = oldest.prefix_range(key)?;
        match rows.is_empty() {
            true => Ok(None),
            false => Ok(Some(oldest.row_at(rows.start)?.1)),
        }
    };
    let counted =
        |d: Option<FactMeta>, held: bool| isize::from(d.is_some_and(|m| m.rule != 0) && !held);
    let mut keys: Vec<&Vec<u64>> = d_new.keys().chain(a_new.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut count = base as isize;
    for key in keys {
        let (d_old, a_old) = (in_oldest(derived, key)?, in_oldest(asserted, key)?);
        let d_now = match d_new.get(key) {
            Some(m) => *m,
            None => d_old,
        };
        let a_now = match a_new.get(key) {
            Some(m) => m.is_some(),
            None => a_old.is_some(),
        };
        count += counted(d_now, a_now) - counted(d_old, a_old.is_some());
    }
    Ok(count.max(0) as usize)
}

/// Calls `f` with each key the newer runs of a layer (all but the oldest) set or remove that
/// `wanted` keeps, folded together, in key order: the key, its row in the oldest run if it is
/// there, and what the newer runs make of it (`None`: removed). (Only a wanted key is looked
/// up in the oldest run: a count of a few values after many small commits reads a few rows
/// of it, not one per key the commits changed.)
fn newer_changes(
    runs: &[MappedFacts],
    arity: usize,
    wanted: impl Fn(&[u64]) -> bool,
    mut f: impl FnMut(&[u64], Option<usize>, Option<FactMeta>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let Some(base) = runs.first() else {
        return Ok(());
    };
    for (key, m) in fold_newer(runs, arity)?.iter().filter(|(k, _)| wanted(k)) {
        let old = base.prefix_range(key)?.next();
        f(key, old, *m)?;
    }
    Ok(())
}

/// Adds to each count of `counts` how many facts of a layer of runs hold its value in
/// `column`: the oldest run's cells counted (a binary search per value where the column leads
/// the key, else one pass over the column), corrected by the newer runs folded together (a
/// key they set or remove is looked up in the oldest by binary search).
pub(crate) fn layer_value_counts(
    storage: &dyn Storage,
    runs: &[MappedFacts],
    arity: usize,
    column: usize,
    counts: &mut rustc_hash::FxHashMap<u64, usize>,
) -> Result<(), StoreError> {
    let Some(base) = runs.first() else {
        return Ok(());
    };
    base.open_orders(storage, arity)?;
    let few = counts.len().saturating_mul(32) < base.rows().max(1024);
    if column == 0 && few {
        for (v, n) in counts.iter_mut() {
            *n += base.prefix_range(&[*v])?.len();
        }
    } else if few && base.has_orders() {
        for (v, n) in counts.iter_mut() {
            base.matching(arity, &[column], &[*v], &mut |_| {
                *n += 1;
                true
            });
        }
        base.damage()?;
    } else {
        let wanted: rustc_hash::FxHashSet<u64> = counts.keys().copied().collect();
        base.column(column)?.each_holding(&wanted, |_, v| {
            if let Some(n) = counts.get_mut(&v) {
                *n += 1;
            }
        });
    }
    let wanted: rustc_hash::FxHashSet<u64> = counts.keys().copied().collect();
    newer_changes(
        runs,
        arity,
        |key| wanted.contains(&key[column]),
        |key, old, new| {
            if let Some(n) = counts.get_mut(&key[column]) {
                match (new.is_some(), old.is_some()) {
                    (true, false) => *n += 1,
                    (false, true) => *n -= 1,
                    _ => {}
                }
            }
            Ok(())
        },
    )
}

/// A layer's contents as evaluation rows, without building a table: its oldest run (for a
/// compacted layer, nearly everything) merged in key order with the newer runs folded
/// together (a newer run's row or removal wins).
pub(crate) fn layer_rows(
    runs: &[MappedFacts],
    arity: usize,
    mode: engram_core::internal::eval::Mode,
) -> Result<engram_core::internal::eval::Rows, StoreError> {
    if let [base] = runs {
        return base.to_rows(arity, mode);
    }
    let mut rows = engram_core::internal::eval::Rows::empty(arity, mode);
    for_each_in_layer(runs, arity, |key, m| {
        if arity == 0 {
            rows.data.push(0);
        }
        rows.data.extend_from_slice(key);
        engram_core::internal::incremental::solve::to_meta(&m).push(
            &mut rows.data,
            true,
            mode.time,
        );
    })?;
    Ok(rows)
}

/// Calls `f` with each fact of a layer of runs, in key order: its oldest run merged with the
/// newer runs folded together (a newer run's row or removal wins), nothing copied but the
/// newer runs' changes.
pub(crate) fn for_each_in_layer(
    runs: &[MappedFacts],
    arity: usize,
    mut f: impl FnMut(&[u64], FactMeta),
) -> Result<(), StoreError> {
    let Some(base) = runs.first() else {
        return Ok(());
    };
    let newer = fold_newer(runs, arity)?;
    let cols = base.verified()?.columns();
    let metas = base.metas();
    let n = base.rows();
    let mut key = vec![0u64; arity];
    let mut later = newer.iter().peekable();
    let mut i = 0;
    loop {
        if i < n {
            for (k, c) in key.iter_mut().zip(&cols) {
                *k = c.get(i);
            }
        }
        let order = match (i < n, later.peek()) {
            (false, None) => break,
            (true, None) => std::cmp::Ordering::Less,
            (false, Some(_)) => std::cmp::Ordering::Greater,
            (true, Some((k, _))) => key.as_slice().cmp(k.as_slice()),
        };
        match order {
            std::cmp::Ordering::Less => {
                f(&key, metas.get(i));
                i += 1;
            }
            std::cmp::Ordering::Equal | std::cmp::Ordering::Greater => {
                if order.is_eq() {
                    i += 1;
                }
                let (k, m) = later.next().expect("peeked");
                if let Some(m) = m {
                    f(k, *m);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file;

    /// A run whose checksums hold but whose contents are wrong (as a writer with a bug would
    /// make it) is refused when it is read whole, naming the file and what is wrong; opening
    /// it checks only its shape. Both formats: checksummed whole and per block.
    #[test]
    fn contents_behind_the_checksum_are_checked() {
        let types = [ColumnType::Symbol, ColumnType::Number];
        let dir = tempfile::tempdir().unwrap();
        let run_of = |rows: &[[u64; 2]], conf: f64| {
            let order: Vec<u32> = (0..rows.len() as u32).collect();
            let meta = |_| FactMeta {
                conf,
                time: 0,
                depth: 0,
                rule: 0,
            };
            FactRun::assemble("r", 0, &types, &order, |r, c| rows[r][c], meta, Vec::new())
        };
        let cases = [
            (run_of(&[[1, 5], [0, 7]], 1.0), "row 1 is out of key order"),
            (run_of(&[[1, 5], [1, 5]], 1.0), "row 1 is out of key order"),
            (
                run_of(&[[1, 5], [12, 7]], 1.0),
                "names symbol 12 in column 0",
            ),
            (run_of(&[[1, 5]], 0.0), "row 0 has confidence 0"),
            (run_of(&[[1, 5]], f64::NAN), "row 0 has confidence NaN"),
        ];
        let storage = crate::storage::FileStorage::new(dir.path());
        for (i, (run, wrong)) in cases.into_iter().enumerate() {
            let bytes = run.to_bytes();
            for (v, envelope) in [file::envelope, file::envelope_blocked].iter().enumerate() {
                let name = format!("{i}-v{}.facts", v + 1);
                std::fs::write(dir.path().join(&name), envelope(Kind::Facts, &bytes)).unwrap();
                let m = MappedFacts::open(&storage, &name, "r", 0, &types, 10).unwrap();
                let e = m.verified().err().expect(wrong).to_string();
                assert!(e.contains(wrong) && e.contains(&name), "{e}");
            }
        }
        let good = run_of(&[[0, 7], [1, 5], [9, 1]], 0.5);
        let path = dir.path().join("good.facts");
        std::fs::write(&path, file::envelope(Kind::Facts, &good.to_bytes())).unwrap();
        let storage = crate::storage::FileStorage::new(dir.path());
        assert_eq!(
            (MappedFacts::open(&storage, "good.facts", "r", 0, &types, 10).unwrap()).rows(),
            3
        );
    }

    /// A lookup checks the blocks it reads (and only those): damage elsewhere in a run does
    /// not stop it, damage where it reads is reported with the file's name, and a pass over
    /// the whole run finds any.
    #[test]
    fn a_lookup_checks_the_blocks_it_reads() {
        let types = [ColumnType::Symbol, ColumnType::Number];
        let n = 20_000usize;
        let order: Vec<u32> = (0..n as u32).collect();
        let meta = |_| FactMeta {
            conf: 1.0,
            time: 0,
            depth: 0,
            rule: 0,
        };
        let run = FactRun::assemble(
            "r",
            0,
            &types,
            &order,
            |r, c| (r * (c + 1)) as u64,
            meta,
            vec![],
        );
        let bytes = run.to_bytes();
        let archived = rkyv::access::<ArchivedFactRun, rkyv::rancor::BoxedError>(&bytes).unwrap();
        let ArchivedColumn::Narrow(first) = &archived.columns[0] else {
            panic!("a symbol column")
        };
        // Row 12,345's symbol is in the fourth block of the first column (4,096 ids a block).
        let k = 12_345;
        let at = first.as_slice()[k..].as_ptr() as usize - bytes.as_ptr() as usize;
        let mut damaged = file::envelope_blocked(Kind::Facts, &bytes);
        damaged[file::HEADER + at] ^= 0x01;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.facts"), &damaged).unwrap();
        let storage = crate::storage::FileStorage::new(dir.path());
        let m = MappedFacts::open(&storage, "r.facts", "r", 0, &types, n as u32).unwrap();
        let near_start = m.prefix_range(&[3]).unwrap();
        assert_eq!(m.row_at(near_start.start).unwrap().0, vec![3, 6]);
        let e = m.prefix_range(&[k as u64]).unwrap_err().to_string();
        assert!(
            e.contains("r.facts") && e.contains("checksum mismatch"),
            "{e}"
        );
        let e = m.verified().err().unwrap().to_string();
        assert!(
            e.contains("r.facts") && e.contains("checksum mismatch"),
            "{e}"
        );
        assert!(m.column(0).is_err() && m.column(1).is_ok());
    }
}
