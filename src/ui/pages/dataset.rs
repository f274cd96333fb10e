//! `/datasets/{id}`: progress, controls, logs, run history, documentation and a
//! "try it" search. Progress (and the newest logs) are polled every 2 s while a
//! run is queued or training; polling stops at rest, after one final refresh.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::domain::dto::{DatasetView, Progress};
use crate::domain::error::AppError;
use crate::domain::progress::STAGE_COUNT;
use crate::domain::status::Status;
use crate::server_fns::datasets::{
    AddDoc, DeleteDataset, DeleteDoc, get_dataset, list_docs, source_tables,
};
use crate::server_fns::training::{
    CancelTraining, DeleteTrainingData, PauseTraining, ResumeTraining, StartTraining,
    search_collection, training_logs, training_progress, training_runs,
};
use crate::ui::components::form_error::query_error;
use crate::ui::components::poll::{Poll, use_poll};
use crate::ui::components::progress_bar::{ProgressBar, status_class};
use crate::domain::i18n::Lang;
use crate::ui::i18n::use_lang;
use crate::ui::pages::not_found::NotFound;

const LOG_LINES: i64 = 50;

fn short_time(rfc3339: &str) -> String {
    rfc3339
        .replace('T', " ")
        .trim_end_matches('Z')
        .chars()
        .take(19)
        .collect()
}

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

    let start = ServerAction::<StartTraining>::new();
    let pause = ServerAction::<PauseTraining>::new();
    let resume = ServerAction::<ResumeTraining>::new();
    let cancel = ServerAction::<CancelTraining>::new();
    let delete_data = ServerAction::<DeleteTrainingData>::new();
    let add_doc = ServerAction::<AddDoc>::new();
    let delete_doc = ServerAction::<DeleteDoc>::new();
    let delete_dataset = ServerAction::<DeleteDataset>::new();
    let acted = Memo::new(move |_| {
        start.version().get()
            + pause.version().get()
            + resume.version().get()
            + cancel.version().get()
            + delete_data.version().get()
    });

    // Progress drives the polling; the resources below key on its tick.
    let (progress_status, set_progress_status) = signal(None::<Status>);
    let Poll { tick, settled } =
        use_poll(move || progress_status.get().is_some_and(|s| s.is_active()));

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
    let tables = Resource::new(move || id.get(), source_tables);
    let search = Resource::new(
        move || (id.get(), q.get(), acted.get(), settled.get()),
        |(id, q, _, _)| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                search_collection(id, q, 10).await.map(Some)
            }
        },
    );

    Effect::new(move |_| {
        let status = progress.get().and_then(|r| r.ok()).map(|p| p.status);
        if status != progress_status.get_untracked() {
            set_progress_status.set(status);
        }
    });

    let query_error = query_error();
    let delete_redirect = delete_dataset.value();
    Effect::new(move |_| {
        if matches!(delete_redirect.get(), Some(Ok(()))) {
            let _ = window().location().set_href("/");
        }
    });

    view! {
        <Suspense fallback=move || view! { <p class="muted">{lang.t("Loading…", "加载中…")}</p> }>
            {move || Suspend::new(async move {
                match dataset.await {
                    Err(AppError::NotFound(_)) => view! { <NotFound /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(ds) => {
                        let id = ds.id;
                        let ds_for_controls = ds.clone();
                        view! {
                        <DatasetHead ds=ds.clone() />
                        <section class="card progress-card" data-testid="progress-card">
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    match progress.await {
                                        Ok(p) => view! { <ProgressPanel p=p lang=lang /> }.into_any(),
                                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                                    }
                                })}
                            </Transition>
                            <Transition fallback=|| ()>
                                {move || {
                                    let ds = ds_for_controls.clone();
                                    Suspend::new(async move {
                                        let status = progress.await.map(|p| p.status).unwrap_or(Status::Pending);
                                        let tables = tables.await;
                                        view! {
                                            <Controls
                                                id=ds.id
                                                status=status
                                                chosen=ds.table_names.clone()
                                                tables=tables
                                                start=start pause=pause resume=resume cancel=cancel delete_data=delete_data
                                            />
                                        }
                                    })
                                }}
                            </Transition>
                            <p class="error" role="alert" data-testid="form-error">
                                {move || {
                                    [start.value().get().and_then(|r| r.err()),
                                     pause.value().get().and_then(|r| r.err()),
                                     resume.value().get().and_then(|r| r.err()),
                                     cancel.value().get().and_then(|r| r.err()),
                                     delete_data.value().get().and_then(|r| r.err())]
                                        .into_iter().flatten().next().map(|e| e.to_string())
                                        // JavaScript off: any form of this page came back with ?error=.
                                        .or_else(|| query_error.get())
                                }}
                            </p>
                        </section>
                        <div class="grid-2">
                            <section class="card">
                                <h2>{lang.t("Training logs", "训练日志")}</h2>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        match logs.await {
                                            Ok(list) if list.is_empty() => view! { <p class="muted">{lang.t("No logs yet.", "暂无日志。")}</p> }.into_any(),
                                            Ok(list) => view! {
                                                <ol class="logs" data-testid="logs">
                                                    {list.into_iter().map(|l| view! {
                                                        <li><time datetime=l.created_at.clone()>{short_time(&l.created_at)}</time>" "{l.content}</li>
                                                    }).collect_view()}
                                                </ol>
                                            }.into_any(),
                                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                                        }
                                    })}
                                </Transition>
                            </section>
                            <section class="card">
                                <h2>{lang.t("Run history", "训练记录")}</h2>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        match runs.await {
                                            Ok(list) if list.is_empty() => view! { <p class="muted">{lang.t("No runs yet.", "暂无训练记录。")}</p> }.into_any(),
                                            Ok(list) => view! {
                                                <table class="runs" data-testid="runs">
                                                    <thead><tr>
                                                        <th>"#"</th><th>{lang.t("Status", "状态")}</th><th>{lang.t("Started", "开始")}</th>
                                                        <th>{lang.t("Finished", "结束")}</th><th>{lang.t("Items", "条目")}</th>
                                                    </tr></thead>
                                                    <tbody>
                                                        {list.into_iter().map(|r| view! {
                                                            <tr title=r.error.clone().unwrap_or_default()>
                                                                <td>{r.id}</td>
                                                                <td>{lang.run_status(&r.status)}</td>
                                                                <td>{r.started_at.as_deref().map(short_time).unwrap_or_default()}</td>
                                                                <td>{r.finished_at.as_deref().map(short_time).unwrap_or_default()}</td>
                                                                <td>{r.items}</td>
                                                            </tr>
                                                        }).collect_view()}
                                                    </tbody>
                                                </table>
                                            }.into_any(),
                                            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                                        }
                                    })}
                                </Transition>
                            </section>
                        </div>
                        <SearchBox id=id q=q search=search />
                        <Docs id=id docs=docs add_doc=add_doc delete_doc=delete_doc />
                        <section class="card danger-zone">
                            <h2>{lang.t("Delete dataset", "删除数据集")}</h2>
                            <ActionForm action=delete_dataset attr:class="inline-form">
                                <input type="hidden" name="id" value=id />
                                <button type="submit" class="btn btn-danger" on:click=confirm_click(lang.t("Delete this dataset and everything it learned?", "删除此数据集及其全部训练数据？"))>
                                    {lang.t("Delete dataset", "删除数据集")}
                                </button>
                            </ActionForm>
                            <p class="error">{move || delete_dataset.value().get().and_then(|r| r.err()).map(|e| e.to_string())}</p>
                        </section>
                    }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A click handler that asks for confirmation and cancels the click (and so the form) if refused.
