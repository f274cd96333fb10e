//! The progress card: status (a live region), stage, queue position and time
//! left, the bar, the controls, and the error of the last training action.

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
    /// The status the page loaded with, until the first progress arrives.
    initial: Status,
    /// The status of the latest progress, set here as progress arrives.
    latest: RwSignal<Option<Status>>,
    /// The tables the dataset trains.
    chosen: Resource<Result<Vec<String>, AppError>>,
    progress: Resource<Result<Progress, AppError>>,
    tables: Resource<Result<Vec<TableView>, AppError>>,
    actions: TrainingActions,
) -> impl IntoView {
    let lang = use_lang();
    let query_error = query_error();
    // The status moves only when it changes: the status text, the controls and
    // the live region are kept, not rebuilt, at every poll.
    let status = Memo::new(move |_| latest.get().unwrap_or(initial));
    let card = NodeRef::<leptos::html::Section>::new();
    keep_focus(card, status);
    view! {
        <section class="card progress-card" data-testid="progress-card" node_ref=card>
            <div class="progress-head">
                // Announced by screen readers when it changes (one stable element).
                <span
                    class=move || format!("status-text status-{}", status_class(status.get()))
                    data-testid="status-text"
                    data-status=move || status.get().as_str()
                    role="status"
                    aria-live="polite"
                    aria-atomic="true"
                >
                    {move || lang.status(status.get())}
                </span>
            </div>
            // Progress is read here only (one boundary per resource).
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let answer = progress.await;
                    let now = answer.as_ref().ok().map(|p| p.status);
                    if now.is_some() && now != latest.get_untracked() {
                        latest.set(now);
                    }
                    match answer {
                        Ok(p) => view! {
                            <ProgressDetails p=p.clone() lang=lang />
                            <ProgressPanel p=p lang=lang />
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <Controls id=id status=status chosen=chosen tables=tables actions=actions />
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

/// After a training action that removed the button it was sent from (Train,
/// Cancel), keyboard focus goes to the control that took its place instead of
/// falling back to the page (Pause and Resume are one button and keep it).
fn keep_focus(card: NodeRef<leptos::html::Section>, status: Memo<Status>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let sent = StoredValue::new(false);
        Effect::new(move |_| {
            if let Some(el) = card.get() {
                let closure = leptos::wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
                    sent.set_value(true)
                });
                let _ =
                    el.add_event_listener_with_callback("submit", closure.as_ref().unchecked_ref());
                closure.forget();
            }
        });
        Effect::new(move |prev: Option<Status>| {
            let now = status.get();
            if prev.is_some_and(|p| p != now) && sent.get_value() {
                sent.set_value(false);
                request_animation_frame(move || {
                    let lost = document()
                        .active_element()
                        .is_none_or(|a| a.tag_name().eq_ignore_ascii_case("body"));
                    if !lost {
                        return;
                    }
                    if let Some(el) = card.get_untracked()
                        && let Ok(Some(next)) = el.query_selector(
                            "[data-testid=pause], [data-testid=resume], [data-testid=train]",
                        )
                        && let Ok(next) = next.dyn_into::<leptos::web_sys::HtmlElement>()
                    {
                        let _ = next.focus();
                    }
                });
            }
            now
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (card, status);
}

/// The stage, the queue position and the time left.
#[component]
fn ProgressDetails(p: Progress, lang: Lang) -> impl IntoView {
    let status = p.status;
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
        <div class="progress-details">
            {stage_line.map(|s| view! { <span class="stage" data-testid="stage">{s}</span> })}
            {queue.map(|s| view! { <span class="queue" data-testid="queue-position">{s}</span> })}
            {eta.map(|s| view! { <span class="eta" data-testid="eta">{s}</span> })}
        </div>
    }
}

/// The bar, and the error of a failed run.
#[component]
fn ProgressPanel(p: Progress, lang: Lang) -> impl IntoView {
    let status = p.status;
    let rate = p.process_rate;
    view! {
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
