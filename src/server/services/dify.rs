//! Dify's External Knowledge API over the search service: Dify's API key is a
//! datatrain API token (any scope: retrieval only reads), its knowledge ID a
//! dataset id. Records are the search items, their scores mapped into 0..1,
//! filtered by `metadata_condition` and `score_threshold`, at most `top_k`.
//!
//! `metadata_condition` (Dify's `logical_operator` and `conditions`) filters on
//! the metadata every record has: `kind`, `table_name`, `question`. A field an
//! item does not have (the question of a DDL item) counts as empty. The string
//! operators are applied, case-sensitive (as Dify's own knowledge bases
//! compare): `is`, `is not`, `contains`, `not contains`, `start with`,
//! `end with`, `empty`, `not empty`, and `in` / `not in` (a list, or a string
//! of comma-separated values). A condition on an unknown field, with another
//! operator (the numeric and date ones), or without the value its operator
//! needs is left out, as if it were not there; no condition left means no
//! filtering. `name` may be one field or a list of them (older Dify
//! documentation): then the condition holds when it holds for any of them.

use super::Services;
use super::search::{SEARCH_K_DEFAULT, check_query};
use crate::domain::dto::{
    DifyCondition, DifyMetadataCondition, DifyNames, DifyRecord, DifyRecordMetadata, DifyRecords,
    DifyRetrieval, ItemKind, SearchItem, TokenScope,
};
use crate::domain::error::AppError;
use crate::server::auth::CurrentUser;
use crate::server::services::TokenRefusal;

/// `top_k` is capped at this many records.
pub const DIFY_TOP_K_MAX: i64 = 100;
/// A search score of this maps to 0.5 (see [`unit_score`]).
const SCORE_HALF: f64 = 0.5;
/// Documentation titles (the chunk's first line) are cut at this many characters.
const TITLE_MAX: usize = 80;

/// Why Dify gets no records; the REST door turns each into Dify's error format.
#[derive(Debug, Clone, PartialEq)]
pub enum DifyRefusal {
    /// No `Authorization` header, or one that is not `Bearer <key>`.
    MalformedAuthorization,
    /// The key is no datatrain token (never made, revoked, or not ours).
    AuthorizationFailed,
    /// No dataset of the caller with this id, or one never trained.
    UnknownKnowledge,
    /// The body is not a retrieval request; the text says why.
    InvalidRequest(String),
    /// The service failed (internal, database unavailable).
    Failed(AppError),
}

impl From<AppError> for DifyRefusal {
    fn from(e: AppError) -> Self {
        DifyRefusal::Failed(e)
    }
}

impl Services {
    /// The user whose token Dify sends (`Authorization: Bearer <key>`).
    pub async fn dify_caller(
        &self,
        authorization: Option<&str>,
    ) -> Result<CurrentUser, DifyRefusal> {
        let header = authorization.ok_or(DifyRefusal::MalformedAuthorization)?;
        let well_formed = header.trim().split_once(' ').is_some_and(|(scheme, key)| {
            scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty()
        });
        if !well_formed {
            return Err(DifyRefusal::MalformedAuthorization);
        }
        match self.token_caller(header).await? {
            Ok((user, scope)) if scope.covers(TokenScope::Read) => Ok(user),
            Ok(_) | Err(TokenRefusal::Malformed | TokenRefusal::Unknown) => {
                Err(DifyRefusal::AuthorizationFailed)
            }
        }
    }

