use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::domain::dto::UserView;
use crate::domain::error::AppError;

/// The signed-in user, loaded once per page load by `App`.
pub type UserResource = Resource<Result<Option<UserView>, AppError>>;

/// Renders its children for a signed-in user; sends anyone else to `/login`.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<UserResource>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match user.await {
                        Ok(Some(_)) => children().into_any(),
                        _ => view! { <Redirect path="/login" /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
