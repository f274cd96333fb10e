//! Source databases against real servers: Chinook in SQLite (a copy of the
//! fixture), PostgreSQL and MariaDB (loaded into a fresh database per test).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::sources::{
    TempDb, chinook_mysql, chinook_postgres, chinook_sqlite_copy, table_schemas,
};
use datatrain::server::sources::{
    Dialect, QueryLimits, Source, SourceError, SourcePolicy, SourceUrl, TableSchema, render_ddl,
};

/// Chinook tables and their column counts (PascalCase; PostgreSQL uses snake_case).
const TABLES: [(&str, i64); 11] = [
    ("Album", 3),
    ("Artist", 2),
    ("Customer", 13),
    ("Employee", 15),
    ("Genre", 2),
    ("Invoice", 9),
    ("InvoiceLine", 5),
    ("MediaType", 2),
    ("Playlist", 2),
    ("PlaylistTrack", 2),
    ("Track", 9),
];

const EVIL: &str = "x\"; DROP TABLE y; --";

/// The Chinook name of `pascal` in `dialect` (`InvoiceLine` → `invoice_line` in PostgreSQL).
fn n(dialect: Dialect, pascal: &str) -> String {
    if dialect != Dialect::Postgres {
        return pascal.to_string();
    }
    let mut out = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn parse(url: &str, dir: &Path) -> SourceUrl {
    SourceUrl::parse(url, dir, &[]).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn limits() -> QueryLimits {
    QueryLimits {
        max_rows: 10,
        timeout: Duration::from_secs(5),
    }
}

async fn open_sqlite(dir: &Path) -> Source {
    chinook_sqlite_copy(dir);
    Source::open(
        &parse("sqlite://chinook.sqlite", dir),
        &SourcePolicy::default(),
    )
    .await
    .expect("open SQLite")
}

async fn open_network(db: &TempDb) -> Source {
    let dir = tempfile::tempdir().unwrap();
    Source::open(&parse(&db.url, dir.path()), &SourcePolicy::default())
        .await
        .expect("open the source")
}

async fn table_count(source: &Source, dialect: Dialect, pascal: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM {}",
        dialect.quote(&n(dialect, pascal))
    );
    match source {
        Source::Sqlite(p, _) => sqlx::query_scalar(&sql).fetch_one(p).await.unwrap(),
        Source::Postgres(p, _) => sqlx::query_scalar(&sql).fetch_one(p.pool()).await.unwrap(),
        Source::Mysql(p, _) => sqlx::query_scalar(&sql).fetch_one(p).await.unwrap(),
    }
}

fn schema<'a>(schemas: &'a [TableSchema], name: &str) -> &'a TableSchema {
    schemas
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no schema for {name}"))
}

