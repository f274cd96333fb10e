//! Pure types shared by the server and the browser.

pub mod dto;
pub mod error;
pub mod progress;
pub mod status;
