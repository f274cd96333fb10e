pub mod account;
pub mod auth;
pub mod dataset;
pub mod datasets;
pub mod new_dataset;
pub mod not_found;
pub mod status;
