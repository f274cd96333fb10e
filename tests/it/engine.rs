//! The training engine against real databases: the same scenarios on a SQLite
//! and a PostgreSQL metadata store, training the Chinook SQLite source.

use crate::common::world::{Meta, World};
use datatrain::domain::dto::{ItemKind, StartTraining};
use datatrain::domain::error::AppError;
use datatrain::domain::eta::RunTimes;
use datatrain::domain::i18n::Lang;
use datatrain::domain::log::LogEvent;
use datatrain::domain::status::Status;
use datatrain::server::training::executor::ExecOutcome;

on_both!(
    full_training_completes_with_expected_items,
    pause_and_resume_in_stage_2_and_3_equal_an_uninterrupted_run,
    cancel_keeps_the_earlier_collection,
    hundred_concurrent_starts_make_one_run,
    bad_table_names_fail_the_run_and_keep_the_collection,
    search_finds_tracks_and_chinese_terms,
    search_meets_the_values_of_low_cardinality_columns,
    stale_runs_are_recovered_and_resume,
    graceful_shutdown_requeues,
    logs_read_in_either_language_and_the_eta_follows_stage_times,
);

async fn train_fully(w: &World, id: i64) -> i64 {
    let run = w.start(id, World::all_tables(), None).await;
    assert_eq!(w.work().await, ExecOutcome::Completed);
    run
}

async fn kinds(w: &World, version: i64) -> (i64, i64, i64) {
    let pool = w.store.pool();
    let count = |kind: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM items WHERE version = $1 AND kind = $2")
            .bind(version)
            .bind(kind)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    (
        count("ddl").await,
        count("documentation").await,
        count("sql").await,
    )
}

async fn full_training_completes_with_expected_items(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    assert_eq!(w.status(id).await, Status::Pending);
    let run = train_fully(&w, id).await;
    let p = w.progress(id).await;
    assert_eq!(p.status, Status::Completed);
    assert_eq!(p.process_rate, 100.0);
    assert!(p.last_train_at.is_some());
    let (ddl, docs, sql) = kinds(&w, run).await;
    assert_eq!(ddl, 11, "one DDL item per table");
    assert_eq!(
        docs, 6,
        "5 English paragraphs of ~600 chars + 1 short Chinese doc"
    );
    assert!(
        (11..=88).contains(&sql),
        "1-8 example pairs per table, got {sql}"
    );
    let runs = w.services.runs(&w.user, id).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "completed");
    assert_eq!(runs[0].items, ddl + docs + sql);
    let logs = w.services.logs(&w.user, id, 500).await.unwrap();
    let text: Vec<&str> = logs.iter().map(|l| l.content.as_str()).collect();
    for stage in 1..=4 {
        assert!(
            text.iter()
                .any(|l| l.starts_with(&format!("Stage {stage}/4 started"))),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|l| l.starts_with(&format!("Stage {stage}/4 done"))),
            "{text:?}"
        );
    }
    assert!(
        text[0].starts_with("Training completed"),
        "newest first: {text:?}"
    );
    // A retrain gives the same collection and switches versions.
    let hashes = w.store.version_hashes(run).await.unwrap();
    let run2 = train_fully(&w, id).await;
    assert_ne!(run2, run);
    assert_eq!(w.store.version_hashes(run2).await.unwrap(), hashes);
    assert_eq!(
        w.store.version_item_count(run).await.unwrap(),
        0,
        "the old version is deleted"
    );
    w.cleanup().await;
}

