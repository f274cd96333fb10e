//! What can be done to the training now: pause, resume, cancel, delete the
//! trained data, or pick tables and train.

use leptos::prelude::*;

use super::confirm_click;
use leptos::server_fn::ServerFn;

use crate::domain::dto::TableView;
use crate::domain::error::AppError;
use crate::domain::i18n::Lang;
use crate::domain::status::Status;
use crate::server_fns::training::{
    CancelTraining, DeleteTrainingData, PauseTraining, ResumeTraining, StartTraining,
};
use crate::ui::i18n::use_lang;

/// The page's training actions. They live as long as the page, so that their
/// errors survive the re-render their own refresh causes.
#[derive(Clone, Copy)]
pub(super) struct TrainingActions {
    start: ServerAction<StartTraining>,
    pause: ServerAction<PauseTraining>,
    resume: ServerAction<ResumeTraining>,
    cancel: ServerAction<CancelTraining>,
    delete_data: ServerAction<DeleteTrainingData>,
}

impl TrainingActions {
    pub(super) fn new() -> Self {
        TrainingActions {
            start: ServerAction::new(),
            pause: ServerAction::new(),
            resume: ServerAction::new(),
            cancel: ServerAction::new(),
            delete_data: ServerAction::new(),
        }
    }

    /// Moves on with every submission of any of them: what a training action
    /// changes (status, progress, logs, runs, the collection) keys on it.
    pub(super) fn version(self) -> usize {
        self.start.version().get()
            + self.pause.version().get()
            + self.resume.version().get()
            + self.cancel.version().get()
            + self.delete_data.version().get()
    }

    /// The error of the first of them that failed, if any.
    pub(super) fn error(self) -> Option<String> {
        [
            self.start.value().get().and_then(|r| r.err()),
            self.pause.value().get().and_then(|r| r.err()),
            self.resume.value().get().and_then(|r| r.err()),
            self.cancel.value().get().and_then(|r| r.err()),
            self.delete_data.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    }
}

/// The controls follow `status` in place: Pause and Resume are one button
/// (its form posts to whichever applies), so keyboard focus stays on it; a
/// button keeps its label while its action is pending or it is disabled.
#[component]
pub(super) fn Controls(
    id: i64,
    status: Memo<Status>,
    chosen: Resource<Result<Vec<String>, AppError>>,
    tables: Resource<Result<Vec<TableView>, AppError>>,
    actions: TrainingActions,
) -> impl IntoView {
    let lang = use_lang();
    let TrainingActions {
        start,
        pause,
        resume,
        cancel,
        delete_data,
    } = actions;
    let paused = move || status.get() == Status::Paused;
    let busy = move || status.get().is_active();
    let open_run = move || status.get().has_open_run();
    let can_start = move || {
        matches!(
            status.get(),
            Status::Pending | Status::Completed | Status::Failed
        )
    };
    let toggling = move || pause.pending().get() || resume.pending().get();
    let toggle = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if toggling() {
            return;
        }
        if status.get_untracked() == Status::Paused {
            resume.dispatch(ResumeTraining { id });
        } else {
            pause.dispatch(PauseTraining { id });
        }
    };
    view! {
        <div class="controls">
            <Show when=open_run>
                <form method="post" class="inline-form" on:submit=toggle
                    action=move || if paused() { <ResumeTraining as ServerFn>::url() } else { <PauseTraining as ServerFn>::url() }>
                    <input type="hidden" name="id" value=id />
                    <button type="submit"
                        class=move || if paused() { "btn btn-primary" } else { "btn btn-warning" }
                        data-testid=move || if paused() { "resume" } else { "pause" }
                        aria-disabled=move || toggling().then_some("true")>
                        {move || if paused() { lang.t("Resume", "继续训练") } else { lang.t("Pause", "暂停训练") }}
                    </button>
                </form>
                <ActionForm action=cancel attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="btn" data-testid="cancel"
                        aria-disabled=move || cancel.pending().get().then_some("true")>
                        {lang.t("Cancel", "取消训练")}
                    </button>
                </ActionForm>
            </Show>
            <ActionForm action=delete_data attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="btn btn-danger" data-testid="delete-data" disabled=busy
                    on:click=confirm_click(lang.t("Delete all training data of this dataset?", "删除此数据集的全部训练数据？"))>
                    {lang.t("Delete training data", "删除训练数据")}
                </button>
            </ActionForm>
        </div>
        <Show when=can_start>
            <ActionForm action=start attr:class="train-form">
                <input type="hidden" name="id" value=id />
                <fieldset class="table-picker">
                    <legend>{lang.t("Tables to train", "要训练的表")}</legend>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let chosen = chosen.await.unwrap_or_default();
                            table_checkboxes(tables.await, chosen, lang)
                        })}
                    </Transition>
                </fieldset>
                <details class="advanced">
                    <summary>{lang.t("Advanced", "高级")}</summary>
                    <label for="max_items_per_sec">{lang.t("Speed limit (items per second, protects production databases)", "速度限制（每秒条目数，保护生产数据库）")}</label>
                    <input id="max_items_per_sec" type="number" name="max_items_per_sec" min="0.1" step="any" />
                </details>
                <button type="submit" class="btn btn-primary" data-testid="train"
                    aria-disabled=move || start.pending().get().then_some("true")>
                    {lang.t("Train", "开始训练")}
                </button>
            </ActionForm>
        </Show>
    }
}

/// A checkbox per table of the source, checked when chosen (none chosen: all).
fn table_checkboxes(
    tables: Result<Vec<TableView>, AppError>,
    chosen: Vec<String>,
    lang: Lang,
) -> AnyView {
    match tables {
        Ok(list) => {
            let all = chosen.is_empty();
            list.into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let checked = all || chosen.contains(&t.name);
                    view! {
                        <label class="check">
                            <input type="checkbox" name=format!("table_names[{i}]") value=t.name.clone() aria-label=t.name.clone() checked=checked />
                            " " {t.name.clone()} <span class="muted">{format!(" ({})", t.column_count)}</span>
                        </label>
                    }
                })
                .collect_view()
                .into_any()
        }
        Err(e) => view! {
            <p class="error" role="alert" data-testid="source-error">
                {lang.t("Cannot read the source's tables: ", "无法读取源数据库的表：")}{e.to_string()}
            </p>
        }
        .into_any(),
    }
}
