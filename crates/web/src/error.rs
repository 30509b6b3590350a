//! User-facing errors: a closed set of codes, each with a Thai and an English
//! message. Causes are logged once here; users never see raw internals.

use crate::i18n::Lang;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use itas_app::error::ErrorCode;

/// The HTTP status each code is answered with.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NotSignedIn => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadLogin => StatusCode::UNAUTHORIZED,
        ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::SignInBackOff => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::AccountUnderAttack => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::BadJson => StatusCode::BAD_REQUEST,
        ErrorCode::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::BadContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::CrossSite => StatusCode::FORBIDDEN,
        ErrorCode::PhaseNotOpen => StatusCode::CONFLICT,
        ErrorCode::PhaseClosed => StatusCode::CONFLICT,
        ErrorCode::LinkClosed => StatusCode::GONE,
        ErrorCode::CodeUsed => StatusCode::CONFLICT,
        ErrorCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::TimedOut => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::PageWithdrawn => StatusCode::GONE,
        ErrorCode::BadToken => StatusCode::UNAUTHORIZED,
        ErrorCode::ApiSlowDown => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::NoResults => StatusCode::NOT_FOUND,
        ErrorCode::AnswersTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::StorageFault => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
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
    /// For `invalid` from an action: each field's problem in both languages.
    pub fields: Vec<itas_app::error::FieldProblem>,
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
            fields: Vec::new(),
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

/// The one way an API operation or extractor answers a refusal: the JSON
/// error body, in the caller's language.
pub fn api_error(e: impl Into<AppError>, lang: Lang) -> AppError {
    e.into().in_lang(lang).as_json()
}

impl From<ErrorCode> for AppError {
    fn from(c: ErrorCode) -> AppError {
        AppError::new(c)
    }
}

impl From<itas_store::StoreError> for AppError {
    fn from(e: itas_store::StoreError) -> AppError {
        itas_app::Error::from(e).into()
    }
}

impl From<itas_app::Error> for AppError {
    fn from(e: itas_app::Error) -> AppError {
        AppError {
            code: e.code,
            detail: e.detail,
            lang: Lang::Th,
            json: false,
            fault: e.fault,
            fields: e.fields,
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
        let status = status_of(self.code);
        if status.is_server_error() {
            tracing::error!(code = self.code.code(), detail = ?self.detail, "request failed");
        } else {
            tracing::debug!(code = self.code.code(), detail = ?self.detail, "request refused");
        }
        let message = self.code.message(self.lang);
        let detail = if self.fields.is_empty() {
            self.detail.clone()
        } else {
            Some(itas_app::error::describe(&self.fields, self.lang))
        };
        // Validation details are safe and useful to show; internal ones are
        // not. A refusal's detail says which rule refused (never data).
        let shown_detail = match self.code {
            ErrorCode::Invalid
            | ErrorCode::Forbidden
            | ErrorCode::BadJson
            | ErrorCode::Conflict
            | ErrorCode::TooLarge
            | ErrorCode::LinkClosed => detail,
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
        let lang = crate::auth::lang_for(req.uri().path(), req.headers());
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

impl From<crate::renders::RenderError> for AppError {
    fn from(e: crate::renders::RenderError) -> AppError {
        match e {
            crate::renders::RenderError::Busy => AppError::new(ErrorCode::Busy),
            crate::renders::RenderError::Failed(d) => AppError::new(ErrorCode::Internal).detail(d),
        }
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
    fn every_error_code_is_answered_with_an_error_status() {
        for c in ErrorCode::ALL {
            let s = status_of(*c);
            assert!(s.is_client_error() || s.is_server_error(), "{}", c.code());
        }
    }
}
