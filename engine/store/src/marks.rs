//! Where a relation's layer stands, for what a reader computes from the layer and keeps
//! across commits: a mark of its runs, the facts of its oldest run alone, and the keys the
//! runs after a mark set or remove. Between checkpoints a layer grows only by runs at its end,
//! so what was computed at a mark is brought up to date by those keys; a checkpoint that
//! rewrites the oldest run makes another layer, which a reader computes again.

use super::Store;
use super::segment::{self, MappedFacts};
use crate::error::ReadError;
use engram_core::internal::incremental::table::FactMeta;
use std::collections::BTreeMap;

/// Where a relation's layer (what holds after inference) stood when it was marked: which
/// runs it was read from. Compared with a later mark of the same handle
/// ([`Store::keys_since`]); its oldest run's file ([`LayerMark::base_file`]) names what
/// another process can keep.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LayerMark {
    /// The layer (asserted or derived) the relation's contents were read from.
    layer: u8,
    /// The oldest run's file (`None`: no runs, or the oldest is a log record's).
    base: Option<String>,
    /// The oldest and the newest run marked ([`MappedFacts::id`]), and how many runs.
    first: u64,
    last: u64,
    runs: usize,
}

impl LayerMark {
    /// The file of the layer's oldest run, where it has one: the same file holds the same
    /// facts in every process (runs are never rewritten in place).
    pub fn base_file(&self) -> Option<&str> {
        self.base.as_deref()
    }

    /// How many runs the layer had.
    pub fn runs(&self) -> usize {
        self.runs
    }
}

impl Store {
    /// The mark of `relation`'s layer as it is now. Marks are of the committed runs, which
    /// hold what a writer's tables hold once it has committed.
    #[doc(hidden)]
    pub fn layer_mark(&mut self, relation: &str) -> Result<LayerMark, ReadError> {
        self.mark_of(relation, usize::MAX)
    }

    /// The mark of `relation`'s layer's oldest run alone: what [`Store::each_base_fact`]
    /// reads, and what [`Store::keys_since`] brings up to date.
    #[doc(hidden)]
    pub fn base_mark(&mut self, relation: &str) -> Result<LayerMark, ReadError> {
        self.mark_of(relation, 1)
    }

    /// Calls `f` with each fact of `relation`'s layer's oldest run alone (what holds after
    /// inference as of [`Store::base_mark`]), encoded, in key order.
    #[doc(hidden)]
    pub fn each_base_fact(
        &mut self,
        relation: &str,
        mut f: impl FnMut(&[u64], FactMeta),
    ) -> Result<(), ReadError> {
        self.plan()?;
        let Some((i, layer)) = self.layer_of(relation, false) else {
            return Ok(());
        };
        let arity = self.files.rels[i].types.len();
        let runs = self.runs_of(i, layer);
        Ok(segment::for_each_in_layer(
            &runs[..runs.len().min(1)],
            arity,
            &mut f,
        )?)
    }

    /// Calls `f` with each key that the runs `relation`'s layer gained after `mark` set or
    /// remove, once each, in key order; `true`. `false`, and nothing called, where the layer
    /// is not the one marked grown by runs at its end (a checkpoint rewrote it, or another
    /// layer holds the relation's contents now): what was computed at the mark must be
    /// computed again.
    #[doc(hidden)]
    pub fn keys_since(
        &mut self,
        relation: &str,
        mark: &LayerMark,
        mut f: impl FnMut(&[u64]),
    ) -> Result<bool, ReadError> {
        let now = self.layer_mark(relation)?;
        let same_start = match mark.runs {
            0 => true,
            n => {
                n <= now.runs
                    && now.layer == mark.layer
                    && now.first == mark.first
                    && self.run_id(relation, n - 1) == Some(mark.last)
            }
        };
        if !same_start {
            return Ok(false);
        }
        if now.runs == mark.runs {
            return Ok(true);
        }
        let (i, layer) = self.layer_of(relation, false).expect("marked");
        let arity = self.files.rels[i].types.len();
        let runs = self.runs_of(i, layer);
        let mut keys = BTreeMap::new();
        for run in &runs[mark.runs..] {
            run.fold_into(arity, &mut keys)?;
        }
        keys.keys().for_each(|k| f(k));
        Ok(true)
    }

    /// The mark of the first `upto` runs of `relation`'s layer (all of them at most).
    fn mark_of(&mut self, relation: &str, upto: usize) -> Result<LayerMark, ReadError> {
        self.plan()?;
        let Some((i, layer)) = self.layer_of(relation, false) else {
            return Ok(LayerMark::default());
        };
        let runs = self.runs_of(i, layer);
        let runs = &runs[..runs.len().min(upto)];
        let id = |r: Option<&MappedFacts>| r.map_or(0, MappedFacts::id);
        Ok(LayerMark {
            layer,
            base: runs.first().and_then(MappedFacts::file_name),
            first: id(runs.first()),
            last: id(runs.last()),
            runs: runs.len(),
        })
    }

    /// The committed runs of relation `i`'s `layer` (whatever table the handle holds).
    fn runs_of(&self, i: usize, layer: u8) -> &[MappedFacts] {
        self.files.rels[i].layer(layer).0
    }

    /// The id of run `at` of `relation`'s layer.
    fn run_id(&self, relation: &str, at: usize) -> Option<u64> {
        let (i, layer) = self.layer_of(relation, false)?;
        self.runs_of(i, layer).get(at).map(MappedFacts::id)
    }
}
