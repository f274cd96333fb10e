//! The foreign-key graph of a trained collection, read back from its DDL items,
//! and the one-hop expansion of a table ranking along it.
//!
//! The tables a question needs are nearly always joined by foreign keys: when
//! `student` ranks first for "students who have a dog", the link table
//! `has_pet` and `pets` that it joins are likelier than an unrelated table
//! that shares a word. Each of the top tables lends a share of its score to
//! its neighbours (and a quarter to the tables two hops away, on the other side
//! of a link table); a link table between two top tables collects from both.

use std::collections::HashMap;

/// Tables whose neighbours are lifted.
const SEEDS: usize = 3;
/// The share of a seed's score each neighbour receives.
const SHARE: f64 = 0.5;

/// Undirected foreign-key adjacency between the tables of one version.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TableGraph {
    neighbours: HashMap<String, Vec<String>>,
}

impl TableGraph {
    /// Builds the graph from `(table name, DDL text)` pairs; references to
    /// tables that are not in the set are ignored.
    pub fn from_ddl<'a>(tables: impl IntoIterator<Item = (&'a str, &'a str)>) -> TableGraph {
        let tables: Vec<(&str, &str)> = tables.into_iter().collect();
        // Exact names first, then case-insensitive, then the name after a schema dot.
        let mut by_lower: HashMap<String, &str> = HashMap::new();
        for (name, _) in &tables {
            by_lower.entry(name.to_lowercase()).or_insert(name);
            if let Some((_, local)) = name.rsplit_once('.') {
                by_lower.entry(local.to_lowercase()).or_insert(name);
            }
        }
        let mut graph = TableGraph::default();
        for (name, ddl) in &tables {
            for target in references(ddl) {
                let found = by_lower.get(&target.to_lowercase()).or_else(|| {
                    target
                        .rsplit_once('.')
                        .and_then(|(_, local)| by_lower.get(&local.to_lowercase()))
                });
                if let Some(&other) = found
                    && other != *name
                {
                    graph.link(name, other);
                }
            }
        }
        graph
    }

    fn link(&mut self, a: &str, b: &str) {
        for (x, y) in [(a, b), (b, a)] {
            let list = self.neighbours.entry(x.to_string()).or_default();
            if !list.iter().any(|n| n == y) {
                list.push(y.to_string());
            }
        }
    }

    pub fn neighbours(&self, table: &str) -> &[String] {
        self.neighbours.get(table).map_or(&[], Vec::as_slice)
    }

    /// `ranked` (best first) with each of its top [`SEEDS`] tables lending
    /// [`SHARE`] of its score to its neighbours, which join the ranking if they
    /// were not in it; no lifted table passes the first. Ties keep the earlier
    /// order.
    pub fn expand(&self, ranked: Vec<(String, f64)>) -> Vec<(String, f64)> {
        if self.neighbours.is_empty() || ranked.is_empty() {
            return ranked;
        }
        let mut bonus: HashMap<String, f64> = HashMap::new();
        for (seed, score) in ranked.iter().take(SEEDS) {
            for n in self.neighbours(seed) {
                *bonus.entry(n.clone()).or_default() += SHARE * score;
                // Two hops: through a link table to the table on its other side.
                for m in self.neighbours(n) {
                    if m != seed {
                        *bonus.entry(m.clone()).or_default() += SHARE * SHARE * score;
                    }
                }
            }
        }
        // The table the question matches best stays first: lifted tables stop
        // just below it.
        let top = ranked[0].1;
        let ceiling = top - top.abs() * 1e-9;
        let lift = |s: f64, b: f64| {
            if b > 0.0 {
                (s + b).min(ceiling).max(s)
            } else {
                s
            }
        };
        let first = ranked[0].0.clone();
        let mut out: Vec<(String, f64)> = ranked
            .into_iter()
            .map(|(t, s)| {
                let b = bonus.remove(&t).unwrap_or(0.0);
                if t == first { (t, s) } else { (t, lift(s, b)) }
            })
            .collect();
        // Neighbours that had no hit of their own, in a stable order.
        let mut added: Vec<(String, f64)> = bonus
            .into_iter()
            .filter(|(t, _)| *t != first)
            .map(|(t, b)| (t, lift(0.0, b)))
            .collect();
        added.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.extend(added);
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }
}

/// The table names after each `REFERENCES` in a DDL text, unquoted (`"x"`,
/// `` `x` ``, `[x]` or bare; a schema-qualified name keeps its dot).
pub fn references(ddl: &str) -> Vec<String> {
    let mut out = Vec::new();
    let upper = ddl.to_ascii_uppercase();
    let mut from = 0;
    while let Some(at) = upper[from..].find("REFERENCES") {
        let start = from + at + "REFERENCES".len();
        from = start;
        let rest = ddl[start..].trim_start();
        if let Some(name) = qualified_name(rest) {
            out.push(name);
        }
    }
    out
}

