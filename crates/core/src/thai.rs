//! Thai formatting: Thai digits, Buddhist-era dates, fiscal years.

use std::fmt;
use time::{Date, Month};

/// The Buddhist era is the Common Era plus 543 years.
pub const BE_OFFSET: i32 = 543;

pub const MONTHS_FULL: [&str; 12] = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
];

pub const MONTHS_ABBR: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];

/// Which digits a document uses. Formal letters use Thai digits; tables often Arabic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Digits {
    #[default]
    Thai,
    Arabic,
}

impl Digits {
    pub fn apply(self, s: &str) -> String {
        match self {
            Digits::Thai => thai_digits(s),
            Digits::Arabic => arabic_digits(s),
        }
    }
}

/// Replaces 0–9 with ๐–๙.
pub fn thai_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x0E50 + (c as u32 - '0' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A whole number with commas between groups of three (`100,000,000`),
/// as Thai documents write large numbers.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replaces ๐–๙ with 0–9.
pub fn arabic_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{0E50}'..='\u{0E59}' => {
                char::from_u32('0' as u32 + (c as u32 - 0x0E50)).unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

/// "6 กันยายน 2564" (with `Digits::Thai`: "๖ กันยายน ๒๕๖๔").
pub fn format_date(d: Date, digits: Digits) -> String {
    let s = format!(
        "{} {} {}",
        d.day(),
        MONTHS_FULL[d.month() as usize - 1],
        d.year() + BE_OFFSET
    );
    digits.apply(&s)
}

/// "6 ก.ย. 64", the short form used in plan tables.
pub fn format_date_short(d: Date, digits: Digits) -> String {
    let s = format!(
        "{} {} {:02}",
        d.day(),
        MONTHS_ABBR[d.month() as usize - 1],
        (d.year() + BE_OFFSET) % 100
    );
    digits.apply(&s)
}

/// "ม.ค. 65", a month of a plan period.
pub fn format_month_short(year_ce: i32, month: Month, digits: Digits) -> String {
    digits.apply(&format!(
        "{} {:02}",
        MONTHS_ABBR[month as usize - 1],
        (year_ce + BE_OFFSET) % 100
    ))
}

/// "ต.ค. ๒๕๖๔" for a stored month "2021-10"; anything else as it is.
pub fn format_iso_month(ym: &str, digits: Digits) -> String {
    let mut it = ym.split('-');
    match (
        it.next().and_then(|y| y.parse::<i32>().ok()),
        it.next().and_then(|m| m.parse::<usize>().ok()),
        it.next(),
    ) {
        (Some(y), Some(m), None) if (1..=12).contains(&m) => {
            digits.apply(&format!("{} {}", MONTHS_ABBR[m - 1], y + BE_OFFSET))
        }
        _ => ym.to_string(),
    }
}

/// Reads "6 กันยายน 2564", "๖ กันยายน พ.ศ. ๒๕๖๔" or "6 ก.ย. 2564".
pub fn parse_date(s: &str) -> Option<Date> {
    let s = arabic_digits(s);
    let parts: Vec<&str> = s.split_whitespace().filter(|p| *p != "พ.ศ.").collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    let day: u8 = day.parse().ok()?;
    let m = MONTHS_FULL
        .iter()
        .position(|m| m == month)
        .or_else(|| MONTHS_ABBR.iter().position(|m| m == month))?;
    let year: i32 = year.parse().ok()?;
    let month = Month::try_from(m as u8 + 1).ok()?;
    Date::from_calendar_date(year - BE_OFFSET, month, day).ok()
}

/// A fiscal year (ปีงบประมาณ): 1 October to 30 September, named by the
/// Buddhist-era year in which it ends.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct FiscalYear(pub i32);

impl FiscalYear {
    pub fn of(d: Date) -> FiscalYear {
        let ce = if d.month() as u8 >= 10 {
            d.year() + 1
        } else {
            d.year()
        };
        FiscalYear(ce + BE_OFFSET)
    }

    pub fn be(self) -> i32 {
        self.0
    }

    pub fn start(self) -> Date {
        Date::from_calendar_date(self.0 - BE_OFFSET - 1, Month::October, 1).unwrap_or(Date::MIN)
    }

    pub fn end(self) -> Date {
        Date::from_calendar_date(self.0 - BE_OFFSET, Month::September, 30).unwrap_or(Date::MAX)
    }

    pub fn contains(self, d: Date) -> bool {
        FiscalYear::of(d) == self
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_by_three() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1200), "1,200");
        assert_eq!(group_thousands(100_000_000), "100,000,000");
        assert_eq!(group_thousands(-12345), "-12,345");
    }
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn digits_both_ways() {
        assert_eq!(thai_digits("68.00 / 2564"), "๖๘.๐๐ / ๒๕๖๔");
        assert_eq!(arabic_digits("๘๓.๒๐"), "83.20");
    }

    #[test]
    fn seed_memo_date() {
        assert_eq!(
            format_date(date!(2021 - 09 - 06), Digits::Thai),
            "๖ กันยายน ๒๕๖๔"
        );
        assert_eq!(
            format_date_short(date!(2022 - 01 - 15), Digits::Arabic),
            "15 ม.ค. 65"
        );
        assert_eq!(
            format_month_short(2022, Month::March, Digits::Thai),
            "มี.ค. ๖๕"
        );
        assert_eq!(
            parse_date("๖ กันยายน พ.ศ. ๒๕๖๔"),
            Some(date!(2021 - 09 - 06))
        );
        assert_eq!(parse_date("31 ก.พ. 2564"), None);
    }

    #[test]
    fn fiscal_year_turns_on_the_first_of_october() {
        assert_eq!(FiscalYear::of(date!(2020 - 09 - 30)), FiscalYear(2563));
        assert_eq!(FiscalYear::of(date!(2020 - 10 - 01)), FiscalYear(2564));
        assert_eq!(FiscalYear::of(date!(2021 - 09 - 06)), FiscalYear(2564));
        assert_eq!(FiscalYear(2564).start(), date!(2020 - 10 - 01));
        assert_eq!(FiscalYear(2564).end(), date!(2021 - 09 - 30));
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(days in 0i32..60_000) {
            let d = date!(1950 - 01 - 01) + time::Duration::days(i64::from(days));
            prop_assert_eq!(parse_date(&format_date(d, Digits::Thai)), Some(d));
            prop_assert_eq!(parse_date(&format_date(d, Digits::Arabic)), Some(d));
            let fy = FiscalYear::of(d);
            prop_assert!(fy.start() <= d && d <= fy.end());
        }
    }
}
