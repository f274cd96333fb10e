//! [`candidates`] on a Chinook-like schema, a hostile one and the real Chinook
//! file, in every dialect; the type and name rules the kinds rely on.

use super::columns::{is_date, is_id_like, is_numeric, is_text};
use super::names::{humanize, humanize_plural};
use super::*;
use crate::server::sources::{ColumnSchema, ForeignKey, TableKind};

fn col(name: &str, data_type: &str) -> ColumnSchema {
    ColumnSchema {
        name: name.to_string(),
        data_type: data_type.to_string(),
        not_null: false,
        default: None,
        comment: None,
    }
}

fn fk(columns: &[&str], ref_table: &str, ref_columns: &[&str]) -> ForeignKey {
    ForeignKey {
        columns: columns.iter().map(|s| s.to_string()).collect(),
        ref_table: ref_table.to_string(),
        ref_columns: ref_columns.iter().map(|s| s.to_string()).collect(),
    }
}

fn table(name: &str, columns: Vec<ColumnSchema>, pk: &[&str], fks: Vec<ForeignKey>) -> TableSchema {
    TableSchema {
        name: name.to_string(),
        kind: TableKind::Table,
        definition: None,
        comment: None,
        columns,
        primary_key: pk.iter().map(|s| s.to_string()).collect(),
        foreign_keys: fks,
    }
}

fn schema() -> Vec<TableSchema> {
    vec![
        table(
            "Album",
            vec![
                col("AlbumId", "INTEGER"),
                col("Title", "NVARCHAR(160)"),
                col("ArtistId", "INTEGER"),
            ],
            &["AlbumId"],
            vec![fk(&["ArtistId"], "Artist", &["ArtistId"])],
        ),
        table(
            "Genre",
            vec![col("GenreId", "INTEGER"), col("Name", "NVARCHAR(120)")],
            &["GenreId"],
            vec![],
        ),
        table(
            "MediaType",
            vec![col("MediaTypeId", "INTEGER"), col("Name", "NVARCHAR(120)")],
            &["MediaTypeId"],
            vec![],
        ),
        table(
            "Track",
            vec![
                col("TrackId", "INTEGER"),
                col("Name", "NVARCHAR(200)"),
                col("AlbumId", "INTEGER"),
                col("MediaTypeId", "INTEGER"),
                col("GenreId", "INTEGER"),
                col("Composer", "NVARCHAR(220)"),
                col("Milliseconds", "INTEGER"),
                col("Bytes", "INTEGER"),
                col("UnitPrice", "NUMERIC(10,2)"),
            ],
            &["TrackId"],
            vec![
                fk(&["AlbumId"], "Album", &["AlbumId"]),
                fk(&["GenreId"], "Genre", &["GenreId"]),
                fk(&["MediaTypeId"], "MediaType", &["MediaTypeId"]),
            ],
        ),
        table(
            "Invoice",
            vec![
                col("InvoiceId", "INTEGER"),
                col("CustomerId", "INTEGER"),
                col("InvoiceDate", "DATETIME"),
                col("BillingCountry", "NVARCHAR(40)"),
                col("Total", "NUMERIC(10,2)"),
            ],
            &["InvoiceId"],
            vec![fk(&["CustomerId"], "Customer", &["CustomerId"])],
        ),
        table(
            "Customer",
            vec![
                col("CustomerId", "INTEGER"),
                col("FirstName", "NVARCHAR(40)"),
                col("LastName", "NVARCHAR(20)"),
            ],
            &["CustomerId"],
            vec![],
        ),
        table(
            "Order \"Line\" Item",
            vec![
                col("order_id", "integer"),
                col("line_no", "integer"),
                col("track_id", "integer"),
                col("unit price", "double precision"),
                col("shipped_at", "timestamp with time zone"),
                col("ship_time", "time without time zone"),
                col("status", "character varying(20)"),
                col("2nd-note", "text"),
                col("备注", "text"),
            ],
            &["order_id", "line_no"],
            vec![fk(&["track_id"], "Track", &[])],
        ),
    ]
}

fn get<'a>(tables: &'a [TableSchema], name: &str) -> &'a TableSchema {
    tables.iter().find(|t| t.name == name).unwrap()
}

