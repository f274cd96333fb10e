//! The REST API over HTTP against the real app on a free port, one module a
//! resource: every scenario runs once on a SQLite metadata store and once on a
//! PostgreSQL one.
//!
//! Most scenarios use `common::rest::app`, which captures the server's log so
//! that it can be searched (`common::logs`); the few that need to control the
//! app's folder, database or cookie settings (restart, admin flag, HTTPS
//! cookies, own database inside the sources folder) use `common::home::Home`.

mod access;
mod auth;
mod datasets;
mod docs;
mod errors;
mod logs;
mod search;
mod secrets;
mod training;
