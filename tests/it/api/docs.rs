//! A dataset's documents: add, list and delete.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::app::Meta;
use crate::common::rest::{app, assert_error, assert_int_id, assert_keys, assert_ts};

on_both!(docs_crud,);

async fn docs_crud(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let other = c.chinook("other").await;
    let docs_path = format!("/api/datasets/{id}/docs");
    let (s, b) = c.get(&docs_path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!([]));

    let (s, d1) = c
        .post(
            &docs_path,
            json!({"title": "Glossary", "content": "A track belongs to an album."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d1}");
    assert_keys(&d1, &["id", "title", "content", "created_at"], "doc");
    let d1_id = assert_int_id(&d1["id"], "doc id");
    assert_eq!(d1["title"], "Glossary");
    assert_eq!(d1["content"], "A track belongs to an album.");
    assert_ts(&d1["created_at"], "doc created_at");
    let (s, d2) = c
        .post(
            &docs_path,
            json!({"content": "复购率：一年内购买两次及以上的客户比例。"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d2}");
    assert_eq!(d2["title"], "");

    let (_, list) = c.get(&docs_path).await;
    assert_eq!(list, json!([d1, d2]));

    // A document is reached only through its own dataset.
    assert_error(
        &c.delete(&format!("/api/datasets/{other}/docs/{d1_id}"))
            .await,
        StatusCode::NOT_FOUND,
        "doc through another dataset",
    );
    let (s, b) = c.delete(&format!("{docs_path}/{d1_id}")).await;
    assert!(
        s == StatusCode::NO_CONTENT || s == StatusCode::OK,
        "{s} {b}"
    );
    assert_error(
        &c.delete(&format!("{docs_path}/{d1_id}")).await,
        StatusCode::NOT_FOUND,
        "deleted twice",
    );
    let (_, list) = c.get(&docs_path).await;
    assert_eq!(list, json!([d2]));
    let got = c
        .post(
            &docs_path,
            json!({"title": "t".repeat(201), "content": "x"}),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "long title");
    app.stop().await;
}
