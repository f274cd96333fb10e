//! A training log line as data: what happened (a code) and its parameters.
//!
//! The server stores the code and its parameters (JSON) next to the English
//! text; the API sends all three, and a page renders the line in its own
//! language from the code. Lines stored before codes existed have none and are
//! shown as stored. Text that comes from elsewhere (a source's error message,
//! a table name, a question) is a parameter and is never translated: only the
//! sentence around it is.

use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::progress::STAGE_COUNT;

/// Everything a run's log says, one variant per kind of line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", content = "params", rename_all = "snake_case")]
pub enum LogEvent {
    TrainingQueued,
    TrainingPaused,
    TrainingResumed,
    TrainingCancelled,
    TrainingDataDeleted,
    /// A new attempt continues from the run's cursor (`item` is 1-based).
    ResumedAt {
        stage: u8,
        item: u64,
    },
    StageStarted {
        stage: u8,
        total: u64,
    },
    StageDone {
        stage: u8,
    },
    TrainingCompleted {
        items: u64,
        checkpoint_writes: u64,
    },
    /// `error` is shown as it is (a source's message, or the run's own).
    TrainingFailed {
        error: String,
    },
    /// The server shut down and handed the run back to the queue.
    RequeuedAtShutdown,
    /// Another worker took over a run whose worker stopped answering.
    Recovered,
    /// A curated example whose SQL no longer runs on the source.
    CuratedExampleSkipped {
        example_id: i64,
        /// The first 80 characters of its question.
        question: String,
        error: String,
    },
    /// Stage 4 stopped trying a table's candidate examples at its time budget.
    ExamplesOverBudget {
        table: String,
        budget_us: u64,
        skipped: u64,
        total: u64,
    },
}

impl LogEvent {
    /// The line's level, as stored: `info`, `warning` or `error`.
    pub fn level(&self) -> &'static str {
        match self {
            LogEvent::TrainingFailed { .. } => "error",
            LogEvent::TrainingCancelled
            | LogEvent::TrainingDataDeleted
            | LogEvent::RequeuedAtShutdown
            | LogEvent::Recovered
            | LogEvent::CuratedExampleSkipped { .. }
            | LogEvent::ExamplesOverBudget { .. } => "warning",
            _ => "info",
        }
    }

    /// The code and its parameters (an object, `{}` when there are none).
    pub fn parts(&self) -> (String, serde_json::Value) {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        let code = value
            .get("code")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string();
        let params = value
            .get_mut("params")
            .map(serde_json::Value::take)
            .unwrap_or_else(|| serde_json::json!({}));
        (code, params)
    }

    /// The event a stored code and its parameters describe; `None` when this
    /// build does not know the code or the parameters do not fit it.
    pub fn from_parts(code: &str, params: Option<&serde_json::Value>) -> Option<LogEvent> {
        let mut value = serde_json::json!({ "code": code });
        // Unit variants take no parameters: `{}` or none at all.
        if let Some(p) =
            params.filter(|p| !p.is_null() && p.as_object().is_none_or(|o| !o.is_empty()))
        {
            value["params"] = p.clone();
        }
        serde_json::from_value(value).ok()
    }

    /// The line in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let title = |n: u8| lang.stage(n).unwrap_or("?");
        let n = STAGE_COUNT;
        match (self, lang) {
            (LogEvent::TrainingQueued, _) => lang.t("Training queued", "已加入训练队列").into(),
            (LogEvent::TrainingPaused, _) => lang.t("Training paused", "训练已暂停").into(),
            (LogEvent::TrainingResumed, _) => lang.t("Training resumed", "训练已继续").into(),
            (LogEvent::TrainingCancelled, _) => lang
                .t(
                    "Training cancelled; the run's partial data was discarded",
                    "训练已取消，本次训练的部分数据已丢弃",
                )
                .into(),
            (LogEvent::TrainingDataDeleted, _) => {
                lang.t("Training data deleted", "训练数据已删除").into()
            }
            (LogEvent::ResumedAt { stage, item }, Lang::En) => {
                format!("Resumed at stage {stage}/{n}, item {item}")
            }
            (LogEvent::ResumedAt { stage, item }, Lang::Zh) => {
                format!("从第 {stage}/{n} 步的第 {item} 项继续")
            }
            (LogEvent::StageStarted { stage, total }, Lang::En) => {
                format!("Stage {stage}/{n} started: {} ({total} items)", title(*stage))
            }
            (LogEvent::StageStarted { stage, total }, Lang::Zh) => {
                format!("第 {stage}/{n} 步开始：{}（{total} 项）", title(*stage))
            }
            (LogEvent::StageDone { stage }, Lang::En) => {
                format!("Stage {stage}/{n} done: {}", title(*stage))
            }
            (LogEvent::StageDone { stage }, Lang::Zh) => {
                format!("第 {stage}/{n} 步完成：{}", title(*stage))
            }
            (
                LogEvent::TrainingCompleted {
                    items,
                    checkpoint_writes,
                },
                Lang::En,
            ) => format!("Training completed: {items} items, {checkpoint_writes} checkpoint writes"),
            (
                LogEvent::TrainingCompleted {
                    items,
                    checkpoint_writes,
                },
                Lang::Zh,
            ) => format!("训练完成：共 {items} 项，写入检查点 {checkpoint_writes} 次"),
            (LogEvent::TrainingFailed { error }, Lang::En) => format!("Training failed: {error}"),
            (LogEvent::TrainingFailed { error }, Lang::Zh) => format!("训练失败：{error}"),
            (LogEvent::RequeuedAtShutdown, _) => lang
                .t(
                    "Server shutting down: checkpoint saved; the run is queued again",
                    "服务器正在关闭：检查点已保存，本次训练已重新排队",
                )
                .into(),
            (LogEvent::Recovered, _) => lang
                .t(
                    "Recovered: the worker stopped answering; the run is queued again and resumes from its checkpoint",
                    "已恢复：执行训练的进程无响应，本次训练已重新排队，将从检查点继续",
                )
                .into(),
            (
                LogEvent::CuratedExampleSkipped {
                    example_id,
                    question,
                    error,
                },
                Lang::En,
            ) => format!(
                "Curated example {example_id} (\"{question}\") no longer runs and was skipped: {error}"
            ),
            (
                LogEvent::CuratedExampleSkipped {
                    example_id,
                    question,
                    error,
                },
                Lang::Zh,
            ) => format!("自定义示例 {example_id}（“{question}”）已无法运行，已跳过：{error}"),
            (
                LogEvent::ExamplesOverBudget {
                    table,
                    budget_us,
                    skipped,
                    total,
                },
                Lang::En,
            ) => format!(
                "Table {table}: example SQL took longer than its {:?} budget; skipped {skipped} of {total} candidates",
                std::time::Duration::from_micros(*budget_us)
            ),
            (
                LogEvent::ExamplesOverBudget {
                    table,
                    budget_us,
                    skipped,
                    total,
                },
                Lang::Zh,
            ) => format!(
                "表 {table}：示例 SQL 超出了 {} 秒的时间预算，{total} 个候选中跳过了 {skipped} 个",
                *budget_us as f64 / 1_000_000.0
            ),
        }
    }
}

