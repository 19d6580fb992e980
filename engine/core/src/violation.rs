//! Integrity constraints: the matches of a headless rule (`:- confirms(a, b),
//! contradicts(a, b).`) are violations. They never stop evaluation; each is a fact of the
//! constraint's own hidden relation, so it has a confidence, a depth and a proof like any
//! derived fact.

use crate::database::Database;
use crate::explain::Proof;
use crate::value::Value;
use serde::Serialize;

/// One match of an integrity constraint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The constraint: its `@name`, or `file:line` where it is written.
    pub constraint: String,
    /// The constraint's named variables and what they matched.
    #[serde(serialize_with = "bindings_json")]
    pub bindings: Vec<(String, Value)>,
    /// The product of the matched facts' confidences (times the constraint's weight).
    pub confidence: f64,
    /// The proof: the matched facts, each with its own proof.
    pub proof: Proof,
}

impl Violation {
    /// `name: a = "x", b = "y"`.
    pub fn title(&self) -> String {
        let bindings: Vec<String> = self
            .bindings
            .iter()
            .map(|(name, v)| match v {
                Value::Symbol(s) => format!("{name} = {}", crate::explain::quoted(s)),
                other => format!("{name} = {other}"),
            })
            .collect();
        if bindings.is_empty() {
            self.constraint.clone()
        } else {
            format!("{}: {}", self.constraint, bindings.join(", "))
        }
    }

    /// The violation and its proof as JSON: `{constraint, bindings: {..}, confidence, proof}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a violation always serializes")
    }
}

fn bindings_json<S: serde::Serializer>(b: &[(String, Value)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(b.len()))?;
    for (name, v) in b {
        map.serialize_entry(name, &v.to_json())?;
    }
    map.end()
}

impl Database {
    /// Every violation of every integrity constraint, by constraint in program order, then
    /// by value; each with its proof. `constraint` keeps only those of one constraint.
    pub fn violations(&mut self, constraint: Option<&str>) -> Vec<Violation> {
        let plan = self.plan.clone();
        let mut out = Vec::new();
        for decl in &plan.relations {
            let Some(name) = &decl.constraint else {
                continue;
            };
            if constraint.is_some_and(|c| c != name) {
                continue;
            }
            let facts = match self.relation(&decl.name) {
                Some(view) => view.sorted_facts(),
                None => continue,
            };
            for fact in facts {
                let Some(mut proof) = self.explain(&decl.name, &fact.values) else {
                    continue;
                };
                let violation = Violation {
                    constraint: name.clone(),
                    bindings: decl
                        .columns
                        .iter()
                        .map(|c| c.0.clone())
                        .zip(fact.values)
                        .collect(),
                    confidence: fact.confidence,
                    proof: Proof::default(),
                };
                proof.fact = violation.title();
                out.push(Violation { proof, ..violation });
            }
        }
        out
    }
}
