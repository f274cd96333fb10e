//! Stage 4's first items: the user's curated question → SQL examples.
//!
//! Every training runs each curated example again, read-only, against the
//! source: one whose SQL no longer runs (a column was dropped) is skipped with
//! a warning in the run log, and stays listed for the user to fix or delete;
//! any other source error fails the run, as for generated examples.

use crate::domain::dto::ItemKind;
use crate::domain::log::LogEvent;
use crate::server::search::gloss::{identifier_glosses, text_glosses};
use crate::server::sources::{QueryLimits, TableSchema};

use super::stage::{RunContext, StageError};

/// Glosses indexed per word of the example's table name and question.
const GLOSSES: usize = 3;

/// Indexes the curated example `index` of [`RunContext::curated`].
pub(super) async fn index_curated(ctx: &mut RunContext, index: usize) -> Result<(), StageError> {
    let example = ctx.curated[index].clone();
    match ctx
        .source()?
        .check_query(&example.sql, QueryLimits::default())
        .await
    {
        Ok(()) => {}
        Err(e) if e.is_query_error() => {
            ctx.log(LogEvent::CuratedExampleSkipped {
                example_id: example.id,
                question: example.question.chars().take(80).collect(),
                error: e.to_string(),
            });
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    let table = first_named_table(&example.sql, &ctx.schemas);
    let mut extra = String::new();
    if let Some(t) = &table {
        extra.push_str(&identifier_glosses(t, GLOSSES));
        extra.push(' ');
    }
    extra.push_str(&text_glosses(&example.question, GLOSSES));
    ctx.emit(
        ItemKind::Sql,
        table.as_deref(),
        Some(&example.question),
        example.sql,
        &extra,
    );
    Ok(())
}

/// A token of SQL, as far as finding table names needs.
#[derive(Debug, PartialEq)]
enum Token {
    /// A bare word (keyword or identifier).
    Word(String),
    /// A quoted identifier (`"…"`, `` `…` ``, `[…]`), unquoted.
    Quoted(String),
    Dot,
    Other,
}

fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            // A string literal ('' inside is an escaped quote).
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                i += 1;
            }
            i += 1;
            out.push(Token::Other);
        } else if matches!(c, '"' | '`' | '[') {
            let close = if c == '[' { ']' } else { c };
            let mut name = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == close {
                    if close != ']' && chars.get(i + 1) == Some(&close) {
                        name.push(close);
                        i += 2;
                        continue;
                    }
                    break;
                }
                name.push(chars[i]);
                i += 1;
            }
            i += 1;
            out.push(Token::Quoted(name));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            out.push(if c == '.' { Token::Dot } else { Token::Other });
            i += 1;
        }
    }
    out
}

/// Whether the dotted name `parts` spells `name` (`sales.orders` for
/// `sales` `.` `orders`): exactly for a quoted part, else ignoring case.
fn names_parts(name: &str, parts: &[&Token]) -> bool {
    let mut rest = name;
    for (k, part) in parts.iter().enumerate() {
        let (text, exact) = match part {
            Token::Quoted(s) => (s.as_str(), true),
            Token::Word(s) => (s.as_str(), false),
            _ => return false,
        };
        let last = k + 1 == parts.len();
        let piece = if last {
            rest
        } else {
            match rest.get(..text.len()) {
                Some(p) if rest[text.len()..].starts_with('.') => p,
                _ => return false,
            }
        };
        let same = if exact {
            piece == text
        } else {
            piece.eq_ignore_ascii_case(text)
        };
        if !same {
            return false;
        }
        if !last {
            rest = &rest[text.len() + 1..];
        }
    }
    true
}

/// The first table `sql` reads from (after `FROM` or `JOIN`) that is one of
/// `tables`, with its name as the source spells it: exactly for a quoted name,
/// else ignoring case. A dotted `schema.table` names the table listed so
/// (PostgreSQL), else its last part names it (a schema prefix is ignored).
pub fn first_named_table(sql: &str, tables: &[TableSchema]) -> Option<String> {
    let toks = tokens(sql);
    let mut i = 0;
    while i < toks.len() {
        let is_from = matches!(&toks[i], Token::Word(w)
            if w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("join"));
        i += 1;
        if !is_from {
            continue;
        }
        // A dotted name: its parts.
        let mut parts = Vec::new();
        while let Some(t @ (Token::Word(_) | Token::Quoted(_))) = toks.get(i) {
            parts.push(t);
            i += 1;
            if toks.get(i) == Some(&Token::Dot) {
                i += 1;
            } else {
                break;
            }
        }
        // `sales.orders` names the table listed as `sales.orders` (a PostgreSQL
        // schema), else its last part names a table (`main."Artist"`, `public.t`).
        let tail = parts.len().saturating_sub(2);
        let found = [&parts[tail..], &parts[parts.len().saturating_sub(1)..]]
            .into_iter()
            .filter(|p| !p.is_empty())
            .find_map(|p| tables.iter().find(|t| names_parts(&t.name, p)));
        if let Some(t) = found {
            return Some(t.name.clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::sources::TableKind;

    fn tables(names: &[&str]) -> Vec<TableSchema> {
        names
            .iter()
            .map(|n| TableSchema {
                name: n.to_string(),
                kind: TableKind::Table,
                definition: None,
                comment: None,
                columns: vec![],
                primary_key: vec![],
                foreign_keys: vec![],
            })
            .collect()
    }

    #[test]
    fn the_first_table_read_from_is_found() {
        let t = tables(&["Album", "Artist", "Track", "order items"]);
        let cases = [
            ("SELECT Title FROM album", Some("Album")),
            (
                "select * from main.\"Artist\" a join Album b on 1=1",
                Some("Artist"),
            ),
            (
                "SELECT COUNT(*) FROM (SELECT 1 FROM Track) q JOIN Album",
                Some("Track"),
            ),
            (
                "-- FROM Album\nSELECT 'from Artist' FROM Track",
                Some("Track"),
            ),
            ("SELECT * FROM `order items`", Some("order items")),
            ("SELECT * FROM [Artist]", Some("Artist")),
            ("SELECT * FROM \"artist\"", None),
            ("SELECT * FROM Genre JOIN Album ON 1=1", Some("Album")),
            ("SELECT 1", None),
            ("SELECT * FROM Customer", None),
        ];
        for (sql, want) in cases {
            assert_eq!(first_named_table(sql, &t).as_deref(), want, "{sql}");
        }
    }

    #[test]
    fn schema_qualified_tables_are_found() {
        let t = tables(&["orders", "sales.orders", "Sales.Big Orders", "public.a.b"]);
        let cases = [
            ("SELECT * FROM sales.orders", Some("sales.orders")),
            ("SELECT * FROM \"sales\".\"orders\"", Some("sales.orders")),
            ("SELECT * FROM SALES.Orders", Some("sales.orders")),
            ("SELECT * FROM orders", Some("orders")),
            ("SELECT * FROM public.orders", Some("orders")),
            ("SELECT * FROM finance.orders", Some("orders")),
            (
                "SELECT * FROM \"Sales\".\"Big Orders\"",
                Some("Sales.Big Orders"),
            ),
            ("SELECT * FROM \"sales\".\"Big Orders\"", None),
            ("SELECT * FROM public.\"a.b\"", Some("public.a.b")),
            ("SELECT * FROM db.sales.orders", Some("sales.orders")),
        ];
        for (sql, want) in cases {
            assert_eq!(first_named_table(sql, &t).as_deref(), want, "{sql}");
        }
    }
}
