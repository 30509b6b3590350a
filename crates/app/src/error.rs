//! What an action can refuse, and why: a closed set of codes, each with a
//! Thai and an English message (Thai first). Pages and the API show the same
//! message for the same refusal; the web crate decides only how it is
//! answered (an HTTP status, a page or a JSON body).

use crate::lang::Lang;

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $th:literal, $en:literal;)+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];
            pub fn code(self) -> &'static str { match self { $(ErrorCode::$variant => $code),+ } }
            pub fn message(self, lang: Lang) -> &'static str {
                match self { $(ErrorCode::$variant => lang.pick($th, $en)),+ }
            }
        }
    };
}

error_codes! {
    NotSignedIn = "not_signed_in", "กรุณาเข้าสู่ระบบ", "Please sign in";
    Forbidden = "forbidden", "ท่านไม่มีสิทธิ์เข้าถึงข้อมูลนี้", "You do not have access to this";
    NotFound = "not_found", "ไม่พบข้อมูลที่ต้องการ", "Not found";
    BadLogin = "bad_login", "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", "Wrong username or password";
    TooManyAttempts = "too_many_attempts", "มีการพยายามเข้าสู่ระบบจากที่อยู่นี้มากเกินไป กรุณารอแล้วลองใหม่", "Too many sign-in attempts from this address; wait, then try again.";
    SignInBackOff = "sign_in_back_off", "รหัสผ่านผิดหลายครั้งจากเครื่องนี้ กรุณารอสักครู่แล้วลองใหม่ ยิ่งผิดมากครั้งยิ่งต้องรอนานขึ้น (ไม่เกิน 15 นาที)", "Several wrong passwords from this device; wait a moment and try again. Each further mistake doubles the wait (at most 15 minutes)";
    AccountUnderAttack = "account_under_attack", "บัญชีนี้ถูกลองรหัสผ่านผิดจำนวนมากจากหลายแห่ง เครื่องที่ไม่เคยเข้าสู่ระบบด้วยบัญชีนี้ต้องยืนยันทางอีเมล หากรหัสผ่านที่กรอกถูกต้อง ระบบได้ส่งลิงก์ยืนยันไปยังอีเมลของบัญชีแล้ว (ใช้ได้ครั้งเดียวภายใน ๑๕ นาที) หากไม่ได้รับ กรุณาติดต่อสำนักงานกลางให้ปลดล็อก หรือเข้าสู่ระบบจากเครื่องที่เคยใช้", "This account has had many wrong passwords from many places, so a browser it has not used must confirm by email: if the password you typed is right, a one-time link is on its way to the account's email (it works once, within 15 minutes). If none arrives, ask the central office to unlock the account, or sign in from a browser you used before";
    Invalid = "invalid", "ข้อมูลไม่ถูกต้อง กรุณาตรวจสอบช่องที่มีข้อความแจ้ง", "Some fields are not valid; see the messages beside them";
    BadJson = "bad_json", "ข้อมูลที่ส่งมาไม่ใช่ JSON ที่อ่านได้", "The body is not readable JSON";
    NotJson = "not_json", "ต้องส่งข้อมูลเป็น JSON พร้อมส่วนหัว Content-Type: application/json", "Send the body as JSON with Content-Type: application/json";
    BadContentType = "bad_content_type", "ส่งรายชื่อหน่วยงานเป็น JSON (application/json) CSV (text/csv) หรือไฟล์ Excel (XLSX)", "Send the agency list as JSON (application/json), CSV (text/csv) or an Excel workbook (XLSX)";
    Conflict = "conflict", "ข้อมูลนี้มีอยู่แล้วในระบบ", "This already exists";
    CrossSite = "cross_site", "คำขอนี้มาจากเว็บไซต์อื่น จึงไม่ได้ดำเนินการ", "This request came from another site and was not carried out";
    PhaseNotOpen = "phase_not_open", "ขั้นตอนนี้ยังไม่เปิด จึงยังบันทึกข้อมูลไม่ได้ ดูกำหนดการในหน้ารอบการประเมิน", "This phase has not opened yet, so nothing can be recorded; see the round's calendar";
    PhaseClosed = "phase_closed", "ขั้นตอนนี้ปิดแล้ว จึงแก้ไขข้อมูลไม่ได้", "This phase is closed; the data can no longer be changed";
    LinkClosed = "link_closed", "ลิงก์แบบวัดนี้ใช้ตอบไม่ได้แล้ว", "This survey link can no longer take answers";
    CodeUsed = "code_used", "รหัสสำหรับตอบแบบวัดนี้ไม่ถูกต้องหรือถูกใช้ไปแล้ว คำตอบจึงยังไม่ได้บันทึก", "This single-use code is wrong or already used; the answers were not stored";
    SlowDown = "slow_down", "มีการส่งคำตอบผ่านลิงก์นี้มากเกินไปในขณะนี้ กรุณารอสักครู่แล้วกดส่งอีกครั้ง คำตอบของท่านยังอยู่", "Too many answers are arriving through this link right now; wait a moment and send again. Your answers are kept";
    TooLarge = "too_large", "ไฟล์หรือข้อมูลมีขนาดใหญ่เกินไป ไฟล์ที่ส่งเข้าระบบได้ต้องไม่เกิน 8 MB (รายชื่อหน่วยงานทั้งประเทศพร้อมทุกคอลัมน์ราว 2.3 MB) ข้อมูลที่กรอกไว้ในหน้าเดิมยังอยู่ กดย้อนกลับได้", "The file or form is too large: an uploaded file may be at most 8 MB (a national agency list with every column is about 2.3 MB). What you entered is still on the previous page; go back";
    TimedOut = "timed_out", "คำขอใช้เวลานานเกินไป กรุณาลองใหม่อีกครั้ง", "The request took too long; please try again";
    MethodNotAllowed = "method_not_allowed", "หน้านี้ไม่รับคำขอแบบนี้ กรุณาเปิดจากเมนูของระบบ", "This page does not take this kind of request; open it from the system's menus";
    PageWithdrawn = "page_withdrawn", "หน่วยงานถอนหน้าเผยแพร่ผลการประเมินและมาตรการหน้านี้แล้ว จึงไม่แสดงข้อมูลอีก หากต้องการข้อมูล กรุณาติดต่อหน่วยงานโดยตรง", "The agency has withdrawn this page of its ITA result and measures; please ask the agency directly";
    BadToken = "bad_token", "โทเคนไม่ถูกต้อง หมดอายุ หรือถูกเพิกถอนแล้ว สร้างโทเคนใหม่ได้ที่หน้าโทเคนสำหรับ API", "The token is wrong, expired or revoked; make a new one on the API tokens page";
    ApiSlowDown = "api_slow_down", "เรียก API ถี่เกินไป กรุณารอสักครู่แล้วลองใหม่ (โดยปกติไม่เกิน ๖๐๐ ครั้งต่อนาทีต่อผู้ใช้ รวมทุกโทเคนของผู้ใช้)", "Too many API calls; wait a moment and try again (by default at most 600 a minute per user, all of its tokens together)";
    NoResults = "no_results", "ยังไม่มีผลการประเมินครบทุกตัวชี้วัดของหน่วยงานนี้ในรอบนี้", "This agency has no complete results in this round yet";
    AnswersTooLarge = "answers_too_large", "คำตอบที่ส่งมามีขนาดใหญ่เกินกว่าที่แบบวัดรับได้ คำตอบที่เลือกไว้ในหน้าเดิมยังอยู่ กรุณากดย้อนกลับ ตรวจคำตอบ แล้วส่งอีกครั้ง", "The answers sent are larger than a questionnaire takes. What you ticked is still on the previous page; go back, check it and send again";
    Busy = "busy", "ขณะนี้มีผู้ขอเอกสารจำนวนมาก กรุณาลองใหม่ในอีกสักครู่", "Many documents are being prepared right now; please try again in a few seconds";
    Unavailable = "unavailable", "ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง", "Temporarily unavailable; please try again";
    StorageFault = "storage_fault", "ระบบบันทึกไม่ได้ชั่วคราว กรุณาลองใหม่อีกครั้ง", "The system cannot store data right now; please try again";
    Internal = "internal", "เกิดข้อผิดพลาดภายในระบบ ข้อมูลของท่านยังไม่ได้บันทึก กรุณาลองใหม่", "Something went wrong; nothing was saved. Please try again";
}

