//! How the newest training logs and the run history are drawn (in a
//! [`ListSection`](super::list_section::ListSection) each).

use leptos::prelude::*;

use super::short_time;
use crate::domain::dto::{LogEntry, RunView};
use crate::ui::i18n::use_lang;

/// Each line in the page's language (from its code; as stored when it has none).
pub(super) fn log_list(list: Vec<LogEntry>) -> AnyView {
    let lang = use_lang();
    view! {
        // Scrolls: reachable by keyboard (tabindex) and named for screen readers.
        <ol class="logs" data-testid="logs" tabindex="0" aria-label=lang.t("Training logs", "训练日志")>
            {list.into_iter().map(|l| view! {
                <li class=format!("log-{}", l.level) data-code=l.code.clone()>
                    <time datetime=l.created_at.clone()>{short_time(&l.created_at)}</time>" "{l.text(lang)}
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// A delivery's outcome in the page's language.
fn webhook_status(lang: crate::domain::i18n::Lang, status: &str) -> String {
    match status {
        "pending" => lang.t("pending", "待发送"),
        "delivered" => lang.t("delivered", "已送达"),
        "failed" => lang.t("failed", "失败"),
        other => other,
    }
    .to_string()
}

pub(super) fn run_table(list: Vec<RunView>) -> AnyView {
    let lang = use_lang();
    view! {
        <table class="runs" data-testid="runs">
            <thead><tr>
                <th>"#"</th><th>{lang.t("Status", "状态")}</th><th>{lang.t("Started", "开始")}</th>
                <th>{lang.t("Finished", "结束")}</th><th>{lang.t("Items", "条目")}</th>
                <th>{lang.t("Webhook", "Webhook")}</th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|r| view! {
                    <tr title=r.error.clone().unwrap_or_default()>
                        <td>{r.id}</td>
                        <td>{lang.run_status(&r.status)}</td>
                        <td>{r.started_at.as_deref().map(short_time).unwrap_or_default()}</td>
                        <td>{r.finished_at.as_deref().map(short_time).unwrap_or_default()}</td>
                        <td>{r.items}</td>
                        <td data-testid="webhook-status">{r.webhook_status.as_deref().map(|s| webhook_status(lang, s)).unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
