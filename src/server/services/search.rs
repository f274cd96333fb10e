//! "Try it" search over a dataset's trained collection: full-text hits, fused
//! with the nearest items by embedding when dense retrieval is on, voted into a
//! ranking of tables, which the foreign-key graph then expands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Services;
use crate::domain::dto::{ItemKind, SearchItem, SearchResult};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::embeddings::{Embedder, VectorIndex};
use crate::server::search::bm25::Bm25;
use crate::server::search::graph::TableGraph;
use crate::server::search::rank::{
    Hit, RRF_LISTS_K, focus_namespaces, fuse, kind_weight, namespace, rank_tables, table_scale,
};
use crate::server::search::text::query_terms;
use crate::server::store::{DatasetRow, ItemTerms, SearchHit};

pub const SEARCH_K_DEFAULT: i64 = 10;
pub const SEARCH_K_MAX: i64 = 50;
/// Nearest items that take part in the fusion. Every item has some similarity
/// to every question: a deep dense list would let the tables with the most
/// items win on many weak votes.
const DENSE_DEPTH: usize = 20;
/// Versions whose foreign-key graph stays in memory (small: names and edges).
const CACHED_GRAPHS: usize = 32;
/// Versions whose vectors stay in memory (14,000 items of 1,536 dimensions are 86 MB).
const CACHED_VECTORS: usize = 4;
/// Versions whose term postings stay in memory (a 720-table warehouse's are ~10 MB).
const CACHED_TERMS: usize = 8;

/// What search keeps in memory of recently searched versions (a version only
/// changes when a user deletes an item from it, which forgets it here): its
/// foreign-key graph, its term postings and its vectors.
pub(super) struct SearchCache {
    graphs: VersionCache<TableGraph>,
    terms: VersionCache<TermIndex>,
    vectors: VersionCache<VectorIndex>,
}

impl Default for SearchCache {
    fn default() -> Self {
        SearchCache {
            graphs: VersionCache::new(CACHED_GRAPHS),
            terms: VersionCache::new(CACHED_TERMS),
            vectors: VersionCache::new(CACHED_VECTORS),
        }
    }
}

impl SearchCache {
    /// Drops what is kept of a version that changed (an item was deleted from it).
    pub(super) fn forget(&self, version: i64) {
        self.graphs.forget(version);
        self.terms.forget(version);
        self.vectors.forget(version);
    }
}

/// A version's items and the BM25 postings of their indexed terms: full-text
/// ranking in memory, the same on both stores.
pub(super) struct TermIndex {
    /// Item ids, in the postings' document order.
    ids: Vec<i64>,
    bm25: Bm25,
    /// The namespaces of the items' tables (schemas, `<db>__` prefixes), each
    /// one document of all its items' terms; empty with fewer than two.
    namespaces: Vec<String>,
    namespace_bm25: Bm25,
}

impl TermIndex {
    fn build(items: Vec<ItemTerms>) -> TermIndex {
        let bm25 = Bm25::build(items.iter().map(|i| i.terms.as_slice()));
        let mut bags: HashMap<&str, HashMap<&str, u32>> = HashMap::new();
        for item in &items {
            if let Some(t) = item.table_name.as_deref() {
                let bag = bags.entry(namespace(t)).or_default();
                for (term, n) in &item.terms {
                    *bag.entry(term.as_str()).or_default() += n;
                }
            }
        }
        let mut namespaces: Vec<(String, Vec<(String, u32)>)> = if bags.len() < 2 {
            Vec::new()
        } else {
            bags.into_iter()
                .map(|(ns, bag)| {
                    let mut terms: Vec<(String, u32)> =
                        bag.into_iter().map(|(t, n)| (t.to_string(), n)).collect();
                    terms.sort();
                    (ns.to_string(), terms)
                })
                .collect()
        };
        namespaces.sort();
        let namespace_bm25 = Bm25::build(namespaces.iter().map(|(_, terms)| terms.as_slice()));
        TermIndex {
            ids: items.iter().map(|i| i.id).collect(),
            bm25,
            namespaces: namespaces.into_iter().map(|(ns, _)| ns).collect(),
            namespace_bm25,
        }
    }

    /// The namespaces matching the terms, with their scores.
    fn namespace_scores(&self, terms: &[String]) -> HashMap<String, f64> {
        self.namespace_bm25
            .scores(terms)
            .into_iter()
            .map(|(doc, score)| (self.namespaces[doc].clone(), score))
            .collect()
    }

    /// Ids and scores of the items matching the terms, best first.
    fn search(&self, terms: &[String], limit: usize) -> Vec<(i64, f64)> {
        self.bm25
            .scores(terms)
            .into_iter()
            .take(limit)
            .map(|(doc, score)| (self.ids[doc], score))
            .collect()
    }
}

