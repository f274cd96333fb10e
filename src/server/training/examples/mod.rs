//! Stage 4: example question → SQL pairs, generated deterministically from a
//! table's structure.
//!
//! [`candidates`] lists, in priority order, queries that are likely to be
//! useful examples for a text-to-SQL assistant, one module a kind:
//! [`row_count`], [`per_parent`] (children per parent along each foreign key),
//! [`numeric_stats`] (statistics of numeric columns), [`per_value`] (counts per
//! value of text columns) and [`per_year`] (counts per year of date columns).
//! The caller runs each against the source and keeps the first ones that
//! succeed (and, for text columns, whose column has few distinct values).
//!
//! Every identifier goes through [`Dialect::quote`]; aliases are built only
//! from `[a-z0-9_]` words derived from the identifiers ([`names::alias`]), so
//! no user text is ever spliced into SQL unquoted.

mod columns;
mod names;
mod numeric_stats;
mod per_parent;
mod per_value;
mod per_year;
mod row_count;

use crate::server::sources::{ColumnSchema, Dialect, TableSchema};

/// The columns whose distinct values are worth indexing when there are few
/// of them: text columns that are neither keys nor named like ids
/// (`country`, `status`, `genre`, not `customer_id`).
pub fn value_columns(table: &TableSchema) -> Vec<&str> {
    table
        .columns
        .iter()
        .filter(|c| columns::is_text(&c.data_type))
        .filter(|c| !columns::is_key(table, &c.name) && !columns::is_id_like(&c.name))
        .map(|c| c.name.as_str())
        .collect()
}

/// One example question (in English and Chinese) with its SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleCandidate {
    pub question_en: String,
    pub question_zh: String,
    pub sql: String,
    /// A column whose distinct-value count the caller must check is ≤ 20
    /// before keeping this candidate (low-cardinality text columns).
    pub check_distinct: Option<String>,
}

/// The table examples are generated for, with what every kind of example needs.
struct Subject<'a> {
    table: &'a TableSchema,
    /// Where a foreign key's parent is looked up.
    all_tables: &'a [TableSchema],
    dialect: Dialect,
    /// The table's name, quoted.
    quoted: String,
    /// The table's name as plural English words: `InvoiceLine` → `invoice lines`.
    plural: String,
}

impl Subject<'_> {
    fn quote(&self, ident: &str) -> String {
        self.dialect.quote(ident)
    }

    /// The table's columns that `keep` accepts, in order.
    fn columns(&self, keep: impl Fn(&ColumnSchema) -> bool) -> impl Iterator<Item = Column<'_>> {
        self.table
            .columns
            .iter()
            .enumerate()
            .filter(move |(_, col)| keep(col))
            .map(|(i, col)| Column {
                schema: col,
                quoted: self.quote(&col.name),
                words: names::humanize(&col.name),
                alias: names::alias(&col.name, &format!("col{}", i + 1)),
            })
    }
}

/// A column an example is about, with what its question and SQL need.
struct Column<'a> {
    schema: &'a ColumnSchema,
    /// The column's name, quoted.
    quoted: String,
    /// The column's name as English words: `UnitPrice` → `unit price`.
    words: String,
    /// An alias stem: the name's words, else `col` and the column's 1-based position.
    alias: String,
}

/// One kind of example: its candidates for a table, in its own order.
type Kind = fn(&Subject) -> Vec<ExampleCandidate>;

/// The kinds of example in priority order.
const KINDS: [Kind; 5] = [
    row_count::candidates,
    per_parent::candidates,
    numeric_stats::candidates,
    per_value::candidates,
    per_year::candidates,
];

/// The example candidates for `table`, in priority order:
/// 1. the row count;
/// 2. for each foreign key, children counted per parent row (with the
///    parent's name/title column when it has one);
/// 3. min/max/avg of each numeric, non-key, non-id column;
/// 4. counts per value of each non-key, non-id text column (`check_distinct` set);
/// 5. counts per year of each non-key date/timestamp column.
///
/// `all_tables` is used to find a parent's primary key (when a foreign key
/// names no columns) and its name column. Deterministic.
pub fn candidates(
    table: &TableSchema,
    all_tables: &[TableSchema],
    dialect: Dialect,
) -> Vec<ExampleCandidate> {
    let subject = Subject {
        table,
        all_tables,
        dialect,
        quoted: dialect.quote_table(&table.name),
        plural: names::humanize_plural(&table.name),
    };
    KINDS.iter().flat_map(|kind| kind(&subject)).collect()
}

#[cfg(test)]
mod tests;
