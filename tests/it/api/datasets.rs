//! Datasets: create, read, update and delete, source URLs checked by their
//! form only, and source tables read live.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::Meta;
use crate::common::home::Home;
use crate::common::rest::{
    app, assert_error, assert_int_id, assert_keys, assert_ts, get_dataset, login, rate, signup,
};

on_both!(
    datasets_crud,
    source_urls_are_checked_by_form_only,
    tables_are_read_live,
);

async fn datasets_crud(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let bob = app.user("bob").await;
    let (s, d) = c
        .post(
            "/api/datasets",
            json!({"name": "  Chinook  ", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_keys(
        &d,
        &[
            "id",
            "name",
            "description",
            "source_url",
            "table_names",
            "status",
            "process_rate",
            "error_msg",
            "last_train_at",
            "created_at",
            "updated_at",
            "webhook_url",
        ],
        "dataset",
    );
    let id = assert_int_id(&d["id"], "dataset id");
    assert_eq!(d["name"], "Chinook");
    assert_eq!(d["description"], "");
    assert_eq!(d["source_url"], "sqlite://chinook.sqlite");
    assert_eq!(d["table_names"], json!([]));
    assert_eq!(d["status"], "pending");
    assert_eq!(rate(&d), 0.0);
    assert_eq!(d["error_msg"], Value::Null);
    assert_eq!(d["last_train_at"], Value::Null);
    assert_ts(&d["created_at"], "created_at");
    assert_ts(&d["updated_at"], "updated_at");

    let (s, d2) = c
        .post(
            "/api/datasets",
            json!({"name": "second", "source_url": "sqlite://chinook.sqlite", "description": "Music store"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d2}");
    assert_eq!(d2["description"], "Music store");
    let id2 = d2["id"].as_i64().unwrap();
    // Same name for another user is fine.
    bob.chinook("Chinook").await;
    let got = c
        .post(
            "/api/datasets",
            json!({"name": "Chinook", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "duplicate name");

    let (s, list) = c.get("/api/datasets").await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().expect("a JSON array").clone();
    let mut ids: Vec<i64> = list.iter().map(|d| d["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![id, id2]);
    assert_eq!(get_dataset(&c, id).await, d);

    let (s, p) = c
        .patch(
            &format!("/api/datasets/{id}"),
            json!({"name": "Renamed", "description": "Tracks and invoices"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["name"], "Renamed");
    assert_eq!(p["description"], "Tracks and invoices");
    assert_eq!(p["created_at"], d["created_at"]);
    assert_ts(&p["updated_at"], "updated_at");
    assert!(p["updated_at"].as_str() >= d["updated_at"].as_str());
    let (s, p) = c
        .patch(
            &format!("/api/datasets/{id}"),
            json!({"source_url": "postgres://reader:pw@127.0.0.1:1/shop"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["source_url"], "postgres://reader:***@127.0.0.1:1/shop");
    assert_eq!(p["name"], "Renamed");
    assert_eq!(get_dataset(&c, id).await, p);
    let got = c
        .patch(&format!("/api/datasets/{id}"), json!({"name": "second"}))
        .await;
    assert_error(&got, StatusCode::CONFLICT, "rename to a taken name");

    let (s, b) = c.delete(&format!("/api/datasets/{id}")).await;
    assert!(
        s == StatusCode::NO_CONTENT || s == StatusCode::OK,
        "{s} {b}"
    );
    assert_error(
        &c.get(&format!("/api/datasets/{id}")).await,
        StatusCode::NOT_FOUND,
        "deleted dataset",
    );
    assert_error(
        &c.delete(&format!("/api/datasets/{id}")).await,
        StatusCode::NOT_FOUND,
        "deleted twice",
    );
    let (_, list) = c.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = bob.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn source_urls_are_checked_by_form_only(meta: Meta) {
    // With a SQLite metadata store its file lies inside the sources folder here,
    // so that only the "own database" rule keeps it out.
    let home = Home::new(meta, true);
    let run = home.boot(true, false).await;
    let c = run.client();
    signup(&c, "alice").await;
    login(&c, "alice").await;
    let sources = home.sources.canonicalize().unwrap();
    let outside = home.dir.path().join("outside.sqlite");
    std::fs::copy(sources.join("chinook.sqlite"), &outside).unwrap();
    std::fs::create_dir_all(sources.join("sub")).unwrap();
    std::os::unix::fs::symlink(sources.join("chinook.sqlite"), sources.join("alias.db")).unwrap();
    std::os::unix::fs::symlink(&outside, sources.join("escape.db")).unwrap();
    std::os::unix::fs::symlink(home.dir.path(), sources.join("up")).unwrap();
    if meta == Meta::Sqlite {
        std::os::unix::fs::symlink(sources.join("datatrain.db"), sources.join("own.db")).unwrap();
    }

    let abs = format!("sqlite://{}", sources.join("chinook.sqlite").display());
    let accepted = [
        ("sqlite://chinook.sqlite", "sqlite://chinook.sqlite"),
        (abs.as_str(), abs.as_str()),
        (
            "sqlite://sub/../chinook.sqlite",
            "sqlite://sub/../chinook.sqlite",
        ),
        ("sqlite://alias.db", "sqlite://alias.db"),
        (
            "postgres://reader:pw@127.0.0.1:1/shop",
            "postgres://reader:***@127.0.0.1:1/shop",
        ),
        (
            "postgresql://reader@localhost/shop",
            "postgresql://reader@localhost/shop",
        ),
        (
            // A black-hole address: connecting would hang for seconds.
            "mysql://root:pw@10.255.255.1:3306/shop",
            "mysql://root:***@10.255.255.1:3306/shop",
        ),
        (
            "postgres://u:pw@10.255.255.1/db",
            "postgres://u:***@10.255.255.1/db",
        ),
    ];
    let mut first = 0;
    let t0 = Instant::now();
    for (i, (url, shown)) in accepted.iter().enumerate() {
        let (s, b) = c
            .post(
                "/api/datasets",
                json!({"name": format!("ok{i}"), "source_url": url}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{url}: {b}");
        assert_eq!(b["source_url"], *shown, "{url}");
        if i == 0 {
            first = b["id"].as_i64().unwrap();
        }
    }
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "creation must not connect ({:?})",
        t0.elapsed()
    );

    let root = home.dir.path().display().to_string();
    let mut refused = vec![
        String::new(),
        "chinook.sqlite".into(),
        "http://example.com/db".into(),
        "file:///etc/passwd".into(),
        "sqlserver://h/db".into(),
        "sqlite://".into(),
        "sqlite://missing.db".into(),
        "sqlite://sub".into(),
        "sqlite://.".into(),
        "sqlite://../outside.sqlite".into(),
        "sqlite://sub/../../outside.sqlite".into(),
        format!("sqlite://{}", outside.display()),
        "sqlite:///etc/passwd".into(),
        "sqlite://escape.db".into(),
        "sqlite://up/outside.sqlite".into(),
        "sqlite://../datatrain.key".into(),
        "postgres://".into(),
        "postgres:///db".into(),
        "postgres://host".into(),
        "postgres://host/".into(),
        "mysql://host".into(),
    ];
    if meta == Meta::Sqlite {
        refused.push("sqlite://datatrain.db".into());
        refused.push(format!(
            "sqlite://{}",
            sources.join("datatrain.db").display()
        ));
        refused.push("sqlite://own.db".into());
        refused.push("sqlite://sub/../datatrain.db".into());
    }
    for url in &refused {
        let got = c
            .post(
                "/api/datasets",
                json!({"name": "refused", "source_url": url}),
            )
            .await;
        let detail = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, url);
        assert!(
            !detail.contains(&root),
            "{url}: the detail shows a server path: {detail}"
        );
        // PATCH checks the same way.
        let got = c
            .patch(
                &format!("/api/datasets/{first}"),
                json!({"source_url": url}),
            )
            .await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("PATCH {url}"),
        );
    }
    let (_, list) = c.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), accepted.len(), "{list}");
    let (_, d) = c.get(&format!("/api/datasets/{first}")).await;
    assert_eq!(d["source_url"], "sqlite://chinook.sqlite");
    run.stop().await;
    home.cleanup().await;
}

async fn tables_are_read_live(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let (s, tables) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK, "{tables}");
    let tables = tables.as_array().unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    for want in ["Album", "Artist", "Invoice", "InvoiceLine", "Track"] {
        assert!(names.contains(&want), "{names:?}");
    }
    for t in tables {
        assert_keys(t, &["name", "kind", "column_count"], "table");
        assert_eq!(t["kind"], "table", "{t}");
        assert!(t["column_count"].as_i64().unwrap() > 0, "{t}");
    }
    let track = tables.iter().find(|t| t["name"] == "Track").unwrap();
    assert_eq!(track["column_count"], 9);

    // Read live: a table created in the source after the dataset shows up.
    {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::SqliteConnection::connect(&format!(
            "sqlite://{}",
            app.sources_dir.join("chinook.sqlite").display()
        ))
        .await
        .unwrap();
        conn.execute(
            "CREATE TABLE Review (id INTEGER PRIMARY KEY, body TEXT, stars INTEGER); \
             CREATE VIEW Stars AS SELECT stars FROM Review",
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let (s, tables) = c.get(&format!("/api/datasets/{id}/tables")).await;
    assert_eq!(s, StatusCode::OK);
    let review = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Review")
        .cloned();
    assert_eq!(
        review,
        Some(json!({"name": "Review", "kind": "table", "column_count": 3}))
    );
    let view = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Stars")
        .cloned();
    assert_eq!(
        view,
        Some(json!({"name": "Stars", "kind": "view", "column_count": 1}))
    );

    // Unreachable: 502 with a clear detail.
    let (s, d) = c
        .post(
            "/api/datasets",
            json!({"name": "down", "source_url": "postgres://u:secret@127.0.0.1:1/db"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let down = d["id"].as_i64().unwrap();
    let got = c.get(&format!("/api/datasets/{down}/tables")).await;
    let detail = assert_error(&got, StatusCode::BAD_GATEWAY, "unreachable source");
    assert!(detail.contains("connect"), "{detail}");
    assert!(!detail.contains("secret"), "{detail}");

    // A SQLite file that disappeared after creation is unreachable too.
    std::fs::copy(
        app.sources_dir.join("chinook.sqlite"),
        app.sources_dir.join("gone.sqlite"),
    )
    .unwrap();
    let (s, d) = c
        .post(
            "/api/datasets",
            json!({"name": "gone", "source_url": "sqlite://gone.sqlite"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    std::fs::remove_file(app.sources_dir.join("gone.sqlite")).unwrap();
    let got = c.get(&format!("/api/datasets/{}/tables", d["id"])).await;
    assert_error(&got, StatusCode::BAD_GATEWAY, "vanished SQLite file");
    app.stop().await;
}
