//! The thread that the write path's tasks run on when the database is SQLite: the span
//! writer, the assembler's claims and its saves. Each of them holds the node's one write
//! turn across several hand-offs to the writing connection's thread. On the runtime's
//! workers each answer waited behind whatever else they were doing (decoding exports,
//! parsing chunks), while the turn stayed held: it was held 80% of the time while the
//! connection's thread worked for under half of it. On a thread of their own they go on at
//! once (docs/benchmarks.md, fourteenth pass).

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};
use tokio::task::JoinHandle;

use crate::store::Backend;

/// Runs `task`, which writes to a database of `backend`: on SQLite on the write path's
/// thread (started with the first such task; it lives as long as the process); on
/// PostgreSQL, whose writers share no turn and whose connections answer through the
/// runtime's own I/O driver, as any task.
pub fn spawn<F>(backend: Backend, task: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    static WRITES: OnceLock<Handle> = OnceLock::new();
    match backend {
        Backend::Postgres => tokio::spawn(task),
        Backend::Sqlite => WRITES
            .get_or_init(|| {
                // One thread: two were slower (the tasks then also wait for each other's
                // thread to be scheduled).
                let runtime = Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("starting the write path's runtime");
                let handle = runtime.handle().clone();
                std::thread::Builder::new()
                    .name("omegi-writes".into())
                    .spawn(move || runtime.block_on(std::future::pending::<()>()))
                    .expect("starting the write path's thread");
                handle
            })
            .spawn(task),
    }
}
