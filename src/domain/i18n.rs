//! zh-CN and English: the language codes, the choice from Accept-Language, and
//! the texts of the statuses and stages, shared by the server functions (the
//! language cookie) and the UI.

use super::progress::STAGES;
use serde::{Deserialize, Serialize};

use crate::domain::status::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The code kept in the cookie and in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        let c = code.trim().to_ascii_lowercase();
        if c.starts_with("zh") {
            Some(Lang::Zh)
        } else if c.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first supported language of an Accept-Language header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut langs: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let lang = Lang::from_code(it.next()?)?;
                let q = it
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        langs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        langs.first().map(|(_, l)| *l)
    }

    /// Picks the text for this language.
    pub fn t(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    pub fn status(self, s: Status) -> &'static str {
        match s {
            Status::Pending => self.t("Pending", "等待训练"),
            Status::Queued => self.t("Queued", "排队中"),
            Status::Training => self.t("Training...", "训练中..."),
            Status::Paused => self.t("Paused", "已暂停"),
            Status::Completed => self.t("Completed", "训练完成"),
            Status::Failed => self.t("Failed", "训练失败"),
        }
    }

    /// A stage's title, from the stage table (`None` for a number no stage has).
    pub fn stage(self, stage: u8) -> Option<&'static str> {
        STAGES
            .iter()
            .find(|s| s.number == stage)
            .map(|s| self.t(s.title_en, s.title_zh))
    }

    pub fn run_status(self, s: &str) -> &'static str {
        match s {
            "cancelled" => self.t("Cancelled", "已取消"),
            other => Status::parse(other).map(|s| self.status(s)).unwrap_or("?"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_has_a_title_in_both_languages() {
        for s in STAGES {
            for lang in [Lang::En, Lang::Zh] {
                let title = lang.stage(s.number).expect("a title");
                assert!(!title.trim().is_empty());
            }
            assert_ne!(Lang::En.stage(s.number), Lang::Zh.stage(s.number));
        }
        assert_eq!(Lang::En.stage(0), None);
        assert_eq!(Lang::En.stage(STAGES.len() as u8 + 1), None);
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en-US;q=0.7, zh;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("de, en;q=0.1, zh-TW;q=0.9"),
            Some(Lang::Zh)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn zh_status_labels() {
        let zh = Lang::Zh;
        assert_eq!(zh.status(Status::Pending), "等待训练");
        assert_eq!(zh.status(Status::Training), "训练中...");
        assert_eq!(zh.status(Status::Completed), "训练完成");
        assert_eq!(zh.status(Status::Failed), "训练失败");
        assert_eq!(zh.status(Status::Paused), "已暂停");
        assert_eq!(zh.status(Status::Queued), "排队中");
    }
}
