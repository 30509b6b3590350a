//! User-facing errors: a closed set of codes, each with a Thai and an English
//! message. Causes are logged once here; users never see raw internals.

use crate::i18n::Lang;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:ident, $th:literal, $en:literal;)+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];
            pub fn code(self) -> &'static str { match self { $(ErrorCode::$variant => $code),+ } }
            pub fn status(self) -> StatusCode { match self { $(ErrorCode::$variant => StatusCode::$status),+ } }
            pub fn message(self, lang: Lang) -> &'static str {
                match self { $(ErrorCode::$variant => lang.pick($th, $en)),+ }
            }
        }
    };
}

error_codes! {
    NotSignedIn = "not_signed_in", UNAUTHORIZED, "กรุณาเข้าสู่ระบบ", "Please sign in";
    Forbidden = "forbidden", FORBIDDEN, "ท่านไม่มีสิทธิ์เข้าถึงข้อมูลนี้", "You do not have access to this";
    NotFound = "not_found", NOT_FOUND, "ไม่พบข้อมูลที่ต้องการ", "Not found";
    BadLogin = "bad_login", UNAUTHORIZED, "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", "Wrong username or password";
    TooManyAttempts = "too_many_attempts", TOO_MANY_REQUESTS, "มีการพยายามเข้าสู่ระบบจากที่อยู่นี้มากเกินไป กรุณารอ 15 นาทีแล้วลองใหม่", "Too many sign-in attempts from this address; wait 15 minutes and try again";
    SignInBackOff = "sign_in_back_off", TOO_MANY_REQUESTS, "รหัสผ่านผิดหลายครั้งจากเครื่องนี้ กรุณารอสักครู่แล้วลองใหม่ ยิ่งผิดมากครั้งยิ่งต้องรอนานขึ้น (ไม่เกิน 15 นาที)", "Several wrong passwords from this device; wait a moment and try again. Each further mistake doubles the wait (at most 15 minutes)";
    AccountUnderAttack = "account_under_attack", TOO_MANY_REQUESTS, "บัญชีนี้ถูกลองรหัสผ่านผิดจำนวนมากจากหลายแห่ง เครื่องที่ไม่เคยเข้าสู่ระบบด้วยบัญชีนี้ต้องยืนยันทางอีเมล หากรหัสผ่านที่กรอกถูกต้อง ระบบได้ส่งลิงก์ยืนยันไปยังอีเมลของบัญชีแล้ว (ใช้ได้ครั้งเดียวภายใน ๑๕ นาที) หากไม่ได้รับ กรุณาติดต่อสำนักงานกลางให้ปลดล็อก หรือเข้าสู่ระบบจากเครื่องที่เคยใช้", "This account has had many wrong passwords from many places, so a browser it has not used must confirm by email: if the password you typed is right, a one-time link is on its way to the account's email (it works once, within 15 minutes). If none arrives, ask the central office to unlock the account, or sign in from a browser you used before";
    Invalid = "invalid", UNPROCESSABLE_ENTITY, "ข้อมูลไม่ถูกต้อง กรุณาตรวจสอบช่องที่มีข้อความแจ้ง", "Some fields are not valid; see the messages beside them";
    BadJson = "bad_json", BAD_REQUEST, "ข้อมูลที่ส่งมาไม่ใช่ JSON ที่อ่านได้", "The body is not readable JSON";
    NotJson = "not_json", UNSUPPORTED_MEDIA_TYPE, "ต้องส่งข้อมูลเป็น JSON พร้อมส่วนหัว Content-Type: application/json", "Send the body as JSON with Content-Type: application/json";
    BadContentType = "bad_content_type", UNSUPPORTED_MEDIA_TYPE, "ส่งรายชื่อหน่วยงานเป็น JSON (application/json) CSV (text/csv) หรือไฟล์ Excel (XLSX)", "Send the agency list as JSON (application/json), CSV (text/csv) or an Excel workbook (XLSX)";
    Conflict = "conflict", CONFLICT, "ข้อมูลนี้มีอยู่แล้วในระบบ", "This already exists";
    CrossSite = "cross_site", FORBIDDEN, "คำขอนี้มาจากเว็บไซต์อื่น จึงไม่ได้ดำเนินการ", "This request came from another site and was not carried out";
    PhaseClosed = "phase_closed", CONFLICT, "ขั้นตอนนี้ปิดแล้ว จึงแก้ไขข้อมูลไม่ได้", "This phase is closed; the data can no longer be changed";
    LinkClosed = "link_closed", GONE, "ลิงก์แบบวัดนี้ใช้ตอบไม่ได้แล้ว", "This survey link can no longer take answers";
    CodeUsed = "code_used", CONFLICT, "รหัสสำหรับตอบแบบวัดนี้ไม่ถูกต้องหรือถูกใช้ไปแล้ว คำตอบจึงยังไม่ได้บันทึก", "This single-use code is wrong or already used; the answers were not stored";
    SlowDown = "slow_down", TOO_MANY_REQUESTS, "มีการส่งคำตอบผ่านลิงก์นี้มากเกินไปในขณะนี้ กรุณารอสักครู่แล้วกดส่งอีกครั้ง คำตอบของท่านยังอยู่", "Too many answers are arriving through this link right now; wait a moment and send again. Your answers are kept";
    TooLarge = "too_large", PAYLOAD_TOO_LARGE, "ไฟล์หรือข้อมูลมีขนาดใหญ่เกินไป ไฟล์ที่ส่งเข้าระบบได้ต้องไม่เกิน 8 MB (รายชื่อหน่วยงานทั้งประเทศพร้อมทุกคอลัมน์ราว 2.3 MB) ข้อมูลที่กรอกไว้ในหน้าเดิมยังอยู่ กดย้อนกลับได้", "The file or form is too large: an uploaded file may be at most 8 MB (a national agency list with every column is about 2.3 MB). What you entered is still on the previous page; go back";
    TimedOut = "timed_out", REQUEST_TIMEOUT, "คำขอใช้เวลานานเกินไป กรุณาลองใหม่อีกครั้ง", "The request took too long; please try again";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "หน้านี้ไม่รับคำขอแบบนี้ กรุณาเปิดจากเมนูของระบบ", "This page does not take this kind of request; open it from the system's menus";
    PageWithdrawn = "page_withdrawn", GONE, "หน่วยงานถอนหน้าเผยแพร่ผลการประเมินและมาตรการหน้านี้แล้ว จึงไม่แสดงข้อมูลอีก หากต้องการข้อมูล กรุณาติดต่อหน่วยงานโดยตรง", "The agency has withdrawn this page of its ITA result and measures; please ask the agency directly";
    BadToken = "bad_token", UNAUTHORIZED, "โทเคนไม่ถูกต้อง หมดอายุ หรือถูกเพิกถอนแล้ว สร้างโทเคนใหม่ได้ที่หน้าโทเคนสำหรับ API", "The token is wrong, expired or revoked; make a new one on the API tokens page";
    ApiSlowDown = "api_slow_down", TOO_MANY_REQUESTS, "เรียก API ถี่เกินไป กรุณารอสักครู่แล้วลองใหม่ (โดยปกติไม่เกิน ๖๐๐ ครั้งต่อนาทีต่อผู้ใช้ รวมทุกโทเคนของผู้ใช้)", "Too many API calls; wait a moment and try again (by default at most 600 a minute per user, all of its tokens together)";
    NoResults = "no_results", NOT_FOUND, "ยังไม่มีผลการประเมินครบทุกตัวชี้วัดของหน่วยงานนี้ในรอบนี้", "This agency has no complete results in this round yet";
    AnswersTooLarge = "answers_too_large", PAYLOAD_TOO_LARGE, "คำตอบที่ส่งมามีขนาดใหญ่เกินกว่าที่แบบวัดรับได้ คำตอบที่เลือกไว้ในหน้าเดิมยังอยู่ กรุณากดย้อนกลับ ตรวจคำตอบ แล้วส่งอีกครั้ง", "The answers sent are larger than a questionnaire takes. What you ticked is still on the previous page; go back, check it and send again";
    Busy = "busy", SERVICE_UNAVAILABLE, "ขณะนี้มีผู้ขอเอกสารจำนวนมาก กรุณาลองใหม่ในอีกสักครู่", "Many documents are being prepared right now; please try again in a few seconds";
    Unavailable = "unavailable", SERVICE_UNAVAILABLE, "ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง", "Temporarily unavailable; please try again";
    StorageFault = "storage_fault", SERVICE_UNAVAILABLE, "ระบบบันทึกไม่ได้ชั่วคราว กรุณาลองใหม่อีกครั้ง", "The system cannot store data right now; please try again";
    Internal = "internal", INTERNAL_SERVER_ERROR, "เกิดข้อผิดพลาดภายในระบบ ข้อมูลของท่านยังไม่ได้บันทึก กรุณาลองใหม่", "Something went wrong; nothing was saved. Please try again";
}

