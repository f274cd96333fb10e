//! "How many invoices are there for each billing country?": rows counted per
//! value of each text column that is neither a key nor named like an id. The
//! caller keeps one only when its column has few distinct values.

use super::columns::{is_id_like, is_key, is_text};
use super::{Column, ExampleCandidate, Subject};

pub(super) fn candidates(s: &Subject) -> Vec<ExampleCandidate> {
    s.columns(|c| is_text(&c.data_type) && !is_key(s.table, &c.name) && !is_id_like(&c.name))
        .map(|col| candidate(s, &col))
        .collect()
}

fn candidate(s: &Subject, col: &Column) -> ExampleCandidate {
    let (t, plural, c) = (&s.quoted, &s.plural, &col.quoted);
    ExampleCandidate {
        question_en: format!("How many {plural} are there for each {}?", col.words),
        question_zh: format!("按 {} 统计 {} 的记录数", col.schema.name, s.table.name),
        sql: format!("SELECT {c}, COUNT(*) AS n FROM {t} GROUP BY {c} ORDER BY n DESC, {c}"),
        check_distinct: Some(col.schema.name.clone()),
    }
}
