//! I/O fault injection under the store (a store on `engram_engine::store::faults::FaultStorage`,
//! a backend that asks a hook before each change to the files): every operation of a
//! commit, a checkpoint and a rule change fails in turn (a countdown, as redb's fuzzer does),
//! as a full disk, a short write, a failed fsync or a failed rename; and a power loss is
//! simulated at every step, dropping every write not yet fsynced (file contents and directory
//! entries), which a SIGKILL cannot test since the page cache survives it.
//!
//! Each case must leave the last committed state readable (or the new one, when the failure
//! came after the commit was durable), report the failure naming the file (a full disk says
//! so), and take the next commit once the fault clears.

use engram_engine::store::faults::{FaultStorage, Hook, Op, Outcome};
use engram_engine::{Store, Value};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What a store holds, without times (each commit stamps its own).
type State = BTreeMap<String, Vec<(Vec<engram_engine::Value>, u64, u32)>>;

fn state(store: &mut Store) -> State {
    let mut state: State = (engram_tests::snapshot(store).into_iter())
        .map(|(rel, facts)| {
            let facts = facts
                .into_iter()
                .map(|(v, c, d, _)| (v, (c * 1e6).round() as u64, d))
                .collect();
            (rel, facts)
        })
        .collect();
    // What a substring search finds (through the trigram files beside the string runs).
    for needle in ["node", "ALPHA", "a n", "gam"] {
        let found = store.symbols_containing(needle).unwrap();
        state.insert(format!("search {needle}"), vec![(found, 0, 0)]);
    }
    state
}

/// A store with rules, run files (with their orders files) from a compaction and a logged
/// commit after it.
fn template(dir: &Path) -> PathBuf {
    let path = dir.join("template");
    let mut s = Store::create(&path).unwrap();
    s.set_orders_min_rows(1);
    s.add_rules(
        "closure",
        ".decl edge(a: symbol, b: symbol)\n.decl path(a: symbol, b: symbol)\n\
         path(a, b) :- edge(a, b).\npath(a, c) :- path(a, b), edge(b, c).\n",
    )
    .unwrap();
    s.add_rules(
        "records",
        ".type Pair = [a: symbol, b: symbol]\n.type Nest = [p: Pair, rest: Nest]\n\
         .decl tagged(p: Pair, n: number)\n.decl nest(x: Nest)\n\
         nest([p, nil]) :- tagged(p, _).\n",
    )
    .unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add_text(
        "edge(\"a\", \"b\"). edge(\"b\", \"c\"). edge(\"c\", \"d\"). \
         edge(\"alpha node\", \"beta node\").",
    )
    .unwrap();
    tx.add("tagged", vec![pair("a", "b"), Value::Number(0)])
        .unwrap();
    tx.commit().unwrap();
    s.compact().unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add_text("edge(\"d\", \"e\").").unwrap();
    tx.commit().unwrap();
    path
}

/// A record of two symbols.
fn pair(a: &str, b: &str) -> Value {
    Value::Record(vec![Value::Symbol(a.into()), Value::Symbol(b.into())])
}

/// The operations under test: a logged commit, a checkpoint, a rule change (which writes run
/// files and a manifest, as a commit of more than 65,536 facts does), the same changes as
/// the logged commit made by two commits held back for one wait for the disk (group commit:
/// both durable or neither), and a commit that makes records (written as a checkpoint with a
/// record run).
const STEPS: [&str; 5] = ["commit", "compact", "rules", "group", "records"];

fn step(store: &mut Store, which: &str) -> Result<(), engram_store::WriteError> {
    // Checkpoints write an orders file beside every run, as a large store's are.
    store.set_orders_min_rows(1);
    match which {
        "commit" => {
            let mut tx = store.transaction()?;
            tx.add_text("edge(\"e\", \"f\"). edge(\"x\", \"a\"). edge(\"gamma node\", \"a\").")?;
            tx.retract_text("edge(\"b\", \"c\").")?;
            tx.commit().map(drop)
        }
        "group" => {
            store.hold_sync();
            let mut tx = store.transaction()?;
            tx.add_text("edge(\"e\", \"f\").")?;
            tx.retract_text("edge(\"b\", \"c\").")?;
            tx.commit()?;
            let mut tx = store.transaction()?;
            tx.add_text("edge(\"x\", \"a\"). edge(\"gamma node\", \"a\").")?;
            tx.commit()?;
            store.sync()
        }
        "compact" => store.compact().map(drop),
        "records" => {
            let mut tx = store.transaction()?;
            tx.add("tagged", vec![pair("e", "f"), Value::Number(1)])?;
            tx.add("tagged", vec![pair("a", "b"), Value::Number(2)])?;
            tx.add_text("edge(\"e\", \"f\").")?;
            tx.commit().map(drop)
        }
        "rules" => store
            .add_rules(
                "inverse",
                ".decl back(a: symbol, b: symbol)\nback(b, a) :- edge(a, b).\n",
            )
            .map(drop),
        _ => unreachable!("a step of STEPS"),
    }
}

