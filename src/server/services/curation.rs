//! Curating a dataset's training data: the live items (list, delete → an
//! exclusion that keeps the item out of later trainings), curated examples
//! (checked read-only against the source), and Vanna-shaped export and import.

use super::Services;
use super::datasets::{no_control, no_control_in_text, parse_doc, unreachable};
use crate::domain::dto::{
    ExampleView, ExclusionView, ExportLine, ImportRefusal, ImportSummary, ItemKind, ItemView,
    NewDoc, NewExample, format_ms,
};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::sources::{QueryLimits, Source};
use crate::server::store::{ExampleRow, ItemFilter};

pub const ITEMS_DEFAULT: i64 = 50;
pub const ITEMS_MAX: i64 = 500;
/// Lines an import may hold.
pub const IMPORT_LINES_MAX: usize = 10_000;
const QUESTION_MAX: usize = 1000;
const SQL_MAX: usize = 20_000;
const FILTER_MAX: usize = 2000;

/// The query parameters of `GET …/items`, as given.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery<'a> {
    pub kind: Option<&'a str>,
    pub q: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

/// A curated example: question (one line) 1-1,000 characters, SQL 1-20,000, both trimmed.
fn parse_example(req: &NewExample) -> Result<(String, String), AppError> {
    let question = req.question.trim();
    no_control("question", question)?;
    if question.is_empty() || question.chars().count() > QUESTION_MAX {
        return Err(AppError::Unprocessable(format!(
            "question must be 1-{QUESTION_MAX} characters"
        )));
    }
    let sql = req.sql.trim();
    no_control_in_text("sql", sql)?;
    if sql.is_empty() || sql.chars().count() > SQL_MAX {
        return Err(AppError::Unprocessable(format!(
            "sql must be 1-{SQL_MAX} characters"
        )));
    }
    Ok((question.to_string(), sql.to_string()))
}

/// Runs `sql` read-only on the source: 422 with the source's message when the
/// query itself fails, 502 when the source is lost.
async fn check_sql(source: &Source, sql: &str) -> Result<(), AppError> {
    match source.check_query(sql, QueryLimits::default()).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_query_error() => Err(AppError::Unprocessable(e.to_string())),
        Err(e) => Err(unreachable(e)),
    }
}

fn example_view(e: ExampleRow) -> ExampleView {
    ExampleView {
        id: e.id,
        question: e.question,
        sql: e.sql,
        created_at: format_ms(e.created_at),
    }
}

/// What one import line asks for.
enum ImportLine {
    Doc(String, String),
    Example(String, String),
    Ddl,
}

/// Reads one ndjson line of Vanna's shape; the error is the refusal's detail.
fn parse_import_line(raw: &[u8]) -> Result<ImportLine, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "the line is not UTF-8".to_string())?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}"))?;
    let Some(obj) = value.as_object() else {
        return Err("expected a JSON object".into());
    };
    let field = |name: &str| -> Result<Option<&str>, String> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("{name} must be a string")),
        }
    };
    let kind =
        field("training_data_type")?.ok_or_else(|| "training_data_type is missing".to_string())?;
    let kind = ItemKind::parse(kind)
        .ok_or_else(|| "training_data_type must be ddl, documentation or sql".to_string())?;
    let content = field("content")?.unwrap_or("");
    match kind {
        ItemKind::Ddl => Ok(ImportLine::Ddl),
        ItemKind::Documentation => {
            let doc = NewDoc {
                title: String::new(),
                content: content.to_string(),
            };
            let (title, content) = parse_doc(&doc).map_err(|e| e.to_string())?;
            Ok(ImportLine::Doc(title, content))
        }
        ItemKind::Sql => {
            let req = NewExample {
                question: field("question")?.unwrap_or("").to_string(),
                sql: content.to_string(),
            };
            let (question, sql) = parse_example(&req).map_err(|e| e.to_string())?;
            Ok(ImportLine::Example(question, sql))
        }
    }
}

