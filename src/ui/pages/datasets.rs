use leptos::prelude::*;
use leptos_router::components::A;

use crate::server_fns::datasets::list_datasets;
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
    let datasets = Resource::new(
        move || (poll.tick.get(), poll.settled.get()),
        |_| list_datasets(),
    );
    Effect::new(move |_| {
        let active = datasets
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|l| l.iter().any(|d| d.status.is_active()));
        if active != any_active.get_untracked() {
            set_any_active.set(active);
        }
    });
    view! {
        <div class="page-head">
            <h1>{lang.t("Datasets", "数据集")}</h1>
            <A href="/datasets/new" attr:class="btn btn-primary">{lang.t("New dataset", "新建数据集")}</A>
        </div>
        <Transition fallback=move || view! { <p class="muted">{lang.t("Loading…", "加载中…")}</p> }>
            {move || Suspend::new(async move {
                match datasets.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <section class="card empty-state">
                            <p>{lang.t("No datasets yet. Connect a database to start training.", "还没有数据集。连接一个数据库开始训练。")}</p>
                            <A href="/datasets/new" attr:class="btn btn-primary">{lang.t("New dataset", "新建数据集")}</A>
                        </section>
                    }.into_any(),
                    Ok(list) => view! {
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