/// Pauses when `in_band` holds for the progress, resumes, and returns the run's final hashes.
async fn interrupted_run(w: &World, id: i64, band: (f64, f64)) -> Vec<String> {
    let run = w.start(id, World::all_tables(), Some(10.0)).await;
    let worker = {
        let runner = w.runner.clone();
        tokio::spawn(async move { runner.try_execute_next().await.unwrap().unwrap().1 })
    };
    let seen = w
        .wait_for(id, "progress inside the band", |p| {
            p.process_rate > band.0 && p.process_rate < band.1
        })
        .await;
    w.services.pause_training(&w.user, id).await.unwrap();
    assert_eq!(worker.await.unwrap(), ExecOutcome::Paused);
    let paused = w.progress(id).await;
    assert_eq!(paused.status, Status::Paused);
    assert!(
        paused.process_rate >= seen.process_rate && paused.process_rate < band.1,
        "{paused:?}"
    );
    // Paused: nothing moves.
    assert!(w.runner.try_execute_next().await.unwrap().is_none());
    assert_eq!(w.progress(id).await.process_rate, paused.process_rate);

    w.services.resume_training(&w.user, id).await.unwrap();
    assert_eq!(w.status(id).await, Status::Queued);
    // Resume without a throttle: the same run continues from its cursor.
    sqlx::query("UPDATE training_runs SET max_items_per_sec = NULL WHERE id = $1")
        .bind(run)
        .execute(w.store.pool())
        .await
        .unwrap();
    assert_eq!(w.work().await, ExecOutcome::Completed);
    let runs = w.services.runs(&w.user, id).await.unwrap();
    assert_eq!(runs.len(), 1, "pause/resume continue the same run");
    let logs = w.services.logs(&w.user, id, 500).await.unwrap();
    assert!(logs.iter().any(|l| l.content == "Training paused"));
    assert!(logs.iter().any(|l| l.content == "Training resumed"));
    assert!(
        logs.iter()
            .any(|l| l.content.starts_with("Resumed at stage"))
    );
    w.store.version_hashes(run).await.unwrap()
}

async fn pause_and_resume_in_stage_2_and_3_equal_an_uninterrupted_run(meta: Meta) {
    let w = World::new(meta).await;
    let reference = w.chinook_dataset("reference").await;
    let run = train_fully(&w, reference).await;
    let expected = w.store.version_hashes(run).await.unwrap();
    let mut dedup = expected.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), expected.len());

    let stage2 = w.chinook_dataset("paused in stage 2").await;
    assert_eq!(
        interrupted_run(&w, stage2, (10.0, 40.0)).await,
        expected,
        "stage 2 pause"
    );
    let stage3 = w.chinook_dataset("paused in stage 3").await;
    assert_eq!(
        interrupted_run(&w, stage3, (40.0, 80.0)).await,
        expected,
        "stage 3 pause"
    );
    w.cleanup().await;
}

async fn cancel_keeps_the_earlier_collection(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    let first = train_fully(&w, id).await;
    let before = w
        .services
        .search(&w.user, id, "How many tracks are there?", 5)
        .await
        .unwrap();
    assert!(!before.items.is_empty());

    let second = w.start(id, World::all_tables(), Some(40.0)).await;
    let worker = {
        let runner = w.runner.clone();
        tokio::spawn(async move { runner.try_execute_next().await.unwrap().unwrap().1 })
    };
    w.wait_for(id, "stage 2", |p| p.process_rate > 12.0).await;
    w.services.cancel_training(&w.user, id).await.unwrap();
    assert_eq!(worker.await.unwrap(), ExecOutcome::Gone);
    let p = w.progress(id).await;
    assert_eq!(p.status, Status::Completed);
    assert_eq!(p.process_rate, 100.0);
    assert_eq!(
        w.store.version_item_count(second).await.unwrap(),
        0,
        "the cancelled version is discarded"
    );
    assert!(w.store.version_item_count(first).await.unwrap() > 0);
    let after = w
        .services
        .search(&w.user, id, "How many tracks are there?", 5)
        .await
        .unwrap();
    assert_eq!(after, before);
    let runs = w.services.runs(&w.user, id).await.unwrap();
    assert_eq!(runs[0].status, "cancelled");
    // Nothing to cancel now.
    assert!(matches!(
        w.services.cancel_training(&w.user, id).await,
        Err(AppError::BadRequest(_))
    ));
    w.cleanup().await;
}

async fn hundred_concurrent_starts_make_one_run(meta: Meta) {
    let w = std::sync::Arc::new(World::new(meta).await);
    let id = w.chinook_dataset("chinook").await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            w.services
                .start_training(
                    &w.user,
                    id,
                    &StartTraining {
                        table_names: Some(World::all_tables()),
                        max_items_per_sec: None,
                    },
                )
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppError::Conflict(_)) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM training_runs WHERE dataset_id = $1")
        .bind(id)
        .fetch_one(w.store.pool())
        .await
        .unwrap();
    assert_eq!(runs, 1);
    match std::sync::Arc::try_unwrap(w) {
        Ok(w) => w.cleanup().await,
        Err(_) => panic!("world still shared"),
    }
}

