//! The result of an evaluation: every relation's facts with their confidence, depth and origin,
//! and every query's answers, typed.

use crate::eval::classes::Classes;
use crate::eval::completed::Caches;
use crate::eval::meta::{ASSERTED, EQUIVALENCE, MERGED, Meta};
use crate::eval::query::Answer;
use crate::eval::{Mode, Rows};
use crate::plan::ir::{IrQuery, Plan, RelDecl};
use crate::value::{self, ColumnType, Interner, Value};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Every relation's facts after evaluation.
#[derive(Clone)]
pub struct Database {
    pub(crate) plan: Arc<Plan>,
    /// Every relation's facts (always `Some`; the shape evaluation reads).
    pub(crate) rows: Vec<Option<Rows>>,
    /// Per eqrel: every pair of its classes, built on first view.
    pub(crate) closures: Vec<OnceLock<Rows>>,
    /// Per eqrel: its classes, built on first need (lookups by alias, proofs, views).
    classes: Vec<OnceLock<Arc<Classes>>>,
    /// With `.merge`: the facts each rewritten fact came from.
    pub(crate) rewritten: Arc<crate::eval::merge::Rewritten>,
    queries: Vec<QueryAnswer>,
    pub(crate) interner: Interner,
    pub(crate) warnings: Vec<String>,
    pub(crate) caches: Caches,
    provenance: bool,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("relations", &self.plan.relations.len())
            .field(
                "facts",
                &self.rows.iter().flatten().map(Rows::len).sum::<usize>(),
            )
            .field("provenance", &self.provenance)
            .finish()
    }
}

/// What the crates built on this one (`engram-store`) reach into: not an API boundary.
#[doc(hidden)]
impl Database {
    /// The symbols of this database's facts.
    pub fn interner(&self) -> &Interner {
        &self.interner
    }
    /// The symbols, to intern more.
    pub fn interner_mut(&mut self) -> &mut Interner {
        &mut self.interner
    }
    /// The symbols, taking the database apart.
    pub fn into_interner(self) -> Interner {
        self.interner
    }
    /// Every relation's rows, and the symbols.
    pub fn rows_and_interner(&mut self) -> (&[Option<Rows>], &mut Interner) {
        (&self.rows, &mut self.interner)
    }
    /// Records which facts a merge rewrote, for proofs.
    pub fn set_rewritten(&mut self, rewritten: crate::eval::merge::Rewritten) {
        self.rewritten = Arc::new(rewritten);
    }
}

/// Where a fact comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Asserted: written in the program or read from input.
    Asserted,
    /// Derived; the rule of its best derivation (`@name`, or `file:line`).
    Rule(String),
    /// A query answer combined from several facts.
    Query,
    /// Evaluated without provenance tracking (see [`crate::EvalOptions`]).
    Untracked,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Asserted => f.write_str("asserted"),
            Origin::Rule(r) => f.write_str(r),
            Origin::Query => f.write_str("query"),
            Origin::Untracked => f.write_str("-"),
        }
    }
}

/// A fact (or a query answer) with its confidence, depth and origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    /// Column values.
    pub values: Vec<Value>,
    /// Confidence in (0, 1].
    pub confidence: f64,
    /// 0 for an asserted fact; 1 + the largest depth among the body facts of its shallowest
    /// derivation otherwise. For a query answer, the largest depth among the matched facts.
    pub depth: u32,
    /// Where it comes from.
    pub origin: Origin,
    /// Unix milliseconds: when it was asserted, or for a derived fact the latest time among
    /// the facts of its derivations. Tracked in a store; 0 for a program evaluated on its own.
    pub time: i64,
}

