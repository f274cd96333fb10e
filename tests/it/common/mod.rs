//! Helpers shared by the integration tests (`mod common;`); server-side helpers need feature `ssr`.
#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod embeddings;
#[cfg(feature = "ssr")]
pub mod sources;
#[cfg(feature = "ssr")]
pub mod world;
