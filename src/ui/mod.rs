//! Pages, components, and which of the two languages a page renders in.

pub mod components;
pub mod i18n;
pub mod pages;
