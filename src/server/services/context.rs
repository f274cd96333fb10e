//! What an assistant (the MCP tools) needs to write SQL: the context of a
//! question, grouped by kind, and everything trained about one table.

use super::Services;
use super::search::{SEARCH_K_MAX, check_k, check_question};
use crate::domain::dto::{
    DocSnippet, ItemKind, QuestionContext, SqlExample, TableContext, TableDdl,
};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::store::SearchHit;

pub const CONTEXT_K_DEFAULT: i64 = 5;
pub const CONTEXT_K_MAX: i64 = 20;

const DDL: ItemKind = ItemKind::Ddl;
const DOCUMENTATION: ItemKind = ItemKind::Documentation;
const EXAMPLE: ItemKind = ItemKind::Sql;

impl Services {
    /// The context of `question`: at most `k` tables' DDL (best first), `k`
    /// pieces of documentation and `k` examples, from one search.
    pub async fn question_context(
        &self,
        user: &CurrentUser,
        id: i64,
        question: &str,
        k: i64,
    ) -> Result<QuestionContext, AppError> {
        check_k(k, CONTEXT_K_MAX)?;
        check_question("question", question)?;
        let row = self.owned(user, id).await?;
        if row.live_version.is_none() {
            return Ok(QuestionContext::default());
        }
        let found = self.search_row(&row, question, SEARCH_K_MAX).await?;
        let mut context = QuestionContext {
            trained: true,
            ..QuestionContext::default()
        };
        let k = k as usize;
        for item in found.items {
            match item.kind {
                DDL if context.tables.len() < k => context.tables.push(TableDdl {
                    table: item.table_name.unwrap_or_default(),
                    ddl: item.content,
                }),
                DOCUMENTATION if context.documentation.len() < k => {
                    context.documentation.push(DocSnippet {
                        table: item.table_name,
                        content: item.content,
                    })
                }
                EXAMPLE if context.examples.len() < k => context.examples.push(SqlExample {
                    table: item.table_name,
                    question: item.question,
                    sql: item.content,
                }),
                _ => {}
            }
        }
        Ok(context)
    }

    /// Everything the dataset's trained collection holds about `table` (its
    /// name compared without case); 404 when the dataset was never trained or
    /// has no such table.
    pub async fn table_context(
        &self,
        user: &CurrentUser,
        id: i64,
        table: &str,
    ) -> Result<TableContext, AppError> {
        let table = table.trim();
        if table.is_empty() || table.len() > 200 {
            return Err(AppError::BadRequest(
                "table must be 1-200 characters".into(),
            ));
        }
        let row = self.owned(user, id).await?;
        let Some(version) = row.live_version else {
            return Err(AppError::NotFound(
                "This dataset has not been trained yet".into(),
            ));
        };
        let items = self.inner.store.table_items(row.id, version, table).await?;
        table_context(table, items)
            .ok_or_else(|| AppError::NotFound(format!("No trained table named {table}")))
    }
}

/// Groups a table's items; `None` without its DDL. When names differ only in
/// case, the one spelled as asked wins, else the first trained.
fn table_context(asked: &str, items: Vec<SearchHit>) -> Option<TableContext> {
    let ddl_of = |name: &str| {
        items
            .iter()
            .find(|h| h.kind == DDL && h.table_name.as_deref() == Some(name))
    };
    let ddl = ddl_of(asked).or_else(|| items.iter().find(|h| h.kind == DDL))?;
    let name = ddl.table_name.clone()?;
    let ddl = ddl.content.clone();
    let mut context = TableContext {
        table: name.clone(),
        ddl,
        documentation: vec![],
        examples: vec![],
    };
    for h in items
        .into_iter()
        .filter(|h| h.table_name.as_deref() == Some(name.as_str()))
    {
        match h.kind {
            DOCUMENTATION => context.documentation.push(DocSnippet {
                table: h.table_name,
                content: h.content,
            }),
            EXAMPLE => context.examples.push(SqlExample {
                table: h.table_name,
                question: h.question,
                sql: h.content,
            }),
            _ => {}
        }
    }
    Some(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(kind: ItemKind, table: &str, content: &str) -> SearchHit {
        SearchHit {
            id: 0,
            kind,
            content: content.into(),
            question: (kind == EXAMPLE).then(|| format!("q {content}")),
            table_name: Some(table.into()),
            score: 0.0,
        }
    }

    #[test]
    fn a_table_groups_its_items_and_prefers_the_name_as_asked() {
        let items = vec![
            hit(DDL, "album", "CREATE TABLE album"),
            hit(DDL, "Album", "CREATE TABLE Album"),
            hit(DOCUMENTATION, "Album", "an album"),
            hit(EXAMPLE, "Album", "SELECT 1"),
            hit(EXAMPLE, "album", "SELECT 2"),
        ];
        let c = table_context("Album", items.clone()).unwrap();
        assert_eq!(c.table, "Album");
        assert_eq!(c.ddl, "CREATE TABLE Album");
        assert_eq!(c.documentation.len(), 1);
        assert_eq!(c.examples.len(), 1);
        assert_eq!(c.examples[0].sql, "SELECT 1");
        assert_eq!(c.examples[0].question.as_deref(), Some("q SELECT 1"));
        // Asked in another case: the first trained spelling.
        assert_eq!(table_context("ALBUM", items).unwrap().table, "album");
    }

    #[test]
    fn no_ddl_no_table() {
        assert!(table_context("x", vec![hit(DOCUMENTATION, "x", "d")]).is_none());
        assert!(table_context("x", vec![]).is_none());
    }
}
