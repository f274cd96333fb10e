use leptos::html::Input;
use leptos::prelude::*;

use crate::server_fns::datasets::{CreateDataset, ProbeSource};
use crate::ui::components::form_error::query_error;
use crate::ui::i18n::use_lang;

/// `/datasets/new`: name, source URL, "test connection" listing the source's
/// tables to pick, and documentation / business terms to add.
#[component]
pub fn NewDatasetPage() -> impl IntoView {
    let lang = use_lang();
    let create = ServerAction::<CreateDataset>::new();
    let query_error = query_error();
    let probe = ServerAction::<ProbeSource>::new();
    let url_input = NodeRef::<Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            let _ = window().location().set_href(&format!("/datasets/{id}"));
        }
    });
    let test_connection = move |_| {
        if let Some(input) = url_input.get() {
            probe.dispatch(ProbeSource {
                source_url: input.value(),
            });
        }
    };
    view! {
        <section class="card narrow">
            <h1>{lang.t("New dataset", "新建数据集")}</h1>
            <ActionForm action=create>
                <div class="field">
                    <label for="name">{lang.t("Name", "名称")}</label>
                    <input id="name" type="text" name="name" required maxlength="100" />
                </div>
                <div class="field">
                    <label for="source_url">{lang.t("Source database URL", "源数据库 URL")}</label>
                    <div class="input-row">
                        <input id="source_url" type="text" name="source_url" required node_ref=url_input
                            placeholder="sqlite://chinook.sqlite · postgres://user:password@host/db · mysql://user:password@host/db" />
                        <button type="button" class="btn" data-testid="test-connection" on:click=test_connection
                            disabled=move || probe.pending().get()>
                            {lang.t("Test connection", "测试连接")}
                        </button>
                    </div>
                    <p class="hint muted">
                        {lang.t(
                            "SQLite files must be in the server's sources folder. The password is kept on the server and never shown again.",
                            "SQLite 文件必须位于服务器的 sources 目录中。密码只保存在服务器上，不会再次显示。",
                        )}
                    </p>
                </div>
                {move || probe.value().get().map(|result| match result {
                    Ok(tables) => view! {
                        <fieldset class="table-picker" data-testid="probe-tables">
                            <legend>{lang.t("Connected. Tables to train", "连接成功。要训练的表")}</legend>
                            {tables.into_iter().enumerate().map(|(i, t)| view! {
                                <label class="check">
                                    <input type="checkbox" name=format!("table_names[{i}]") value=t.name.clone() aria-label=t.name.clone() checked=true />
                                    " " {t.name.clone()} <span class="muted">{format!(" ({})", t.column_count)}</span>
                                </label>
                            }).collect_view()}
                        </fieldset>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert" data-testid="probe-error">{e.to_string()}</p> }.into_any(),
                })}
                <div class="field">
                    <label for="description">{lang.t("Description (optional)", "描述（可选）")}</label>
                    <textarea id="description" name="description" rows="2" maxlength="2000"></textarea>
                </div>
                <details class="advanced">
                    <summary>{lang.t("Documentation / business terms (optional)", "文档 / 业务术语（可选）")}</summary>
                    <div class="field">
                        <label for="doc_title">{lang.t("Title", "标题")}</label>
                        <input id="doc_title" type="text" name="doc_title" maxlength="200" />
                    </div>
                    <div class="field">
                        <label for="doc_content">{lang.t("Content", "内容")}</label>
                        <textarea id="doc_content" name="doc_content" rows="4"></textarea>
                    </div>
                </details>
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                    {lang.t("Create dataset", "创建数据集")}
                </button>
            </ActionForm>
            <p class="error" role="alert" data-testid="form-error">
                {move || create.value().get().and_then(|r| r.err()).map(|e| e.to_string()).or_else(|| query_error.get())}
            </p>
        </section>
    }
}