#[test]
fn track_candidates_in_order_sqlite() {
    let all = schema();
    let c = candidates(get(&all, "Track"), &all, Dialect::Sqlite);
    let sql: Vec<&str> = c.iter().map(|c| c.sql.as_str()).collect();
    assert_eq!(
        sql,
        vec![
            r#"SELECT COUNT(*) AS row_count FROM "Track""#,
            r#"SELECT p."AlbumId", p."Title", COUNT(*) AS track_count FROM "Album" AS p JOIN "Track" AS c ON c."AlbumId" = p."AlbumId" GROUP BY p."AlbumId", p."Title" ORDER BY track_count DESC, p."AlbumId", p."Title""#,
            r#"SELECT p."GenreId", p."Name", COUNT(*) AS track_count FROM "Genre" AS p JOIN "Track" AS c ON c."GenreId" = p."GenreId" GROUP BY p."GenreId", p."Name" ORDER BY track_count DESC, p."GenreId", p."Name""#,
            r#"SELECT p."MediaTypeId", p."Name", COUNT(*) AS track_count FROM "MediaType" AS p JOIN "Track" AS c ON c."MediaTypeId" = p."MediaTypeId" GROUP BY p."MediaTypeId", p."Name" ORDER BY track_count DESC, p."MediaTypeId", p."Name""#,
            r#"SELECT MIN("Milliseconds") AS min_milliseconds, MAX("Milliseconds") AS max_milliseconds, AVG("Milliseconds") AS avg_milliseconds FROM "Track""#,
            r#"SELECT MIN("Bytes") AS min_bytes, MAX("Bytes") AS max_bytes, AVG("Bytes") AS avg_bytes FROM "Track""#,
            r#"SELECT MIN("UnitPrice") AS min_unit_price, MAX("UnitPrice") AS max_unit_price, AVG("UnitPrice") AS avg_unit_price FROM "Track""#,
            r#"SELECT "Name", COUNT(*) AS n FROM "Track" GROUP BY "Name" ORDER BY n DESC, "Name""#,
            r#"SELECT "Composer", COUNT(*) AS n FROM "Track" GROUP BY "Composer" ORDER BY n DESC, "Composer""#,
        ]
    );
    let en: Vec<&str> = c.iter().map(|c| c.question_en.as_str()).collect();
    assert_eq!(
        en,
        vec![
            "How many tracks are there?",
            "How many tracks does each album have?",
            "How many tracks does each genre have?",
            "How many tracks does each media type have?",
            "What are the minimum, maximum and average milliseconds of tracks?",
            "What are the minimum, maximum and average bytes of tracks?",
            "What are the minimum, maximum and average unit price of tracks?",
            "How many tracks are there for each name?",
            "How many tracks are there for each composer?",
        ]
    );
    let zh: Vec<&str> = c.iter().map(|c| c.question_zh.as_str()).collect();
    assert_eq!(zh[0], "Track 表中有多少条记录？");
    assert_eq!(zh[1], "每个 Album 有多少条 Track 记录？");
    assert_eq!(
        zh[4],
        "Track 的 Milliseconds 最小值、最大值和平均值是多少？"
    );
    assert_eq!(zh[7], "按 Name 统计 Track 的记录数");
    let distinct: Vec<Option<&str>> = c.iter().map(|c| c.check_distinct.as_deref()).collect();
    assert_eq!(
        distinct,
        [
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some("Name"),
            Some("Composer")
        ]
    );
    // Ids never get statistics.
    assert!(
        !c.iter()
            .any(|c| c.sql.contains("MIN(\"TrackId\")") || c.sql.contains("MIN(\"AlbumId\")"))
    );
    // Deterministic.
    assert_eq!(candidates(get(&all, "Track"), &all, Dialect::Sqlite), c);
}

