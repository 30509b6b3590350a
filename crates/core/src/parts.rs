//! A survey tool collected in parts (the EIT's part 1 by the agency, part 2
//! by the central office) made into the one set of tallies the engine scores.
//!
//! Pooled parts are simply added. Weighted parts are added after scaling each
//! part's counts, cell by cell, so that the pooled mean of every cell is the
//! weighted mean of the parts' means: the engine then scores them exactly as
//! it scores any tally, with every rounding policy, and nothing is a float.

use crate::exact::Exact;
use crate::framework::{Combine, Framework, part_key, tool_code};
use num_integer::Integer;
use std::collections::BTreeMap;

/// Option counts by item: `counts[cell][option]` (as the store keeps them).
pub type Tallies = BTreeMap<String, Vec<Vec<u64>>>;

/// Why parts could not be combined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CombineError {
    /// Scaled counts would not fit in 64 bits (parts of hundreds of
    /// thousands of answers each, with coprime sizes).
    TooLarge { item: String },
}

/// Adds `from` into `into`, cell by cell.
pub fn add(into: &mut Tallies, from: &Tallies) {
    for (item, cells) in from {
        let to = into.entry(item.clone()).or_default();
        if to.len() < cells.len() {
            to.resize(cells.len(), Vec::new());
        }
        for (c, opts) in cells.iter().enumerate() {
            if to[c].len() < opts.len() {
                to[c].resize(opts.len(), 0);
            }
            for (o, n) in opts.iter().enumerate() {
                to[c][o] += n;
            }
        }
    }
}

/// An agency's tallies by collection key (`IIT`, `EIT`, `EIT.2`) made into
/// the tallies the engine scores: each tool's parts combined as its
/// framework says. Keys the framework does not know are added as they are.
pub fn combine(
    fw: &Framework,
    by_key: &BTreeMap<String, Tallies>,
) -> Result<Tallies, CombineError> {
    let mut out = Tallies::new();
    let mut weighted: BTreeMap<&str, Vec<(Exact, &Tallies)>> = BTreeMap::new();
    for (key, tallies) in by_key {
        let tool = fw.tool(tool_code(key));
        let part = tool.and_then(|t| {
            fw.parts_of(&t.code)
                .find(|p| part_key(&p.tool, p.number) == *key)
        });
        match (tool, part) {
            (Some(t), Some(p)) if t.combine == Combine::Weighted => weighted
                .entry(tool_code(key))
                .or_default()
                .push((p.weight.unwrap_or_default(), tallies)),
            _ => add(&mut out, tallies),
        }
    }
    for parts in weighted.values() {
        add(&mut out, &weighted_tallies(parts)?);
    }
    Ok(out)
}

/// Counts whose pooled mean, cell by cell, is the weighted mean of the
/// parts' means. A part with no answer to a cell is left out of that cell
/// and the other parts' weights share its place.
pub fn weighted_tallies(parts: &[(Exact, &Tallies)]) -> Result<Tallies, CombineError> {
    let mut items: Vec<&String> = parts.iter().flat_map(|(_, t)| t.keys()).collect();
    items.sort();
    items.dedup();
    let mut out = Tallies::new();
    for item in items {
        let cells = parts
            .iter()
            .filter_map(|(_, t)| t.get(item).map(Vec::len))
            .max()
            .unwrap_or(0);
        let mut item_out = Vec::with_capacity(cells);
        for c in 0..cells {
            let cell = |t: &Tallies| -> Vec<u64> {
                t.get(item)
                    .and_then(|cs| cs.get(c))
                    .cloned()
                    .unwrap_or_default()
            };
            let answered: Vec<(Exact, Vec<u64>, u64)> = parts
                .iter()
                .map(|(w, t)| {
                    let counts = cell(t);
                    let n = counts.iter().sum::<u64>();
                    (*w, counts, n)
                })
                .filter(|(_, _, n)| *n > 0)
                .collect();
            let too_large = || CombineError::TooLarge { item: item.clone() };
            // Scale part i by w_i·D·M / n_i: D the weights' common
            // denominator, M the sizes' least common multiple: all integers.
            let d = answered
                .iter()
                .fold(1i128, |acc, (w, _, _)| acc.lcm(w.denom()));
            let m = answered
                .iter()
                .fold(1i128, |acc, (_, _, n)| acc.lcm(&i128::from(*n)));
            let mut scales: Vec<i128> = answered
                .iter()
                .map(|(w, _, n)| (*w * Exact::from_integer(d * m / i128::from(*n))).to_integer())
                .collect();
            let g = scales.iter().fold(0i128, |acc, k| acc.gcd(k));
            if g > 1 {
                scales.iter_mut().for_each(|k| *k /= g);
            }
            let options = answered.iter().map(|(_, v, _)| v.len()).max().unwrap_or(0);
            let mut merged = vec![0u64; options];
            for ((_, counts, _), k) in answered.iter().zip(&scales) {
                for (o, n) in counts.iter().enumerate() {
                    let scaled = i128::from(*n)
                        .checked_mul(*k)
                        .and_then(|x| u64::try_from(x).ok())
                        .ok_or_else(too_large)?;
                    merged[o] = merged[o].checked_add(scaled).ok_or_else(too_large)?;
                }
            }
            item_out.push(merged);
        }
        out.insert(item.clone(), item_out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::exact;

    fn mean(cell: &[u64], scores: &[i128]) -> Exact {
        let n: u64 = cell.iter().sum();
        let total: i128 = cell
            .iter()
            .zip(scores)
            .map(|(c, s)| i128::from(*c) * s)
            .sum();
        Exact::new(total, i128::from(n))
    }

    #[test]
    fn weighted_parts_give_the_weighted_mean_of_each_cell() {
        let scores = [0, 50, 100];
        // Part 1: 3 answers, mean 50; part 2: 4 answers, mean 87.5.
        let p1: Tallies = [("E1".to_string(), vec![vec![1, 1, 1]])].into();
        let p2: Tallies = [("E1".to_string(), vec![vec![0, 1, 3]])].into();
        let w = |n, d| Exact::new(n, d);
        let out = weighted_tallies(&[(w(7, 10), &p1), (w(3, 10), &p2)]).unwrap();
        let want = w(7, 10) * exact(50) + w(3, 10) * Exact::new(175, 2);
        assert_eq!(mean(&out["E1"][0], &scores), want);
        // Pooled would be 11 answers: (50·3 + 87.5·4)/7, not the same.
        let mut pooled = p1.clone();
        add(&mut pooled, &p2);
        assert_ne!(mean(&pooled["E1"][0], &scores), want);
    }

    #[test]
    fn a_part_without_answers_leaves_the_other_whole() {
        let p1: Tallies = [("E1".to_string(), vec![vec![2, 0, 1]])].into();
        let p2 = Tallies::new();
        let out = weighted_tallies(&[(Exact::new(1, 2), &p1), (Exact::new(1, 2), &p2)]).unwrap();
        assert_eq!(
            mean(&out["E1"][0], &[0, 50, 100]),
            mean(&[2, 0, 1], &[0, 50, 100])
        );
    }

    #[test]
    fn sizes_that_cannot_be_scaled_are_refused_not_wrapped() {
        let big = |n: u64| -> Tallies { [("E1".to_string(), vec![vec![n, 0]])].into() };
        let (a, b) = (big(4_294_967_291), big(4_294_967_279));
        let r = weighted_tallies(&[(Exact::new(1, 2), &a), (Exact::new(1, 2), &b)]);
        assert!(matches!(r, Err(CombineError::TooLarge { .. })));
    }
}
