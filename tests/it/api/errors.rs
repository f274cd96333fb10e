//! Health and what a request can get wrong: unknown routes and methods,
//! malformed ids, bodies over 1 MiB, malformed JSON (the detail names the
//! field), and failed writes that change nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::app::Meta;
use crate::common::rest::{
    PASSWORD, app, assert_detail, assert_error, dataset_routes, get_dataset, raw, runs, start,
};

on_both!(
    health_and_unknown_routes,
    malformed_ids_are_400_or_404,
    bodies_over_1_mib_are_413,
    malformed_json_names_the_field,
    failed_writes_change_nothing,
);

async fn health_and_unknown_routes(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    let (s, b) = c.get("/api/health").await;
    assert_eq!(s, StatusCode::OK);
    let instance = b["instance"]
        .as_str()
        .expect("the instance's name")
        .to_string();
    assert!(!instance.is_empty());
    assert_eq!(
        b,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok", "instance": instance})
    );
    assert_error(
        &c.get("/api/no-such-route").await,
        StatusCode::NOT_FOUND,
        "unknown route",
    );
    // A known route with a method it does not answer is an error too: JSON detail.
    let got = c
        .request(Method::PUT, "/api/datasets", Some(json!({})))
        .await;
    assert_error(&got, StatusCode::METHOD_NOT_ALLOWED, "PUT /api/datasets");
    let got = c.get("/api/auth/login").await;
    assert_error(&got, StatusCode::METHOD_NOT_ALLOWED, "GET /api/auth/login");
    app.stop().await;
}

async fn malformed_ids_are_400_or_404(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let bad = [
        "abc",
        "-1",
        "0",
        "1.5",
        "99999999999999999999",
        "9223372036854775807",
        "%20",
        "1e3",
        "0x10",
    ];
    for b in bad {
        for (method, path, body) in dataset_routes(b, "1") {
            let (s, v) = c.request(method.clone(), &path, body).await;
            assert!(
                s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
                "{method} {path}: {s} {v}"
            );
            assert_detail(&v, &format!("{method} {path}"));
        }
        let path = format!("/api/datasets/{id}/docs/{b}");
        let (s, v) = c.delete(&path).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
            "DELETE {path}: {s} {v}"
        );
        assert_detail(&v, &path);
    }
    assert_eq!(get_dataset(&c, id).await["name"], "chinook");
    app.stop().await;
}