/// The kinds of failure, each with the error an operation of a kind gets.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Writes and creations fail with ENOSPC; other operations go through.
    DiskFull,
    /// Writes put half their bytes down, then ENOSPC.
    ShortWrite,
    /// fsync of a file or a directory fails with EIO.
    FsyncFails,
    /// A rename fails with EIO.
    RenameFails,
    /// Any operation fails with EIO.
    AnyFails,
}

const ENOSPC: i32 = 28;
const EIO: i32 = 5;

/// Fails the `n`-th operation that `fault` applies to (counting from 1).
struct Countdown {
    fault: Fault,
    left: Mutex<usize>,
    fired: Mutex<Option<String>>,
}

impl Countdown {
    fn applies(&self, op: &Op<'_>) -> bool {
        match self.fault {
            Fault::DiskFull => matches!(op, Op::Write(..) | Op::Create(_)),
            Fault::ShortWrite => matches!(op, Op::Write(..)),
            Fault::FsyncFails => matches!(op, Op::Sync(_) | Op::SyncDir(_)),
            Fault::RenameFails => matches!(op, Op::Rename(..)),
            Fault::AnyFails => true,
        }
    }
}

impl Hook for Countdown {
    fn before(&self, op: &Op<'_>) -> Outcome {
        if !self.applies(op) {
            return Outcome::Proceed;
        }
        let mut left = self.left.lock().unwrap();
        // One fault: the operations after it go through.
        if *left == 0 {
            return Outcome::Proceed;
        }
        *left -= 1;
        if *left != 0 {
            return Outcome::Proceed;
        }
        *self.fired.lock().unwrap() = Some(format!("{op:?}"));
        match (self.fault, op) {
            (Fault::ShortWrite, Op::Write(_, n)) => {
                Outcome::Short(n / 2, io::Error::from_raw_os_error(ENOSPC))
            }
            (Fault::DiskFull, _) => Outcome::Fail(io::Error::from_raw_os_error(ENOSPC)),
            _ => Outcome::Fail(io::Error::from_raw_os_error(EIO)),
        }
    }
}

/// The state before and after the step, without faults.
fn reference(tmp: &Path, template: &Path, which: &str) -> (State, State) {
    let before = state(&mut Store::open(template).unwrap());
    let copy = tmp.join(format!("reference-{which}"));
    engram_tests::copy_store(template, &copy);
    let mut s = Store::open(&copy).unwrap();
    step(&mut s, which).unwrap();
    let after = state(&mut Store::open(&copy).unwrap());
    // A checkpoint changes the files, not what they hold.
    assert_eq!(before == after, which == "compact");
    (before, after)
}