#[test]
fn invoice_candidates_all_dialects() {
    let all = schema();
    let inv = get(&all, "Invoice");
    let sqlite = candidates(inv, &all, Dialect::Sqlite);
    let sql: Vec<&str> = sqlite.iter().map(|c| c.sql.as_str()).collect();
    assert_eq!(
        sql,
        vec![
            r#"SELECT COUNT(*) AS row_count FROM "Invoice""#,
            r#"SELECT p."CustomerId", p."FirstName", COUNT(*) AS invoice_count FROM "Customer" AS p JOIN "Invoice" AS c ON c."CustomerId" = p."CustomerId" GROUP BY p."CustomerId", p."FirstName" ORDER BY invoice_count DESC, p."CustomerId", p."FirstName""#,
            r#"SELECT MIN("Total") AS min_total, MAX("Total") AS max_total, AVG("Total") AS avg_total FROM "Invoice""#,
            r#"SELECT "BillingCountry", COUNT(*) AS n FROM "Invoice" GROUP BY "BillingCountry" ORDER BY n DESC, "BillingCountry""#,
            r#"SELECT strftime('%Y', "InvoiceDate") AS invoice_date_year, COUNT(*) AS n FROM "Invoice" GROUP BY strftime('%Y', "InvoiceDate") ORDER BY invoice_date_year"#,
        ]
    );
    assert_eq!(
        sqlite[3].question_en,
        "How many invoices are there for each billing country?"
    );
    assert_eq!(
        sqlite[3].question_zh,
        "按 BillingCountry 统计 Invoice 的记录数"
    );
    assert_eq!(sqlite[3].check_distinct.as_deref(), Some("BillingCountry"));
    assert_eq!(
        sqlite[4].question_en,
        "How many invoices are there per year of invoice date?"
    );
    assert_eq!(
        sqlite[4].question_zh,
        "按 InvoiceDate 的年份统计 Invoice 的记录数"
    );

    let pg = candidates(inv, &all, Dialect::Postgres);
    assert_eq!(
        pg[4].sql,
        r#"SELECT EXTRACT(YEAR FROM "InvoiceDate") AS invoice_date_year, COUNT(*) AS n FROM "Invoice" GROUP BY EXTRACT(YEAR FROM "InvoiceDate") ORDER BY invoice_date_year"#
    );
    // Same questions whatever the dialect.
    let q = |c: &[ExampleCandidate]| c.iter().map(|c| c.question_en.clone()).collect::<Vec<_>>();
    assert_eq!(q(&pg), q(&sqlite));

    let my = candidates(inv, &all, Dialect::Mysql);
    let sql: Vec<&str> = my.iter().map(|c| c.sql.as_str()).collect();
    assert_eq!(
        sql,
        vec![
            "SELECT COUNT(*) AS row_count FROM `Invoice`",
            "SELECT p.`CustomerId`, p.`FirstName`, COUNT(*) AS invoice_count FROM `Customer` AS p JOIN `Invoice` AS c ON c.`CustomerId` = p.`CustomerId` GROUP BY p.`CustomerId`, p.`FirstName` ORDER BY invoice_count DESC, p.`CustomerId`, p.`FirstName`",
            "SELECT MIN(`Total`) AS min_total, MAX(`Total`) AS max_total, AVG(`Total`) AS avg_total FROM `Invoice`",
            "SELECT `BillingCountry`, COUNT(*) AS n FROM `Invoice` GROUP BY `BillingCountry` ORDER BY n DESC, `BillingCountry`",
            "SELECT YEAR(`InvoiceDate`) AS invoice_date_year, COUNT(*) AS n FROM `Invoice` GROUP BY YEAR(`InvoiceDate`) ORDER BY invoice_date_year",
        ]
    );
    assert_eq!(q(&my), q(&sqlite));
}

