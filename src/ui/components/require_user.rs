use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::domain::dto::UserView;
use crate::domain::error::AppError;
use crate::server_fns::auth::current_user;

/// The signed-in user.
pub type UserResource = Resource<Result<Option<UserView>, AppError>>;

/// A fresh resource for the signed-in user: each boundary that shows the user
/// reads its own. (Leptos 0.8 can leave a server-rendered page unfinished for
/// good when two suspense boundaries read one resource, so none is shared.)
pub fn user_resource() -> UserResource {
    Resource::new(|| (), |_| current_user())
}

/// Renders its children, and sends anyone not signed in to `/login` (with
/// JavaScript off too: on the server the redirect is a 302).
///
/// The children are built here, outside the boundary that waits for the user:
/// a page built inside a `Suspend` would be rebuilt (its resources created
/// anew, the old ones dropped mid-fetch) whenever the server re-walks the
/// boundary, and Leptos 0.8 can then leave the response unfinished for good.
/// For anyone not signed in the page renders only its "not signed in" errors
/// (every server function checks the session) behind the redirect.
#[component]
pub fn RequireUser(children: Children) -> impl IntoView {
    let user = user_resource();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => ().into_any(),
                    _ => view! { <Redirect path="/login" /> }.into_any(),
                }
            })}
        </Transition>
        {children()}
    }
}
