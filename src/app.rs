//! The HTML shell, the router and the layout.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::ui::components::header::Header;
use crate::ui::components::require_user::RequireUser;
use crate::ui::i18n::detect_lang;
use crate::ui::pages::account::AccountPage;
use crate::ui::pages::auth::{LoginPage, SignupPage};
use crate::ui::pages::dataset::DatasetPage;
use crate::ui::pages::datasets::DatasetsPage;
use crate::ui::pages::new_dataset::NewDatasetPage;
use crate::ui::pages::not_found::NotFound;
use crate::ui::pages::status::StatusPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = detect_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(detect_lang());
    // Effects run only in the browser, after hydration: tests wait for this marker.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    // Every page waits for its data on the server (SsrMode::Async), so it is complete without JavaScript.
    view! {
        <Stylesheet id="leptos" href="/pkg/datatrain.css" />
        <Title text="datatrain" />
        <Router>
            <Header />
            <main class="container">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("/status") view=StatusPage ssr=SsrMode::Async />
                    <Route path=path!("/") view=|| view! { <RequireUser><DatasetsPage /></RequireUser> } ssr=SsrMode::Async />
                    <Route path=path!("/datasets/new") view=|| view! { <RequireUser><NewDatasetPage /></RequireUser> } ssr=SsrMode::Async />
                    <Route path=path!("/account") view=|| view! { <RequireUser><AccountPage /></RequireUser> } ssr=SsrMode::Async />
                    <Route path=path!("/datasets/:id") view=|| view! { <RequireUser><DatasetPage /></RequireUser> } ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
