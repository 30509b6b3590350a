//! The sample a survey tool's score was computed from, held against the
//! minimum the framework asks of the agency. A score computed from fewer
//! answers still counts, but it is marked so wherever it is shown, in the
//! same words on every page, export and report.

/// The answers a computed survey-tool score counted, beside the minimum.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub tool: String,
    /// Answers counted, after the central office's data-quality decisions.
    pub counted: i64,
    /// The minimum sample; None when the population it depends on was
    /// never stated.
    pub required: Option<i64>,
}

impl Sample {
    /// Computed from fewer answers than the minimum, or with no minimum to
    /// hold it to.
    pub fn is_short(&self) -> bool {
        self.required.is_none_or(|r| self.counted < r)
    }

    /// The remark in Thai, with Arabic digits (the caller picks the digits).
    pub fn remark_th(&self) -> String {
        match self.required {
            Some(r) => format!(
                "คะแนน {} คำนวณจากผู้ตอบ {} คน น้อยกว่าจำนวนขั้นต่ำ {} คน",
                self.tool, self.counted, r
            ),
            None => format!(
                "คะแนน {} คำนวณจากผู้ตอบ {} คน โดยไม่ได้ระบุจำนวนประชากร จึงไม่มีจำนวนขั้นต่ำให้เทียบ",
                self.tool, self.counted
            ),
        }
    }

    pub fn remark_en(&self) -> String {
        match self.required {
            Some(r) => format!(
                "the {} score is computed from {} responses, fewer than the minimum of {}",
                self.tool, self.counted, r
            ),
            None => format!(
                "the {} score is computed from {} responses with no population stated, so no minimum to hold it to",
                self.tool, self.counted
            ),
        }
    }

    /// The short form for a table cell or an export column: "EIT 12/30",
    /// "IIT 5/?" when no minimum was set.
    pub fn cell(&self) -> String {
        match self.required {
            Some(r) => format!("{} {}/{}", self.tool, self.counted, r),
            None => format!("{} {}/?", self.tool, self.counted),
        }
    }
}

/// The short ones of an agency's samples, joined for a table cell
/// ("EIT 12/30; IIT 5/?"); empty when none is short.
pub fn short_cell(samples: &[Sample]) -> String {
    samples
        .iter()
        .filter(|s| s.is_short())
        .map(Sample::cell)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(counted: i64, required: Option<i64>) -> Sample {
        Sample {
            tool: "EIT".into(),
            counted,
            required,
        }
    }

    #[test]
    fn a_sample_is_short_below_its_minimum_or_without_one() {
        assert!(sample(29, Some(30)).is_short());
        assert!(!sample(30, Some(30)).is_short());
        assert!(!sample(31, Some(30)).is_short());
        assert!(sample(400, None).is_short());
    }

    #[test]
    fn the_remark_says_how_many_against_what() {
        assert_eq!(
            sample(12, Some(30)).remark_th(),
            "คะแนน EIT คำนวณจากผู้ตอบ 12 คน น้อยกว่าจำนวนขั้นต่ำ 30 คน"
        );
        assert!(
            sample(12, None)
                .remark_en()
                .contains("no population stated")
        );
        assert_eq!(
            short_cell(&[
                sample(12, Some(30)),
                sample(40, Some(30)),
                Sample {
                    tool: "IIT".into(),
                    counted: 5,
                    required: None
                }
            ]),
            "EIT 12/30; IIT 5/?"
        );
    }
}
