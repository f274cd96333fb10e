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
        <ol class="logs" data-testid="logs">
            {list.into_iter().map(|l| view! {
                <li class=format!("log-{}", l.level) data-code=l.code.clone()>
                    <time datetime=l.created_at.clone()>{short_time(&l.created_at)}</time>" "{l.text(lang)}
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}

pub(super) fn run_table(list: Vec<RunView>) -> AnyView {
    let lang = use_lang();
    view! {
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
    }
    .into_any()
}