async fn bad_table_names_fail_the_run_and_keep_the_collection(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    let first = train_fully(&w, id).await;
    let hostile = "x\"; DROP TABLE \"Track\"; --".to_string();
    for bad in [
        vec!["Track".to_string(), "NoSuchTable".to_string()],
        vec![hostile.clone()],
    ] {
        w.start(id, bad.clone(), None).await;
        let outcome = w.work().await;
        assert!(matches!(outcome, ExecOutcome::Failed(_)), "{outcome:?}");
        let p = w.progress(id).await;
        assert_eq!(p.status, Status::Failed);
        let msg = p.error_msg.unwrap();
        assert!(msg.contains(bad.last().unwrap()), "{msg}");
        assert!(!msg.contains("Track,"), "only unknown names: {msg}");
    }
    // The source is untouched and the last completed collection still answers.
    assert!(w.store.version_item_count(first).await.unwrap() > 0);
    let hits = w.services.search(&w.user, id, "tracks", 3).await.unwrap();
    assert!(!hits.items.is_empty());
    let tables = w.services.source_tables(&w.user, id).await.unwrap();
    assert_eq!(tables.len(), 11);
    // An empty list is refused at the start.
    let empty = w
        .services
        .start_training(
            &w.user,
            id,
            &StartTraining {
                table_names: Some(vec![]),
                max_items_per_sec: None,
            },
        )
        .await;
    assert!(matches!(empty, Err(AppError::BadRequest(_))), "{empty:?}");
    w.cleanup().await;
}

/// "Grunge" is only a value (of `Playlist.Name`, 14 distinct values): the
/// DDL item of its table is indexed with it. `Genre.Name` has 25 values, more
/// than are indexed, so "Jazz" finds no DDL item.
async fn search_meets_the_values_of_low_cardinality_columns(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    train_fully(&w, id).await;
    let r = w
        .services
        .search(&w.user, id, "Which songs are in Grunge?", 5)
        .await
        .unwrap();
    assert_eq!(
        r.tables.first().map(String::as_str),
        Some("Playlist"),
        "{:?}",
        r.tables
    );
    // The DDL text stays as the source gives it: the values are only indexed.
    let ddl = r
        .items
        .iter()
        .find(|i| i.table_name.as_deref() == Some("Playlist"))
        .unwrap();
    assert!(!ddl.content.contains("Grunge"), "{}", ddl.content);
    let r = w.services.search(&w.user, id, "Jazz", 5).await.unwrap();
    assert!(
        r.items.iter().all(|i| i.kind != ItemKind::Ddl),
        "{:?}",
        r.items
    );
    w.cleanup().await;
}

async fn search_finds_tracks_and_chinese_terms(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    train_fully(&w, id).await;
    let r = w
        .services
        .search(&w.user, id, "How many tracks are there?", 10)
        .await
        .unwrap();
    let top3: Vec<_> = r
        .items
        .iter()
        .take(3)
        .map(|i| (i.kind.as_str(), i.table_name.as_deref()))
        .collect();
    assert!(top3.contains(&("ddl", Some("Track"))), "{top3:?}");
    assert_eq!(
        r.tables.first().map(String::as_str),
        Some("Track"),
        "{:?}",
        r.tables
    );
    let r = w
        .services
        .search(&w.user, id, "复购率是怎么定义的", 5)
        .await
        .unwrap();
    assert_eq!(
        r.items.first().map(|i| i.kind.as_str()),
        Some("documentation"),
        "{r:?}"
    );
    assert!(r.items[0].content.contains("复购率"));
    // Documentation that names a table is linked to it (here through the gloss of 客户 or 发票).
    assert!(r.items[0].table_name.is_some(), "{:?}", r.items[0]);
    assert!(r.tables.contains(r.items[0].table_name.as_ref().unwrap()));
    w.cleanup().await;
}

