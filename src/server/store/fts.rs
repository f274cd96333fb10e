//! The full-text query syntax of each backend, built from the terms of a
//! question ([`query_terms`](crate::server::search::text::query_terms)): the
//! terms are data, so every character that means something to FTS5 or to
//! `to_tsquery` is quoted away here, where the query is written.

use std::collections::HashMap;

/// An FTS5 `MATCH` expression OR-ing the terms as quoted strings
/// (`"track" OR "tracks"`); `"` inside a term is doubled. Terms without any
/// letter or digit (which would be empty phrases) and NUL characters are
/// dropped. `None` when nothing is left.
pub(super) fn fts5_match(terms: &[String]) -> Option<String> {
    let parts: Vec<String> = terms
        .iter()
        .filter(|t| has_alnum(t))
        .map(|t| format!("\"{}\"", t.replace('\0', "").replace('"', "\"\"")))
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" OR "))
    }
}

/// A query for `to_tsquery('simple', $1)`: the terms single-quoted (`'`
/// doubled, backslashes and NULs removed) and joined with ` | `. Terms without
/// any letter or digit are dropped, so the result always parses (a quoted
/// lexeme can hold any other character). `None` when nothing is left.
pub(super) fn pg_tsquery(terms: &[String]) -> Option<String> {
    let parts: Vec<String> = terms
        .iter()
        .map(|t| {
            t.chars()
                .filter(|&c| c != '\\' && c != '\0')
                .collect::<String>()
        })
        .filter(|t| has_alnum(t))
        .map(|t| format!("'{}'", t.replace('\'', "''")))
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" | "))
    }
}

fn has_alnum(s: &str) -> bool {
    s.chars().any(char::is_alphanumeric)
}

/// The (term, count) bag of a space-separated term string (what
/// [`index_terms`](crate::server::search::text::index_terms) writes), in first-seen order.
pub(super) fn bag(terms: &str) -> Vec<(String, u32)> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<(String, u32)> = Vec::new();
    for t in terms.split_whitespace() {
        match at.get(t) {
            Some(&i) => out[i].1 += 1,
            None => {
                at.insert(t, out.len());
                out.push((t.to_string(), 1));
            }
        }
    }
    out
}

/// The (term, count) bag of a PostgreSQL `tsvector` in its text form
/// (`'album':3,7 'track':1`): a lexeme's count is its number of positions (1
/// when it has none). Quotes inside lexemes are doubled (`'it''s'`).
pub(super) fn tsvector_bag(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut lexeme = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        lexeme.push('\'');
                    } else {
                        break;
                    }
                } else {
                    lexeme.push(c);
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ':' || c.is_whitespace() {
                    break;
                }
                lexeme.push(c);
                chars.next();
            }
        }
        let mut count = 1;
        if chars.peek() == Some(&':') {
            chars.next();
            let mut positions = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                positions.push(c);
                chars.next();
            }
            count = positions
                .split(',')
                .filter(|p| !p.is_empty())
                .count()
                .max(1) as u32;
        }
        if !lexeme.is_empty() {
            out.push((lexeme, count));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::search::text::{index_terms, query_terms};

    #[test]
    fn term_bags_read_back_the_same_on_both_backends() {
        assert_eq!(
            bag("track album track"),
            vec![("track".into(), 2), ("album".into(), 1)]
        );
        assert!(bag("  ").is_empty());
        assert_eq!(
            tsvector_bag("'album':3,7 'track':1 'x'"),
            vec![("album".into(), 2), ("track".into(), 1), ("x".into(), 1)]
        );
        assert_eq!(tsvector_bag("'it''s':2"), vec![("it's".into(), 1)]);
        assert_eq!(tsvector_bag("'客户':1,2,3"), vec![("客户".into(), 3)]);
        assert!(tsvector_bag("").is_empty());
    }

    #[test]
    fn fts5_match_escapes() {
        let terms = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            fts5_match(&terms(&["track", "tracks"])).as_deref(),
            Some(r#""track" OR "tracks""#)
        );
        assert_eq!(fts5_match(&[]), None);
        assert_eq!(fts5_match(&terms(&["", "\"", "*", "()"])), None);
        let hostile = terms(&[
            "a\"b",
            "it's",
            "back\\slash",
            "col:x",
            "pre*",
            "(x",
            "a|b",
            "a&b",
            "!not",
            "NEAR",
            "OR",
        ]);
        assert_eq!(
            fts5_match(&hostile).as_deref(),
            Some(
                r#""a""b" OR "it's" OR "back\slash" OR "col:x" OR "pre*" OR "(x" OR "a|b" OR "a&b" OR "!not" OR "NEAR" OR "OR""#
            )
        );
    }

    #[test]
    fn pg_tsquery_escapes() {
        let terms = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pg_tsquery(&terms(&["track", "客户"])).as_deref(),
            Some("'track' | '客户'")
        );
        assert_eq!(pg_tsquery(&[]), None);
        assert_eq!(pg_tsquery(&terms(&["", "'", "\\", "!", ":*"])), None);
        let hostile = terms(&[
            "it's", "a\\'b", "\\", "x:*", "(y", "a|b", "a&b", "!z", "q\"", "'''",
        ]);
        assert_eq!(
            pg_tsquery(&hostile).as_deref(),
            Some(r#"'it''s' | 'a''b' | 'x:*' | '(y' | 'a|b' | 'a&b' | '!z' | 'q"'"#)
        );
    }

    /// The MATCH expressions run on a real FTS5 table without a syntax error,
    /// whatever the terms, and question terms find the DDL.
    #[tokio::test]
    async fn fts5_match_runs_on_sqlite() {
        use sqlx::sqlite::SqlitePoolOptions;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE VIRTUAL TABLE items USING fts5(body, tokenize = 'unicode61')")
            .execute(&pool)
            .await
            .unwrap();
        let docs = [
            r#"CREATE TABLE "Track" ("TrackId" INTEGER, "AlbumId" INTEGER, "GenreId" INTEGER)"#,
            "发票金额：每张发票的总金额，客户付款时计算",
        ];
        for d in docs {
            sqlx::query("INSERT INTO items(body) VALUES (?)")
                .bind(index_terms(d))
                .execute(&pool)
                .await
                .unwrap();
        }
        let search = |q: &'static str| {
            let pool = pool.clone();
            async move {
                let expr = fts5_match(&query_terms(q)).unwrap();
                sqlx::query_scalar::<_, i64>(
                    "SELECT rowid FROM items WHERE items MATCH ? ORDER BY rank",
                )
                .bind(expr)
                .fetch_all(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(search("How many tracks are there?").await, vec![1]);
        assert_eq!(search("每个客户的发票数量").await, vec![2]);
        let hostile: Vec<String> = [
            "a\"b", "it's", "x\\", "c:d", "e*", "(f", "g|h", "i&j", "!k", "NOT", "AND", "NEAR",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let expr = fts5_match(&hostile).unwrap();
        sqlx::query("SELECT rowid FROM items WHERE items MATCH ?")
            .bind(expr)
            .fetch_all(&pool)
            .await
            .unwrap();
    }
}
