//! Group commit (`Store::hold_sync` / `Store::sync`): commits held back are seen by the handle
//! that made them at once, by no other handle until they are durable, and are never lost:
//! `sync`, `unlock`, a failing commit after them and dropping the handle all write them.

use engram_engine::store::Store;
use engram_engine::{Fact, Limits, Value};
use std::path::Path;

const RULES: &str = ".decl e(x: symbol, y: symbol)\n.decl p(x: symbol, y: symbol)\n\
                     p(x, y) :- e(x, y).\np(x, z) :- e(x, y), p(y, z).\n";

fn store(dir: &Path) -> Store {
    let mut s = Store::create(dir.join("db")).unwrap();
    s.add_rules("closure", RULES).unwrap();
    s
}

fn add(store: &mut Store, text: &str) -> Result<(), engram_store::WriteError> {
    let mut tx = store.transaction()?;
    tx.add_text(text)?;
    tx.commit().map(drop)
}

fn paths(store: &mut Store) -> Vec<Fact> {
    store.facts("p").unwrap().unwrap_or_default()
}

fn reopened(dir: &Path) -> Vec<Fact> {
    paths(&mut Store::open(dir.join("db")).unwrap())
}

#[test]
fn commits_held_back_are_seen_by_their_handle_and_by_others_once_synced() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = store(tmp.path());
    let mut reader = Store::open_read_only(tmp.path().join("db")).unwrap();
    writer.hold_sync();
    add(&mut writer, r#"e("a", "b")."#).unwrap();
    // The second commit of the group reads the first (it infers a path through it).
    add(&mut writer, r#"e("b", "c")."#).unwrap();
    assert_eq!(paths(&mut writer).len(), 3);
    let generation = writer.state().1;
    reader.refresh().unwrap();
    assert!(paths(&mut reader).is_empty(), "seen before it is durable");
    assert!(reopened(tmp.path()).is_empty());
    writer.sync().unwrap();
    assert!(reader.refresh().unwrap());
    assert_eq!(paths(&mut reader).len(), 3);
    assert_eq!(reader.state().1, generation);
    assert_eq!(reopened(tmp.path()).len(), 3);
    // Synced, the handle writes each commit at once again.
    add(&mut writer, r#"e("c", "d")."#).unwrap();
    assert_eq!(reopened(tmp.path()).len(), 6);
}

#[test]
fn unlock_and_drop_write_what_is_held() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = store(tmp.path());
    writer.hold_sync();
    add(&mut writer, r#"e("a", "b")."#).unwrap();
    writer.unlock();
    assert_eq!(reopened(tmp.path()).len(), 1);
    // Still holding back: the next commit waits for `sync`, or the handle's end.
    add(&mut writer, r#"e("b", "c")."#).unwrap();
    assert_eq!(reopened(tmp.path()).len(), 1);
    drop(writer);
    assert_eq!(reopened(tmp.path()).len(), 3);
}

#[test]
fn a_failing_commit_keeps_the_commits_held_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = store(tmp.path());
    writer.hold_sync();
    add(&mut writer, r#"e("a", "b")."#).unwrap();
    writer.set_limits(Limits {
        max_facts: Some(2),
        ..Limits::NONE
    });
    let e = add(&mut writer, r#"e("b", "c"). e("c", "d")."#).unwrap_err();
    assert!(e.to_string().contains("unchanged"), "{e}");
    writer.set_limits(Limits::NONE);
    writer.sync().unwrap();
    let want = vec![vec![Value::Symbol("a".into()), Value::Symbol("b".into())]];
    let values = |facts: Vec<Fact>| facts.into_iter().map(|f| f.values).collect::<Vec<_>>();
    assert_eq!(values(paths(&mut writer)), want);
    assert_eq!(values(reopened(tmp.path())), want);
}