fn confirm_click(question: &'static str) -> impl Fn(leptos::ev::MouseEvent) + 'static {
    move |ev: leptos::ev::MouseEvent| {
        if !window().confirm_with_message(question).unwrap_or(false) {
            ev.prevent_default();
        }
    }
}

#[component]
fn DatasetHead(ds: DatasetView) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="page-head">
            <div>
                <h1 data-testid="dataset-name">{ds.name.clone()}</h1>
                <code class="source">{ds.source_url.clone()}</code>
                {(!ds.description.is_empty()).then(|| view! { <p class="muted">{ds.description.clone()}</p> })}
            </div>
            <div class="muted">
                {lang.t("Last trained: ", "上次训练：")}
                {ds.last_train_at.as_deref().map(short_time).unwrap_or_else(|| "—".into())}
            </div>
        </div>
    }
}

#[component]
fn ProgressPanel(p: Progress, lang: Lang) -> impl IntoView {
    let status = p.status;
    let rate = p.process_rate;
    let stage_line = p
        .stage
        .filter(|_| status.has_open_run())
        .map(|s| match lang {
            Lang::En => format!("Step {s}/{STAGE_COUNT} · {}", lang.stage(s)),
            Lang::Zh => format!("第 {s}/{STAGE_COUNT} 步 · {}", lang.stage(s)),
        });
    let queue = p.queue_position.map(|n| match lang {
        Lang::En => format!("Position in queue: {n}"),
        Lang::Zh => format!("排队位置：{n}"),
    });
    let eta = p
        .eta_seconds
        .filter(|_| status == Status::Training)
        .map(|s| match lang {
            Lang::En => format!("About {} left", human_duration(s, lang)),
            Lang::Zh => format!("预计剩余 {}", human_duration(s, lang)),
        });
    view! {
        <div class="progress-head">
            <span class=format!("status-text status-{}", status_class(status)) data-testid="status-text" data-status=status.as_str()>
                {lang.status(status)}
            </span>
            {stage_line.map(|s| view! { <span class="stage" data-testid="stage">{s}</span> })}
            {queue.map(|s| view! { <span class="queue" data-testid="queue-position">{s}</span> })}
            {eta.map(|s| view! { <span class="eta" data-testid="eta">{s}</span> })}
        </div>
        <ProgressBar rate=Signal::derive(move || rate) status=Signal::derive(move || status) large=true label=lang.t("Training progress", "训练进度").to_string() />
        {(status == Status::Failed).then(|| p.error_msg.clone()).flatten().map(|m| view! {
            <p class="error-msg" role="alert" data-testid="error-msg">{m}</p>
        })}
    }
}

