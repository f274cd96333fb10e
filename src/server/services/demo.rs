//! First run: the Chinook demo database (MIT), which `make run` puts into the
//! sources folder, offered on an empty dataset list and turned into a dataset
//! with all its tables and a short description of the business, ready to train.

use super::{Services, dataset_view};
use crate::domain::dto::{CreateDataset, DatasetView, NewDoc};
use crate::domain::error::AppError;
use crate::domain::i18n::Lang;
use crate::server::auth::CurrentUser;

/// The demo database's file in the sources folder.
pub const DEMO_FILE: &str = "chinook.sqlite";

/// The demo dataset's name in each language.
pub fn demo_name(lang: Lang) -> &'static str {
    lang.t("Chinook demo", "Chinook 示例")
}

impl Services {
    /// Whether the sources folder holds the demo database.
    pub async fn demo_available(&self) -> bool {
        tokio::fs::metadata(self.inner.sources_dir.join(DEMO_FILE))
            .await
            .is_ok_and(|m| m.is_file())
    }

    /// Creates the demo dataset with every table of the demo database and a
    /// document about its business. A user who already has it (a second click,
    /// a form sent twice) gets that dataset back instead of a copy.
    pub async fn create_demo_dataset(
        &self,
        user: &CurrentUser,
        lang: Lang,
    ) -> Result<DatasetView, AppError> {
        if !self.demo_available().await {
            return Err(AppError::NotFound(
                "The demo database is not in the server's sources folder".into(),
            ));
        }
        let name = demo_name(lang);
        if let Some(existing) = self.existing(user, name).await? {
            return Ok(existing);
        }
        let source_url = format!("sqlite://{DEMO_FILE}");
        let tables: Vec<String> = self
            .probe_source(user, &source_url)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        let req = CreateDataset {
            name: name.to_string(),
            source_url,
            description: Some(
                lang.t(
                    "A digital music store: artists, albums, tracks, playlists, customers and their invoices.",
                    "一家数字音乐商店：艺术家、专辑、曲目、播放列表、客户及其发票。",
                )
                .to_string(),
            ),
        };
        let doc = NewDoc {
            title: lang.t("Business terms", "业务术语").to_string(),
            content: lang
                .t(
                    "A track is a song on an album by an artist. An invoice is one purchase by a customer; each invoice line is one bought track, at its unit price. Sales are the sum of Total over invoices. A support representative is the employee who looks after a customer.",
                    "曲目（track）是某位艺术家某张专辑中的一首歌。发票（invoice）是客户的一次购买；每条发票明细（invoice line）是买下的一首曲目及其单价。销售额是发票 Total 之和。客服代表（support representative）是负责该客户的员工。",
                )
                .to_string(),
        };
        match self
            .create_dataset_with(user, &req, &tables, Some(&doc))
            .await
        {
            // Two clicks at once: the other one made it.
            Err(AppError::Conflict(e)) => match self.existing(user, name).await? {
                Some(existing) => Ok(existing),
                None => Err(AppError::Conflict(e)),
            },
            other => other,
        }
    }

    async fn existing(
        &self,
        user: &CurrentUser,
        name: &str,
    ) -> Result<Option<DatasetView>, AppError> {
        Ok(self
            .inner
            .store
            .datasets_of(user.id)
            .await?
            .iter()
            .find(|d| d.name == name)
            .map(dataset_view))
    }
}