/// An error on its way to the user, with the detail kept for the log.
#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub detail: Option<String>,
    pub lang: Lang,
    pub json: bool,
    /// The storage fault behind it, passed to the server's health state.
    pub fault: Option<itas_store::health::FaultKind>,
}

/// Set on a response that failed on a storage fault (see `record_storage_faults`).
#[derive(Clone, Debug)]
pub struct StorageFaultSeen(pub itas_store::health::FaultKind, pub String);

impl AppError {
    pub fn new(code: ErrorCode) -> AppError {
        AppError {
            code,
            detail: None,
            lang: Lang::Th,
            json: false,
            fault: None,
        }
    }

    /// Marks the storage fault behind this error.
    pub fn fault(
        mut self,
        kind: Option<itas_store::health::FaultKind>,
        detail: String,
    ) -> AppError {
        self.fault = kind;
        self.detail = Some(detail);
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> AppError {
        self.detail = Some(d.into());
        self
    }

    pub fn in_lang(mut self, lang: Lang) -> AppError {
        self.lang = lang;
        self
    }

    pub fn as_json(mut self) -> AppError {
        self.json = true;
        self
    }
}

impl From<ErrorCode> for AppError {
    fn from(c: ErrorCode) -> AppError {
        AppError::new(c)
    }
}

impl From<itas_store::StoreError> for AppError {
    fn from(e: itas_store::StoreError) -> AppError {
        use itas_store::StoreError as S;
        match e {
            S::NotFound => AppError::new(ErrorCode::NotFound),
            S::Conflict(what) => AppError::new(ErrorCode::Conflict).detail(what),
            S::Invalid(why) => AppError::new(ErrorCode::Invalid).detail(why),
            e if e.fault().is_some() => {
                AppError::new(ErrorCode::StorageFault).fault(e.fault(), e.to_string())
            }
            other => AppError::new(ErrorCode::Internal).detail(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> AppError {
        AppError::new(ErrorCode::Internal).detail(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let fault = self
            .fault
            .map(|k| StorageFaultSeen(k, self.detail.clone().unwrap_or_default()));
        let mut resp = self.response();
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("10"),
            );
        }
        if let Some(f) = fault {
            resp.extensions_mut().insert(f);
        }
        resp
    }
}

impl AppError {
    fn response(self) -> Response {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::error!(code = self.code.code(), detail = ?self.detail, "request failed");
        } else {
            tracing::debug!(code = self.code.code(), detail = ?self.detail, "request refused");
        }
        let message = self.code.message(self.lang);
        // Validation details are safe and useful to show; internal ones are
        // not. A refusal's detail says which rule refused (never data).
        let shown_detail = match self.code {
            ErrorCode::Invalid
            | ErrorCode::Forbidden
            | ErrorCode::BadJson
            | ErrorCode::Conflict
            | ErrorCode::TooLarge
            | ErrorCode::LinkClosed => self.detail.clone(),
            _ => None,
        };
        if self.json {
            let body = ApiErrorBody {
                error: self.code.code(),
                message,
                detail: shown_detail,
            };
            return (status, axum::Json(body)).into_response();
        }
        let page = crate::pages::ErrorPage {
            // The error knows nothing of who is signed in, so its header says
            // nothing either way rather than show a signed-in user as signed out.
            ctx: crate::pages::PageCtx::respondent(self.lang),
            sign_in: self.code == ErrorCode::NotSignedIn,
            message,
            detail: shown_detail.unwrap_or_default(),
            status: status.as_u16(),
        };
        match askama::Template::render(&page) {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => (status, message.to_string()).into_response(),
        }
    }
}

/// The body of every JSON error.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ApiErrorBody {
    /// Stable error code (see the responses of each operation).
    pub error: &'static str,
    /// The message in the caller's language (Thai by default; `Accept-Language: en` for English).
    pub message: &'static str,
    /// What exactly was wrong, for input errors; otherwise null.
    pub detail: Option<String>,
}

/// A JSON request body whose rejections are the API's own JSON errors (in
/// the caller's language) rather than axum's plain-text ones. Every body of
/// the API is a JSON object, and only an object is read as one: serde would
/// otherwise take `[]` for a struct whose fields all have defaults.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        use axum::extract::rejection::JsonRejection as R;
        let lang = crate::auth::lang_of(req.headers());
        let refuse = |code: ErrorCode, detail: String| {
            AppError::new(code).in_lang(lang).detail(detail).as_json()
        };
        // Read as raw JSON first: the content type and the syntax are
        // checked as axum checks them, the shape below.
        let raw =
            match axum::Json::<Box<serde_json::value::RawValue>>::from_request(req, state).await {
                Ok(axum::Json(raw)) => raw,
                Err(e) => {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        return Err(refuse(ErrorCode::TooLarge, body_limit_detail()));
                    }
                    let code = match &e {
                        R::MissingJsonContentType(_) => ErrorCode::NotJson,
                        R::JsonDataError(_) => ErrorCode::Invalid,
                        _ => ErrorCode::BadJson,
                    };
                    return Err(refuse(code, e.body_text()));
                }
            };
        json_object(raw.get().as_bytes())
            .map(ApiJson)
            .map_err(|(code, detail)| refuse(code, detail))
    }
}

