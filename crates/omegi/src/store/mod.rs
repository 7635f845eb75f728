//! The one storage interface. A single `AnyPool` serves both back-ends, so every query is
//! written once in the SQL both dialects share; the few places where SQLite and PostgreSQL
//! differ ask [`Store::backend`]. Migrations run at start-up, one folder per back-end.

mod accounts;
mod alert_outbox;
mod alerts;
mod assembly;
mod dashboard;
mod errors;
pub mod events;
mod knowledge;
mod note_queries;
mod note_sql;
mod notes;
mod notifications;
mod params;
mod projects;
mod retention;
mod sentry_keys;
mod spans;
mod tokens;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::config::Database;

pub use accounts::NewUser;
pub use alert_outbox::{Attempt, DeliveryRow};
pub use alerts::{AlertSubject, ChannelRow, NewChannel, QuotedNote, RuleInput, RuleRecord};
pub use assembly::{activity_of, DueTrace, Saved};
pub use dashboard::{ErrorStatsData, MapData, StatsData, TraceFilter};
pub use errors::{ErrorFilter, ErrorRowKeys, ErrorSort, OccurrenceRecord, ResolutionInput};
pub use knowledge::{ErrorBrief, NoteScope, VaultRow};
pub use note_queries::{GraphData, GraphSelect, NoteFilter, NoteStats};
pub use notes::NoteInput;
pub use notifications::Recipient;
pub use retention::Expired;
pub use sentry_keys::{SentryKeyOwner, SentryKeyRow};
pub use spans::TraceRef;
pub use tokens::TokenOwner;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// JSON columns: text on SQLite, `jsonb` on PostgreSQL (validated on write, queryable). These
/// two wrap a bound parameter and a selected column, so the rest of each query is shared.
impl Backend {
    /// A JSON document bound at `placeholder`, as the column takes it.
    pub(crate) fn json_param(self, placeholder: &str) -> String {
        match self {
            Backend::Sqlite => placeholder.to_string(),
            Backend::Postgres => format!("CAST({placeholder} AS jsonb)"),
        }
    }

    /// A `WITH` clause naming `batch` the rows of a JSON array of arrays bound at
    /// `placeholder`: one row an element, in a column `value`, whose cells are read with
    /// `value ->> N` (a scalar, as text or number; cast where a number is meant) and
    /// `value -> N` (JSON, as a JSON column takes it on either database). Binding a whole
    /// batch as one JSON document makes a set operation one statement, not a statement a
    /// row: through sqlx every statement is a round trip to the database thread (SQLite) or
    /// server. MATERIALIZED: SQLite then turns each element into text once, not once for
    /// every cell read from it (measured: 2.7× faster for a 15-column insert). PostgreSQL
    /// reads the document as `jsonb`: parsed once, where each cell read from a `json` value
    /// parses its row's text again up to that cell (a save's update of 500 traces by 10
    /// cells spent most of its time there).
    pub(crate) fn json_rows(self, placeholder: &str) -> String {
        format!("WITH {} ", self.json_table("batch", placeholder))
    }

    /// One `WITH` item: [`Backend::json_rows`] under another name, for a statement that
    /// reads two batches.
    pub(crate) fn json_table(self, name: &str, placeholder: &str) -> String {
        match self {
            Backend::Sqlite => {
                format!("{name} AS MATERIALIZED (SELECT value FROM json_each({placeholder}))")
            }
            Backend::Postgres => format!(
                "{name} AS MATERIALIZED (SELECT value FROM \
                 jsonb_array_elements(CAST({placeholder} AS jsonb)) AS value)"
            ),
        }
    }

