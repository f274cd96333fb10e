//! Pages and components.

pub mod components;
pub mod pages;
