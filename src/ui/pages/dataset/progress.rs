//! The progress card: status, stage, queue position and time left, the bar,
//! the controls, and the error of the last training action.

use leptos::prelude::*;

use super::controls::{Controls, TrainingActions};
use crate::domain::dto::{Progress, TableView};
use crate::domain::error::AppError;
use crate::domain::i18n::Lang;
use crate::domain::progress::STAGE_COUNT;
use crate::domain::status::Status;
use crate::ui::components::form_error::query_error;
use crate::ui::components::progress_bar::{ProgressBar, status_class};
use crate::ui::i18n::use_lang;

#[component]
pub(super) fn ProgressCard(
    id: i64,
    /// The tables the dataset trains (empty: all of them).
    chosen: Vec<String>,
    progress: Resource<Result<Progress, AppError>>,
    tables: Resource<Result<Vec<TableView>, AppError>>,
    actions: TrainingActions,
) -> impl IntoView {
    let lang = use_lang();
    let query_error = query_error();
    view! {
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
                    let chosen = chosen.clone();
                    Suspend::new(async move {
                        let status = progress.await.map(|p| p.status).unwrap_or(Status::Pending);
                        let tables = tables.await;
                        view! { <Controls id=id status=status chosen=chosen tables=tables actions=actions /> }
                    })
                }}
            </Transition>
            <p class="error" role="alert" data-testid="form-error">
                {move || {
                    actions.error()
                        // JavaScript off: any form of this page came back with ?error=.
                        .or_else(|| query_error.get())
                }}
            </p>
        </section>
    }
}

#[component]
fn ProgressPanel(p: Progress, lang: Lang) -> impl IntoView {
    let status = p.status;
    let rate = p.process_rate;
    let stage_line = p
        .stage
        .filter(|_| status.has_open_run())
        .and_then(|s| Some((s, lang.stage(s)?)))
        .map(|(s, title)| match lang {
            Lang::En => format!("Step {s}/{STAGE_COUNT} · {title}"),
            Lang::Zh => format!("第 {s}/{STAGE_COUNT} 步 · {title}"),
        });
    let queue = p.queue_position.map(|n| match lang {
        Lang::En => format!("Position in queue: {n}"),
        Lang::Zh => format!("排队位置：{n}"),
    });
    // While queued the estimate includes the wait for the runs ahead.
    let eta = p
        .eta_seconds
        .filter(|_| matches!(status, Status::Training | Status::Queued))
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
        (Lang::En, s) if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        (Lang::En, s) => format!("{} h {} min", s / 3600, s % 3600 / 60),
        (Lang::Zh, s) if s < 60 => format!("{s} 秒"),
        (Lang::Zh, s) if s < 3600 => format!("{} 分 {} 秒", s / 60, s % 60),
        (Lang::Zh, s) => format!("{} 小时 {} 分", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_both_languages() {
        assert_eq!(human_duration(42, Lang::En), "42 s");
        assert_eq!(human_duration(125, Lang::Zh), "2 分 5 秒");
        assert_eq!(human_duration(3 * 3600 + 7 * 60 + 9, Lang::En), "3 h 7 min");
        assert_eq!(human_duration(3600, Lang::Zh), "1 小时 0 分");
        assert_eq!(human_duration(-5, Lang::En), "0 s");
    }
}
