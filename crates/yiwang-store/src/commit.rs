//! What the two stores' writers share: the queue of write requests, their answers,
//! and the handle through which callers submit them. Each store's `writer` module
//! runs the thread that takes the queue, commits it in groups and answers; `E` is
//! that store's kind of arbitrary write (a boxed closure over its connection).
//!
//! A request's answer is a `Pending`: a plain thread blocks on it (`wait`), an async
//! task awaits it. An HTTP handler that awaits its commit holds no thread while the
//! writer and the disk work, so intake needs no blocking-pool thread per request and
//! no hand-off to one and back.

use crate::{AppendBatch, NewCase, Result, StoreError};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use yiwang_core::case::Case;

/// Where one answer is left for its requester.
struct Slot<T> {
    state: Mutex<SlotState<T>>,
    ready: Condvar,
}

struct SlotState<T> {
    value: Option<Result<T>>,
    /// The task awaiting the answer, woken when it is left.
    waker: Option<Waker>,
}

/// The answer to a write request, once its commit is on disk (or it was refused).
/// `wait` blocks the calling thread for it; `.await` suspends the calling task.
#[must_use = "a write is acknowledged only through its answer"]
pub struct Pending<T>(Arc<Slot<T>>);

/// The writer's end of a `Pending`. Dropped unanswered (a writer that stopped), it
/// answers `StoreError::Closed`, so no requester waits forever.
pub(crate) struct Reply<T>(Option<Arc<Slot<T>>>);

/// A new request's two ends.
pub(crate) fn pending<T>() -> (Reply<T>, Pending<T>) {
    let slot = Arc::new(Slot { state: Mutex::new(SlotState { value: None, waker: None }), ready: Condvar::new() });
    (Reply(Some(slot.clone())), Pending(slot))
}

impl<T> Pending<T> {
    /// An answer known before anything reaches a writer (a request refused at once).
    pub(crate) fn ready(value: Result<T>) -> Self {
        let (reply, pending) = pending();
        reply.send(value);
        pending
    }

    /// Blocks until the answer is there.
    pub fn wait(self) -> Result<T> {
        let mut st = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(v) = st.value.take() {
                return v;
            }
            st = self.0.ready.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl<T> Future for Pending<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let mut st = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        match st.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                // The waker of the latest poll is the one to wake.
                if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    st.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Reply<T> {
    pub(crate) fn send(mut self, value: Result<T>) {
        if let Some(slot) = self.0.take() {
            leave(&slot, value);
        }
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            leave(&slot, Err(StoreError::Closed));
        }
    }
}

fn leave<T>(slot: &Slot<T>, value: Result<T>) {
    let waker = {
        let mut st = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        st.value = Some(value);
        st.waker.take()
    };
    slot.ready.notify_one();
    // Woken outside the lock: the woken task may poll at once on another thread.
    if let Some(w) = waker {
        w.wake();
    }
}

pub(crate) enum Job<E> {
    Create(Box<NewCase>, Reply<Case>),
    Append(Box<AppendBatch>, Reply<Case>),
    /// An arbitrary write, undone alone if it fails (in a savepoint of its own).
    Exec(E, Reply<()>),
    /// An arbitrary write that checks everything that can refuse it before its first
    /// write, as creates and appends do, so it needs no savepoint: failing after that
    /// fails its whole batch. For large writes (bulk import), whose every page a
    /// savepoint would copy first. On PostgreSQL it also runs beside the other
    /// writer's batch rather than alone as `Exec` does: a bulk import writes cases of
    /// its own, refused as `Duplicate` by the event table's key if stored already.
    Checked(E, Reply<()>),
}

impl<E> Job<E> {
    /// Answers a job that was never run.
    pub(crate) fn refuse(self, msg: &str) {
        let e = || StoreError::Database(msg.to_owned());
        match self {
            Job::Create(_, r) | Job::Append(_, r) => Done::Case(r, Box::new(Err(e()))).send(),
            Job::Exec(_, r) | Job::Checked(_, r) => Done::Unit(r, Err(e())).send(),
        }
    }
}

/// A job that has run, with its answer, waiting for its batch to commit.
pub(crate) enum Done {
    Case(Reply<Case>, Box<Result<Case>>),
    Unit(Reply<()>, Result<()>),
}

impl Done {
    pub(crate) fn error(&self) -> Option<&StoreError> {
        match self {
            Done::Case(_, r) => r.as_ref().as_ref().err(),
            Done::Unit(_, r) => r.as_ref().err(),
        }
    }

