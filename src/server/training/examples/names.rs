//! Words derived from identifiers: for the questions (`InvoiceLine` → `invoice
//! lines`) and for SQL aliases, which hold only `[a-z0-9_]`.

use crate::server::search::text::{split_identifier, stem};

/// Longest alias stem, so that `min_`/`_count` aliases stay well under
/// PostgreSQL's 63-byte identifier limit.
const MAX_ALIAS_WORDS: usize = 40;

/// Lowercase words of an identifier for questions: `InvoiceLine` →
/// `invoice line`, `unit_price` → `unit price`. Falls back to the name itself
/// when it has no letters or digits.
pub(super) fn humanize(ident: &str) -> String {
    let parts = split_identifier(ident);
    if parts.is_empty() {
        ident.to_string()
    } else {
        parts.join(" ")
    }
}

/// [`humanize`] with the last word made plural (`InvoiceLine` → `invoice
/// lines`, `Category` → `categories`, `Address` → `addresses`); words that
/// already look plural or are not ASCII are kept.
pub(super) fn humanize_plural(ident: &str) -> String {
    let mut parts = split_identifier(ident);
    let Some(last) = parts.last_mut() else {
        return ident.to_string();
    };
    *last = pluralize(last);
    parts.join(" ")
}

fn pluralize(word: &str) -> String {
    let w = word;
    let vowels = "aeiou";
    if !w.bytes().all(|b| b.is_ascii_lowercase()) || w.len() < 2 {
        return w.to_string();
    }
    if stem(w) != w {
        return w.to_string(); // already plural: `customers`
    }
    if let Some(base) = w.strip_suffix('y')
        && !base.ends_with(|c| vowels.contains(c))
    {
        return format!("{base}ies");
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|s| w.ends_with(s)) {
        return format!("{w}es");
    }
    format!("{w}s")
}

/// A safe alias stem: the identifier's ASCII words, only `[a-z0-9]`, joined
/// by `_`, starting with a letter; `fallback` (itself safe) when nothing is
/// left.
pub(super) fn alias(ident: &str, fallback: &str) -> String {
    let words: Vec<String> = split_identifier(ident)
        .into_iter()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut a = words.join("_");
    if a.len() > MAX_ALIAS_WORDS {
        a.truncate(MAX_ALIAS_WORDS);
        a = a.trim_end_matches('_').to_string();
    }
    if a.is_empty() {
        return fallback.to_string();
    }
    if a.starts_with(|c: char| c.is_ascii_digit()) {
        a.insert_str(0, "c_");
    }
    a
}
