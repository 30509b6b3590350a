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
    /// hold it to because the population was never stated. A later part of
    /// a tool (`EIT.2`) without a minimum has none to fall short of.
    pub fn is_short(&self) -> bool {
        match self.required {
            Some(r) => self.counted < r,
            None => !self.is_later_part(),
        }
    }

    /// A part after the first of a tool collected in parts (`EIT.2`).
    pub fn is_later_part(&self) -> bool {
        crate::framework::part_number(&self.tool).is_some_and(|n| n >= 2)
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

/// The tools that have a sample of a later part (`EIT` for `EIT.2`), once
/// each, in the samples' order.
fn tools_in_parts(samples: &[Sample]) -> Vec<&str> {
    let mut tools: Vec<&str> = samples
        .iter()
        .filter(|s| s.is_later_part())
        .map(|s| crate::framework::tool_code(&s.tool))
        .collect();
    tools.dedup();
    tools
}

/// The samples of the tools collected in parts (every part of each), in
/// their order: part 1 under the tool's key, then `EIT.2` …
pub fn of_tools_in_parts(samples: &[Sample]) -> Vec<Sample> {
    use crate::framework::tool_code;
    let split = tools_in_parts(samples);
    samples
        .iter()
        .filter(|s| split.contains(&tool_code(&s.tool)))
        .cloned()
        .collect()
}

/// The export cell of each part's count: "EIT 40; EIT.2 7" (empty when no
/// tool was collected in parts).
pub fn parts_cell(samples: &[Sample]) -> String {
    of_tools_in_parts(samples)
        .iter()
        .map(|s| format!("{} {}", s.tool, s.counted))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The counts of each tool collected in parts, one sentence per tool, in
/// Thai and English with Arabic digits ("ผู้ตอบ EIT ส่วนที่ 1 412 คน ส่วนที่ 2
/// 55 คน รวม 467 คน"); none when no tool was collected in parts.
pub fn parts_text(samples: &[Sample]) -> Vec<(String, String)> {
    use crate::framework::{part_number, tool_code};
    tools_in_parts(samples)
        .into_iter()
        .map(|tool| {
            let mut parts: Vec<(u32, i64)> = samples
                .iter()
                .filter(|s| tool_code(&s.tool) == tool)
                .filter_map(|s| part_number(&s.tool).map(|n| (n, s.counted)))
                .collect();
            parts.sort();
            let total: i64 = parts.iter().map(|(_, n)| n).sum();
            let th: Vec<String> = parts
                .iter()
                .map(|(n, c)| format!("ส่วนที่ {n} {} คน", crate::thai::group_thousands(*c)))
                .collect();
            let en: Vec<String> = parts
                .iter()
                .map(|(n, c)| format!("part {n} {}", crate::thai::group_thousands(*c)))
                .collect();
            (
                format!(
                    "ผู้ตอบ {tool} {} รวม {} คน",
                    th.join(" "),
                    crate::thai::group_thousands(total)
                ),
                format!(
                    "{tool} responses: {}, {} in all",
                    en.join(", "),
                    crate::thai::group_thousands(total)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod parts_tests {
    use super::*;

    #[test]
    fn a_later_part_without_a_minimum_is_never_short_and_each_part_is_counted() {
        let s = |tool: &str, counted, required| Sample {
            tool: tool.into(),
            counted,
            required,
        };
        let samples = [
            s("IIT", 40, Some(30)),
            s("EIT", 1200, Some(400)),
            s("EIT.2", 55, None),
        ];
        assert!(samples.iter().all(|x| !x.is_short()));
        assert!(
            s("EIT", 10, None).is_short(),
            "part 1 with no population stated"
        );
        assert!(s("EIT.2", 3, Some(10)).is_short());
        assert_eq!(
            parts_text(&samples),
            [(
                "ผู้ตอบ EIT ส่วนที่ 1 1,200 คน ส่วนที่ 2 55 คน รวม 1,255 คน".to_string(),
                "EIT responses: part 1 1,200, part 2 55, 1,255 in all".to_string()
            )]
        );
        assert!(parts_text(&samples[..2]).is_empty());
        assert_eq!(parts_cell(&samples), "EIT 1200; EIT.2 55");
        assert_eq!(parts_cell(&samples[..2]), "");
    }
}
