//! `/account`: the signed-in user's API tokens — create one (shown once, to
//! copy), see when each was last used, revoke.

use leptos::prelude::*;

use crate::domain::dto::TokenView;
use crate::server_fns::tokens::{CreateToken, RevokeToken, list_tokens, take_new_token};
use crate::ui::components::form_error::query_error;
use crate::ui::i18n::use_lang;

fn short_time(t: &str) -> String {
    t.replace('T', " ")
        .trim_end_matches('Z')
        .chars()
        .take(16)
        .collect()
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let lang = use_lang();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let new_token = Resource::new(move || create.version().get(), |_| take_new_token());
    let form_error = query_error();
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| revoke.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
            .or_else(|| form_error.get())
    };
    view! {
        <div class="page-head">
            <h1>{lang.t("Account", "账户")}</h1>
        </div>
        <section class="card" data-testid="tokens">
            <h2>{lang.t("API tokens", "API 令牌")}</h2>
            <p class="muted">
                {lang.t(
                    "Scripts and assistants (MCP, Dify, Vanna) use your datasets with a token: \"read\" reads and searches, \"train\" also starts and controls training and adds documents and examples.",
                    "脚本和助手（MCP、Dify、Vanna）通过令牌使用你的数据集：“read”可读取和检索，“train”还可以开始和控制训练、添加文档和示例。",
                )}
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match new_token.await.ok().flatten() {
                        None => ().into_any(),
                        Some(t) => view! {
                        <div class="token-once" role="status" data-testid="new-token">
                            <p>
                                <strong>{lang.t("Copy this token now: it is not shown again.", "请立即复制此令牌：它不会再次显示。")}</strong>
                            </p>
                            <input
                                class="token-value"
                                type="text"
                                readonly
                                aria-label=lang.t("New API token", "新的 API 令牌")
                                value=t.token.clone()
                                data-testid="new-token-value"
                            />
                        </div>
                        }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=create attr:class="token-form">
                <div class="field">
                    <label for="token-name">{lang.t("Name", "名称")}</label>
                    <input id="token-name" type="text" name="name" maxlength="100" required />
                </div>
                <div class="field">
                    <label for="token-scope">{lang.t("Scope", "权限")}</label>
                    <select id="token-scope" name="scope">
                        <option value="read">"read"</option>
                        <option value="train">"train"</option>
                    </select>
                </div>
                <button type="submit" class="btn btn-primary" data-testid="create-token">
                    {lang.t("Create token", "创建令牌")}
                </button>
            </ActionForm>
            <p class="error" role="alert">{error}</p>
            <Transition fallback=move || view! { <p class="muted">{lang.t("Loading…", "加载中…")}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-testid="no-tokens">{lang.t("No tokens yet.", "还没有令牌。")}</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="token-list" data-testid="token-list">
                                {list.into_iter().map(|t: TokenView| view! {
                                    <li class="token-row">
                                        <strong class="token-name">{t.name.clone()}</strong>
                                        <span class="kind">{t.scope.as_str()}</span>
                                        <span class="muted">
                                            {lang.t("Created ", "创建于 ")}{short_time(&t.created_at)}
                                            " · "
                                            {lang.t("last used ", "上次使用 ")}
                                            {t.last_used_at.as_deref().map(short_time).unwrap_or_else(|| lang.t("never", "从未").into())}
                                        </span>
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="id" value=t.id />
                                            <button type="submit" class="btn btn-link">{lang.t("Revoke", "撤销")}</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
