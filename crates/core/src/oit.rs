//! The OIT evidence workflow's rules: who may change what in which phase,
//! how two review rounds make one final result per item, and why an item fails.

use crate::directory::Phase;
use std::collections::{BTreeMap, BTreeSet};

closed_enum! {
    /// Why an assessor failed an item; `Other` needs a written reason.
    FailReason {
        NoUrl = "no_url", "ไม่ได้ระบุ URL", "No URL given";
        Unreachable = "unreachable", "เปิดลิงก์ไม่ได้หรือไม่พบหน้า", "The link does not open";
        NotOwnSite = "not_own_site", "ไม่ใช่เว็บไซต์หลักของหน่วยงาน", "Not on the agency's own website";
        WrongContent = "wrong_content", "ข้อมูลไม่ตรงตามประเด็นการตรวจ", "Does not show what the item asks for";
        Incomplete = "incomplete", "ข้อมูลไม่ครบองค์ประกอบ", "Incomplete";
        WrongYear = "wrong_year", "ไม่ใช่ข้อมูลของปีงบประมาณที่ประเมิน", "Not for the fiscal year assessed";
        Other = "other", "อื่น ๆ", "Other";
    }
}

/// One of the two review rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Review {
    First,
    Second,
}

impl Review {
    pub fn number(self) -> i64 {
        match self {
            Review::First => 1,
            Review::Second => 2,
        }
    }
    pub fn from_number(n: i64) -> Option<Review> {
        match n {
            1 => Some(Review::First),
            2 => Some(Review::Second),
            _ => None,
        }
    }
}

/// An assessor's pass/fail on one item in one review round.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub item: String,
    pub review: Review,
    pub passed: bool,
}

/// The final result per decided item: round 2's decision where there is one
/// (it only exists for items failed in round 1), round 1's otherwise.
pub fn final_results(decisions: &[Decision]) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    for d in decisions.iter().filter(|d| d.review == Review::First) {
        out.insert(d.item.clone(), d.passed);
    }
    for d in decisions.iter().filter(|d| d.review == Review::Second) {
        out.insert(d.item.clone(), d.passed);
    }
    out
}

/// Items that passed in the end: the input the scoring engine takes.
pub fn passed_items(decisions: &[Decision]) -> BTreeSet<String> {
    final_results(decisions)
        .into_iter()
        .filter(|(_, p)| *p)
        .map(|(i, _)| i)
        .collect()
}

/// Items failed in round 1: what the agency may revise and round 2 decides.
pub fn failed_first(decisions: &[Decision]) -> BTreeSet<String> {
    decisions
        .iter()
        .filter(|d| d.review == Review::First && !d.passed)
        .map(|d| d.item.clone())
        .collect()
}

/// Whether the agency may change its URLs and explanation for an item.
/// `phase` is the phase the round is in today, if any.
pub fn agency_may_edit(
    phase: Option<Phase>,
    submitted: bool,
    item: &str,
    decisions: &[Decision],
) -> bool {
    match phase {
        Some(Phase::Setup | Phase::Collection) => !submitted,
        Some(Phase::Revision) => failed_first(decisions).contains(item),
        _ => false,
    }
}

/// Which review round an assessor may decide an item in, today.
pub fn assessor_may_decide(
    phase: Option<Phase>,
    item: &str,
    decisions: &[Decision],
) -> Option<Review> {
    match phase {
        Some(Phase::Review1) => Some(Review::First),
        Some(Phase::Review2) if failed_first(decisions).contains(item) => Some(Review::Second),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(item: &str, review: Review, passed: bool) -> Decision {
        Decision {
            item: item.into(),
            review,
            passed,
        }
    }

    #[test]
    fn round_two_overrides_round_one_only_where_it_exists() {
        let ds = vec![
            d("o1", Review::First, true),
            d("o2", Review::First, false),
            d("o3", Review::First, false),
            d("o2", Review::Second, true),
        ];
        let f = final_results(&ds);
        assert!(f["o1"]);
        assert!(f["o2"]);
        assert!(!f["o3"]);
        assert_eq!(
            passed_items(&ds),
            ["o1", "o2"].iter().map(|s| s.to_string()).collect()
        );
        assert_eq!(
            failed_first(&ds),
            ["o2", "o3"].iter().map(|s| s.to_string()).collect()
        );
    }

    #[test]
    fn phases_decide_who_may_change_what() {
        let ds = vec![d("o1", Review::First, true), d("o2", Review::First, false)];
        assert!(agency_may_edit(Some(Phase::Collection), false, "o1", &[]));
        assert!(!agency_may_edit(Some(Phase::Collection), true, "o1", &[]));
        assert!(!agency_may_edit(Some(Phase::Review1), false, "o1", &ds));
        assert!(agency_may_edit(Some(Phase::Revision), true, "o2", &ds));
        assert!(!agency_may_edit(Some(Phase::Revision), true, "o1", &ds));
        assert!(!agency_may_edit(None, false, "o1", &ds));
        assert_eq!(
            assessor_may_decide(Some(Phase::Review1), "o1", &ds),
            Some(Review::First)
        );
        assert_eq!(
            assessor_may_decide(Some(Phase::Review2), "o2", &ds),
            Some(Review::Second)
        );
        assert_eq!(assessor_may_decide(Some(Phase::Review2), "o1", &ds), None);
        assert_eq!(assessor_may_decide(Some(Phase::Revision), "o2", &ds), None);
    }
}