/// Everything that must hold for Chinook on any backend.
async fn exercise_chinook(source: &Source) {
    let d = source.dialect();
    let q = |s: &str| d.quote(&n(d, s));

    // Tables, sorted, with their column counts.
    let tables = source.list_tables().await.unwrap();
    let got: Vec<(String, i64)> = tables
        .iter()
        .map(|t| (t.name.clone(), t.column_count))
        .collect();
    let want: Vec<(String, i64)> = TABLES.iter().map(|(t, c)| (n(d, t), *c)).collect();
    assert_eq!(got, want);

    // Track: columns, NOT NULL, primary key, foreign keys.
    let names: Vec<String> = ["Track", "InvoiceLine", "PlaylistTrack"]
        .iter()
        .map(|t| n(d, t))
        .collect();
    let schemas = table_schemas(source, &names).await.unwrap();
    assert_eq!(
        schemas.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        names,
        "request order"
    );
    let track = schema(&schemas, &n(d, "Track"));
    let cols: Vec<(String, bool)> = track
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.not_null))
        .collect();
    let want_cols: Vec<(String, bool)> = [
        ("TrackId", true),
        ("Name", true),
        ("AlbumId", false),
        ("MediaTypeId", true),
        ("GenreId", false),
        ("Composer", false),
        ("Milliseconds", true),
        ("Bytes", false),
        ("UnitPrice", true),
    ]
    .iter()
    .map(|(c, nn)| (n(d, c), *nn))
    .collect();
    assert_eq!(cols, want_cols);
    assert!(
        track.columns.iter().all(|c| !c.data_type.is_empty()),
        "{:?}",
        track.columns
    );
    let unit_price = &track.columns[8];
    assert!(
        unit_price.data_type.to_lowercase().starts_with("numeric")
            || unit_price.data_type.starts_with("decimal")
    );
    assert_eq!(track.primary_key, vec![n(d, "TrackId")]);
    let fks: Vec<(Vec<String>, String, Vec<String>)> = track
        .foreign_keys
        .iter()
        .map(|f| {
            (
                f.columns.clone(),
                f.ref_table.clone(),
                f.ref_columns.clone(),
            )
        })
        .collect();
    let want_fks: Vec<(Vec<String>, String, Vec<String>)> = [
        ("AlbumId", "Album"),
        ("GenreId", "Genre"),
        ("MediaTypeId", "MediaType"),
    ]
    .iter()
    .map(|(c, t)| (vec![n(d, c)], n(d, t), vec![n(d, c)]))
    .collect();
    assert_eq!(fks, want_fks);

    // Composite and multiple keys.
    let playlist_track = schema(&schemas, &n(d, "PlaylistTrack"));
    assert_eq!(
        playlist_track.primary_key,
        vec![n(d, "PlaylistId"), n(d, "TrackId")]
    );
    let targets: Vec<String> = playlist_track
        .foreign_keys
        .iter()
        .map(|f| f.ref_table.clone())
        .collect();
    assert_eq!(targets, vec![n(d, "Playlist"), n(d, "Track")]);
    let invoice_line = schema(&schemas, &n(d, "InvoiceLine"));
    assert_eq!(invoice_line.primary_key, vec![n(d, "InvoiceLineId")]);
    assert_eq!(invoice_line.columns.len(), 5);
    let targets: Vec<(String, String)> = invoice_line
        .foreign_keys
        .iter()
        .map(|f| (f.columns.join(","), f.ref_table.clone()))
        .collect();
    assert_eq!(
        targets,
        vec![
            (n(d, "InvoiceId"), n(d, "Invoice")),
            (n(d, "TrackId"), n(d, "Track"))
        ]
    );

    // DDL.
    let ddl = render_ddl(track, d);
    assert!(
        ddl.contains(&format!("CREATE TABLE {} (\n", q("Track"))),
        "{ddl}"
    );
    assert!(ddl.contains(&format!("  {} ", q("TrackId"))), "{ddl}");
    assert!(
        ddl.contains(&format!("PRIMARY KEY ({})", q("TrackId"))),
        "{ddl}"
    );
    assert!(
        ddl.contains(&format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            q("AlbumId"),
            q("Album"),
            q("AlbumId")
        )),
        "{ddl}"
    );
    assert!(ddl.contains("NOT NULL") && ddl.ends_with(");"), "{ddl}");
    assert_eq!(
        ddl,
        render_ddl(
            &table_schemas(source, &[n(d, "Track")]).await.unwrap()[0],
            d
        ),
        "deterministic"
    );
    let ddl = render_ddl(playlist_track, d);
    assert!(
        ddl.contains(&format!(
            "PRIMARY KEY ({}, {})",
            q("PlaylistId"),
            q("TrackId")
        )),
        "{ddl}"
    );

    // Unknown names, including one full of quotes and semicolons, are reported in request order.
    let asked = vec![
        n(d, "Track"),
        "Nope".to_string(),
        EVIL.to_string(),
        n(d, "Track").to_uppercase() + "X",
    ];
    match table_schemas(source, &asked).await {
        Err(SourceError::UnknownTables(missing)) => assert_eq!(missing, asked[1..].to_vec()),
        other => panic!("expected UnknownTables, got {other:?}"),
    }
    let err = table_schemas(source, &[EVIL.to_string()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains(EVIL), "{err}");
    assert_eq!(
        source.list_tables().await.unwrap().len(),
        11,
        "the source is untouched"
    );

    // Queries: a good one runs, a bad one and writes fail without effect.
    let tracks = table_count(source, d, "Track").await;
    assert_eq!(tracks, 3503);
    let count = format!("SELECT COUNT(*) FROM {}", q("Track"));
    source.check_query(&count, limits()).await.unwrap();
    source
        .check_query(&format!("{count};"), limits())
        .await
        .unwrap();
    let join = format!(
        "SELECT t.{name}, a.{title} FROM {track} AS t JOIN {album} AS a ON a.{album_id} = t.{album_id} ORDER BY t.{name}",
        name = q("Name"),
        title = q("Title"),
        track = q("Track"),
        album = q("Album"),
        album_id = q("AlbumId")
    );
    source.check_query(&join, limits()).await.unwrap();
    // Same column name twice (fine as a query, not as a MySQL derived table).
    let dup = format!(
        "SELECT g.{name}, m.{name} FROM {g} AS g, {m} AS m",
        name = q("Name"),
        g = q("Genre"),
        m = q("MediaType")
    );
    source.check_query(&dup, limits()).await.unwrap();

    match source
        .check_query(&format!("SELECT nope FROM {}", q("Track")), limits())
        .await
    {
        Err(SourceError::Query(msg)) => {
            eprintln!("{d:?}: {msg}");
            assert!(!msg.is_empty())
        }
        other => panic!("expected a query error, got {other:?}"),
    }
    let delete = format!("DELETE FROM {}", q("PlaylistTrack"));
    assert!(matches!(
        source.check_query(&delete, limits()).await,
        Err(SourceError::Query(_))
    ));
    let smuggled = format!("SELECT 1) AS x; {delete}; SELECT * FROM (SELECT 1");
    assert!(matches!(
        source.check_query(&smuggled, limits()).await,
        Err(SourceError::Query(_))
    ));
    assert!(matches!(
        source.check_query("  ;  ", limits()).await,
        Err(SourceError::Query(_))
    ));
    assert_eq!(
        table_count(source, d, "PlaylistTrack").await,
        8715,
        "nothing deleted"
    );

    // The source's own connections are read-only too.
    let sql = format!("DELETE FROM {}", q("PlaylistTrack"));
    let write = match source {
        Source::Sqlite(p, _) => sqlx::query(&sql).execute(p).await.map(drop),
        Source::Postgres(p, _) => sqlx::query(&sql).execute(p.pool()).await.map(drop),
        Source::Mysql(p, _) => sqlx::query(&sql).execute(p).await.map(drop),
    };
    assert!(write.is_err(), "a write through the source pool must fail");
    assert_eq!(
        table_count(source, d, "PlaylistTrack").await,
        8715,
        "nothing deleted"
    );

    // Distinct counts, capped.
    assert_eq!(
        source
            .distinct_count(&n(d, "MediaType"), &n(d, "Name"), 100)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        source
            .distinct_count(&n(d, "MediaType"), &n(d, "Name"), 3)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        source
            .distinct_count(&n(d, "Invoice"), &n(d, "BillingCountry"), 100)
            .await
            .unwrap(),
        24
    );
    // NULLs are not counted (BillingState is often NULL).
    let states = source
        .distinct_count(&n(d, "Invoice"), &n(d, "BillingState"), 1000)
        .await
        .unwrap();
    assert!(states > 0 && states < 30, "{states}");
    assert!(matches!(
        source.distinct_count(EVIL, &n(d, "Name"), 10).await,
        Err(SourceError::Query(_))
    ));
    // Distinct values as text, capped, NULLs left out; numbers come as text too.
    let mut types = source
        .distinct_values(&n(d, "MediaType"), &n(d, "Name"), 100)
        .await
        .unwrap();
    types.sort();
    assert_eq!(types.len(), 5, "{types:?}");
    assert!(types.contains(&"MPEG audio file".to_string()), "{types:?}");
    assert_eq!(
        source
            .distinct_values(&n(d, "Invoice"), &n(d, "BillingCountry"), 3)
            .await
            .unwrap()
            .len(),
        3
    );
    let states = source
        .distinct_values(&n(d, "Invoice"), &n(d, "BillingState"), 1000)
        .await
        .unwrap();
    assert!(
        !states.is_empty() && states.iter().all(|s| !s.is_empty()),
        "{states:?}"
    );
    let ids = source
        .distinct_values(&n(d, "MediaType"), &n(d, "MediaTypeId"), 10)
        .await
        .unwrap();
    assert!(ids.contains(&"1".to_string()), "{ids:?}");
    assert!(matches!(
        source.distinct_values(EVIL, &n(d, "Name"), 10).await,
        Err(SourceError::Query(_))
    ));
    assert_eq!(source.list_tables().await.unwrap().len(), 11);
}

