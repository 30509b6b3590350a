//! Data-quality flags of IIT/EIT answers, from aggregates only.
//!
//! The response writer keeps counters (responses, straight-lined responses,
//! responses in duplicate clusters and the largest cluster, the busiest hour,
//! completion-speed buckets) and the option tallies. Flags are a function of
//! those counters: no identity, no time finer than an hour, and nothing below
//! [`MIN_N`] responses. A flag is a prompt for the central office to look, not
//! a verdict: an agency whose staff all answer in one meeting has a burst too.

use serde::Serialize;

/// No flag is computed or shown for fewer responses than this.
pub const MIN_N: u64 = 5;

closed_enum! {
    /// How long a respondent took from the first page saved to submission.
    SpeedBucket {
        OneShot = "one_shot", "ส่งทั้งแบบวัดในครั้งเดียว", "whole questionnaire in one request";
        Under1Min = "lt1m", "ไม่ถึง ๑ นาที", "under 1 minute";
        Under3Min = "1to3m", "๑–๓ นาที", "1 to 3 minutes";
        Under10Min = "3to10m", "๓–๑๐ นาที", "3 to 10 minutes";
        Longer = "ge10m", "๑๐ นาทีขึ้นไป", "10 minutes or more";
    }
}

impl SpeedBucket {
    pub fn from_seconds(s: i64) -> SpeedBucket {
        match s {
            s if s < 60 => SpeedBucket::Under1Min,
            s if s < 180 => SpeedBucket::Under3Min,
            s if s < 600 => SpeedBucket::Under10Min,
            _ => SpeedBucket::Longer,
        }
    }
}

closed_enum! {
    /// What looks wrong with an agency's answers to one tool.
    FlagKind {
        Burst = "burst", "คำตอบเข้ามากระจุกในชั่วโมงเดียว", "answers bunched in one hour";
        StraightLining = "straight_lining", "ตอบตัวเลือกเดียวกันทุกข้อ", "the same option for every question";
        Duplicates = "duplicates", "คำตอบซ้ำกันทั้งชุด", "identical answer sets";
        OverPopulation = "over_population", "จำนวนคำตอบเกินจำนวนบุคลากร", "more answers than the population";
        UnusualDistribution = "unusual_distribution", "การกระจายคำตอบต่างจากภาพรวมมาก", "answers far from the round-wide pattern";
        TooFast = "too_fast", "ตอบเร็วผิดปกติ", "answered implausibly fast";
    }
}

/// The counters of one agency's tool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregates {
    pub responses: u64,
    /// Responses with every cell on the same option position.
    pub straight: u64,
    /// Responses whose whole answer set is shared by at least one other.
    pub duplicates: u64,
    pub largest_cluster: u64,
    /// Responses in the busiest hour.
    pub peak_hour: u64,
    /// Responses per speed bucket.
    pub speeds: Vec<(SpeedBucket, u64)>,
    /// The stated population (staff for IIT), when known.
    pub population: Option<u64>,
    /// Share of each option position over all cells, and the same round-wide
    /// without this agency: the distance between them (total variation, in
    /// basis points, 0 to 10,000) when both rest on enough answers.
    pub distance_from_norm: Option<u64>,
}

/// One flag with the figures behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// The figures, in English, for the API and the log.
    pub detail: String,
    /// The same in Thai, for the central office's page.
    pub detail_th: String,
}

/// Thresholds: named so the quality page and the docs can state them.
pub const BURST_MIN: u64 = 10;
pub const BURST_SHARE_PERCENT: u64 = 40;
pub const STRAIGHT_SHARE_PERCENT: u64 = 30;
pub const DUPLICATE_MIN_CLUSTER: u64 = 5;
pub const DUPLICATE_SHARE_PERCENT: u64 = 20;
pub const FAST_SHARE_PERCENT: u64 = 50;
pub const FAST_MIN: u64 = 10;
/// Total variation distance, in basis points, from which answers count as unusual.
pub const DISTANCE_MAX_BP: u64 = 3500;
/// Answers (cells) the round-wide norm and the agency need before the
/// distribution is compared.
pub const DISTRIBUTION_MIN_RESPONSES: u64 = 30;

