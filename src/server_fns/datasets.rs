use leptos::prelude::*;

use crate::domain::dto::{DatasetView, DocView, TableView};
use crate::domain::error::AppError;

#[server(prefix = "/sfn", endpoint = "list_datasets")]
pub async fn list_datasets() -> Result<Vec<DatasetView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.list_datasets(&user).await
}

#[server(prefix = "/sfn", endpoint = "get_dataset")]
pub async fn get_dataset(id: i64) -> Result<DatasetView, AppError> {
    let (services, user) = super::session_user().await?;
    services.get_dataset(&user, id).await
}

/// Creates a dataset (with the tables picked after "test connection" and a first
/// document, both optional) and goes to its page.
#[server(prefix = "/sfn", endpoint = "create_dataset")]
pub async fn create_dataset(
    name: String,
    source_url: String,
    description: Option<String>,
    table_names: Option<Vec<String>>,
    doc_title: Option<String>,
    doc_content: Option<String>,
) -> Result<i64, AppError> {
    use crate::domain::dto::{CreateDataset, NewDoc};
    let tables: Vec<String> = table_names
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    let doc = doc_content
        .filter(|c| !c.trim().is_empty())
        .map(|content| NewDoc {
            title: doc_title.unwrap_or_default(),
            content,
        });
    let req = CreateDataset {
        name,
        source_url,
        description,
    };
    let result = async {
        let (services, user) = super::session_user().await?;
        services
            .create_dataset_with(&user, &req, &tables, doc.as_ref())
            .await
    }
    .await;
    match result {
        Ok(ds) => {
            leptos_axum::redirect(&format!("/datasets/{}", ds.id));
            Ok(ds.id)
        }
        Err(e) => super::back_to_form(Err(e)).await,
    }
}

/// The tables of a source URL before the dataset is created ("test connection").
#[server(prefix = "/sfn", endpoint = "probe_source")]
pub async fn probe_source(source_url: String) -> Result<Vec<TableView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.probe_source(&user, &source_url).await
}

#[server(prefix = "/sfn", endpoint = "delete_dataset")]
pub async fn delete_dataset(id: i64) -> Result<(), AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.delete_dataset(&user, id).await
    }
    .await;
    match result {
        Ok(()) => {
            leptos_axum::redirect("/");
            Ok(())
        }
        Err(e) => super::back_to_form(Err(e)).await,
    }
}

/// The source's tables, read live ("test connection").
#[server(prefix = "/sfn", endpoint = "source_tables")]
pub async fn source_tables(id: i64) -> Result<Vec<TableView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.source_tables(&user, id).await
}

#[server(prefix = "/sfn", endpoint = "list_docs")]
pub async fn list_docs(id: i64) -> Result<Vec<DocView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.list_docs(&user, id).await
}

#[server(prefix = "/sfn", endpoint = "add_doc")]
pub async fn add_doc(id: i64, title: String, content: String) -> Result<DocView, AppError> {
    use crate::domain::dto::NewDoc;
    let result = async {
        let (services, user) = super::session_user().await?;
        services
            .add_doc(&user, id, &NewDoc { title, content })
            .await
    }
    .await;
    super::back_to_form(result).await
}

/// Sets the dataset's webhook URL (an empty one removes it). The answer that
/// first sets it carries the signing secret, shown once.
#[server(prefix = "/sfn", endpoint = "set_webhook")]
pub async fn set_webhook(id: i64, webhook_url: String) -> Result<DatasetView, AppError> {
    use crate::domain::dto::PatchDataset;
    let result = async {
        let (services, user) = super::session_user().await?;
        // The service reads an empty URL as removing it.
        let patch = PatchDataset {
            webhook_url: Some(Some(webhook_url)),
            ..PatchDataset::default()
        };
        services.patch_dataset(&user, id, &patch).await
    }
    .await;
    super::back_to_form(result).await
}

#[server(prefix = "/sfn", endpoint = "delete_doc")]
pub async fn delete_doc(id: i64, doc_id: i64) -> Result<(), AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.delete_doc(&user, id, doc_id).await
    }
    .await;
    super::back_to_form(result).await
}

/// Whether the server's sources folder holds the demo database (first run).
#[server(prefix = "/sfn", endpoint = "demo_available")]
pub async fn demo_available() -> Result<bool, AppError> {
    let (services, _user) = super::session_user().await?;
    Ok(services.demo_available().await)
}

/// "Try the Chinook demo": creates the demo dataset (or finds the one made
/// before) and goes to its page. `lang` names it in the page's language.
#[server(prefix = "/sfn", endpoint = "create_demo_dataset")]
pub async fn create_demo_dataset(lang: String) -> Result<i64, AppError> {
    use crate::domain::i18n::Lang;
    let lang = Lang::from_code(&lang).unwrap_or_default();
    let result = async {
        let (services, user) = super::session_user().await?;
        services.create_demo_dataset(&user, lang).await
    }
    .await;
    match result {
        Ok(ds) => {
            leptos_axum::redirect(&format!("/datasets/{}", ds.id));
            Ok(ds.id)
        }
        Err(e) => super::back_to_form(Err(e)).await,
    }
}
