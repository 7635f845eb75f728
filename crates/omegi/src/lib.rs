//! Omegi: a self-hosted error tracker for distributed systems, with a Markdown knowledge base
//! of how each error was solved. See `docs/architecture.md` for how the parts fit.

pub mod accounts;
pub mod alerts;
pub mod auth;
pub mod config;
pub mod demo;
pub mod grpc;
pub mod http;
pub mod ingest;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod knowledge;
pub mod live;
pub mod loadgen;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod retention;
pub mod sentry;
pub mod server;
pub mod service_map;
pub mod shutdown;
pub mod store;
pub mod web;