impl Fact {
    /// The fact as JSON: `{values, confidence, depth, rule, time}` (time in ISO 8601, `null`
    /// when untracked), as the CLI and the MCP server give it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "values": self.values.iter().map(Value::to_json).collect::<Vec<_>>(),
            "confidence": self.confidence,
            "depth": self.depth,
            "rule": self.origin.to_string(),
            "time": match self.time {
                0 => serde_json::Value::Null,
                ms => serde_json::json!(value::format_time(ms)),
            },
        })
    }
}

/// The answers to one `?-` query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryAnswer {
    /// The query as written.
    pub text: String,
    /// Answer column names (the query's named variables).
    pub columns: Vec<String>,
    /// Distinct answers, sorted by value. An answer's confidence is the best, over the
    /// bindings that give it, of the product of the matched facts' confidences.
    pub answers: Vec<Fact>,
}

/// One relation of a [`Database`].
#[derive(Clone, Copy)]
pub struct RelationView<'a> {
    decl: &'a RelDecl,
    index: usize,
    db: &'a Database,
}

impl<'a> RelationView<'a> {
    /// The relation's name.
    pub fn name(&self) -> &'a str {
        &self.decl.name
    }
    /// Column names and types.
    pub fn columns(&self) -> &'a [(String, ColumnType)] {
        &self.decl.columns
    }
    /// Number of facts (for an eqrel, counted from its classes without listing its pairs).
    pub fn len(&self) -> usize {
        match self.db.closures[self.index].get() {
            None if self.decl.eqrel => self.db.classes(self.index).pair_count(),
            _ => self.stored().len(),
        }
    }
    /// Whether it has no facts.
    pub fn is_empty(&self) -> bool {
        self.db.rows[self.index].as_ref().is_none_or(Rows::is_empty)
    }
    /// The rows behind the view: an eqrel's pairs are listed on first use.
    fn stored(&self) -> &'a Rows {
        let db = self.db;
        let rows = db.rows[self.index]
            .as_ref()
            .expect("every relation has rows");
        if self.decl.eqrel {
            db.closures[self.index].get_or_init(|| db.classes(self.index).pairs(rows.mode()))
        } else {
            rows
        }
    }
    /// Whether the relation holds the given row.
    pub fn contains(&self, row: &[Value]) -> bool {
        self.get(row).is_some()
    }
    /// The fact with these values, if it holds.
    pub fn get(&self, row: &[Value]) -> Option<Fact> {
        let enc = self.db.encode_row(self.decl, row)?;
        let enc = self.db.canonical_row(self.index, enc);
        self.stored().find(&enc).map(|i| self.fact(i))
    }
    /// The rows, decoded, in storage order.
    pub fn rows(&self) -> impl Iterator<Item = Vec<Value>> + 'a {
        let view = *self;
        (0..self.stored().len()).map(move |i| view.values(i))
    }
    /// The facts whose value in one of `columns` is one of `values`, in storage order (a
    /// value the relation has never held matches nothing). Only those are decoded.
    pub fn facts_with(&self, columns: &[usize], values: &[Value]) -> Vec<Fact> {
        let types = self.decl.types();
        let wanted: Vec<(usize, rustc_hash::FxHashSet<u64>)> = (columns.iter())
            .filter(|&&c| c < types.len())
            .map(|&c| {
                let ids = (values.iter())
                    .filter_map(|v| value::encode_existing(types[c], v, &self.db.interner))
                    .collect();
                (c, ids)
            })
            .collect();
        let rows = self.stored();
        (0..rows.len())
            .filter(|&i| {
                let row = rows.row(i);
                wanted.iter().any(|(c, ids)| ids.contains(&row[*c]))
            })
            .map(|i| self.fact(i))
            .collect()
    }
    /// The facts with their confidence, depth and origin, in storage order.
    pub fn facts(&self) -> impl Iterator<Item = Fact> + 'a {
        let view = *self;
        (0..self.stored().len()).map(move |i| view.fact(i))
    }
    /// The facts sorted by value (numbers numerically, symbols by text), as in output files.
    pub fn sorted_facts(&self) -> Vec<Fact> {
        self.sorted().collect()
    }
    /// [`RelationView::sorted_facts`] decoded one at a time, for relations too big to hold
    /// decoded (the order is computed once, on encoded values).
    pub fn sorted(&self) -> impl Iterator<Item = Fact> + use<'a> {
        let view = *self;
        self.sorted_positions()
            .into_iter()
            .map(move |i| view.fact(i))
    }
    /// The storage positions of the facts in value order (the order of
    /// [`RelationView::sorted`]), for a caller that decodes them one at a time with
    /// [`RelationView::fact_at`] (the Python package's lazy iteration).
    pub fn sorted_positions(&self) -> Vec<usize> {
        let types = self.decl.types();
        crate::output::sorted_order(self.stored(), &types, &self.db.interner)
    }
    /// The fact at a storage position, if the relation has that many.
    pub fn fact_at(&self, i: usize) -> Option<Fact> {
        (i < self.stored().len()).then(|| self.fact(i))
    }
    /// The rows rendered as text (Soufflé's formatting), sorted by value.
    pub fn sorted_text_rows(&self) -> Vec<Vec<String>> {
        let types = self.decl.types();
        let rows = self.stored();
        crate::output::sorted_order(rows, &types, &self.db.interner)
            .into_iter()
            .map(|i| {
                rows.row(i)
                    .iter()
                    .zip(&types)
                    .map(|(&v, &ty)| value::render(ty, v, &self.db.interner))
                    .collect()
            })
            .collect()
    }

    fn values(&self, i: usize) -> Vec<Value> {
        self.stored()
            .row(i)
            .iter()
            .zip(&self.decl.columns)
            .map(|(&v, (_, ty))| value::decode(*ty, v, &self.db.interner))
            .collect()
    }

    pub(crate) fn fact(&self, i: usize) -> Fact {
        let m = self.stored().meta(i);
        Fact {
            values: self.values(i),
            confidence: m.conf,
            depth: m.depth,
            origin: self.db.origin(m),
            time: m.time,
        }
    }

    pub(crate) fn decl_and_interner(&self) -> (&'a RelDecl, &'a Interner) {
        (self.decl, &self.db.interner)
    }

    /// The index of the row with these encoded values, if it holds.
    pub(crate) fn find(&self, row: &[u64]) -> Option<usize> {
        self.stored().find(row)
    }

    #[doc(hidden)]
    pub fn raw(&self) -> (&'a RelDecl, &'a Rows, &'a Interner) {
        (self.decl, self.stored(), &self.db.interner)
    }
}

