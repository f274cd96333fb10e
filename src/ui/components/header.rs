use leptos::prelude::*;
use leptos_router::components::A;

use super::require_user::user_resource;
use crate::domain::i18n::Lang;
use crate::server_fns::auth::{Logout, SetLang};
use crate::ui::i18n::use_lang;

#[component]
pub fn Header() -> impl IntoView {
    let lang = use_lang();
    let user = user_resource();
    let logout = ServerAction::<Logout>::new();
    let set_lang = ServerAction::<SetLang>::new();
    // With JavaScript, a finished switch or log-out reloads the page so that everything re-renders.
    Effect::new(move |_| {
        if set_lang.version().get() > 0 || logout.version().get() > 0 {
            let target = if logout.version().get() > 0 {
                "/login".to_string()
            } else {
                window().location().href().unwrap_or_default()
            };
            let _ = window().location().set_href(&target);
        }
    });
    let other = match lang {
        Lang::En => Lang::Zh,
        Lang::Zh => Lang::En,
    };
    view! {
        <header class="site-header">
            <div class="container header-row">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " datatrain"
                </A>
                <nav class="nav">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match user.await {
                                Ok(Some(u)) => view! {
                                    <A href="/">{lang.t("Datasets", "数据集")}</A>
                                    <A href="/datasets/new">{lang.t("New dataset", "新建数据集")}</A>
                                    <A href="/account">{lang.t("API tokens", "API 令牌")}</A>
                                    <span class="user" data-testid="current-user">{u.username}</span>
                                    <ActionForm action=logout attr:class="inline-form">
                                        <button type="submit" class="btn btn-link">{lang.t("Log out", "退出")}</button>
                                    </ActionForm>
                                }.into_any(),
                                _ => view! {
                                    <A href="/login">{lang.t("Log in", "登录")}</A>
                                    <A href="/signup">{lang.t("Sign up", "注册")}</A>
                                }.into_any(),
                            }
                        })}
                    </Transition>
                    <ActionForm action=set_lang attr:class="inline-form">
                        <input type="hidden" name="lang" value=format!("{other:?}") />
                        <button type="submit" class="btn btn-link" data-testid="lang-switch" lang=other.code()>
                            {match other { Lang::En => "English", Lang::Zh => "中文" }}
                        </button>
                    </ActionForm>
                </nav>
            </div>
        </header>
    }
}
