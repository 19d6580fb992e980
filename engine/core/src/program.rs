//! A compiled program and how to evaluate it.

use crate::database::Database;
use crate::error::Error;
use crate::eval::{Base, Mode};
use crate::plan::ir::Plan;
use crate::sources::Source;
use crate::value::{self, ColumnType, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A parsed, checked and planned Datalog program.
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) plan: Arc<Plan>,
    file: String,
}

/// A user-defined functor a program declares ([`Program::functors`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctorInfo {
    /// Its name (called as `@name(...)`).
    pub name: String,
    /// Its parameters' types.
    pub params: Vec<ColumnType>,
    /// The type of what it gives.
    pub ret: ColumnType,
    /// Whether a function has been given for it.
    pub given: bool,
}

/// How a program file is read ([`Program::from_file_with`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Directories `#include` and `.include` look in after the including file's own
    /// (Soufflé's `-I`).
    pub include_dirs: Vec<std::path::PathBuf>,
    /// Macros defined before the program is read, as `#define name value` (Soufflé's `-M`).
    pub macros: Vec<(String, String)>,
}

impl ReadOptions {
    /// Reads macro definitions as Soufflé's `-M` takes them: `NAME=VALUE` or `NAME` (which is
    /// 1), several in one text separated by blank space.
    pub fn add_macros(&mut self, text: &str) {
        for word in text.split_whitespace() {
            let (name, value) = word.split_once('=').unwrap_or((word, "1"));
            self.macros.push((name.to_string(), value.to_string()));
        }
    }
}

/// How to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalOptions {
    /// Track each fact's confidence, depth and origin (the default). Without it a program that
    /// uses no confidence syntax evaluates as plain Datalog, somewhat faster, and its facts read
    /// as confidence 1 with origin [`crate::Origin::Untracked`]; a program that uses confidence
    /// syntax, or inputs with confidences, is always tracked.
    pub provenance: bool,
    /// What `now()` stands for, in unix milliseconds; the time evaluation starts when `None`.
    pub now: Option<i64>,
    /// Bounds on the evaluation (none by default): a program that passes one stops with
    /// [`crate::eval::EvalError::Limit`], naming the relation that grew.
    pub limits: crate::Limits,
    /// Settle the facts of a recursive stratum best-first where its lattice allows it: each
    /// fact once, at its final confidence, in order of confidence (max with the product or
    /// min t-norm, rule weights at most 1, no head confidence expression, depth bound,
    /// `.limitsize` or subsumption); off by default. The facts, confidences, depths and
    /// origins are those of the rounds (semi-naive, where a fact is improved as better
    /// derivations arrive); it holds each fact once instead of once per improvement, so it
    /// takes much less memory where facts improve often (a dense graph's closure: a quarter),
    /// but it reaches facts one at a time, out of order, so it takes longer where they do not
    /// (bench/README.md).
    pub best_first: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            provenance: true,
            now: None,
            limits: crate::Limits::NONE,
            best_first: false,
        }
    }
}

/// What a relation looks like from outside.
#[derive(Clone, Debug, PartialEq)]
pub struct RelationInfo {
    /// Its name.
    pub name: String,
    /// Column names and types.
    pub columns: Vec<(String, ColumnType)>,
    /// Whether it is read from input files.
    pub is_input: bool,
    /// Whether it is written to output files.
    pub is_output: bool,
    /// Whether a rule derives it.
    pub is_derived: bool,
}

/// What a compiled program holds, in counts: what `engram check` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Relations declared (the planner's own excluded).
    pub relations: usize,
    /// Rules, after disjunctions are split and the planner's rewritings.
    pub rules: usize,
    /// Strata: groups of relations evaluated together, in order.
    pub strata: usize,
    /// `?-` queries.
    pub queries: usize,
    /// Integrity constraints.
    pub constraints: usize,
}

