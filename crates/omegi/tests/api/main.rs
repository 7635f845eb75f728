//! API tests: each starts a real server and talks HTTP to it. The same suite runs against
//! SQLite and, with `OMEGI_TEST_POSTGRES_URL`, against PostgreSQL (see scripts/test.sh).

mod accounts;
mod alerts;
mod assembly_limits;
mod bad_input;
mod cli;
mod common;
mod concurrency;
mod durability;
mod errors_api;
mod front_door;
mod github;
mod ingest;
#[cfg(feature = "kafka")]
mod kafka;
mod knowledge;
mod loadgen;
mod migrations;
mod nodes;
mod notes;
mod openapi;
mod otlp;
mod overload;
mod privacy;
mod projects;
mod protocol;
mod retention;
mod sdk_clients;
mod sentry;
mod slow_clients;
mod sse;
mod stored_data;
mod tokens;
mod web_ui;
