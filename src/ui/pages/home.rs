use leptos::prelude::*;

use crate::server_fns::check_server::CheckServer;

#[component]
pub fn HomePage() -> impl IntoView {
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
        <section class="hero">
            <h1>"Train what your SQL assistant knows"</h1>
            <p class="lead">
                "datatrain learns the DDL of your tables, your business terms and example "
                "question → SQL pairs from your own databases, and lets you watch and control "
                "that training live."
            </p>
            <ActionForm action=check attr:class="inline-form">
                <button type="submit" class="btn btn-primary" data-testid="check-server">
                    "Check server"
                </button>
            </ActionForm>
            <p class="answer" data-testid="server-answer" aria-live="polite">
                {move || if check.pending().get() { Some("Checking…".to_string()) } else { answer() }}
            </p>
        </section>
    }
}
