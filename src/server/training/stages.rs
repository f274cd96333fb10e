//! The training stages' work. To add a stage: add its entry to
//! `domain::progress::STAGES`, implement [`Stage`] and list it in [`all`].

use async_trait::async_trait;

use crate::domain::dto::ItemKind;
use crate::domain::log::LogEvent;
use crate::domain::progress::{self, StageInfo};

use super::chunk::{MAX_CHARS, chunk};
use super::curated::index_curated;
use super::examples::{candidates, value_columns};
use super::stage::{RunContext, Stage, StageError};
use crate::server::search::gloss::{identifier_glosses, text_glosses};
use crate::server::search::rank::names_table;
use crate::server::search::text::query_terms;
use crate::server::sources::{QueryLimits, Source, SourceUrl, render_ddl};

/// The stages in order.
pub fn all() -> Vec<Box<dyn Stage>> {
    vec![
        Box::new(ExtractDdl),
        Box::new(IndexDdl),
        Box::new(IndexDocs),
        Box::new(IndexExamples),
    ]
}

/// At most this many example pairs per table.
pub const MAX_EXAMPLES_PER_TABLE: usize = 8;
/// A text column with at most this many distinct values gets a "count per value" example.
pub const LOW_CARDINALITY: u32 = 20;
/// Stage 4's default time budget per table (`DATATRAIN_EXAMPLES_TABLE_SECONDS`).
pub const EXAMPLES_TABLE_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// A column value indexed with its table's DDL is cut to this many characters.
const MAX_VALUE_CHARS: usize = 64;

/// Chinese glosses indexed per word of a table's name, and per word of a column's name.
const TABLE_GLOSSES: usize = 5;
const COLUMN_GLOSSES: usize = 3;

/// Stage 1: connect, check the requested tables exist, extract each table's structure.
pub struct ExtractDdl;

#[async_trait]
impl Stage for ExtractDdl {
    fn info(&self) -> &'static StageInfo {
        &progress::EXTRACT_DDL
    }
    async fn plan(&self, ctx: &mut RunContext) -> Result<usize, StageError> {
        let url = SourceUrl::parse(
            &ctx.dataset.source_url,
            &ctx.sources_dir,
            &ctx.forbidden_paths,
        )
        .map_err(|e| StageError::Invalid(format!("invalid source_url: {}", e.message())))?;
        let source = Source::open(&url, &ctx.source_policy).await?;
        let names = source.check_tables(&ctx.table_names).await?;
        ctx.source = Some(source);
        ctx.schemas.clear();
        ctx.table_names = names;
        Ok(ctx.table_names.len())
    }
    async fn run_item(&self, ctx: &mut RunContext, index: usize) -> Result<(), StageError> {
        // The plan checked that every name exists.
        let schema = ctx.source()?.table_schema(&ctx.table_names[index]).await?;
        ctx.schemas.push(schema);
        Ok(())
    }
}

/// Stage 2: one DDL item per table, indexed with its identifiers, their
/// Chinese glosses and the values of its low-cardinality text columns.
pub struct IndexDdl;

#[async_trait]
impl Stage for IndexDdl {
    fn info(&self) -> &'static StageInfo {
        &progress::INDEX_DDL
    }
    async fn plan(&self, ctx: &mut RunContext) -> Result<usize, StageError> {
        Ok(ctx.schemas.len())
    }
    async fn run_item(&self, ctx: &mut RunContext, index: usize) -> Result<(), StageError> {
        let dialect = ctx.source()?.dialect();
        let table = &ctx.schemas[index];
        let ddl = render_ddl(table, dialect);
        // Column names and comments count again as extra terms, so they weigh more than the rest of the DDL.
        let mut extra = String::new();
        if let Some(c) = &table.comment {
            extra.push_str(c);
            extra.push(' ');
        }
        for col in &table.columns {
            extra.push_str(&col.name);
            extra.push(' ');
            if let Some(c) = &col.comment {
                extra.push_str(c);
                extra.push(' ');
            }
        }
        // Chinese glosses of the identifier words, so that Chinese questions meet English names:
        // more for the table's own name than for each column.
        extra.push_str(&identifier_glosses(&table.name, TABLE_GLOSSES));
        for col in &table.columns {
            extra.push(' ');
            extra.push_str(&identifier_glosses(&col.name, COLUMN_GLOSSES));
        }
        // The values of low-cardinality text columns, so that "singers from France" meets
        // `country` = 'France' (indexed only: the DDL text stays as the source gives it).
        let mut counts = Vec::new();
        for column in value_columns(table) {
            match ctx
                .source()?
                .distinct_values(&table.name, column, LOW_CARDINALITY + 1)
                .await
            {
                Ok(values) => {
                    counts.push((
                        (table.name.clone(), column.to_string()),
                        values.len() as u64,
                    ));
                    if values.len() <= LOW_CARDINALITY as usize {
                        for v in values {
                            extra.push(' ');
                            extra.extend(v.chars().take(MAX_VALUE_CHARS));
                        }
                    }
                }
                Err(e) if e.is_query_error() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let name = table.name.clone();
        ctx.distinct_counts.extend(counts);
        ctx.emit(ItemKind::Ddl, Some(&name), None, ddl, &extra);
        Ok(())
    }
}

/// Stage 3: documentation and business terms, split into chunks.
pub struct IndexDocs;

#[async_trait]
impl Stage for IndexDocs {
    fn info(&self) -> &'static StageInfo {
        &progress::INDEX_DOCS
    }
    async fn plan(&self, ctx: &mut RunContext) -> Result<usize, StageError> {
        let docs = ctx.store.docs(ctx.dataset.id).await?;
        ctx.doc_chunks = docs
            .into_iter()
            .flat_map(|d| {
                let title = d.title.clone();
                chunk(&d.content, MAX_CHARS)
                    .into_iter()
                    .map(move |c| (title.clone(), c))
            })
            .collect();
        Ok(ctx.doc_chunks.len())
    }
    async fn run_item(&self, ctx: &mut RunContext, index: usize) -> Result<(), StageError> {
        let (title, text) = ctx.doc_chunks[index].clone();
        let content = if title.trim().is_empty() {
            text
        } else {
            format!("{title}\n{text}")
        };
        // A chunk that names a table (in English or through a Chinese gloss) is
        // linked to it, so that the business term votes for that table in search.
        // The longest name wins: "invoice line" names InvoiceLine, not Invoice.
        let terms = query_terms(&content);
        let table = ctx
            .schemas
            .iter()
            .filter(|t| names_table(&terms, &t.name))
            .max_by_key(|t| t.name.len())
            .map(|t| t.name.clone());
        ctx.emit(ItemKind::Documentation, table.as_deref(), None, content, "");
        Ok(())
    }
}