    /// A join of the rows so far to the rows of `table` (aliased `alias`) that meet
    /// `condition`, looked up through the table's index row by row. SQLite plans joins of a
    /// batch to a keyed table that way. PostgreSQL plans from statistics, which lag far
    /// behind a table that grows by thousands of rows a second: it took a batch of 100 trace
    /// keys for a few rows and a table of 50,000 chunks for 5,000, and chose a hash join over
    /// a scan of the whole table (docs/benchmarks.md, ninth pass). There the table is read in
    /// a `LATERAL` subquery that `OFFSET 0` keeps from being flattened into the join. The
    /// condition names the rows before it by their table (`batch.value`, `t.id`): inside the
    /// subquery a bare column would be the table's own if it had one of that name.
    pub(crate) fn lookup_join(self, table: &str, alias: &str, condition: &str) -> String {
        match self {
            Backend::Sqlite => format!("JOIN {table} {alias} ON {condition}"),
            Backend::Postgres => format!(
                "CROSS JOIN LATERAL (SELECT * FROM {table} {alias} WHERE {condition} OFFSET 0) \
                 AS {alias}"
            ),
        }
    }

    /// The `len` bytes from byte `from` (counted from 1) of a byte string bound at
    /// `placeholder`; `from` and `len` are expressions of [`Backend::json_rows`] cells.
    pub(crate) fn blob_slice(self, placeholder: &str, from: &str, len: &str) -> String {
        match self {
            Backend::Sqlite => format!("substr({placeholder}, {from}, {len})"),
            Backend::Postgres => format!(
                "substring(CAST({placeholder} AS bytea) FROM CAST({from} AS integer) \
                 FOR CAST({len} AS integer))"
            ),
        }
    }

    /// A select list of one cell: the rows a query selects as one JSON array (text) of
    /// arrays of `columns`, in the order of `order` (an `ORDER BY` list), `[]` when there
    /// are none; read it with [`decode_json`]. SQLite's driver hands each row from the
    /// connection's thread over a channel, waking a thread about every row under load, so a
    /// query answering hundreds of rows cost more in those hand-offs than in the database
    /// (docs/benchmarks.md, eighth pass).
    pub(crate) fn json_agg(self, columns: &[&str], order: &str) -> String {
        self.json_agg_ordered(columns, &format!(" ORDER BY {order}"))
    }

    /// [`Backend::json_agg`] with `order_by` (an `ORDER BY` clause, or nothing for the order
    /// the rows come in) written as given.
    fn json_agg_ordered(self, columns: &[&str], order_by: &str) -> String {
        let cells = columns.join(", ");
        match self {
            Backend::Sqlite => format!("json_group_array(json_array({cells}){order_by})"),
            Backend::Postgres => format!(
                "CAST(COALESCE(json_agg(json_build_array({cells}){order_by}), '[]') AS TEXT)"
            ),
        }
    }

    /// A select list of two cells: the rows a query selects as one JSON array of arrays of
    /// `columns` (as [`Backend::json_agg`]), and the bytes of `bytes` in every row one after
    /// the other (NULL when there are none), both in the same order, the order the rows come
    /// in: both aggregates take each row in turn. Unordered, because ordering the aggregates
    /// had each copy and sort the rows, bytes and all: reading a round's chunks on SQLite
    /// took 2.1 ms a query with `ORDER BY`, 0.6 ms without (docs/benchmarks.md, eleventh pass).
    pub(crate) fn rows_and_bytes(self, columns: &[&str], bytes: &str) -> String {
        let concat = match self {
            Backend::Sqlite => format!("CAST(group_concat({bytes}, '') AS BLOB)"),
            Backend::Postgres => format!("string_agg({bytes}, ''::bytea)"),
        };
        format!("{}, {concat}", self.json_agg_ordered(columns, ""))
    }

