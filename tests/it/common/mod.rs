//! Helpers shared by the integration tests (`mod common;`); server-side helpers need feature `ssr`.
#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod embeddings;
#[cfg(feature = "ssr")]
pub mod home;
#[cfg(feature = "ssr")]
pub mod logs;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod sources;
#[cfg(feature = "ssr")]
pub mod sse;
#[cfg(feature = "ssr")]
pub mod world;
