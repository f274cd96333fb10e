use super::{Services, dataset_view, status_of};
use crate::domain::dto::{
    CreateDataset, DatasetView, DocView, NewDoc, PatchDataset, TableView, format_ms,
};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::sources::{Source, SourceError, SourcePolicy, SourceUrl};
use crate::server::store::{DatasetPatch, DatasetRow, Limit, StoreError};

/// Source connections a user may open a minute (test connection, table lists).
pub const SOURCE_CONNECTS_PER_MINUTE: i64 = 30;
const NAME_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 2000;
const DOC_TITLE_MAX: usize = 200;
const DOC_CONTENT_MAX: usize = 200_000;

/// Refuses NUL and other control characters in a one-line field.
pub(super) fn no_control(field: &str, value: &str) -> Result<(), AppError> {
    if value.chars().any(char::is_control) {
        return Err(AppError::Unprocessable(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

/// Refuses NUL and control characters other than tabs and line breaks in a text.
pub(super) fn no_control_in_text(field: &str, value: &str) -> Result<(), AppError> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::Unprocessable(format!(
            "{field} must not contain NUL or control characters"
        )));
    }
    Ok(())
}

/// A dataset name: trimmed, 1-100 characters, no control characters.
fn parse_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(AppError::Unprocessable(format!(
            "name must be 1-{NAME_MAX} characters"
        )));
    }
    no_control("name", name)?;
    Ok(name.to_string())
}

fn parse_description(d: &str) -> Result<String, AppError> {
    no_control_in_text("description", d)?;
    if d.chars().count() > DESCRIPTION_MAX {
        return Err(AppError::Unprocessable(format!(
            "description must be at most {DESCRIPTION_MAX} characters"
        )));
    }
    Ok(d.trim().to_string())
}

/// A document: title at most 200 characters, content 1-200,000 (both trimmed).
pub(super) fn parse_doc(req: &NewDoc) -> Result<(String, String), AppError> {
    let title = req.title.trim();
    no_control("title", title)?;
    no_control_in_text("content", &req.content)?;
    if title.chars().count() > DOC_TITLE_MAX {
        return Err(AppError::Unprocessable(format!(
            "title must be at most {DOC_TITLE_MAX} characters"
        )));
    }
    let content = req.content.trim();
    if content.is_empty() || content.chars().count() > DOC_CONTENT_MAX {
        return Err(AppError::Unprocessable(format!(
            "content must be 1-{DOC_CONTENT_MAX} characters"
        )));
    }
    Ok((title.to_string(), content.to_string()))
}

/// Opens the source (after the policy's checks), lists its tables and closes
/// it; errors are 502, a refusal by the policy 422.
async fn live_tables(url: &SourceUrl, policy: &SourcePolicy) -> Result<Vec<TableView>, AppError> {
    tables_of(Source::open(url, policy).await.map_err(unreachable)?).await
}

/// Lists an open source's tables and closes it.
async fn tables_of(source: Source) -> Result<Vec<TableView>, AppError> {
    let tables = source.list_tables().await.map_err(unreachable);
    source.close().await;
    Ok(tables?
        .into_iter()
        .map(|t| TableView {
            name: t.name,
            kind: t.kind,
            column_count: t.column_count,
        })
        .collect())
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Unique => {
            AppError::Conflict("You already have a dataset with this name".into())
        }
        e => e.into(),
    }
}

/// Errors reaching a source, for listing its tables: 502 with a message that
/// never holds a password; 422 when the source policy refuses the source or
/// the URL's `schemas=` names a schema the source lacks.
pub(super) fn unreachable(e: SourceError) -> AppError {
    match e {
        SourceError::Refused(_) | SourceError::UnknownSchemas(_) => {
            AppError::Unprocessable(e.to_string())
        }
        e => AppError::BadGateway(e.to_string()),
    }
}

impl Services {
    pub async fn create_dataset(
        &self,
        user: &CurrentUser,
        req: &CreateDataset,
    ) -> Result<DatasetView, AppError> {
        self.create_dataset_with(user, req, &[], None).await
    }

    /// Creates a dataset with the tables chosen for its first training and a first
    /// document; everything is checked before anything is stored.
    pub async fn create_dataset_with(
        &self,
        user: &CurrentUser,
        req: &CreateDataset,
        tables: &[String],
        doc: Option<&NewDoc>,
    ) -> Result<DatasetView, AppError> {
        let name = parse_name(&req.name)?;
        let description = parse_description(req.description.as_deref().unwrap_or(""))?;
        let url = self.check_source(&req.source_url).await?;
        let source = self.stored_source(&url);
        let doc = doc.map(parse_doc).transpose()?;
        let tables_json = serde_json::to_string(tables).unwrap_or_else(|_| "[]".into());
        let row = self
            .inner
            .store
            .insert_dataset(
                user.id,
                &name,
                &description,
                &source,
                &tables_json,
                doc.as_ref().map(|(t, c)| (t.as_str(), c.as_str())),
            )
            .await
            .map_err(name_taken)?;
        tracing::info!(dataset = row.id, user = user.id, source = %url.masked(), "dataset created");
        Ok(dataset_view(&row))
    }

    /// The tables of a source URL that is not stored yet ("test connection").
    pub async fn probe_source(
        &self,
        user: &CurrentUser,
        source_url: &str,
    ) -> Result<Vec<TableView>, AppError> {
        let url = self.check_source(source_url).await?;
        self.count_source_connection(user).await?;
        live_tables(&url, self.source_policy()).await
    }

