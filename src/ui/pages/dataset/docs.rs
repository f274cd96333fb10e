//! Documentation and business terms: the list, removing one, adding one.

use leptos::prelude::*;

use super::list_section::ListSection;
use crate::domain::dto::DocView;
use crate::domain::error::AppError;
use crate::server_fns::datasets::{AddDoc, DeleteDoc};
use crate::ui::i18n::use_lang;

#[component]
pub(super) fn Docs(
    id: i64,
    docs: Resource<Result<Vec<DocView>, AppError>>,
    add_doc: ServerAction<AddDoc>,
    delete_doc: ServerAction<DeleteDoc>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ListSection
            title=lang.t("Documentation and business terms", "文档与业务术语")
            list=docs
            empty=lang.t("None yet.", "暂无。")
            render={move |list: Vec<DocView>| view! {
                <ul class="docs" data-testid="docs">
                    {list.into_iter().map(|d| view! {
                        <li>
                            <strong>{d.title.clone()}</strong>
                            <p class="doc-content">{d.content.chars().take(300).collect::<String>()}</p>
                            <ActionForm action=delete_doc attr:class="inline-form">
                                <input type="hidden" name="id" value=id />
                                <input type="hidden" name="doc_id" value=d.id />
                                <button type="submit" class="btn btn-link">{lang.t("Remove", "删除")}</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()}
        >
            <ActionForm action=add_doc attr:class="doc-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="doc-title">{lang.t("Title", "标题")}</label>
                    <input id="doc-title" type="text" name="title" maxlength="200" />
                </div>
                <div class="field">
                    <label for="doc-content">{lang.t("Content (used at the next training)", "内容（下次训练时使用）")}</label>
                    <textarea id="doc-content" name="content" rows="4" required></textarea>
                </div>
                <button type="submit" class="btn">{lang.t("Add", "添加")}</button>
            </ActionForm>
            <p class="error">{move || add_doc.value().get().and_then(|r| r.err()).map(|e| e.to_string())}</p>
        </ListSection>
    }
}