/// The relations of a plan as users see them: declared ones, the planner's own (magic sets,
/// inlined relations, an eqrel's classes, constraints' violations) left out.
#[doc(hidden)]
pub fn relation_infos(plan: &Plan) -> Vec<RelationInfo> {
    (plan.relations.iter().enumerate())
        .filter(|(_, r)| !r.magic && !r.inline && !r.hidden())
        .map(|(id, r)| RelationInfo {
            name: r.name.clone(),
            columns: r.columns.clone(),
            is_input: r.is_input(),
            is_output: !r.outputs.is_empty(),
            is_derived: plan.rules.iter().any(|rule| rule.head == id),
        })
        .collect()
}

/// Rows handed to [`Program::evaluate`], by relation name.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    rows: HashMap<String, Vec<(Vec<Value>, f64, i64)>>,
}

impl Inputs {
    /// Adds one row to a relation (confidence 1).
    pub fn add(&mut self, relation: &str, row: Vec<Value>) -> &mut Self {
        self.add_with_confidence(relation, row, 1.0)
    }
    /// Adds one row to a relation with a confidence in (0, 1].
    pub fn add_with_confidence(
        &mut self,
        relation: &str,
        row: Vec<Value>,
        confidence: f64,
    ) -> &mut Self {
        self.add_fact(relation, row, confidence, 0)
    }
    /// Adds one row to a relation with a confidence in (0, 1] and a time (unix milliseconds;
    /// 0 for none). Inputs with times make evaluation track every fact's time.
    pub fn add_fact(
        &mut self,
        relation: &str,
        row: Vec<Value>,
        confidence: f64,
        time: i64,
    ) -> &mut Self {
        self.rows
            .entry(relation.to_string())
            .or_default()
            .push((row, confidence, time));
        self
    }
}

impl Program {
    /// Parses and plans a program; `file` names it in error messages. A file it includes
    /// (`.include "types.dl"`) comes from engram's built-in rule library.
    pub fn compile(src: &str, file: &str) -> Result<Program, Error> {
        let root = Source {
            name: file.to_string(),
            text: src.to_string(),
        };
        let mut resolve = |_: &Source, path: &str| crate::library::source(path);
        Program::compile_sources(vec![root], &mut resolve, &[], file)
    }

    /// Reads and compiles a program file. A file it includes is read beside the file that
    /// names it, else from engram's built-in rule library.
    pub fn from_file(path: &Path) -> Result<Program, Error> {
        Program::from_file_with(path, &ReadOptions::default())
    }

    /// Reads and compiles a program file with `options`: where `#include` looks besides the
    /// including file's directory, and macros defined before the program is read (Soufflé's
    /// `-I` and `-M`).
    pub fn from_file_with(path: &Path, options: &ReadOptions) -> Result<Program, Error> {
        let root = Source {
            name: path.display().to_string(),
            text: std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?,
        };
        let mut resolve = |from: &Source, include: &str| {
            let beside = Path::new(&from.name).parent().unwrap_or(Path::new(""));
            let dirs =
                std::iter::once(beside).chain(options.include_dirs.iter().map(|d| d.as_path()));
            for dir in dirs {
                let candidate = dir.join(include);
                if let Ok(text) = std::fs::read_to_string(&candidate) {
                    let name = crate::sources::clean_path(&candidate);
                    return Some(Source { name, text });
                }
            }
            crate::library::source(include)
        };
        let roots = vec![root];
        let file = path.display().to_string();
        Program::compile_sources(roots, &mut resolve, &options.macros, &file)
    }

    fn compile_sources(
        roots: Vec<Source>,
        resolve: &mut dyn FnMut(&Source, &str) -> Option<Source>,
        macros: &[(String, String)],
        file: &str,
    ) -> Result<Program, Error> {
        let sources = crate::sources::gather(roots, resolve, macros)?;
        let plan = crate::sources::compile(&sources, Vec::new(), value::Interner::default())?;
        Ok(Program {
            plan: Arc::new(plan),
            file: file.to_string(),
        })
    }

