//! "What are the minimum, maximum and average unit price of tracks?": min, max
//! and average of each numeric column that is neither a key nor named like an id.

use super::columns::{is_id_like, is_key, is_numeric};
use super::{Column, ExampleCandidate, Subject};

pub(super) fn candidates(s: &Subject) -> Vec<ExampleCandidate> {
    s.columns(|c| is_numeric(&c.data_type) && !is_key(s.table, &c.name) && !is_id_like(&c.name))
        .map(|col| candidate(s, &col))
        .collect()
}

fn candidate(s: &Subject, col: &Column) -> ExampleCandidate {
    let (t, plural, c, a) = (&s.quoted, &s.plural, &col.quoted, &col.alias);
    ExampleCandidate {
        question_en: format!(
            "What are the minimum, maximum and average {} of {plural}?",
            col.words
        ),
        question_zh: format!(
            "{} 的 {} 最小值、最大值和平均值是多少？",
            s.table.name, col.schema.name
        ),
        sql: format!(
            "SELECT MIN({c}) AS min_{a}, MAX({c}) AS max_{a}, AVG({c}) AS avg_{a} FROM {t}"
        ),
        check_distinct: None,
    }
}