#[test]
fn hostile_table_name_is_quoted() {
    let all = schema();
    let t = get(&all, "Order \"Line\" Item");
    let sqlite = candidates(t, &all, Dialect::Sqlite);
    let sql: Vec<&str> = sqlite.iter().map(|c| c.sql.as_str()).collect();
    assert_eq!(
        sql,
        vec![
            r#"SELECT COUNT(*) AS row_count FROM "Order ""Line"" Item""#,
            // A key naming no columns joins on the parent's primary key.
            r#"SELECT p."TrackId", p."Name", COUNT(*) AS order_line_item_count FROM "Track" AS p JOIN "Order ""Line"" Item" AS c ON c."track_id" = p."TrackId" GROUP BY p."TrackId", p."Name" ORDER BY order_line_item_count DESC, p."TrackId", p."Name""#,
            r#"SELECT MIN("unit price") AS min_unit_price, MAX("unit price") AS max_unit_price, AVG("unit price") AS avg_unit_price FROM "Order ""Line"" Item""#,
            r#"SELECT "status", COUNT(*) AS n FROM "Order ""Line"" Item" GROUP BY "status" ORDER BY n DESC, "status""#,
            r#"SELECT "2nd-note", COUNT(*) AS n FROM "Order ""Line"" Item" GROUP BY "2nd-note" ORDER BY n DESC, "2nd-note""#,
            r#"SELECT "备注", COUNT(*) AS n FROM "Order ""Line"" Item" GROUP BY "备注" ORDER BY n DESC, "备注""#,
            r#"SELECT strftime('%Y', "shipped_at") AS shipped_at_year, COUNT(*) AS n FROM "Order ""Line"" Item" GROUP BY strftime('%Y', "shipped_at") ORDER BY shipped_at_year"#,
        ]
    );
    assert_eq!(
        sqlite[0].question_en,
        "How many order line items are there?"
    );
    assert_eq!(
        sqlite[0].question_zh,
        "Order \"Line\" Item 表中有多少条记录？"
    );
    assert_eq!(
        sqlite[1].question_en,
        "How many order line items does each track have?"
    );
    assert_eq!(
        sqlite[3].question_en,
        "How many order line items are there for each status?"
    );

    let my = candidates(t, &all, Dialect::Mysql);
    assert_eq!(
        my[0].sql,
        "SELECT COUNT(*) AS row_count FROM `Order \"Line\" Item`"
    );
    assert!(
        my[6]
            .sql
            .starts_with("SELECT YEAR(`shipped_at`) AS shipped_at_year")
    );
    let pg = candidates(t, &all, Dialect::Postgres);
    assert_eq!(pg[0].sql, sqlite[0].sql);
    assert!(
        pg[6]
            .sql
            .starts_with(r#"SELECT EXTRACT(YEAR FROM "shipped_at") AS shipped_at_year"#)
    );

    // Aliases are plain identifiers whatever the names.
    let mysql_hostile = table(
        "we`ird",
        vec![
            col("a`b; DROP", "int"),
            col("数量", "decimal(5,2)"),
            col("9lives", "float"),
        ],
        &[],
        vec![],
    );
    let c = candidates(&mysql_hostile, &[], Dialect::Mysql);
    assert_eq!(c[0].sql, "SELECT COUNT(*) AS row_count FROM `we``ird`");
    assert_eq!(
        c[1].sql,
        "SELECT MIN(`a``b; DROP`) AS min_a_b_drop, MAX(`a``b; DROP`) AS max_a_b_drop, AVG(`a``b; DROP`) AS avg_a_b_drop FROM `we``ird`"
    );
    assert!(c[2].sql.contains("AS min_col2,"), "{}", c[2].sql);
    assert!(c[3].sql.contains("AS min_c_9_lives,"), "{}", c[3].sql);
}

#[test]
fn several_keys_to_one_parent_and_composite_keys() {
    let parent = table(
        "Employee",
        vec![
            col("EmployeeId", "INTEGER"),
            col("Region", "TEXT"),
            col("LastName", "TEXT"),
        ],
        &["EmployeeId", "Region"],
        vec![],
    );
    let child = table(
        "Ticket",
        vec![
            col("OpenedBy", "INTEGER"),
            col("OpenedRegion", "TEXT"),
            col("ClosedBy", "INTEGER"),
        ],
        &[],
        vec![
            fk(
                &["OpenedBy", "OpenedRegion"],
                "Employee",
                &["EmployeeId", "Region"],
            ),
            fk(&["ClosedBy"], "Employee", &["EmployeeId"]),
            fk(&["ClosedBy"], "Nowhere", &[]),
            fk(&["ClosedBy"], "Employee", &["EmployeeId", "Region"]),
        ],
    );
    let all = vec![parent, child.clone()];
    let c = candidates(&child, &all, Dialect::Postgres);
    assert_eq!(c.len(), 3, "{c:#?}"); // row count, two usable keys; no stats on keys
    assert_eq!(
        c[1].sql,
        r#"SELECT p."EmployeeId", p."Region", p."LastName", COUNT(*) AS ticket_count FROM "Employee" AS p JOIN "Ticket" AS c ON c."OpenedBy" = p."EmployeeId" AND c."OpenedRegion" = p."Region" GROUP BY p."EmployeeId", p."Region", p."LastName" ORDER BY ticket_count DESC, p."EmployeeId", p."Region", p."LastName""#
    );
    assert_eq!(
        c[1].question_en,
        "How many tickets does each employee have (by opened by, opened region)?"
    );
    assert_eq!(
        c[2].question_zh,
        "每个 Employee 有多少条 Ticket 记录（按 ClosedBy）？"
    );
}

#[test]
fn type_and_name_classification() {
    for t in [
        "INTEGER",
        "int(11) unsigned",
        "bigint",
        "NUMERIC(10,2)",
        "double precision",
        "REAL",
        "money",
        "NUMBER(8)",
        "Float8",
    ] {
        assert!(is_numeric(t), "{t}");
    }
    for t in ["interval", "point", "TEXT", "date", "boolean", ""] {
        assert!(!is_numeric(t), "{t}");
    }
    for t in [
        "NVARCHAR(40)",
        "character varying(120)",
        "text",
        "CHAR(2)",
        "CLOB",
        "String",
        "bpchar",
    ] {
        assert!(is_text(t), "{t}");
    }
    for t in [
        "DATETIME",
        "date",
        "timestamp with time zone",
        "timestamp(6) without time zone",
        "TIMESTAMPTZ",
    ] {
        assert!(is_date(t), "{t}");
    }
    for t in ["time", "time with time zone", "interval", "text"] {
        assert!(!is_date(t), "{t}");
    }
    for n in [
        "id",
        "ID",
        "customer_id",
        "AlbumId",
        "CustomerID",
        "track2Id",
        "CUSTOMER_ID",
    ] {
        assert!(is_id_like(n), "{n}");
    }
    for n in ["paid", "Void", "Paid", "Width", "idle", "Total"] {
        assert!(!is_id_like(n), "{n}");
    }
    assert_eq!(humanize_plural("InvoiceLine"), "invoice lines");
    assert_eq!(humanize_plural("Category"), "categories");
    assert_eq!(humanize_plural("Address"), "addresses");
    assert_eq!(humanize_plural("Customers"), "customers");
    assert_eq!(humanize_plural("day"), "days");
    assert_eq!(humanize_plural("status"), "statuses");
    assert_eq!(humanize_plural("订单"), "订单");
    assert_eq!(humanize("unit_price"), "unit price");
}

/// Builds a table's schema from SQLite's catalog.
async fn sqlite_schema(pool: &sqlx::SqlitePool, name: &str) -> TableSchema {
    use sqlx::Row;
    let rows =
        sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(name)
            .fetch_all(pool)
            .await
            .unwrap();
    let mut pk: Vec<(i64, String)> = Vec::new();
    let mut columns = Vec::new();
    for r in rows {
        let col_name: String = r.get(0);
        let position: i64 = r.get(3);
        if position > 0 {
            pk.push((position, col_name.clone()));
        }
        columns.push(ColumnSchema {
            name: col_name,
            data_type: r.get(1),
            not_null: r.get::<i64, _>(2) != 0,
            default: None,
            comment: None,
        });
    }
    pk.sort();
    let rows = sqlx::query(
        "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut fks: Vec<(i64, ForeignKey)> = Vec::new();
    for r in rows {
        let id: i64 = r.get(0);
        let to: Option<String> = r.get(3);
        if fks.last().is_none_or(|(last, _)| *last != id) {
            fks.push((
                id,
                ForeignKey {
                    columns: vec![],
                    ref_table: r.get(1),
                    ref_columns: vec![],
                },
            ));
        }
        let fk = &mut fks.last_mut().unwrap().1;
        fk.columns.push(r.get(2));
        if let Some(to) = to {
            fk.ref_columns.push(to);
        }
    }
    TableSchema {
        name: name.to_string(),
        kind: TableKind::Table,
        definition: None,
        comment: None,
        columns,
        primary_key: pk.into_iter().map(|(_, c)| c).collect(),
        foreign_keys: fks.into_iter().map(|(_, f)| f).collect(),
    }
}

#[tokio::test]
async fn candidates_run_on_chinook() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sources/chinook.sqlite"
    );
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut all = Vec::new();
    for n in &names {
        all.push(sqlite_schema(&pool, n).await);
    }
    for name in ["Track", "Invoice", "Customer"] {
        let t = all.iter().find(|t| t.name == name).unwrap();
        let c = candidates(t, &all, Dialect::Sqlite);
        assert!(c.len() >= 3, "{name}: {c:#?}");
        for cand in &c {
            let rows = sqlx::query(&cand.sql)
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", cand.sql));
            assert!(!rows.is_empty(), "{}", cand.sql);
            if let Some(col) = &cand.check_distinct {
                let sql = format!(
                    "SELECT COUNT(DISTINCT {}) FROM {}",
                    Dialect::Sqlite.quote(col),
                    Dialect::Sqlite.quote(name)
                );
                let n: i64 = sqlx::query_scalar(&sql).fetch_one(&pool).await.unwrap();
                assert!(n > 0, "{sql}");
            }
        }
    }
    // The Chinook shape yields the expected kinds of candidates.
    let track = candidates(
        all.iter().find(|t| t.name == "Track").unwrap(),
        &all,
        Dialect::Sqlite,
    );
    // (SQLite lists foreign keys last-declared first, so find the Album one.)
    assert!(
        track
            .iter()
            .any(|c| c.sql.contains(r#"FROM "Album" AS p"#) && c.sql.contains(r#"p."Title""#)),
        "{track:#?}"
    );
    let invoice = candidates(
        all.iter().find(|t| t.name == "Invoice").unwrap(),
        &all,
        Dialect::Sqlite,
    );
    let year = invoice.iter().find(|c| c.sql.contains("strftime")).unwrap();
    let years: Vec<(Option<String>, i64)> =
        sqlx::query_as(&year.sql).fetch_all(&pool).await.unwrap();
    assert!(
        years.len() >= 4
            && years
                .iter()
                .all(|(y, _)| y.as_ref().is_some_and(|y| y.len() == 4)),
        "{years:?}"
    );
    pool.close().await;
}
