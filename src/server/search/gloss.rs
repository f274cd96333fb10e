//! Chinese glosses of English identifier words, for Chinese questions over
//! English-named schemas, offline.
//!
//! The table (`data/en_zh_glosses.tsv`, ~0.5 MB, built into the binary) maps
//! an English word to a few common Chinese words it translates, best first:
//! `singer` → `歌手 歌唱家 …`. It is derived from CC-CEDICT (CC BY-SA 4.0, see
//! `data/LICENSE-CC-CEDICT.md`) by `data/derive_glosses.py`, which inverts
//! the dictionary's one-word senses and keeps, per English word, the five
//! headwords that jieba knows and that are most frequent.
//!
//! Training indexes the glosses of a table's identifier words next to its DDL
//! (so `歌手` in a question meets `singer`); ranking uses the reverse map to
//! see a table named by a Chinese word.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::text::{split_identifier, stem};

static TABLE: &str = include_str!("data/en_zh_glosses.tsv");

/// English word → Chinese glosses, best first.
static EN_ZH: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(en, zh)| (en, zh.split(' ').filter(|z| !z.is_empty()).collect()))
        .collect()
});

/// Chinese word → the English words it glosses.
static ZH_EN: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
    for (en, zhs) in EN_ZH.iter() {
        for zh in zhs {
            map.entry(zh).or_default().push(en);
        }
    }
    for v in map.values_mut() {
        v.sort_unstable();
    }
    map
});

/// The Chinese glosses of one lowercase English word (tried as given, then
/// singular: `singers` → `singer`), best first, at most `max`. Empty for
/// unknown words and words shorter than 2 letters.
pub fn glosses(word: &str, max: usize) -> Vec<&'static str> {
    if word.len() < 2 {
        return Vec::new();
    }
    let found = EN_ZH.get(word).or_else(|| EN_ZH.get(stem(word).as_str()));
    found
        .map(|v| v.iter().take(max).copied().collect())
        .unwrap_or_default()
}

/// The glosses of every word of an identifier (`car_makers` → glosses of
/// `car` and of `makers`), at most `max` per word, space-joined; digits and
/// single letters are skipped.
pub fn identifier_glosses(ident: &str, max: usize) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in split_identifier(ident) {
        if part.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        for g in glosses(&part, max) {
            if !out.contains(&g) {
                out.push(g);
            }
        }
    }
    out.join(" ")
}

/// The glosses of the ASCII identifiers inside a text (`按 Country 统计 singer 的记录数`
/// → glosses of `country` and `singer`), at most `max` per word, space-joined.
pub fn text_glosses(text: &str, max: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if token.is_empty() {
            continue;
        }
        let g = identifier_glosses(token, max);
        if !g.is_empty() && !out.contains(&g) {
            out.push(g);
        }
    }
    out.join(" ")
}

/// The English words a Chinese word glosses (`歌手` → `singer`, …), sorted.
pub fn english_of(zh: &str) -> &'static [&'static str] {
    ZH_EN.get(zh).map(Vec::as_slice).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glosses_common_words() {
        assert!(
            glosses("singer", 5).contains(&"歌手"),
            "{:?}",
            glosses("singer", 5)
        );
        assert!(glosses("student", 5).contains(&"学生"));
        assert!(glosses("airport", 5).contains(&"机场"));
        assert!(glosses("country", 5).contains(&"国家"));
        // Plurals fall back to the singular.
        assert!(glosses("singers", 5).contains(&"歌手"));
        assert_eq!(glosses("singer", 1).len(), 1);
        assert!(glosses("zzzqqq", 5).is_empty());
        assert!(glosses("a", 5).is_empty());
    }

    #[test]
    fn glosses_identifiers() {
        let g = identifier_glosses("CarMakers2", 3);
        assert!(g.contains("汽车"), "{g}");
        assert!(identifier_glosses("__", 3).is_empty());
        assert!(identifier_glosses("Pets", 3).contains("宠物"));
    }

    #[test]
    fn glosses_text() {
        let g = text_glosses("按 Country 统计 singer 的记录数", 2);
        assert!(g.contains("国家") && g.contains("歌手"), "{g}");
        assert_eq!(text_glosses("统计记录数", 2), "");
    }

    #[test]
    fn reverse_lookup() {
        assert!(english_of("歌手").contains(&"singer"));
        assert!(english_of("机场").contains(&"airport"));
        assert!(english_of("不是词").is_empty());
    }

    #[test]
    fn table_is_well_formed() {
        assert!(EN_ZH.len() > 10_000);
        for (en, zh) in EN_ZH.iter() {
            assert!(en.bytes().all(|b| b.is_ascii_lowercase()), "{en}");
            assert!(!zh.is_empty() && zh.len() <= 5, "{en}");
        }
    }
}
