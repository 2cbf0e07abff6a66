//! The single writer: one thread owns the write connection and commits in groups.
//!
//! Callers hand it jobs (`FnOnce(&Transaction) -> Result<T>`). It takes every job waiting, opens
//! one `BEGIN IMMEDIATE`, runs each job in its own `SAVEPOINT` (a job's error rolls back only that
//! job), commits once, and only then answers each of them. The pages every reservation touches
//! (the inventory row, the last pages of each index) are written to the WAL once per group instead
//! of once per request; under light load a group is one job and costs nothing extra. A group is
//! bounded in jobs and in time, so no answer waits long for the others.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rocket::tokio::sync::oneshot;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::AppError;

/// At most this many jobs share one commit.
const MAX_GROUP: usize = 64;
/// A group stops taking jobs once it has run this long; the rest go in the next one.
const MAX_GROUP_TIME: Duration = Duration::from_millis(4);

/// A caller's job and where its answer goes, with the result's type erased.
trait Task: Send {
    /// Runs the job; the answer waits for the group's commit.
    fn run(self: Box<Self>, tx: &Transaction<'_>) -> Box<dyn Answer>;
    /// Answers without running (the group could not begin).
    fn fail(self: Box<Self>, why: AppError);
}

/// A job's result, held until its group's fate is known.
trait Answer: Send {
    fn succeeded(&self) -> bool;
    /// Sends the result if the group committed, else the reason it did not.
    fn send(self: Box<Self>, committed: Result<(), AppError>);
}

struct Typed<F, T> {
    job: F,
    reply: oneshot::Sender<Result<T, AppError>>,
}

impl<F, T> Task for Typed<F, T>
where
    F: FnOnce(&Transaction<'_>) -> Result<T, AppError> + Send,
    T: Send + 'static,
{
    fn run(self: Box<Self>, tx: &Transaction<'_>) -> Box<dyn Answer> {
        let Typed { job, reply } = *self;
        let result = catch_unwind(AssertUnwindSafe(|| job(tx)))
            .unwrap_or_else(|_| Err(AppError::Internal("a write job panicked".into())));
        Box::new(Held { result, reply })
    }

    fn fail(self: Box<Self>, why: AppError) {
        let _ = self.reply.send(Err(why));
    }
}

struct Held<T> {
    result: Result<T, AppError>,
    reply: oneshot::Sender<Result<T, AppError>>,
}

impl<T: Send> Answer for Held<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn send(self: Box<Self>, committed: Result<(), AppError>) {
        let _ = self.reply.send(committed.and(self.result));
    }
}

struct Waiting {
    task: Box<dyn Task>,
    since: Instant,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Waiting>,
    open: bool,
    /// The writer sleeps on `ready`; only then is a wake-up (a syscall) needed.
    idle: bool,
}

/// The queue between callers and the writer thread.
struct Queue {
    state: Mutex<State>,
    ready: Condvar,
    stats: WriterStats,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counters of the writer, for `/metrics`.
#[derive(Default)]
pub struct WriterStats {
    /// Jobs committed or refused.
    pub jobs: AtomicU64,
    /// Commits (groups).
    pub groups: AtomicU64,
    /// Total time jobs waited in the queue before running, in microseconds.
    pub queue_wait_micros: AtomicU64,
    /// Jobs by queue wait, in the buckets of [`WAIT_BUCKETS_MICROS`] (the last counts the rest).
    pub wait_buckets: [AtomicU64; WAIT_BUCKETS_MICROS.len() + 1],
}

/// Upper bounds of the queue-wait histogram.
pub const WAIT_BUCKETS_MICROS: [u64; 10] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 1_000_000,
];

impl WriterStats {
    fn waited(&self, wait: Duration) {
        let micros = wait.as_micros().min(u128::from(u64::MAX)) as u64;
        self.queue_wait_micros.fetch_add(micros, Ordering::Relaxed);
        let bucket = WAIT_BUCKETS_MICROS
            .iter()
            .position(|b| micros <= *b)
            .unwrap_or(WAIT_BUCKETS_MICROS.len());
        self.wait_buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// The handle callers hold; dropping the last one stops the thread after its last group.
pub(super) struct Writer {
    queue: Arc<Queue>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(super) fn start(conn: Connection) -> Result<Writer, AppError> {
        let queue = Arc::new(Queue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                open: true,
                idle: false,
            }),
            ready: Condvar::new(),
            stats: WriterStats::default(),
        });
        let thread_queue = Arc::clone(&queue);
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run(conn, &thread_queue))
            .map_err(|e| AppError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(Writer { queue })
    }

