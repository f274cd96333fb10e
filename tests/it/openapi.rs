//! `GET /api/openapi.json`: an OpenAPI 3.1 document with every route of the
//! router, its security schemes and error responses.
//!
//! The router's routes are read from `src/server/rest/` (every `.route("/api…", …)`
//! but the catch-alls) and from the live router (the `Allow` header of a 405), so
//! a route added without documentation fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::app::{Meta, spawn_app};

/// `(path, methods)` of every `.route("/api…", …)` in the files under `dir`,
/// but the catch-alls (`any(…)`), which answer 404 in the API's format.
fn routes_in_source(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![dir.to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices(".route(") {
            let args = call_args(&text[at + ".route(".len()..]);
            let Some(route) = args
                .trim_start()
                .strip_prefix('"')
                .and_then(|a| a.split('"').next())
            else {
                continue;
            };
            if !route.starts_with("/api") || args.contains("any(") {
                continue;
            }
            let methods = routes.entry(route.to_string()).or_default();
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = args.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !args[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
                });
                if called {
                    methods.insert(method.to_string());
                }
            }
            assert!(
                !methods.is_empty(),
                "no method found for {route} in {}",
                path.display()
            );
        }
    }
    routes
}

/// The text of a call's arguments, up to its closing parenthesis.
fn call_args(after_open: &str) -> &str {
    let mut depth = 1;
    for (i, c) in after_open.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &after_open[..i];
                }
            }
            _ => {}
        }
    }
    after_open
}

/// Every `$ref` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_covers_every_route() {
    let app = spawn_app(Meta::Sqlite).await;
    let c = app.client();
    let res = c
        .http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc: Value = res.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    // Both security schemes.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["type"], "apiKey", "{schemes}");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "datatrain_session");
    assert_eq!(schemes["token"]["type"], "http", "{schemes}");
    assert_eq!(schemes["token"]["scheme"], "bearer");

    // The error body.
    let error = &doc["components"]["schemas"]["ApiError"];
    assert_eq!(error["required"], serde_json::json!(["detail"]), "{error}");
    assert_eq!(error["properties"]["detail"]["type"], "string");

    // The document's operations.
    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeMap<String, BTreeSet<String>> = paths
        .iter()
        .map(|(p, item)| {
            let methods = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(String::from)
                .collect();
            (p.clone(), methods)
        })
        .collect();

    // Every route of the router, from the source...
    let source = routes_in_source(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/rest"));
    assert!(source.len() >= 20, "{source:?}");
    for (route, methods) in &source {
        let Some(doc_methods) = documented.get(route) else {
            panic!(
                "{route} is routed but not in /api/openapi.json: document its handler (#[utoipa::path]) and add it to paths(...) of ApiDoc in src/server/rest/openapi.rs"
            );
        };
        for m in methods {
            assert!(
                doc_methods.contains(m),
                "{} {route} is routed but not in /api/openapi.json",
                m.to_uppercase()
            );
        }
    }
    // ... and from the live router: each documented path answers exactly the
    // documented methods (the `Allow` header of a 405).
    for (route, methods) in &documented {
        // Every `{…}` of a path is an id: fill each with 1.
        let concrete = route
            .split('/')
            .map(|part| if part.starts_with('{') { "1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        assert!(!concrete.contains('{'), "a path parameter to fill: {route}");
        let res = c
            .http
            .request(Method::TRACE, format!("{}{concrete}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{route} is documented but not routed"
        );
        let allow: BTreeSet<String> = res.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| m != "head")
            .collect();
        assert_eq!(
            &allow, methods,
            "{route}: routed methods vs documented ones"
        );
    }

    // Every operation: an id, a success response, errors as `ApiError`, and
    // security unless it is public.
    let public = [
        "/api/health",
        "/api/openapi.json",
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/logout",
    ];
    for (route, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {route}");
            assert!(op["operationId"].is_string(), "{what}");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{what}: no success response"
            );
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let target = r["$ref"]
                        .as_str()
                        .map(|r| &doc["components"]["responses"][r.rsplit('/').next().unwrap()]);
                    let body = &target.unwrap_or(r)["content"]["application/json"]["schema"];
                    let schema_ref = body["$ref"].as_str().unwrap_or_default();
                    // Dify's endpoint answers in Dify's error format (its own schema).
                    let dify = route == "/api/dify/retrieval"
                        && schema_ref == "#/components/schemas/DifyErrorBody";
                    assert!(
                        schema_ref == "#/components/schemas/ApiError"
                            || route == "/api/health"
                            || dify,
                        "{what} {status}: {r}"
                    );
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert_eq!(
                secured,
                !public.contains(&route.as_str()),
                "{what}: security {}",
                op["security"]
            );
        }
    }

    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let pointer = r.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    app.stop().await;
}