/// What a body past the limit is told, naming the limit.
pub fn body_limit_detail() -> String {
    format!(
        "the body is larger than the limit of {} MB ({} bytes)",
        crate::MAX_BODY_BYTES >> 20,
        crate::MAX_BODY_BYTES
    )
}

/// Reads a JSON object into `T`: `400 bad_json` for text that is no JSON,
/// `422 invalid` for JSON of the wrong shape, a top level that is not an
/// object included.
pub fn json_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, (ErrorCode, String)> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        let parses = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
        return Err(if parses {
            (ErrorCode::Invalid, "the body must be a JSON object".into())
        } else {
            (ErrorCode::BadJson, "the body is not JSON".into())
        });
    }
    serde_json::from_slice(body).map_err(|e| {
        let code = if e.is_data() {
            ErrorCode::Invalid
        } else {
            ErrorCode::BadJson
        };
        (code, e.to_string())
    })
}

/// For a field holding a list of JSON objects: each element must be an
/// object (serde alone would also take an array for a struct).
pub fn objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    Vec::<serde_json::Map<String, serde_json::Value>>::deserialize(d)?
        .into_iter()
        .map(|m| serde_json::from_value(serde_json::Value::Object(m)))
        .collect::<Result<_, _>>()
        .map_err(serde::de::Error::custom)
}

