//! Property-driven fuzzing of every parser that reads untrusted input:
//! framework files, report text, questionnaire forms. None may panic.

use crate::framework::{self, ITA_2564_SOURCE, ita_2564};
use crate::report_check::check_report;
use crate::survey;
use proptest::prelude::*;
use std::collections::HashMap;

/// The embedded framework with a few bytes changed: near-valid input finds
/// the deep paths that random text never reaches.
fn mutated_framework() -> impl Strategy<Value = String> {
    prop::collection::vec((0usize..ITA_2564_SOURCE.len(), any::<u8>(), 0u8..3), 1..8).prop_map(
        |edits| {
            let mut bytes = ITA_2564_SOURCE.as_bytes().to_vec();
            for (at, b, kind) in edits {
                let at = at.min(bytes.len().saturating_sub(1));
                match kind {
                    0 => bytes[at] = b,
                    1 => bytes.insert(at, b),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_framework_parser_never_panics_on_text(s in "\\PC{0,400}") {
        let _ = framework::parse("fuzz.toml", &s);
    }

    #[test]
    fn the_framework_parser_never_panics_on_a_damaged_framework(s in mutated_framework()) {
        if let Err(e) = framework::parse("fuzz.toml", &s) {
            // Every refusal names the file and a line.
            prop_assert!(e.to_string().starts_with("fuzz.toml:"));
            prop_assert!(!e.problems.is_empty());
            prop_assert!(e.problems.iter().all(|p| !p.message_th.trim().is_empty()));
        }
    }

    #[test]
    fn report_checking_never_panics(s in "(\\PC|\\n|\\t|ตัวชี้วัดที่ |[0-9๐-๙.]{1,6}| IIT | OIT |มีค่าคะแนนเท่ากับ|จัดอยู่ในระดับ ){0,80}") {
        let _ = check_report(&ita_2564(), &s);
    }

    #[test]
    fn questionnaire_forms_never_panic(fields in prop::collection::vec(("(i|e|o|x)[0-9]{1,2}\\.[0-9]{1,2}", "\\PC{0,6}"), 0..80), page in 0u32..12) {
        let fw = ita_2564();
        let form: HashMap<String, String> = fields.into_iter().collect();
        let (answers, _problems) = survey::read_page(&fw, page, &form);
        let _ = survey::check_complete(&fw, "IIT", &answers);
        let _ = survey::check_complete(&fw, "EIT", &answers);
    }

    #[test]
    fn completeness_checks_never_panic(raw in prop::collection::btree_map("(i|e)[0-9]{1,2}", prop::collection::vec(0usize..9, 0..5), 0..50)) {
        let fw = ita_2564();
        let _ = survey::check_complete(&fw, "IIT", &raw);
        let _ = survey::check_complete(&fw, "EIT", &raw);
    }
}
