//! Exact numbers for scores.
//!
//! Everything inside the engine is an [`Exact`] rational; only a *published*
//! value becomes a [`Score`], an integer count of hundredths rounded half up.
//! Floats never enter: the same inputs give the same digits on every machine.

use num_integer::Integer;
use num_rational::Ratio;
use num_traits::{ToPrimitive, Zero};
use std::fmt;
use std::str::FromStr;

/// An exact rational number.
pub type Exact = Ratio<i128>;

/// Builds an exact integer.
pub fn exact(n: i128) -> Exact {
    Ratio::from_integer(n)
}

/// The mean of exact values; `None` for an empty list.
///
/// The sum is kept in whole numbers over the values' common denominator and
/// made a fraction once (adding reduced fractions one by one costs a national
/// scoring run more than its reads); where the whole numbers would overflow,
/// the rest is added as fractions, as before.
pub fn mean<I: IntoIterator<Item = Exact>>(values: I) -> Option<Exact> {
    let (mut num, mut den, mut count) = (0i128, 1i128, 0i128);
    let mut as_fractions: Option<Exact> = None;
    for v in values {
        count += 1;
        if let Some(sum) = as_fractions.as_mut() {
            *sum += v;
        } else if let Some((n, d)) = add_whole(num, den, &v) {
            (num, den) = (n, d);
        } else {
            as_fractions = Some(Ratio::new(num, den) + v);
        }
    }
    if count == 0 {
        return None;
    }
    Some(match (as_fractions, den.checked_mul(count)) {
        (None, Some(d)) => Ratio::new(num, d),
        (sum, _) => sum.unwrap_or_else(|| Ratio::new(num, den)) / count,
    })
}

/// `num/den + v` as whole numbers over their least common denominator;
/// `None` where that would overflow.
fn add_whole(num: i128, den: i128, v: &Exact) -> Option<(i128, i128)> {
    let d = *v.denom();
    if d == den {
        return Some((num.checked_add(*v.numer())?, den));
    }
    let lcm = den.checked_mul(d / den.gcd(&d))?;
    let n = num
        .checked_mul(lcm / den)?
        .checked_add(v.numer().checked_mul(lcm / d)?)?;
    Some((n, lcm))
}

/// A published score: hundredths of a point, 0.00 to 100.00 in ITA frameworks.
///
/// Ordering and equality are exact. Display gives two decimals ("93.20").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Score(i64);

impl Score {
    pub const ZERO: Score = Score(0);
    pub const HUNDRED: Score = Score(10_000);

    pub const fn from_hundredths(h: i64) -> Score {
        Score(h)
    }

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// Rounds an exact value to hundredths, half away from zero
    /// (half up for the non-negative values scores are).
    pub fn round_half_up(x: Exact) -> Score {
        // n·100 / d without reducing it first (the remainder test is the
        // same either way); reduced only where n·100 would overflow.
        let (n, d) = match x.numer().checked_mul(100) {
            Some(n) => (n, *x.denom()),
            None => {
                let scaled = x * Exact::from_integer(100);
                (*scaled.numer(), *scaled.denom())
            }
        };
        // d > 0 always for a normalised Ratio.
        let (q, r) = n.abs().div_rem(&d);
        let q = if r * 2 >= d { q + 1 } else { q };
        let q = if n.is_negative() { -q } else { q };
        Score(
            q.to_i64()
                .unwrap_or(if n.is_negative() { i64::MIN } else { i64::MAX }),
        )
    }

    /// The exact value of this published score.
    pub fn exact(self) -> Exact {
        Ratio::new(i128::from(self.0), 100)
    }

    /// Rounds to `decimals` (0, 1 or 2) half up, as hundredths.
    /// Used to compare a claim written with fewer decimals ("68") to a score.
    pub fn rounded_to(self, decimals: u32) -> Score {
        match decimals {
            0 => Score(((self.0 + 50).div_euclid(100)) * 100),
            1 => Score(((self.0 + 5).div_euclid(10)) * 10),
            _ => self,
        }
    }