    /// Dify's retrieval: the best records of the dataset's live collection.
    pub async fn dify_retrieval(
        &self,
        user: &CurrentUser,
        req: &DifyRetrieval,
    ) -> Result<DifyRecords, DifyRefusal> {
        check_query(&req.query)
            .map_err(|rule| DifyRefusal::InvalidRequest(format!("query {rule}")))?;
        let id = req
            .knowledge_id
            .dataset_id()
            .ok_or(DifyRefusal::UnknownKnowledge)?;
        let row = match self.owned(user, id).await {
            Ok(row) if row.live_version.is_some() => row,
            Ok(_) | Err(AppError::NotFound(_)) => return Err(DifyRefusal::UnknownKnowledge),
            Err(e) => return Err(e.into()),
        };
        let setting = &req.retrieval_setting;
        let top_k = setting
            .top_k
            .unwrap_or(SEARCH_K_DEFAULT)
            .clamp(0, DIFY_TOP_K_MAX) as usize;
        let threshold = setting.score_threshold.unwrap_or(0.0);
        let filter = Filter::new(req.metadata_condition.as_ref());
        // Always the same depth, whatever top_k, threshold and filter: a record's
        // score and rank never depend on how many were asked for.
        let found = self.search_row(&row, &req.query, DIFY_TOP_K_MAX).await?;
        let records = found
            .items
            .into_iter()
            .map(record)
            .filter(|r| r.score >= threshold && filter.keeps(&r.metadata))
            .take(top_k)
            .collect();
        Ok(DifyRecords { records })
    }
}

fn record(item: SearchItem) -> DifyRecord {
    let title = match (&item.table_name, item.kind) {
        (Some(table), kind) if kind != ItemKind::Documentation => table.clone(),
        _ => first_line(&item.content),
    };
    DifyRecord {
        score: unit_score(item.score),
        title,
        metadata: DifyRecordMetadata {
            kind: item.kind,
            table_name: item.table_name,
            question: item.question,
        },
        content: item.content,
    }
}

/// Maps a search score into Dify's 0..1 with `s / (s + 0.5)`.
///
/// Search scores are non-negative and unbounded: a DDL item takes its table's
/// score (its items' BM25 scaled to the best table's 1, plus 0.8 when the
/// question names the table, plus up to 1 from its namespace and the
/// foreign-key lift), other items their BM25 times their kind's weight on
/// the same scale. The map is strictly increasing on `[0, ∞)`,
/// so the records keep the search's order and its ties; 0 stays 0, nothing
/// reaches 1, and it does not depend on the other hits of a search beyond the
/// scaling (a record's score is the same whatever `top_k`). The constant puts
/// 0.5 at half the best table's own score: the best table scores 0.67-0.85,
/// an example or a document as good as the best table alike.
pub fn unit_score(s: f64) -> f64 {
    if s.is_nan() || s <= 0.0 {
        0.0
    } else if s.is_infinite() {
        1.0
    } else {
        s / (s + SCORE_HALF)
    }
}

