//! Reading a store: queries, proofs, facts, statistics; and the maintenance that rewrites it
//! (forgetting by policy, compaction).

use super::Store;
use crate::Error;
use crate::error::{ReadError, StoreError};
use crate::{ASSERTED, DERIVED};
use engram_core::Proof;
use engram_core::RelationInfo;
use engram_core::Violation;
use engram_core::WhyNot;
use engram_core::internal::eval::emit::emit_head;
use engram_core::internal::eval::expr::Cx;
use engram_core::internal::eval::meta::Meta;
use engram_core::internal::eval::query::Answers;
use engram_core::internal::eval::solve::{self as solver, Fact as _};
use engram_core::internal::eval::{Mode, Rows};
use engram_core::internal::incremental::table::Table;
use engram_core::internal::plan::ir::{AtomArg, IrQuery, RelId};
use engram_core::internal::plan::order::compile_nested;
use engram_core::{Database, Fact, QueryAnswer, RelationView};

/// The evaluation mode of a store: confidence, depth, rule and time on every fact.
pub(crate) const STORE_MODE: Mode = Mode {
    meta: true,
    time: true,
    best_first: false,
};

/// Facts and bytes of one relation.
#[derive(Clone, Debug, PartialEq)]
pub struct RelationStats {
    /// The relation.
    pub name: String,
    /// Facts that hold (asserted or derived).
    pub facts: usize,
    /// Facts asserted.
    pub asserted: usize,
    /// Facts that hold by a rule (not as asserted).
    pub derived: usize,
    /// Runs on disk (asserted and derived layers).
    pub runs: usize,
    /// Bytes of those runs and their orders files.
    pub bytes: u64,
}

/// A store's size.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreStats {
    /// Commits made.
    pub generation: u64,
    /// Per relation, in the order they appeared.
    pub relations: Vec<RelationStats>,
    /// Facts that hold.
    pub facts: usize,
    /// Facts asserted.
    pub asserted: usize,
    /// Facts that hold by a rule.
    pub derived: usize,
    /// Interned strings.
    pub strings: usize,
    /// Files in the store's directory: runs of strings and facts, the indexes beside them,
    /// rule files, the commit log, the manifest, the lock, readers' caches.
    pub files: usize,
    /// Bytes of those files (what `du --apparent-size` counts).
    pub bytes_on_disk: u64,
    /// Bytes of fact runs per fact that holds (strings excluded).
    pub bytes_per_fact: f64,
    /// Bytes of string runs.
    pub string_bytes: u64,
    /// Bytes this handle holds in memory for the facts it has loaded (mapped files excluded).
    pub memory_bytes: u64,
}

impl StoreStats {
    /// The figures as JSON, as `engram stats --json` and the MCP `stats` tool give them.
    pub fn to_json(&self) -> serde_json::Value {
        let rels: Vec<serde_json::Value> = (self.relations.iter())
            .map(|r| {
                serde_json::json!({
                    "relation": r.name, "facts": r.facts, "asserted": r.asserted,
                    "derived": r.derived, "runs": r.runs, "bytes": r.bytes,
                })
            })
            .collect();
        serde_json::json!({
            "generation": self.generation, "facts": self.facts, "asserted": self.asserted,
            "derived": self.derived, "strings": self.strings, "string_bytes": self.string_bytes,
            "files": self.files, "bytes_on_disk": self.bytes_on_disk,
            // One decimal: what tells sizes apart (not a float's seventeen digits).
            "bytes_per_fact": (self.bytes_per_fact * 10.0).round() / 10.0, "relations": rels,
        })
    }
}

impl Store {
    /// The store's facts as a database for queries and proofs, with (at least) the relations
    /// `need` loaded. Built once per committed state; a relation is loaded on first need.
    pub(crate) fn view_with(&mut self, need: &[RelId]) -> Result<&mut Database, Error> {
        let plan = self.plan()?;
        if self.cache.view.is_none() {
            let rows: Vec<Option<Rows>> = plan
                .relations
                .iter()
                .map(|r| Some(Rows::empty(r.arity(), STORE_MODE)))
                .collect();
            let interner = std::mem::take(self.files.strings.interner());
            self.cache.view = Some(Database::new(
                plan.clone(),
                rows,
                Vec::new(),
                interner,
                STORE_MODE,
            ));
            self.cache.loaded = vec![false; plan.relations.len()];
        }
        // With merges, every query and proof reads through the identity's classes.
        for &id in need.iter().chain(&plan.merge) {
            if self.cache.loaded[id] {
                continue;
            }
            self.cache.loaded[id] = true;
            let Some(i) = self.rel_index(&plan.relations[id].name) else {
                continue;
            };
            let rows = self.rows_of(i)?;
            self.cache
                .view
                .as_mut()
                .expect("built above")
                .set_rows(id, rows);
        }
        Ok(self.cache.view.as_mut().expect("built above"))
    }