fn countdown(fault: Fault, which: &str) -> usize {
    let tmp = tempfile::tempdir().unwrap();
    let template = template(tmp.path());
    let (before, after) = reference(tmp.path(), &template, which);
    let mut faults_injected = 0;
    for n in 1.. {
        let dir = tmp.path().join(format!("case{n}"));
        engram_tests::copy_store(&template, &dir);
        let hook = Arc::new(Countdown {
            fault,
            left: Mutex::new(n),
            fired: Mutex::new(None),
        });
        let mut store = Store::open_on(Arc::new(FaultStorage::on_dir(&dir, hook.clone()))).unwrap();
        let result = step(&mut store, which);
        let fired = hook.fired.lock().unwrap().clone();
        let Some(op) = fired else {
            result.unwrap();
            assert_eq!(state(&mut store), after);
            break;
        };
        faults_injected += 1;
        let what = format!("{fault:?} at {op} (operation {n}) of {which}");
        let on_disk = state(&mut Store::open(&dir).unwrap());
        match result {
            Err(e) => {
                let shown = e.to_string();
                assert!(shown.contains(dir.to_str().unwrap()), "{what}: {shown}");
                if matches!(fault, Fault::DiskFull | Fault::ShortWrite) {
                    assert!(shown.contains("No space left on device"), "{what}: {shown}");
                }
                // The handle and the disk agree, at the last committed state or, when the
                // failure came after the commit was durable, the new one, which says so.
                let held = state(&mut store);
                assert_eq!(held, on_disk, "{what}: the handle differs from the disk");
                if on_disk == after && before != after {
                    assert!(
                        shown.contains("durable"),
                        "{what}: committed, but says {shown}"
                    );
                } else {
                    assert_eq!(on_disk, before, "{what}: part of the commit is visible");
                }
            }
            // A fault in work after the commit that the store does not need (removing dead
            // files, the advisory COMMITTED) leaves the commit whole.
            Ok(()) => assert_eq!(on_disk, after, "{what}: succeeded but not on disk"),
        }
        // The fault cleared: the same handle takes the step (again).
        if state(&mut store) == before {
            step(&mut store, which).unwrap_or_else(|e| panic!("{what}: retry: {e}"));
        }
        assert_eq!(state(&mut store), after, "{what}: after the retry");
        assert_eq!(
            state(&mut Store::open(&dir).unwrap()),
            after,
            "{what}: reopened"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
    faults_injected
}

#[test]
fn every_operation_of_a_commit_checkpoint_and_rule_change_fails_in_turn() {
    let mut total = 0;
    for which in STEPS {
        for fault in [
            Fault::DiskFull,
            Fault::ShortWrite,
            Fault::FsyncFails,
            Fault::RenameFails,
            Fault::AnyFails,
        ] {
            total += countdown(fault, which);
        }
    }
    eprintln!("faults injected: {total}");
    assert!(total > 50, "{total}");
}

/// The disk as a power loss would leave it: what was fsynced, under the names whose directory
/// was fsynced since they were made.
#[derive(Default)]
struct Disk {
    /// Inode to contents, as of its last fsync.
    data: HashMap<u64, Vec<u8>>,
    /// Name to inode, as of the directory's last fsync.
    names: BTreeMap<String, u64>,
}

/// Records what becomes durable, and stops the world (fails everything) from operation `at`.
struct PowerLoss {
    dir: PathBuf,
    at: usize,
    seen: Mutex<usize>,
    disk: Mutex<Disk>,
    lost: Mutex<bool>,
}

impl PowerLoss {
    fn new(dir: &Path, at: usize) -> PowerLoss {
        let mut disk = Disk::default();
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let ino = e.metadata().unwrap().ino();
            disk.names.insert(e.file_name().into_string().unwrap(), ino);
            disk.data.insert(ino, std::fs::read(e.path()).unwrap());
        }
        PowerLoss {
            dir: dir.to_path_buf(),
            at,
            seen: Mutex::new(0),
            disk: Mutex::new(disk),
            lost: Mutex::new(false),
        }
    }

    /// Writes the durable state into `to`.
    fn restore(&self, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        let disk = self.disk.lock().unwrap();
        for (name, ino) in &disk.names {
            // A file never fsynced comes back empty.
            let data = disk.data.get(ino).cloned().unwrap_or_default();
            std::fs::write(to.join(name), data).unwrap();
        }
    }
}

impl Hook for PowerLoss {
    fn before(&self, _op: &Op<'_>) -> Outcome {
        let mut seen = self.seen.lock().unwrap();
        *seen += 1;
        let mut lost = self.lost.lock().unwrap();
        if *seen >= self.at {
            *lost = true;
        }
        match *lost {
            true => Outcome::Fail(io::Error::other("power lost")),
            false => Outcome::Proceed,
        }
    }

    fn after(&self, op: &Op<'_>) {
        let mut disk = self.disk.lock().unwrap();
        match *op {
            Op::Sync(p) => {
                let ino = std::fs::metadata(p).unwrap().ino();
                disk.data.insert(ino, std::fs::read(p).unwrap());
            }
            Op::SyncDir(d) => {
                assert_eq!(d, self.dir);
                disk.names.clear();
                for e in std::fs::read_dir(d).unwrap() {
                    let e = e.unwrap();
                    let ino = e.metadata().unwrap().ino();
                    disk.names.insert(e.file_name().into_string().unwrap(), ino);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_power_loss_at_every_step_leaves_the_last_committed_state_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let template = template(tmp.path());
    let mut losses = 0;
    for which in STEPS {
        let (before, after) = reference(tmp.path(), &template, which);
        for at in 1.. {
            let dir = tmp.path().join(format!("{which}{at}"));
            engram_tests::copy_store(&template, &dir);
            let hook = Arc::new(PowerLoss::new(&dir, at));
            let storage = FaultStorage::on_dir(&dir, hook.clone());
            let mut store = Store::open_on(Arc::new(storage)).unwrap();
            let result = step(&mut store, which);
            drop(store);
            let lost = *hook.lost.lock().unwrap();
            let after_power = tmp.path().join(format!("{which}{at}-after"));
            hook.restore(&after_power);
            let what = format!("power lost at operation {at} of {which}");
            let mut reopened = Store::open(&after_power)
                .unwrap_or_else(|e| panic!("{what}: the store does not open: {e}"));
            let now = state(&mut reopened);
            if !lost {
                // Every operation ran: the commit succeeded and must have been durable.
                result.unwrap();
                assert_eq!(now, after, "{which}: succeeded, but lost with the power");
                break;
            }
            losses += 1;
            assert!(
                now == before || now == after,
                "{what}: neither the last committed state nor the new one"
            );
            // The store takes commits again.
            if now == before {
                step(&mut reopened, which).unwrap_or_else(|e| panic!("{what}: next commit: {e}"));
                assert_eq!(state(&mut reopened), after, "{what}: after the next commit");
            }
            std::fs::remove_dir_all(&dir).unwrap();
            std::fs::remove_dir_all(&after_power).unwrap();
        }
    }
    eprintln!("power losses simulated: {losses}");
    assert!(losses > 10, "{losses}");
}