async fn bodies_over_1_mib_are_413(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let big = "a".repeat(1024 * 1024 + 16);
    let cases = [
        (
            Method::POST,
            "/api/auth/signup".to_string(),
            json!({"username": "bigbody", "password": big}),
        ),
        (
            Method::POST,
            "/api/auth/login".to_string(),
            json!({"username": "alice", "password": big}),
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": "big", "source_url": "sqlite://chinook.sqlite", "description": big}),
        ),
        (
            Method::PATCH,
            format!("/api/datasets/{id}"),
            json!({"description": big}),
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/docs"),
            json!({"title": "big", "content": big}),
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training"),
            json!({"table_names": [big]}),
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training/pause"),
            json!({"padding": big}),
        ),
    ];
    for (method, path, body) in cases {
        let got = c.request(method.clone(), &path, Some(body)).await;
        assert_error(
            &got,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("{method} {path}"),
        );
    }
    // Just under the limit is fine (the document itself is then refused for its length, not its size).
    let (s, b) = c
        .post(
            &format!("/api/datasets/{id}/docs"),
            json!({"title": "ok", "content": "b".repeat(100_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Nothing of the refused requests was stored.
    let d = get_dataset(&c, id).await;
    assert_eq!(d["description"], "");
    assert_eq!(d["status"], "pending");
    let (_, docs) = c.get(&format!("/api/datasets/{id}/docs")).await;
    assert_eq!(docs.as_array().unwrap().len(), 1);
    let (_, list) = c.get("/api/datasets").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn malformed_json_names_the_field(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    // Wrong types and missing fields: the detail names the field.
    let cases = [
        (
            Method::POST,
            "/api/auth/signup".to_string(),
            json!({"username": 5, "password": PASSWORD}),
            "username",
        ),
        (
            Method::POST,
            "/api/auth/login".to_string(),
            json!({"username": "alice"}),
            "password",
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": ["x"], "source_url": "sqlite://chinook.sqlite"}),
            "name",
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": "x"}),
            "source_url",
        ),
        (
            Method::POST,
            "/api/datasets".to_string(),
            json!({"name": "x", "source_url": "sqlite://chinook.sqlite", "description": 7}),
            "description",
        ),
        (
            Method::PATCH,
            format!("/api/datasets/{id}"),
            json!({"name": 3}),
            "name",
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/docs"),
            json!({"title": "t", "content": false}),
            "content",
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training"),
            json!({"table_names": "Track"}),
            "table_names",
        ),
        (
            Method::POST,
            format!("/api/datasets/{id}/training"),
            json!({"table_names": ["Track"], "max_items_per_sec": "fast"}),
            "max_items_per_sec",
        ),
    ];
    for (method, path, body, field) in cases {
        let (s, b) = c.request(method.clone(), &path, Some(body)).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {s} {b}"
        );
        let detail = assert_detail(&b, &path);
        assert!(detail.contains(field), "{method} {path}: {detail}");
    }
    // Malformed JSON: 400 with a detail.
    for (method, path) in [
        (Method::POST, "/api/auth/signup".to_string()),
        (Method::POST, "/api/datasets".to_string()),
        (Method::PATCH, format!("/api/datasets/{id}")),
        (Method::POST, format!("/api/datasets/{id}/docs")),
        (Method::POST, format!("/api/datasets/{id}/training")),
    ] {
        let r = raw(
            &c.http,
            method.clone(),
            format!("{}{path}", c.base),
            Some(("application/json", b"{\"name\": \"x\",".to_vec())),
            None,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            r.body
        );
        assert_detail(&r.body, &path);
    }
    // Not JSON at all.
    let r = raw(
        &c.http,
        Method::POST,
        format!("{}/api/datasets", c.base),
        Some(("text/plain", b"name=x".to_vec())),
        None,
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_detail(&r.body, "text/plain body");
    // Nothing changed.
    let d = get_dataset(&c, id).await;
    assert_eq!(d["name"], "chinook");
    assert_eq!(d["status"], "pending");
    assert!(runs(&c, id).await.is_empty());
    app.stop().await;
}

async fn failed_writes_change_nothing(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let a = c.chinook("a").await;
    let b_id = c.chinook("b").await;
    let before = get_dataset(&c, a).await;
    let path = format!("/api/datasets/{a}");
    for (body, want) in [
        (
            json!({"name": "renamed", "source_url": "http://example.com/db"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "renamed", "description": "d".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"description": "new", "name": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"description": "new", "name": "x".repeat(101)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "b", "description": "new"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"name": "renamed", "source_url": "sqlite://../datatrain.db"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let got = c.patch(&path, body.clone()).await;
        assert_error(&got, want, &format!("PATCH {body}"));
        assert_eq!(get_dataset(&c, a).await, before, "after PATCH {body}");
    }
    // Creations that fail leave no dataset behind.
    for (body, want) in [
        (
            json!({"name": "c", "source_url": "ftp://x/y"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "a", "source_url": "sqlite://chinook.sqlite"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"name": "", "source_url": "sqlite://chinook.sqlite"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "c", "source_url": "sqlite://chinook.sqlite", "description": "d".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let got = c.post("/api/datasets", body.clone()).await;
        assert_error(&got, want, &format!("POST {body}"));
    }
    let (_, list) = c.get("/api/datasets").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    // A start refused for its rate (0 = no limit, else at least 0.1) queues nothing.
    for rate in [json!(1e-9), json!(0.05), json!(-1), json!(-0.5)] {
        let (s, b) = c
            .post(
                &format!("/api/datasets/{a}/training"),
                json!({"table_names": ["Track"], "max_items_per_sec": rate}),
            )
            .await;
        assert!(s.is_client_error(), "{s} {b}");
        assert_detail(&b, "bad rate");
    }
    assert_eq!(get_dataset(&c, a).await, before);
    assert!(runs(&c, a).await.is_empty());
    // A document refused for its content is not stored.
    let got = c
        .post(
            &format!("/api/datasets/{a}/docs"),
            json!({"title": "t", "content": "   "}),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "empty doc");
    let (_, docs) = c.get(&format!("/api/datasets/{a}/docs")).await;
    assert_eq!(docs, json!([]));

    // While a run is open the source cannot change, and the rest of the PATCH is not applied.
    start(
        &c,
        b_id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    let got = c
        .patch(
            &format!("/api/datasets/{b_id}"),
            json!({"name": "renamed", "description": "new", "source_url": "sqlite://chinook.sqlite"}),
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "PATCH source while training");
    let b_after = get_dataset(&c, b_id).await;
    assert_eq!(b_after["name"], "b");
    assert_eq!(b_after["description"], "");
    let (s, m) = c
        .post_empty(&format!("/api/datasets/{b_id}/training/cancel"))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    app.stop().await;
}
