//! A card that lists what a resource loaded: its items, a line saying there
//! are none, or the error.

use leptos::prelude::*;

use crate::domain::error::AppError;

/// What a listed resource holds: the items, or `None` when there is nothing
/// to list yet (a search before any question), which shows nothing at all.
pub(super) trait Listing {
    type Item;
    fn into_items(self) -> Option<Vec<Self::Item>>;
}

impl<T> Listing for Vec<T> {
    type Item = T;
    fn into_items(self) -> Option<Vec<T>> {
        Some(self)
    }
}

impl<T> Listing for Option<Vec<T>> {
    type Item = T;
    fn into_items(self) -> Option<Vec<T>> {
        self
    }
}

/// `<section class="card">` with `title`, then `before`, then the list as
/// `render` draws it (or the `empty` line, or the error), then the children.
#[component]
pub(super) fn ListSection<L, R>(
    title: &'static str,
    list: Resource<Result<L, AppError>>,
    render: R,
    empty: &'static str,
    /// The `data-testid` of the `empty` line, if the tests look for it.
    #[prop(optional)]
    empty_testid: Option<&'static str>,
    #[prop(optional, into)] before: ViewFnOnce,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView
where
    L: Listing + Clone + Send + Sync + 'static,
    R: Fn(Vec<L::Item>) -> AnyView + Copy + Send + Sync + 'static,
{
    view! {
        <section class="card">
            <h2>{title}</h2>
            {before.run()}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await.map(Listing::into_items) {
                        Ok(None) => ().into_any(),
                        Ok(Some(items)) if items.is_empty() => view! {
                            <p class="muted" data-testid=empty_testid>{empty}</p>
                        }.into_any(),
                        Ok(Some(items)) => render(items),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {children.map(|children| children())}
        </section>
    }
}
