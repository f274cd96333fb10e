//! Curating the training data over HTTP: the live items (list, filter, page,
//! delete → excluded from later trainings until the exclusion is removed),
//! curated examples (checked on the source, indexed first by stage 4), and the
//! Vanna-shaped export and import.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::common::app::{Client, Meta};
use crate::common::rest::{app, assert_error, assert_int_id, assert_keys, assert_ts, train};

on_both!(
    items_are_listed_filtered_and_paged,
    deleted_items_stay_out_until_the_exclusion_goes,
    curated_examples_are_checked_and_indexed_first,
    export_and_import_round_trip,
);

const TABLES: [&str; 3] = ["Artist", "Album", "Track"];
const ITEM_KEYS: [&str; 5] = ["id", "kind", "table_name", "question", "content"];

async fn items(c: &Client, id: i64, query: &str) -> Vec<Value> {
    let (s, b) = c.get(&format!("/api/datasets/{id}/items?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {b}");
    b.as_array().expect("items array").clone()
}

async fn search(c: &Client, id: i64, q: &str) -> Value {
    let (s, b) = c
        .get(&format!("/api/datasets/{id}/search?q={q}&k=50"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

/// POSTs `body` and expects 201; the answer.
async fn created(c: &Client, path: &str, body: Value) -> Value {
    let (s, b) = c.post(path, body).await;
    assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    b
}

async fn post_body(
    c: &Client,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let res = c
        .http
        .post(format!("{}{}", c.base, path))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn items_are_listed_filtered_and_paged(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    assert_eq!(
        items(&c, id, "").await,
        Vec::<Value>::new(),
        "before training"
    );
    created(
        &c,
        &format!("/api/datasets/{id}/docs"),
        json!({"title": "Glossary", "content": "An album holds tracks of one artist."}),
    )
    .await;
    train(&c, id, &TABLES).await;

    let all = items(&c, id, "limit=500").await;
    assert!(all.len() > 5, "{all:?}");
    for item in &all {
        assert_keys(item, &ITEM_KEYS, "item");
        assert_int_id(&item["id"], "item id");
    }
    let ids: Vec<i64> = all.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {ids:?}");
    assert_eq!(items(&c, id, "").await.len(), all.len().min(50));

    let ddl = items(&c, id, "kind=ddl").await;
    let mut ddl_tables: Vec<&str> = ddl
        .iter()
        .map(|i| i["table_name"].as_str().unwrap())
        .collect();
    ddl_tables.sort();
    assert_eq!(ddl_tables, ["Album", "Artist", "Track"]);
    assert!(
        ddl.iter()
            .all(|i| i["kind"] == "ddl" && i["question"].is_null())
    );
    let docs = items(&c, id, "kind=documentation").await;
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert!(
        docs[0]["content"]
            .as_str()
            .unwrap()
            .contains("An album holds tracks")
    );
    let sql = items(&c, id, "kind=sql&limit=500").await;
    assert!(
        !sql.is_empty()
            && sql
                .iter()
                .all(|i| i["kind"] == "sql" && i["question"].is_string())
    );
    assert_eq!(ddl.len() + docs.len() + sql.len(), all.len());

    // q: a case-insensitive substring of the table name, question or content.
    let found = items(&c, id, "q=ALBUM&limit=500").await;
    assert!(!found.is_empty() && found.len() < all.len(), "{found:?}");
    for i in &found {
        let text = format!("{} {} {}", i["table_name"], i["question"], i["content"]).to_lowercase();
        assert!(text.contains("album"), "{i}");
    }
    let both = items(&c, id, "q=album&kind=ddl").await;
    assert!(both.iter().any(|i| i["table_name"] == "Album"), "{both:?}");
    assert!(both.iter().all(|i| i["kind"] == "ddl"));
    assert_eq!(
        items(&c, id, "q=%25_no such text_%25").await,
        Vec::<Value>::new()
    );

    // Paging.
    let first = items(&c, id, "limit=2").await;
    let second = items(&c, id, "limit=2&offset=2").await;
    assert_eq!(first, all[0..2].to_vec());
    assert_eq!(second, all[2..4].to_vec());
    assert_eq!(
        items(&c, id, &format!("offset={}", all.len())).await,
        Vec::<Value>::new()
    );

    // Bad parameters.
    for (query, status) in [
        ("kind=chart", StatusCode::UNPROCESSABLE_ENTITY),
        ("limit=0", StatusCode::BAD_REQUEST),
        ("limit=501", StatusCode::BAD_REQUEST),
        ("limit=abc", StatusCode::BAD_REQUEST),
        ("offset=-1", StatusCode::BAD_REQUEST),
        ("offset=1.5", StatusCode::BAD_REQUEST),
    ] {
        let got = c.get(&format!("/api/datasets/{id}/items?{query}")).await;
        assert_error(&got, status, query);
    }
    // Another user's dataset does not exist.
    let bob = app.user("bob").await;
    let got = bob.get(&format!("/api/datasets/{id}/items")).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob lists alice's items");
    app.stop().await;
}

async fn deleted_items_stay_out_until_the_exclusion_goes(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    train(&c, id, &TABLES).await;
    let track_ddl = |list: &[Value]| {
        list.iter()
            .find(|i| i["kind"] == "ddl" && i["table_name"] == "Track")
            .cloned()
    };
    let before = items(&c, id, "kind=ddl").await;
    let item = track_ddl(&before).expect("Track's DDL");
    let content = item["content"].as_str().unwrap().to_string();
    let found_in_search = |b: &Value| {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["content"] == content.as_str())
    };
    assert!(found_in_search(&search(&c, id, "tracks").await));

    // Someone else cannot delete it.
    let bob = app.user("bob").await;
    let item_path = format!("/api/datasets/{id}/items/{}", item["id"]);
    let got = bob.delete(&item_path).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob deletes alice's item");

    let (s, b) = c.delete(&item_path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let got = c.delete(&item_path).await;
    assert_error(&got, StatusCode::NOT_FOUND, "deleted twice");
    let got = c.delete(&format!("/api/datasets/{id}/items/999999")).await;
    assert_error(&got, StatusCode::NOT_FOUND, "no such item");
    assert!(track_ddl(&items(&c, id, "kind=ddl").await).is_none());
    assert!(
        !found_in_search(&search(&c, id, "tracks").await),
        "gone from search at once"
    );

    let (s, ex) = c.get(&format!("/api/datasets/{id}/exclusions")).await;
    assert_eq!(s, StatusCode::OK, "{ex}");
    let ex = ex.as_array().unwrap().clone();
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_keys(
        &ex[0],
        &[
            "id",
            "kind",
            "table_name",
            "question",
            "content",
            "content_hash",
            "created_at",
        ],
        "exclusion",
    );
    assert_eq!(ex[0]["kind"], "ddl");
    assert_eq!(ex[0]["table_name"], "Track");
    assert_eq!(ex[0]["content"], content.as_str());
    assert_ts(&ex[0]["created_at"], "exclusion created_at");
    let got = bob.get(&format!("/api/datasets/{id}/exclusions")).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob lists alice's exclusions");

    // The next training leaves it out.
    train(&c, id, &TABLES).await;
    let again = items(&c, id, "kind=ddl").await;
    assert_eq!(again.len(), before.len() - 1, "{again:?}");
    assert!(
        track_ddl(&again).is_none(),
        "excluded from the next training"
    );
    assert!(!found_in_search(&search(&c, id, "tracks").await));

    // Removing the exclusion brings it back at the training after.
    let ex_path = format!("/api/datasets/{id}/exclusions/{}", ex[0]["id"]);
    let got = bob.delete(&ex_path).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob removes alice's exclusion");
    let (s, b) = c.delete(&ex_path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let got = c.delete(&ex_path).await;
    assert_error(&got, StatusCode::NOT_FOUND, "removed twice");
    let (_, ex) = c.get(&format!("/api/datasets/{id}/exclusions")).await;
    assert_eq!(ex, json!([]));
    assert!(
        track_ddl(&items(&c, id, "kind=ddl").await).is_none(),
        "not before a training"
    );
    train(&c, id, &TABLES).await;
    let back = track_ddl(&items(&c, id, "kind=ddl").await).expect("back after training");
    assert_eq!(back["content"], content.as_str());
    assert!(found_in_search(&search(&c, id, "tracks").await));
    app.stop().await;
}

async fn curated_examples_are_checked_and_indexed_first(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let examples = format!("/api/datasets/{id}/examples");
    let (s, b) = c.get(&examples).await;
    assert_eq!((s, b), (StatusCode::OK, json!([])));

    let question = "Which tracks last longer than ten minutes?";
    let sql = "SELECT t.Name FROM Track t WHERE t.Milliseconds > 600000 ORDER BY t.Name";
    let e = created(&c, &examples, json!({"question": question, "sql": sql})).await;
    assert_keys(&e, &["id", "question", "sql", "created_at"], "example");
    let e_id = assert_int_id(&e["id"], "example id");
    assert_eq!(
        (e["question"].as_str(), e["sql"].as_str()),
        (Some(question), Some(sql))
    );
    assert_ts(&e["created_at"], "example created_at");

    // SQL the source refuses: 422 with the source's message.
    let got = c
        .post(
            &examples,
            json!({"question": "q", "sql": "SELECT NoSuchColumn FROM Track"}),
        )
        .await;
    let detail = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "bad SQL");
    assert!(detail.contains("NoSuchColumn"), "{detail}");
    let got = c
        .post(
            &examples,
            json!({"question": "q", "sql": "DELETE FROM Track"}),
        )
        .await;
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "a write");
    for body in [
        json!({"question": "", "sql": "SELECT 1"}),
        json!({"question": "q", "sql": "   "}),
        json!({"question": "a\u{0}b", "sql": "SELECT 1"}),
        json!({"question": "a\nb", "sql": "SELECT 1"}),
        json!({"question": "q".repeat(1001), "sql": "SELECT 1"}),
        json!({"question": "q", "sql": format!("SELECT '{}'", "x".repeat(20_000))}),
        json!({"question": "q"}),
    ]
    .into_iter()
    .enumerate()
    {
        let got = c.post(&examples, body.1).await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("bad example {}", body.0),
        );
    }

    // Another user's dataset: 404.
    let bob = app.user("bob").await;
    let got = bob
        .post(&examples, json!({"question": question, "sql": sql}))
        .await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob adds to alice's dataset");
    let got = bob.get(&examples).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob lists alice's examples");
    let got = bob.delete(&format!("{examples}/{e_id}")).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob deletes alice's example");

    // An unreachable source: 502, and the password is not shown.
    let (s, gone) = c
        .post(
            "/api/datasets",
            json!({"name": "gone", "source_url": "postgres://nobody:hunter2pw@127.0.0.1:1/x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{gone}");
    let got = c
        .post(
            &format!("/api/datasets/{}/examples", gone["id"]),
            json!({"question": question, "sql": sql}),
        )
        .await;
    let detail = assert_error(&got, StatusCode::BAD_GATEWAY, "unreachable source");
    assert!(!detail.contains("hunter2pw"), "{detail}");

    let (s, list) = c.get(&examples).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list, json!([e]));

    // Stage 4 indexes it first, and search finds it.
    train(&c, id, &TABLES).await;
    let sql_items = items(&c, id, "kind=sql&limit=500").await;
    assert!(sql_items.len() > 1, "{sql_items:?}");
    let first = &sql_items[0];
    assert_eq!(first["question"], question);
    assert_eq!(first["content"], sql);
    assert_eq!(first["table_name"], "Track");
    let ddl_max = items(&c, id, "kind=ddl")
        .await
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(
        first["id"].as_i64().unwrap() > ddl_max,
        "after the DDL (stage 2)"
    );
    let found = search(&c, id, "tracks%20longer%20than%20ten%20minutes").await;
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["question"] == question),
        "{found}"
    );

    // An example naming no trained table has no table.
    created(
        &c,
        &examples,
        json!({"question": "How many genres?", "sql": "SELECT COUNT(*) FROM Genre"}),
    )
    .await;
    train(&c, id, &TABLES).await;
    let sql_items = items(&c, id, "kind=sql&limit=500").await;
    assert_eq!(sql_items[0]["question"], question);
    assert_eq!(sql_items[1]["question"], "How many genres?");
    assert_eq!(sql_items[1]["table_name"], Value::Null);

    let (s, _) = c.delete(&format!("{examples}/{e_id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let got = c.delete(&format!("{examples}/{e_id}")).await;
    assert_error(&got, StatusCode::NOT_FOUND, "deleted twice");
    train(&c, id, &TABLES).await;
    let sql_items = items(&c, id, "kind=sql&limit=500").await;
    assert!(
        sql_items.iter().all(|i| i["question"] != question),
        "gone after training"
    );
    app.stop().await;
}

async fn export_and_import_round_trip(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let export = format!("/api/datasets/{id}/export");
    let res = c
        .http
        .get(format!("{}{export}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "", "nothing before training");

    created(
        &c,
        &format!("/api/datasets/{id}/docs"),
        json!({"title": "Glossary", "content": "A long track lasts more than ten minutes."}),
    )
    .await;
    created(
        &c,
        &format!("/api/datasets/{id}/examples"),
        json!({"question": "How many artists?", "sql": "SELECT COUNT(*) FROM Artist"}),
    )
    .await;
    train(&c, id, &TABLES).await;

    let res = c
        .http
        .get(format!("{}{export}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/x-ndjson"), "{ct}");
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let all = items(&c, id, "limit=500").await;
    assert_eq!(lines.len(), all.len());
    for (line, item) in lines.iter().zip(&all) {
        assert_keys(
            line,
            &[
                "id",
                "training_data_type",
                "question",
                "content",
                "table_name",
            ],
            "export line",
        );
        assert_eq!(line["id"], item["id"].to_string(), "the id, as a string");
        assert_eq!(line["training_data_type"], item["kind"]);
        assert_eq!(line["content"], item["content"]);
        assert_eq!(line["question"], item["question"]);
        assert_eq!(line["table_name"], item["table_name"]);
    }
    let count = |kind: &str| {
        lines
            .iter()
            .filter(|l| l["training_data_type"] == kind)
            .count() as u64
    };
    let (ddl, documentation, sql) = (count("ddl"), count("documentation"), count("sql"));
    assert!(
        ddl == 3 && documentation == 1 && sql > 1,
        "{ddl} {documentation} {sql}"
    );
    assert!(
        lines.iter().any(|l| l["question"] == "How many artists?"
            && l["content"] == "SELECT COUNT(*) FROM Artist")
    );

    // Import into another dataset: documentation and SQL added, DDL skipped,
    // a garbage line refused with its line number.
    let other = c.chinook("copy").await;
    let import = format!("/api/datasets/{other}/import");
    let mut body = text.clone();
    body.push_str("this is not json\n\n");
    body.push_str(&json!({"training_data_type": "sql", "question": "Broken?", "content": "SELECT Nope FROM Track"}).to_string());
    body.push('\n');
    let garbage_line = lines.len() as u64 + 1;
    let broken_line = lines.len() as u64 + 3;
    let (s, summary) = post_body(&c, &import, "application/x-ndjson", body.into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{summary}");
    assert_keys(&summary, &["added", "skipped", "refused"], "summary");
    assert_eq!(
        summary["added"],
        json!({"documentation": documentation, "sql": sql})
    );
    assert_eq!(summary["skipped"], ddl);
    let refused = summary["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{summary}");
    assert_eq!(refused[0]["line"], garbage_line);
    assert!(refused[0]["detail"].is_string());
    assert_eq!(refused[1]["line"], broken_line);
    assert!(
        refused[1]["detail"].as_str().unwrap().contains("Nope"),
        "{summary}"
    );

    let (_, docs) = c.get(&format!("/api/datasets/{other}/docs")).await;
    assert_eq!(docs.as_array().unwrap().len() as u64, documentation);
    let (_, examples) = c.get(&format!("/api/datasets/{other}/examples")).await;
    let examples = examples.as_array().unwrap().clone();
    assert_eq!(examples.len() as u64, sql);
    assert_eq!(examples[0]["question"], "How many artists?");

    // Trained, the copy holds the same documentation and examples.
    train(&c, other, &TABLES).await;
    // (Generated examples come again after the imported copies of them; those
    // with the same table, question and SQL are stored once.)
    let copied = items(&c, other, "kind=sql&limit=500").await;
    assert!(copied.len() as u64 >= sql, "{copied:?}");
    assert_eq!(copied[0]["question"], "How many artists?");
    let copied_docs = items(&c, other, "kind=documentation").await;
    assert_eq!(
        copied_docs[0]["content"],
        lines
            .iter()
            .find(|l| l["training_data_type"] == "documentation")
            .unwrap()["content"]
    );

    // Refused as a whole: another type, too large a body; other users' datasets.
    let (s, b) = post_body(&c, &import, "text/plain", b"{}".to_vec()).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{b}");
    let (s, b) = post_body(
        &c,
        &format!("/api/datasets/{other}/docs"),
        "application/x-ndjson",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "ndjson only for the import: {b}"
    );
    let (s, b) = post_body(
        &c,
        &import,
        "application/x-ndjson",
        vec![b' '; 1024 * 1024 + 1],
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    let (s, b) = post_body(
        &c,
        &import,
        "application/x-ndjson",
        "{}\n".repeat(10_001).into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "too many lines: {b}");
    let bob = app.user("bob").await;
    let (s, _) = post_body(
        &bob,
        &import,
        "application/x-ndjson",
        text.clone().into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let got = bob.get(&export).await;
    assert_error(&got, StatusCode::NOT_FOUND, "bob exports alice's dataset");
    app.stop().await;
}