/// A query running longer than its limit fails with `Timeout`, and the source still works.
async fn exercise_timeout(source: &Source, slow_sql: &str) {
    let limits = QueryLimits {
        max_rows: 10,
        timeout: Duration::from_millis(700),
    };
    let started = Instant::now();
    let res = source.check_query(slow_sql, limits).await;
    assert_eq!(res, Err(SourceError::Timeout(limits.timeout)));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(source.list_tables().await.unwrap().len(), 11);
    source.check_query("SELECT 1 AS one", limits).await.unwrap();
}

#[tokio::test]
async fn sqlite_chinook() {
    let dir = tempfile::tempdir().unwrap();
    let source = open_sqlite(dir.path()).await;
    assert_eq!(source.dialect(), Dialect::Sqlite);
    let before = std::fs::read(dir.path().join("chinook.sqlite")).unwrap();
    exercise_chinook(&source).await;
    // SQLite has no comments.
    let schemas = table_schemas(&source, &["Track".to_string()])
        .await
        .unwrap();
    assert!(schemas[0].comment.is_none() && schemas[0].columns.iter().all(|c| c.comment.is_none()));
    exercise_timeout(
        &source,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c",
    )
    .await;
    source.close().await;
    assert_eq!(
        std::fs::read(dir.path().join("chinook.sqlite")).unwrap(),
        before,
        "the file is unchanged"
    );
}

#[tokio::test]
async fn sqlite_open_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("junk.db"),
        b"this is not a database, just some text that is long enough",
    )
    .unwrap();
    match Source::open(
        &parse("sqlite://junk.db", dir.path()),
        &SourcePolicy::default(),
    )
    .await
    {
        Err(SourceError::Connect(msg)) => {
            eprintln!("{msg}");
            assert!(msg.contains("junk.db"), "{msg}");
            assert!(
                !msg.contains(&*dir.path().to_string_lossy()),
                "no server path: {msg}"
            );
        }
        other => panic!("expected Connect, got {other:?}"),
    }
    // The URL checks come first: escapes and datatrain's own database are refused.
    let sources = dir.path().join("sources");
    std::fs::create_dir(&sources).unwrap();
    let own = chinook_sqlite_copy(&sources);
    assert!(SourceUrl::parse("sqlite://../junk.db", &sources, &[]).is_err());
    assert!(
        SourceUrl::parse(
            "sqlite://chinook.sqlite",
            &sources,
            std::slice::from_ref(&own)
        )
        .is_err()
    );
    std::os::unix::fs::symlink(dir.path().join("junk.db"), sources.join("link.db")).unwrap();
    let err = SourceUrl::parse("sqlite://link.db", &sources, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the SQLite file must be inside the sources folder"
    );
}

