//! Text processing for the full-text index and for the questions searched
//! against it.
//!
//! Both SQLite (FTS5, `unicode61` tokenizer) and PostgreSQL
//! (`to_tsvector('simple', …)`) index a column of *pre-segmented* text: the
//! output of [`index_terms`], space-joined terms that are already lowercase and
//! made only of letters and digits. Because every emitted term is a single run
//! of characters both tokenizers keep inside a token, each engine sees exactly
//! the terms produced here, and questions normalised by [`query_terms`] match
//! them term for term.
//!
//! Normalisation, shared by both sides:
//! 1. segmentation with jieba's search mode (Chinese words *and* their
//!    dictionary sub-words: `发票金额` → `发票 金额 发票金额`);
//! 2. lowercasing, and splitting each token into runs of letters/digits
//!    (punctuation, quotes, `_` and whitespace separate);
//! 3. for identifier-like ASCII tokens, the whole identifier with its
//!    separators removed plus its parts (`InvoiceLineId` →
//!    `invoicelineid invoice line id`; `invoice_line` → `invoiceline invoice
//!    line`), so that a snake_case and a CamelCase spelling of the same name
//!    meet on the same terms;
//! 4. a light English plural stem added next to each ASCII word
//!    (`tracks` → `tracks track`), so "tracks" in a question matches `Track`
//!    in a DDL;
//! 5. the single characters of each Chinese word of two or more characters
//!    (`车型` → `车型 车 型`), so that a question's word meets a gloss or a
//!    name that shares characters with it but is another dictionary word.

use std::collections::HashSet;
use std::sync::LazyLock;

static JIEBA: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);

/// English function words dropped from questions (compared before stemming).
const EN_STOPWORDS: &[&str] = &[
    "how", "many", "much", "are", "is", "there", "the", "a", "an", "of", "what", "which", "who",
    "show", "list", "give", "me", "all", "each", "per", "in", "on", "for", "to", "by", "with",
    "and", "or", "from", "do", "does", "did", "that", "this", "these", "those", "be", "was",
    "were", "has", "have", "at", "as", "it", "its", "i", "my", "our", "you", "your", "can", "into",
];

/// Chinese function words dropped from questions.
const ZH_STOPWORDS: &[&str] = &[
    "的", "了", "是", "有", "吗", "呢", "和", "与", "及", "在", "中", "个", "都", "哪些", "什么",
    "多少", "请", "列出", "显示", "给出", "每个", "每", "所有", "哪个", "一下", "吧", "啊",
];

/// Words ending in `s` that are not plurals (or whose plural rule would
/// mangle them); [`stem`] leaves them alone.
const STEM_EXCEPTIONS: &[&str] = &[
    "alias",
    "atlas",
    "bias",
    "canvas",
    "gas",
    "has",
    "was",
    "this",
    "thus",
    "yes",
    "does",
    "goes",
    "plus",
    "news",
    "series",
    "species",
    "always",
    "perhaps",
    "whereas",
    "its",
    "chaos",
    "kudos",
    "lens",
    "mathematics",
    "physics",
    "economics",
    "analytics",
    "statistics",
    "metrics",
];

/// Plurals in `-ies` whose singular ends in `-ie` rather than `-y`.
const IES_TO_IE: &[&str] = &[
    "movies", "cookies", "calories", "zombies", "rookies", "selfies", "brownies", "species",
];

/// Plurals in `-ches` whose singular ends in `-che`.
const CHES_TO_CHE: &[&str] = &[
    "caches",
    "niches",
    "headaches",
    "avalanches",
    "moustaches",
    "mustaches",
];

/// The terms to index for `text`: lowercase, letters/digits only, joined by
/// single spaces, in order of appearance.
///
/// Duplicates are kept on purpose: both FTS5's bm25 and PostgreSQL's
/// `ts_rank` weigh a term by how often it occurs, so a DDL that mentions
/// `track` five times should say so. Only the expansions of one token are
/// de-duplicated among themselves (`Track` gives `track`, not `track track`).
/// Deterministic: the same text always gives the same string.
pub fn index_terms(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for token in JIEBA.cut_for_search(text, true) {
        expand_token(token.word, &mut out);
    }
    out.join(" ")
}