    /// The shortest JSON number for this score: `93.2`, `68.0`, `18.75`.
    pub fn to_json_number(self) -> String {
        let s = self.to_string();
        let trimmed = s.trim_end_matches('0');
        if trimmed.ends_with('.') {
            format!("{trimmed}0")
        } else {
            trimmed.to_string()
        }
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl serde::Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A raw JSON number keeps the exact decimal digits; no float on the way.
        let raw = serde_json::value::RawValue::from_string(self.to_json_number())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// Why a decimal could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' has more than two decimals")]
    TooManyDecimals(String),
    #[error("'{0}' is outside 0 to 100")]
    OutOfRange(String),
}

impl FromStr for Score {
    type Err = DecimalError;

    /// Reads a score written with at most two decimals, 0 to 100.
    fn from_str(s: &str) -> Result<Score, DecimalError> {
        let t = s.trim();
        let x = parse_decimal(t).ok_or_else(|| DecimalError::NotANumber(t.to_string()))?;
        let scaled = x * Exact::from_integer(100);
        if !scaled.is_integer() {
            return Err(DecimalError::TooManyDecimals(t.to_string()));
        }
        let h = scaled.to_integer();
        if !(0..=10_000).contains(&h) {
            return Err(DecimalError::OutOfRange(t.to_string()));
        }
        Ok(Score(h as i64))
    }
}

/// Parses a plain decimal ("12", "0.30", "33.33", "-1.5") or a fraction
/// ("100/3") exactly. Exponents and other forms are refused.
pub fn parse_decimal(s: &str) -> Option<Exact> {
    let s = s.trim();
    if let Some((n, d)) = s.split_once('/') {
        let n = parse_decimal(n)?;
        let d = parse_decimal(d)?;
        if d.is_zero() {
            return None;
        }
        return Some(n / d);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int.len() + frac.len() > 30 {
        return None;
    }
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    let scale = 10i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let v = Ratio::new(digits, scale);
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean as it was taken before: reduced fractions added one by one.
    fn mean_fraction_by_fraction(values: &[Exact]) -> Option<Exact> {
        let mut sum = Exact::zero();
        for v in values {
            sum += *v;
        }
        (!values.is_empty()).then(|| sum / values.len() as i128)
    }

    /// Rounding as it was before: the value times 100 reduced first.
    fn round_reduced_first(x: Exact) -> Score {
        let scaled = x * Exact::from_integer(100);
        let (n, d) = (*scaled.numer(), *scaled.denom());
        let (q, r) = n.abs().div_rem(&d);
        let q = if r * 2 >= d { q + 1 } else { q };
        Score(if n.is_negative() { -q } else { q } as i64)
    }

    #[test]
    fn a_mean_past_whole_numbers_goes_on_in_fractions() {
        // 1/p + (p-1)/p is 1 as a fraction, but p over whole numbers; with
        // k/q next, p·q overflows while 1 + k/q does not.
        let (p, q) = (3i128.pow(70), 5i128.pow(50));
        assert!(p.checked_mul(q).is_none());
        for k in [1, 2, 7, q - 1] {
            let values = [Ratio::new(1, p), Ratio::new(p - 1, p), Ratio::new(k, q)];
            assert_eq!(mean(values), mean_fraction_by_fraction(&values), "k = {k}");
            assert_eq!(
                mean(values),
                Some((Exact::from_integer(1) + Ratio::new(k, q)) / 3)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn a_mean_in_whole_numbers_equals_the_fractions_added_one_by_one(
            // Denominators up to 60: their common one stays within i128,
            // as the engine's hundredths, thirds and cell counts do.
            values in proptest::collection::vec((0i128..1_000_000, 1i128..60), 0..40),
        ) {
            let values: Vec<Exact> = values.into_iter().map(|(n, d)| Ratio::new(n, d)).collect();
            proptest::prop_assert_eq!(mean(values.clone()), mean_fraction_by_fraction(&values));
        }

        #[test]
        fn rounding_without_reducing_first_gives_the_same_hundredths(
            n in 0i128..10_000_000_000, d in 1i128..1_000_000_000,
        ) {
            let x = Ratio::new(n, d);
            proptest::prop_assert_eq!(Score::round_half_up(x), round_reduced_first(x));
        }
    }

    #[test]
    fn rounds_half_up_at_the_third_decimal() {
        assert_eq!(
            Score::round_half_up(Ratio::new(67996, 1000)).to_string(),
            "68.00"
        );
        assert_eq!(
            Score::round_half_up(Ratio::new(45335, 1000)).to_string(),
            "45.34"
        );
        assert_eq!(
            Score::round_half_up(Ratio::new(86028, 1000)).to_string(),
            "86.03"
        );
        assert_eq!(
            Score::round_half_up(Ratio::new(679944, 10000)).to_string(),
            "67.99"
        );
        assert_eq!(
            Score::round_half_up(Ratio::new(100, 3)).to_string(),
            "33.33"
        );
        assert_eq!(
            Score::round_half_up(Ratio::new(200, 3)).to_string(),
            "66.67"
        );
        assert_eq!(Score::round_half_up(Ratio::new(1, 200)).to_string(), "0.01");
        assert_eq!(Score::round_half_up(Ratio::new(1, 201)).to_string(), "0.00");
    }

    #[test]
    fn parses_scores_with_at_most_two_decimals() {
        assert_eq!("93.2".parse::<Score>().unwrap().hundredths(), 9320);
        assert_eq!("100".parse::<Score>().unwrap(), Score::HUNDRED);
        assert_eq!("0".parse::<Score>().unwrap(), Score::ZERO);
        assert!(matches!(
            "100.01".parse::<Score>(),
            Err(DecimalError::OutOfRange(_))
        ));
        assert!(matches!(
            "1.234".parse::<Score>(),
            Err(DecimalError::TooManyDecimals(_))
        ));
        assert!(matches!(
            "abc".parse::<Score>(),
            Err(DecimalError::NotANumber(_))
        ));
        assert!(matches!(
            "".parse::<Score>(),
            Err(DecimalError::NotANumber(_))
        ));
        assert!(matches!(
            "-1".parse::<Score>(),
            Err(DecimalError::OutOfRange(_))
        ));
        assert!(matches!(
            "1e2".parse::<Score>(),
            Err(DecimalError::NotANumber(_))
        ));
    }

    #[test]
    fn parses_decimals_and_fractions_exactly() {
        assert_eq!(parse_decimal("0.30"), Some(Ratio::new(3, 10)));
        assert_eq!(parse_decimal("100/3"), Some(Ratio::new(100, 3)));
        assert_eq!(parse_decimal(".5"), Some(Ratio::new(1, 2)));
        assert_eq!(parse_decimal("1/0"), None);
        assert_eq!(parse_decimal("."), None);
    }

    #[test]
    fn json_numbers_are_shortest_decimals() {
        assert_eq!(Score::from_hundredths(9320).to_json_number(), "93.2");
        assert_eq!(Score::from_hundredths(6800).to_json_number(), "68.0");
        assert_eq!(Score::from_hundredths(1875).to_json_number(), "18.75");
        assert_eq!(Score::from_hundredths(5).to_json_number(), "0.05");
        assert_eq!(
            serde_json::to_string(&Score::from_hundredths(4534)).unwrap(),
            "45.34"
        );
    }

    #[test]
    fn rounds_claims_to_fewer_decimals() {
        assert_eq!(
            Score::from_hundredths(6800).rounded_to(0),
            Score::from_hundredths(6800)
        );
        assert_eq!(
            Score::from_hundredths(6750).rounded_to(0),
            Score::from_hundredths(6800)
        );
        assert_eq!(
            Score::from_hundredths(6749).rounded_to(0),
            Score::from_hundredths(6700)
        );
        assert_eq!(
            Score::from_hundredths(6745).rounded_to(1),
            Score::from_hundredths(6750)
        );
    }
}