/// A possibly dotted identifier at the start of `s`.
fn qualified_name(s: &str) -> Option<String> {
    let (first, mut rest) = identifier(s)?;
    let mut name = first;
    while let Some(after_dot) = rest.strip_prefix('.') {
        let (part, r) = identifier(after_dot)?;
        name.push('.');
        name.push_str(&part);
        rest = r;
    }
    Some(name)
}

/// One identifier at the start of `s` and what follows it.
fn identifier(s: &str) -> Option<(String, &str)> {
    let close = match s.chars().next()? {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        c if c.is_alphanumeric() || c == '_' => {
            let end = s
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(s.len());
            return Some((s[..end].to_string(), &s[end..]));
        }
        _ => return None,
    };
    let mut name = String::new();
    let mut chars = s[1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == close {
            // A doubled quote is a quote inside the name.
            if close != ']' && chars.peek().map(|(_, n)| *n) == Some(close) {
                chars.next();
                name.push(c);
                continue;
            }
            return Some((name, &s[1 + i + c.len_utf8()..]));
        }
        name.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_every_quoting() {
        let ddl = "CREATE TABLE \"has_pet\" (\n  \"StuID\" INTEGER,\n  \"PetID\" INTEGER,\n  \
                   FOREIGN KEY (\"StuID\") REFERENCES \"Student\" (\"StuID\"),\n  \
                   FOREIGN KEY (\"PetID\") REFERENCES \"pets\" (\"PetID\")\n);";
        assert_eq!(references(ddl), vec!["Student", "pets"]);
        assert_eq!(references("x references `Other` (`A`)"), vec!["Other"]);
        assert_eq!(
            references("REFERENCES [Order Details] (id)"),
            vec!["Order Details"]
        );
        assert_eq!(
            references("REFERENCES \"sales\".\"orders\" (id)"),
            vec!["sales.orders"]
        );
        assert_eq!(references("REFERENCES \"a\"\"b\" (id)"), vec!["a\"b"]);
        assert_eq!(
            references("REFERENCES plain_table(id)"),
            vec!["plain_table"]
        );
        assert!(references("CREATE TABLE t (id INTEGER)").is_empty());
    }

    fn graph() -> TableGraph {
        TableGraph::from_ddl([
            ("student", "CREATE TABLE student (id INTEGER)"),
            ("pets", "CREATE TABLE pets (id INTEGER)"),
            (
                "has_pet",
                "CREATE TABLE has_pet (s INTEGER REFERENCES \"Student\" (id), p INTEGER REFERENCES pets (id))",
            ),
            (
                "staff",
                "CREATE TABLE staff (id INTEGER REFERENCES nowhere (id))",
            ),
        ])
    }

    #[test]
    fn the_graph_is_undirected_and_ignores_unknown_tables() {
        let g = graph();
        assert_eq!(g.neighbours("has_pet"), ["student", "pets"]);
        assert_eq!(g.neighbours("student"), ["has_pet"]);
        assert!(g.neighbours("staff").is_empty());
        let qualified = TableGraph::from_ddl([
            (
                "public.orders",
                "CREATE TABLE orders (c INTEGER REFERENCES \"public\".\"customers\" (id))",
            ),
            ("public.customers", "CREATE TABLE customers (id INTEGER)"),
        ]);
        assert_eq!(qualified.neighbours("public.customers"), ["public.orders"]);
    }

    #[test]
    fn neighbours_of_the_top_tables_are_lifted() {
        let g = graph();
        let ranked = vec![
            ("student".to_string(), 1.0),
            ("staff".to_string(), 0.6),
            ("pets".to_string(), 0.5),
        ];
        let out: Vec<String> = g.expand(ranked).into_iter().map(|(t, _)| t).collect();
        // has_pet had no hit: it joins through student (0.5) and pets (0.25);
        // pets gains two hops from student (0.25) and passes staff.
        assert_eq!(out, vec!["student", "pets", "has_pet", "staff"]);
        // The first table stays first, however much its neighbours gain.
        let close = vec![
            ("staff".to_string(), 1.0),
            ("student".to_string(), 0.9),
            ("pets".to_string(), 0.9),
        ];
        assert_eq!(g.expand(close)[0].0, "staff");
        // Nothing to lift: the ranking is unchanged.
        let alone = vec![("staff".to_string(), 1.0)];
        assert_eq!(g.expand(alone.clone()), alone);
        assert_eq!(TableGraph::default().expand(alone.clone()), alone);
    }
}
