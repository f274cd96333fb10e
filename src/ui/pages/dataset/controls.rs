//! What can be done to the training now: pause, resume, cancel, delete the
//! trained data, or pick tables and train.

use leptos::prelude::*;

use super::confirm_click;
use crate::domain::dto::TableView;
use crate::domain::error::AppError;
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

#[component]
pub(super) fn Controls(
    id: i64,
    status: Status,
    chosen: Vec<String>,
    tables: Result<Vec<TableView>, AppError>,
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
