pub mod header;
pub mod progress_bar;
pub mod require_user;
