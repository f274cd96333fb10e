//! Searching a trained dataset: the query rules and what an answer holds.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::Meta;
use crate::common::rest::{app, assert_error, assert_keys, train};

on_both!(search_rules,);

async fn search_rules(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let search = |q: &str| format!("/api/datasets/{id}/search?{q}");
    // Untrained: nothing found, no error.
    let (s, b) = c.get(&search("q=tracks")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"items": [], "tables": []}));

    train(&c, id, &["Track", "Album", "Artist"]).await;
    let (s, b) = c
        .get(&search("q=How%20many%20tracks%20are%20there%3F"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_keys(&b, &["items", "tables"], "search");
    assert_eq!(b["tables"][0], "Track", "{b}");
    let items = b["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 10, "default k is 10");
    for item in items {
        assert_keys(
            item,
            &["kind", "content", "question", "table_name", "score"],
            "item",
        );
        assert!(["ddl", "documentation", "sql"].contains(&item["kind"].as_str().unwrap()));
        assert!(item["score"].is_number());
    }
    assert!(b["tables"].as_array().unwrap().iter().all(Value::is_string));
    for k in [1, 3, 50] {
        let (s, b) = c.get(&search(&format!("q=album%20artist&k={k}"))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b["items"].as_array().unwrap().len() <= k, "k={k}: {b}");
    }
    for k in ["0", "51", "-1", "abc", "1.5", "", "99999999999999999999"] {
        let got = c.get(&search(&format!("q=album&k={k}"))).await;
        let detail = assert_error(&got, StatusCode::BAD_REQUEST, &format!("k={k}"));
        assert!(detail.starts_with("k "), "k={k}: {detail}");
    }
    app.stop().await;
}