    pub(super) fn stats(&self) -> &WriterStats {
        &self.queue.stats
    }

    /// Queues `f`; the receiver answers once its group has committed (or failed).
    pub(super) fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> oneshot::Receiver<Result<T, AppError>> {
        let (reply, rx) = oneshot::channel();
        let task = Box::new(Typed { job: f, reply });
        let mut state = self.queue.lock();
        state.jobs.push_back(Waiting {
            task,
            since: Instant::now(),
        });
        let idle = std::mem::take(&mut state.idle);
        drop(state);
        if idle {
            self.queue.ready.notify_one();
        }
        rx
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.queue.lock().open = false;
        self.queue.ready.notify_one();
    }
}

/// The writer thread: one group after another until the queue is closed and empty.
fn run(mut conn: Connection, queue: &Queue) {
    while let Some(group) = next_group(queue) {
        commit_group(&mut conn, queue, group);
    }
}

/// Waits for work and takes what is waiting (at most a group's worth); `None` once closed.
fn next_group(queue: &Queue) -> Option<VecDeque<Waiting>> {
    let mut state = queue.lock();
    while state.jobs.is_empty() {
        if !state.open {
            return None;
        }
        state.idle = true;
        state = queue.ready.wait(state).unwrap_or_else(|p| p.into_inner());
    }
    state.idle = false;
    let n = state.jobs.len().min(MAX_GROUP);
    Some(state.jobs.drain(..n).collect())
}

/// Runs a group in one transaction and answers every job after the commit. Jobs not reached
/// within the time bound go back to the front of the queue.
fn commit_group(conn: &mut Connection, queue: &Queue, mut group: VecDeque<Waiting>) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let why = AppError::from(e);
            return group.into_iter().for_each(|w| w.task.fail(why.clone()));
        }
    };
    let started = Instant::now();
    let mut answers = Vec::with_capacity(group.len());
    while let Some(waiting) = group.pop_front() {
        if !answers.is_empty() && started.elapsed() > MAX_GROUP_TIME {
            group.push_front(waiting);
            break;
        }
        queue.stats.waited(waiting.since.elapsed());
        match run_in_savepoint(&tx, waiting.task) {
            Ok(answer) => answers.push(answer),
            Err((current, lost)) => {
                // SQLite rolled the whole transaction back (e.g. disk full): every job of the
                // group so far is undone; tell them, and give the rest another group.
                let why = AppError::from(lost);
                answers.extend(current);
                answers.into_iter().for_each(|a| a.send(Err(why.clone())));
                requeue(queue, group);
                return;
            }
        }
    }
    requeue(queue, group);
    let committed = tx.commit().map_err(AppError::from);
    queue.stats.groups.fetch_add(1, Ordering::Relaxed);
    queue
        .stats
        .jobs
        .fetch_add(answers.len() as u64, Ordering::Relaxed);
    for answer in answers {
        answer.send(committed.clone());
    }
}

/// The outer transaction is gone: the error, and the answer of the job that was running (if it
/// ran), which must be told too.
type Lost = (Option<Box<dyn Answer>>, rusqlite::Error);

