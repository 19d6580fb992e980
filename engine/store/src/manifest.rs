//! The manifest: the one file that says what the store is. It names the live string runs,
//! rule files and fact runs, and records the forgetting policy; a commit is the atomic
//! replacement of this file, so a reader sees one committed state or the next, never a mix.

use super::error::StoreError;
use super::file::{self, Kind};
use super::storage::Storage;
use engram_core::internal::records::RecordType;
use engram_core::internal::value::ColumnType;
use serde::{Deserialize, Serialize};

/// The manifest's file name.
pub(crate) const MANIFEST: &str = "MANIFEST";

/// The contents of `MANIFEST` (JSON inside the common envelope).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Incremented by every commit.
    pub generation: u64,
    /// The number the next new file will take.
    pub next_file: u64,
    /// String runs, in id order.
    pub strings: Vec<StringsEntry>,
    /// Rule files, in the order they were added.
    pub rules: Vec<RulesEntry>,
    /// Relations, in the order they first appeared.
    pub relations: Vec<RelationEntry>,
    /// Forgetting policies recorded by `cleanup`.
    pub forget: Vec<ForgetPolicy>,
    /// The commit log whose records follow this manifest's state.
    #[serde(default)]
    pub wal: Option<String>,
    /// What `now()` stood for at the last full inference (`infer`, `cleanup`), in unix
    /// milliseconds; commits in between keep it, so time does not tick on its own.
    #[serde(default)]
    pub now: Option<i64>,
    /// Per fact run file, how many of its rows a rule derived, as its checkpoint counted them
    /// (so that counting a relation's facts reads no rule cells; a run without an entry, from
    /// a store written before they were kept, is counted when asked).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub derived_rows: std::collections::BTreeMap<String, u64>,
    /// Record runs, in id order (absent in a store that holds no records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RecordsEntry>,
    /// The record and ADT types by id, as the columns and the record runs name them (absent
    /// in a store whose rules declare none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record_types: Vec<RecordType>,
}

/// A record run file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RecordsEntry {
    /// File name in the store directory.
    pub file: String,
    /// Id of its first record (ids count from 1).
    pub first: u64,
    /// Number of records.
    pub count: u64,
}

/// A forgetting policy that `cleanup` recorded: a derivation weaker than `min_confidence`
/// whose time is before `before_ms` is dropped, as if it had never been made, and stays
/// dropped when the rules run again.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForgetPolicy {
    /// Derivations below this confidence may be forgotten.
    pub min_confidence: f64,
    /// Those whose time (unix ms) is before this are.
    pub before_ms: i64,
}

impl ForgetPolicy {
    /// The policy as evaluation applies it: a filter on every derivation.
    pub(crate) fn filter(self) -> engram_core::internal::plan::ir::Forget {
        engram_core::internal::plan::ir::Forget {
            min_confidence: self.min_confidence,
            before_ms: self.before_ms,
        }
    }
}

/// A string run file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct StringsEntry {
    /// File name in the store directory.
    pub file: String,
    /// Id of its first string.
    pub first: u32,
    /// Number of strings.
    pub count: u32,
    /// Its word postings' file (none in a store written before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

/// A rule file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RulesEntry {
    /// The name it is listed and removed by.
    pub name: String,
    /// File name in the store directory.
    pub file: String,
}

/// A relation and its runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RelationEntry {
    /// Its name.
    pub name: String,
    /// Column names and types.
    pub columns: Vec<(String, ColumnType)>,
    /// Runs of asserted facts, oldest first.
    pub asserted: Vec<String>,
    /// Runs of the relation's full contents after inference, oldest first; used only when
    /// `derived_layer` is set (otherwise the contents are the asserted facts).
    pub derived: Vec<String>,
    /// Whether rules derive facts of this relation.
    pub derived_layer: bool,
}

impl Manifest {
    /// Reads and checks the file `MANIFEST`.
    pub(crate) fn read(storage: &dyn Storage) -> Result<Manifest, StoreError> {
        Manifest::parse(storage, &Manifest::read_bytes(storage)?)
    }

    /// The manifest file's bytes, unread.
    pub(crate) fn read_bytes(storage: &dyn Storage) -> Result<Vec<u8>, StoreError> {
        Manifest::read_pinned(storage).map(|(bytes, _)| bytes)
    }

    /// Reads the file `MANIFEST` through a pin on it, when the storage gives one.
    pub(crate) fn read_pinned(
        storage: &dyn Storage,
    ) -> Result<(Vec<u8>, Option<crate::storage::Pin>), StoreError> {
        match storage.read_pinned(MANIFEST) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotAStore {
                path: file::place(storage),
            }),
            Err(e) => Err(StoreError::io(storage.path(MANIFEST), e)),
        }
    }

    /// The manifest the file's `bytes` hold.
    pub(crate) fn parse(storage: &dyn Storage, bytes: &[u8]) -> Result<Manifest, StoreError> {
        let path = storage.path(MANIFEST);
        let payload = file::open_envelope(&path, bytes, Kind::Manifest)?;
        serde_json::from_slice(payload)
            .map_err(|e| StoreError::corrupt(&path, format!("malformed manifest: {e}")))
    }

    /// Writes this manifest atomically as the file `MANIFEST`.
    pub(crate) fn write(&self, storage: &dyn Storage) -> Result<(), StoreError> {
        let json = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        file::replace(storage, MANIFEST, &file::envelope(Kind::Manifest, &json))
    }

    /// A new file name with the given extension.
    pub(crate) fn new_file(&mut self, ext: &str) -> String {
        self.next_file += 1;
        format!("{:08}.{ext}", self.next_file)
    }

    /// Every file the manifest names.
    pub(crate) fn files(&self) -> impl Iterator<Item = &str> {
        self.strings
            .iter()
            .flat_map(|s| std::iter::once(s.file.as_str()).chain(s.terms.as_deref()))
            .chain(self.wal.as_deref())
            .chain(self.records.iter().map(|r| r.file.as_str()))
            .chain(self.rules.iter().map(|r| r.file.as_str()))
            .chain(
                self.relations
                    .iter()
                    .flat_map(|r| r.asserted.iter().chain(&r.derived))
                    .map(String::as_str),
            )
    }
}
