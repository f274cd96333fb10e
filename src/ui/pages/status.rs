use leptos::prelude::*;

use crate::server_fns::check_server::CheckServer;
use crate::ui::i18n::use_lang;

/// System status: a button asks the server for its version and database health.
#[component]
pub fn StatusPage() -> impl IntoView {
    let lang = use_lang();
    let check = ServerAction::<CheckServer>::new();
    let answer = move || {
        check.value().get().map(|result| match result {
            Ok(s) if s.database_ok => format!("Server {} is up; its database answers.", s.version),
            Ok(s) => format!(
                "Server {} is up, but its database does not answer.",
                s.version
            ),
            Err(e) => format!("The server did not answer: {e}"),
        })
    };
    view! {
        <section class="card">
            <h1>{lang.t("System status", "系统状态")}</h1>
            <ActionForm action=check attr:class="inline-form">
                <button type="submit" class="btn btn-primary" data-testid="check-server">
                    {lang.t("Check server", "检查服务器")}
                </button>
            </ActionForm>
            <p class="answer" data-testid="server-answer" aria-live="polite">
                {move || if check.pending().get() { Some("…".to_string()) } else { answer() }}
            </p>
        </section>
    }
}
