//! A run's progress and its log.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::app::Meta;
use crate::common::rest::{
    app, assert_error, assert_int_id, assert_keys, assert_ts, progress, start, train,
};

on_both!(progress_and_logs,);

async fn progress_and_logs(meta: Meta) {
    let app = app(meta).await;
    let c = app.user("alice").await;
    let id = c.chinook("chinook").await;
    let p = progress(&c, id).await;
    assert_eq!(
        p,
        json!({
            "status": "pending", "process_rate": 0.0, "error_msg": null, "last_train_at": null,
            "stage": null, "queue_position": null, "eta_seconds": null
        })
    );
    let logs_path = format!("/api/datasets/{id}/training/logs");
    let (s, b) = c.get(&logs_path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!([]));

    // While a throttled run trains, progress has its stage.
    start(
        &c,
        id,
        json!({"table_names": ["Track", "Album", "Artist"], "max_items_per_sec": 20}),
    )
    .await;
    let p = c
        .wait_progress(id, "training", |p| p["status"] == "training")
        .await;
    assert_keys(
        &p,
        &[
            "status",
            "process_rate",
            "error_msg",
            "last_train_at",
            "stage",
            "queue_position",
            "eta_seconds",
        ],
        "progress",
    );
    let stage = p["stage"].as_i64().expect("a stage while training");
    assert!((1..=4).contains(&stage), "{p}");
    assert_eq!(p["queue_position"], Value::Null);
    assert!(p["eta_seconds"].is_null() || p["eta_seconds"].as_i64().unwrap() >= 0);
    let p = c
        .wait_progress(id, "completed", |p| p["status"] == "completed")
        .await;
    assert_eq!(p["stage"], Value::Null);
    assert_eq!(p["eta_seconds"], Value::Null);
    assert_ts(&p["last_train_at"], "last_train_at");
    // Again, so that there are more logs.
    train(&c, id, &["Track"]).await;

    let (s, all) = c.get(&format!("{logs_path}?limit=500")).await;
    assert_eq!(s, StatusCode::OK);
    let all = all.as_array().unwrap().clone();
    assert!(all.len() > 5, "{all:?}");
    for entry in &all {
        assert_keys(
            entry,
            &["id", "content", "level", "code", "params", "created_at"],
            "log",
        );
        assert_int_id(&entry["id"], "log id");
        assert_ts(&entry["created_at"], "log created_at");
        // Every line a run writes now says what happened as a code.
        assert!(entry["code"].is_string(), "{entry}");
        assert!(entry["params"].is_object(), "{entry}");
        assert!(
            ["info", "warning", "error"].contains(&entry["level"].as_str().unwrap()),
            "{entry}"
        );
    }
    let started: Vec<&Value> = all
        .iter()
        .filter(|l| l["code"] == "stage_started")
        .collect();
    assert!(!started.is_empty(), "{all:?}");
    for l in started {
        let stage = l["params"]["stage"].as_i64().expect("stage");
        let total = l["params"]["total"].as_i64().expect("total");
        assert_eq!(
            l["content"].as_str().unwrap(),
            format!(
                "Stage {stage}/4 started: {} ({total} items)",
                datatrain::domain::i18n::Lang::En
                    .stage(stage as u8)
                    .unwrap()
            ),
            "{l}"
        );
    }
    assert_eq!(all[0]["code"], "training_completed", "{}", all[0]);
    assert_eq!(all[0]["level"], "info");
    assert!(
        all[0]["params"]["items"].as_i64().unwrap() > 0,
        "{}",
        all[0]
    );
    assert_eq!(all.last().unwrap()["code"], "training_queued");
    assert_eq!(all.last().unwrap()["params"], json!({}));
    for pair in all.windows(2) {
        assert!(
            pair[0]["id"].as_i64() > pair[1]["id"].as_i64(),
            "newest first: {pair:?}"
        );
        assert!(pair[0]["created_at"].as_str() >= pair[1]["created_at"].as_str());
    }
    assert!(
        all[0]["content"].as_str().unwrap().contains("completed"),
        "{}",
        all[0]
    );
    let (_, one) = c.get(&format!("{logs_path}?limit=1")).await;
    assert_eq!(one, json!([all[0].clone()]));
    let (_, default) = c.get(&logs_path).await;
    let default = default.as_array().unwrap();
    assert_eq!(default.len(), all.len().min(50));
    assert_eq!(default[..], all[..default.len()]);
    for limit in ["0", "501", "-1", "abc", "1.5", "", "99999999999999999999"] {
        let got = c.get(&format!("{logs_path}?limit={limit}")).await;
        let detail = assert_error(&got, StatusCode::BAD_REQUEST, &format!("limit={limit}"));
        assert!(detail.contains("limit"), "limit={limit}: {detail}");
    }
    app.stop().await;
}
