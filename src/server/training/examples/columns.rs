//! Which columns an example may use: declared types read as numeric, text or
//! date, and columns that are keys or named like ids.

use crate::server::sources::TableSchema;

/// The words of a declared type: `NUMERIC(10,2)` → `numeric 10 2`,
/// `double precision` → `double precision`.
fn type_words(data_type: &str) -> Vec<String> {
    data_type
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn type_has(data_type: &str, words: &[&str]) -> bool {
    type_words(data_type)
        .iter()
        .any(|w| words.contains(&w.as_str()))
}

pub(super) fn is_numeric(data_type: &str) -> bool {
    type_has(
        data_type,
        &[
            "int",
            "integer",
            "int2",
            "int4",
            "int8",
            "smallint",
            "bigint",
            "tinyint",
            "mediumint",
            "decimal",
            "dec",
            "numeric",
            "real",
            "float",
            "float4",
            "float8",
            "double",
            "money",
            "smallmoney",
            "number",
        ],
    )
}

pub(super) fn is_text(data_type: &str) -> bool {
    type_has(
        data_type,
        &[
            "char",
            "nchar",
            "varchar",
            "nvarchar",
            "varchar2",
            "nvarchar2",
            "character",
            "varying",
            "text",
            "tinytext",
            "mediumtext",
            "longtext",
            "ntext",
            "citext",
            "bpchar",
            "clob",
            "nclob",
            "string",
        ],
    )
}

/// Dates and timestamps (with or without time zone); `time` alone is not one.
pub(super) fn is_date(data_type: &str) -> bool {
    type_has(
        data_type,
        &[
            "date",
            "datetime",
            "datetime2",
            "smalldatetime",
            "datetimeoffset",
            "timestamp",
            "timestamptz",
        ],
    )
}

/// Part of the primary key or of a foreign key.
pub(super) fn is_key(table: &TableSchema, column: &str) -> bool {
    table.primary_key.iter().any(|c| c == column)
        || table
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.iter().any(|c| c == column))
}

/// Named like an identifier: `id`, `*_id`, `*Id`, `*ID` (`CustomerID`), but
/// not `paid` or `void`.
pub(super) fn is_id_like(name: &str) -> bool {
    let lower = name.to_lowercase();
    if lower == "id" || lower.ends_with("_id") || lower.ends_with("-id") || lower.ends_with(" id") {
        return true;
    }
    let chars: Vec<char> = name.chars().collect();
    let n = chars.len();
    n > 2
        && chars[n - 2] == 'I'
        && (chars[n - 1] == 'd' || chars[n - 1] == 'D')
        && (chars[n - 3].is_lowercase() || chars[n - 3].is_ascii_digit())
}