fn pct(part: u64, whole: u64) -> u64 {
    (part * 100).checked_div(whole).unwrap_or(0)
}

/// The flags of one agency's tool; none below [`MIN_N`] responses.
pub fn flags(a: &Aggregates) -> Vec<Flag> {
    let n = a.responses;
    let mut out = Vec::new();
    if n < MIN_N {
        return out;
    }
    let mut push = |kind, detail: String, detail_th: String| {
        out.push(Flag {
            kind,
            detail,
            detail_th,
        })
    };
    if a.peak_hour >= BURST_MIN && pct(a.peak_hour, n) >= BURST_SHARE_PERCENT {
        push(
            FlagKind::Burst,
            format!(
                "{} of {n} responses ({}%) arrived within one hour",
                a.peak_hour,
                pct(a.peak_hour, n)
            ),
            format!(
                "{} จาก {n} คำตอบ (ร้อยละ {}) เข้ามาภายในชั่วโมงเดียว",
                a.peak_hour,
                pct(a.peak_hour, n)
            ),
        );
    }
    if pct(a.straight, n) >= STRAIGHT_SHARE_PERCENT && a.straight >= MIN_N {
        push(
            FlagKind::StraightLining,
            format!(
                "{} of {n} responses ({}%) chose the same option for every question",
                a.straight,
                pct(a.straight, n)
            ),
            format!(
                "{} จาก {n} คำตอบ (ร้อยละ {}) เลือกตัวเลือกเดียวกันทุกข้อ",
                a.straight,
                pct(a.straight, n)
            ),
        );
    }
    if a.largest_cluster >= DUPLICATE_MIN_CLUSTER && pct(a.duplicates, n) >= DUPLICATE_SHARE_PERCENT
    {
        push(
            FlagKind::Duplicates,
            format!(
                "{} of {n} responses ({}%) repeat another's answers exactly; the largest group of identical responses is {}",
                a.duplicates,
                pct(a.duplicates, n),
                a.largest_cluster
            ),
            format!(
                "{} จาก {n} คำตอบ (ร้อยละ {}) ตรงกับคำตอบอื่นทุกข้อ กลุ่มที่ใหญ่ที่สุดมี {} คำตอบเหมือนกัน",
                a.duplicates,
                pct(a.duplicates, n),
                a.largest_cluster
            ),
        );
    }
    if let Some(pop) = a.population
        && pop > 0
        && n > pop
    {
        push(
            FlagKind::OverPopulation,
            format!("{n} responses from a population of {pop}"),
            format!("มี {n} คำตอบ จากบุคลากรทั้งหมด {pop} คน"),
        );
    }
    if let Some(d) = a.distance_from_norm
        && d >= DISTANCE_MAX_BP
    {
        let p = d / 100;
        push(
            FlagKind::UnusualDistribution,
            format!(
                "the answers differ from the round-wide pattern by {p}% (total variation distance)"
            ),
            format!("สัดส่วนตัวเลือกต่างจากภาพรวมของรอบร้อยละ {p}"),
        );
    }
    let fast: u64 = a
        .speeds
        .iter()
        .filter(|(b, _)| matches!(b, SpeedBucket::OneShot | SpeedBucket::Under1Min))
        .map(|(_, c)| c)
        .sum();
    if fast >= FAST_MIN && pct(fast, n) >= FAST_SHARE_PERCENT {
        push(
            FlagKind::TooFast,
            format!(
                "{fast} of {n} responses ({}%) were sent in one request or within a minute",
                pct(fast, n)
            ),
            format!(
                "{fast} จาก {n} คำตอบ (ร้อยละ {}) ส่งในครั้งเดียวหรือภายใน ๑ นาที",
                pct(fast, n)
            ),
        );
    }
    out
}

