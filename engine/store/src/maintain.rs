//! Forgetting and compaction: `cleanup` records a forgetting policy and re-derives under it,
//! `compact` rewrites the runs and strings as few files.

use super::commit::CommitReport;
use super::error::StoreError;
use super::{ForgetPolicy, Store, now_ms};
use crate::Error;
use crate::error::WriteError;
use engram_core::Fact;
use engram_core::internal::eval::meta::Meta;
use engram_core::internal::incremental::table::Table;
use engram_core::internal::value::Value;

/// What a cleanup forgets (or would, with `dry_run`).
#[derive(Clone, Debug, PartialEq)]
pub struct CleanupReport {
    /// The policy recorded (or that would be).
    pub policy: ForgetPolicy,
    /// The derived facts that stop holding, per relation, sorted.
    pub forgotten: Vec<(String, Fact)>,
    /// The commit, unless it was a dry run.
    pub commit: Option<CommitReport>,
}

/// What a compaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactReport {
    /// Store files before.
    pub files_before: usize,
    /// Store files after.
    pub files_after: usize,
    /// Bytes of store files before.
    pub bytes_before: u64,
    /// Bytes of store files after.
    pub bytes_after: u64,
}

impl Store {
    /// Forgets derived facts weaker than `min_confidence` whose time is more than
    /// `max_age_days` before now, and records the policy so that later inference does not
    /// bring them back. With `dry_run`, only reports what would go.
    pub fn cleanup(
        &mut self,
        min_confidence: f64,
        max_age_days: f64,
        dry_run: bool,
    ) -> Result<CleanupReport, WriteError> {
        self.cleanup_at(min_confidence, max_age_days, now_ms(), dry_run)
    }

    /// [`Store::cleanup`] as if the time were `now_ms`.
    pub fn cleanup_at(
        &mut self,
        min_confidence: f64,
        max_age_days: f64,
        now_ms: i64,
        dry_run: bool,
    ) -> Result<CleanupReport, WriteError> {
        if !(min_confidence > 0.0 && min_confidence <= 1.0)
            || max_age_days.is_nan()
            || max_age_days < 0.0
        {
            return Err(StoreError::Invalid(format!(
                "cleanup needs a confidence in (0, 1] and an age of 0 days or more \
                 (got {min_confidence} and {max_age_days})"
            ))
            .into());
        }
        let policy = ForgetPolicy {
            min_confidence,
            before_ms: now_ms - (max_age_days * 86_400_000.0) as i64,
        };
        if !dry_run {
            self.begin_write()?;
        }
        let mut before: Vec<(String, Table)> = Vec::new();
        for i in self.derived_relations() {
            let name = self.files.manifest.relations[i].name.clone();
            before.push((name, self.contents(i)?.clone()));
        }
        let old_forget = self.files.manifest.forget.clone();
        self.files.manifest.forget.push(policy);
        self.cache.plan = None;
        // Rules over `now()` are evaluated at the cleanup's time.
        let fixed = self.settings.now.replace(now_ms);
        let result = if dry_run {
            let r = self.preview_contents();
            self.files.manifest.forget = old_forget;
            self.cache.plan = None;
            r.map(|after| (after, None)).map_err(WriteError::from)
        } else {
            self.infer().and_then(|report| {
                let mut after = Vec::new();
                for i in self.derived_relations() {
                    after.push(self.contents(i)?.clone());
                }
                Ok((after, Some(report)))
            })
        };
        self.settings.now = fixed;
        self.cache.plan = None;
        let (after, commit) = result?;
        self.check_damage()?;
        let mut gone = Vec::new();
        for ((name, old), new) in before.iter().zip(&after) {
            for (key, m) in old.iter() {
                if new.find(&key).is_none() {
                    gone.push((name.clone(), key.to_vec(), m));
                }
            }
        }
        let forgotten = self.decode_facts(gone)?;
        Ok(CleanupReport {
            policy,
            forgotten,
            commit,
        })
    }

    /// The relations rules derive, by index.
    pub(crate) fn derived_relations(&self) -> Vec<usize> {
        (0..self.files.rels.len())
            .filter(|&i| self.files.manifest.relations[i].derived_layer)
            .collect()
    }

    /// The contents inference would give now, per derived-layer relation, without writing.
    pub(crate) fn preview_contents(&mut self) -> Result<Vec<Table>, Error> {
        let plan = self.plan()?;
        self.sync_relations(&plan);
        self.drop_view();
        Ok(self.infer_tables(&plan)?.into_iter().flatten().collect())
    }

    /// Merges every layer's runs into one sorted run without removals, and the string runs
    /// into one; readers keep the files they have open until they refresh.
    pub fn compact(&mut self) -> Result<CompactReport, WriteError> {
        self.begin_write()?;
        let before = self.stats()?;
        self.rewrite_all()?;
        let after = self.stats()?;
        Ok(CompactReport {
            files_before: before.files,
            files_after: after.files,
            bytes_before: before.bytes_on_disk,
            bytes_after: after.bytes_on_disk,
        })
    }

    /// Decodes (relation, key, metadata) triples into facts, sorted.
    pub(crate) fn decode_facts(
        &mut self,
        facts: Vec<(
            String,
            Vec<u64>,
            engram_core::internal::incremental::table::FactMeta,
        )>,
    ) -> Result<Vec<(String, Fact)>, Error> {
        let plan = self.plan()?;
        let db = self.view_with(&[])?;
        let mut out: Vec<(String, Fact)> = facts
            .into_iter()
            .map(|(name, key, m)| {
                let id = plan.rel_index[&name];
                let values: Vec<Value> = key
                    .iter()
                    .zip(&plan.relations[id].columns)
                    .map(|(&v, (_, t))| engram_core::internal::value::decode(*t, v, db.interner()))
                    .collect();
                let origin = db.origin(Meta {
                    conf: m.conf,
                    depth: m.depth,
                    rule: m.rule,
                    time: m.time,
                });
                (
                    name,
                    Fact {
                        values,
                        confidence: m.conf,
                        depth: m.depth,
                        origin,
                        time: m.time,
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| engram_core::internal::value::compare_rows(&a.1.values, &b.1.values))
        });
        Ok(out)
    }
}
