//! Rendering a [`TableSchema`] as a readable `CREATE TABLE` (or `CREATE
//! [MATERIALIZED] VIEW`) statement.

use super::{Dialect, TableKind, TableSchema};

/// Renders `t` as a `CREATE TABLE` statement, identifiers quoted for `dialect`
/// (a `schema.table` name as `"schema"."table"`, see [`Dialect::quote_table`]);
/// a view as in [`render_view`].
///
/// The table comment becomes a `-- comment` line before the statement and each
/// column comment a ` -- comment` at the end of its line (newlines removed, so
/// a comment can never break the statement). The output only depends on `t`
/// and `dialect`.
pub fn render_ddl(t: &TableSchema, dialect: Dialect) -> String {
    if t.kind != TableKind::Table {
        return render_view(t, dialect);
    }
    let q = |s: &str| dialect.quote(s);
    let list = |cols: &[String]| cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");

    // Each entry: (the text of the line without its separator, an optional comment).
    let mut lines: Vec<(String, Option<String>)> = Vec::new();
    for c in &t.columns {
        let mut line = format!("  {}", q(&c.name));
        let ty = one_line(&c.data_type);
        if !ty.is_empty() {
            line.push(' ');
            line.push_str(&ty);
        }
        if c.not_null {
            line.push_str(" NOT NULL");
        }
        if let Some(d) = &c.default {
            line.push_str(" DEFAULT ");
            line.push_str(&one_line(d));
        }
        lines.push((
            line,
            c.comment.as_deref().map(one_line).filter(|s| !s.is_empty()),
        ));
    }
    if !t.primary_key.is_empty() {
        lines.push((format!("  PRIMARY KEY ({})", list(&t.primary_key)), None));
    }
    for fk in &t.foreign_keys {
        lines.push((
            format!(
                "  FOREIGN KEY ({}) REFERENCES {} ({})",
                list(&fk.columns),
                dialect.quote_table(&fk.ref_table),
                list(&fk.ref_columns)
            ),
            None,
        ));
    }

    let mut out = comment_line(t);
    out.push_str("CREATE TABLE ");
    out.push_str(&dialect.quote_table(&t.name));
    out.push_str(" (\n");
    let n = lines.len();
    for (i, (line, comment)) in lines.into_iter().enumerate() {
        out.push_str(&line);
        if i + 1 < n {
            out.push(',');
        }
        if let Some(c) = comment {
            out.push_str(" -- ");
            out.push_str(&c);
        }
        out.push('\n');
    }
    out.push_str(");");
    out
}

