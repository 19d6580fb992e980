//! Group commit for the tools that write: each call joins a queue; whoever takes the writer's
//! handle next runs every call queued by then, one after another (each its own commit, seeing
//! the ones before it, as a serial replay would), holds back their wait for the disk and
//! makes them durable together ([`engram_store::Store::hold_sync`]); each caller is answered
//! once its commit is durable. Under one client a group is one call; under many, the calls
//! that queued while a group ran share the next one's wait.

use crate::calls::{self, CallError};
use crate::{Server, Session};
use serde_json::Value as Json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// A write waiting for the writer's handle.
pub(crate) struct Queued {
    name: String,
    args: Json,
    reply: mpsc::Sender<Result<Json, CallError>>,
}

/// How the writes were grouped, since the server started.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Groups run (each one wait for the disk, or none for a group that changed nothing).
    pub groups: AtomicU64,
    /// Writes run in them.
    pub writes: AtomicU64,
}

impl Server {
    /// Runs the writing tool `name` in the next group (blocking: called off the async
    /// runtime's threads); returns its answer and the store's generation after the group.
    pub(crate) fn write_in_group(&self, name: &str, args: Json) -> (Result<Json, CallError>, u64) {
        let (reply, answer) = mpsc::channel();
        let queued = Queued {
            name: name.to_string(),
            args,
            reply,
        };
        self.queue().push(queued);
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        // Ours, unless the group before took it (then it is answered, or will be once
        // durable: that group holds no lock we wait for).
        let batch = std::mem::take(&mut *self.queue());
        if !batch.is_empty() {
            self.counts.groups.fetch_add(1, Ordering::Relaxed);
            (self.counts.writes).fetch_add(batch.len() as u64, Ordering::Relaxed);
            session.run_group(batch);
        }
        let generation = session.store.state().1;
        drop(session);
        let result = answer.recv().unwrap_or_else(|_| {
            Err(CallError::Failed(format!(
                "tool {name}: the writer stopped"
            )))
        });
        (result, generation)
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many groups of writes ran, and how many writes they held.
    pub fn group_counts(&self) -> (u64, u64) {
        let c = &self.counts;
        (
            c.groups.load(Ordering::Relaxed),
            c.writes.load(Ordering::Relaxed),
        )
    }
}

impl Session {
    /// Runs a group of writes at the latest commit, with the writer lock for the group only,
    /// and answers each once the group's commits are durable. A call that fails makes the
    /// ones before it durable first, and the handle reads the store again as committed.
    fn run_group(&mut self, batch: Vec<Queued>) {
        if let [_] = batch.as_slice() {
            let q = batch.into_iter().next().expect("one");
            let _ = q.reply.send(self.call(&q.name, &q.args));
            return;
        }
        let mut done: Vec<(Queued, Result<Json, CallError>)> = Vec::with_capacity(batch.len());
        // The answers from here on wait for the next wait for the disk.
        let mut pending = 0;
        if let Err(e) = self.store.refresh() {
            let e = CallError::from(e);
            for q in batch {
                let _ = q.reply.send(Err(CallError::Failed(e.to_string())));
            }
            return;
        }
        self.store.hold_sync();
        for q in batch {
            let result = calls::call(&mut self.store, &mut self.kept, &q.name, &q.args);
            if result.is_err() {
                let synced = self.store.sync();
                undo_since(&mut done, pending, synced);
                pending = done.len() + 1;
                self.reopen();
                self.store.hold_sync();
            }
            done.push((q, result));
        }
        let synced = self.store.sync();
        undo_since(&mut done, pending, synced);
        self.store.unlock();
        for (q, result) in done {
            let _ = q.reply.send(result);
        }
    }
}

/// When a wait for the disk failed, the answers since `from` (their commits lost with it)
/// become that failure.
fn undo_since(
    done: &mut [(Queued, Result<Json, CallError>)],
    from: usize,
    synced: Result<(), engram_store::WriteError>,
) {
    let Err(e) = synced else { return };
    for (_, result) in &mut done[from..] {
        if result.is_ok() {
            *result = Err(CallError::Failed(format!("not made durable: {e}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Access, Options, Server};
    use serde_json::json;

    /// Writes that queue while the writer is busy run as one group, and each is durable
    /// (another handle opened afresh reads it) when it is answered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(clippy::await_holding_lock)] // the writer kept busy while the writes queue
    async fn writes_that_queue_share_one_group_and_are_durable_when_answered() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("db");
        let server = Server::open(&db, &Options::default()).unwrap();
        let busy = server.session.lock().unwrap();
        let calls: Vec<_> = (0..8)
            .map(|i| {
                let server = server.clone();
                let args = json!({"from": "agent", "type": "knows", "to": format!("peer {i}")});
                tokio::spawn(async move { server.call("relate", args, Access::Write).await })
            })
            .collect();
        while server.queue().len() < 8 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        drop(busy);
        for (i, call) in calls.into_iter().enumerate() {
            call.await.unwrap().unwrap();
            let mut fresh = engram_store::Store::open(&db).unwrap();
            let known = fresh.facts("edge").unwrap().unwrap_or_default();
            assert!(known.len() > i, "answered, but not durable: {known:?}");
        }
        assert_eq!(server.group_counts(), (1, 8));
        // One alone is a group of one.
        let args = json!({"from": "agent", "type": "knows", "to": "peer 8"});
        server.call("relate", args, Access::Write).await.unwrap();
        assert_eq!(server.group_counts(), (2, 9));
    }
}
