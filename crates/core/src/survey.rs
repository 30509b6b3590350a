//! A survey tool's questionnaire: pages, answers and their validation.
//!
//! One page per indicator. A form field is named `{item}.{cell}` and carries
//! the option code. Answers are option indices per cell, which is exactly what
//! a tally counts.

use crate::framework::{Framework, Item, ItemKind, Scale, ToolKind};
use std::collections::{BTreeMap, HashMap};

/// Option index per cell, by item code.
pub type Answers = BTreeMap<String, Vec<usize>>;

/// Why an item's answer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerProblem {
    Missing,
    UnknownOption,
}

impl AnswerProblem {
    pub fn message_th(self) -> &'static str {
        match self {
            AnswerProblem::Missing => "กรุณาตอบข้อนี้ให้ครบทุกข้อย่อย",
            AnswerProblem::UnknownOption => "คำตอบไม่อยู่ในตัวเลือก กรุณาเลือกใหม่",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            AnswerProblem::Missing => "Please answer every part of this question",
            AnswerProblem::UnknownOption => {
                "This answer is not one of the options; please choose again"
            }
        }
    }
}

/// The survey items of a tool, in order, with their scales. `tool` may be a
/// part's collection key (`EIT.2`): every part asks the tool's questions.
pub fn items<'a>(fw: &'a Framework, tool: &'a str) -> Vec<(&'a Item, &'a Scale, usize)> {
    let tool = crate::framework::tool_code(tool);
    if fw.tool(tool).is_none_or(|t| t.kind != ToolKind::Survey) {
        return vec![];
    }
    fw.indicators_of(tool)
        .flat_map(|i| fw.items_of(i.number))
        .filter_map(|it| match &it.kind {
            ItemKind::Survey { scale, cells } => fw.scale(scale).map(|s| (it, s, cells.len())),
            ItemKind::Checklist { .. } => None,
        })
        .collect()
}

/// The pages of a tool: its indicator numbers, in order.
pub fn pages(fw: &Framework, tool: &str) -> Vec<u32> {
    let tool = crate::framework::tool_code(tool);
    fw.indicators_of(tool).map(|i| i.number).collect()
}

pub fn field_name(item: &str, cell: usize) -> String {
    format!("{item}.{cell}")
}

/// The form fields of one page, with the item each belongs to.
pub fn page_fields(fw: &Framework, indicator: u32) -> Vec<(String, String)> {
    fw.items_of(indicator)
        .filter_map(|it| match &it.kind {
            ItemKind::Survey { cells, .. } => {
                Some((0..cells.len()).map(|c| (it.code.clone(), field_name(&it.code, c))))
            }
            ItemKind::Checklist { .. } => None,
        })
        .flatten()
        .collect()
}

/// The first page of `tool` with a question not yet in `answers` (the last
/// page when every question is answered): where a returning respondent resumes.
pub fn first_unanswered_page(fw: &Framework, tool: &str, answers: &Answers) -> usize {
    let pages = pages(fw, tool);
    pages
        .iter()
        .position(|&n| {
            fw.items_of(n).any(|it| {
                matches!(it.kind, ItemKind::Survey { .. }) && !answers.contains_key(&it.code)
            })
        })
        .unwrap_or(pages.len().saturating_sub(1))
}

/// Reads the answers of one page from a submitted form. Items left blank or
/// with an unknown option are listed as problems; answered ones are returned.
pub fn read_page(
    fw: &Framework,
    indicator: u32,
    form: &HashMap<String, String>,
) -> (Answers, Vec<(String, AnswerProblem)>) {
    let mut answers = Answers::new();
    let mut problems = Vec::new();
    for it in fw.items_of(indicator) {
        let ItemKind::Survey { scale, cells } = &it.kind else {
            continue;
        };
        let Some(scale) = fw.scale(scale) else {
            continue;
        };
        let mut chosen = Vec::with_capacity(cells.len());
        let mut problem = None;
        for c in 0..cells.len() {
            match form
                .get(&field_name(&it.code, c))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                None => problem = problem.or(Some(AnswerProblem::Missing)),
                Some(v) => match scale.option_index(v) {
                    Some(i) => chosen.push(i),
                    None => problem = Some(AnswerProblem::UnknownOption),
                },
            }
        }
        match problem {
            None => {
                answers.insert(it.code.clone(), chosen);
            }
            Some(p) => problems.push((it.code.clone(), p)),
        }
    }
    (answers, problems)
}

