//! Who is asking: password hashing, random secrets (sessions, ingest tokens) and the GitHub
//! OAuth client. Nothing here knows about HTTP handlers or SQL.

pub mod github;
pub mod password;
pub mod secret;