/// The most recently used versions' values, at most `capacity` of them.
pub(super) struct VersionCache<T> {
    capacity: usize,
    versions: Mutex<Vec<(i64, Arc<T>)>>,
}

impl<T> VersionCache<T> {
    fn new(capacity: usize) -> Self {
        VersionCache {
            capacity,
            versions: Mutex::new(Vec::new()),
        }
    }

    fn get(&self, version: i64) -> Option<Arc<T>> {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        let at = versions.iter().position(|(v, _)| *v == version)?;
        let entry = versions.remove(at);
        let value = entry.1.clone();
        versions.push(entry);
        Some(value)
    }

    fn forget(&self, version: i64) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.retain(|(v, _)| *v != version);
    }

    fn put(&self, version: i64, value: Arc<T>) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.retain(|(v, _)| *v != version);
        while versions.len() >= self.capacity.max(1) {
            versions.remove(0);
        }
        versions.push((version, value));
    }
}

/// The rule every search question follows (the error says what it must be).
pub(super) fn check_query(q: &str) -> Result<(), &'static str> {
    if q.trim().is_empty() || q.len() > 2000 {
        return Err("must be 1-2000 characters");
    }
    Ok(())
}

/// 400 unless `k` is 1-`max`.
pub(super) fn check_k(k: i64, max: i64) -> Result<(), AppError> {
    if !(1..=max).contains(&k) {
        return Err(AppError::BadRequest(format!("k must be 1-{max}")));
    }
    Ok(())
}

/// 400 unless the question (named `field`) follows [`check_query`].
pub(super) fn check_question(field: &str, q: &str) -> Result<(), AppError> {
    check_query(q).map_err(|rule| AppError::BadRequest(format!("{field} {rule}")))?;
    Ok(())
}

impl Services {
    /// Searches the dataset's last completed collection version.
    pub async fn search(
        &self,
        user: &CurrentUser,
        id: i64,
        q: &str,
        k: i64,
    ) -> Result<SearchResult, AppError> {
        check_k(k, SEARCH_K_MAX)?;
        check_question("q", q)?;
        let row = self.owned(user, id).await?;
        self.search_row(&row, q, k).await
    }

    pub(crate) async fn search_row(
        &self,
        row: &DatasetRow,
        q: &str,
        k: i64,
    ) -> Result<SearchResult, AppError> {
        let Some(version) = row.live_version else {
            return Ok(SearchResult::default());
        };
        // Rank more hits than asked for, so that the table ranking sees enough votes.
        let pool = (k * 4).max(40);
        let lexical = self.lexical_hits(row.id, version, q, pool).await?;
        let dense = match &self.inner.embedder {
            Some(embedder) => self.dense_ids(embedder, row.id, version, q).await?,
            None => None,
        };
        let Some(dense_ids) = dense else {
            return self.rank(row.id, version, q, k, lexical).await;
        };
        // Reciprocal rank fusion of the two item rankings.
        let lexical_ids: Vec<i64> = lexical.iter().map(|h| h.id).collect();
        let order = fuse(&[&lexical_ids, &dense_ids], RRF_LISTS_K);
        let missing: Vec<i64> = order
            .iter()
            .filter(|id| !lexical_ids.contains(id))
            .copied()
            .collect();
        let mut by_id: HashMap<i64, SearchHit> = lexical.into_iter().map(|h| (h.id, h)).collect();
        for h in self
            .inner
            .store
            .items_by_ids(row.id, version, &missing)
            .await?
        {
            by_id.insert(h.id, h);
        }
        let fused: Vec<SearchHit> = order
            .into_iter()
            .filter_map(|id| by_id.remove(&id))
            .take(pool as usize)
            .collect();
        self.rank(row.id, version, q, k, fused).await
    }