impl Services {
    /// The live collection's items, in id order: `kind` one of ddl,
    /// documentation, sql (422 otherwise); `q` a case-insensitive substring of
    /// the table name, question or content; `limit` 1-500, `offset` ≥ 0 (400).
    pub async fn list_items(
        &self,
        user: &CurrentUser,
        id: i64,
        query: &ItemQuery<'_>,
    ) -> Result<Vec<ItemView>, AppError> {
        if !(1..=ITEMS_MAX).contains(&query.limit) {
            return Err(AppError::BadRequest(format!("limit must be 1-{ITEMS_MAX}")));
        }
        if query.offset < 0 {
            return Err(AppError::BadRequest("offset must be 0 or more".into()));
        }
        let kind = match query.kind.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(ItemKind::parse(k).ok_or_else(|| {
                AppError::Unprocessable("kind must be ddl, documentation or sql".into())
            })?),
        };
        let q = query.q.map(str::trim).filter(|q| !q.is_empty());
        if q.is_some_and(|q| q.chars().count() > FILTER_MAX) {
            return Err(AppError::BadRequest(format!(
                "q must be at most {FILTER_MAX} characters"
            )));
        }
        let row = self.owned(user, id).await?;
        let Some(version) = row.live_version else {
            return Ok(Vec::new());
        };
        let filter = ItemFilter {
            kind,
            contains: q,
            limit: query.limit,
            offset: query.offset,
        };
        Ok(self
            .inner
            .store
            .list_items(id, version, &filter)
            .await?
            .into_iter()
            .map(|i| ItemView {
                id: i.id,
                kind: i.kind,
                table_name: i.table_name,
                question: i.question,
                content: i.content,
            })
            .collect())
    }

    /// Deletes an item of the live collection (404 if it is not there) and
    /// keeps it out of later trainings.
    pub async fn delete_item(
        &self,
        user: &CurrentUser,
        id: i64,
        item_id: i64,
    ) -> Result<(), AppError> {
        let row = self.owned(user, id).await?;
        let Some(version) = row.live_version else {
            return Err(AppError::not_found());
        };
        if !self.inner.store.exclude_item(id, version, item_id).await? {
            return Err(AppError::not_found());
        }
        // The version changed: what search keeps of it in memory goes.
        self.inner.search_cache.forget(version);
        tracing::info!(dataset = id, item = item_id, "item deleted and excluded");
        Ok(())
    }

    pub async fn list_exclusions(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<ExclusionView>, AppError> {
        self.owned(user, id).await?;
        Ok(self
            .inner
            .store
            .exclusions(id)
            .await?
            .into_iter()
            .map(|e| ExclusionView {
                id: e.id,
                kind: e.kind,
                table_name: e.table_name,
                question: e.question,
                content: e.content,
                content_hash: e.content_hash,
                created_at: format_ms(e.created_at),
            })
            .collect())
    }

    pub async fn delete_exclusion(
        &self,
        user: &CurrentUser,
        id: i64,
        exclusion_id: i64,
    ) -> Result<(), AppError> {
        self.owned(user, id).await?;
        if self.inner.store.delete_exclusion(id, exclusion_id).await? {
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }

    pub async fn list_examples(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<ExampleView>, AppError> {
        self.owned(user, id).await?;
        Ok(self
            .inner
            .store
            .examples(id)
            .await?
            .into_iter()
            .map(example_view)
            .collect())
    }

    /// Adds a curated example after running its SQL read-only on the source
    /// (422 with the source's message when it fails, 502 when unreachable).
    pub async fn add_example(
        &self,
        user: &CurrentUser,
        id: i64,
        req: &NewExample,
    ) -> Result<ExampleView, AppError> {
        let row = self.owned(user, id).await?;
        let (question, sql) = parse_example(req)?;
        let source = self.open_source(user, &row).await?;
        let checked = check_sql(&source, &sql).await;
        source.close().await;
        checked?;
        let e = self.inner.store.insert_example(id, &question, &sql).await?;
        Ok(example_view(e))
    }

    pub async fn delete_example(
        &self,
        user: &CurrentUser,
        id: i64,
        example_id: i64,
    ) -> Result<(), AppError> {
        self.owned(user, id).await?;
        if self.inner.store.delete_example(id, example_id).await? {
            Ok(())
        } else {
            Err(AppError::not_found())
        }
    }

    /// The live collection in Vanna's training-data shape, one item a line.
    pub async fn export_items(
        &self,
        user: &CurrentUser,
        id: i64,
    ) -> Result<Vec<ExportLine>, AppError> {
        let row = self.owned(user, id).await?;
        let Some(version) = row.live_version else {
            return Ok(Vec::new());
        };
        Ok(self
            .inner
            .store
            .version_items(id, version)
            .await?
            .into_iter()
            .map(|i| ExportLine {
                id: i.id.to_string(),
                training_data_type: i.kind,
                question: i.question,
                content: i.content,
                table_name: i.table_name,
            })
            .collect())
    }

    /// Imports ndjson lines of Vanna's shape: documentation → documents, sql →
    /// curated examples (each run read-only on the source), ddl skipped. A line
    /// that cannot be used is refused with its number; the rest is stored in one
    /// transaction. 413 past [`IMPORT_LINES_MAX`] lines; 502 (nothing stored)
    /// when the source cannot be reached for the SQL lines.
    pub async fn import_items(
        &self,
        user: &CurrentUser,
        id: i64,
        body: &[u8],
    ) -> Result<ImportSummary, AppError> {
        let row = self.owned(user, id).await?;
        let lines: Vec<(u64, &[u8])> = body
            .split(|b| *b == b'\n')
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.strip_suffix(b"\r").unwrap_or(l)))
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .collect();
        if lines.len() > IMPORT_LINES_MAX {
            return Err(AppError::PayloadTooLarge);
        }
        let mut summary = ImportSummary::default();
        let mut docs = Vec::new();
        let mut examples = Vec::new();
        for (line, raw) in lines {
            match parse_import_line(raw) {
                Ok(ImportLine::Ddl) => summary.skipped += 1,
                Ok(ImportLine::Doc(title, content)) => docs.push((title, content)),
                Ok(ImportLine::Example(question, sql)) => examples.push((line, question, sql)),
                Err(detail) => summary.refused.push(ImportRefusal { line, detail }),
            }
        }
        let mut checked = Vec::with_capacity(examples.len());
        if !examples.is_empty() {
            let source = self.open_source(user, &row).await?;
            let mut lost = None;
            for (line, question, sql) in examples {
                match check_sql(&source, &sql).await {
                    Ok(()) => checked.push((question, sql)),
                    Err(AppError::Unprocessable(detail)) => {
                        summary.refused.push(ImportRefusal { line, detail })
                    }
                    Err(e) => {
                        lost = Some(e);
                        break;
                    }
                }
            }
            source.close().await;
            if let Some(e) = lost {
                return Err(e);
            }
        }
        summary.refused.sort_by_key(|r| r.line);
        self.inner.store.import_curated(id, &docs, &checked).await?;
        summary.added.documentation = docs.len() as u64;
        summary.added.sql = checked.len() as u64;
        tracing::info!(
            dataset = id,
            documentation = summary.added.documentation,
            sql = summary.added.sql,
            refused = summary.refused.len(),
            "training data imported"
        );
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_lines_of_each_kind() {
        assert!(matches!(
            parse_import_line(
                br#"{"id":"1","training_data_type":"ddl","content":"CREATE TABLE t (a INT)"}"#
            ),
            Ok(ImportLine::Ddl)
        ));
        assert!(matches!(
            parse_import_line(br#"{"training_data_type":"documentation","question":null,"content":"VIP: spent > 100"}"#),
            Ok(ImportLine::Doc(t, c)) if t.is_empty() && c == "VIP: spent > 100"
        ));
        assert!(matches!(
            parse_import_line(br#"{"training_data_type":"sql","question":" How many? ","content":"SELECT 1;"}"#),
            Ok(ImportLine::Example(q, s)) if q == "How many?" && s == "SELECT 1;"
        ));
        for (bad, why) in [
            (&b"not json"[..], "malformed JSON"),
            (br#"[1]"#, "object"),
            (br#"{"content":"x"}"#, "missing"),
            (
                br#"{"training_data_type":"chart","content":"x"}"#,
                "ddl, documentation or sql",
            ),
            (
                br#"{"training_data_type":"sql","content":"SELECT 1"}"#,
                "question",
            ),
            (
                br#"{"training_data_type":"sql","question":"q","content":7}"#,
                "content must be a string",
            ),
            (
                br#"{"training_data_type":"documentation","content":"  "}"#,
                "content",
            ),
            (b"\xff\xfe", "UTF-8"),
        ] {
            let got = parse_import_line(bad).err().unwrap_or_default();
            assert!(got.contains(why), "{bad:?}: {got}");
        }
    }

    #[test]
    fn examples_are_checked() {
        let ok = NewExample {
            question: "How many tracks?".into(),
            sql: "SELECT COUNT(*)\nFROM Track".into(),
        };
        assert!(parse_example(&ok).is_ok());
        for (question, sql) in [
            ("", "SELECT 1"),
            ("q", "  "),
            ("line\nbreak", "SELECT 1"),
            ("q", "SELECT '\u{0}'"),
        ] {
            let req = NewExample {
                question: question.into(),
                sql: sql.into(),
            };
            assert!(
                matches!(parse_example(&req), Err(AppError::Unprocessable(_))),
                "{req:?}"
            );
        }
        let long = NewExample {
            question: "q".repeat(QUESTION_MAX + 1),
            sql: "SELECT 1".into(),
        };
        assert!(parse_example(&long).is_err());
    }
}
