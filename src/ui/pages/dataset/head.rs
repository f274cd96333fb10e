//! The dataset's name, source, description and when it was last trained.

use leptos::prelude::*;

use super::short_time;
use crate::domain::dto::DatasetView;
use crate::ui::i18n::use_lang;

#[component]
pub(super) fn DatasetHead(ds: DatasetView) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="page-head">
            <div>
                <h1 data-testid="dataset-name">{ds.name.clone()}</h1>
                <code class="source">{ds.source_url.clone()}</code>
                {(!ds.description.is_empty()).then(|| view! { <p class="muted">{ds.description.clone()}</p> })}
            </div>
            <div class="muted">
                {lang.t("Last trained: ", "上次训练：")}
                {ds.last_train_at.as_deref().map(short_time).unwrap_or_else(|| "—".into())}
            </div>
        </div>
    }
}
