//! "Try it": a question against the trained collection, and what it returns.

use leptos::prelude::*;

use super::list_section::ListSection;
use crate::domain::dto::SearchItem;
use crate::domain::error::AppError;
use crate::ui::i18n::use_lang;

/// The items found for the page's `?q=`; `None` while there is no question.
pub(super) type Found = Resource<Result<Option<Vec<SearchItem>>, AppError>>;

#[component]
pub(super) fn SearchBox(id: i64, q: Memo<String>, search: Found) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ListSection
            title=lang.t("Try it: what does the trained collection return?", "试一试：训练后的知识库会返回什么？")
            before={move || view! {
                <form method="get" action=format!("/datasets/{id}") class="search-form" role="search">
                    <input type="search" name="q" value=move || q.get() aria-label=lang.t("Question", "问题")
                        placeholder=lang.t("How many tracks are there?", "每个客户有多少张发票？") />
                    <button type="submit" class="btn">{lang.t("Search", "搜索")}</button>
                </form>
            }}
            list=search
            empty=lang.t("Nothing found in the trained collection.", "训练后的知识库中没有找到相关内容。")
            empty_testid="search-empty"
            render={|items: Vec<SearchItem>| view! {
                <ol class="search-results" data-testid="search-results">
                    {items.into_iter().map(|item| view! {
                        <li class="search-item">
                            <div class="search-meta">
                                <span class=format!("kind kind-{}", item.kind)>{item.kind.to_string()}</span>
                                {item.table_name.clone().map(|t| view! { <strong>{t}</strong> })}
                                {item.question.clone().map(|qq| view! { <span class="muted">{qq}</span> })}
                            </div>
                            <pre>{item.content}</pre>
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()}
        />
    }
}
