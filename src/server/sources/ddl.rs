//! Rendering a [`TableSchema`] as a readable `CREATE TABLE` statement.

use super::{Dialect, TableSchema};

/// Renders `t` as a `CREATE TABLE` statement, identifiers quoted for `dialect`.
///
/// The table comment becomes a `-- comment` line before the statement and each
/// column comment a ` -- comment` at the end of its line (newlines removed, so
/// a comment can never break the statement). The output only depends on `t`
/// and `dialect`.
pub fn render_ddl(t: &TableSchema, dialect: Dialect) -> String {
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
                q(&fk.ref_table),
                list(&fk.ref_columns)
            ),
            None,
        ));
    }

    let mut out = String::new();
    if let Some(c) = t.comment.as_deref().map(one_line).filter(|s| !s.is_empty()) {
        out.push_str("-- ");
        out.push_str(&c);
        out.push('\n');
    }
    out.push_str("CREATE TABLE ");
    out.push_str(&q(&t.name));
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
}