    /// The answer once its batch did not commit: a success becomes an error; a request
    /// already refused (a stale version, a tracking code taken …) keeps its refusal,
    /// which its caller may act on (reload, draw another code).
    pub(crate) fn fail(self, e: &str) -> Self {
        match self {
            Done::Case(r, v) if v.is_ok() => Done::Case(r, Box::new(Err(StoreError::Database(e.to_owned())))),
            Done::Unit(r, Ok(())) => Done::Unit(r, Err(StoreError::Database(e.to_owned()))),
            refused => refused,
        }
    }

    pub(crate) fn send(self) {
        // A requester that has gone away (timed out, disconnected) no longer needs
        // the answer; its write is committed all the same.
        match self {
            Done::Case(r, v) => r.send(*v),
            Done::Unit(r, v) => r.send(v),
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

    /// Queues a job; its answer comes through the `Pending`.
    pub(crate) fn submit<T>(&self, make: impl FnOnce(Reply<T>) -> Job<E>) -> Pending<T> {
        let (reply, pending) = pending();
        // A writer that has stopped drops the job, and with it the reply: `Closed`.
        // Counted out again when a writer takes it into a batch (`batch_taken`).
        if let Some(tx) = &self.tx
            && tx.send(make(reply)).is_ok()
        {
            yiwang_metrics::STORE.queued.add(1);
        }
        pending
    }

    pub(crate) fn create(&self, new: NewCase) -> Pending<Case> {
        self.submit(|r| Job::Create(Box::new(new), r))
    }

    pub(crate) fn append(&self, batch: AppendBatch) -> Pending<Case> {
        self.submit(|r| Job::Append(Box::new(batch), r))
    }
}

/// A writer held still: every write submitted meanwhile waits in the queue, and the
/// writer takes them together once the hold is dropped. For tests whose requests must
/// meet in one batch (`SqliteStore::hold_writes`, `PgStore::hold_writes`).
pub struct WriteHold {
    gate: Arc<(Mutex<bool>, Condvar)>,
    held: Vec<Pending<()>>,
}

impl WriteHold {
    /// Holds a writer with `jobs` (one per writer thread), each made by `make` from a
    /// function its writer runs: it blocks until the hold is dropped. Returns once at
    /// least one writer is held.
    pub(crate) fn new(jobs: usize, submit: impl Fn(Box<dyn FnOnce() + Send>) -> Pending<()>) -> Self {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (entered, held_now) = mpsc::channel::<()>();
        let held = (0..jobs)
            .map(|_| {
                let (gate, entered) = (gate.clone(), entered.clone());
                submit(Box::new(move || {
                    let _ = entered.send(());
                    let mut open = gate.0.lock().unwrap_or_else(|p| p.into_inner());
                    while !*open {
                        open = gate.1.wait(open).unwrap_or_else(|p| p.into_inner());
                    }
                }))
            })
            .collect();
        let _ = held_now.recv();
        WriteHold { gate, held }
    }
}

impl Drop for WriteHold {
    fn drop(&mut self) {
        *self.gate.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.gate.1.notify_all();
        for p in self.held.drain(..) {
            let _ = p.wait();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_thread_gets_the_answer_sent_from_another() {
        let (reply, pending) = pending::<u32>();
        let sender = std::thread::spawn(move || reply.send(Ok(7)));
        assert_eq!(pending.wait().unwrap(), 7);
        sender.join().unwrap();
    }

    #[test]
    fn an_awaiting_task_is_woken_by_the_answer() {
        struct Flag(std::sync::atomic::AtomicBool);
        impl std::task::Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let flag = Arc::new(Flag(false.into()));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let (reply, mut pending) = pending::<u32>();
        assert!(Pin::new(&mut pending).poll(&mut cx).is_pending());
        reply.send(Ok(3));
        assert!(flag.0.load(std::sync::atomic::Ordering::SeqCst), "the answer wakes the task");
        assert!(matches!(Pin::new(&mut pending).poll(&mut cx), Poll::Ready(Ok(3))));
    }

    #[test]
    fn a_reply_dropped_unanswered_says_the_store_closed() {
        let (reply, pending) = pending::<u32>();
        drop(reply);
        assert!(matches!(pending.wait(), Err(StoreError::Closed)));
    }
}
