//! "How many tracks does each album have?": children counted per parent row
//! along each foreign key, with the parent's name column when it has one.

use super::columns::is_text;
use super::names::{alias, humanize};
use super::{ExampleCandidate, Subject};
use crate::server::sources::{ColumnSchema, ForeignKey, TableSchema};

/// One candidate per usable foreign key, in the table's order. A key is
/// skipped when it names no parent columns and its parent is unknown (there is
/// no primary key to join on), or when its two sides differ in length.
pub(super) fn candidates(s: &Subject) -> Vec<ExampleCandidate> {
    let count_alias = alias(&s.table.name, "child") + "_count";
    s.table
        .foreign_keys
        .iter()
        .filter_map(|fk| candidate(s, fk, &count_alias))
        .collect()
}

fn candidate(s: &Subject, fk: &ForeignKey, count_alias: &str) -> Option<ExampleCandidate> {
    let parent = s.all_tables.iter().find(|p| p.name == fk.ref_table);
    let ref_columns: Vec<String> = if fk.ref_columns.is_empty() {
        parent?.primary_key.clone()
    } else {
        fk.ref_columns.clone()
    };
    if fk.columns.is_empty() || fk.columns.len() != ref_columns.len() {
        return None;
    }
    let mut keys: Vec<String> = ref_columns
        .iter()
        .map(|c| format!("p.{}", s.quote(c)))
        .collect();
    if let Some(name) = parent.and_then(name_column)
        && !ref_columns.iter().any(|c| c == &name.name)
    {
        keys.push(format!("p.{}", s.quote(&name.name)));
    }
    let on: Vec<String> = fk
        .columns
        .iter()
        .zip(&ref_columns)
        .map(|(c, p)| format!("c.{} = p.{}", s.quote(c), s.quote(p)))
        .collect();
    let keys = keys.join(", ");
    let sql = format!(
        "SELECT {keys}, COUNT(*) AS {count_alias} FROM {parent_t} AS p JOIN {t} AS c ON {on} \
         GROUP BY {keys} ORDER BY {count_alias} DESC, {keys}",
        parent_t = s.dialect.quote_table(&fk.ref_table),
        t = s.quoted,
        on = on.join(" AND "),
    );
    let (by_en, by_zh) = which_key(s.table, fk);
    Some(ExampleCandidate {
        question_en: format!(
            "How many {} does each {} have{by_en}?",
            s.plural,
            humanize(&fk.ref_table)
        ),
        question_zh: format!(
            "每个 {} 有多少条 {} 记录{by_zh}？",
            fk.ref_table, s.table.name
        ),
        sql,
        check_distinct: None,
    })
}

/// With several keys to the same parent, the words that say which one this is
/// (` (by opened by)`, `（按 OpenedBy）`); empty otherwise.
fn which_key(table: &TableSchema, fk: &ForeignKey) -> (String, String) {
    let same_parent = table
        .foreign_keys
        .iter()
        .filter(|f| f.ref_table == fk.ref_table)
        .count();
    if same_parent <= 1 {
        return (String::new(), String::new());
    }
    let cols_en = fk
        .columns
        .iter()
        .map(|c| humanize(c))
        .collect::<Vec<_>>()
        .join(", ");
    (
        format!(" (by {cols_en})"),
        format!("（按 {}）", fk.columns.join(", ")),
    )
}

/// The parent's column that reads best next to its key: `name`, else
/// `title`, else the first `*name` column, among its text columns.
fn name_column(table: &TableSchema) -> Option<&ColumnSchema> {
    let text: Vec<&ColumnSchema> = table
        .columns
        .iter()
        .filter(|c| is_text(&c.data_type))
        .collect();
    let lower = |c: &ColumnSchema| c.name.to_lowercase();
    text.iter()
        .find(|c| lower(c) == "name")
        .or_else(|| text.iter().find(|c| lower(c) == "title"))
        .or_else(|| text.iter().find(|c| lower(c).ends_with("name")))
        .copied()
}
