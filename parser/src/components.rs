//! Soufflé's components, expanded away before planning: each `.init name = Comp<Args>` becomes
//! the statements of `Comp` (with those it inherits, and its own instances expanded), its type
//! parameters replaced by the arguments, and every relation and type it declares named
//! `name.<relation>`. A name the component does not declare keeps its meaning outside (a
//! relation of the program, or of an enclosing instance). `.override R` drops the rules and
//! facts the bases give `R`.

use crate::ast::*;
use crate::error::ParseError;
use std::collections::{HashMap, HashSet};

/// Type parameters and what they stand for.
type Subst = HashMap<String, String>;

/// Where an expansion is: the instances being made (`a = A`, outermost first, for messages)
/// and the components whose statements are being gathered (a component that contains itself,
/// by inheritance or an instance, is an error).
#[derive(Default)]
struct Chain {
    instances: Vec<String>,
    active: Vec<String>,
}

impl Program {
    /// Replaces every `.init` by the statements of the instance it makes, and drops the
    /// component definitions. A program without components is left as it is.
    pub fn expand_components(&mut self) -> Result<(), Vec<ParseError>> {
        let uses = |i: &Item| matches!(i, Item::Component(_) | Item::Init(_));
        if !self.items.iter().any(uses) {
            return Ok(());
        }
        let items = std::mem::take(&mut self.items);
        let mut comps = HashMap::new();
        let mut errors = Vec::new();
        collect(&items, &mut comps, &mut errors);
        let expander = Expander { comps };
        for item in &items {
            match item {
                Item::Component(_) => {}
                Item::Init(init) => {
                    let mut chain = Chain::default();
                    let subst = Subst::new();
                    match expander.instantiate(&init.comp, &subst, &init.name, &mut chain) {
                        Ok(made) => self.items.extend(made),
                        Err(e) => errors.push(e),
                    }
                }
                other => self.items.push(other.clone()),
            }
        }
        errors.sort_by_key(|e| e.span.start);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Every component defined, nested ones included, by name.
fn collect<'a>(
    items: &'a [Item],
    out: &mut HashMap<&'a str, &'a Component>,
    errors: &mut Vec<ParseError>,
) {
    for item in items {
        if let Item::Component(c) = item {
            if out.insert(&c.name, c).is_some() {
                errors.push(ParseError {
                    message: format!("component `{}` is defined twice", c.name),
                    span: c.span,
                });
            }
            collect(&c.items, out, errors);
        }
    }
}

struct Expander<'a> {
    comps: HashMap<&'a str, &'a Component>,
}

