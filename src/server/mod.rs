//! Everything that runs only on the server.

pub mod auth;
pub mod config;
pub mod embeddings;
pub mod error;
pub mod http;
pub mod mcp;
pub mod rest;
pub mod search;
pub mod secrets;
pub mod services;
pub mod sources;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod training;
