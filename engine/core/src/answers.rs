//! A query's answers in value order, decoded one at a time: what `engram query` streams to
//! its output however many answers there are, and what [`QueryAnswer`] collects.

use crate::database::{Database, Fact, Origin, QueryAnswer};
use crate::eval::Rows;
use crate::eval::meta::Meta;
use crate::eval::query::Answer;
use crate::plan::ir::IrQuery;
use crate::value::{self, ColumnType};

/// The answers to one `?-` query, sorted by value (numbers numerically, symbols by text) once
/// on their encoded values; each is decoded only when [`Answers::iter`] reaches it.
pub struct Answers<'a> {
    query: &'a IrQuery,
    answers: Vec<Answer>,
    order: Vec<usize>,
    db: &'a Database,
}

impl<'a> Answers<'a> {
    /// `answers` to `query` over `db`, sorted.
    pub fn new(db: &'a Database, query: &'a IrQuery, answers: Vec<Answer>) -> Answers<'a> {
        let types: Vec<ColumnType> = query.rule.head_args.iter().map(|e| e.ty).collect();
        let order = match types.len() {
            // A query without named variables has at most one answer: the empty row.
            0 => (0..answers.len()).collect(),
            arity => {
                let mut rows = Rows::empty(
                    arity,
                    crate::eval::Mode {
                        meta: false,
                        time: false,
                        best_first: false,
                    },
                );
                for a in &answers {
                    rows.data.extend_from_slice(&a.row);
                }
                crate::output::sorted_order(&rows, &types, &db.interner)
            }
        };
        Answers {
            query,
            answers,
            order,
            db,
        }
    }

    /// The query as written.
    pub fn text(&self) -> &str {
        &self.query.text
    }

    /// The answer columns' names (the query's named variables).
    pub fn columns(&self) -> impl ExactSizeIterator<Item = &str> {
        self.query.columns.iter().map(|c| c.1.as_str())
    }

    /// How many distinct answers there are.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The answers in value order, each decoded as it is reached. An answer's confidence is
    /// the best, over the bindings that give it, of the product of the matched facts'
    /// confidences.
    pub fn iter(&self) -> impl Iterator<Item = Fact> + '_ {
        self.order.iter().map(|&i| self.fact(&self.answers[i]))
    }

    /// Every answer decoded, as a [`QueryAnswer`].
    pub fn collect(&self) -> QueryAnswer {
        QueryAnswer {
            text: self.query.text.clone(),
            columns: self.columns().map(String::from).collect(),
            answers: self.iter().collect(),
        }
    }

    fn fact(&self, a: &Answer) -> Fact {
        let db = self.db;
        Fact {
            values: (a.row.iter())
                .zip(&self.query.rule.head_args)
                .map(|(&v, e)| value::decode(e.ty, v, &db.interner))
                .collect(),
            confidence: a.conf,
            depth: a.depth,
            time: a.time,
            origin: match a.rule {
                _ if !db.provenance() => Origin::Untracked,
                Some(r) => db.origin(Meta {
                    conf: a.conf,
                    depth: a.depth,
                    rule: r,
                    time: a.time,
                }),
                None => Origin::Query,
            },
        }
    }
}

/// A query as the MCP `query` tool and the Python package take it: written with `?-`, or as
/// a body alone (`path("a", x)`), which reads as `?- path("a", x).`.
pub fn query_text(text: &str) -> std::borrow::Cow<'_, str> {
    match text.trim_start().starts_with("?-") {
        true => text.into(),
        false => format!("?- {}.", text.trim().trim_end_matches('.')).into(),
    }
}
