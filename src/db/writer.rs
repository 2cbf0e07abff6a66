//! The single writer connection and how writers take turns.

use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

/// The writer connection behind a first-come, first-served lock. A plain mutex lets a thread that
/// just arrived barge past ones that have waited for a while; with dozens of requests queued for
/// the one writer that starves a few of them and makes the latency tail long. Tickets keep order.
pub(super) struct FairLock {
    turns: Mutex<Turns>,
    turn_changed: Condvar,
    conn: Mutex<Connection>,
}

struct Turns {
    next_ticket: u64,
    now_serving: u64,
}

pub(super) struct FairGuard<'a> {
    lock: &'a FairLock,
    conn: Option<MutexGuard<'a, Connection>>,
}

impl FairLock {
    pub(super) fn new(conn: Connection) -> FairLock {
        FairLock {
            turns: Mutex::new(Turns {
                next_ticket: 0,
                now_serving: 0,
            }),
            turn_changed: Condvar::new(),
            conn: Mutex::new(conn),
        }
    }

    pub(super) fn lock(&self) -> FairGuard<'_> {
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        let mine = turns.next_ticket;
        turns.next_ticket += 1;
        while turns.now_serving != mine {
            turns = self
                .turn_changed
                .wait(turns)
                .unwrap_or_else(|p| p.into_inner());
        }
        drop(turns);
        // Uncontended now. A panic inside an earlier transaction poisons it, but rusqlite rolled
        // that transaction back when it was dropped, so the connection is clean to reuse.
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        FairGuard {
            lock: self,
            conn: Some(conn),
        }
    }
}

impl std::ops::Deref for FairGuard<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("held until drop")
    }
}

impl std::ops::DerefMut for FairGuard<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until drop")
    }
}

impl Drop for FairGuard<'_> {
    fn drop(&mut self) {
        self.conn = None;
        let mut turns = self.lock.turns.lock().unwrap_or_else(|p| p.into_inner());
        turns.now_serving += 1;
        self.lock.turn_changed.notify_all();
    }
}
