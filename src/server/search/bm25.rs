//! BM25 over a version's indexed terms, in memory.
//!
//! Both stores keep each item's terms (FTS5 text on SQLite, a `tsvector` on
//! PostgreSQL); search reads them once per version and ranks here, so the two
//! stores rank the same question the same way (PostgreSQL's `ts_rank` has no
//! idf and ranks very differently from FTS5's bm25), and ranking can score
//! what a full-text engine cannot: whole namespaces (a schema, a `<db>__`
//! prefix) from the terms of all their tables.

use std::collections::HashMap;

/// BM25 term-frequency saturation and length normalisation (the usual values,
/// FTS5's too).
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Postings of a set of documents.
#[derive(Debug, Default)]
pub struct Bm25 {
    postings: HashMap<String, Vec<(u32, u32)>>,
    lens: Vec<f64>,
    avg_len: f64,
}

impl Bm25 {
    /// Documents in order: document `i` is the `i`-th bag of (term, count).
    pub fn build<'a>(docs: impl IntoIterator<Item = &'a [(String, u32)]>) -> Bm25 {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut lens = Vec::new();
        for (i, doc) in docs.into_iter().enumerate() {
            let mut len = 0u64;
            for (term, n) in doc {
                postings
                    .entry(term.clone())
                    .or_default()
                    .push((i as u32, *n));
                len += u64::from(*n);
            }
            lens.push(len as f64);
        }
        let avg_len = if lens.is_empty() {
            1.0
        } else {
            (lens.iter().sum::<f64>() / lens.len() as f64).max(1.0)
        };
        Bm25 {
            postings,
            lens,
            avg_len,
        }
    }

    pub fn len(&self) -> usize {
        self.lens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Inverse document frequency of a term (0 for unknown terms).
    pub fn idf(&self, term: &str) -> f64 {
        let n = self.lens.len() as f64;
        match self.postings.get(term) {
            Some(p) => {
                let df = p.len() as f64;
                (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
            }
            None => 0.0,
        }
    }

    /// Every document matching at least one term, with its score (one per
    /// document), best first; ties in document order.
    pub fn scores(&self, terms: &[String]) -> Vec<(usize, f64)> {
        let mut acc: HashMap<u32, f64> = HashMap::new();
        for term in terms {
            let Some(postings) = self.postings.get(term) else {
                continue;
            };
            let idf = self.idf(term);
            for &(doc, tf) in postings {
                let tf = f64::from(tf);
                let norm = 1.0 - B + B * self.lens[doc as usize] / self.avg_len;
                *acc.entry(doc).or_default() += idf * tf * (K1 + 1.0) / (tf + K1 * norm);
            }
        }
        let mut out: Vec<(usize, f64)> = acc.into_iter().map(|(d, s)| (d as usize, s)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(terms: &str) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = Vec::new();
        for t in terms.split_whitespace() {
            match out.iter_mut().find(|(x, _)| x == t) {
                Some(e) => e.1 += 1,
                None => out.push((t.to_string(), 1)),
            }
        }
        out
    }

    fn q(terms: &[&str]) -> Vec<String> {
        terms.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rare_terms_and_short_documents_win() {
        let docs = [
            bag("track name album id genre id track id"),
            bag("album title artist id album id"),
            bag("genre name genre id"),
        ];
        let index = Bm25::build(docs.iter().map(Vec::as_slice));
        assert_eq!(index.len(), 3);
        let ranked: Vec<usize> = index.scores(&q(&["genre"])).iter().map(|d| d.0).collect();
        // Both mention genre; the shorter Genre document, with it twice, wins.
        assert_eq!(ranked, vec![2, 0]);
        // A term in every document weighs less than one in a single document.
        assert!(index.idf("id") < index.idf("title"));
        assert_eq!(index.idf("nothing"), 0.0);
        assert!(index.scores(&q(&["nothing"])).is_empty());
        // Scores add over terms.
        let both = index.scores(&q(&["album", "title"]));
        assert_eq!(both[0].0, 1);
        assert!(Bm25::build(std::iter::empty()).is_empty());
    }
}