    /// Gives the function of user-defined functor `name`, which the program declares with
    /// `.functor name(x: number, ...): type` and calls as `@name(...)` (Soufflé's). The
    /// function takes the arguments as values of the declared types and gives a value of the
    /// declared type, or `None` for none (the binding then derives nothing). A value of
    /// another type stops evaluation with an error naming the functor.
    ///
    /// ```
    /// use engram_core::{Program, Value};
    /// let src = ".functor inc(x: number): number\n.decl a(x: number)\na(@inc(41)).";
    /// let program = Program::compile(src, "f.dl")?.with_functor("inc", |args| match args {
    ///     [Value::Number(n)] => Some(Value::Number(n + 1)),
    ///     _ => None,
    /// })?;
    /// let db = program.evaluate(&Default::default())?;
    /// assert_eq!(db.relation("a").unwrap().rows().next(), Some(vec![Value::Number(42)]));
    /// # Ok::<(), engram_core::Error>(())
    /// ```
    pub fn with_functor(
        self,
        name: &str,
        f: impl Fn(&[Value]) -> Option<Value> + Send + Sync + 'static,
    ) -> Result<Program, Error> {
        self.with_fallible_functor(name, move |args| Ok(f(args)))
    }

    /// [`Program::with_functor`] with a function that may fail: its `Err` stops the
    /// evaluation with an error naming the functor and carrying the message.
    pub fn with_fallible_functor(
        mut self,
        name: &str,
        f: impl Fn(&[Value]) -> Result<Option<Value>, String> + Send + Sync + 'static,
    ) -> Result<Program, Error> {
        let plan = Arc::make_mut(&mut self.plan);
        match plan.functors.iter_mut().find(|d| d.name == name) {
            Some(d) => {
                d.function = Some(crate::plan::functors::FunctorFn(Arc::new(f)));
                Ok(self)
            }
            None => Err(Error::Functor(format!(
                "the program declares no functor `{name}` (`.functor {name}(x: number): number`)"
            ))),
        }
    }

    /// The user-defined functors the program declares (`.functor`), in declaration order.
    pub fn functors(&self) -> Vec<FunctorInfo> {
        (self.plan.functors.iter())
            .map(|f| FunctorInfo {
                name: f.name.clone(),
                params: f.params.clone(),
                ret: f.ret,
                given: f.function.is_some(),
            })
            .collect()
    }

    /// The file name the program was compiled from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// What the program holds, in counts.
    pub fn summary(&self) -> Summary {
        let plan = &self.plan;
        Summary {
            relations: plan.relations.len(),
            rules: plan.rules.len(),
            strata: plan.strata.len(),
            queries: plan.queries.len(),
            constraints: (plan.relations.iter())
                .filter(|r| r.constraint.is_some())
                .count(),
        }
    }

    /// The declared relations, in declaration order (the planner's own left out).
    pub fn relations(&self) -> Vec<RelationInfo> {
        relation_infos(&self.plan)
    }

    /// Evaluates the program on the given rows (plus the facts written in the program), tracking
    /// each fact's confidence, depth and origin.
    pub fn evaluate(&self, inputs: &Inputs) -> Result<Database, Error> {
        self.evaluate_with(inputs, &EvalOptions::default())
    }

    /// Evaluates the program on the given rows with options.
    pub fn evaluate_with(&self, inputs: &Inputs, options: &EvalOptions) -> Result<Database, Error> {
        let mut interner = self.plan.interner.clone();
        let mut base = Base::new(&self.plan);
        self.encode_inputs(inputs, &mut base, &mut interner)?;
        self.evaluate_encoded(base, interner, options)
    }

    /// Adds the rows of `inputs` to `base`, checked against the relations' columns.
    fn encode_inputs(
        &self,
        inputs: &Inputs,
        base: &mut Base,
        interner: &mut value::Interner,
    ) -> Result<(), Error> {
        for (name, rows) in &inputs.rows {
            let Some(&rel) = self.plan.rel_index.get(name) else {
                return Err(Error::Value {
                    relation: name.clone(),
                    message: "no such relation".into(),
                });
            };
            let types = self.plan.relations[rel].types();
            for (row, conf, time) in rows {
                if row.len() != types.len() {
                    return Err(Error::Value {
                        relation: name.clone(),
                        message: format!("{} values given, {} expected", row.len(), types.len()),
                    });
                }
                if !(*conf > 0.0 && *conf <= 1.0) {
                    return Err(Error::Value {
                        relation: name.clone(),
                        message: format!("confidence {conf} is not in (0, 1]"),
                    });
                }
                let mut enc = Vec::with_capacity(row.len());
                for (v, ty) in row.iter().zip(&types) {
                    match value::encode(*ty, v, interner) {
                        Some(x) => enc.push(x),
                        None => {
                            return Err(Error::Value {
                                relation: name.clone(),
                                message: format!(
                                    "value `{v}` is not a {}",
                                    interner.records().type_name(*ty)
                                ),
                            });
                        }
                    }
                }
                base.push_at(rel, &enc, *conf, *time);
            }
        }
        Ok(())
    }

