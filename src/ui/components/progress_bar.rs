use leptos::prelude::*;

use crate::domain::status::Status;

/// The colour class of a status (the `el-progress` status names):
/// completed → success, failed → exception, paused → warning, else primary.
pub fn status_class(status: Status) -> &'static str {
    match status {
        Status::Completed => "success",
        Status::Failed => "exception",
        Status::Paused => "warning",
        _ => "primary",
    }
}

/// An accessible progress bar (`role="progressbar"`, `aria-value*`) with the percentage shown.
#[component]
pub fn ProgressBar(
    #[prop(into)] rate: Signal<f64>,
    #[prop(into)] status: Signal<Status>,
    #[prop(optional)] large: bool,
    #[prop(optional, into)] label: String,
) -> impl IntoView {
    let value = move || rate.get().clamp(0.0, 100.0);
    let shown = move || format!("{:.0}%", value().floor());
    view! {
        <div class="progress" class:progress-large=large>
            <div
                class=move || format!("progress-track status-{}", status_class(status.get()))
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || format!("{}", value().floor())
                data-status=move || status.get().as_str()
            >
                <div class="progress-fill" style=move || format!("width: {:.2}%", value())></div>
            </div>
            <span class="progress-text">{shown}</span>
        </div>
    }
}