async fn stale_runs_are_recovered_and_resume(meta: Meta) {
    let w = World::new(meta).await;
    let reference = w.chinook_dataset("reference").await;
    let expected = w
        .store
        .version_hashes(train_fully(&w, reference).await)
        .await
        .unwrap();

    let id = w.chinook_dataset("crashed").await;
    let run = w.start(id, World::all_tables(), None).await;
    // A worker claims the run and dies before doing anything else: it stays "training".
    let claimed = w.store.claim_next_run("test").await.unwrap().unwrap();
    assert_eq!(claimed.id, run);
    assert_eq!(w.status(id).await, Status::Training);
    // Its heartbeat is recent: not stale yet.
    assert!(w.runner.recover_stale().await.is_empty());
    sqlx::query("UPDATE training_runs SET heartbeat_at = heartbeat_at - 60000 WHERE id = $1")
        .bind(run)
        .execute(w.store.pool())
        .await
        .unwrap();
    assert_eq!(w.runner.recover_stale().await, vec![run]);
    assert_eq!(w.status(id).await, Status::Queued);
    assert_eq!(w.work().await, ExecOutcome::Completed);
    assert_eq!(w.store.version_hashes(run).await.unwrap(), expected);
    // The dead worker's late writes are fenced off by the attempt counter.
    assert!(!w.store.heartbeat(&claimed).await.unwrap());
    let late = LogEvent::TrainingCompleted {
        items: 0,
        checkpoint_writes: 0,
    };
    assert!(!w.store.finish_run(&claimed, late).await.unwrap());
    let logs = w.services.logs(&w.user, id, 500).await.unwrap();
    assert!(logs.iter().any(|l| l.content.starts_with("Recovered")));
    w.cleanup().await;
}

async fn graceful_shutdown_requeues(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    let run = w.start(id, World::all_tables(), Some(40.0)).await;
    w.runner.start();
    w.wait_for(id, "training", |p| {
        p.status == Status::Training && p.process_rate > 5.0
    })
    .await;
    w.runner.shutdown().await;
    let p = w.progress(id).await;
    assert_eq!(p.status, Status::Queued, "{p:?}");
    let row = w.store.run(run).await.unwrap().unwrap();
    assert_eq!(row.status, datatrain::domain::status::RunStatus::Queued);
    assert!(row.process_rate > 0.0);
    w.cleanup().await;
}

/// Chinook loaded into PostgreSQL and MariaDB trains like the SQLite copy
/// (the metadata store is SQLite here; the store backends are covered above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trains_chinook_from_postgres_and_mariadb() {
    use crate::common::sources::{chinook_mysql, chinook_postgres};
    use datatrain::domain::dto::CreateDataset;
    let w = World::new(Meta::Sqlite).await;
    for (db, tables) in [
        (
            chinook_postgres().await,
            [
                "album",
                "artist",
                "customer",
                "employee",
                "genre",
                "invoice",
                "invoice_line",
                "media_type",
                "playlist",
                "playlist_track",
                "track",
            ],
        ),
        (
            chinook_mysql().await,
            [
                "Album",
                "Artist",
                "Customer",
                "Employee",
                "Genre",
                "Invoice",
                "InvoiceLine",
                "MediaType",
                "Playlist",
                "PlaylistTrack",
                "Track",
            ],
        ),
    ] {
        let ds = w
            .services
            .create_dataset(
                &w.user,
                &CreateDataset {
                    name: db.name.clone(),
                    source_url: db.url.clone(),
                    description: None,
                },
            )
            .await
            .unwrap();
        let run = w
            .start(ds.id, tables.iter().map(|t| t.to_string()).collect(), None)
            .await;
        let outcome = w.work().await;
        assert_eq!(outcome, ExecOutcome::Completed, "{}", db.url);
        let (ddl, docs, sql) = kinds(&w, run).await;
        assert_eq!((ddl, docs), (11, 0), "{}", db.url);
        assert!((11..=88).contains(&sql), "{}: {sql} example pairs", db.url);
        let r = w
            .services
            .search(&w.user, ds.id, "How many tracks are there?", 5)
            .await
            .unwrap();
        assert_eq!(
            r.tables[0].to_lowercase(),
            "track",
            "{}: {:?}",
            db.url,
            r.tables
        );
        db.cleanup().await;
    }
    w.cleanup().await;
}

