//! Pages, components and the two languages.

pub mod components;
pub mod i18n;
pub mod pages;