impl Database {
    /// A database of evaluated rows (for `engram-store`, not an API boundary).
    #[doc(hidden)]
    pub fn new(
        plan: Arc<Plan>,
        done: Vec<Option<Rows>>,
        answers: Vec<Vec<Answer>>,
        interner: Interner,
        mode: Mode,
    ) -> Self {
        let provenance = mode.meta;
        let caches = Caches::with_functors(&plan.functors);
        let rows: Vec<Option<Rows>> = done
            .into_iter()
            .zip(&plan.relations)
            .map(|(r, d)| Some(r.unwrap_or_else(|| Rows::empty(d.arity(), mode))))
            .collect();
        let mut db = Database {
            closures: vec![OnceLock::new(); plan.relations.len()],
            classes: vec![OnceLock::new(); plan.relations.len()],
            rewritten: Default::default(),
            plan,
            rows,
            queries: Vec::new(),
            interner,
            warnings: Vec::new(),
            caches,
            provenance,
        };
        let plan = db.plan.clone();
        db.queries = plan
            .queries
            .iter()
            .zip(answers)
            .map(|(q, answers)| db.query_answer(q, answers))
            .collect();
        db
    }

    /// Typed answers of a query, sorted by value.
    pub(crate) fn query_answer(&self, q: &IrQuery, answers: Vec<Answer>) -> QueryAnswer {
        crate::Answers::new(self, q, answers).collect()
    }

