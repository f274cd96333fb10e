pub mod form_error;
pub mod header;
pub mod poll;
pub mod progress_bar;
pub mod require_user;
