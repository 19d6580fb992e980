//! A compiled program and how to evaluate it.

use crate::database::Database;
use crate::error::{Error, PlanErrors};
use crate::plan::{self, ir::Plan};
use crate::value::{ColumnType, Value, enc_float, enc_number};
use std::collections::HashMap;
use std::path::Path;

/// A parsed, checked and planned Datalog program.
#[derive(Clone, Debug)]
pub struct Program {
    plan: Plan,
    file: String,
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
}

/// Rows handed to [`Program::evaluate`], by relation name.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    rows: HashMap<String, Vec<Vec<Value>>>,
}

impl Inputs {
    /// Adds one row to a relation.
    pub fn add(&mut self, relation: &str, row: Vec<Value>) -> &mut Self {
        self.rows.entry(relation.to_string()).or_default().push(row);
        self
    }
}

impl Program {
    /// Parses and plans a program; `file` names it in error messages.
    pub fn compile(src: &str, file: &str) -> Result<Program, Error> {
        let ast = engram_parser::parse(src, file)?;
        let plan = plan::plan(&ast, file, src).map_err(|errors| PlanErrors {
            file: file.to_string(),
            source_text: src.to_string(),
            errors,
        })?;
        Ok(Program {
            plan,
            file: file.to_string(),
        })
    }

    /// Reads and compiles a program file.
    pub fn from_file(path: &Path) -> Result<Program, Error> {
        let src = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Program::compile(&src, &path.display().to_string())
    }

    /// The file name the program was compiled from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The planned program (relations, rules, strata).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The declared relations, in declaration order.
    pub fn relations(&self) -> Vec<RelationInfo> {
        self.plan
            .relations
            .iter()
            .map(|r| RelationInfo {
                name: r.name.clone(),
                columns: r.columns.clone(),
                is_input: r.input.is_some(),
                is_output: !r.outputs.is_empty(),
            })
            .collect()
    }

    /// Evaluates the program on the given rows (plus the facts written in the program).
    pub fn evaluate(&self, inputs: &Inputs) -> Result<Database, Error> {
        let mut interner = self.plan.interner.clone();
        let mut base: Vec<Vec<u64>> = vec![Vec::new(); self.plan.relations.len()];
        for (name, rows) in &inputs.rows {
            let Some(&rel) = self.plan.rel_index.get(name) else {
                return Err(Error::Value {
                    relation: name.clone(),
                    message: "no such relation".into(),
                });
            };
            let types = self.plan.relations[rel].types();
            for row in rows {
                if row.len() != types.len() {
                    return Err(Error::Value {
                        relation: name.clone(),
                        message: format!("{} values given, {} expected", row.len(), types.len()),
                    });
                }
                if row.is_empty() {
                    base[rel].push(0);
                }
                for (v, ty) in row.iter().zip(&types) {
                    let enc = match (v, ty) {
                        (Value::Symbol(s), ColumnType::Symbol) => interner.enc(s),
                        (Value::Number(n), ColumnType::Number) => enc_number(*n),
                        (Value::Unsigned(n), ColumnType::Unsigned) => *n,
                        (Value::Float(x), ColumnType::Float) => enc_float(*x),
                        (v, ty) => {
                            return Err(Error::Value {
                                relation: name.clone(),
                                message: format!("value `{v}` is not a {ty}"),
                            });
                        }
                    };
                    base[rel].push(enc);
                }
            }
        }
        self.evaluate_encoded(base, interner)
    }

    /// Evaluates with each `.input` relation read from `facts_dir` (Soufflé's `-F`). A missing
    /// input file is an empty relation, reported in [`Database::warnings`].
    pub fn evaluate_dir(&self, facts_dir: &Path) -> Result<Database, Error> {
        let mut interner = self.plan.interner.clone();
        let (base, warnings) = crate::io::load_inputs(&self.plan, facts_dir, &mut interner)?;
        let mut db = self.evaluate_encoded(base, interner)?;
        db.warnings = warnings;
        Ok(db)
    }

    fn evaluate_encoded(
        &self,
        base: Vec<Vec<u64>>,
        mut interner: crate::value::Interner,
    ) -> Result<Database, Error> {
        let done = crate::eval::evaluate(&self.plan, base, &mut interner)?;
        let answers = self
            .plan
            .queries
            .iter()
            .map(|q| crate::eval::answer_query(q, &done, &mut interner))
            .collect();
        Ok(Database::new(&self.plan, done, answers, interner))
    }
}