/// The search terms of a user question: the normalisation of
/// [`index_terms`], stopwords removed (English and Chinese function words,
/// single ASCII characters), de-duplicated in first-seen order.
///
/// Every term is made only of letters and digits, so it is one token for
/// FTS5's `unicode61` and for PostgreSQL's parser.
pub fn query_terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for token in JIEBA.cut_for_search(text, true) {
        let lower = token.word.to_lowercase();
        if is_stopword(&lower) {
            continue;
        }
        // The whole token is expanded (`unit_price` → `unitprice unit price`);
        // stopwords among its parts are dropped below.
        let mut expanded = Vec::new();
        expand_token(token.word, &mut expanded);
        for term in expanded {
            if is_stopword(&term) || is_single_ascii(&term) {
                continue;
            }
            if seen.insert(term.clone()) {
                out.push(term);
            }
        }
    }
    out
}

/// The lowercase parts of an identifier: split on every character that is not
/// a letter or digit (`_`, `-`, `.`, spaces…), on lower→upper case changes
/// (`invoiceLine`), before the last capital of a capital run followed by a
/// lowercase letter (`HTTPServer` → `http`, `server`), and between letters
/// and digits (`address2` → `address`, `2`).
pub fn split_identifier(ident: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for run in alnum_runs(ident) {
        let chars: Vec<char> = run.chars().collect();
        let mut current = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && !current.is_empty() {
                let prev = chars[i - 1];
                let next = chars.get(i + 1).copied();
                let boundary = (prev.is_lowercase() && c.is_uppercase())
                    || (prev.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(|n| n.is_lowercase()))
                    || (prev.is_numeric() != c.is_numeric());
                if boundary {
                    parts.push(std::mem::take(&mut current).to_lowercase());
                }
            }
            current.push(c);
        }
        if !current.is_empty() {
            parts.push(current.to_lowercase());
        }
    }
    parts
}

/// A light English plural → singular stem for lowercase ASCII words; any
/// other word is returned unchanged.
///
/// Rules, first match wins: words shorter than 4 letters and listed
/// exceptions stay; `-ies` → `-y` (`categories`; `movies` → `movie`);
/// `-sses` → `-ss` (`addresses`); `-xes`, `-zzes`, `-ches`, `-shes` drop `es`
/// (`boxes`, `branches`); `-uses` after a consonant drops `es` (`statuses`,
/// `buses`), after a vowel drops `s` (`houses`); words ending in `ss`, `us`,
/// `is` stay (`address`, `status`, `analysis`); any other final `s` is
/// dropped (`tracks`, `invoices`, `purchases`).
pub fn stem(word: &str) -> String {
    let w = word;
    if w.len() < 4 || !w.bytes().all(|b| b.is_ascii_lowercase()) || STEM_EXCEPTIONS.contains(&w) {
        return w.to_string();
    }
    let cut = |n: usize| w[..w.len() - n].to_string();
    if let Some(base) = w.strip_suffix("ies") {
        if IES_TO_IE.contains(&w) {
            return cut(1);
        }
        if base.len() >= 2 {
            return format!("{base}y");
        }
        return cut(1); // `ties` → `tie`
    }
    if w.ends_with("sses") {
        return cut(2);
    }
    if w.ends_with("ches") && CHES_TO_CHE.contains(&w) {
        return cut(1);
    }
    if w.ends_with("xes") || w.ends_with("zzes") || w.ends_with("ches") || w.ends_with("shes") {
        return cut(2);
    }
    if let Some(base) = w.strip_suffix("uses") {
        let after_vowel = base.chars().last().is_some_and(|c| "aeiou".contains(c));
        return if after_vowel { cut(1) } else { cut(2) };
    }
    if w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") {
        return w.to_string();
    }
    if w.ends_with('s') {
        return cut(1);
    }
    w.to_string()
}

/// Appends the terms of one segmenter token to `out`: its lowercase
/// alphanumeric runs, and for ASCII identifiers the joined form, the parts
/// and the stems, without repeating a term within this token.
fn expand_token(word: &str, out: &mut Vec<String>) {
    let lower = word.to_lowercase();
    let runs: Vec<&str> = alnum_runs(&lower).collect();
    if runs.is_empty() {
        return;
    }
    let mut local: Vec<String> = Vec::new();
    fn push(t: String, local: &mut Vec<String>) {
        if !t.is_empty() && !local.contains(&t) {
            local.push(t);
        }
    }
    let ascii = word.is_ascii();
    if ascii && runs.len() > 1 {
        // `invoice_line` → `invoiceline`, the same term `InvoiceLine` gives.
        let joined: String = runs.concat();
        push(joined.clone(), &mut local);
        push(stem(&joined), &mut local);
    }
    for run in &runs {
        push(run.to_string(), &mut local);
        if ascii {
            push(stem(run), &mut local);
        }
    }
    if !ascii {
        // Each character of a Chinese word, so that words that share characters meet
        // (`车型` and `汽车` share `车`): BM25's idf keeps common characters light.
        for run in &runs {
            if run.chars().count() >= 2 && run.chars().all(is_cjk) {
                for c in run.chars() {
                    push(c.to_string(), &mut local);
                }
            }
        }
    }
    if ascii {
        let parts = split_identifier(word);
        if parts.len() > 1 {
            for part in parts {
                // Pure-digit fragments (`2` of `address2`) are noise on their own.
                if part.chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let s = stem(&part);
                push(part, &mut local);
                push(s, &mut local);
            }
        }
    }
    out.extend(local);
}

