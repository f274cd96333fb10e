//! Who may reach what: every dataset route needs a session, and another
//! user's dataset is 404 on every route, as if it did not exist.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::app::{Client, Meta};
use crate::common::rest::{app, assert_error, dataset_routes, get_dataset, raw, train};

on_both!(
    every_route_needs_a_session,
    other_users_datasets_are_404_everywhere,
);

async fn every_route_needs_a_session(meta: Meta) {
    let app = app(meta).await;
    let owner = app.user("alice").await;
    let id = owner.chinook("chinook").await;
    let anonymous = app.client();
    let mut routes = dataset_routes(&id.to_string(), "1");
    routes.push((Method::GET, "/api/datasets".into(), None));
    routes.push((
        Method::POST,
        "/api/datasets".into(),
        Some(json!({"name": "x", "source_url": "sqlite://chinook.sqlite"})),
    ));
    routes.push((Method::GET, "/api/auth/me".into(), None));
    for (method, path, body) in &routes {
        let got = anonymous.request(method.clone(), path, body.clone()).await;
        assert_error(&got, StatusCode::UNAUTHORIZED, &format!("{method} {path}"));
        // A forged cookie is no better.
        let forged = raw(
            &reqwest::Client::new(),
            method.clone(),
            format!("{}{path}", app.base),
            body.as_ref()
                .map(|b| ("application/json", serde_json::to_vec(b).unwrap())),
            Some("datatrain_session=AAAAAAAAAAAAAAAAAAAAAA.forged"),
        )
        .await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Nothing happened to the dataset.
    let d = get_dataset(&owner, id).await;
    assert_eq!(d["name"], "chinook");
    assert_eq!(d["status"], "pending");
    let (_, list) = owner.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn other_users_datasets_are_404_everywhere(meta: Meta) {
    let app = app(meta).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let id = alice.chinook("chinook").await;
    let (s, doc) = alice
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "Glossary", "content": "An invoice is a sale."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    let doc_id = doc["id"].as_i64().unwrap();
    train(&alice, id, &["Track", "Album"]).await;

    let snapshot = |c: Client| async move {
        let mut out = Vec::new();
        for path in [
            format!("/api/datasets/{id}"),
            format!("/api/datasets/{id}/docs"),
            format!("/api/datasets/{id}/training/progress"),
            format!("/api/datasets/{id}/training/logs?limit=500"),
            format!("/api/datasets/{id}/training/runs"),
            format!("/api/datasets/{id}/search?q=album%20tracks&k=50"),
            "/api/datasets".to_string(),
        ] {
            let (s, b) = c.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {b}");
            out.push(b);
        }
        out
    };
    let before = snapshot(alice.clone()).await;

    let (s, list) = bob.get("/api/datasets").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list, json!([]));
    for (method, path, body) in dataset_routes(&id.to_string(), &doc_id.to_string()) {
        let got = bob.request(method.clone(), &path, body).await;
        let detail = assert_error(&got, StatusCode::NOT_FOUND, &format!("bob {method} {path}"));
        assert!(!detail.contains("chinook"), "{detail}");
    }
    // Bob's own dataset cannot reach Alice's document either.
    let bobs = bob.chinook("bobs").await;
    let got = bob
        .delete(&format!("/api/datasets/{bobs}/docs/{doc_id}"))
        .await;
    assert_error(
        &got,
        StatusCode::NOT_FOUND,
        "bob deletes alice's doc via his dataset",
    );

    let after = snapshot(alice.clone()).await;
    assert_eq!(before, after, "alice's data changed");
    app.stop().await;
}
