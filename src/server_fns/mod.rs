//! The UI's doors onto the service layer: one server function per file, all
//! under the `/sfn` prefix, apart from the REST API under `/api`. Each checks
//! the session and ownership, calls a service function and returns `AppError`.

pub mod check_server;

/// The URL prefix of every server function.
pub const PREFIX: &str = "/sfn";