/// A CJK unified ideograph (the basic block and extension A).
fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Maximal runs of letters/digits, the characters FTS5 `unicode61` keeps in a token.
fn alnum_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
}

fn is_stopword(term: &str) -> bool {
    EN_STOPWORDS.contains(&term) || ZH_STOPWORDS.contains(&term)
}

fn is_single_ascii(term: &str) -> bool {
    term.len() == 1 && term.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(s: &str) -> Vec<String> {
        index_terms(s).split(' ').map(str::to_string).collect()
    }

    #[test]
    fn splits_snake_case() {
        assert_eq!(split_identifier("invoice_line"), vec!["invoice", "line"]);
        assert_eq!(split_identifier("__unit__price__"), vec!["unit", "price"]);
        assert_eq!(
            split_identifier("billing-address.city"),
            vec!["billing", "address", "city"]
        );
    }

    #[test]
    fn splits_camel_case() {
        assert_eq!(
            split_identifier("InvoiceLineId"),
            vec!["invoice", "line", "id"]
        );
        assert_eq!(split_identifier("invoiceLine"), vec!["invoice", "line"]);
        assert_eq!(split_identifier("Track"), vec!["track"]);
    }

    #[test]
    fn splits_all_caps() {
        assert_eq!(split_identifier("HTTPServer"), vec!["http", "server"]);
        assert_eq!(split_identifier("CUSTOMER_ID"), vec!["customer", "id"]);
        assert_eq!(split_identifier("parseURL"), vec!["parse", "url"]);
        assert_eq!(split_identifier("ID"), vec!["id"]);
    }

    #[test]
    fn splits_digits() {
        assert_eq!(split_identifier("address2"), vec!["address", "2"]);
        assert_eq!(
            split_identifier("Address2Line"),
            vec!["address", "2", "line"]
        );
        assert_eq!(split_identifier(""), Vec::<String>::new());
        assert_eq!(split_identifier("__"), Vec::<String>::new());
    }

    #[test]
    fn stems_plurals_carefully() {
        let table = [
            ("tracks", "track"),
            ("invoices", "invoice"),
            ("categories", "category"),
            ("countries", "country"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("branches", "branch"),
            ("caches", "cache"),
            ("purchases", "purchase"),
            ("statuses", "status"),
            ("houses", "house"),
            ("movies", "movie"),
            ("employees", "employee"),
            ("genres", "genre"),
            ("ties", "tie"),
            // Not plurals: unchanged.
            ("status", "status"),
            ("address", "address"),
            ("analysis", "analysis"),
            ("bus", "bus"),
            ("is", "is"),
            ("has", "has"),
            ("this", "this"),
            ("series", "series"),
            ("alias", "alias"),
            ("track", "track"),
            ("milliseconds", "millisecond"),
            // Non-ASCII and mixed-case words are left alone.
            ("客户", "客户"),
            ("Tracks", "Tracks"),
        ];
        for (word, expected) in table {
            assert_eq!(stem(word), expected, "stem({word})");
        }
    }

    #[test]
    fn segments_chinese() {
        let t = terms("每个客户的发票金额");
        assert!(t.contains(&"客户".to_string()), "{t:?}");
        assert!(t.contains(&"发票".to_string()), "{t:?}");
        assert!(t.contains(&"金额".to_string()), "{t:?}");
        let q = query_terms("每个客户的发票数量");
        assert!(q.contains(&"客户".to_string()), "{q:?}");
        assert!(q.contains(&"发票".to_string()), "{q:?}");
        assert!(q.contains(&"数量".to_string()), "{q:?}");
        assert!(!q.contains(&"的".to_string()), "{q:?}");
        assert!(!q.contains(&"每个".to_string()), "{q:?}");
    }

    #[test]
    fn chinese_words_bring_their_characters() {
        // `车型` (car model) and the gloss `汽车` (car) are different words that share `车`.
        let q = query_terms("哪个车型的马力最小");
        for t in ["车型", "车", "型"] {
            assert!(q.contains(&t.to_string()), "{t} in {q:?}");
        }
        let t = terms("汽车 car");
        assert!(t.contains(&"车".to_string()), "{t:?}");
        assert!(t.contains(&"car".to_string()), "{t:?}");
        // Single characters are not repeated, ASCII words bring no characters, and
        // stopword characters stay out of questions.
        assert_eq!(terms("车"), vec!["车"]);
        assert!(!terms("track").contains(&"t".to_string()));
        assert!(!query_terms("中国的汽车").contains(&"中".to_string()));
    }

    #[test]
    fn query_terms_drop_stopwords_and_stem() {
        let q = query_terms("How many tracks are there?");
        assert!(q.contains(&"track".to_string()), "{q:?}");
        assert!(q.contains(&"tracks".to_string()), "{q:?}");
        for stop in ["how", "many", "are", "there", "?"] {
            assert!(!q.contains(&stop.to_string()), "{stop} in {q:?}");
        }
        // De-duplicated, first-seen order.
        let q = query_terms("tracks, Tracks and TRACKS");
        assert_eq!(q, vec!["tracks", "track"]);
    }

    #[test]
    fn query_terms_are_single_tokens() {
        let q =
            query_terms("What's the \"unit_price\" of InvoiceLine (id=5)? 客户：名称、发票*金额！");
        assert!(!q.is_empty());
        for t in &q {
            assert!(t.chars().all(char::is_alphanumeric), "{t:?} in {q:?}");
            assert_eq!(t, &t.to_lowercase());
        }
        assert!(q.contains(&"unitprice".to_string()), "{q:?}");
        assert!(q.contains(&"unit".to_string()), "{q:?}");
        assert!(q.contains(&"invoiceline".to_string()), "{q:?}");
        assert!(q.contains(&"line".to_string()), "{q:?}");
        assert!(!q.contains(&"s".to_string()), "{q:?}");
        assert!(query_terms("").is_empty());
        assert!(query_terms("how many are there?!").is_empty());
    }

    #[test]
    fn index_terms_of_track_ddl() {
        let ddl = r#"CREATE TABLE "Track" (
  "TrackId" INTEGER NOT NULL,
  "Name" NVARCHAR(200) NOT NULL,
  "AlbumId" INTEGER,
  "MediaTypeId" INTEGER NOT NULL,
  "GenreId" INTEGER,
  "UnitPrice" NUMERIC(10,2) NOT NULL,
  PRIMARY KEY ("TrackId"),
  FOREIGN KEY ("AlbumId") REFERENCES "Album" ("AlbumId"),
  FOREIGN KEY ("GenreId") REFERENCES "Genre" ("GenreId")
);"#;
        let text = index_terms(ddl);
        let t: Vec<&str> = text.split(' ').collect();
        for expected in [
            "track",
            "trackid",
            "album",
            "albumid",
            "genre",
            "media",
            "type",
            "unit",
            "price",
            "unitprice",
            "create",
            "table",
        ] {
            assert!(t.contains(&expected), "{expected} missing in {text}");
        }
        // Only lowercase letters/digits, single spaces.
        assert!(!text.contains("  "));
        assert!(
            t.iter()
                .all(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric)),
            "{text}"
        );
        assert_eq!(text, text.to_lowercase());
        // Deterministic.
        assert_eq!(index_terms(ddl), text);
        // The content words of a question about it appear in its index.
        let q = query_terms("How many tracks are there per genre?");
        assert_eq!(q, vec!["tracks", "track", "genre"]);
        assert!(t.contains(&"track") && t.contains(&"genre"));
    }

    #[test]
    fn index_terms_expand_identifiers() {
        let t = terms("InvoiceLineId invoice_line");
        for expected in ["invoicelineid", "invoice", "line", "id", "invoiceline"] {
            assert!(
                t.contains(&expected.to_string()),
                "{expected} missing in {t:?}"
            );
        }
        assert!(terms("tracks").contains(&"track".to_string()));
        assert_eq!(index_terms(""), "");
        assert_eq!(index_terms(" ,.;\"'` "), "");
        // Duplicates across tokens are kept (term frequency), not within one.
        assert_eq!(index_terms("Track track"), "track track");
    }
}