    /// A user's connections to sources (test connection, table lists) are limited
    /// to [`SOURCE_CONNECTS_PER_MINUTE`] a minute, counted in the store (429 past it).
    pub(crate) async fn count_source_connection(&self, user: &CurrentUser) -> Result<(), AppError> {
        let limit = Limit {
            bucket: format!("source:{}", user.id),
            max: SOURCE_CONNECTS_PER_MINUTE,
        };
        match self.inner.store.throttle_hit(&[limit], 60_000).await? {
            Ok(_) => Ok(()),
            Err(wait_ms) => {
                let secs = (wait_ms as u64).div_ceil(1000).max(1);
                Err(AppError::TooManyRequests(
                    format!("Too many source connections; try again in {secs} s"),
                    secs,
                ))
            }
        }
    }

    pub async fn list_datasets(&self, user: &CurrentUser) -> Result<Vec<DatasetView>, AppError> {
        Ok(self
            .inner
            .store
            .datasets_of(user.id)
            .await?
            .iter()
            .map(dataset_view)
            .collect())
    }

    pub async fn get_dataset(&self, user: &CurrentUser, id: i64) -> Result<DatasetView, AppError> {
        Ok(dataset_view(&self.owned(user, id).await?))
    }

    pub async fn patch_dataset(
        &self,
        user: &CurrentUser,
        id: i64,
        req: &PatchDataset,
    ) -> Result<DatasetView, AppError> {
        let row = self.owned(user, id).await?;
        let source_url = match req.source_url.as_deref() {
            Some(u) => Some(self.stored_source(&self.check_source(u).await?)),
            None => None,
        };
        let patch = DatasetPatch {
            name: req.name.as_deref().map(parse_name).transpose()?,
            description: req
                .description
                .as_deref()
                .map(parse_description)
                .transpose()?,
            source_url,
        };
        if patch.source_url.is_some() && status_of(&row).has_open_run() {
            return Err(AppError::Conflict(
                "The source cannot change while a run is open".into(),
            ));
        }
        // Checked (and set) before the rest, so a refused URL changes nothing else.
        let hook = self.patch_webhook(user, id, req).await?;
        match self
            .inner
            .store
            .update_dataset(id, &patch)
            .await
            .map_err(name_taken)?
        {
            Some(row) => {
                let mut view = dataset_view(&row);
                if let Some(set) = hook {
                    set.show(&mut view);
                }
                Ok(view)
            }
            // A run opened since the dataset was read (the write checks it again).
            None if self.inner.store.dataset_of(id, user.id).await?.is_some() => Err(
                AppError::Conflict("The source cannot change while a run is open".into()),
            ),
            None => Err(AppError::not_found()),
        }
    }

    pub async fn delete_dataset(&self, user: &CurrentUser, id: i64) -> Result<(), AppError> {
        let row = self.owned(user, id).await?;
        if status_of(&row).is_active() || !self.inner.store.delete_dataset(id).await? {
            return Err(AppError::Conflict(
                "Training is in progress: pause or cancel it first".into(),
            ));
        }
        tracing::info!(dataset = id, user = user.id, "dataset deleted");
        Ok(())
    }

    /// The source's tables, read live.
    pub async fn source_tables(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<TableView>, AppError> {
        let row = self.owned(user, id).await?;
        tables_of(self.open_source(user, &row).await?).await
    }

    /// Opens a dataset's source with its decrypted URL, after the source
    /// policy's checks, counting the connection against the user's rate limit.
    /// 502 when it cannot be reached, 422 when the policy refuses it.
    pub(super) async fn open_source(
        &self,
        user: &CurrentUser,
        row: &DatasetRow,
    ) -> Result<Source, AppError> {
        // The stored URL was checked when it was given; if it does not resolve any
        // more (the SQLite file is gone), the source cannot be reached: 502.
        let url = self
            .parse_source(&self.connect_url(row)?)
            .map_err(|e| AppError::BadGateway(format!("cannot open the source database: {e}")))?;
        self.count_source_connection(user).await?;
        Source::open(&url, self.source_policy())
            .await
            .map_err(unreachable)
    }

    pub async fn list_docs(&self, user: &CurrentUser, id: i64) -> Result<Vec<DocView>, AppError> {
        self.owned(user, id).await?;
        Ok(self
            .inner
            .store
            .docs(id)
            .await?
            .into_iter()
            .map(|d| DocView {
                id: d.id,
                title: d.title,
                content: d.content,
                created_at: format_ms(d.created_at),
            })
            .collect())
    }

    pub async fn add_doc(
        &self,
        user: &CurrentUser,
        id: i64,
        req: &NewDoc,
    ) -> Result<DocView, AppError> {
        self.owned(user, id).await?;
        let (title, content) = parse_doc(req)?;
        let d = self.inner.store.insert_doc(id, &title, &content).await?;
        Ok(DocView {
            id: d.id,
            title: d.title,
            content: d.content,
            created_at: format_ms(d.created_at),
        })
    }

    pub async fn delete_doc(
        &self,
        user: &CurrentUser,
        id: i64,
        doc_id: i64,
    ) -> Result<(), AppError> {
        self.owned(user, id).await?;
        if self.inner.store.delete_doc(id, doc_id).await? {
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }
}
