//! Pure types shared by the server and the browser.

pub mod dto;
pub mod error;
pub mod eta;
pub mod i18n;
pub mod log;
pub mod progress;
pub mod status;