    /// A `FROM` item: the elements of the array under `key` of the JSON object in `column`,
    /// as rows of `alias` with a column `value` (read like a [`Backend::json_rows`] row); no
    /// rows when the column is NULL.
    pub(crate) fn json_elements(self, column: &str, key: &str, alias: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_each({column}, '$.{key}') AS {alias}"),
            Backend::Postgres => {
                format!("jsonb_array_elements({column} -> '{key}') AS {alias}(value)")
            }
        }
    }

    /// A JSON column read back as text, under its own name.
    pub(crate) fn json_column(self, column: &str) -> String {
        match self {
            Backend::Sqlite => column.to_string(),
            Backend::Postgres => {
                let name = column.rsplit('.').next().unwrap_or(column);
                format!("{column}::text AS {name}")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the text names what already exists.
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    /// Stored data that does not read back as what was written (a JSON column that does not
    /// parse, an unknown enum value): never silently an empty value.
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}

/// An enum column read back into its type, or [`StoreError::Corrupt`] naming the value.
fn stored<T>(value: Option<T>, column: &str, raw: &str) -> Result<T> {
    value.ok_or_else(|| StoreError::Corrupt(format!("{column} {raw:?} is not a known value")))
}

/// A JSON column read back into its type, or [`StoreError::Corrupt`] naming what it is.
fn decode_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: impl std::fmt::Display,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Serialising a value of ours into a JSON column cannot fail short of a bug; if it does, the
/// write fails rather than storing something else.
fn encode_error(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("cannot encode a value for storage: {e}"))
}

/// Row ids as a [`Backend::json_rows`] batch, one id a row (`value ->> 0`).
fn id_rows(ids: impl IntoIterator<Item = i64>) -> Result<String> {
    let rows: Vec<[i64; 1]> = ids.into_iter().map(|id| [id]).collect();
    serde_json::to_string(&rows).map_err(encode_error)
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Page cache of SQLite's writing connection, in KiB.
const WRITER_CACHE_KIB: i64 = 64 * 1024;

/// How often SQLite's write-ahead log is copied into the database file (see
/// [`checkpoints`]).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// WAL pages past which the writing connection copies the log itself at commit (SQLite's
/// default is 1,000). Under sustained load the log reaches this: [`checkpoints`] copies it
/// while commits go on, so it never ends with all of it copied, and only a copy made inside
/// a write transaction lets the next one start the log over. That commit then copies what
/// the task has not yet (the last quarter second or so), so the log and the `-wal` file stay
/// within 64 MiB.
const WRITER_CHECKPOINT_PAGES: i64 = 16 * 1024;

/// What a pool's connections are for; on SQLite it also sets their settings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Reading connections (and the few writes that need no turn, such as a token's last
    /// use): they never copy the log at commit, [`checkpoints`] does.
    Reads,
    /// The one writing connection: a large page cache, and checkpoints left to
    /// [`checkpoints`].
    Writes,
}

/// A pool for `role`: on SQLite 8 reading connections or the one writing connection, each
/// with the durability settings and the settings of its role; on PostgreSQL 16.
async fn connect(url: &str, backend: Backend, role: Role) -> Result<AnyPool> {
    let connections = match (backend, role) {
        (Backend::Sqlite, Role::Reads) => 8,
        (Backend::Sqlite, Role::Writes) => 1,
        (Backend::Postgres, _) => 16,
    };
    Ok(AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings a connection before every acquire by default: on SQLite a round trip
        // to the connection's thread, and two thread wake-ups, before each statement or
        // transaction, for a connection in this process that cannot have gone away
        // (2% of the server's CPU under load, docs/benchmarks.md, eighth pass).
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // Incremental auto-vacuum (set before anything else, as SQLite asks)
                    // lets retention hand freed pages back to the file system. WAL lets
                    // readers run beside the writer; FULL syncs the WAL at every commit,
                    // which is what "acknowledged means stored" rests on.
                    // Temporary b-trees (batches, window functions) stay in memory.
                    conn.execute(sqlx::raw_sql(
                        "PRAGMA auto_vacuum = INCREMENTAL; \
                         PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                         PRAGMA temp_store = MEMORY;",
                    ))
                    .await?;
                    let settings = match role {
                        Role::Reads => "PRAGMA wal_autocheckpoint = 0;".to_string(),
                        Role::Writes => format!(
                            "PRAGMA cache_size = -{WRITER_CACHE_KIB}; \
                             PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES};"
                        ),
                    };
                    conn.execute(sqlx::raw_sql(&settings)).await?;
                } else {
                    // No JIT compilation: Omegi's queries each touch few rows, but a generic
                    // plan's estimate can cross the JIT threshold, and then compiling took
                    // 355 ms of a query that ran in 0.5 ms (docs/benchmarks.md, eleventh
                    // pass).
                    conn.execute(sqlx::raw_sql("SET jit = off")).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Warns of what migrations 16 and 17 leave undone when the server lacks LZ4 or a table was
/// busy (PostgreSQL's notices do not reach Omegi's log): span chunks compressed with pglz,
/// `traces` pages filled to the brim.
async fn warn_of_skipped_settings(pool: &AnyPool) {
    let compression: Result<String, sqlx::Error> = sqlx::query_scalar(
        "SELECT CAST(attcompression AS TEXT) FROM pg_attribute \
         WHERE attrelid = CAST('span_chunks' AS regclass) AND attname = 'spans'",
    )
    .fetch_one(pool)
    .await;
    if compression.is_ok_and(|c| c != "l") {
        tracing::warn!(
            "span chunks are compressed with pglz, which takes PostgreSQL over twice the time \
             of LZ4 to store them; on a server built with LZ4 run \"ALTER TABLE span_chunks \
             ALTER COLUMN spans SET COMPRESSION lz4\" (docs/deploying.md)"
        );
    }
    let options: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(
        "SELECT CAST(reloptions AS TEXT) FROM pg_class WHERE oid = CAST('traces' AS regclass)",
    )
    .fetch_one(pool)
    .await;
    // Only a table left at the default: a fill factor set by hand is the operator's choice.
    if options.is_ok_and(|o| !o.is_some_and(|o| o.contains("fillfactor="))) {
        tracing::warn!(
            "the pages of traces are filled to the brim, so every claim of a trace writes \
             into each of its indexes; run \"ALTER TABLE traces SET (fillfactor = 70)\" \
             at a quiet moment (docs/deploying.md)"
        );
    }
}

/// Copies SQLite's write-ahead log into the database file every [`CHECKPOINT_EVERY`], from
/// a reading connection, until the returned handle aborts it ([`Store::close`]). By default
/// the commit that takes the log past 1,000 pages does it, so every few span batches one
/// commit also copied and synced the whole log while every other writer waited for it
/// (measured: commits took 17 ms of a 2,000-span batch's 49, docs/benchmarks.md). A PASSIVE
/// checkpoint takes no write lock: commits go on beside it, and it copies what it can
/// without waiting for readers.
fn checkpoints(readers: AnyPool) -> tokio::task::AbortHandle {
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&readers)
                .await
            {
                tracing::warn!("copying the write-ahead log into the database failed: {e}");
            }
        }
    });
    task.abort_handle()
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where write transactions run: on SQLite one connection (see [`Store::open`]), on
    /// PostgreSQL the pool.
    writes: AnyPool,
    backend: Backend,
    /// For PostgreSQL's LISTEN, which needs a connection of its own outside the pool.
    postgres_url: Option<std::sync::Arc<str>>,
    /// SQLite writers take turns here before `BEGIN IMMEDIATE` (see [`Store::write`]).
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Resources of spans read back, by digest (see `spans.rs`).
    resources: spans::ResourceCache,
    /// SQLite's task copying the write-ahead log into the database ([`checkpoints`]).
    checkpoints: Option<tokio::task::AbortHandle>,
}