/// Stage 4: first the user's curated examples (see [`super::curated`]), then
/// example question → SQL pairs generated from the schema, each executed
/// against the source; at most 8 that run are kept per table.
///
/// Only an error of a candidate's own SQL (syntax, unknown column, types, its
/// timeout) skips the candidate; any other source error (the source is gone:
/// [`SourceError::Lost`], …) fails the run, so the previous collection stays
/// live instead of a smaller one being completed. A table whose candidates take
/// longer than [`RunContext::examples_table_budget`] skips the rest of them and
/// says so in the run log.
pub struct IndexExamples;

#[async_trait]
impl Stage for IndexExamples {
    fn info(&self) -> &'static StageInfo {
        &progress::INDEX_EXAMPLES
    }
    async fn plan(&self, ctx: &mut RunContext) -> Result<usize, StageError> {
        ctx.curated = ctx.store.examples(ctx.dataset.id).await?;
        Ok(ctx.curated.len() + ctx.schemas.len())
    }
    async fn run_item(&self, ctx: &mut RunContext, index: usize) -> Result<(), StageError> {
        if index < ctx.curated.len() {
            return index_curated(ctx, index).await;
        }
        let index = index - ctx.curated.len();
        let source = ctx.source()?;
        let dialect = source.dialect();
        let table = &ctx.schemas[index];
        let budget = ctx.examples_table_budget;
        let all = candidates(table, &ctx.schemas, dialect);
        let total = all.len();
        let started = std::time::Instant::now();
        let mut kept = Vec::new();
        let mut skipped = 0;
        for (i, candidate) in all.into_iter().enumerate() {
            if kept.len() >= MAX_EXAMPLES_PER_TABLE {
                break;
            }
            // The first candidate always runs; the budget is checked after each one.
            if i > 0 && started.elapsed() >= budget {
                skipped = total - i;
                break;
            }
            if let Some(column) = &candidate.check_distinct {
                // Stage 2 counted the values of most text columns already.
                let known = ctx
                    .distinct_counts
                    .get(&(table.name.clone(), column.clone()))
                    .copied();
                let counted = match known {
                    Some(n) => Ok(n),
                    None => {
                        source
                            .distinct_count(&table.name, column, LOW_CARDINALITY + 1)
                            .await
                    }
                };
                match counted {
                    Ok(n) if n >= 1 && n <= u64::from(LOW_CARDINALITY) => {}
                    Ok(_) => continue,
                    Err(e) if e.is_query_error() => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            match source
                .check_query(&candidate.sql, QueryLimits::default())
                .await
            {
                Ok(()) => kept.push(candidate),
                Err(e) if e.is_query_error() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let name = table.name.clone();
        if skipped > 0 {
            ctx.log(LogEvent::ExamplesOverBudget {
                table: name.clone(),
                budget_us: u64::try_from(budget.as_micros()).unwrap_or(u64::MAX),
                skipped: skipped as u64,
                total: total as u64,
            });
        }
        // The Chinese question names its table and columns in English: their glosses go with it.
        let name_glosses = identifier_glosses(&name, COLUMN_GLOSSES);
        for c in kept {
            let content = format!("-- {}\n{}", c.question_zh, c.sql);
            let extra = format!(
                "{} {name_glosses} {}",
                c.question_zh,
                text_glosses(&c.question_zh, COLUMN_GLOSSES)
            );
            ctx.emit(
                ItemKind::Sql,
                Some(&name),
                Some(&c.question_en),
                content,
                &extra,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The executor runs [`all`] in order and reads each stage's descriptor:
    /// the list and the domain's table must say the same thing.
    #[test]
    fn every_stage_has_its_entry_in_the_table_in_order() {
        let stages = all();
        assert_eq!(stages.len(), progress::STAGES.len());
        for (stage, info) in stages.iter().zip(progress::STAGES.iter()) {
            assert_eq!(stage.info(), info);
        }
    }
}
