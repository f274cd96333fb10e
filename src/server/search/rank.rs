//! Fusing full-text hits into a ranking of tables and items.
//!
//! Items are ranked by BM25; each table takes the best scores of its items
//! (DDL more than examples, examples more than documentation), a table whose
//! name the question names gets a bonus, and the namespaces (schemas, merged
//! databases) the question matches best lift their tables. DDL items then take
//! their table's score, so the DDL items come out in the order of the tables.

use std::collections::HashMap;

use super::gloss::english_of;
use super::text::{query_terms, split_identifier, stem};
use crate::domain::dto::ItemKind;

/// What naming a table in the question adds to its (scaled) score.
const NAMED_BONUS: f64 = 0.8;

/// How much an item of each kind counts for its table.
pub fn kind_weight(kind: ItemKind) -> f64 {
    match kind {
        ItemKind::Ddl => 1.0,
        ItemKind::Sql => 0.7,
        ItemKind::Documentation => 0.5,
    }
}

/// Reciprocal-rank constant for fusing whole rankings (full-text and dense):
/// the usual 60, so neither list's top dominates the other's.
pub const RRF_LISTS_K: f64 = 60.0;

/// Reciprocal rank fusion: ids ordered by the sum, over the rankings they are
/// in, of `1 / (k + rank)` (rank from 1). Ties keep the order of first
/// appearance, reading the lists rank by rank.
pub fn fuse(lists: &[&[i64]], k: f64) -> Vec<i64> {
    let mut scores: HashMap<i64, f64> = HashMap::new();
    let mut order: Vec<i64> = Vec::new();
    let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    for rank in 0..longest {
        for list in lists {
            if let Some(&id) = list.get(rank) {
                let score = scores.entry(id).or_insert_with(|| {
                    order.push(id);
                    0.0
                });
                *score += 1.0 / (k + rank as f64 + 1.0);
            }
        }
    }
    order.sort_by(|a, b| scores[b].total_cmp(&scores[a]));
    order
}

/// A hit as the fusion sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: ItemKind,
    pub table_name: Option<String>,
    /// The full-text score (higher is better; 0 when unknown).
    pub score: f64,
}

/// Each table's sum, per item kind, of its best hit's score times the kind's
/// weight; and the tables in order of first appearance.
fn raw_table_scores(hits: &[Hit]) -> (Vec<&str>, HashMap<&str, f64>) {
    let mut best: HashMap<(&str, ItemKind), f64> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for hit in hits {
        if let Some(t) = hit.table_name.as_deref() {
            if !order.contains(&t) {
                order.push(t);
            }
            let e = best.entry((t, hit.kind)).or_default();
            *e = e.max(hit.score);
        }
    }
    let mut scores: HashMap<&str, f64> = HashMap::new();
    for ((t, k), s) in &best {
        *scores.entry(t).or_default() += kind_weight(*k) * s;
    }
    (order, scores)
}

/// What [`rank_tables`] divides by: the best table's score before scaling
/// (0 without hits). An example or a document scaled by it (times its kind's
/// weight) is on the tables' scale.
pub fn table_scale(hits: &[Hit]) -> f64 {
    raw_table_scores(hits)
        .1
        .values()
        .copied()
        .fold(0.0, f64::max)
}

/// Table names ranked by score, with their scores: each table sums, per
/// item kind, its best hit's full-text score times the kind's weight (DDL
/// more than examples, examples more than documentation), scaled so that the
/// best table has 1; a table whose name the question names gets
/// [`NAMED_BONUS`] more. Stable: ties keep the order of first appearance.
pub fn rank_tables(question: &str, hits: &[Hit]) -> Vec<(String, f64)> {
    let (order, mut scores) = raw_table_scores(hits);
    let top = scores.values().copied().fold(0.0, f64::max).max(1e-9);
    let terms = query_terms(question);
    for t in &order {
        let s = scores.entry(t).or_default();
        *s /= top;
        if names_table(&terms, t) {
            *s += NAMED_BONUS;
        }
    }
    let mut ranked: Vec<(String, f64)> = order.iter().map(|t| (t.to_string(), scores[t])).collect();
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranked
}

/// How much the question's best namespaces count beside a table's own score
/// (both scaled to the best one's): a schema or merged database whose tables
/// together match the question lifts its tables above a lone table elsewhere
/// that shares a word.
pub const NAMESPACE_WEIGHT: f64 = 1.0;