/// A documentation chunk's title (its document's title is its first line) or,
/// untitled, the first words of its text.
fn first_line(content: &str) -> String {
    let line = content
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() <= TITLE_MAX {
        return line.to_string();
    }
    let cut: String = line.chars().take(TITLE_MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

/// `metadata_condition` as the conditions that apply (see the module's doc).
struct Filter {
    any: bool,
    conditions: Vec<Check>,
}

struct Check {
    fields: Vec<Field>,
    op: Op,
}

#[derive(Clone, Copy)]
enum Field {
    Kind,
    TableName,
    Question,
}

enum Op {
    Is(String),
    IsNot(String),
    Contains(String),
    NotContains(String),
    StartWith(String),
    EndWith(String),
    Empty,
    NotEmpty,
    In(Vec<String>),
    NotIn(Vec<String>),
}

impl Filter {
    fn new(condition: Option<&DifyMetadataCondition>) -> Filter {
        let Some(c) = condition else {
            return Filter {
                any: false,
                conditions: vec![],
            };
        };
        let any = c
            .logical_operator
            .as_deref()
            .is_some_and(|o| o.trim().eq_ignore_ascii_case("or"));
        let conditions = c
            .conditions
            .iter()
            .flatten()
            .filter_map(Check::new)
            .collect();
        Filter { any, conditions }
    }

    fn keeps(&self, meta: &DifyRecordMetadata) -> bool {
        if self.conditions.is_empty() {
            return true;
        }
        let mut held = self.conditions.iter().map(|c| c.holds(meta));
        if self.any {
            held.any(|h| h)
        } else {
            held.all(|h| h)
        }
    }
}

impl Check {
    /// `None` for a condition that does not apply (unknown field or operator,
    /// or a missing value).
    fn new(c: &DifyCondition) -> Option<Check> {
        let names: Vec<&str> = match &c.name {
            DifyNames::One(n) => vec![n.as_str()],
            DifyNames::Many(ns) => ns.iter().map(String::as_str).collect(),
        };
        let fields: Vec<Field> = names
            .into_iter()
            .filter_map(|n| match n.trim() {
                "kind" => Some(Field::Kind),
                "table_name" => Some(Field::TableName),
                "question" => Some(Field::Question),
                _ => None,
            })
            .collect();
        if fields.is_empty() {
            return None;
        }
        let one = || c.value.as_ref().and_then(single);
        let list = || c.value.as_ref().and_then(values);
        let op = match c.comparison_operator.trim().to_ascii_lowercase().as_str() {
            "is" => Op::Is(one()?),
            "is not" => Op::IsNot(one()?),
            "contains" => Op::Contains(one()?),
            "not contains" => Op::NotContains(one()?),
            "start with" => Op::StartWith(one()?),
            "end with" => Op::EndWith(one()?),
            "empty" => Op::Empty,
            "not empty" => Op::NotEmpty,
            "in" => Op::In(list()?),
            "not in" => Op::NotIn(list()?),
            _ => return None,
        };
        Some(Check { fields, op })
    }

    fn holds(&self, meta: &DifyRecordMetadata) -> bool {
        self.fields.iter().any(|f| {
            let v = match f {
                Field::Kind => meta.kind.as_str(),
                Field::TableName => meta.table_name.as_deref().unwrap_or(""),
                Field::Question => meta.question.as_deref().unwrap_or(""),
            };
            match &self.op {
                Op::Is(x) => v == x,
                Op::IsNot(x) => v != x,
                Op::Contains(x) => v.contains(x.as_str()),
                Op::NotContains(x) => !v.contains(x.as_str()),
                Op::StartWith(x) => v.starts_with(x.as_str()),
                Op::EndWith(x) => v.ends_with(x.as_str()),
                Op::Empty => v.is_empty(),
                Op::NotEmpty => !v.is_empty(),
                Op::In(xs) => xs.iter().any(|x| x == v),
                Op::NotIn(xs) => !xs.iter().any(|x| x == v),
            }
        })
    }
}

/// A string or a number, as text.
fn single(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of strings or numbers, or one string of comma-separated values.
fn values(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::Array(items) => items.iter().map(single).collect(),
        serde_json::Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ),
        _ => single(v).map(|s| vec![s]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(kind: &str, table: Option<&str>, question: Option<&str>) -> DifyRecordMetadata {
        DifyRecordMetadata {
            kind: ItemKind::parse(kind).expect("a kind"),
            table_name: table.map(String::from),
            question: question.map(String::from),
        }
    }

    fn filter(condition: serde_json::Value) -> Filter {
        let c: DifyMetadataCondition = serde_json::from_value(condition).unwrap();
        Filter::new(Some(&c))
    }

    fn cond(name: serde_json::Value, op: &str, value: serde_json::Value) -> serde_json::Value {
        json!({"name": name, "comparison_operator": op, "value": value})
    }

    #[test]
    fn scores_map_into_0_1_and_keep_their_order() {
        let scores = [0.0, 1e-9, 0.004, 0.045, 0.0909, 0.1, 0.27, 1.0, 40.0, 1e300];
        let mapped: Vec<f64> = scores.iter().map(|s| unit_score(*s)).collect();
        assert!(mapped.iter().all(|m| (0.0..=1.0).contains(m)), "{mapped:?}");
        assert!(mapped.windows(2).all(|w| w[0] < w[1]), "{mapped:?}");
        assert_eq!(unit_score(0.0), 0.0);
        assert_eq!(unit_score(0.5), 0.5);
        assert_eq!(unit_score(-1.0), 0.0);
        assert_eq!(unit_score(f64::NAN), 0.0);
        assert_eq!(unit_score(f64::INFINITY), 1.0);
    }

    #[test]
    fn titles() {
        let item = |kind: &str, table: Option<&str>, content: &str| SearchItem {
            kind: ItemKind::parse(kind).expect("a kind"),
            content: content.into(),
            question: None,
            table_name: table.map(String::from),
            score: 0.2,
        };
        assert_eq!(
            record(item("ddl", Some("Track"), "CREATE TABLE")).title,
            "Track"
        );
        assert_eq!(
            record(item("sql", Some("Album"), "-- q\nSELECT")).title,
            "Album"
        );
        let doc = record(item(
            "documentation",
            Some("Track"),
            "\nGlossary\nA track is a song",
        ));
        assert_eq!(doc.title, "Glossary");
        let long = "word ".repeat(40);
        let t = record(item("documentation", None, &long)).title;
        assert!(t.ends_with('…') && t.chars().count() <= TITLE_MAX, "{t}");
        assert_eq!(record(item("sql", None, "x")).title, "x");
    }

    #[test]
    fn string_operators() {
        let ddl = meta("ddl", Some("Album"), None);
        let sql = meta("sql", Some("Track"), Some("How many tracks?"));
        let doc = meta("documentation", None, None);
        // Which of ddl, sql, doc each condition keeps.
        let cases = [
            ("kind", "is", json!("ddl"), "ddl"),
            ("kind", "is not", json!("ddl"), "sql doc"),
            ("table_name", "contains", json!("lbu"), "ddl"),
            ("table_name", "not contains", json!("lbu"), "sql doc"),
            ("table_name", "start with", json!("Tr"), "sql"),
            ("question", "end with", json!("?"), "sql"),
            ("question", "empty", json!(null), "ddl doc"),
            ("table_name", "not empty", json!(null), "ddl sql"),
            ("kind", "in", json!(["sql", "ddl"]), "ddl sql"),
            ("kind", "in", json!("sql, documentation"), "sql doc"),
            ("kind", "not in", json!(["sql"]), "ddl doc"),
            // Case-sensitive, like Dify's own filters.
            ("table_name", "is", json!("album"), ""),
        ];
        let kept = |f: &Filter| {
            let all = [("ddl", &ddl), ("sql", &sql), ("doc", &doc)];
            let kept: Vec<&str> = all
                .iter()
                .filter(|(_, m)| f.keeps(m))
                .map(|(n, _)| *n)
                .collect();
            kept.join(" ")
        };
        for (name, op, value, want) in cases {
            let c = cond(json!(name), op, value);
            assert_eq!(
                kept(&filter(json!({"conditions": [c.clone()]}))),
                want,
                "{c}"
            );
        }
        // A list of names: any of them.
        let c = cond(json!(["table_name", "question"]), "contains", json!("rack"));
        assert_eq!(kept(&filter(json!({"conditions": [c]}))), "sql");
    }

    #[test]
    fn and_or_and_what_is_left_out() {
        let sql = meta("sql", Some("Track"), Some("q"));
        let is_ddl = cond(json!("kind"), "is", json!("ddl"));
        let is_track = cond(json!("table_name"), "is", json!("Track"));
        let both = json!([is_ddl, is_track]);
        assert!(!filter(json!({"logical_operator": "and", "conditions": both})).keeps(&sql));
        assert!(
            !filter(json!({"conditions": both})).keeps(&sql),
            "and by default"
        );
        assert!(filter(json!({"logical_operator": "or", "conditions": both})).keeps(&sql));
        // Left out: unknown fields and operators, missing values; nothing left keeps all.
        for c in [
            cond(json!("category"), "is", json!("x")),
            cond(json!("kind"), ">", json!(3)),
            cond(json!("kind"), "before", json!("2024-01-01")),
            cond(json!("kind"), "is", json!(null)),
            cond(json!("kind"), "contains", json!({"a": 1})),
        ] {
            assert!(
                filter(json!({"conditions": [c.clone()]})).keeps(&sql),
                "{c}"
            );
            let with = json!({"conditions": [c.clone(), is_ddl]});
            assert!(
                !filter(with).keeps(&sql),
                "{c} is left out, the other applies"
            );
        }
        assert!(filter(json!({"logical_operator": "and", "conditions": null})).keeps(&sql));
        assert!(Filter::new(None).keeps(&sql));
        // A number compares as its text.
        let f = filter(json!({"conditions": [cond(json!("table_name"), "is", json!(7))]}));
        assert!(f.keeps(&meta("ddl", Some("7"), None)));
    }
}