impl Expander<'_> {
    /// The statements of instance `inst` of `comp` (named in terms of `subst`), its relations
    /// and types named `inst.<name>`. `chain` is the instances being made, outermost first.
    fn instantiate(
        &self,
        comp: &CompRef,
        subst: &Subst,
        inst: &str,
        chain: &mut Chain,
    ) -> Result<Vec<Item>, ParseError> {
        chain
            .instances
            .push(format!("`.init {inst} = {}`", comp.name));
        let made = self.body(comp, subst, chain);
        chain.instances.pop();
        let mut items: Vec<Item> = made?.into_iter().map(|(item, _)| item).collect();
        let mut declared = HashSet::new();
        let mut types = HashSet::new();
        for item in &items {
            match item {
                Item::Decl(d) => {
                    declared.insert(d.name.clone());
                }
                Item::Type(t) => {
                    types.insert(t.name.clone());
                }
                _ => {}
            }
        }
        let prefix = |name: &mut String| *name = format!("{inst}.{name}");
        for item in &mut items {
            item.rename_relations(&|n: &mut String| {
                if declared.contains(n.as_str()) {
                    prefix(n);
                }
            });
            rename_types(item, &|t: &mut String| {
                if types.contains(t.as_str()) {
                    prefix(t);
                }
            });
        }
        Ok(items)
    }

    /// The statements of `comp` (named in terms of `subst`) with those of its bases, its
    /// instances expanded, not yet named for an instance; each marked whether it comes from an
    /// instance (which `.override` leaves alone).
    fn body(
        &self,
        comp: &CompRef,
        subst: &Subst,
        chain: &mut Chain,
    ) -> Result<Vec<(Item, bool)>, ParseError> {
        let resolve = |n: &String| subst.get(n).cloned().unwrap_or_else(|| n.clone());
        let name = resolve(&comp.name);
        let fail = |message: String| ParseError {
            message: format!("{message} (in {})", chain.instances.join(", then ")),
            span: comp.span,
        };
        let Some(def) = self.comps.get(name.as_str()) else {
            return Err(fail(format!("unknown component `{name}`")));
        };
        if chain.active.contains(&name) {
            return Err(fail(format!("component `{name}` contains itself")));
        }
        let args: Vec<String> = comp.args.iter().map(resolve).collect();
        if args.len() != def.params.len() {
            let message = format!(
                "component `{name}` takes {} type argument{}, given {}",
                def.params.len(),
                if def.params.len() == 1 { "" } else { "s" },
                args.len()
            );
            return Err(fail(message));
        }
        let inner: Subst = def.params.iter().cloned().zip(args).collect();
        chain.active.push(name);
        let items = self.gather(def, &inner, chain);
        chain.active.pop();
        items
    }

    /// The statements of component `def` with its parameters as `inner` says: its bases'
    /// (less the rules, subsumption rules included, of the relations it overrides), then its own.
    fn gather(
        &self,
        def: &Component,
        inner: &Subst,
        chain: &mut Chain,
    ) -> Result<Vec<(Item, bool)>, ParseError> {
        let overridden: HashSet<&str> = def.overrides.iter().map(|(n, _)| n.as_str()).collect();
        let mut items = Vec::new();
        for base in &def.bases {
            let mut inherited = self.body(base, inner, chain)?;
            // Rules the base itself gives an overridden relation go; its instances' stay.
            inherited.retain(|(i, from_instance)| match i {
                Item::Clause(c) if !from_instance => {
                    !c.heads.iter().any(|h| overridden.contains(h.name.as_str()))
                }
                Item::Subsumption(s) if !from_instance => {
                    !overridden.contains(s.dominated.name.as_str())
                }
                _ => true,
            });
            items.extend(inherited);
        }
        for item in &def.items {
            match item {
                Item::Component(_) => {}
                Item::Init(init) => {
                    let made = self.instantiate(&init.comp, inner, &init.name, chain)?;
                    items.extend(made.into_iter().map(|i| (i, true)));
                }
                other => {
                    let mut own = other.clone();
                    rename_types(&mut own, &|t: &mut String| {
                        if let Some(actual) = inner.get(t.as_str()) {
                            *t = actual.clone();
                        }
                    });
                    items.push((own, false));
                }
            }
        }
        Ok(items)
    }
}

/// Calls `rename` on every type name a statement holds: a declaration's column types, a type
/// declaration's name and what it is made of.
fn rename_types(item: &mut Item, rename: &dyn Fn(&mut String)) {
    match item {
        Item::Decl(d) => d.attributes.iter_mut().for_each(|a| rename(&mut a.ty)),
        Item::Functor(f) => f.params.iter_mut().chain([&mut f.ret]).for_each(rename),
        Item::Type(t) => {
            rename(&mut t.name);
            match &mut t.def {
                TypeDef::Subtype(base) => rename(base),
                TypeDef::Union(members) => members.iter_mut().for_each(rename),
                TypeDef::Record(fields) => fields.iter_mut().for_each(|f| rename(&mut f.ty)),
                TypeDef::Adt(branches) => (branches.iter_mut())
                    .flat_map(|b| &mut b.fields)
                    .for_each(|f| rename(&mut f.ty)),
            }
        }
        _ => {}
    }
}
