//! The result of an evaluation: every relation's rows and every query's answers, typed.

use crate::eval::Rows;
use crate::plan::ir::{Plan, RelDecl};
use crate::value::{self, ColumnType, Interner, Value};
use std::collections::HashMap;

/// Every relation's rows after evaluation.
#[derive(Clone, Debug)]
pub struct Database {
    decls: Vec<RelDecl>,
    index: HashMap<String, usize>,
    rows: Vec<Rows>,
    queries: Vec<QueryAnswer>,
    interner: Interner,
    pub(crate) warnings: Vec<String>,
}

/// The answers to one `?-` query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryAnswer {
    /// The query as written.
    pub text: String,
    /// Answer column names (the query's named variables).
    pub columns: Vec<String>,
    /// Distinct answers, sorted.
    pub rows: Vec<Vec<Value>>,
}

/// One relation of a [`Database`].
#[derive(Clone, Copy, Debug)]
pub struct RelationView<'a> {
    decl: &'a RelDecl,
    rows: &'a Rows,
    interner: &'a Interner,
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
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Whether the relation holds the given row.
    pub fn contains(&self, row: &[Value]) -> bool {
        self.rows().any(|r| r == row)
    }
    /// The rows, decoded, in storage order.
    pub fn rows(&self) -> impl Iterator<Item = Vec<Value>> + 'a {
        let (rows, decl, interner) = (self.rows, self.decl, self.interner);
        (0..rows.len()).map(move |i| {
            rows.row(i)
                .iter()
                .zip(&decl.columns)
                .map(|(&v, (_, ty))| value::decode(*ty, v, interner))
                .collect()
        })
    }
    /// The rows rendered as text (Soufflé's formatting), sorted by value.
    pub fn sorted_text_rows(&self) -> Vec<Vec<String>> {
        let types = self.decl.types();
        crate::io::sorted_order(self.rows, &types, self.interner)
            .into_iter()
            .map(|i| {
                self.rows
                    .row(i)
                    .iter()
                    .zip(&types)
                    .map(|(&v, &ty)| value::render(ty, v, self.interner))
                    .collect()
            })
            .collect()
    }
    pub(crate) fn raw(&self) -> (&'a RelDecl, &'a Rows, &'a Interner) {
        (self.decl, self.rows, self.interner)
    }
}

impl Database {
    pub(crate) fn new(
        plan: &Plan,
        done: Vec<Option<Rows>>,
        answers: Vec<Vec<Vec<u64>>>,
        interner: Interner,
    ) -> Self {
        let rows: Vec<Rows> = done
            .into_iter()
            .zip(&plan.relations)
            .map(|(r, d)| {
                r.unwrap_or(Rows {
                    arity: d.arity(),
                    width: d.arity().max(1),
                    data: Vec::new(),
                })
            })
            .collect();
        let queries = plan
            .queries
            .iter()
            .zip(answers)
            .map(|(q, rows)| QueryAnswer {
                text: q.text.clone(),
                columns: q.columns.iter().map(|c| c.1.clone()).collect(),
                rows: {
                    let mut decoded: Vec<Vec<Value>> = rows
                        .iter()
                        .map(|r| {
                            r.iter()
                                .zip(&q.rule.head_args)
                                .map(|(&v, e)| value::decode(e.ty, v, &interner))
                                .collect()
                        })
                        .collect();
                    decoded.sort_by(|a, b| value::compare_rows(a, b));
                    decoded
                },
            })
            .collect();
        Database {
            decls: plan.relations.clone(),
            index: plan.rel_index.clone(),
            rows,
            queries,
            interner,
            warnings: Vec::new(),
        }
    }

    /// Things worth telling the user that did not stop evaluation (such as a missing input file).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A relation by name.
    pub fn relation(&self, name: &str) -> Option<RelationView<'_>> {
        let &i = self.index.get(name)?;
        Some(self.view(i))
    }

    fn view(&self, i: usize) -> RelationView<'_> {
        RelationView {
            decl: &self.decls[i],
            rows: &self.rows[i],
            interner: &self.interner,
        }
    }

    /// All relations, in declaration order.
    pub fn relations(&self) -> impl Iterator<Item = RelationView<'_>> {
        (0..self.decls.len()).map(|i| self.view(i))
    }

    /// The answers of the program's queries, in source order.
    pub fn queries(&self) -> &[QueryAnswer] {
        &self.queries
    }
}
