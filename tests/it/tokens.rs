//! API tokens over HTTP: created with a session, shown once, stored hashed,
//! accepted as `Authorization: Bearer` on the dataset routes within their
//! scope, refused at once when revoked.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::{Meta, TestApp, spawn_app};

on_both!(
    tokens_are_shown_once_and_stored_hashed,
    read_tokens_read_and_train_tokens_train,
    tokens_cannot_manage_tokens_and_revoked_tokens_fail_at_once,
    bad_bearer_headers_are_401,
);

async fn store_rows(app: &TestApp, sql: &str) -> Vec<sqlx::any::AnyRow> {
    let pool = app.store_pool().await;
    let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows
}

async fn create(c: &crate::common::app::Client, name: &str, scope: &str) -> Value {
    let (s, b) = c
        .post("/api/tokens", json!({"name": name, "scope": scope}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

async fn tokens_are_shown_once_and_stored_hashed(meta: Meta) {
    use sqlx::Row;
    let app = spawn_app(meta).await;
    let alice = app.user("alice").await;
    let t = create(&alice, "ci script", "read").await;
    let token = t["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("dt_") && token.len() >= 3 + 43, "{token}");
    assert_eq!(t["name"], "ci script");
    assert_eq!(t["scope"], "read");
    assert!(
        t["id"].as_i64().is_some() && t["created_at"].is_string(),
        "{t}"
    );

    let (s, list) = alice.get("/api/tokens").await;
    assert_eq!(s, StatusCode::OK);
    let listed = &list.as_array().unwrap()[0];
    assert_eq!(listed["id"], t["id"]);
    assert!(listed.get("token").is_none(), "{listed}");
    assert!(!list.to_string().contains(&token[3..]));
    assert_eq!(listed["last_used_at"], Value::Null);

    let (s, _) = app.bearer(&token).get("/api/datasets").await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = alice.get("/api/tokens").await;
    assert!(list[0]["last_used_at"].is_string(), "{list}");

    let rows = store_rows(&app, "SELECT token_hash FROM api_tokens").await;
    let stored: String = rows[0].get("token_hash");
    assert_ne!(stored, token);
    assert!(!stored.contains(&token[3..]));

    // Bad requests are refused with a reason.
    for body in [
        json!({"name": "", "scope": "read"}),
        json!({"name": "x", "scope": "admin"}),
        json!({"scope": "read"}),
    ] {
        let (s, b) = alice.post("/api/tokens", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {b}");
        assert!(b["detail"].is_string());
    }
    app.stop().await;
}

async fn read_tokens_read_and_train_tokens_train(meta: Meta) {
    let app = spawn_app(meta).await;
    let alice = app.user("alice").await;
    let id = alice.chinook("chinook").await;
    let bob = app.user("bob").await;
    let bobs = bob.chinook("bobs").await;
    let read = app.bearer(create(&alice, "r", "read").await["token"].as_str().unwrap());
    let train = app.bearer(
        create(&alice, "t", "train").await["token"]
            .as_str()
            .unwrap(),
    );

    for path in [
        "/api/datasets".to_string(),
        format!("/api/datasets/{id}"),
        format!("/api/datasets/{id}/training/progress"),
        format!("/api/datasets/{id}/training/logs"),
        format!("/api/datasets/{id}/training/runs"),
        format!("/api/datasets/{id}/docs"),
        format!("/api/datasets/{id}/search?q=album"),
    ] {
        for c in [&read, &train] {
            let (s, b) = c.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {b}");
        }
    }
    // Another user's dataset does not exist for these tokens.
    let (s, _) = read.get(&format!("/api/datasets/{bobs}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = train
        .post_empty(&format!("/api/datasets/{bobs}/training/pause"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A read token cannot change anything.
    let start = format!("/api/datasets/{id}/training");
    let (s, b) = read.post(&start, json!({"table_names": ["Artist"]})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("train"), "{b}");
    let (s, _) = read
        .post(
            "/api/datasets",
            json!({"name": "x", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = read
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = read.delete(&format!("/api/datasets/{id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = alice
        .get(&format!("/api/datasets/{id}/training/progress"))
        .await;
    assert_eq!((s, p["status"].as_str()), (StatusCode::OK, Some("pending")));

    // A train token trains, and controls the run.
    let (s, b) = train
        .post(&start, json!({"table_names": ["Artist", "Album"]}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    train
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    let (s, b) = train
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "t", "content": "c"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = train.delete(&format!("/api/datasets/{id}/training")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app.stop().await;
}

async fn tokens_cannot_manage_tokens_and_revoked_tokens_fail_at_once(meta: Meta) {
    let app = spawn_app(meta).await;
    let alice = app.user("alice").await;
    let t = create(&alice, "t", "train").await;
    let id = t["id"].as_i64().unwrap();
    let token = app.bearer(t["token"].as_str().unwrap());

    let (s, _) = token
        .post("/api/tokens", json!({"name": "more", "scope": "train"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = token.get("/api/tokens").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = token.delete(&format!("/api/tokens/{id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.client().get("/api/tokens").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Someone else cannot revoke it.
    let bob = app.user("bob").await;
    let (s, _) = bob.delete(&format!("/api/tokens/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = token.get("/api/datasets").await;
    assert_eq!(s, StatusCode::OK);

    let (s, _) = alice.delete(&format!("/api/tokens/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = token.get("/api/datasets").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert!(b["detail"].is_string());
    let (s, list) = alice.get("/api/tokens").await;
    assert_eq!((s, list), (StatusCode::OK, json!([])));
    let (s, _) = alice.delete(&format!("/api/tokens/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn bad_bearer_headers_are_401(meta: Meta) {
    let app = spawn_app(meta).await;
    let alice = app.user("alice").await;
    let real = create(&alice, "t", "read").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = format!("dt_{}", "A".repeat(43));
    for header in [
        "Bearer".to_string(),
        "Basic YWxpY2U6cGFzcw==".to_string(),
        format!("Token {real}"),
        format!("Bearer {forged}"),
        format!("Bearer {}", &real[3..]),
    ] {
        let res = app
            .client()
            .http
            .get(format!("{}/api/datasets", app.base))
            .header("authorization", &header)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header}");
        let body: Value = res.json().await.unwrap();
        assert!(body["detail"].is_string(), "{body}");
    }
    app.stop().await;
}