    /// Evaluates with each `.input` relation read from `facts_dir` (Soufflé's `-F`), tracking
    /// provenance. A missing input file is an empty relation, reported in
    /// [`Database::warnings`].
    pub fn evaluate_dir(&self, facts_dir: &Path) -> Result<Database, Error> {
        self.evaluate_dir_with(facts_dir, &EvalOptions::default())
    }

    /// [`Program::evaluate_dir`] with options.
    pub fn evaluate_dir_with(
        &self,
        facts_dir: &Path,
        options: &EvalOptions,
    ) -> Result<Database, Error> {
        self.evaluate_dir_and(facts_dir, &Inputs::default(), options)
    }

    /// Evaluates with each `.input` relation read from `facts_dir` and the rows of `inputs`
    /// besides (such as memories read from a file).
    pub fn evaluate_dir_and(
        &self,
        facts_dir: &Path,
        inputs: &Inputs,
        options: &EvalOptions,
    ) -> Result<Database, Error> {
        let mut interner = self.plan.interner.clone();
        let (mut base, warnings) =
            crate::io::read::load_inputs(&self.plan, facts_dir, &mut interner)?;
        self.encode_inputs(inputs, &mut base, &mut interner)?;
        let mut db = self.evaluate_encoded(base, interner, options)?;
        db.warnings.splice(0..0, warnings);
        Ok(db)
    }

    /// Whether an evaluation with these options tracks provenance.
    fn tracks(&self, base: &Base, options: &EvalOptions) -> bool {
        options.provenance || self.plan.uses_confidence || base.has_confidence() || base.has_time()
    }

    fn evaluate_encoded(
        &self,
        base: Base,
        mut interner: crate::value::Interner,
        options: &EvalOptions,
    ) -> Result<Database, Error> {
        if let Some(f) = self.plan.functors.iter().find(|f| f.function.is_none()) {
            return Err(Error::Functor(format!(
                "functor `{}` (`.functor` at {}) has no function: a program that embeds engram \
                 gives one with `Program::with_functor(\"{}\", ...)`; `engram run` cannot call \
                 user-defined functors",
                f.name, f.origin, f.name
            )));
        }
        let mode = Mode {
            meta: self.tracks(&base, options),
            time: self.plan.tracks_time() || base.has_time(),
            best_first: options.best_first,
        };
        // A program that reads times gets `now()` fixed for this evaluation.
        let fixed;
        let program = if self.plan.uses_time {
            let mut p = Plan::clone(&self.plan);
            p.fix_now(options.now.unwrap_or_else(crate::value::now_ms));
            fixed = Arc::new(p);
            &fixed
        } else {
            &self.plan
        };
        let _bounds = crate::limits::start(&options.limits.tighter(self.plan.limits));
        let evaluated = crate::eval::evaluate(program, base, &mut interner, mode)?;
        // With merges, the facts answer to the program with its constants read through the
        // classes.
        let (plan, rewritten) = match evaluated.merged {
            Some(m) => (Arc::new(m.plan), m.rewritten),
            None => (program.clone(), Default::default()),
        };
        let answers = (plan.queries.iter())
            .map(|q| {
                crate::eval::query::answer_query(q, &evaluated.done, &mut interner, &plan.functors)
            })
            .collect::<Result<_, _>>()?;
        let warnings = crate::eval::completed::pattern_warnings(&plan);
        let mut db = Database::new(plan, evaluated.done, answers, interner, mode);
        db.warnings = warnings;
        db.rewritten = Arc::new(rewritten);
        Ok(db)
    }
}
