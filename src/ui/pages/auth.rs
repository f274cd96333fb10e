use leptos::prelude::*;
use leptos_router::components::A;

use crate::server_fns::auth::{Login, Signup};
use crate::ui::components::form_error::query_error;
use crate::ui::i18n::use_lang;

fn go_home_on_success<E: Send + Sync + 'static>(
    value: impl Get<Value = Option<Result<(), E>>> + Send + Sync + 'static,
) {
    // The server also answers with a redirect; a full load makes every part of the page see the new session.
    Effect::new(move |_| {
        if matches!(value.get(), Some(Ok(_))) {
            let _ = window().location().set_href("/");
        }
    });
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = use_lang();
    let login = ServerAction::<Login>::new();
    go_home_on_success(login.value());
    let query_error = query_error();
    view! {
        <section class="auth">
            <div class="hero">
                <h1>{lang.t("Train what your SQL assistant knows", "训练你的 SQL 助手所需的知识")}</h1>
                <p class="lead">
                    {lang.t(
                        "datatrain learns the DDL of your tables, your business terms and example question → SQL pairs from your own databases, and lets you watch and control that training live.",
                        "datatrain 从你自己的数据库中学习表结构（DDL）、业务术语和示例问题 → SQL，并让你实时查看和控制训练过程。",
                    )}
                </p>
            </div>
            <div class="card auth-card">
                <h2>{lang.t("Log in", "登录")}</h2>
                <ActionForm action=login>
                    <div class="field">
                        <label for="username">{lang.t("Username", "用户名")}</label>
                        <input id="username" type="text" name="username" autocomplete="username" required />
                    </div>
                    <div class="field">
                        <label for="password">{lang.t("Password", "密码")}</label>
                        <input id="password" type="password" name="password" autocomplete="current-password" required />
                    </div>
                    <button type="submit" class="btn btn-primary" disabled=move || login.pending().get()>
                        {lang.t("Log in", "登录")}
                    </button>
                </ActionForm>
                <p class="error" role="alert" data-testid="form-error">
                    {move || login.value().get().and_then(|r| r.err()).map(|e| e.to_string()).or_else(|| query_error.get())}
                </p>
                <p class="muted">
                    {lang.t("No account yet? ", "还没有账号？")}
                    <A href="/signup">{lang.t("Sign up", "注册")}</A>
                </p>
            </div>
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let lang = use_lang();
    let signup = ServerAction::<Signup>::new();
    go_home_on_success(signup.value());
    let query_error = query_error();
    view! {
        <section class="auth">
            <div class="card auth-card">
                <h1>{lang.t("Create your account", "创建账号")}</h1>
                <ActionForm action=signup>
                    <div class="field">
                        <label for="username">{lang.t("Username", "用户名")}</label>
                        <input id="username" type="text" name="username" autocomplete="username" required minlength="3" maxlength="64" pattern="[A-Za-z0-9_.\\-]+" />
                    </div>
                    <div class="field">
                        <label for="password">{lang.t("Password (8 characters or more)", "密码（至少 8 个字符）")}</label>
                        <input id="password" type="password" name="password" autocomplete="new-password" required minlength="8" maxlength="256" />
                    </div>
                    <button type="submit" class="btn btn-primary" disabled=move || signup.pending().get()>
                        {lang.t("Sign up", "注册")}
                    </button>
                </ActionForm>
                <p class="error" role="alert" data-testid="form-error">
                    {move || signup.value().get().and_then(|r| r.err()).map(|e| e.to_string()).or_else(|| query_error.get())}
                </p>
                <p class="muted">
                    {lang.t("Already have an account? ", "已有账号？")}
                    <A href="/login">{lang.t("Log in", "登录")}</A>
                </p>
            </div>
        </section>
    }
}
