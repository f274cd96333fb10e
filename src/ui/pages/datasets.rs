use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::error::AppError;
use crate::server_fns::datasets::{CreateDemoDataset, demo_available, list_datasets};
use crate::ui::components::form_error::query_error;
use crate::ui::components::poll::use_poll;
use crate::ui::components::progress_bar::ProgressBar;
use crate::ui::i18n::use_lang;

/// `/`: the user's datasets with status, progress and last training.
#[component]
pub fn DatasetsPage() -> impl IntoView {
    let lang = use_lang();
    // While any dataset is queued or training, the list refreshes every 2 s.
    let (any_active, set_any_active) = signal(false);
    let poll = use_poll(move || any_active.get());
    // The list, and whether to offer the demo (only asked when the list is empty).
    let datasets = Resource::new(
        move || (poll.tick.get(), poll.settled.get()),
        |_| async move {
            let list = list_datasets().await?;
            let demo = list.is_empty() && demo_available().await.unwrap_or(false);
            Ok::<_, AppError>((list, demo))
        },
    );
    let create_demo = ServerAction::<CreateDemoDataset>::new();
    let query_error = query_error();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create_demo.value().get() {
            let _ = window().location().set_href(&format!("/datasets/{id}"));
        }
    });
    view! {
        <div class="page-head">
            <h1>{lang.t("Datasets", "数据集")}</h1>
            <A href="/datasets/new" attr:class="btn btn-primary">{lang.t("New dataset", "新建数据集")}</A>
        </div>
        <Transition fallback=move || view! { <p class="muted">{lang.t("Loading…", "加载中…")}</p> }>
            {move || Suspend::new(async move {
                let answer = datasets.await;
                // The list is read here only: a read outside this transition would
                // make the page's outer boundary wait (and blank) at every refresh.
                let active = answer
                    .as_ref()
                    .is_ok_and(|(l, _)| l.iter().any(|d| d.status.is_active()));
                if active != any_active.get_untracked() {
                    set_any_active.set(active);
                }
                match answer {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok((list, demo)) if list.is_empty() => view! {
                        <section class="card empty-state" data-testid="empty-state">
                            <p>{lang.t("No datasets yet. Connect a database to start training.", "还没有数据集。连接一个数据库开始训练。")}</p>
                            {demo.then(|| view! {
                                <ActionForm action=create_demo attr:class="demo-form">
                                    <input type="hidden" name="lang" value=lang.code() />
                                    <button type="submit" class="btn btn-primary" data-testid="try-demo"
                                        disabled=move || create_demo.pending().get()>
                                        {lang.t("Try the Chinook demo", "试用 Chinook 示例")}
                                    </button>
                                    <p class="hint muted">
                                        {lang.t(
                                            "Chinook is a sample database of a music store (11 tables) in the server's sources folder: the demo dataset trains all its tables.",
                                            "Chinook 是一家音乐商店的示例数据库（11 张表），位于服务器的 sources 目录中：示例数据集会训练它的全部表。",
                                        )}
                                    </p>
                                </ActionForm>
                            })}
                            <A href="/datasets/new" attr:class=if demo { "btn" } else { "btn btn-primary" }>{lang.t("New dataset", "新建数据集")}</A>
                            <p class="error" role="alert" data-testid="form-error">
                                {move || create_demo.value().get().and_then(|r| r.err()).map(|e| e.to_string()).or_else(|| query_error.get())}
                            </p>
                        </section>
                    }.into_any(),
                    Ok((list, _)) => view! {
                        <ul class="dataset-list" data-testid="dataset-list">
                            {list.into_iter().map(|d| {
                                let href = format!("/datasets/{}", d.id);
                                let status = d.status;
                                let rate = d.process_rate;
                                let name = d.name.clone();
                                view! {
                                    <li class="card dataset-row">
                                        <div class="dataset-main">
                                            <A href=href attr:class="dataset-name">{d.name.clone()}</A>
                                            <code class="source">{d.source_url.clone()}</code>
                                        </div>
                                        <div class="dataset-progress">
                                            <span class=format!("status-text status-{}", crate::ui::components::progress_bar::status_class(status))>
                                                {lang.status(status)}
                                            </span>
                                            <ProgressBar rate=Signal::derive(move || rate) status=Signal::derive(move || status) label=name />
                                        </div>
                                        <div class="muted last-trained">
                                            {lang.t("Last trained: ", "上次训练：")}
                                            {d.last_train_at.clone().map(|t| t.replace('T', " ").trim_end_matches('Z').chars().take(19).collect::<String>()).unwrap_or_else(|| "—".into())}
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
