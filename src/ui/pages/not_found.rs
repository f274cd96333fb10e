use leptos::prelude::*;
use leptos_router::components::A;

/// The 404 page; on the server it also sets the response status.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card empty-state" data-testid="not-found">
            <h1>"404 · Page not found"</h1>
            <p class="muted">"There is nothing here, or it is not yours to see."</p>
            <A href="/">"Back to the start page"</A>
        </section>
    }
}
