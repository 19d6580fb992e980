//! The graph reads that look facts up instead of reading the whole graph (`open_nodes`,
//! `search_nodes`) answer exactly what the whole graph, filtered, answers: on the example memory with edits after it (commit log
//! records on top of runs), from a writer's handle (its tables) and from a handle opened
//! afresh (the mapped runs).

use engram_engine::memory::{self, Entity, MemoryExt, Observations, Relation};
use engram_engine::store::Store;
use std::collections::BTreeSet;
use std::path::Path;

/// The example memory on disk with the standard rules, then edits as an agent makes them;
/// with `orders`, its runs compacted first with orders files (as a large store's are), so
/// that lookups of other columns search them.
fn example_with_edits(path: &Path, orders: bool) -> Store {
    let mut store = engram_tests::example_store(Some(path));
    if orders {
        store.set_orders_min_rows(1);
        store.compact().unwrap();
    }
    let names = |g: &memory::Graph| -> Vec<String> {
        (g.entities.iter().map(|e| e.entity.name.clone())).collect()
    };
    let loaded = store.read_graph(false).unwrap();
    let some = names(&loaded);
    // Relations of the load taken back: removals in the log over the runs.
    let original: Vec<Relation> = (loaded.relations.iter().take(3))
        .map(|r| r.relation.clone())
        .collect();
    store
        .create_entities(vec![Entity {
            name: "late-entity".into(),
            entity_type: "service".into(),
            observations: vec!["added after the load".into()],
        }])
        .unwrap();
    let relations: Vec<Relation> = (some.iter().take(6))
        .map(|n| Relation {
            from: n.clone(),
            to: "late-entity".into(),
            relation_type: "Talks To".into(),
        })
        .collect();
    store.create_relations(relations.clone()).unwrap();
    store.delete_relations(&relations[..2]).unwrap();
    store.delete_relations(&original).unwrap();
    store
        .add_observations(vec![Observations {
            entity_name: some[3].clone(),
            observations: vec!["seen again".into()],
        }])
        .unwrap();
    store
}

/// `open_nodes` of each name alone, of neighbouring pairs and of names that do not exist,
/// against the whole graph filtered to them, with and without what the rules inferred.
fn check(store: &mut Store, names: &[String]) {
    let mut asks: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone()]).collect();
    asks.extend(names.windows(2).map(<[String]>::to_vec));
    asks.push(vec!["no-such-entity".into()]);
    asks.push(vec![names[0].clone(), "no-such-entity".into()]);
    for inferred in [false, true] {
        let whole = store.read_graph(inferred).unwrap();
        for ask in &asks {
            let wanted: BTreeSet<&str> = ask.iter().map(String::as_str).collect();
            let filtered = whole.clone().filter(|e| wanted.contains(e.name.as_str()));
            assert_eq!(
                store.open_nodes(ask, inferred).unwrap(),
                filtered,
                "open_nodes {ask:?}, inferred {inferred}"
            );
        }
    }
}

/// `search_nodes` of pieces of names, types and observations, in other cases, of nothing and
/// of what nothing holds, against the whole graph filtered as the search says.
fn check_search(store: &mut Store, graph: &memory::Graph) {
    let mut queries: Vec<String> = vec!["".into(), "no-such-text".into(), "é".into()];
    for e in graph.entities.iter().step_by(7) {
        let name = &e.entity.name;
        let mid = name.chars().skip(1).take(4).collect::<String>();
        queries.extend([
            mid.clone(),
            mid.to_uppercase(),
            e.entity.entity_type.to_uppercase(),
        ]);
        if let Some(o) = e.entity.observations.first() {
            queries.push(o.split(' ').next().unwrap_or("").to_string());
        }
    }
    for inferred in [false, true] {
        let whole = store.read_graph(inferred).unwrap();
        for q in &queries {
            let lower = q.to_lowercase();
            let filtered = whole.clone().filter(|e| {
                e.name.to_lowercase().contains(&lower)
                    || e.entity_type.to_lowercase().contains(&lower)
                    || (e.observations.iter()).any(|o| o.to_lowercase().contains(&lower))
            });
            assert_eq!(
                store.search_nodes(q, inferred).unwrap(),
                filtered,
                "search_nodes {q:?}, inferred {inferred}"
            );
        }
    }
}

