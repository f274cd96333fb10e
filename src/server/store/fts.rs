//! The full-text query syntax of each backend, built from the terms of a
//! question ([`query_terms`](crate::server::search::text::query_terms)): the
//! terms are data, so every character that means something to FTS5 or to
//! `to_tsquery` is quoted away here, where the query is written.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::search::text::{index_terms, query_terms};

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