    /// Relation `i`'s contents as evaluation rows: merged straight from its sorted runs, or
    /// from its table when this handle holds one (a writer's).
    pub(crate) fn rows_of(&mut self, i: usize) -> Result<Rows, StoreError> {
        let rel = &self.files.rels[i];
        let (runs, table) = rel.layer(self.contents_layer(i));
        match table {
            Some(t) => Ok(rows_of(t)),
            None => super::segment::layer_rows(runs, rel.types.len(), STORE_MODE),
        }
    }

    /// Answers `?-` queries (one or more in `text`) over everything the store holds.
    pub fn query(&mut self, text: &str) -> Result<Vec<QueryAnswer>, ReadError> {
        let mut out = Vec::new();
        self.query_each(text, |answers| {
            out.push(answers.collect());
            Ok::<(), Error>(())
        })?;
        Ok(out)
    }

    /// [`Store::query`] for answers too many to hold decoded: each query's answers go to `f`
    /// sorted, to be decoded one at a time ([`engram_core::Answers::iter`]) and written as they
    /// come (`engram query` streams them so). Stops at `f`'s first error.
    pub fn query_each<E: From<ReadError>>(
        &mut self,
        text: &str,
        mut f: impl FnMut(&engram_core::Answers<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let queries = (self
            .view_with(&[])
            .map_err(ReadError::from)?
            .plan_queries(text))
        .map_err(ReadError::from)?;
        for q in &queries {
            let answers = match self.probe_runs(q).map_err(ReadError::from)? {
                Some(a) => a,
                None => {
                    let (rows, interner) = (self.view_with(&q.rule.reads()))
                        .map_err(ReadError::from)?
                        .rows_and_interner();
                    // A store's programs have no user-defined functors.
                    engram_core::internal::eval::query::answer_query(q, rows, interner, &[])
                        .map_err(|e| ReadError::from(engram_core::Error::from(e)))?
                }
            };
            let db = self.view_with(&[]).map_err(ReadError::from)?;
            f(&engram_core::Answers::new(db, q, answers))?;
        }
        Ok(())
    }

    /// Answers a one-atom query whose constants are the relation's leading columns straight
    /// from the mapped runs, by binary search: no rows copied, no table built. `None` when the
    /// query is not of that shape, or this handle holds the relation in a table.
    pub(crate) fn probe_runs(
        &mut self,
        q: &IrQuery,
    ) -> Result<Option<Vec<engram_core::internal::eval::query::Answer>>, StoreError> {
        let rule = &q.rule;
        let [atom] = rule.atoms.as_slice() else {
            return Ok(None);
        };
        if !engram_core::internal::incremental::solve::is_positive(rule) {
            return Ok(None);
        }
        let Some(plan) = self.cache.plan.clone() else {
            return Ok(None);
        };
        let Some(i) = self.rel_index(&plan.relations[atom.rel].name) else {
            return Ok(None);
        };
        let rel = &self.files.rels[i];
        let (runs, table) = rel.layer(self.contents_layer(i));
        if table.is_some() {
            return Ok(None);
        }
        let prefix: Vec<u64> = atom
            .args
            .iter()
            .map_while(|a| match a {
                AtomArg::Const(c) => Some(*c),
                _ => None,
            })
            .collect();
        // The oldest run searched by binary search, the newer runs (a log's, a few folds)
        // folded together on top.
        let hits = super::segment::layer_matches(
            runs,
            rel.types.len(),
            |base| Ok(base.prefix_range(&prefix)?.collect()),
            |key| key.starts_with(&prefix),
        )?;
        let n = rule.var_names.len();
        let nest = solver::compile(
            &compile_nested(&rule.atoms, &rule.constraints, n, &[]),
            &[],
            n,
        );
        let Some(db) = self.cache.view.as_mut() else {
            return Ok(None);
        };
        let mut caches = engram_core::internal::eval::completed::Caches::default();
        let mut cx = Cx {
            interner: db.interner_mut(),
            done: &[],
            caches: &mut caches,
            tables: None,
            stop: false,
            // The answers of one lookup: a few comparisons.
            few: true,
        };
        let mut answers = Answers::default();
        let mut env = vec![0u64; n];
        let given = engram_core::internal::incremental::solve::Given(&hits);
        solver::solve(&nest, &given, &mut env, &mut cx, &mut |env, facts, cx| {
            let mut row = Vec::new();
            if !emit_head(&rule.head_args, env, cx, &mut row) {
                return;
            }
            if rule.head_args.is_empty() {
                row.clear();
            }
            answers.add(row, &facts.iter().map(|f| f.meta()).collect::<Vec<_>>());
        });
        Ok(Some(answers.finish()))
    }

    /// The proof of a fact written as Datalog (`path("a", "c")`), or `None` if it does not
    /// hold.
    pub fn explain(&mut self, fact: &str) -> Result<Option<Proof>, ReadError> {
        let plan = self.plan()?;
        let (name, _) = self.view_with(&[])?.parse_fact(fact)?;
        let need = plan.depends(plan.rel_index[&name]);
        Ok(self.proof_view(&plan, &need)?.explain_text(fact)?)
    }

    /// Why a fact written as Datalog does not hold: per rule that could derive it, the first
    /// body literal nothing satisfies, the negation that blocks it, or the bound (depth,
    /// confidence, forgetting policy) that cut it; its proof when it holds after all.
    pub fn why_not(&mut self, fact: &str) -> Result<WhyNot, ReadError> {
        let plan = self.plan()?;
        let (name, _) = self.view_with(&[])?.parse_fact(fact)?;
        let need = plan.depends(plan.rel_index[&name]);
        Ok(self.proof_view(&plan, &need)?.why_not_text(fact)?)
    }

    /// The violations of the integrity constraints (of one, when `constraint` names it), each
    /// with its proof.
    pub fn violations(&mut self, constraint: Option<&str>) -> Result<Vec<Violation>, ReadError> {
        let plan = self.plan()?;
        let mut need = Vec::new();
        for (id, decl) in plan.relations.iter().enumerate() {
            if decl.constraint.is_some() {
                need.extend(plan.depends(id));
            }
        }
        Ok(self.proof_view(&plan, &need)?.violations(constraint))
    }

    /// The view with `need` loaded, ready for proofs (with merges, knowing what they rewrote).
    pub(crate) fn proof_view(
        &mut self,
        plan: &engram_core::internal::plan::ir::Plan,
        need: &[RelId],
    ) -> Result<&mut Database, Error> {
        self.view_with(need)?;
        if let Some(m) = plan.merge {
            let rewritten = self.rewritten(plan, m)?;
            self.view_with(&[])?.set_rewritten(rewritten);
        }
        self.view_with(need)
    }

    /// With merges: which asserted facts the merge rewrote into which (a store keeps the
    /// asserted facts as they were written), for proofs.
    pub(crate) fn rewritten(
        &mut self,
        plan: &engram_core::internal::plan::ir::Plan,
        merge: RelId,
    ) -> Result<engram_core::internal::eval::merge::Rewritten, Error> {
        let classes = self.view_with(&[merge])?.classes(merge);
        let mut out = engram_core::internal::eval::merge::Rewritten::new();
        for i in 0..self.files.rels.len() {
            let Some(&id) = plan.rel_index.get(&self.files.manifest.relations[i].name) else {
                continue;
            };
            if id == merge {
                continue;
            }
            let types = plan.relations[id].types();
            for (key, m) in self.asserted(i)?.iter() {
                if let Some((canon, _)) =
                    engram_core::internal::eval::merge::canonical_row(&key, &types, &classes)
                {
                    out.entry((id, canon)).or_default().push((
                        key.to_vec(),
                        engram_core::internal::incremental::solve::to_meta(&m),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// A relation's facts with their metadata, sorted by value (`None` if there is no such
    /// relation).
    pub fn facts(&mut self, relation: &str) -> Result<Option<Vec<Fact>>, ReadError> {
        self.facts_in_order(relation, true)
    }

    /// A relation of the store, to read without decoding it whole
    /// ([`RelationView::sorted`]); `None` if there is no such relation.
    pub fn relation(&mut self, name: &str) -> Result<Option<RelationView<'_>>, ReadError> {
        let plan = self.plan()?;
        let Some(&id) = plan.rel_index.get(name) else {
            return Ok(None);
        };
        Ok(self.view_with(&[id])?.relation(name))
    }

    /// [`Store::facts`], sorted by value or in no particular order (faster).
    #[doc(hidden)]
    pub fn facts_in_order(
        &mut self,
        relation: &str,
        sorted: bool,
    ) -> Result<Option<Vec<Fact>>, ReadError> {
        let r = self.relation(relation)?;
        Ok(r.map(|r| match sorted {
            true => r.sorted_facts(),
            false => r.facts().collect(),
        }))
    }

    /// The facts of `relation` as they were asserted (as written, before a merge rewrote
    /// them, and replaced ones included), sorted by value, each with its confidence and time.
    pub fn asserted_facts(&mut self, relation: &str) -> Result<Vec<Fact>, ReadError> {
        self.asserted_in_order(relation, true)
    }

    /// [`Store::asserted_facts`], sorted by value or in no particular order (faster).
    #[doc(hidden)]
    pub fn asserted_in_order(
        &mut self,
        relation: &str,
        sorted: bool,
    ) -> Result<Vec<Fact>, ReadError> {
        let Some(i) = self.rel_index(relation) else {
            return Ok(Vec::new());
        };
        let rel = &self.files.rels[i];
        let types = rel.types.clone();
        let rows = match rel.layer(ASSERTED).1 {
            Some(t) => rows_of(t),
            None => super::segment::layer_rows(&rel.asserted_runs, types.len(), STORE_MODE)?,
        };
        let interner = self.view_with(&[])?.interner();
        let order = match sorted {
            true => engram_core::internal::output::sorted_order(&rows, &types, interner),
            false => (0..rows.len()).collect(),
        };
        Ok(order
            .into_iter()
            .map(|r| {
                let m = rows.meta(r);
                Fact {
                    values: rows
                        .row(r)
                        .iter()
                        .zip(&types)
                        .map(|(&v, &ty)| engram_core::internal::value::decode(ty, v, interner))
                        .collect(),
                    confidence: m.conf,
                    depth: 0,
                    origin: engram_core::Origin::Asserted,
                    time: m.time,
                }
            })
            .collect())
    }

    /// The facts of functional relation `relation` that newer ones replaced, each with the
    /// fact that replaced it (see [`Database::superseded`]).
    pub fn superseded(
        &mut self,
        relation: &str,
    ) -> Result<Vec<engram_core::Superseded>, ReadError> {
        let plan = self.plan()?;
        let Some(&id) = plan.rel_index.get(relation) else {
            return Ok(Vec::new());
        };
        let need: Vec<RelId> = [Some(id), plan.relations[id].superseded]
            .into_iter()
            .flatten()
            .collect();
        Ok(self.view_with(&need)?.superseded(relation))
    }

    /// The fact that replaced a fact written as Datalog, when a newer one with the same key
    /// did (see [`Database::superseded_by`]).
    pub fn superseded_by(&mut self, fact: &str) -> Result<Option<Fact>, ReadError> {
        let plan = self.plan()?;
        let (name, _) = self.view_with(&[])?.parse_fact(fact)?;
        let id = plan.rel_index[&name];
        let need: Vec<RelId> = [Some(id), plan.relations[id].superseded]
            .into_iter()
            .flatten()
            .collect();
        Ok(self.view_with(&need)?.superseded_by_text(fact)?)
    }

    /// The store's facts as a [`Database`] with the named relations loaded (those the store
    /// does not hold are empty).
    pub fn database_with(&mut self, relations: &[&str]) -> Result<&mut Database, ReadError> {
        let plan = self.plan()?;
        let ids: Vec<RelId> = relations
            .iter()
            .filter_map(|r| plan.rel_index.get(*r).copied())
            .collect();
        Ok(self.view_with(&ids)?)
    }

    /// The time `now()` stands for in this store: as fixed with [`Store::set_now`], else as of
    /// the last full inference, else the current time.
    pub fn evaluation_time(&self) -> i64 {
        self.now()
    }

    /// The relations the store holds or its rules declare.
    pub fn relations(&mut self) -> Result<Vec<RelationInfo>, ReadError> {
        let plan = self.plan()?;
        Ok(engram_core::internal::program::relation_infos(&plan))
    }

    /// Relation `i`'s asserted facts, and the facts that hold with how many a rule derived:
    /// from its tables when this handle holds them, else from its runs (nothing loaded).
    pub(crate) fn counts(&self, i: usize) -> Result<(usize, (usize, usize)), StoreError> {
        let rel = &self.files.rels[i];
        let arity = rel.types.len();
        let of_table = |t: &Table| (t.len(), t.iter().filter(|(_, m)| m.rule != 0).count());
        let asserted = match rel.layer(ASSERTED).1 {
            Some(t) => t.len(),
            None => super::segment::layer_counts(&rel.asserted_runs, arity)?.0,
        };
        if !self.files.manifest.relations[i].derived_layer {
            return Ok((asserted, (asserted, 0)));
        }
        let contents = match rel.layer(DERIVED).1 {
            Some(t) => of_table(t),
            None => super::segment::layer_counts(&rel.derived_runs, arity)?,
        };
        Ok((asserted, contents))
    }

    /// Facts, files and bytes.
    pub fn stats(&mut self) -> Result<StoreStats, ReadError> {
        let mut relations = Vec::new();
        let mut orders_files = 0;
        for i in 0..self.files.rels.len() {
            let (asserted, (facts, derived)) = self.counts(i)?;
            let rel = &self.files.rels[i];
            let runs = rel.asserted_runs.iter().chain(&rel.derived_runs);
            // A run's bytes and its orders file's.
            let mut bytes = 0;
            for run in runs {
                bytes += run.file_len() as u64;
                let orders = run.file_name().map(|f| super::segment::orders_file(&f));
                if let Some(len) = orders.and_then(|o| self.files.storage.len(&o).ok()) {
                    bytes += len;
                    orders_files += 1;
                }
            }
            relations.push(RelationStats {
                name: self.files.manifest.relations[i].name.clone(),
                facts,
                asserted,
                derived,
                runs: rel.asserted_runs.len() + rel.derived_runs.len(),
                bytes,
            });
        }
        let (string_runs, string_bytes) = self.files.strings.disk();
        let rule_bytes: u64 = (self.files.manifest.rules.iter())
            .filter_map(|r| self.files.storage.len(&r.file).ok())
            .sum();
        let fact_bytes: u64 = relations.iter().map(|r| r.bytes).sum();
        let facts: usize = relations.iter().map(|r| r.facts).sum();
        // Every file of the store's directory, as `du` counts them (the commit log, the
        // manifest, the indexes beside the runs and readers' caches too).
        let (files, bytes_on_disk) = match self.files.storage.list() {
            Ok(names) => (
                names.len(),
                (names.iter())
                    .filter_map(|n| self.files.storage.len(n).ok())
                    .sum(),
            ),
            Err(_) => (
                string_runs
                    + self.files.manifest.rules.len()
                    + relations.iter().map(|r| r.runs).sum::<usize>()
                    + orders_files,
                fact_bytes + string_bytes as u64 + rule_bytes,
            ),
        };
        Ok(StoreStats {
            generation: self.generation(),
            facts,
            asserted: relations.iter().map(|r| r.asserted).sum(),
            derived: relations.iter().map(|r| r.derived).sum(),
            strings: self.files.strings.committed() as usize,
            files,
            bytes_on_disk,
            bytes_per_fact: if facts == 0 {
                0.0
            } else {
                fact_bytes as f64 / facts as f64
            },
            string_bytes: string_bytes as u64,
            memory_bytes: self
                .files
                .rels
                .iter()
                .flat_map(|r| r.asserted.iter().chain(&r.derived))
                .map(|t| t.heap_bytes() as u64)
                .sum(),
            relations,
        })
    }
}

/// A table as evaluation rows: sorted by key, with store metadata cells.
fn rows_of(t: &Table) -> Rows {
    let arity = t.arity();
    let mut rows = Rows::empty(arity, STORE_MODE);
    for r in t.sorted() {
        let r = r as usize;
        if arity == 0 {
            rows.data.push(0);
        } else {
            rows.data.extend_from_slice(&t.key(r));
        }
        let m = t.meta(r);
        Meta {
            conf: m.conf,
            depth: m.depth,
            rule: m.rule,
            time: m.time,
        }
        .push(&mut rows.data, true, true);
    }
    rows
}
