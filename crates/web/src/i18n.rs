//! Thai first, English second. Every string a page shows comes from here.

use std::collections::BTreeMap;
use std::sync::LazyLock;

pub use itas_app::lang::Lang;

macro_rules! catalog {
    ($($key:literal => $th:literal, $en:literal;)+) => {
        /// Every message key with its Thai and English text.
        pub const CATALOG: &[(&str, &str, &str)] = &[$(($key, $th, $en)),+];
    };
}

catalog! {
    "app_name" => "ระบบประเมินคุณธรรมและความโปร่งใส", "Integrity and Transparency Assessment";
    "home" => "หน้าแรก", "Home";
    "sign_in" => "เข้าสู่ระบบ", "Sign in";
    "sign_out" => "ออกจากระบบ", "Sign out";
    "username" => "ชื่อผู้ใช้", "Username";
    "password" => "รหัสผ่าน", "Password";
    "display_name" => "ชื่อที่แสดง", "Display name";
    "role" => "บทบาท", "Role";
    "language" => "English", "ภาษาไทย";
    "save" => "บันทึก", "Save";
    "create" => "สร้าง", "Create";
    "search" => "ค้นหา", "Search";
    "rounds" => "รอบการประเมิน", "Rounds";
    "round" => "รอบการประเมิน", "Round";
    "new_round" => "เปิดรอบการประเมินใหม่", "Open a new round";
    "round_name" => "ชื่อรอบ", "Round name";
    "fiscal_year" => "ปีงบประมาณ", "Fiscal year";
    "framework" => "กรอบการประเมิน", "Framework";
    "framework_file" => "ไฟล์กรอบการประเมิน (TOML) ถ้าไม่ใช้กรอบที่มีในระบบ", "Framework file (TOML), if not an embedded one";
    "phases" => "ช่วงเวลาการดำเนินงาน", "Phases";
    "phase" => "ขั้นตอน", "Phase";
    "starts_on" => "วันเริ่ม", "Starts";
    "ends_on" => "วันสิ้นสุด", "Ends";
    "current_phase" => "ขั้นตอนปัจจุบัน", "Current phase";
    "not_started" => "ยังไม่เริ่ม", "Not started";
    "closed" => "สิ้นสุดแล้ว", "Closed";
    "between_phases" => "อยู่ระหว่างขั้นตอน หลังจาก", "Between phases, after";
    "participants" => "หน่วยงานที่เข้ารับการประเมิน", "Participating agencies";
    "add_participants" => "เพิ่มหน่วยงานเข้ารอบ (รหัสหน่วยงาน คั่นด้วยจุลภาคหรือขึ้นบรรทัดใหม่ หรือ * สำหรับทุกหน่วยงาน)", "Add agencies to the round (codes separated by commas or lines, or * for all)";
    "agencies" => "หน่วยงาน", "Agencies";
    "earlier_results" => "ผลปีก่อน ๆ", "Earlier years";
    "agency" => "หน่วยงาน", "Agency";
    "code" => "รหัส", "Code";
    "name_th" => "ชื่อภาษาไทย", "Thai name";
    "name_en" => "ชื่อภาษาอังกฤษ", "English name";
    "kind" => "ประเภท", "Type";
    "province" => "จังหวัด", "Province";
    "parent" => "หน่วยงานต้นสังกัด (รหัส)", "Parent agency (code)";
    "website" => "เว็บไซต์หลัก", "Main website";
    "new_agency" => "เพิ่มหน่วยงาน", "Add an agency";
    "import_agencies" => "นำเข้าหน่วยงานจากไฟล์ CSV หรือ XLSX", "Import agencies from CSV or XLSX";
    "import_help" => "คอลัมน์: code, name_th, name_en, kind, province, parent_code, website (แถวแรกเป็นหัวคอลัมน์)", "Columns: code, name_th, name_en, kind, province, parent_code, website (first row is the header)";
    "file" => "ไฟล์", "File";
    "import" => "นำเข้า", "Import";
    "imported_rows" => "นำเข้าสำเร็จ", "Rows imported";
    "rejected_rows" => "แถวที่ไม่ได้นำเข้า", "Rows not imported";
    "line" => "บรรทัด", "Line";
    "reason" => "เหตุผล", "Reason";
    "users" => "ผู้ใช้งาน", "Users";
    "new_user" => "เพิ่มผู้ใช้งาน", "Add a user";
    "active" => "ใช้งานอยู่", "Active";
    "inactive" => "ระงับการใช้งาน", "Suspended";
    "suspend" => "ระงับ", "Suspend";
    "reactivate" => "เปิดใช้งาน", "Reactivate";
    "new_password" => "รหัสผ่านใหม่ (อย่างน้อย 10 ตัวอักษร)", "New password (at least 10 characters)";
    "set_password" => "ตั้งรหัสผ่าน", "Set password";
    "assessors" => "ผู้ประเมิน", "Assessors";
    "assign" => "มอบหมาย", "Assign";
    "unassign" => "ยกเลิก", "Remove";
    "assigned_agencies" => "หน่วยงานที่ได้รับมอบหมาย", "Assigned agencies";
    "no_assignments" => "ยังไม่มีหน่วยงานที่ได้รับมอบหมาย", "No agencies assigned yet";
    "audit_log" => "บันทึกการเปลี่ยนแปลง", "Audit log";
    "when" => "เวลา", "When";
    "who" => "ผู้ดำเนินการ", "Who";
    "action" => "การดำเนินการ", "Action";
    "what" => "รายการ", "What";
    "what_to_do" => "สิ่งที่ต้องดำเนินการ", "What to do now";
    "iit_population" => "จำนวนบุคลากรที่มีสิทธิ์ตอบ IIT", "Staff eligible for IIT";
    "eit_population" => "จำนวนผู้รับบริการโดยประมาณ (EIT)", "Estimated service users (EIT)";
    "min_sample" => "จำนวนผู้ตอบขั้นต่ำ", "Minimum responses";
    "indicator" => "ตัวชี้วัด", "Indicator";
    "score" => "คะแนน", "Score";
    "overall" => "คะแนนรวม", "Overall";
    "results" => "ผลการประเมิน", "Results";
    "level" => "ระดับ", "Level";
    "below_pass" => "ต่ำกว่าเกณฑ์", "Below the pass mark";
    "no_scores" => "ยังไม่มีผลคะแนน", "No scores yet";
    "no_rounds" => "ยังไม่ได้เข้ารับการประเมินในรอบใด", "Not in any round yet";
    "public_intro" => "ระบบเดียวสำหรับทั้งรอบการประเมิน ITA: ตั้งรอบการประเมิน เก็บแบบวัด IIT และ EIT ตรวจหลักฐาน OIT คำนวณคะแนนอย่างแม่นยำ และจัดทำรายงานการวิเคราะห์ผล", "One system for the whole ITA cycle: rounds, IIT and EIT surveys, OIT evidence review, exact scores and the analysis report";
    "previous" => "ก่อนหน้า", "Previous";
    "next" => "ถัดไป", "Next";
    "of" => "จาก", "of";
    "total" => "ทั้งหมด", "Total";
    "saved" => "บันทึกแล้ว", "Saved";
    "back" => "กลับ", "Back";
    "open" => "เปิด", "Open";
    "none" => "ไม่มี", "None";
    "all_agencies" => "ทุกหน่วยงาน", "All agencies";
    "yes" => "ใช่", "Yes";
    "invalid_form" => "ยังบันทึกไม่ได้ กรุณาแก้ไขช่องที่มีข้อความแจ้งด้านล่าง", "Not saved yet: please correct the fields marked below";
    "round_scores" => "ผลคะแนนรอบนี้", "Scores of this round";
    "tool" => "เครื่องมือ", "Tool";
    "responses_needed" => "ต้องได้ผู้ตอบอย่างน้อย", "Responses needed";
}

static INDEX: LazyLock<BTreeMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| CATALOG.iter().map(|(k, th, en)| (*k, (*th, *en))).collect());

/// The text of `key` in `lang`; the key itself if it is missing (a test
/// checks that every key the templates use exists).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match INDEX.get(key) {
        Some((th, en)) => lang.pick(th, en),
        None => {
            tracing::warn!(key, "missing translation");
            "?"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_keys_are_unique_and_translated() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, th, en) in CATALOG {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!th.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("ctx.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !INDEX.contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:?}");
    }
}