    /// Answers `?-` queries written in `text` (one or more) over this database's facts.
    ///
    /// ```
    /// use engram_core::Program;
    ///
    /// let program = Program::compile(
    ///     ".decl e(x: number, y: number)\n e(1, 2). e(2, 3).",
    ///     "e.dl",
    /// )?;
    /// let mut db = program.evaluate(&Default::default())?;
    /// let answers = db.ask("?- e(1, y).")?;
    /// assert_eq!(answers[0].answers.len(), 1);
    /// # Ok::<(), engram_core::Error>(())
    /// ```
    pub fn ask(&mut self, text: &str) -> Result<Vec<QueryAnswer>, crate::Error> {
        let queries = self.plan_queries(text)?;
        self.answer_queries(&queries)
    }

    /// [`Database::ask`] for answers too many to hold decoded: each query's answers go to `f`
    /// sorted, to be decoded one at a time ([`crate::Answers::iter`]) and written as they
    /// come. Stops at `f`'s first error.
    ///
    /// ```
    /// use engram_core::Program;
    ///
    /// let program = Program::compile(".decl e(x: number)\n e(2). e(1).", "e.dl")?;
    /// let mut db = program.evaluate(&Default::default())?;
    /// let mut seen = Vec::new();
    /// db.ask_each("?- e(x).", |answers| {
    ///     seen.extend(answers.iter().map(|f| f.values[0].to_string()));
    ///     Ok::<(), engram_core::Error>(())
    /// })?;
    /// assert_eq!(seen, ["1", "2"]);
    /// # Ok::<(), engram_core::Error>(())
    /// ```
    pub fn ask_each<E: From<crate::Error>>(
        &mut self,
        text: &str,
        mut f: impl FnMut(&crate::Answers<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        for q in &self.plan_queries(text)? {
            let functors = &self.plan.functors;
            let answers =
                crate::eval::query::answer_query(q, &self.rows, &mut self.interner, functors)
                    .map_err(crate::Error::from)?;
            f(&crate::Answers::new(self, q, answers))?;
        }
        Ok(())
    }

    /// Plans the `?-` queries written in `text` against this database's program.
    pub fn plan_queries(&mut self, text: &str) -> Result<Vec<IrQuery>, crate::Error> {
        let ast = engram_parser::parse(text, "<query>")?;
        let mut plan = Plan::clone(&self.plan);
        plan.interner = std::mem::take(&mut self.interner);
        let planned = crate::plan::plan_queries(&mut plan, &ast, text);
        self.interner = std::mem::take(&mut plan.interner);
        let mut planned =
            planned.map_err(|errors| crate::PlanErrors::of_file("<query>", text, errors))?;
        // `now()` in a query is the time the facts were evaluated at.
        if self.plan.uses_time || self.plan.now.is_some() {
            let now = self.plan.now.unwrap_or_else(crate::value::now_ms);
            for q in &mut planned {
                q.rule.fix_now(now);
            }
        }
        // With merges, a query asks about an alias's entity.
        if let Some(m) = self.plan.merge {
            let classes = self.classes(m);
            let types: Vec<_> = self.plan.relations.iter().map(|d| d.types()).collect();
            for q in &mut planned {
                crate::eval::merge::canonical_rule(&mut q.rule, &types, &classes);
            }
        }
        Ok(planned)
    }

    /// Answers planned queries.
    pub(crate) fn answer_queries(
        &mut self,
        queries: &[IrQuery],
    ) -> Result<Vec<QueryAnswer>, crate::Error> {
        let plan = self.plan.clone();
        (queries.iter())
            .map(|q| {
                let answers = crate::eval::query::answer_query(
                    q,
                    &self.rows,
                    &mut self.interner,
                    &plan.functors,
                )?;
                Ok(self.query_answer(q, answers))
            })
            .collect()
    }

    /// Where a fact with this metadata comes from (not an API boundary).
    #[doc(hidden)]
    pub fn origin(&self, m: Meta) -> Origin {
        if !self.provenance {
            Origin::Untracked
        } else if m.rule == ASSERTED {
            Origin::Asserted
        } else if m.rule == EQUIVALENCE {
            Origin::Rule("eqrel".into())
        } else if m.rule == MERGED {
            Origin::Rule("merge".into())
        } else {
            match self.plan.rules.get(m.rule as usize - 1) {
                Some(rule) => Origin::Rule(rule.label().to_string()),
                // Only a damaged store run names a rule the program does not have (a rule
                // change re-derives every fact): say so, never a wrong rule.
                None => Origin::Rule(format!("unknown rule {}", m.rule)),
            }
        }
    }

    pub(crate) fn encode_row(&self, decl: &RelDecl, row: &[Value]) -> Option<Vec<u64>> {
        if row.len() != decl.arity() {
            return None;
        }
        let mut enc: Vec<u64> = row
            .iter()
            .zip(&decl.columns)
            .map(|(v, (_, ty))| value::encode_existing(*ty, v, &self.interner))
            .collect::<Option<_>>()?;
        if enc.is_empty() {
            enc.push(0);
        }
        Some(enc)
    }

    /// Whether facts carry tracked confidence, depth and origin (see [`crate::EvalOptions`]);
    /// without tracking every fact reads as confidence 1, depth 0, origin
    /// [`Origin::Untracked`].
    pub fn provenance(&self) -> bool {
        self.provenance
    }

    /// Things worth telling the user that did not stop evaluation (such as a missing input file).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A relation by name. An eqrel's view holds every pair of its classes.
    pub fn relation(&self, name: &str) -> Option<RelationView<'_>> {
        let &i = self.plan.rel_index.get(name)?;
        Some(self.view(i))
    }

