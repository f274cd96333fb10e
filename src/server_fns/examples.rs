//! Curated question → SQL examples (the dataset page's "Curated examples").

use leptos::prelude::*;

use crate::domain::dto::ExampleView;
use crate::domain::error::AppError;

#[server(prefix = "/sfn", endpoint = "list_examples")]
pub async fn list_examples(id: i64) -> Result<Vec<ExampleView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.list_examples(&user, id).await
}

/// Adds an example after running its SQL read-only on the source.
#[server(prefix = "/sfn", endpoint = "add_example")]
pub async fn add_example(id: i64, question: String, sql: String) -> Result<ExampleView, AppError> {
    use crate::domain::dto::NewExample;
    let result = async {
        let (services, user) = super::session_user().await?;
        services
            .add_example(&user, id, &NewExample { question, sql })
            .await
    }
    .await;
    super::back_to_form(result).await
}

#[server(prefix = "/sfn", endpoint = "delete_example")]
pub async fn delete_example(id: i64, example_id: i64) -> Result<(), AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.delete_example(&user, id, example_id).await
    }
    .await;
    super::back_to_form(result).await
}