#[test]
fn search_nodes_by_lookup_equals_the_whole_graph_filtered() {
    for orders in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mut writer = example_with_edits(&path, orders);
        let graph = writer.read_graph(true).unwrap();
        check_search(&mut writer, &graph);
        writer.unlock();
        check_search(&mut Store::open(&path).unwrap(), &graph);
    }
}

#[test]
fn open_nodes_by_lookup_equals_the_whole_graph_filtered() {
    for orders in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let mut writer = example_with_edits(&path, orders);
        let mut names: Vec<String> = (writer.read_graph(true).unwrap().entities.iter())
            .map(|e| e.entity.name.clone())
            .collect();
        names.sort();
        names.dedup();
        assert!(names.len() > 50, "the example memory has entities");
        check(&mut writer, &names);
        writer.unlock();
        let mut fresh = Store::open(&path).unwrap();
        check(&mut fresh, &names);
    }
}

/// The edits an agent makes, each through a handle opened for it (reading the runs) and
/// through one long-lived writer (reading its tables), leave the same graph.
#[test]
fn edits_by_lookup_agree_from_runs_and_from_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let mut writer = example_with_edits(&a, true);
    example_with_edits(&b, true).unlock();
    let names: Vec<String> = (writer.read_graph(false).unwrap().entities.iter())
        .map(|e| e.entity.name.clone())
        .collect();
    type Edit = Box<dyn Fn(&mut Store)>;
    let (n0, n1, n2) = (names[0].clone(), names[1].clone(), names[5].clone());
    let edits: Vec<Edit> = vec![
        Box::new(move |s| {
            let r = Relation {
                from: n0.clone(),
                to: n1.clone(),
                relation_type: "depends_on".into(),
            };
            s.create_relations(vec![r.clone(), r]).unwrap();
        }),
        Box::new(|s| {
            s.create_entities(vec![Entity {
                name: "second-late".into(),
                entity_type: "person".into(),
                observations: vec!["new".into(), "new".into()],
            }])
            .unwrap();
        }),
        Box::new({
            let n = names[2].clone();
            move |s| {
                let add = Observations {
                    entity_name: n.clone(),
                    observations: vec!["one more".into()],
                };
                s.add_observations(vec![add]).unwrap();
            }
        }),
        Box::new({
            let n = names[3].clone();
            move |s| {
                let gone = Observations {
                    entity_name: n.clone(),
                    observations: vec!["seen again".into(), "one more".into()],
                };
                s.delete_observations(&[gone]).unwrap();
            }
        }),
        Box::new(move |s| {
            s.delete_entities(&[n2.clone(), "late-entity".into()])
                .unwrap();
        }),
    ];
    for (k, edit) in edits.iter().enumerate() {
        edit(&mut writer);
        writer.unlock();
        let mut fresh = Store::open(&b).unwrap();
        edit(&mut fresh);
        drop(fresh);
        let reopened = Store::open(&b).unwrap().read_graph(true).unwrap();
        assert_eq!(writer.read_graph(true).unwrap(), reopened, "after edit {k}");
    }
}

/// `read_graph`'s window of entities equals the whole graph's entities at those places, with
/// its size (entities and relations), across the asserted and inferred entities, from tables
/// and from runs.
#[test]
fn the_graph_window_equals_the_whole_graph_at_its_places() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let mut writer = example_with_edits(&path, true);
    let check = |store: &mut Store| {
        for inferred in [false, true] {
            let whole = store.read_graph(inferred).unwrap();
            let (e, total) = (
                whole.entities.len(),
                whole.entities.len() + whole.relations.len(),
            );
            let asserted = whole
                .entities
                .iter()
                .filter(|g| g.inferred.is_none())
                .count();
            let windows = [
                (0, 1),
                (0, 10),
                (3, 7),
                (asserted.saturating_sub(2), 4),
                (asserted, 1),
                (e.saturating_sub(3), 3),
                (e.saturating_sub(1), 5),
                (e, 1),
                (0, e),
            ];
            for (offset, count) in windows {
                let got = store.read_graph_window(inferred, offset, count).unwrap();
                let want = (offset + count <= e)
                    .then(|| (whole.entities[offset..offset + count].to_vec(), total));
                assert_eq!(got, want, "window {offset}+{count}, inferred {inferred}");
            }
        }
    };
    check(&mut writer);
    writer.unlock();
    check(&mut Store::open(&path).unwrap());
}