/// `ranked` with each table's score scaled to the best one's and
/// [`NAMESPACE_WEIGHT`] × its namespace's score (scaled to the best
/// namespace's) added; unchanged when fewer than two namespaces scored.
/// Stable: ties keep the earlier order.
pub fn focus_namespaces(
    ranked: Vec<(String, f64)>,
    namespaces: &HashMap<String, f64>,
) -> Vec<(String, f64)> {
    let best_ns = namespaces.values().copied().fold(0.0, f64::max);
    let best = ranked.iter().map(|(_, s)| *s).fold(0.0, f64::max);
    if namespaces.len() < 2 || best_ns <= 0.0 || best <= 0.0 {
        return ranked;
    }
    let mut out: Vec<(String, f64)> = ranked
        .into_iter()
        .map(|(t, s)| {
            let ns = namespaces.get(namespace(&t)).copied().unwrap_or(0.0);
            (t, s / best + NAMESPACE_WEIGHT * ns / best_ns)
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The namespace of a table: what [`local_name`] leaves out
/// (`sales.orders` → `sales.`, `shop__orders` → `shop__`, `orders` → ``).
pub fn namespace(table: &str) -> &str {
    &table[..table.len() - local_name(table).len()]
}

/// Whether the question's terms name the table: its whole name (joined and
/// stemmed, `InvoiceLine` → `invoiceline`) appears, or all its parts do, in
/// English or through a Chinese gloss (`歌手` names `singer`). A namespace
/// prefix (`schema.`, `<db>__`) is not part of the name: `sales.orders` and
/// `shop__orders` are named by "orders".
pub fn names_table(terms: &[String], table: &str) -> bool {
    let parts = split_identifier(local_name(table));
    if parts.is_empty() {
        return false;
    }
    let joined = stem(&parts.concat());
    if terms.iter().any(|t| *t == joined || stem(t) == joined) {
        return true;
    }
    let named = |p: &String| {
        let p = stem(p);
        terms
            .iter()
            .any(|t| stem(t) == p || english_of(t).iter().any(|e| stem(e) == p))
    };
    if parts.len() == 1 {
        return named(&parts[0]);
    }
    parts.iter().all(named)
}

/// A table name without its namespace: the text after the last `.` and then
/// after the last `__` (`main.crm__Customer` → `Customer`), unless that would
/// leave nothing.
pub fn local_name(table: &str) -> &str {
    let after_dot = table.rsplit('.').find(|s| !s.is_empty()).unwrap_or(table);
    after_dot
        .rsplit("__")
        .find(|s| s.chars().any(char::is_alphanumeric))
        .unwrap_or(after_dot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: &str, table: &str, score: f64) -> Hit {
        Hit {
            kind: ItemKind::parse(kind).expect("a kind"),
            table_name: Some(table.into()),
            score,
        }
    }

    #[test]
    fn a_named_table_wins_over_more_hits() {
        let hits = vec![
            hit("sql", "PlaylistTrack", 5.0),
            hit("sql", "PlaylistTrack", 4.0),
            hit("sql", "Track", 3.0),
            hit("ddl", "PlaylistTrack", 2.0),
        ];
        let ranked = rank_tables("How many tracks are there?", &hits);
        assert_eq!(ranked[0].0, "Track");
        assert_eq!(ranked[1].0, "PlaylistTrack");
    }

    #[test]
    fn rank_and_kind_weigh() {
        // The same full-text score: the kinds' weights decide.
        let hits = vec![
            hit("documentation", "C", 1.0),
            hit("sql", "B", 1.0),
            hit("ddl", "A", 1.0),
        ];
        let ranked: Vec<_> = rank_tables("something else", &hits)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(ranked, vec!["A", "B", "C"]);
    }

    #[test]
    fn fusion_rewards_agreement() {
        // 3 is second in both lists: it beats 1 and 7, first in one list each.
        assert_eq!(fuse(&[&[1, 3, 5], &[7, 3, 9]], 60.0)[0], 3);
        // With one list, fusion keeps its order.
        assert_eq!(fuse(&[&[4, 2, 8]], 60.0), vec![4, 2, 8]);
        // Ties keep the order of first appearance, rank by rank.
        assert_eq!(fuse(&[&[1, 2], &[3, 4]], 60.0), vec![1, 3, 2, 4]);
        // An id in one list only still comes out; a duplicate does not.
        assert_eq!(fuse(&[&[1], &[]], 60.0), vec![1]);
        assert!(fuse(&[], 60.0).is_empty());
    }

    #[test]
    fn table_naming() {
        let terms = query_terms("list every invoice line of customer 5");
        assert!(names_table(&terms, "InvoiceLine"));
        assert!(names_table(&terms, "invoice_line"));
        assert!(names_table(&terms, "Customer"));
        assert!(!names_table(&terms, "Track"));
        assert!(!names_table(&query_terms("playlists"), "PlaylistTrack"));
    }

    #[test]
    fn the_best_namespace_lifts_its_tables() {
        assert_eq!(namespace("concert_singer__singer"), "concert_singer__");
        assert_eq!(namespace("sales.orders"), "sales.");
        assert_eq!(namespace("orders"), "");
        let ranked = vec![
            ("zoo__animal".to_string(), 1.0),
            ("shop__orders".to_string(), 0.9),
            ("shop__customer".to_string(), 0.5),
        ];
        let ns: HashMap<String, f64> = [("shop__".to_string(), 3.0), ("zoo__".to_string(), 1.0)]
            .into_iter()
            .collect();
        let focused: Vec<String> = focus_namespaces(ranked.clone(), &ns)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(
            focused,
            vec!["shop__orders", "shop__customer", "zoo__animal"]
        );
        // One namespace (or none) leaves the ranking alone.
        let one: HashMap<String, f64> = [("shop__".to_string(), 3.0)].into_iter().collect();
        assert_eq!(focus_namespaces(ranked.clone(), &one), ranked);
    }

    #[test]
    fn namespaces_are_not_part_of_the_name() {
        assert_eq!(local_name("concert_singer__singer"), "singer");
        assert_eq!(local_name("main.crm__Customer"), "Customer");
        assert_eq!(local_name("public.orders"), "orders");
        assert_eq!(local_name("orders"), "orders");
        assert_eq!(local_name("__"), "__");
        let terms = query_terms("How many singers are there?");
        assert!(names_table(&terms, "concert_singer__singer"));
        assert!(!names_table(&terms, "concert_singer__concert"));
    }

    #[test]
    fn chinese_glosses_name_tables() {
        let terms = query_terms("我们有多少歌手？");
        assert!(names_table(&terms, "singer"), "{terms:?}");
        assert!(names_table(&terms, "music__Singers"));
        assert!(!names_table(&terms, "stadium"));
        let ranked = rank_tables(
            "我们有多少歌手？",
            &[hit("ddl", "stadium", 1.0), hit("ddl", "singer", 0.9)],
        );
        assert_eq!(ranked[0].0, "singer");
    }
}
