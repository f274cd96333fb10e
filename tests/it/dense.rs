//! Dense retrieval through an OpenAI-compatible embeddings endpoint (a test
//! server with deterministic concept vectors, see `common::embeddings`), on a
//! SQLite and a PostgreSQL metadata store.

use crate::common::embeddings::FakeEmbeddings;
use crate::common::world::{Meta, World};
use datatrain::domain::status::Status;
use datatrain::server::embeddings::Embedder;
use datatrain::server::training::executor::ExecOutcome;

on_both!(
    items_are_embedded_and_dense_hits_find_what_words_miss,
    a_failing_endpoint_fails_the_run_with_a_clear_message,
);

const QUESTION: &str = "Which musicians do we know?";

async fn items_are_embedded_and_dense_hits_find_what_words_miss(meta: Meta) {
    let fake = FakeEmbeddings::start().await;
    let w = World::with_embedder(meta, Some(Embedder::new(fake.config()))).await;
    let id = w.chinook_dataset("chinook").await;
    let run = w.start(id, World::all_tables(), None).await;
    assert_eq!(w.work().await, ExecOutcome::Completed);

    // Every stored item has a vector, written with it; the run names its model.
    let items = w.store.version_item_count(run).await.unwrap();
    let vectors = w.store.version_vectors(id, run).await.unwrap();
    assert!(items > 20);
    assert_eq!(vectors.len() as i64, items);
    assert_eq!(
        w.store.run_embedding_model(run).await.unwrap().as_deref(),
        Some("concepts-v1")
    );
    let auth = fake.shared.authorizations.lock().unwrap().clone();
    assert!(!auth.is_empty());
    assert!(
        auth.iter().all(|a| a == "Bearer sk-test-secret-key"),
        "{auth:?}"
    );

    // No word of the question is in the collection; its concept is.
    let r = w.services.search(&w.user, id, QUESTION, 5).await.unwrap();
    assert_eq!(
        r.tables.first().map(String::as_str),
        Some("Artist"),
        "{:?}",
        r.tables
    );
    let first_ddl = r
        .items
        .iter()
        .find(|i| i.kind == datatrain::domain::dto::ItemKind::Ddl)
        .expect("a DDL item");
    assert_eq!(first_ddl.table_name.as_deref(), Some("Artist"));

    // The endpoint down at search time: search still answers, from the words alone.
    fake.fail(true);
    let r = w.services.search(&w.user, id, QUESTION, 5).await.unwrap();
    assert_ne!(
        r.tables.first().map(String::as_str),
        Some("Artist"),
        "{r:?}"
    );
    let r = w
        .services
        .search(&w.user, id, "How many tracks are there?", 5)
        .await
        .unwrap();
    assert_eq!(r.tables.first().map(String::as_str), Some("Track"));
    w.cleanup().await;
}

async fn a_failing_endpoint_fails_the_run_with_a_clear_message(meta: Meta) {
    let fake = FakeEmbeddings::start().await;
    fake.fail(true);
    let w = World::with_embedder(meta, Some(Embedder::new(fake.config()))).await;
    let id = w.chinook_dataset("chinook").await;
    w.start(id, World::all_tables(), None).await;
    let outcome = w.work().await;
    let ExecOutcome::Failed(message) = outcome else {
        panic!("expected a failed run, got {outcome:?}");
    };
    assert_eq!(message, "the embeddings endpoint answered HTTP 500");
    let p = w.progress(id).await;
    assert_eq!(p.status, Status::Failed);
    assert_eq!(p.error_msg.as_deref(), Some(message.as_str()));
    // Retried before giving up.
    assert!(
        fake.shared
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 3
    );

    // Once the endpoint answers again, training again completes.
    fake.fail(false);
    let run = w.start(id, World::all_tables(), None).await;
    assert_eq!(w.work().await, ExecOutcome::Completed);
    assert!(!w.store.version_vectors(id, run).await.unwrap().is_empty());
    w.cleanup().await;
}
