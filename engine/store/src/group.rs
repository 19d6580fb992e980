//! Group commit: a writer serving many clients (`engram serve`) holds back the durability of
//! the commits it makes for the writes that queued while it was busy, and makes them durable
//! together, with one write of their log records and one wait for the disk, answering each
//! once they are. Each commit is still its own (its own generation, its own inference, seen by
//! the next commit of the group), so a group's answers are a serial replay's; only the wait
//! for the disk is shared.

use super::Store;
use super::error::StoreError;
use super::log;
use crate::WriteError;

impl Store {
    /// Holds back durability: the commits that follow are made and seen by this handle at
    /// once, and their log records wait in memory until [`Store::sync`] writes them all with
    /// one wait for the disk. No other handle sees them before; a commit that is too big for
    /// the log (a checkpoint), [`Store::unlock`] and a commit that fails write them first.
    /// A commit is durable only once `sync` has returned `Ok`: answer its caller then.
    pub fn hold_sync(&mut self) {
        if self.writer.held.is_none() {
            self.writer.held = Some(Vec::new());
        }
    }

    /// Makes the commits held back since [`Store::hold_sync`] durable, with one write and
    /// one wait for the disk, and stops holding back. An error: none of them is durable, and
    /// the handle is back at the last durable commit.
    pub fn sync(&mut self) -> Result<(), WriteError> {
        let written = self.write_held();
        if written.is_err() {
            self.back_to_disk();
        }
        self.writer.held = None;
        if let Some(lost) = self.writer.lost.take() {
            return Err(StoreError::Invalid(lost).into());
        }
        Ok(written?)
    }

    /// Whether this handle made commits that are not yet in the log.
    pub(crate) fn holds_commits(&self) -> bool {
        self.writer.held.as_ref().is_some_and(|h| !h.is_empty())
    }

    /// Writes the commits held back to the log, waiting for the disk once (and keeps holding
    /// back the commits to come). An error: none of them is in the log, and this handle is
    /// ahead of the disk (the caller goes back to it).
    pub(crate) fn write_held(&mut self) -> Result<(), StoreError> {
        if !self.holds_commits() {
            return Ok(());
        }
        let framed = std::mem::take(self.writer.held.as_mut().expect("held"));
        let wal = self
            .files
            .manifest
            .wal
            .clone()
            .expect("held records have a log");
        let path = self.files.storage.path(&wal);
        let file = self
            .writer
            .log_file
            .as_mut()
            .expect("held records have a log");
        log::append(&mut **file, &path, &framed)?;
        log::note_committed(&*self.files.storage, &wal, self.files.log_len);
        Ok(())
    }

    /// Writes the commits held back before the handle goes back to the disk's state; when
    /// that fails they are lost, and the next [`Store::sync`] says so.
    pub(crate) fn write_held_or_lose(&mut self) {
        if let Err(e) = self.write_held() {
            self.writer.lost = Some(format!(
                "the commits held back for one wait for the disk were not made durable: {e}"
            ));
        }
    }

    /// Writes the commits held back, or (that failing) loses them and goes back to the disk's
    /// state; the next [`Store::sync`] says so.
    pub(crate) fn write_held_or_reload(&mut self) {
        if self.holds_commits() {
            self.write_held_or_lose();
            if self.writer.lost.is_some() {
                self.back_to_disk();
            }
        }
    }

    /// Reads the last durable state again (after commits held back were lost).
    fn back_to_disk(&mut self) {
        match Store::load(&self.files.storage) {
            Ok(loaded) => self.reload(loaded),
            Err(e) => {
                let lost = self.writer.lost.get_or_insert_with(String::new);
                lost.push_str(&format!(
                    "; reading the store back failed too ({e}): open the store again"
                ));
            }
        }
    }
}

impl Drop for Store {
    /// Commits held back and never synced are written (a handle dropped without
    /// [`Store::sync`] loses nothing it committed); an error here has no one to tell.
    fn drop(&mut self) {
        if self.holds_commits() {
            let _ = self.write_held();
        }
    }
}
