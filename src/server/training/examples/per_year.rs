//! "How many invoices are there per year of invoice date?": rows counted per
//! year of each date or timestamp column that is not a key, with each
//! dialect's own way of taking the year.

use super::columns::{is_date, is_key};
use super::{Column, ExampleCandidate, Subject};
use crate::server::sources::Dialect;

pub(super) fn candidates(s: &Subject) -> Vec<ExampleCandidate> {
    s.columns(|c| is_date(&c.data_type) && !is_key(s.table, &c.name))
        .map(|col| candidate(s, &col))
        .collect()
}

fn candidate(s: &Subject, col: &Column) -> ExampleCandidate {
    let (t, plural, c) = (&s.quoted, &s.plural, &col.quoted);
    let year = match s.dialect {
        Dialect::Sqlite => format!("strftime('%Y', {c})"),
        Dialect::Postgres => format!("EXTRACT(YEAR FROM {c})"),
        Dialect::Mysql => format!("YEAR({c})"),
    };
    let a = format!("{}_year", col.alias);
    ExampleCandidate {
        question_en: format!("How many {plural} are there per year of {}?", col.words),
        question_zh: format!(
            "按 {} 的年份统计 {} 的记录数",
            col.schema.name, s.table.name
        ),
        sql: format!("SELECT {year} AS {a}, COUNT(*) AS n FROM {t} GROUP BY {year} ORDER BY {a}"),
        check_distinct: None,
    }
}
