//! Deleting the dataset, behind a confirmation.

use leptos::prelude::*;

use super::confirm_click;
use crate::server_fns::datasets::DeleteDataset;
use crate::ui::i18n::use_lang;

#[component]
pub(super) fn DangerZone(id: i64, delete_dataset: ServerAction<DeleteDataset>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card danger-zone">
            <h2>{lang.t("Delete dataset", "删除数据集")}</h2>
            <ActionForm action=delete_dataset attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="btn btn-danger" on:click=confirm_click(lang.t("Delete this dataset and everything it learned?", "删除此数据集及其全部训练数据？"))>
                    {lang.t("Delete dataset", "删除数据集")}
                </button>
            </ActionForm>
            <p class="error">{move || delete_dataset.value().get().and_then(|r| r.err()).map(|e| e.to_string())}</p>
        </section>
    }
}
