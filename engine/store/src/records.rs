//! The store's record table: the field values of every record and ADT value its facts hold
//! (Soufflé's record table), persisted as append-only runs like the strings, so that a
//! record's id never changes.
//!
//! A commit that made records is written as a checkpoint (never only logged): it writes one
//! run of exactly the records made since the last run, named in the manifest with the record
//! types by id. Opening a store reads the runs into the interner's record table, ids from 1
//! in run order.

use super::error::StoreError;
use super::file::Kind;
use super::mmap::{ArchiveFile, u32s, u64s};
use super::storage::Storage;
use engram_core::internal::records::Records;
use rkyv::{Archive, Serialize};

/// One run of records: ids `first..first + offsets.len() - 1`.
#[derive(Archive, Serialize)]
pub(crate) struct RecordRun {
    /// The id of the run's first record (ids count from 1; 0 is `nil`).
    pub first: u64,
    /// Offsets of the records' fields in `fields`, one more than there are records.
    pub offsets: Vec<u32>,
    /// The records' encoded field values, back to back.
    pub fields: Vec<u64>,
}

impl RecordRun {
    /// The run of the records of `records` with ids from `first` on, if there are any.
    pub(crate) fn since(records: &Records, first: u64) -> Option<RecordRun> {
        let mut run = RecordRun {
            first,
            offsets: vec![0],
            fields: Vec::new(),
        };
        for row in records.rows_from(first) {
            run.fields.extend_from_slice(row);
            run.offsets
                .push(u32::try_from(run.fields.len()).unwrap_or(u32::MAX));
        }
        (run.offsets.len() > 1).then_some(run)
    }

    /// Whether its fields fit the 32-bit offsets of one run.
    pub(crate) fn fits(&self) -> bool {
        u32::try_from(self.fields.len()).is_ok()
    }

    /// Its bytes, as a run file holds them.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        rkyv::to_bytes::<rkyv::rancor::BoxedError>(self)
            .expect("archiving plain vectors cannot fail")
            .to_vec()
    }
}

/// Reads a run file that should hold the records `first..first + count` into `records`,
/// which holds the `first - 1` before them; checks it whole (its rows are read at once).
pub(crate) fn load(
    storage: &dyn Storage,
    name: &str,
    first: u64,
    count: u64,
    records: &mut Records,
) -> Result<(), StoreError> {
    let file = ArchiveFile::<RecordRun>::open(storage, name, Kind::Records)?;
    let path = file.path();
    (file.verify_all()).map_err(|e| StoreError::corrupt(path, e))?;
    let run = file.get();
    let bad = |what: String| Err(StoreError::corrupt(path, what));
    let offsets = u32s(&run.offsets);
    let fields = u64s(&run.fields);
    let held = offsets.len().saturating_sub(1) as u64;
    if run.first.to_native() != first || held != count {
        return bad(format!(
            "holds records {}.. ({held}); the manifest expects {first}.. ({count})",
            run.first.to_native()
        ));
    }
    if records.len() as u64 + 1 != first {
        return bad(format!(
            "starts at record {first}, but the runs before it hold {}",
            records.len()
        ));
    }
    if offsets.first() != Some(&0)
        || offsets.windows(2).any(|w| w[0] > w[1])
        || offsets.last().map(|&o| o as usize) != Some(fields.len())
    {
        return bad("record offsets out of order".into());
    }
    for w in offsets.windows(2) {
        let id = records.intern(&fields[w[0] as usize..w[1] as usize]);
        if id != records.len() as u64 {
            return bad(format!(
                "record {} repeats record {id}",
                records.len() as u64 + 1
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file;
    use crate::storage::FileStorage;

    #[test]
    fn a_run_reads_back_as_the_records_it_was_made_of() {
        let dir = tempfile::tempdir().unwrap();
        let st = FileStorage::new(dir.path());
        let mut made = Records::default();
        for row in [&[1u64, 2][..], &[], &[7, 8, 9], &[3]] {
            made.intern(row);
        }
        let run = RecordRun::since(&made, 2).expect("records after the first");
        assert_eq!(run.first, 2);
        let bytes = file::envelope(Kind::Records, &run.to_bytes());
        file::write_new(&st, "a.rec", &bytes).unwrap();
        let mut back = Records::default();
        back.intern(&[1, 2]);
        load(&st, "a.rec", 2, 3, &mut back).unwrap();
        let rows: Vec<&[u64]> = back.rows_from(1).collect();
        let want: Vec<&[u64]> = made.rows_from(1).collect();
        assert_eq!(rows, want);
        // The manifest's count and the run's must agree.
        let err = load(&st, "a.rec", 2, 4, &mut Records::default()).unwrap_err();
        assert!(err.to_string().contains("a.rec"), "{err}");
        assert!(RecordRun::since(&made, 5).is_none());
    }
}
