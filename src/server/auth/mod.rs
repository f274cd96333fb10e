//! Accounts and sessions: argon2id password hashes, sessions (tower-sessions) kept
//! in the app's database behind a small in-memory cache, the current user and
//! where a session starts and ends, and who the client is (its address, behind
//! trusted proxies).

mod client;
mod password;
mod session;
mod session_store;
pub mod tokens;

pub use client::{client_ip, parse_trusted_proxies};
pub use password::{BUSY, Passwords, check_new_password};
pub use session::{CurrentUser, SESSION_USER, end_session, start_session};
pub use session_store::DbSessionStore;
