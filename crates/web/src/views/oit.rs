//! The templates and view models of `routes::oit`.

use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::oit::StoredDecision;
use itas_store::rounds::Round;

/// One checklist item as a page shows it.
pub struct ItemView {
    pub code: String,
    pub indicator: u32,
    pub sub: String,
    pub text: String,
    pub requirement: String,
    pub urls: String,
    pub url_list: Vec<String>,
    /// Per URL: (url, light code, light name, findings in Thai, check id).
    pub checks: Vec<(String, String, String, String, String)>,
    pub explanation: String,
    pub editable: bool,
    pub first: Option<StoredDecision>,
    pub second: Option<StoredDecision>,
    /// For the assessor: which round they may decide now.
    pub decide: Option<i64>,
    pub final_passed: Option<bool>,
    /// The agency's published itas page can be this item's evidence.
    pub itas_page: bool,
}

#[derive(Template)]
#[template(path = "oit_agency.html")]
pub(crate) struct AgencyOitPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    pub(crate) phase: String,
    pub(crate) submitted: bool,
    pub(crate) can_submit: bool,
    pub(crate) items: Vec<ItemView>,
    pub(crate) empty: usize,
    pub(crate) errors: FieldErrors,
    pub(crate) scores: Option<Vec<(String, String)>>,
    /// The agency's newest public itas page of an earlier year: (URL, year).
    pub(crate) itas_offer: Option<(String, String)>,
    /// Where to publish one when there is none: the plan of its latest earlier round.
    pub(crate) itas_plan_link: Option<String>,
}

#[derive(Template)]
#[template(path = "oit_assessor.html")]
pub(crate) struct AssessorOitPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    pub(crate) agency: Agency,
    pub(crate) phase: String,
    pub(crate) submitted: bool,
    pub(crate) items: Vec<ItemView>,
    pub(crate) reasons: Vec<(&'static str, &'static str)>,
    pub(crate) decided: usize,
    pub(crate) scores: Option<Vec<(String, String)>>,
    pub(crate) errors: FieldErrors,
    /// Why no decision can be made today, and when one can.
    pub(crate) review_note: Option<String>,
}

/// What the requirement adds for items an itas page can serve: what the
/// assessor will see.
pub const ITAS_PAGE_NOTE_TH: &str = "ข้อนี้ใช้หน้าเผยแพร่ผลการประเมินและมาตรการของหน่วยงานบน itas เป็นหลักฐานได้ ผู้ตรวจจะเห็นผลการประเมินของปีก่อน การวิเคราะห์ มาตรการพร้อมหน่วยงานผู้รับผิดชอบ ระยะเวลา และความคืบหน้ารายเดือน ตามที่แสดงอยู่ ณ เวลาที่ตรวจ (บันทึกพร้อมรหัส SHA-256) หน้านั้นนับว่าอยู่บนเว็บไซต์ของหน่วยงานเมื่อเว็บไซต์ของหน่วยงานมีลิงก์ไปยังหน้านั้น";
pub const ITAS_PAGE_NOTE_EN: &str = "The agency's published itas page of its result and measures can be this item's evidence. The assessor sees last year's result, the analysis, the measures with their responsible units, periods and monthly progress as they stand at the check (kept with a SHA-256), and it counts as on the agency's website once the website links to it";