/// Total variation distance between two distributions of option positions
/// (counts, each normalised to shares), in basis points, exactly:
/// Σ|aᵢ·Σb − bᵢ·Σa| / (2·Σa·Σb). `None` when either side is empty.
pub fn total_variation_bp(a: &[u64], b: &[u64]) -> Option<u64> {
    let (sa, sb): (u128, u128) = (
        a.iter().map(|&x| x as u128).sum(),
        b.iter().map(|&x| x as u128).sum(),
    );
    if sa == 0 || sb == 0 {
        return None;
    }
    let len = a.len().max(b.len());
    let num: u128 = (0..len)
        .map(|i| {
            let x = *a.get(i).unwrap_or(&0) as u128 * sb;
            let y = *b.get(i).unwrap_or(&0) as u128 * sa;
            x.abs_diff(y)
        })
        .sum();
    Some((num * 10_000 / (2 * sa * sb)) as u64)
}

/// Whether one respondent's answers put every cell on the same option position
/// (at least three cells).
pub fn is_straight<'a>(cells: impl IntoIterator<Item = &'a usize>) -> bool {
    let mut it = cells.into_iter();
    let Some(first) = it.next() else {
        return false;
    };
    let mut n = 1;
    for c in it {
        if c != first {
            return false;
        }
        n += 1;
    }
    n >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(a: &Aggregates) -> Vec<FlagKind> {
        flags(a).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_stuffed_agency_raises_burst_duplicates_population_and_speed() {
        let a = Aggregates {
            responses: 120,
            duplicates: 120,
            largest_cluster: 120,
            peak_hour: 120,
            speeds: vec![(SpeedBucket::OneShot, 120)],
            population: Some(46),
            ..Default::default()
        };
        assert_eq!(
            kinds(&a),
            [
                FlagKind::Burst,
                FlagKind::Duplicates,
                FlagKind::OverPopulation,
                FlagKind::TooFast
            ]
        );
        let f = &flags(&a)[0];
        assert!(f.detail_th.contains("120 จาก 120") && f.detail.contains("100%"));
    }

    #[test]
    fn honest_answers_raise_nothing_and_small_counts_are_never_flagged() {
        let honest = Aggregates {
            responses: 40,
            straight: 2,
            duplicates: 2,
            largest_cluster: 2,
            peak_hour: 6,
            speeds: vec![(SpeedBucket::Under3Min, 10), (SpeedBucket::Under10Min, 30)],
            population: Some(46),
            distance_from_norm: Some(800),
        };
        assert!(flags(&honest).is_empty());
        let tiny = Aggregates {
            responses: 4,
            duplicates: 4,
            largest_cluster: 4,
            peak_hour: 4,
            population: Some(1),
            ..Default::default()
        };
        assert!(flags(&tiny).is_empty(), "below min-n nothing is shown");
    }

    #[test]
    fn straight_lining_and_distance() {
        assert!(is_straight(&[2, 2, 2]));
        assert!(!is_straight(&[2, 2]));
        assert!(!is_straight(&[2, 1, 2]));
        assert_eq!(total_variation_bp(&[10, 0], &[0, 10]), Some(10_000));
        assert_eq!(total_variation_bp(&[5, 5], &[50, 50]), Some(0));
        assert_eq!(total_variation_bp(&[3, 1], &[1, 1]), Some(2500));
        assert_eq!(total_variation_bp(&[], &[1]), None);
        let a = Aggregates {
            responses: 50,
            straight: 20,
            distance_from_norm: Some(5000),
            ..Default::default()
        };
        assert_eq!(
            kinds(&a),
            [FlagKind::StraightLining, FlagKind::UnusualDistribution]
        );
    }

    #[test]
    fn speed_buckets_from_seconds() {
        assert_eq!(SpeedBucket::from_seconds(5), SpeedBucket::Under1Min);
        assert_eq!(SpeedBucket::from_seconds(60), SpeedBucket::Under3Min);
        assert_eq!(SpeedBucket::from_seconds(599), SpeedBucket::Under10Min);
        assert_eq!(SpeedBucket::from_seconds(3600), SpeedBucket::Longer);
    }
}