/// Runs one job in its own savepoint.
fn run_in_savepoint(tx: &Transaction<'_>, task: Box<dyn Task>) -> Result<Box<dyn Answer>, Lost> {
    if let Err(e) = statement(tx, "SAVEPOINT job") {
        task.fail(AppError::from(clone_error(&e)));
        return Err((None, e));
    }
    let answer = task.run(tx);
    let closed = if tx.is_autocommit() {
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
            Some("the write transaction was rolled back".into()),
        ))
    } else if answer.succeeded() {
        statement(tx, "RELEASE job")
    } else {
        statement(tx, "ROLLBACK TO job").and_then(|()| statement(tx, "RELEASE job"))
    };
    match closed {
        Ok(()) => Ok(answer),
        Err(e) => Err((Some(answer), e)),
    }
}

/// Runs one of the savepoint statements, prepared once per connection.
fn statement(tx: &Transaction<'_>, sql: &str) -> Result<(), rusqlite::Error> {
    tx.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// A copy of an error for the callers of a failed group (rusqlite errors do not clone).
fn clone_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(f, m) => rusqlite::Error::SqliteFailure(*f, m.clone()),
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

/// Puts jobs back at the front of the queue, in order.
fn requeue(queue: &Queue, rest: VecDeque<Waiting>) {
    if rest.is_empty() {
        return;
    }
    let mut state = queue.lock();
    for waiting in rest.into_iter().rev() {
        state.jobs.push_front(waiting);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::db::Db;
    use crate::error::AppError;

    fn scratch() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("w.db"), 2).unwrap();
        db.write(|tx| Ok(tx.execute_batch("CREATE TABLE t (n INTEGER NOT NULL)")?))
            .unwrap();
        (dir, db)
    }

    fn count(db: &Db) -> i64 {
        db.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn a_failing_job_rolls_back_only_itself_while_its_group_commits() {
        let (_dir, db) = scratch();
        let results: Vec<Result<(), AppError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..200i64)
                .map(|i| {
                    let db = db.clone();
                    s.spawn(move || {
                        db.write(move |tx| {
                            tx.execute("INSERT INTO t (n) VALUES (?1)", [i])?;
                            if i % 3 == 0 {
                                return Err(AppError::invalid_state("refused after writing"));
                            }
                            Ok(())
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok = results.iter().filter(|r| r.is_ok()).count() as i64;
        assert_eq!(ok, 200 - 67);
        assert_eq!(count(&db), ok, "only the successful jobs' rows are there");
        let multiples_of_three: i64 = db
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM t WHERE n % 3 = 0", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(multiples_of_three, 0);
    }

    #[test]
    fn a_panicking_job_is_an_error_and_the_writer_goes_on() {
        let (_dir, db) = scratch();
        let panicked = db.write(|tx| -> Result<(), AppError> {
            tx.execute("INSERT INTO t (n) VALUES (1)", [])?;
            panic!("a bug in a job");
        });
        assert!(matches!(panicked, Err(AppError::Internal(_))));
        db.write(|tx| Ok(tx.execute("INSERT INTO t (n) VALUES (2)", []).map(|_| ())?))
            .unwrap();
        assert_eq!(count(&db), 1);
    }

    #[test]
    fn concurrent_writers_share_commits() {
        let (_dir, db) = scratch();
        std::thread::scope(|s| {
            for _ in 0..16 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..100i64 {
                        db.write(move |tx| {
                            Ok(tx
                                .execute("INSERT INTO t (n) VALUES (?1)", [i])
                                .map(|_| ())?)
                        })
                        .unwrap();
                    }
                });
            }
        });
        assert_eq!(count(&db), 1600);
        let stats = db.writer_stats();
        let (jobs, groups) = (
            stats.jobs.load(Ordering::Relaxed),
            stats.groups.load(Ordering::Relaxed),
        );
        assert!(jobs >= 1600, "{jobs}");
        assert!(groups < jobs, "{groups} commits for {jobs} jobs");
    }
}