#[tokio::test]
async fn postgres_chinook() {
    let started = Instant::now();
    let db = chinook_postgres().await;
    eprintln!("loaded Chinook into PostgreSQL in {:?}", started.elapsed());
    db.execute(
        "COMMENT ON TABLE track IS 'Music tracks,\nwith their album';\n\
         COMMENT ON COLUMN track.name IS 'The track''s title';\n\
         CREATE SEQUENCE dt_seq;",
    )
    .await;
    let source = open_network(&db).await;
    assert_eq!(source.dialect(), Dialect::Postgres);
    exercise_chinook(&source).await;

    let track = &table_schemas(&source, &["track".to_string()])
        .await
        .unwrap()[0];
    assert_eq!(
        track.comment.as_deref(),
        Some("Music tracks,\nwith their album")
    );
    assert_eq!(
        track.columns[1].comment.as_deref(),
        Some("The track's title")
    );
    assert_eq!(track.columns[0].comment, None);
    assert_eq!(track.columns[0].data_type, "integer");
    assert_eq!(track.columns[1].data_type, "character varying(200)");
    let ddl = render_ddl(track, Dialect::Postgres);
    assert!(
        ddl.starts_with("-- Music tracks, with their album\nCREATE TABLE \"track\" (\n"),
        "{ddl}"
    );
    assert!(
        ddl.contains("\"name\" character varying(200) NOT NULL, -- The track's title\n"),
        "{ddl}"
    );

    // Side effects inside a SELECT are refused by the read-only transaction.
    let res = source
        .check_query("SELECT nextval('dt_seq')", limits())
        .await;
    assert!(
        matches!(&res, Err(SourceError::Query(m)) if m.contains("read-only")),
        "{res:?}"
    );
    assert_eq!(db.scalar_i64("SELECT last_value FROM dt_seq").await, 1);
    assert_eq!(
        db.scalar_i64("SELECT CASE WHEN is_called THEN 1 ELSE 0 END::bigint FROM dt_seq")
            .await,
        0
    );

    exercise_timeout(&source, "SELECT pg_sleep(3)").await;
    source.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn mysql_chinook() {
    let started = Instant::now();
    let db = chinook_mysql().await;
    eprintln!("loaded Chinook into MariaDB in {:?}", started.elapsed());
    db.execute(
        "ALTER TABLE `Track` COMMENT = 'Music tracks';\n\
         ALTER TABLE `Track` MODIFY `Name` NVARCHAR(200) NOT NULL COMMENT 'The track''s title';\n\
         CREATE TABLE `Defaults` (`Id` INT NOT NULL PRIMARY KEY, `Kind` VARCHAR(10) NOT NULL DEFAULT 'x', `Note` TEXT);",
    )
    .await;
    let source = open_network(&db).await;
    assert_eq!(source.dialect(), Dialect::Mysql);
    let track = &table_schemas(&source, &["Track".to_string()])
        .await
        .unwrap()[0];
    assert_eq!(track.comment.as_deref(), Some("Music tracks"));
    assert_eq!(
        track.columns[1].comment.as_deref(),
        Some("The track's title")
    );
    assert_eq!(track.columns[0].comment, None);
    assert!(
        track.columns[1].data_type.starts_with("varchar(200)"),
        "{:?}",
        track.columns[1]
    );
    let ddl = render_ddl(track, Dialect::Mysql);
    assert!(
        ddl.starts_with("-- Music tracks\nCREATE TABLE `Track` (\n"),
        "{ddl}"
    );
    assert!(ddl.contains(" -- The track's title\n"), "{ddl}");

    let defaults = &table_schemas(&source, &["Defaults".to_string()])
        .await
        .unwrap()[0];
    let got: Vec<Option<&str>> = defaults
        .columns
        .iter()
        .map(|c| c.default.as_deref())
        .collect();
    assert_eq!(got, vec![None, Some("'x'"), None]);
    db.execute("DROP TABLE `Defaults`").await;

    exercise_chinook(&source).await;
    exercise_timeout(&source, "SELECT SLEEP(3)").await;
    source.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn unreachable_hosts_are_connect_errors() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "postgres://postgres:pw-xyz@127.0.0.1:1/chinook",
        "mysql://root:pw-xyz@127.0.0.1:1/chinook",
    ] {
        let started = Instant::now();
        match Source::open(&parse(url, dir.path()), &SourcePolicy::default()).await {
            Err(SourceError::Connect(msg)) => {
                eprintln!("{msg}");
                assert!(!msg.contains("pw-xyz"), "{msg}");
                assert!(msg.contains("127.0.0.1:1"), "{msg}");
            }
            other => panic!("{url}: expected Connect, got {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
    }
    // A database that does not exist is not an authentication problem.
    let url = format!(
        "{}/dt_no_such_db_here",
        crate::common::sources::pg_admin_url()
    );
    assert!(matches!(
        Source::open(&parse(&url, dir.path()), &SourcePolicy::default()).await,
        Err(SourceError::Connect(_))
    ));
}

#[tokio::test]
async fn mysql_wrong_password_is_auth_error() {
    let db = TempDb::create(crate::common::sources::Server::Mysql).await;
    db.execute(
        "CREATE USER IF NOT EXISTS 'dt_pw_test'@'%' IDENTIFIED BY 'right-Pa55';\n\
         CREATE USER IF NOT EXISTS 'dt_pw_test'@'localhost' IDENTIFIED BY 'right-Pa55';",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let admin = crate::common::sources::mysql_admin_url();
    let host = admin.rsplit('@').next().unwrap();
    let wrong = "wr0ng-S3cret";
    let url = parse(
        &format!("mysql://dt_pw_test:{wrong}@{host}/{}", db.name),
        dir.path(),
    );
    match Source::open(&url, &SourcePolicy::default()).await {
        Err(e @ SourceError::Auth(_)) => {
            eprintln!("{e}");
            let msg = e.to_string();
            assert!(!msg.contains(wrong), "{msg}");
            assert!(msg.contains("dt_pw_test"), "{msg}");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(!format!("{url:?}").contains(wrong));
    assert_eq!(
        url.masked(),
        format!("mysql://dt_pw_test:***@{host}/{}", db.name)
    );
    db.execute("DROP USER IF EXISTS 'dt_pw_test'@'%', 'dt_pw_test'@'localhost'")
        .await;
    db.cleanup().await;
}

// Warehouse sources (also trained in `engine.rs`): several PostgreSQL schemas, views and materialized views;
// MariaDB views of the URL's database only; SQLite views.

use crate::common::sources::{Server, pg_admin_url, unique_db_name};
use datatrain::domain::dto::TableKind;
use datatrain::server::training::examples::candidates;

/// `(name, kind, column count)` of every listed relation, in listing order.
async fn listing(source: &Source) -> Result<Vec<(String, TableKind, i64)>, SourceError> {
    Ok(source
        .list_tables()
        .await?
        .into_iter()
        .map(|t| (t.name, t.kind, t.column_count))
        .collect())
}

fn rel(name: &str, kind: TableKind, columns: i64) -> (String, TableKind, i64) {
    (name.to_string(), kind, columns)
}

async fn open_url(url: &str) -> Source {
    let dir = tempfile::tempdir().unwrap();
    Source::open(&parse(url, dir.path()), &SourcePolicy::default())
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"))
}

/// Every generated example candidate of `name` runs on the source, and there is at least one.
async fn examples_run(source: &Source, name: &str, all: &[TableSchema]) {
    let t = schema(all, name);
    let cands = candidates(t, all, source.dialect());
    assert!(!cands.is_empty(), "{name}: no candidates");
    for c in &cands {
        if let Some(col) = &c.check_distinct {
            source
                .distinct_count(&t.name, col, 21)
                .await
                .unwrap_or_else(|e| panic!("{name}.{col}: {e}"));
        }
        source
            .check_query(&c.sql, limits())
            .await
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", c.sql));
    }
}

/// Runs SQL on PostgreSQL's `postgres` database (cluster-wide objects: roles).
async fn pg_admin(sql: &str) {
    use sqlx::{Connection, Executor};
    let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin_url()))
        .await
        .expect("connect to PostgreSQL");
    c.execute(sqlx::raw_sql(sql)).await.expect(sql);
    c.close().await.ok();
}

pub(crate) const PG_WAREHOUSE: &str = r#"
CREATE SCHEMA sales; CREATE SCHEMA finance; CREATE SCHEMA hidden; CREATE SCHEMA "Odd Schema";
CREATE EXTENSION pg_buffercache;
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, country text);
CREATE TABLE "a.b" (x int);
CREATE TABLE sales.orders (
  id int PRIMARY KEY,
  customer_id int NOT NULL REFERENCES public.customers (id),
  status text NOT NULL,
  amount numeric(10, 2),
  ordered_at date
);
CREATE TABLE finance.invoices (id int PRIMARY KEY, order_id int REFERENCES sales.orders (id), total numeric);
CREATE TABLE hidden.secret (id int);
CREATE TABLE "Odd Schema"."Line ""Items""" (id int, order_id int);
CREATE TABLE sales.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW sales.big_orders AS
  SELECT o.id, o.customer_id, o.status, o.amount FROM sales.orders o WHERE o.amount > 100;
COMMENT ON VIEW sales.big_orders IS 'Orders over 100';
CREATE MATERIALIZED VIEW finance.revenue_by_status AS
  SELECT o.status, sum(o.amount) AS revenue, count(*) AS orders FROM sales.orders o GROUP BY o.status;
INSERT INTO customers VALUES (1, 'Ann', 'NO'), (2, 'Bo', 'SE');
INSERT INTO sales.orders VALUES
  (1, 1, 'open', 50, '2024-01-05'), (2, 1, 'paid', 150, '2024-02-01'),
  (3, 2, 'paid', 300, '2025-03-01'), (4, 2, 'void', 120, NULL);
INSERT INTO finance.invoices VALUES (1, 2, 150), (2, 3, 300);
INSERT INTO "a.b" VALUES (1), (2);
INSERT INTO "Odd Schema"."Line ""Items""" VALUES (1, 1);
INSERT INTO sales.events VALUES (1, '2024-06-01');
REFRESH MATERIALIZED VIEW finance.revenue_by_status;
"#;

#[tokio::test]
async fn postgres_warehouse_schemas_and_views() {
    let db = TempDb::create(Server::Postgres).await;
    db.execute(PG_WAREHOUSE).await;
    let source = open_network(&db).await;
    let odd = "Odd Schema.Line \"Items\"";

    // Every non-system schema: tables (a partitioned one once), views and
    // materialized views, `schema.table` outside public; no system or
    // extension relations (pg_buffercache's view), no partitions.
    let got = listing(&source).await.unwrap();
    assert_eq!(
        got,
        vec![
            rel(odd, TableKind::Table, 2),
            rel("customers", TableKind::Table, 3),
            rel("finance.invoices", TableKind::Table, 3),
            rel("finance.revenue_by_status", TableKind::MaterializedView, 3),
            rel("hidden.secret", TableKind::Table, 1),
            rel("public.a.b", TableKind::Table, 1),
            rel("sales.big_orders", TableKind::View, 4),
            rel("sales.events", TableKind::Table, 2),
            rel("sales.orders", TableKind::Table, 5),
        ]
    );
    let names: Vec<String> = got.iter().map(|(n, _, _)| n.clone()).collect();
    let all = table_schemas(&source, &names).await.unwrap();

    // Foreign keys across schemas name the referenced table as it is listed.
    let orders = schema(&all, "sales.orders");
    assert_eq!(orders.kind, TableKind::Table);
    assert_eq!(orders.foreign_keys[0].ref_table, "customers");
    let invoices = schema(&all, "finance.invoices");
    assert_eq!(invoices.foreign_keys[0].ref_table, "sales.orders");
    let ddl = render_ddl(invoices, Dialect::Postgres);
    assert!(
        ddl.starts_with("CREATE TABLE \"finance\".\"invoices\" (\n"),
        "{ddl}"
    );
    assert!(
        ddl.contains("REFERENCES \"sales\".\"orders\" (\"id\")"),
        "{ddl}"
    );
    assert!(render_ddl(orders, Dialect::Postgres).contains("REFERENCES \"customers\" (\"id\")"));

    // Views: their columns, comment and query.
    let view = schema(&all, "sales.big_orders");
    assert_eq!(view.kind, TableKind::View);
    assert!(view.primary_key.is_empty() && view.foreign_keys.is_empty());
    assert_eq!(view.comment.as_deref(), Some("Orders over 100"));
    let ddl = render_ddl(view, Dialect::Postgres);
    assert!(
        ddl.starts_with(
            "-- Orders over 100\nCREATE VIEW \"sales\".\"big_orders\" (\n  \"id\", -- integer\n  \
             \"customer_id\", -- integer\n  \"status\", -- text\n  \"amount\" -- numeric(10,2)\n) AS\n"
        ),
        "{ddl}"
    );
    assert!(
        ddl.contains("FROM sales.orders o") && ddl.contains("o.amount > 100"),
        "{ddl}"
    );
    assert!(ddl.ends_with(';') && !ddl.ends_with(";;"), "{ddl}");
    let mv = schema(&all, "finance.revenue_by_status");
    assert_eq!(mv.kind, TableKind::MaterializedView);
    let ddl = render_ddl(mv, Dialect::Postgres);
    assert!(
        ddl.starts_with("CREATE MATERIALIZED VIEW \"finance\".\"revenue_by_status\" (\n"),
        "{ddl}"
    );
    assert!(ddl.contains("GROUP BY o.status"), "{ddl}");
    assert!(
        render_ddl(schema(&all, odd), Dialect::Postgres)
            .starts_with("CREATE TABLE \"Odd Schema\".\"Line \"\"Items\"\"\" (\n")
    );
    assert!(
        render_ddl(schema(&all, "public.a.b"), Dialect::Postgres)
            .starts_with("CREATE TABLE \"public\".\"a.b\" (\n")
    );

    // Distinct counts and generated examples run on qualified tables and views.
    assert_eq!(
        source
            .distinct_count("sales.orders", "status", 21)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        source
            .distinct_count("sales.big_orders", "status", 21)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        source.distinct_count("public.a.b", "x", 21).await.unwrap(),
        2
    );
    assert_eq!(source.distinct_count(odd, "id", 21).await.unwrap(), 1);
    for name in &names {
        examples_run(&source, name, &all).await;
    }
    // A view's examples count its rows, not the table's.
    let count = candidates(view, &all, Dialect::Postgres).remove(0);
    assert!(
        count.sql.contains("FROM \"sales\".\"big_orders\""),
        "{}",
        count.sql
    );

    // Partitions, system relations and unknown names are not source tables.
    let res = source
        .check_tables(&[
            "sales.orders".into(),
            "sales.events_2024".into(),
            "pg_catalog.pg_class".into(),
            "information_schema.tables".into(),
            "pg_buffercache".into(),
            "orders".into(),
            "a.b".into(),
        ])
        .await;
    assert_eq!(
        res,
        Err(SourceError::UnknownTables(vec![
            "sales.events_2024".into(),
            "pg_catalog.pg_class".into(),
            "information_schema.tables".into(),
            "pg_buffercache".into(),
            "orders".into(),
            "a.b".into(),
        ]))
    );
    source.close().await;

    // `schemas=` lists the schemas (and never reaches the driver: the server
    // would refuse an unknown parameter, the policy too).
    let source = open_url(&format!(
        "{}?sslmode=disable&schemas=sales,%20public,sales",
        db.url
    ))
    .await;
    let got: Vec<String> = listing(&source)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(
        got,
        [
            "customers",
            "public.a.b",
            "sales.big_orders",
            "sales.events",
            "sales.orders"
        ]
    );
    assert_eq!(
        source.table_schema("finance.invoices").await,
        Err(SourceError::UnknownTables(vec!["finance.invoices".into()]))
    );
    source.close().await;
    let source = open_url(&format!("{}?schemas=Odd%20Schema", db.url)).await;
    assert_eq!(
        listing(&source).await.unwrap(),
        vec![rel(odd, TableKind::Table, 2)]
    );
    source.close().await;

    // Unknown schemas (names are case-sensitive) are named in the error.
    let source = open_url(&format!("{}?schemas=sales,nope,Sales", db.url)).await;
    let res = listing(&source).await;
    assert_eq!(
        res,
        Err(SourceError::UnknownSchemas(vec![
            "nope".into(),
            "Sales".into()
        ]))
    );
    assert!(source.check_tables(&["sales.orders".into()]).await.is_err());
    source.close().await;

    // A user who may read less sees less: USAGE on the schema and SELECT on
    // the relation (or on one of its columns).
    let role = unique_db_name().replace("dt_src", "dt_ro");
    pg_admin(&format!("CREATE ROLE {role} LOGIN")).await;
    db.execute(&format!(
        "GRANT USAGE ON SCHEMA sales, finance TO {role};\n\
         GRANT SELECT ON sales.orders, sales.big_orders TO {role};\n\
         GRANT SELECT (id) ON finance.invoices TO {role};\n\
         GRANT SELECT ON hidden.secret TO {role};"
    ))
    .await;
    let as_role = db.url.replacen("postgres@", &format!("{role}@"), 1);
    assert_ne!(as_role, db.url);
    let source = open_url(&as_role).await;
    let got: Vec<String> = listing(&source)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(
        got,
        ["finance.invoices", "sales.big_orders", "sales.orders"]
    );
    source.close().await;
    let source = open_url(&format!("{as_role}?schemas=sales,hidden")).await;
    assert_eq!(
        listing(&source).await,
        Err(SourceError::UnknownSchemas(vec!["hidden".into()]))
    );
    source.close().await;

    db.cleanup().await;
    pg_admin(&format!("DROP ROLE {role}")).await;
}

#[tokio::test]
async fn schemas_parameter_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.db"), b"x").unwrap();
    let err = |url: &str| {
        SourceUrl::parse(url, dir.path(), &[])
            .expect_err(url)
            .message()
            .to_string()
    };
    let u = parse(
        "postgres://u:pw@h:5432/db?application_name=x&schemas=sales,%22Odd%20One%22,sales&sslmode=disable",
        dir.path(),
    );
    assert_eq!(
        u.schemas(),
        Some(&["sales".to_string(), "\"Odd One\"".to_string()][..])
    );
    assert_eq!(
        u.connect_url().unwrap().query(),
        Some("application_name=x&sslmode=disable")
    );
    assert!(u.masked().contains("schemas=sales"), "{}", u.masked());
    let u = parse("postgres://h/db?schemas=sales", dir.path());
    assert_eq!(u.connect_url().unwrap().query(), None);
    assert_eq!(parse("postgres://h/db", dir.path()).schemas(), None);
    assert!(SourcePolicy::default().check_url(&u).is_ok());

    for (url, want) in [
        ("postgres://h/db?schemas=", "separated by commas"),
        ("postgres://h/db?schemas=a,,b", "separated by commas"),
        ("postgres://h/db?schemas=a&schemas=b", "given once"),
        ("postgres://h/db?schemas=pg_catalog", "system schemas"),
        (
            "postgres://h/db?schemas=information_schema",
            "system schemas",
        ),
        ("postgres://h/db?schemas=a.b", "with a dot"),
        ("postgres://h/db?schemas=a%00b", "control character"),
        (
            &format!("postgres://h/db?schemas={}", "s".repeat(64)),
            "63 bytes",
        ),
        ("mysql://h/db?schemas=a", "only for PostgreSQL"),
        ("mariadb://h/db?Schemas=a", "only for PostgreSQL"),
        ("sqlite://a.db?schemas=main", "only for PostgreSQL"),
    ] {
        let msg = err(url);
        assert!(msg.contains(want), "{url}: {msg}");
    }
    // 63 bytes is PostgreSQL's limit, and fine.
    assert!(
        SourceUrl::parse(
            &format!("postgres://h/db?schemas={}", "s".repeat(63)),
            dir.path(),
            &[]
        )
        .is_ok()
    );
}

#[tokio::test]
async fn mysql_views_of_the_url_database_only() {
    let db = TempDb::create(Server::Mysql).await;
    let other = TempDb::create(Server::Mysql).await;
    other
        .execute("CREATE TABLE elsewhere (id INT PRIMARY KEY); INSERT INTO elsewhere VALUES (1);")
        .await;
    db.execute(&format!(
        "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL);\n\
         CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(10) NOT NULL, \
           amount DECIMAL(10,2), FOREIGN KEY (customer_id) REFERENCES customers (id)) COMMENT 'Orders';\n\
         CREATE VIEW big_orders AS SELECT o.id, o.status, o.amount FROM orders o WHERE o.amount > 100;\n\
         CREATE VIEW `odd ``view` AS SELECT e.id FROM `{other}`.elsewhere e;\n\
         INSERT INTO customers VALUES (1, 'Ann');\n\
         INSERT INTO orders VALUES (1, 1, 'open', 50), (2, 1, 'paid', 150), (3, 1, 'void', 120);",
        other = other.name
    ))
    .await;
    let source = open_network(&db).await;
    assert_eq!(
        listing(&source).await.unwrap(),
        vec![
            rel("big_orders", TableKind::View, 3),
            rel("customers", TableKind::Table, 2),
            rel("odd `view", TableKind::View, 1),
            rel("orders", TableKind::Table, 4),
        ]
    );
    let names: Vec<String> = ["big_orders", "customers", "odd `view", "orders"]
        .map(String::from)
        .to_vec();
    let all = table_schemas(&source, &names).await.unwrap();
    let view = schema(&all, "big_orders");
    assert_eq!(
        (view.kind, view.comment.as_deref()),
        (TableKind::View, None)
    );
    let ddl = render_ddl(view, Dialect::Mysql);
    assert!(
        ddl.starts_with("CREATE VIEW `big_orders` (\n  `id`, -- int(11)\n  `status`, -- varchar(10)\n  `amount` -- decimal(10,2)\n) AS\n"),
        "{ddl}"
    );
    assert!(ddl.contains("from `") && ddl.contains("`orders`"), "{ddl}");
    assert!(
        render_ddl(schema(&all, "odd `view"), Dialect::Mysql)
            .starts_with("CREATE VIEW `odd ``view` (\n")
    );
    assert_eq!(schema(&all, "orders").comment.as_deref(), Some("Orders"));
    assert_eq!(
        source
            .distinct_count("big_orders", "status", 21)
            .await
            .unwrap(),
        2
    );
    for name in &names {
        examples_run(&source, name, &all).await;
    }
    assert_eq!(
        source.check_tables(&["elsewhere".into()]).await,
        Err(SourceError::UnknownTables(vec!["elsewhere".into()]))
    );
    source.close().await;

    // A user who may select from the view but not SHOW VIEW gets its columns only.
    let user = unique_db_name().replace("dt_src", "dt_ro");
    db.execute(&format!(
        "CREATE USER '{user}'@'%';\nGRANT SELECT ON `{db}`.`big_orders` TO '{user}'@'%';",
        db = db.name
    ))
    .await;
    let as_user = db.url.replacen("root@", &format!("{user}@"), 1);
    assert_ne!(as_user, db.url);
    let source = open_url(&as_user).await;
    assert_eq!(
        listing(&source).await.unwrap(),
        vec![rel("big_orders", TableKind::View, 3)]
    );
    let view = source.table_schema("big_orders").await.unwrap();
    assert_eq!(view.definition, None);
    let ddl = render_ddl(&view, Dialect::Mysql);
    assert!(
        ddl.starts_with("-- (the view's query is not readable by the source's user)\nCREATE VIEW `big_orders` (\n"),
        "{ddl}"
    );
    assert!(ddl.ends_with("\n);"), "{ddl}");
    source.close().await;
    db.execute(&format!("DROP USER '{user}'@'%'")).await;
    other.cleanup().await;
    db.cleanup().await;
}

#[tokio::test]
async fn sqlite_views() {
    use sqlx::{Connection, Executor};
    let dir = tempfile::tempdir().unwrap();
    let file = chinook_sqlite_copy(dir.path());
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    c.execute(
        "CREATE VIEW IF NOT EXISTS \"Long Tracks\" (\"TrackId\", \"Title\", \"Ms\") AS \
           SELECT TrackId, Name, Milliseconds FROM Track WHERE Milliseconds > 300000; \
         CREATE TABLE \"a.b\" (x INTEGER); INSERT INTO \"a.b\" VALUES (1), (1), (2);",
    )
    .await
    .unwrap();
    c.close().await.unwrap();
    let source = Source::open(
        &parse("sqlite://chinook.sqlite", dir.path()),
        &SourcePolicy::default(),
    )
    .await
    .unwrap();
    let got = listing(&source).await.unwrap();
    assert!(
        got.contains(&rel("Long Tracks", TableKind::View, 3)),
        "{got:?}"
    );
    assert!(got.contains(&rel("a.b", TableKind::Table, 1)), "{got:?}");
    assert!(got.contains(&rel("Track", TableKind::Table, 9)), "{got:?}");
    let names: Vec<String> = got.iter().map(|r| r.0.clone()).collect();
    let all = table_schemas(&source, &names).await.unwrap();
    let view = schema(&all, "Long Tracks");
    assert_eq!(view.kind, TableKind::View);
    assert_eq!(
        render_ddl(view, Dialect::Sqlite),
        "CREATE VIEW \"Long Tracks\" (\n  \"TrackId\", -- INTEGER\n  \"Title\", -- NVARCHAR(200)\n  \
         \"Ms\" -- INTEGER\n) AS\nSELECT TrackId, Name, Milliseconds FROM Track WHERE Milliseconds > 300000;"
    );
    // In SQLite a dot is part of the name.
    assert_eq!(source.distinct_count("a.b", "x", 21).await.unwrap(), 2);
    assert!(
        render_ddl(schema(&all, "a.b"), Dialect::Sqlite).starts_with("CREATE TABLE \"a.b\" (\n")
    );
    examples_run(&source, "Long Tracks", &all).await;
    examples_run(&source, "a.b", &all).await;
    source.close().await;
}