/// A stored line in `lang`: rendered from its code when this build knows it,
/// else the text as stored (lines from before codes existed, or from a newer
/// server).
pub fn render(
    code: Option<&str>,
    params: Option<&serde_json::Value>,
    stored: &str,
    lang: Lang,
) -> String {
    code.and_then(|c| LogEvent::from_parts(c, params))
        .map(|e| e.text(lang))
        .unwrap_or_else(|| stored.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One of every variant (the match makes a new variant fail to compile here).
    fn every_event() -> Vec<LogEvent> {
        let all = vec![
            LogEvent::TrainingQueued,
            LogEvent::TrainingPaused,
            LogEvent::TrainingResumed,
            LogEvent::TrainingCancelled,
            LogEvent::TrainingDataDeleted,
            LogEvent::ResumedAt { stage: 3, item: 18 },
            LogEvent::StageStarted {
                stage: 2,
                total: 11,
            },
            LogEvent::StageDone { stage: 4 },
            LogEvent::TrainingCompleted {
                items: 120,
                checkpoint_writes: 7,
            },
            LogEvent::TrainingFailed {
                error: "no such table: Trak".into(),
            },
            LogEvent::RequeuedAtShutdown,
            LogEvent::Recovered,
            LogEvent::CuratedExampleSkipped {
                example_id: 5,
                question: "How many tracks?".into(),
                error: "no such column: Nope".into(),
            },
            LogEvent::ExamplesOverBudget {
                table: "Track".into(),
                budget_us: 1_500_000,
                skipped: 3,
                total: 8,
            },
        ];
        for e in &all {
            match e {
                LogEvent::TrainingQueued
                | LogEvent::TrainingPaused
                | LogEvent::TrainingResumed
                | LogEvent::TrainingCancelled
                | LogEvent::TrainingDataDeleted
                | LogEvent::ResumedAt { .. }
                | LogEvent::StageStarted { .. }
                | LogEvent::StageDone { .. }
                | LogEvent::TrainingCompleted { .. }
                | LogEvent::TrainingFailed { .. }
                | LogEvent::RequeuedAtShutdown
                | LogEvent::Recovered
                | LogEvent::CuratedExampleSkipped { .. }
                | LogEvent::ExamplesOverBudget { .. } => {}
            }
        }
        all
    }

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    #[test]
    fn every_code_renders_in_both_languages_and_round_trips() {
        let mut codes = std::collections::HashSet::new();
        for e in every_event() {
            let en = e.text(Lang::En);
            let zh = e.text(Lang::Zh);
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{e:?}");
            assert_ne!(en, zh, "{e:?}");
            assert!(!has_han(&en), "English text with Chinese: {en}");
            assert!(has_han(&zh), "Chinese text without Chinese: {zh}");
            let (code, params) = e.parts();
            assert!(params.is_object(), "{e:?}: {params}");
            assert!(codes.insert(code.clone()), "duplicate code {code}");
            assert_eq!(LogEvent::from_parts(&code, Some(&params)), Some(e.clone()));
            assert!(["info", "warning", "error"].contains(&e.level()));
        }
    }

    #[test]
    fn the_english_text_is_what_the_log_always_said() {
        assert_eq!(
            LogEvent::StageStarted {
                stage: 2,
                total: 11
            }
            .text(Lang::En),
            "Stage 2/4 started: Training DDL (11 items)"
        );
        assert_eq!(
            LogEvent::StageStarted {
                stage: 2,
                total: 11
            }
            .text(Lang::Zh),
            "第 2/4 步开始：训练 DDL（11 项）"
        );
        assert_eq!(
            LogEvent::StageDone { stage: 3 }.text(Lang::En),
            "Stage 3/4 done: Training documentation"
        );
        assert_eq!(LogEvent::TrainingPaused.text(Lang::Zh), "训练已暂停");
        assert_eq!(
            LogEvent::ExamplesOverBudget {
                table: "Track".into(),
                budget_us: 2_000_000,
                skipped: 5,
                total: 8
            }
            .text(Lang::En),
            "Table Track: example SQL took longer than its 2s budget; skipped 5 of 8 candidates"
        );
    }

    #[test]
    fn the_wire_shape() {
        let (code, params) = LogEvent::StageStarted {
            stage: 2,
            total: 11,
        }
        .parts();
        assert_eq!(code, "stage_started");
        assert_eq!(params, json!({"stage": 2, "total": 11}));
        let (code, params) = LogEvent::TrainingPaused.parts();
        assert_eq!((code.as_str(), params), ("training_paused", json!({})));
        // Unit codes also read back without parameters.
        assert_eq!(
            LogEvent::from_parts("training_paused", None),
            Some(LogEvent::TrainingPaused)
        );
    }

    #[test]
    fn a_source_error_stays_verbatim_inside_the_translated_frame() {
        let error = "ERROR: relation \"Trak\" does not exist (SQLSTATE 42P01)";
        let e = LogEvent::TrainingFailed {
            error: error.into(),
        };
        let zh = e.text(Lang::Zh);
        assert!(zh.starts_with("训练失败："), "{zh}");
        assert!(zh.ends_with(error), "{zh}");
        assert_eq!(e.text(Lang::En), format!("Training failed: {error}"));
    }

    #[test]
    fn old_and_unknown_lines_render_as_stored() {
        let stored = "Stage 2/4 started: Training DDL (11 items)";
        assert_eq!(render(None, None, stored, Lang::Zh), stored);
        assert_eq!(
            render(None, None, "训练 whatever", Lang::En),
            "训练 whatever"
        );
        // A code this build does not know, or parameters that do not fit it.
        assert_eq!(
            render(
                Some("from_the_future"),
                Some(&json!({})),
                "Later text",
                Lang::Zh
            ),
            "Later text"
        );
        assert_eq!(
            render(
                Some("stage_started"),
                Some(&json!({"stage": "x"})),
                "Stored",
                Lang::Zh
            ),
            "Stored"
        );
        assert_eq!(
            render(
                Some("stage_started"),
                Some(&json!({"stage": 2, "total": 11})),
                "x",
                Lang::Zh
            ),
            "第 2/4 步开始：训练 DDL（11 项）"
        );
    }
}