/// What is wrong with one field of an action's input, in both languages:
/// a page shows it beside the field, the API in its `detail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field's name, the same in the form and the JSON body (an OIT
    /// item's code for that item's evidence or decision).
    pub field: String,
    pub th: String,
    pub en: String,
}

impl FieldProblem {
    pub fn new(
        field: impl Into<String>,
        th: impl Into<String>,
        en: impl Into<String>,
    ) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            th: th.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.th, &self.en)
    }
}

/// Fields' problems as one line: `field: message; field: message`.
pub fn describe(fields: &[FieldProblem], lang: Lang) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message(lang)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A refused or failed action: its code, the detail for the log or (for
/// input errors) for the user, and the storage fault behind it, if any.
#[derive(Debug)]
pub struct Error {
    pub code: ErrorCode,
    pub detail: Option<String>,
    /// The storage fault behind it, for the server's health state.
    pub fault: Option<itas_store::health::FaultKind>,
    /// For `invalid`: each field's problem.
    pub fields: Vec<FieldProblem>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode) -> Error {
        Error {
            code,
            detail: None,
            fault: None,
            fields: Vec::new(),
        }
    }

    /// Input refused, field by field (none empty: a refusal names its field).
    pub fn invalid(fields: Vec<FieldProblem>) -> Error {
        debug_assert!(!fields.is_empty());
        Error {
            fields,
            ..Error::new(ErrorCode::Invalid)
        }
    }

    /// What exactly was wrong, in `lang`: the fields' problems, or the detail.
    pub fn detail_in(&self, lang: Lang) -> Option<String> {
        if self.fields.is_empty() {
            return self.detail.clone();
        }
        Some(describe(&self.fields, lang))
    }

    pub fn detail(mut self, d: impl Into<String>) -> Error {
        self.detail = Some(d.into());
        self
    }

    /// A failure inside the system (never the caller's doing).
    pub fn internal(d: impl std::fmt::Display) -> Error {
        Error::new(ErrorCode::Internal).detail(d.to_string())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.code.code()),
            None => f.write_str(self.code.code()),
        }
    }
}

impl std::error::Error for Error {}

impl From<ErrorCode> for Error {
    fn from(c: ErrorCode) -> Error {
        Error::new(c)
    }
}

impl From<itas_store::StoreError> for Error {
    fn from(e: itas_store::StoreError) -> Error {
        use itas_store::StoreError as S;
        match e {
            S::NotFound => Error::new(ErrorCode::NotFound),
            S::Conflict(what) => Error::new(ErrorCode::Conflict).detail(what),
            S::Invalid(why) => Error::new(ErrorCode::Invalid).detail(why),
            e if e.fault().is_some() => Error {
                fault: e.fault(),
                detail: Some(e.to_string()),
                ..Error::new(ErrorCode::StorageFault)
            },
            other => Error::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_distinct_and_translated() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            assert!(!c.message(Lang::Th).is_empty() && !c.message(Lang::En).is_empty());
            assert_ne!(
                c.message(Lang::Th),
                c.message(Lang::En),
                "{} has no Thai text",
                c.code()
            );
        }
    }
}
