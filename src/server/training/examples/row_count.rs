//! "How many tracks are there?": the table's row count.

use super::{ExampleCandidate, Subject};

pub(super) fn candidates(s: &Subject) -> Vec<ExampleCandidate> {
    vec![ExampleCandidate {
        question_en: format!("How many {} are there?", s.plural),
        question_zh: format!("{} 表中有多少条记录？", s.table.name),
        sql: format!("SELECT COUNT(*) AS row_count FROM {}", s.quoted),
        check_distinct: None,
    }]
}
