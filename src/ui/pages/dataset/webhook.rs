//! The dataset's webhook: the URL told of every terminal change, and its
//! signing secret, shown once when the URL is first set.

use leptos::prelude::*;

use crate::server_fns::datasets::SetWebhook;
use crate::ui::i18n::use_lang;

#[component]
pub(super) fn Webhook(
    id: i64,
    url: Option<String>,
    set_webhook: ServerAction<SetWebhook>,
) -> impl IntoView {
    let lang = use_lang();
    let outcome = set_webhook.value();
    view! {
        <section class="card" data-testid="webhook">
            <h2>{lang.t("Webhook", "Webhook 通知")}</h2>
            <p class="muted">{lang.t(
                "When a run completes, fails, pauses or is cancelled, datatrain POSTs it to this URL, signed in X-Datatrain-Signature.",
                "训练完成、失败、暂停或取消时，datatrain 会向此地址发送 POST 请求，签名在 X-Datatrain-Signature 中。",
            )}</p>
            <ActionForm action=set_webhook attr:class="webhook-form">
                <input type="hidden" name="id" value=id />
                <div class="field">
                    <label for="webhook-url">{lang.t("Webhook URL (empty removes it)", "Webhook 地址（留空即移除）")}</label>
                    <input id="webhook-url" type="url" name="webhook_url" value=url.unwrap_or_default() placeholder="https://…" />
                </div>
                <button type="submit" class="btn">{lang.t("Save", "保存")}</button>
            </ActionForm>
            <div aria-live="polite">
                {move || match outcome.get() {
                    Some(Ok(view)) => match view.webhook_secret {
                        Some(secret) => view! {
                            <p>
                                {lang.t("Saved. The signing secret, shown only now:", "已保存。签名密钥仅此一次显示：")}
                                " "<code data-testid="webhook-secret">{secret}</code>
                            </p>
                        }.into_any(),
                        None => view! { <p>{lang.t("Saved.", "已保存。")}</p> }.into_any(),
                    },
                    Some(Err(e)) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    None => ().into_any(),
                }}
            </div>
        </section>
    }
}