    /// Full-text hits, best first (BM25 over the version's indexed terms, in memory).
    async fn lexical_hits(
        &self,
        dataset_id: i64,
        version: i64,
        q: &str,
        pool: i64,
    ) -> Result<Vec<SearchHit>, AppError> {
        let index = self.term_index(dataset_id, version).await?;
        let ranked = index.search(&query_terms(q), pool.max(0) as usize);
        let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
        let mut by_id: HashMap<i64, SearchHit> = self
            .inner
            .store
            .items_by_ids(dataset_id, version, &ids)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|(id, score)| {
                by_id.remove(&id).map(|mut h| {
                    h.score = score;
                    h
                })
            })
            .collect())
    }

    /// The term postings of a version, read from the store once.
    async fn term_index(&self, dataset_id: i64, version: i64) -> Result<Arc<TermIndex>, AppError> {
        if let Some(index) = self.inner.search_cache.terms.get(version) {
            return Ok(index);
        }
        let items = self.inner.store.version_terms(dataset_id, version).await?;
        let index = Arc::new(TermIndex::build(items));
        self.inner.search_cache.terms.put(version, index.clone());
        Ok(index)
    }

    /// The foreign-key graph of a version, read from its DDL items once.
    async fn table_graph(
        &self,
        dataset_id: i64,
        version: i64,
    ) -> Result<Arc<TableGraph>, AppError> {
        if let Some(g) = self.inner.search_cache.graphs.get(version) {
            return Ok(g);
        }
        let ddl = self.inner.store.version_ddl(dataset_id, version).await?;
        let graph = Arc::new(TableGraph::from_ddl(
            ddl.iter().map(|(t, d)| (t.as_str(), d.as_str())),
        ));
        self.inner.search_cache.graphs.put(version, graph.clone());
        Ok(graph)
    }

    /// Ids of the items nearest to the question, best first; `None` when the
    /// version has no vectors of this model or the endpoint fails (search then
    /// answers from the full-text index alone).
    async fn dense_ids(
        &self,
        embedder: &Embedder,
        dataset_id: i64,
        version: i64,
        q: &str,
    ) -> Result<Option<Vec<i64>>, AppError> {
        let index = match self.inner.search_cache.vectors.get(version) {
            Some(d) => d,
            None => {
                let model = self.inner.store.run_embedding_model(version).await?;
                if model.as_deref() != Some(embedder.model()) {
                    return Ok(None);
                }
                let rows = self
                    .inner
                    .store
                    .version_vectors(dataset_id, version)
                    .await?;
                let index = Arc::new(VectorIndex::build(rows));
                self.inner.search_cache.vectors.put(version, index.clone());
                index
            }
        };
        if index.is_empty() {
            return Ok(None);
        }
        let query = match embedder.embed_query(q).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "dense search skipped");
                return Ok(None);
            }
        };
        Ok(Some(index.nearest(&query, DENSE_DEPTH)))
    }

    /// Votes the ranked hits into a table ranking; DDL items take their table's
    /// score (the tables' DDL missing from the hits is fetched), so they come in
    /// the order of `tables`.
    async fn rank(
        &self,
        dataset_id: i64,
        version: i64,
        q: &str,
        k: i64,
        hits: Vec<SearchHit>,
    ) -> Result<SearchResult, AppError> {
        let votes: Vec<Hit> = hits
            .iter()
            .map(|h| Hit {
                kind: h.kind,
                table_name: h.table_name.clone(),
                score: h.score,
            })
            .collect();
        let graph = self.table_graph(dataset_id, version).await?;
        let index = self.term_index(dataset_id, version).await?;
        let namespaces = index.namespace_scores(&query_terms(q));
        let ranked = graph.expand(focus_namespaces(rank_tables(q, &votes), &namespaces));
        let table_score: HashMap<&str, f64> =
            ranked.iter().map(|(t, s)| (t.as_str(), *s)).collect();
        let have: Vec<&str> = hits
            .iter()
            .filter(|h| h.kind == ItemKind::Ddl)
            .filter_map(|h| h.table_name.as_deref())
            .collect();
        let missing: Vec<String> = ranked
            .iter()
            .take(k as usize)
            .map(|(t, _)| t.clone())
            .filter(|t| !have.contains(&t.as_str()))
            .collect();
        let extra = self
            .inner
            .store
            .ddl_items(dataset_id, version, &missing)
            .await?;
        let item = |h: SearchHit, score: f64| SearchItem {
            kind: h.kind,
            content: h.content,
            question: h.question,
            table_name: h.table_name,
            score,
        };
        let ddl_score = |h: &SearchHit| {
            h.table_name
                .as_deref()
                .and_then(|t| table_score.get(t).copied())
                .unwrap_or(0.0)
        };
        // Examples and documentation: their full-text score times their kind's weight, on the
        // tables' scale (the best table has 1 before bonuses).
        let scale = table_scale(&votes);
        let mut items: Vec<SearchItem> = hits
            .into_iter()
            .map(|h| {
                let score = if h.kind == ItemKind::Ddl {
                    ddl_score(&h)
                } else if scale > 0.0 {
                    kind_weight(h.kind) * h.score / scale
                } else {
                    0.0
                };
                item(h, score)
            })
            .chain(extra.into_iter().map(|h| {
                let score = ddl_score(&h);
                item(h, score)
            }))
            .collect();
        items.sort_by(|a, b| b.score.total_cmp(&a.score));
        items.truncate(k as usize);
        let tables = ranked.into_iter().map(|(t, _)| t).collect();
        Ok(SearchResult { items, tables })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_version_goes_first() {
        let cache = VersionCache::new(2);
        cache.put(1, Arc::new("one"));
        cache.put(2, Arc::new("two"));
        assert_eq!(cache.get(1).as_deref(), Some(&"one"));
        cache.put(3, Arc::new("three"));
        assert!(cache.get(2).is_none());
        assert_eq!(cache.get(1).as_deref(), Some(&"one"));
        assert_eq!(cache.get(3).as_deref(), Some(&"three"));
    }
}
