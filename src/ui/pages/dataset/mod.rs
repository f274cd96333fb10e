//! `/datasets/{id}`: progress, controls, logs, run history, documentation,
//! curated examples, a "try it" search and the webhook. Progress (and the newest logs) are polled every 2 s while a
//! run is queued or training; polling stops at rest, after one final refresh.
//!
//! The page holds the actions and the resources, so that they outlive the
//! sections, which re-render whenever the dataset reloads.

mod controls;
mod delete;
mod docs;
mod examples;
mod head;
mod history;
mod list_section;
mod progress;
mod search;
mod webhook;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::domain::error::AppError;
use crate::domain::status::Status;
use crate::server_fns::datasets::{
    AddDoc, DeleteDataset, DeleteDoc, SetWebhook, get_dataset, list_docs, source_tables,
};
use crate::server_fns::examples::{AddExample, DeleteExample, list_examples};
use crate::server_fns::training::{
    search_collection, training_logs, training_progress, training_runs,
};
use crate::ui::components::poll::{Poll, use_poll};
use crate::ui::i18n::use_lang;
use crate::ui::pages::not_found::NotFound;
use controls::TrainingActions;
use delete::DangerZone;
use docs::Docs;
use examples::Examples;
use head::DatasetHead;
use history::{log_list, run_table};
use list_section::ListSection;
use progress::ProgressCard;
use search::{Found, SearchBox};
use webhook::Webhook;

const LOG_LINES: i64 = 50;

#[component]
pub fn DatasetPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());

    let training = TrainingActions::new();
    let add_doc = ServerAction::<AddDoc>::new();
    let delete_doc = ServerAction::<DeleteDoc>::new();
    let add_example = ServerAction::<AddExample>::new();
    let delete_example = ServerAction::<DeleteExample>::new();
    let delete_dataset = ServerAction::<DeleteDataset>::new();
    let set_webhook = ServerAction::<SetWebhook>::new();
    let acted = Memo::new(move |_| training.version());

    // Progress drives the polling; the resources below key on its tick. The
    // progress card sets the status each time progress arrives (each resource is
    // read inside one transition only: a read elsewhere would make an outer
    // boundary wait, and blank, at every refresh).
    let progress_status = RwSignal::new(None::<Status>);
    let Poll { tick, settled } =
        use_poll(move || progress_status.get().is_some_and(|s| s.is_active()));

    // The page's frame: loaded once per dataset, so that refreshes never rebuild
    // (or blank) the page, and what is typed into its forms stays.
    let page = Resource::new(move || id.get(), get_dataset);
    // The dataset as it changes with training (last trained, tables chosen).
    let dataset = Resource::new(
        move || (id.get(), acted.get(), settled.get()),
        |(id, _, _)| get_dataset(id),
    );
    let progress = Resource::new(
        move || (id.get(), tick.get(), acted.get()),
        |(id, _, _)| training_progress(id),
    );
    let logs = Resource::new(
        move || (id.get(), tick.get(), acted.get(), settled.get()),
        |(id, _, _, _)| training_logs(id, LOG_LINES),
    );
    let runs = Resource::new(
        move || (id.get(), acted.get(), settled.get()),
        |(id, _, _)| training_runs(id),
    );
    let docs = Resource::new(
        move || {
            (
                id.get(),
                add_doc.version().get(),
                delete_doc.version().get(),
            )
        },
        |(id, _, _)| list_docs(id),
    );
    let examples = Resource::new(
        move || {
            (
                id.get(),
                add_example.version().get(),
                delete_example.version().get(),
            )
        },
        |(id, _, _)| list_examples(id),
    );
    let tables = Resource::new(move || id.get(), source_tables);
    // The tables the dataset trains (the picker's ticks), apart from `dataset`
    // (the head reads that one).
    let chosen = Resource::new(
        move || (id.get(), acted.get(), settled.get()),
        |(id, _, _)| async move { get_dataset(id).await.map(|d| d.table_names) },
    );
    let search: Found = Resource::new(
        move || (id.get(), q.get(), acted.get(), settled.get()),
        |(id, q, _, _)| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                search_collection(id, q, 10).await.map(|r| Some(r.items))
            }
        },
    );

    let delete_redirect = delete_dataset.value();
    Effect::new(move |_| {
        if matches!(delete_redirect.get(), Some(Ok(()))) {
            let _ = window().location().set_href("/");
        }
    });

    view! {
        <Transition fallback=move || view! { <p class="muted">{lang.t("Loading…", "加载中…")}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(AppError::NotFound(_)) => view! { <NotFound /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(ds) => {
                        let id = ds.id;
                        view! {
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    dataset.await.ok().map(|ds| view! { <DatasetHead ds=ds /> })
                                })}
                            </Transition>
                            <ProgressCard id=id initial=ds.status latest=progress_status chosen=chosen progress=progress tables=tables actions=training />
                            <div class="grid-2">
                                <ListSection title=lang.t("Training logs", "训练日志") list=logs
                                    empty=lang.t("No logs yet.", "暂无日志。") render=log_list />
                                <ListSection title=lang.t("Run history", "训练记录") list=runs
                                    empty=lang.t("No runs yet.", "暂无训练记录。") render=run_table />
                            </div>
                            <SearchBox id=id q=q search=search />
                            <Docs id=id docs=docs add_doc=add_doc delete_doc=delete_doc />
                            <Examples id=id examples=examples add_example=add_example delete_example=delete_example />
                            <Webhook id=id url=ds.webhook_url.clone() set_webhook=set_webhook />
                            <DangerZone id=id delete_dataset=delete_dataset />
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn short_time(rfc3339: &str) -> String {
    rfc3339
        .replace('T', " ")
        .trim_end_matches('Z')
        .chars()
        .take(19)
        .collect()
}

/// A click handler that asks for confirmation and cancels the click (and so the form) if refused.
fn confirm_click(question: &'static str) -> impl Fn(leptos::ev::MouseEvent) + 'static {
    move |ev: leptos::ev::MouseEvent| {
        if !window().confirm_with_message(question).unwrap_or(false) {
            ev.prevent_default();
        }
    }
}