fn human_duration(secs: i64, lang: Lang) -> String {
    let secs = secs.max(0);
    match (lang, secs) {
        (Lang::En, s) if s < 60 => format!("{s} s"),
        (Lang::En, s) => format!("{} min {} s", s / 60, s % 60),
        (Lang::Zh, s) if s < 60 => format!("{s} 秒"),
        (Lang::Zh, s) => format!("{} 分 {} 秒", s / 60, s % 60),
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn Controls(
    id: i64,
    status: Status,
    chosen: Vec<String>,
    tables: Result<Vec<crate::domain::dto::TableView>, AppError>,
    start: ServerAction<StartTraining>,
    pause: ServerAction<PauseTraining>,
    resume: ServerAction<ResumeTraining>,
    cancel: ServerAction<CancelTraining>,
    delete_data: ServerAction<DeleteTrainingData>,
) -> impl IntoView {
    let lang = use_lang();
    let can_start = matches!(status, Status::Pending | Status::Completed | Status::Failed);
    let busy = status.is_active();
    view! {
        <div class="controls">
            {busy.then(|| view! {
                <ActionForm action=pause attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="btn btn-warning" data-testid="pause">{lang.t("Pause", "暂停训练")}</button>
                </ActionForm>
            })}
            {(status == Status::Paused).then(|| view! {
                <ActionForm action=resume attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="btn btn-primary" data-testid="resume">{lang.t("Resume", "继续训练")}</button>
                </ActionForm>
            })}
            {status.has_open_run().then(|| view! {
                <ActionForm action=cancel attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="btn" data-testid="cancel">{lang.t("Cancel", "取消训练")}</button>
                </ActionForm>
            })}
            <ActionForm action=delete_data attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="btn btn-danger" data-testid="delete-data" disabled=busy
                    on:click=confirm_click(lang.t("Delete all training data of this dataset?", "删除此数据集的全部训练数据？"))>
                    {lang.t("Delete training data", "删除训练数据")}
                </button>
            </ActionForm>
        </div>
        {can_start.then(|| view! {
            <ActionForm action=start attr:class="train-form">
                <input type="hidden" name="id" value=id />
                <fieldset class="table-picker">
                    <legend>{lang.t("Tables to train", "要训练的表")}</legend>
                    {match &tables {
                        Ok(list) => {
                            let all = chosen.is_empty();
                            list.iter().enumerate().map(|(i, t)| {
                                let checked = all || chosen.contains(&t.name);
                                view! {
                                    <label class="check">
                                        <input type="checkbox" name=format!("table_names[{i}]") value=t.name.clone() aria-label=t.name.clone() checked=checked />
                                        " " {t.name.clone()} <span class="muted">{format!(" ({})", t.column_count)}</span>
                                    </label>
                                }
                            }).collect_view().into_any()
                        }
                        Err(e) => view! {
                            <p class="error" role="alert" data-testid="source-error">
                                {lang.t("Cannot read the source's tables: ", "无法读取源数据库的表：")}{e.to_string()}
                            </p>
                        }.into_any(),
                    }}
                </fieldset>
                <details class="advanced">
                    <summary>{lang.t("Advanced", "高级")}</summary>
                    <label for="max_items_per_sec">{lang.t("Speed limit (items per second, protects production databases)", "速度限制（每秒条目数，保护生产数据库）")}</label>
                    <input id="max_items_per_sec" type="number" name="max_items_per_sec" min="0.1" step="any" />
                </details>
                <button type="submit" class="btn btn-primary" data-testid="train">{lang.t("Train", "开始训练")}</button>
            </ActionForm>
        })}
    }
}

#[component]
fn SearchBox(
    id: i64,
    q: Memo<String>,
    search: Resource<Result<Option<crate::domain::dto::SearchResult>, AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card">
            <h2>{lang.t("Try it: what does the trained collection return?", "试一试：训练后的知识库会返回什么？")}</h2>
            <form method="get" action=format!("/datasets/{id}") class="search-form" role="search">
                <input type="search" name="q" value=move || q.get() aria-label=lang.t("Question", "问题")
                    placeholder=lang.t("How many tracks are there?", "每个客户有多少张发票？") />
                <button type="submit" class="btn">{lang.t("Search", "搜索")}</button>
            </form>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match search.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(r)) if r.items.is_empty() => view! {
                            <p class="muted" data-testid="search-empty">{lang.t("Nothing found in the trained collection.", "训练后的知识库中没有找到相关内容。")}</p>
                        }.into_any(),
                        Ok(Some(r)) => view! {
                            <ol class="search-results" data-testid="search-results">
                                {r.items.into_iter().map(|item| view! {
                                    <li class="search-item">
                                        <div class="search-meta">
                                            <span class=format!("kind kind-{}", item.kind)>{item.kind.clone()}</span>
                                            {item.table_name.clone().map(|t| view! { <strong>{t}</strong> })}
                                            {item.question.clone().map(|qq| view! { <span class="muted">{qq}</span> })}
                                        </div>
                                        <pre>{item.content}</pre>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Docs(
    id: i64,
    docs: Resource<Result<Vec<crate::domain::dto::DocView>, AppError>>,
    add_doc: ServerAction<AddDoc>,
    delete_doc: ServerAction<DeleteDoc>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card">
            <h2>{lang.t("Documentation and business terms", "文档与业务术语")}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match docs.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">{lang.t("None yet.", "暂无。")}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="docs" data-testid="docs">
                                {list.into_iter().map(|d| view! {
                                    <li>
                                        <strong>{d.title.clone()}</strong>
                                        <p class="doc-content">{d.content.chars().take(300).collect::<String>()}</p>
                                        <ActionForm action=delete_doc attr:class="inline-form">
                                            <input type="hidden" name="id" value=id />
                                            <input type="hidden" name="doc_id" value=d.id />
                                            <button type="submit" class="btn btn-link">{lang.t("Remove", "删除")}</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=add_doc attr:class="doc-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="doc-title">{lang.t("Title", "标题")}</label>
                    <input id="doc-title" type="text" name="title" maxlength="200" />
                </div>
                <div class="field">
                    <label for="doc-content">{lang.t("Content (used at the next training)", "内容（下次训练时使用）")}</label>
                    <textarea id="doc-content" name="content" rows="4" required></textarea>
                </div>
                <button type="submit" class="btn">{lang.t("Add", "添加")}</button>
            </ActionForm>
            <p class="error">{move || add_doc.value().get().and_then(|r| r.err()).map(|e| e.to_string())}</p>
        </section>
    }
}
