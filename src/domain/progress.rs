//! The four training stages and their progress bands.

use serde::{Deserialize, Serialize};

/// Stage numbers are 1-4; each owns a band of the 0-100 progress bar.
pub const STAGE_BANDS: [(f64, f64); 4] = [(0.0, 10.0), (10.0, 40.0), (40.0, 80.0), (80.0, 100.0)];

pub const STAGE_COUNT: u8 = 4;

/// Overall progress after `done` of `total` items of `stage` (1-based).
pub fn overall(stage: u8, done: usize, total: usize) -> f64 {
    let index = usize::from(stage.clamp(1, STAGE_COUNT) - 1);
    let (lo, hi) = STAGE_BANDS[index];
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