/// A warehouse trains like Chinook: the table picker lists `schema.table`
/// names, views and materialized views; their DDL items are views, their
/// example SQL reads them schema-qualified, and a `schemas=` naming a schema
/// the source lacks is refused with a 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trains_warehouse_schemas_and_views() {
    use crate::common::sources::{Server, TempDb};
    use datatrain::domain::dto::{CreateDataset, TableKind};
    let w = World::new(Meta::Sqlite).await;
    let pg = TempDb::create(Server::Postgres).await;
    pg.execute(crate::sources::PG_WAREHOUSE).await;
    let my = TempDb::create(Server::Mysql).await;
    my.execute(
        "CREATE TABLE orders (id INT PRIMARY KEY, status VARCHAR(10) NOT NULL, amount DECIMAL(10,2));\n\
         CREATE VIEW big_orders AS SELECT id, status, amount FROM orders WHERE amount > 100;\n\
         INSERT INTO orders VALUES (1, 'open', 50), (2, 'paid', 150), (3, 'void', 120);",
    )
    .await;

    let err = w
        .services
        .probe_source(&w.user, &format!("{}?schemas=sales,nope", pg.url))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Unprocessable(m) if m.contains("nope")),
        "{err:?}"
    );

    let pg_url = format!("{}?schemas=sales,finance,public", pg.url);
    for (url, tables, view, quoted_view) in [
        (
            pg_url.as_str(),
            &[
                "customers",
                "sales.orders",
                "sales.big_orders",
                "finance.revenue_by_status",
            ][..],
            "sales.big_orders",
            "\"sales\".\"big_orders\"",
        ),
        (
            my.url.as_str(),
            &["orders", "big_orders"][..],
            "big_orders",
            "`big_orders`",
        ),
    ] {
        let ds = w
            .services
            .create_dataset(
                &w.user,
                &CreateDataset {
                    name: format!("warehouse {}", view.len()),
                    source_url: url.to_string(),
                    description: None,
                },
            )
            .await
            .unwrap();
        // What the new-dataset page's table picker shows.
        let listed = w.services.source_tables(&w.user, ds.id).await.unwrap();
        for t in tables {
            assert!(
                listed.iter().any(|l| l.name == *t),
                "{url}: {t} in {listed:?}"
            );
        }
        let v = listed.iter().find(|l| l.name == view).unwrap();
        assert_eq!(v.kind, TableKind::View, "{url}");
        assert!(
            !listed.iter().any(|l| l.name.starts_with("hidden.")),
            "{listed:?}"
        );

        let run = w
            .start(ds.id, tables.iter().map(|t| t.to_string()).collect(), None)
            .await;
        assert_eq!(w.work().await, ExecOutcome::Completed, "{url}");
        let (ddl, _, _) = kinds(&w, run).await;
        assert_eq!(ddl, tables.len() as i64, "{url}");
        let items: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, table_name, content FROM items WHERE version = $1 ORDER BY id",
        )
        .bind(run)
        .fetch_all(w.store.pool())
        .await
        .unwrap();
        let of_view = |kind: &str| {
            items
                .iter()
                .filter(|(k, t, _)| k == kind && t == view)
                .map(|(_, _, c)| c.clone())
                .collect::<Vec<_>>()
        };
        let ddl = of_view("ddl");
        assert_eq!(ddl.len(), 1, "{url}");
        assert!(
            ddl[0].contains(&format!("CREATE VIEW {quoted_view} (")),
            "{}",
            ddl[0]
        );
        let sql = of_view("sql");
        assert!(!sql.is_empty(), "{url}: no examples for the view");
        assert!(
            sql.iter()
                .all(|s| s.contains(&format!("FROM {quoted_view}"))),
            "{sql:?}"
        );
    }
    // The materialized view and the cross-schema key were trained too.
    let mv: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM items WHERE table_name = 'finance.revenue_by_status' AND kind = 'sql'",
    )
    .fetch_one(w.store.pool())
    .await
    .unwrap();
    assert!(mv > 0);
    let per_customer: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM items WHERE table_name = 'sales.orders' AND kind = 'sql' \
           AND content LIKE '%FROM \"customers\" AS p JOIN \"sales\".\"orders\" AS c%'",
    )
    .fetch_one(w.store.pool())
    .await
    .unwrap();
    assert_eq!(per_customer, 1);
    pg.cleanup().await;
    my.cleanup().await;
    w.cleanup().await;
}

