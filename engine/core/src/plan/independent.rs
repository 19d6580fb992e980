//! Parts of a rule body that share no variable with the rest of the rule: atoms (with the
//! constraints over their variables alone) whose variables appear neither in the head nor in
//! any other literal. Their conjunction holds or fails whatever the rest binds, so it is an
//! existence check made once, not a join repeated for every binding of the rest: in
//! `a(x) :- b(x), c(y), d(y).`, `c(y), d(y)` is one.

use super::ir::{IrRule, VarId};

/// One independent part of a rule body: indices into its `atoms` and `constraints`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Independent {
    /// The part's positive atoms.
    pub atoms: Vec<usize>,
    /// The constraints that read only the part's variables.
    pub constraints: Vec<usize>,
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// The rule's independent parts. Each literal is a node, and so is the head; literals that
/// share a variable are joined, and so is every literal with a variable of the head (or of
/// its confidence expression). A part is a group of nodes with an atom, apart from the head.
/// A constraint with no variables stays with the head.
pub fn independent_parts(rule: &IrRule) -> Vec<Independent> {
    let (na, nc) = (rule.atoms.len(), rule.constraints.len());
    let head = na + nc;
    let mut parent: Vec<usize> = (0..=head).collect();
    let mut owner: Vec<Option<usize>> = vec![None; rule.var_names.len()];
    let mut link = |node: usize, v: VarId, parent: &mut Vec<usize>| match owner[v] {
        None => owner[v] = Some(node),
        Some(o) => {
            let (a, b) = (find(parent, o), find(parent, node));
            parent[a] = b;
        }
    };
    let mut head_vars = Vec::new();
    for e in rule.head_args.iter().chain(&rule.meta.head_conf) {
        e.vars(&mut head_vars);
    }
    for v in head_vars {
        link(head, v, &mut parent);
    }
    for (i, atom) in rule.atoms.iter().enumerate() {
        for v in atom.vars().into_iter().chain(atom.meta_vars().vars()) {
            link(i, v, &mut parent);
        }
    }
    for (i, c) in rule.constraints.iter().enumerate() {
        let vars = c.vars();
        if vars.is_empty() {
            let (a, b) = (find(&mut parent, na + i), find(&mut parent, head));
            parent[a] = b;
        }
        for v in vars {
            link(na + i, v, &mut parent);
        }
    }
    let head_root = find(&mut parent, head);
    let mut parts: Vec<(usize, Independent)> = Vec::new();
    for node in 0..head {
        let root = find(&mut parent, node);
        if root == head_root {
            continue;
        }
        let at = match parts.iter().position(|(r, _)| *r == root) {
            Some(at) => at,
            None => {
                parts.push((
                    root,
                    Independent {
                        atoms: Vec::new(),
                        constraints: Vec::new(),
                    },
                ));
                parts.len() - 1
            }
        };
        if node < na {
            parts[at].1.atoms.push(node);
        } else {
            parts[at].1.constraints.push(node - na);
        }
    }
    parts
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| !p.atoms.is_empty())
        .collect()
}

/// The rule without the atoms and constraints of `parts`.
pub fn without(rule: &IrRule, parts: &[&Independent]) -> IrRule {
    let mut out = rule.clone();
    let drop_atom = |i: usize| parts.iter().any(|p| p.atoms.contains(&i));
    let drop_constraint = |i: usize| parts.iter().any(|p| p.constraints.contains(&i));
    out.atoms = (rule.atoms.iter().enumerate())
        .filter(|(i, _)| !drop_atom(*i))
        .map(|(_, a)| a.clone())
        .collect();
    out.constraints = (rule.constraints.iter().enumerate())
        .filter(|(i, _)| !drop_constraint(*i))
        .map(|(_, c)| c.clone())
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Program;

    fn parts_of(src: &str) -> Vec<Independent> {
        let p = Program::compile(src, "t.dl").expect("compiles");
        let rule = p
            .plan
            .rules
            .iter()
            .find(|r| r.atoms.len() > 1)
            .expect("a rule");
        independent_parts(rule)
    }

    const DECLS: &str = ".decl a(x: number)\n.decl b(x: number)\n.decl c(x: number)\n\
                         .decl d(x: number)\n.decl e(x: number, y: number)\n";

    /// `c(y), d(y)` shares nothing with `b(x)` or the head: one part of two atoms.
    #[test]
    fn atoms_joined_among_themselves_but_not_to_the_head_are_a_part() {
        let parts = parts_of(&format!("{DECLS}a(x) :- b(x), c(y), d(y), y > 3.\n"));
        assert_eq!(
            parts,
            vec![Independent {
                atoms: vec![1, 2],
                constraints: vec![0]
            }]
        );
    }

    /// A constraint over both sides joins them; a shared variable does too.
    #[test]
    fn a_constraint_or_a_variable_across_sides_makes_no_part() {
        assert!(parts_of(&format!("{DECLS}a(x) :- b(x), c(y), y < x.\n")).is_empty());
        assert!(parts_of(&format!("{DECLS}a(x) :- b(x), e(x, y), c(y).\n")).is_empty());
        assert!(parts_of(&format!("{DECLS}a(x) :- b(x), c(y), !d(x), !e(x, y).\n")).is_empty());
    }

    /// Two unrelated atoms apart from the head are two parts; a whole body can be one.
    #[test]
    fn several_parts_and_a_whole_body() {
        let parts = parts_of(&format!("{DECLS}a(x) :- b(x), c(y), d(z).\n"));
        assert_eq!(parts.len(), 2);
        let parts = parts_of(&format!("{DECLS}a(1) :- c(y), d(y).\n"));
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].atoms, vec![0, 1]);
    }
}
