use leptos::prelude::*;

use crate::domain::dto::{LogEntry, Message, Progress, RunView, SearchResult, Started};
use crate::domain::error::AppError;

/// `table_names` comes from the table picker's checkboxes (`table_names[i]`);
/// none checked reuses the dataset's last list.
#[server(prefix = "/sfn", endpoint = "start_training")]
pub async fn start_training(
    id: i64,
    table_names: Option<Vec<String>>,
    max_items_per_sec: Option<f64>,
) -> Result<Started, AppError> {
    use crate::domain::dto::StartTraining;
    let table_names =
        table_names.map(|t| t.into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>());
    let result = async {
        let (services, user) = super::session_user().await?;
        services
            .start_training(
                &user,
                id,
                &StartTraining {
                    table_names,
                    max_items_per_sec,
                },
            )
            .await
    }
    .await;
    super::back_to_form(result).await
}

#[server(prefix = "/sfn", endpoint = "pause_training")]
pub async fn pause_training(id: i64) -> Result<Message, AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.pause_training(&user, id).await
    }
    .await;
    super::back_to_form(result).await
}

#[server(prefix = "/sfn", endpoint = "resume_training")]
pub async fn resume_training(id: i64) -> Result<Message, AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.resume_training(&user, id).await
    }
    .await;
    super::back_to_form(result).await
}

#[server(prefix = "/sfn", endpoint = "cancel_training")]
pub async fn cancel_training(id: i64) -> Result<Message, AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.cancel_training(&user, id).await
    }
    .await;
    super::back_to_form(result).await
}

#[server(prefix = "/sfn", endpoint = "delete_training_data")]
pub async fn delete_training_data(id: i64) -> Result<Message, AppError> {
    let result = async {
        let (services, user) = super::session_user().await?;
        services.delete_training_data(&user, id).await
    }
    .await;
    super::back_to_form(result).await
}

/// Polled every 2 s while a run is queued or training: one read, no write.
#[server(prefix = "/sfn", endpoint = "training_progress")]
pub async fn training_progress(id: i64) -> Result<Progress, AppError> {
    let (services, user) = super::session_user().await?;
    services.progress(&user, id).await
}

#[server(prefix = "/sfn", endpoint = "training_logs")]
pub async fn training_logs(id: i64, limit: i64) -> Result<Vec<LogEntry>, AppError> {
    let (services, user) = super::session_user().await?;
    services.logs(&user, id, limit).await
}

#[server(prefix = "/sfn", endpoint = "training_runs")]
pub async fn training_runs(id: i64) -> Result<Vec<RunView>, AppError> {
    let (services, user) = super::session_user().await?;
    services.runs(&user, id).await
}

#[server(prefix = "/sfn", endpoint = "search_collection")]
pub async fn search_collection(id: i64, q: String, k: i64) -> Result<SearchResult, AppError> {
    let (services, user) = super::session_user().await?;
    services.search(&user, id, &q, k).await
}
