//! datatrain: train the knowledge a text-to-SQL assistant needs, and watch and control that training live.
//!
//! One crate, two builds: the server (`ssr`) and the browser (`hydrate`).
//! - `domain`: pure types shared with the browser (statuses, transitions, progress).
//! - `ui`: pages and components.
//! - `server_fns`: the UI's doors onto the service layer (thin; under `/sfn`).
//! - `server` (ssr only): configuration, startup, store (all SQL), REST API, training engine.

pub mod app;
pub mod domain;
pub mod server_fns;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