/// A write transaction; on SQLite it also holds this node's turn to write until it ends.
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl WriteTx {
    pub(crate) async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Store {
    /// Connects, applies SQLite's durability settings on every connection, and migrates.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open(database: &Database) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match database {
            Database::Sqlite { path } => {
                let dir = path.parent().unwrap_or(std::path::Path::new("."));
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::DataDir(dir.display().to_string(), e))?;
                let dir = dir
                    .canonicalize()
                    .map_err(|e| StoreError::DataDir(dir.display().to_string(), e))?;
                let file = dir.join(path.file_name().unwrap_or("omegi.db".as_ref()));
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Backend::Sqlite,
                )
            }
            Database::Postgres { url } => (url.clone(), Backend::Postgres),
        };
        let pool = connect(&url, backend, Role::Reads).await?;
        match backend {
            Backend::Sqlite => {
                // Incremental auto-vacuum takes effect when a new file gets its first
                // table; a file made by an older Omegi is converted once, by VACUUM.
                SQLITE_MIGRATIONS.run(&pool).await?;
                let mode: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
                    .fetch_one(&pool)
                    .await?;
                if mode != 2 {
                    // Rewrites the file: needs free disk about its size. Without it Omegi
                    // still runs, reusing freed pages instead of returning them.
                    tracing::info!("converting the database to incremental vacuum (once)");
                    if let Err(e) = sqlx::query("VACUUM").execute(&pool).await {
                        tracing::warn!("converting to incremental vacuum failed ({e}); freed pages are reused but not returned");
                    }
                }
            }
            // sqlx holds a PostgreSQL advisory lock while it migrates, so nodes started
            // together migrate one after the other.
            Backend::Postgres => {
                POSTGRES_MIGRATIONS.run(&pool).await?;
                warn_of_skipped_settings(&pool).await;
            }
        }
        let postgres_url = match database {
            Database::Postgres { url } => Some(url.as_str().into()),
            Database::Sqlite { .. } => None,
        };
        // SQLite: every write goes through one connection of its own. A connection drops its
        // page cache whenever another one has written, so writes spread over the pool read
        // their index pages back from the file every time (measured: gigabytes a second under
        // load); this one keeps them, with a cache large enough for the hot indexes.
        let writes = match backend {
            Backend::Sqlite => connect(&url, backend, Role::Writes).await?,
            Backend::Postgres => pool.clone(),
        };
        let checkpoints = (backend == Backend::Sqlite).then(|| checkpoints(pool.clone()));
        Ok(Store {
            pool,
            writes,
            backend,
            postgres_url,
            writers: Default::default(),
            resources: Default::default(),
            checkpoints,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that read first cannot wait for the lock when it
    /// later writes (SQLITE_BUSY_SNAPSHOT, code 517, which `busy_timeout` does not cover), so
    /// concurrent edits failed with "database is locked"; taken up front, the lock is waited
    /// for like any other. This node's writers first queue on a mutex: SQLite's busy handler
    /// waits by sleeping (1, 2, 5 … 100 ms), so under load the span writer and the assembler
    /// slept past each other's commits; the mutex hands the turn over the moment it is free.
    pub(crate) async fn write(&self) -> Result<WriteTx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let turn = self.writers.clone().lock_owned().await;
                WriteTx {
                    tx: self.writes.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                }
            }
            Backend::Postgres => WriteTx {
                tx: self.pool.begin().await?,
                _turn: None,
            },
        })
    }

    /// Whether the database answers a trivial query.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close(&self) {
        if let Some(task) = &self.checkpoints {
            task.abort();
        }
        self.writes.close().await;
        self.pool.close().await;
    }
}

/// Maps a unique-constraint failure to [`StoreError::Conflict`] with `what` as its message.
fn conflict(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let what = what.into();
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Db(e),
    }
}

/// `fetch_optional` that turns "no row" into [`StoreError::NotFound`].
fn found<T>(row: Option<T>) -> Result<T> {
    row.ok_or(StoreError::NotFound)
}

/// An `UPDATE` or `DELETE` that turns "no row matched" into [`StoreError::NotFound`].
fn touched(done: sqlx::any::AnyQueryResult) -> Result<()> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