/// Log lines carry codes a page renders in Chinese (old plain lines stay as
/// stored), a run records its stage times, and the next run's ETA comes from
/// them: while queued (the previous run's length) and while training, none
/// while paused.
async fn logs_read_in_either_language_and_the_eta_follows_stage_times(meta: Meta) {
    let w = World::new(meta).await;
    let id = w.chinook_dataset("chinook").await;
    let first = train_fully(&w, id).await;
    let logs = w.services.logs(&w.user, id, 500).await.unwrap();
    let started: Vec<_> = logs
        .iter()
        .filter(|l| l.code.as_deref() == Some("stage_started"))
        .collect();
    assert_eq!(started.len(), 4, "{logs:?}");
    for l in &started {
        let zh = l.text(Lang::Zh);
        assert!(zh.starts_with("第 ") && zh.contains("步开始："), "{zh}");
        assert_eq!(l.text(Lang::En), l.content);
    }
    let stage2 = started
        .iter()
        .find(|l| l.params.as_ref().unwrap()["stage"] == 2)
        .unwrap();
    assert_eq!(stage2.text(Lang::Zh), "第 2/4 步开始：训练 DDL（11 项）");
    assert_eq!(logs[0].text(Lang::Zh).split('：').next(), Some("训练完成"));

    // A line stored before codes existed is shown as it is, in any language.
    sqlx::query(
        "INSERT INTO training_logs (dataset_id, run_id, level, content, created_at) \
         VALUES ($1, NULL, 'info', 'Stage 9/4 started: from an old version', 1)",
    )
    .bind(id)
    .execute(w.store.pool())
    .await
    .unwrap();
    let logs = w.services.logs(&w.user, id, 500).await.unwrap();
    let old = logs
        .iter()
        .find(|l| l.code.is_none())
        .expect("the old line");
    assert_eq!(old.params, None);
    assert_eq!(old.text(Lang::Zh), "Stage 9/4 started: from an old version");

    // The run recorded each stage: all items done, in measured time.
    let times = w.store.run(first).await.unwrap().unwrap().times();
    assert_eq!(times.stages.len(), 4, "{times:?}");
    for s in &times.stages {
        assert_eq!(s.done, s.total, "{times:?}");
    }
    assert_eq!(times.stage(1).unwrap().total, 11);
    assert!(times.at > 0);

    // Queued next: the previous run's length.
    let second = w.start(id, World::all_tables(), Some(20.0)).await;
    let p = w.progress(id).await;
    assert_eq!((p.status, p.queue_position), (Status::Queued, Some(1)));
    let expected = (times.total_ms() as f64 / 1000.0).ceil() as i64;
    assert_eq!(p.eta_seconds, Some(expected), "{times:?}");

    // Training (throttled to 20 items/s): an estimate; paused: none.
    let worker = {
        let runner = w.runner.clone();
        tokio::spawn(async move { runner.try_execute_next().await.unwrap().unwrap().1 })
    };
    let p = w
        .wait_for(id, "stage 2", |p| {
            p.status == Status::Training && p.stage.is_some_and(|s| s >= 2)
        })
        .await;
    assert!(p.eta_seconds.is_some_and(|s| s >= 0), "{p:?}");
    w.services.pause_training(&w.user, id).await.unwrap();
    assert_eq!(worker.await.unwrap(), ExecOutcome::Paused);
    let p = w.progress(id).await;
    assert_eq!((p.status, p.eta_seconds), (Status::Paused, None));
    // The pause checkpoint kept what was measured so far.
    let run = w.store.run(second).await.unwrap().unwrap();
    let partial: RunTimes = run.times();
    assert!(
        partial.stage(1).is_some_and(|s| s.done == 11),
        "{partial:?}"
    );
    // Resumed, back in the queue: what is left of this run.
    w.services.resume_training(&w.user, id).await.unwrap();
    let p = w.progress(id).await;
    assert_eq!(p.status, Status::Queued);
    assert!(
        p.eta_seconds.is_some(),
        "an estimate while queued again: {p:?}"
    );
    assert_eq!(w.work().await, ExecOutcome::Completed);
    assert_eq!(w.progress(id).await.eta_seconds, None);
    w.cleanup().await;
}
