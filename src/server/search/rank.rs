//! Fusing full-text hits into a ranking of tables and items.
//!
//! Items are ranked by the full-text index; each hit votes for the table it
//! belongs to with a reciprocal-rank weight (DDL more than examples, examples
//! more than documentation), and a table whose name the question names gets a
//! bonus. DDL items then take their table's score, so the DDL items come out
//! in the order of the tables.

use std::collections::HashMap;

use super::gloss::english_of;
use super::text::{query_terms, split_identifier, stem};
use crate::domain::dto::ItemKind;

/// Reciprocal-rank constant: smaller favours the top hits more.
const RRF_K: f64 = 10.0;

fn kind_weight(kind: ItemKind) -> f64 {
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
}

/// Table names ranked by fused score, with their scores.
pub fn rank_tables(question: &str, hits: &[Hit]) -> Vec<(String, f64)> {
    let mut scores: HashMap<&str, f64> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for (rank, hit) in hits.iter().enumerate() {
        if let Some(t) = hit.table_name.as_deref() {
            if !scores.contains_key(t) {
                order.push(t);
            }
            *scores.entry(t).or_default() += kind_weight(hit.kind) / (RRF_K + rank as f64 + 1.0);
        }
    }
    let terms = query_terms(question);
    for t in &order {
        if names_table(&terms, t) {
            *scores.entry(t).or_default() += 2.0 / (RRF_K + 1.0);
        }
    }
    let mut ranked: Vec<(String, f64)> = order.iter().map(|t| (t.to_string(), scores[t])).collect();
    // Stable: ties keep the order of first appearance.
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranked
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

    fn hit(kind: &str, table: &str) -> Hit {
        Hit {
            kind: ItemKind::parse(kind).expect("a kind"),
            table_name: Some(table.into()),
        }
    }

    #[test]
    fn a_named_table_wins_over_more_hits() {
        let hits = vec![
            hit("sql", "PlaylistTrack"),
            hit("sql", "PlaylistTrack"),
            hit("sql", "Track"),
            hit("ddl", "PlaylistTrack"),
        ];
        let ranked = rank_tables("How many tracks are there?", &hits);
        assert_eq!(ranked[0].0, "Track");
        assert_eq!(ranked[1].0, "PlaylistTrack");
    }

    #[test]
    fn rank_and_kind_weigh() {
        let hits = vec![hit("ddl", "A"), hit("sql", "B"), hit("documentation", "C")];
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
            &[hit("ddl", "stadium"), hit("ddl", "singer")],
        );
        assert_eq!(ranked[0].0, "singer");
    }
}
