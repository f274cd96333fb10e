//! Curated question → SQL examples: the list, removing one, adding one (its SQL
//! runs read-only on the source first). Stage 4 indexes them before the
//! generated examples at every training.

use leptos::prelude::*;

use super::list_section::ListSection;
use crate::domain::dto::ExampleView;
use crate::domain::error::AppError;
use crate::server_fns::examples::{AddExample, DeleteExample};
use crate::ui::i18n::use_lang;

#[component]
pub(super) fn Examples(
    id: i64,
    examples: Resource<Result<Vec<ExampleView>, AppError>>,
    add_example: ServerAction<AddExample>,
    delete_example: ServerAction<DeleteExample>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ListSection
            title=lang.t("Curated examples", "精选示例")
            list=examples
            empty=lang.t("None yet.", "暂无。")
            render={move |list: Vec<ExampleView>| view! {
                <ul class="examples" data-testid="examples">
                    {list.into_iter().map(|e| view! {
                        <li>
                            <strong>{e.question.clone()}</strong>
                            <pre class="example-sql">{e.sql.clone()}</pre>
                            <ActionForm action=delete_example attr:class="inline-form">
                                <input type="hidden" name="id" value=id />
                                <input type="hidden" name="example_id" value=e.id />
                                <button type="submit" class="btn btn-link">{lang.t("Remove", "删除")}</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()}
        >
            <ActionForm action=add_example attr:class="example-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="example-question">{lang.t("Question", "问题")}</label>
                    <input id="example-question" type="text" name="question" maxlength="1000" required />
                </div>
                <div class="field">
                    <label for="example-sql">{lang.t("SQL (checked on the source, used at the next training)", "SQL（先在数据源上校验，下次训练时使用）")}</label>
                    <textarea id="example-sql" name="sql" rows="4" required></textarea>
                </div>
                <button type="submit" class="btn">{lang.t("Add", "添加")}</button>
            </ActionForm>
            <p class="error">{move || add_example.value().get().and_then(|r| r.err()).map(|e| e.to_string())}</p>
        </ListSection>
    }
}
