//! The training stages as data, their progress bands, and a run's cursor.
//!
//! The work of each stage is a `Stage` impl on the server; everything else
//! about a stage (its number, its band of the progress bar, its titles, whether
//! it runs again on resume) is one entry of [`STAGES`], read by the executor,
//! the store and the UI alike.

use serde::{Deserialize, Serialize};

/// What everyone but the stage's own code needs to know about a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageInfo {
    /// 1-based position in [`STAGES`].
    pub number: u8,
    /// The part of the 0-100 progress bar the stage fills.
    pub band: (f64, f64),
    pub title_en: &'static str,
    pub title_zh: &'static str,
    /// Runs again on resume although it finished before (it only reads, and
    /// the later stages need what it produces in memory).
    pub reruns_on_resume: bool,
}

pub const EXTRACT_DDL: StageInfo = StageInfo {
    number: 1,
    band: (0.0, 10.0),
    title_en: "Extracting DDL",
    title_zh: "提取 DDL",
    reruns_on_resume: true,
};
pub const INDEX_DDL: StageInfo = StageInfo {
    number: 2,
    band: (10.0, 40.0),
    title_en: "Training DDL",
    title_zh: "训练 DDL",
    reruns_on_resume: false,
};
pub const INDEX_DOCS: StageInfo = StageInfo {
    number: 3,
    band: (40.0, 80.0),
    title_en: "Training documentation",
    title_zh: "训练文档",
    reruns_on_resume: false,
};
pub const INDEX_EXAMPLES: StageInfo = StageInfo {
    number: 4,
    band: (80.0, 100.0),
    title_en: "Training example SQL",
    title_zh: "训练示例 SQL",
    reruns_on_resume: false,
};

/// Every stage, in the order a run goes through them.
pub const STAGES: [StageInfo; 4] = [EXTRACT_DDL, INDEX_DDL, INDEX_DOCS, INDEX_EXAMPLES];

pub const STAGE_COUNT: u8 = STAGES.len() as u8;

/// The stage numbered `number`, clamped to the first and the last.
pub fn stage(number: u8) -> &'static StageInfo {
    &STAGES[usize::from(number.clamp(1, STAGE_COUNT) - 1)]
}

/// Overall progress after `done` of `total` items of `stage` (1-based).
pub fn overall(stage_number: u8, done: usize, total: usize) -> f64 {
    let (lo, hi) = stage(stage_number).band;
    let fraction = if total == 0 {
        1.0
    } else {
        (done.min(total) as f64) / (total as f64)
    };
    let value = lo + (hi - lo) * fraction;
    (value * 100.0).round() / 100.0
}

/// Where a run is: the stage it works on and the index of the next item to do.
/// Stored with the run as JSON (`{"stage":2,"next":17}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub stage: u8,
    pub next: usize,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor { stage: 1, next: 0 }
    }
}

impl Cursor {
    /// A finished run's cursor: past every item of the last stage. (`next` stays
    /// well inside what JSON numbers and both stores' integers hold.)
    pub fn done() -> Cursor {
        Cursor {
            stage: STAGE_COUNT,
            next: usize::MAX >> 12,
        }
    }

    /// Where the run goes after the last item of `stage_number` (`total` items).
    pub fn after_stage(stage_number: u8, total: usize) -> Cursor {
        if stage_number < STAGE_COUNT {
            Cursor {
                stage: stage_number + 1,
                next: 0,
            }
        } else {
            Cursor {
                stage: stage_number,
                next: total,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bands_cover_0_to_100_in_order_without_gaps() {
        assert_eq!(STAGES[0].band.0, 0.0);
        assert_eq!(STAGES[STAGES.len() - 1].band.1, 100.0);
        for (i, s) in STAGES.iter().enumerate() {
            assert_eq!(usize::from(s.number), i + 1, "numbers follow the order");
            assert!(s.band.0 < s.band.1, "stage {} has an empty band", s.number);
            if i > 0 {
                assert_eq!(
                    STAGES[i - 1].band.1,
                    s.band.0,
                    "gap before stage {}",
                    s.number
                );
            }
            assert!(!s.title_en.trim().is_empty() && !s.title_zh.trim().is_empty());
        }
    }

    #[test]
    fn bands() {
        assert_eq!(overall(1, 0, 5), 0.0);
        assert_eq!(overall(1, 5, 5), 10.0);
        assert_eq!(overall(2, 0, 10), 10.0);
        assert_eq!(overall(2, 5, 10), 25.0);
        assert_eq!(overall(3, 1, 2), 60.0);
        assert_eq!(overall(4, 0, 0), 100.0);
        assert_eq!(overall(4, 3, 3), 100.0);
        assert_eq!(overall(2, 1, 3), 20.0);
    }

    #[test]
    fn cursor_json() {
        let c: Cursor = serde_json::from_str(r#"{"stage":2,"next":17}"#).unwrap();
        assert_eq!(c, Cursor { stage: 2, next: 17 });
        assert_eq!(Cursor::after_stage(1, 5), Cursor { stage: 2, next: 0 });
        assert_eq!(
            Cursor::after_stage(STAGE_COUNT, 5),
            Cursor {
                stage: STAGE_COUNT,
                next: 5
            }
        );
        assert_eq!(Cursor::done().stage, STAGE_COUNT);
    }
}
