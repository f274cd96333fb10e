//! Search over the trained collection: text processing for the index and the
//! queries, and ranking.

pub mod bm25;
pub mod gloss;
pub mod graph;
pub mod rank;
pub mod text;