    pub(crate) fn view(&self, i: usize) -> RelationView<'_> {
        RelationView {
            decl: &self.plan.relations[i],
            index: i,
            db: self,
        }
    }

    /// The classes of eqrel `i`, from its pairs (built once).
    pub fn classes(&self, i: usize) -> Arc<Classes> {
        self.classes[i]
            .get_or_init(|| {
                let rows = self.rows[i].as_ref().expect("every relation has rows");
                Arc::new(Classes::build(
                    rows,
                    self.plan.relations[i].columns[0].1,
                    &self.interner,
                ))
            })
            .clone()
    }

    /// `row` of relation `rel` with its symbols read through the merge's classes (as it is
    /// without `.merge`, and for the merge relation itself).
    pub(crate) fn canonical_row(&self, rel: usize, row: Vec<u64>) -> Vec<u64> {
        match self.plan.merge {
            Some(m) if m != rel && !self.plan.relations[rel].hidden() => {
                let types = self.plan.relations[rel].types();
                crate::eval::merge::canonical_row(&row, &types, &self.classes(m))
                    .map_or(row, |(canon, _)| canon)
            }
            _ => row,
        }
    }

    /// Replaces relation `i`'s facts (a store's view loads relations as queries need them).
    pub fn set_rows(&mut self, i: usize, rows: Rows) {
        self.rows[i] = Some(rows);
        self.caches.forget(i);
        self.closures[i] = OnceLock::new();
        self.classes[i] = OnceLock::new();
    }

    /// All relations users declared, in declaration order (engram's own bookkeeping, such as
    /// an eqrel's classes, is left out).
    pub fn relations(&self) -> impl Iterator<Item = RelationView<'_>> {
        (0..self.plan.relations.len())
            .filter(|&i| !self.plan.relations[i].hidden())
            .map(|i| self.view(i))
    }

    /// The answers of the program's queries, in source order.
    pub fn queries(&self) -> &[QueryAnswer] {
        &self.queries
    }
}
