use leptos::prelude::*;

use crate::server_fns::datasets::CreateDataset;
use crate::ui::i18n::use_lang;

/// `/datasets/new`: name, source URL and description. The dataset page that
/// follows tests the connection, lists the tables to pick, and takes documentation.
#[component]
pub fn NewDatasetPage() -> impl IntoView {
    let lang = use_lang();
    let create = ServerAction::<CreateDataset>::new();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            let _ = window().location().set_href(&format!("/datasets/{id}"));
        }
    });
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
                    <input id="source_url" type="text" name="source_url" required placeholder="sqlite://chinook.sqlite · postgres://user:password@host/db · mysql://user:password@host/db" />
                    <p class="hint muted">
                        {lang.t(
                            "SQLite files must be in the server's sources folder. The password is kept on the server and never shown again.",
                            "SQLite 文件必须位于服务器的 sources 目录中。密码只保存在服务器上，不会再次显示。",
                        )}
                    </p>
                </div>
                <div class="field">
                    <label for="description">{lang.t("Description (optional)", "描述（可选）")}</label>
                    <textarea id="description" name="description" rows="3" maxlength="2000"></textarea>
                </div>
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                    {lang.t("Create and test the connection", "创建并测试连接")}
                </button>
            </ActionForm>
            <p class="error" role="alert">
                {move || create.value().get().and_then(|r| r.err()).map(|e| e.to_string())}
            </p>
        </section>
    }
}