/// Checks that `answers` answer every item of `tool` with valid options, and
/// nothing else. Returns the first problem found.
pub fn check_complete(
    fw: &Framework,
    tool: &str,
    answers: &Answers,
) -> Result<(), (String, AnswerProblem)> {
    let items = items(fw, tool);
    for (it, scale, cells) in &items {
        match answers.get(&it.code) {
            None => return Err((it.code.clone(), AnswerProblem::Missing)),
            Some(v) if v.len() != *cells => return Err((it.code.clone(), AnswerProblem::Missing)),
            Some(v) if v.iter().any(|o| *o >= scale.options.len()) => {
                return Err((it.code.clone(), AnswerProblem::UnknownOption));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = answers
        .keys()
        .find(|k| !items.iter().any(|(it, _, _)| &it.code == *k))
    {
        return Err((extra.clone(), AnswerProblem::UnknownOption));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_respondent_resumes_at_the_first_page_with_an_unanswered_question() {
        let fw = crate::framework::ita_2564();
        let pages = pages(&fw, "IIT");
        let mut answers = Answers::new();
        assert_eq!(first_unanswered_page(&fw, "IIT", &answers), 0);
        for (i, &n) in pages.iter().enumerate().take(2) {
            let form: HashMap<String, String> = page_fields(&fw, n)
                .into_iter()
                .map(|(item, f)| {
                    let ItemKind::Survey { scale, .. } = &fw.item(&item).unwrap().kind else {
                        unreachable!()
                    };
                    (f, fw.scale(scale).unwrap().options[0].code.clone())
                })
                .collect();
            let (a, problems) = read_page(&fw, n, &form);
            assert!(problems.is_empty(), "page {i}: {problems:?}");
            answers.extend(a);
        }
        assert_eq!(first_unanswered_page(&fw, "IIT", &answers), 2);
        // One question missing on page 1 sends the respondent back there.
        let first_item = fw.items_of(pages[1]).next().unwrap().code.clone();
        answers.remove(&first_item);
        assert_eq!(first_unanswered_page(&fw, "IIT", &answers), 1);
    }

    use super::*;
    use crate::framework::ita_2564;

    #[test]
    fn iit_has_five_pages_and_thirty_items() {
        let fw = ita_2564();
        assert_eq!(pages(&fw, "IIT"), vec![1, 2, 3, 4, 5]);
        assert_eq!(items(&fw, "IIT").len(), 30);
        assert_eq!(items(&fw, "EIT").len(), 15);
        assert!(items(&fw, "OIT").is_empty());
    }

    #[test]
    fn a_page_reports_missing_and_unknown_answers() {
        let fw = ita_2564();
        let mut form: HashMap<String, String> = HashMap::new();
        form.insert("i1.0".into(), "4".into());
        form.insert("i1.1".into(), "3".into());
        form.insert("i2.0".into(), "9".into());
        form.insert("i4.0".into(), "no".into());
        let (answers, problems) = read_page(&fw, 1, &form);
        assert_eq!(answers.get("i1"), Some(&vec![3, 2]));
        assert!(problems.contains(&("i2".into(), AnswerProblem::UnknownOption)));
        assert!(problems.contains(&("i3".into(), AnswerProblem::Missing)));
        assert!(
            problems.contains(&("i4".into(), AnswerProblem::Missing)),
            "two of three cells blank"
        );
        assert!(!AnswerProblem::Missing.message_th().is_empty());
    }

    #[test]
    fn completeness_is_checked_item_by_item() {
        let fw = ita_2564();
        let mut all = Answers::new();
        for (it, _, cells) in items(&fw, "EIT") {
            all.insert(it.code.clone(), vec![0; cells]);
        }
        assert_eq!(check_complete(&fw, "EIT", &all), Ok(()));
        let mut bad = all.clone();
        bad.insert("e2".into(), vec![7]);
        assert_eq!(
            check_complete(&fw, "EIT", &bad),
            Err(("e2".into(), AnswerProblem::UnknownOption))
        );
        let mut short = all.clone();
        short.remove("e15");
        assert_eq!(
            check_complete(&fw, "EIT", &short),
            Err(("e15".into(), AnswerProblem::Missing))
        );
        let mut extra = all;
        extra.insert("i1".into(), vec![0, 0]);
        assert!(check_complete(&fw, "EIT", &extra).is_err());
    }
}