/// An integer in a JSON body as JSON Schema reads it: `42` and `42.0` are
/// the same integer there, while serde's `i64` refuses the second. Fields of
/// this type are documented with `#[schema(value_type = i64)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonInteger(pub i64);

impl<'de> serde::Deserialize<'de> for JsonInteger {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        // Beyond 2^53 a float no longer holds every integer, so such a
        // float is refused rather than read as a neighbouring value.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        n.as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
                    .map(|f| f as i64)
            })
            .map(JsonInteger)
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number")))
    }
}

impl serde::Serialize for JsonInteger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_json_object_is_read_as_a_body() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[serde(default)]
            all: bool,
            #[serde(default, deserialize_with = "objects")]
            rows: Vec<Row>,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Row {
            #[allow(dead_code)]
            code: String,
        }
        let read = |t: &str| json_object::<Body>(t.as_bytes()).map_err(|e| e.0);
        assert!(read(r#"{"all": true}"#).unwrap().all);
        assert_eq!(read(r#" {"rows": [{"code": "X"}]}"#).unwrap().rows.len(), 1);
        // serde alone takes these for the struct: an array at the top, an array for a row.
        assert_eq!(read("[]").unwrap_err(), ErrorCode::Invalid);
        assert_eq!(read("[true]").unwrap_err(), ErrorCode::Invalid);
        assert_eq!(
            read(r#"{"rows": [["X"]]}"#).unwrap_err(),
            ErrorCode::Invalid
        );
        assert_eq!(read("7").unwrap_err(), ErrorCode::Invalid);
        assert_eq!(read("[1,").unwrap_err(), ErrorCode::BadJson);
        assert_eq!(read("{\"all\": tru").unwrap_err(), ErrorCode::BadJson);
        assert_eq!(read(r#"{"all": 1}"#).unwrap_err(), ErrorCode::Invalid);
    }

    #[test]
    fn a_json_integer_is_any_whole_number_json_schema_accepts() {
        let read = |t: &str| serde_json::from_str::<JsonInteger>(t).map(|n| n.0);
        assert_eq!(read("42").unwrap(), 42);
        assert_eq!(read("-7").unwrap(), -7);
        assert_eq!(read("210.0").unwrap(), 210);
        assert_eq!(read("1e3").unwrap(), 1000);
        assert!(read("30.5").is_err());
        assert!(read("1e300").is_err());
        assert!(read("18446744073709551615").is_err());
        assert!(read("\"42\"").is_err());
        assert_eq!(serde_json::to_string(&JsonInteger(210)).unwrap(), "210");
    }

    #[test]
    fn the_too_large_message_states_the_real_limit() {
        let mb = crate::MAX_BODY_BYTES / (1024 * 1024);
        assert_eq!(mb * 1024 * 1024, crate::MAX_BODY_BYTES);
        for lang in [Lang::Th, Lang::En] {
            assert!(
                ErrorCode::TooLarge
                    .message(lang)
                    .contains(&format!("{mb} MB"))
            );
        }
    }

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
            assert!(c.status().is_client_error() || c.status().is_server_error());
        }
    }
}

impl From<crate::renders::RenderError> for AppError {
    fn from(e: crate::renders::RenderError) -> AppError {
        match e {
            crate::renders::RenderError::Busy => AppError::new(ErrorCode::Busy),
            crate::renders::RenderError::Failed(d) => AppError::new(ErrorCode::Internal).detail(d),
        }
    }
}
