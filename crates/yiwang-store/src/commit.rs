//! What the two stores' writers share: the queue of write requests, their answers,
//! and the handle through which callers submit them and wait. Each store's `writer`
//! module runs the thread that takes the queue, commits it in groups and answers;
//! `E` is that store's kind of arbitrary write (a boxed closure over its connection).

use crate::{AppendBatch, NewCase, Result, StoreError};
use std::sync::mpsc;
use std::thread::JoinHandle;
use yiwang_core::appeal::Appeal;

/// Where a request's answer goes; the requester blocks on the other end.
pub(crate) type Reply<T> = mpsc::SyncSender<Result<T>>;

pub(crate) enum Job<E> {
    Create(Box<NewCase>, Reply<Appeal>),
    Append(Box<AppendBatch>, Reply<Appeal>),
    Exec(E, Reply<()>),
}

impl<E> Job<E> {
    /// Answers a job that was never run.
    pub(crate) fn refuse(self, msg: &str) {
        let e = || StoreError::Database(msg.to_owned());
        match self {
            Job::Create(_, r) | Job::Append(_, r) => Done::Appeal(r, Box::new(Err(e()))).send(),
            Job::Exec(_, r) => Done::Unit(r, Err(e())).send(),
        }
    }
}

/// A job that has run, with its answer, waiting for its batch to commit.
pub(crate) enum Done {
    Appeal(Reply<Appeal>, Box<Result<Appeal>>),
    Unit(Reply<()>, Result<()>),
}

impl Done {
    pub(crate) fn failed(&self) -> bool {
        match self {
            Done::Appeal(_, r) => r.is_err(),
            Done::Unit(_, r) => r.is_err(),
        }
    }

    /// The same answer turned into an error: its batch did not commit.
    pub(crate) fn fail(self, e: &str) -> Self {
        match self {
            Done::Appeal(r, _) => Done::Appeal(r, Box::new(Err(StoreError::Database(e.to_owned())))),
            Done::Unit(r, _) => Done::Unit(r, Err(StoreError::Database(e.to_owned()))),
        }
    }

    pub(crate) fn send(self) {
        // A requester that has gone away (timed out, disconnected) no longer needs
        // the answer; its write is committed all the same.
        match self {
            Done::Appeal(r, v) => drop(r.send(*v)),
            Done::Unit(r, v) => drop(r.send(v)),
        }
    }
}

/// The handle to a writer thread. Dropping it lets the thread finish what is queued
/// and waits for it.
pub(crate) struct Writer<E> {
    tx: Option<mpsc::Sender<Job<E>>>,
    handle: Option<JoinHandle<()>>,
}

impl<E: Send + 'static> Writer<E> {
    /// Starts the thread `name`, which runs `run` on the queue until every handle to
    /// it is gone.
    pub(crate) fn spawn(name: &str, run: impl FnOnce(mpsc::Receiver<Job<E>>) + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel::<Job<E>>();
        let handle = std::thread::Builder::new().name(name.into()).spawn(move || run(rx)).expect("spawn writer thread");
        Writer { tx: Some(tx), handle: Some(handle) }
    }

    /// Queues a job and waits for its answer.
    pub(crate) fn submit<T>(&self, make: impl FnOnce(Reply<T>) -> Job<E>) -> Result<T> {
        let (rtx, rrx) = mpsc::sync_channel(1);
        self.tx.as_ref().ok_or(StoreError::Closed)?.send(make(rtx)).map_err(|_| StoreError::Closed)?;
        rrx.recv().map_err(|_| StoreError::Closed)?
    }

    pub(crate) fn create(&self, new: NewCase) -> Result<Appeal> {
        self.submit(|r| Job::Create(Box::new(new), r))
    }

    pub(crate) fn append(&self, batch: AppendBatch) -> Result<Appeal> {
        self.submit(|r| Job::Append(Box::new(batch), r))
    }
}

impl<E> Drop for Writer<E> {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