/// A view (or materialized view) as `CREATE VIEW name (columns) AS <query>;`:
/// the column list names the columns, each with its type and comment in a
/// ` -- type; comment` at the end of its line, so the statement stays valid
/// SQL. The query is the catalog's, as written (trailing `;` removed); a view
/// whose query the source's user may not read ends after its column list,
/// under a comment that says so.
fn render_view(t: &TableSchema, dialect: Dialect) -> String {
    let mut out = comment_line(t);
    let definition = t
        .definition
        .as_deref()
        .map(|d| {
            d.trim()
                .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
        })
        .filter(|d| !d.is_empty());
    if definition.is_none() {
        out.push_str("-- (the view's query is not readable by the source's user)\n");
    }
    out.push_str(match t.kind {
        TableKind::MaterializedView => "CREATE MATERIALIZED VIEW ",
        _ => "CREATE VIEW ",
    });
    out.push_str(&dialect.quote_table(&t.name));
    if !t.columns.is_empty() {
        out.push_str(" (\n");
        let n = t.columns.len();
        for (i, c) in t.columns.iter().enumerate() {
            out.push_str("  ");
            out.push_str(&dialect.quote(&c.name));
            if i + 1 < n {
                out.push(',');
            }
            let notes: Vec<String> = [
                Some(one_line(&c.data_type)),
                c.comment.as_deref().map(one_line),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
            if !notes.is_empty() {
                out.push_str(" -- ");
                out.push_str(&notes.join("; "));
            }
            out.push('\n');
        }
        out.push(')');
    }
    match definition {
        Some(d) => {
            out.push_str(" AS\n");
            out.push_str(d);
            out.push(';');
        }
        None => out.push(';'),
    }
    out
}

/// The table's comment as a `-- comment` line, or nothing.
fn comment_line(t: &TableSchema) -> String {
    match t.comment.as_deref().map(one_line).filter(|s| !s.is_empty()) {
        Some(c) => format!("-- {c}\n"),
        None => String::new(),
    }
}

/// Collapses all whitespace runs (newlines included) to single spaces and trims.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::sources::{ColumnSchema, ForeignKey};

    fn col(name: &str, ty: &str, not_null: bool) -> ColumnSchema {
        ColumnSchema {
            name: name.into(),
            data_type: ty.into(),
            not_null,
            default: None,
            comment: None,
        }
    }

    fn track() -> TableSchema {
        TableSchema {
            name: "Track".into(),
            kind: TableKind::Table,
            definition: None,
            comment: None,
            columns: vec![
                col("TrackId", "INTEGER", true),
                col("Name", "NVARCHAR(200)", true),
                col("AlbumId", "INTEGER", false),
                col("GenreId", "INTEGER", false),
            ],
            primary_key: vec!["TrackId".into()],
            foreign_keys: vec![
                ForeignKey {
                    columns: vec!["AlbumId".into()],
                    ref_table: "Album".into(),
                    ref_columns: vec!["AlbumId".into()],
                },
                ForeignKey {
                    columns: vec!["GenreId".into()],
                    ref_table: "Genre".into(),
                    ref_columns: vec!["GenreId".into()],
                },
            ],
        }
    }

    #[test]
    fn renders_track() {
        let ddl = render_ddl(&track(), Dialect::Sqlite);
        assert_eq!(
            ddl,
            "CREATE TABLE \"Track\" (\n  \"TrackId\" INTEGER NOT NULL,\n  \"Name\" NVARCHAR(200) NOT NULL,\n  \
             \"AlbumId\" INTEGER,\n  \"GenreId\" INTEGER,\n  PRIMARY KEY (\"TrackId\"),\n  \
             FOREIGN KEY (\"AlbumId\") REFERENCES \"Album\" (\"AlbumId\"),\n  \
             FOREIGN KEY (\"GenreId\") REFERENCES \"Genre\" (\"GenreId\")\n);"
        );
        // Deterministic.
        assert_eq!(ddl, render_ddl(&track(), Dialect::Sqlite));
    }

    #[test]
    fn mysql_quoting_defaults_and_composite_keys() {
        let t = TableSchema {
            name: "Play`list".into(),
            kind: TableKind::Table,
            definition: None,
            comment: None,
            columns: vec![
                ColumnSchema {
                    default: Some("0".into()),
                    ..col("PlaylistId", "int(11)", true)
                },
                col("TrackId", "int(11)", true),
            ],
            primary_key: vec!["PlaylistId".into(), "TrackId".into()],
            foreign_keys: vec![ForeignKey {
                columns: vec!["PlaylistId".into(), "TrackId".into()],
                ref_table: "Other".into(),
                ref_columns: vec!["A".into(), "B".into()],
            }],
        };
        let ddl = render_ddl(&t, Dialect::Mysql);
        assert_eq!(
            ddl,
            "CREATE TABLE `Play``list` (\n  `PlaylistId` int(11) NOT NULL DEFAULT 0,\n  `TrackId` int(11) NOT NULL,\n  \
             PRIMARY KEY (`PlaylistId`, `TrackId`),\n  FOREIGN KEY (`PlaylistId`, `TrackId`) REFERENCES `Other` (`A`, `B`)\n);"
        );
    }

    #[test]
    fn comments_never_break_the_statement() {
        let mut t = track();
        t.comment = Some("Music tracks\nDROP TABLE x;".into());
        t.columns[1].comment = Some("The title,\r\n shown to users".into());
        t.columns[3].comment = Some("   ".into());
        t.columns[3].default = Some("'a\nb'".into());
        t.foreign_keys.clear();
        t.primary_key.clear();
        let ddl = render_ddl(&t, Dialect::Postgres);
        assert_eq!(
            ddl,
            "-- Music tracks DROP TABLE x;\nCREATE TABLE \"Track\" (\n  \"TrackId\" INTEGER NOT NULL,\n  \
             \"Name\" NVARCHAR(200) NOT NULL, -- The title, shown to users\n  \"AlbumId\" INTEGER,\n  \
             \"GenreId\" INTEGER DEFAULT 'a b'\n);"
        );
        // Every line either is a comment or has its comment after the SQL, so
        // stripping `--` comments leaves a complete statement.
        let stripped: String = ddl
            .lines()
            .map(|l| l.split(" -- ").next().unwrap())
            .filter(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(stripped.starts_with("CREATE TABLE") && stripped.ends_with(");"));
    }

    #[test]
    fn last_column_comment_comes_after_the_line() {
        let mut t = track();
        t.primary_key.clear();
        t.foreign_keys.clear();
        t.columns.truncate(1);
        t.columns[0].comment = Some("id".into());
        t.columns[0].data_type = String::new();
        assert_eq!(
            render_ddl(&t, Dialect::Sqlite),
            "CREATE TABLE \"Track\" (\n  \"TrackId\" NOT NULL -- id\n);"
        );
    }

    #[test]
    fn schema_qualified_names_in_postgres_only() {
        let mut t = track();
        t.name = "sales.Track".into();
        t.foreign_keys[0].ref_table = "catalog.Album".into();
        t.foreign_keys.truncate(1);
        let ddl = render_ddl(&t, Dialect::Postgres);
        assert!(
            ddl.starts_with("CREATE TABLE \"sales\".\"Track\" (\n"),
            "{ddl}"
        );
        assert!(
            ddl.contains("REFERENCES \"catalog\".\"Album\" (\"AlbumId\")"),
            "{ddl}"
        );
        // In MySQL and SQLite a dot is part of the one name.
        assert!(render_ddl(&t, Dialect::Mysql).starts_with("CREATE TABLE `sales.Track` (\n"));
        // `public.a.b` is the public table `a.b`.
        assert_eq!(
            Dialect::Postgres.quote_table("public.a.b"),
            "\"public\".\"a.b\""
        );
        assert_eq!(Dialect::Postgres.quote_table("x\"y.z"), "\"x\"\"y\".\"z\"");
    }

    #[test]
    fn views_render_their_columns_and_query() {
        let mut t = track();
        t.name = "sales.long_tracks".into();
        t.kind = TableKind::View;
        t.primary_key.clear();
        t.foreign_keys.clear();
        t.columns.truncate(2);
        t.columns[1].comment = Some("the\ntitle".into());
        t.comment = Some("Tracks over 5 minutes".into());
        t.definition =
            Some(" SELECT t.\"TrackId\",\n    t.\"Name\"\n   FROM \"Track\" t;\n".into());
        assert_eq!(
            render_ddl(&t, Dialect::Postgres),
            "-- Tracks over 5 minutes\nCREATE VIEW \"sales\".\"long_tracks\" (\n  \"TrackId\", -- INTEGER\n  \
             \"Name\" -- NVARCHAR(200); the title\n) AS\nSELECT t.\"TrackId\",\n    t.\"Name\"\n   FROM \"Track\" t;"
        );
        t.kind = TableKind::MaterializedView;
        t.comment = None;
        t.columns[1].comment = None;
        t.columns[1].data_type = String::new();
        t.definition = None;
        assert_eq!(
            render_ddl(&t, Dialect::Postgres),
            "-- (the view's query is not readable by the source's user)\n\
             CREATE MATERIALIZED VIEW \"sales\".\"long_tracks\" (\n  \"TrackId\", -- INTEGER\n  \"Name\"\n);"
        );
    }
}
