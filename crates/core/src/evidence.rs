//! Judging a fetched evidence page: a traffic light with the reasons an agency
//! can act on before the deadline. The fetching itself happens elsewhere; this
//! is a pure function of what came back.

use crate::thai::{arabic_digits, thai_digits};

closed_enum! {
    /// One thing found about an evidence URL.
    Finding {
        NotHttp = "not_http", "URL ต้องขึ้นต้นด้วย http:// หรือ https://", "The URL must start with http:// or https://";
        Unreachable = "unreachable", "เปิดหน้านี้ไม่ได้ (เชื่อมต่อไม่ได้ หมดเวลา หรือใบรับรองความปลอดภัยไม่ถูกต้อง)", "The page does not open (no connection, timeout or a bad certificate)";
        HttpError = "http_error", "เว็บไซต์ตอบกลับว่าไม่พบหน้าหรือเกิดข้อผิดพลาด", "The site answers with an error (such as 404)";
        RedirectLoop = "redirect_loop", "ลิงก์พาไปต่อไม่สิ้นสุด (redirect วนซ้ำ)", "The link redirects without end";
        PrivateAddress = "private_address", "ที่อยู่นี้ไม่ใช่เว็บไซต์สาธารณะ (เครือข่ายภายใน) ระบบจึงไม่เปิด", "Not a public website (an internal address); not fetched";
        NoTls = "no_tls", "ไม่ได้ใช้ https", "Not served over https";
        OtherDomain = "other_domain", "ไม่ได้อยู่บนเว็บไซต์หลักของหน่วยงาน", "Not on the agency's registered website";
        NotLinkedFromSite = "not_linked_from_site", "หน้าเผยแพร่ของ itas นี้ยังไม่มีลิงก์จากเว็บไซต์หลักของหน่วยงาน ผู้ตรวจจะนับว่าอยู่บนเว็บไซต์ของหน่วยงานเมื่อหน้าแรกหรือหน้าหลักฐานอื่นบนเว็บไซต์ลิงก์มาที่หน้านี้", "This itas page is not linked from the agency's website yet; it counts as the agency's own once the home page or another evidence page there links to it";
        OddType = "odd_type", "ไม่ใช่หน้าเว็บหรือเอกสาร (เช่น ไฟล์ zip)", "Neither a web page nor a document";
        Empty = "empty", "หน้าแทบไม่มีเนื้อหา", "The page is nearly empty";
        TooLarge = "too_large", "ไฟล์ใหญ่มาก ตรวจได้เฉพาะส่วนต้น", "Very large; only the start was checked";
        NoFiscalYear = "no_fiscal_year", "ไม่พบปีงบประมาณที่ประเมินในหน้า", "The fiscal year assessed is not mentioned";
        NoKeyTerms = "no_key_terms", "ไม่พบคำสำคัญของประเด็นการตรวจในหน้า", "None of the item's key terms appear";
    }
}

/// Green: fine as far as a machine can tell; amber: look again; red: an
/// assessor will not be able to see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    Green,
    Amber,
    Red,
}

impl Light {
    pub fn code(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Amber => "amber",
            Light::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<Light> {
        [Light::Green, Light::Amber, Light::Red]
            .into_iter()
            .find(|l| l.code() == s)
    }
    pub fn name_th(self) -> &'static str {
        match self {
            Light::Green => "ผ่านการตรวจเบื้องต้น",
            Light::Amber => "ควรตรวจสอบ",
            Light::Red => "มีปัญหา",
        }
    }
}

impl Finding {
    pub fn light(self) -> Light {
        match self {
            Finding::NotHttp
            | Finding::Unreachable
            | Finding::HttpError
            | Finding::RedirectLoop
            | Finding::PrivateAddress => Light::Red,
            _ => Light::Amber,
        }
    }
}

/// What the fetcher saw.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    /// Where the redirects ended.
    pub final_url: String,
    pub status: Option<u16>,
    pub content_type: String,
    /// The body up to the size cap.
    pub body: Vec<u8>,
    /// The body was longer than the cap.
    pub truncated: bool,
    /// A transport failure (DNS, connect, TLS, timeout), if any.
    pub error: Option<String>,
    pub redirect_loop: bool,
    /// The URL (or a redirect) pointed at an internal address and was not fetched.
    pub private_address: bool,
}

/// What an item expects of its evidence.
pub struct Expectation<'a> {
    /// The agency's registered website, e.g. "https://www.huanong.go.th".
    pub website: &'a str,
    /// Buddhist-era fiscal year, e.g. 2564.
    pub fiscal_year_be: i32,
    pub key_terms: &'a [String],
    /// The URL is the agency's own public page on itas: `Some(true)` when
    /// the agency's website links to it (then it counts as on the website),
    /// `Some(false)` when no link was found; `None` for any other page.
    pub itas_page: Option<bool>,
}

/// The host of an http(s) URL, lower-cased, without port or "www.".
pub fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty()).then_some(host)
}

/// Whether `url` is on the site `website` (the same host or a subdomain).
pub fn on_site(url: &str, website: &str) -> bool {
    // Websites are sometimes registered without their scheme.
    let website = if website.contains("://") {
        website.to_string()
    } else {
        format!("https://{website}")
    };
    match (host_of(url), host_of(&website)) {
        (Some(u), Some(w)) => u == w || u.ends_with(&format!(".{w}")),
        _ => false,
    }
}

/// Judges one fetch. Text checks run on the decoded text of HTML and plain
/// text; PDFs and office files are judged by type and size only.
pub fn judge(url: &str, f: &Fetched, e: &Expectation<'_>) -> (Light, Vec<Finding>) {
    let mut out = Vec::new();
    if host_of(url).is_none() {
        out.push(Finding::NotHttp);
    } else if f.private_address {
        out.push(Finding::PrivateAddress);
    } else if f.redirect_loop {
        out.push(Finding::RedirectLoop);
    } else if f.error.is_some() {
        out.push(Finding::Unreachable);
    } else if f.status.is_none_or(|s| s >= 400) {
        out.push(Finding::HttpError);
    } else {
        let final_url = if f.final_url.is_empty() {
            url
        } else {
            &f.final_url
        };
        if !final_url.starts_with("https://") {
            out.push(Finding::NoTls);
        }
        match e.itas_page {
            Some(true) => {}
            Some(false) => out.push(Finding::NotLinkedFromSite),
            None => {
                if !e.website.is_empty() && !on_site(final_url, e.website) {
                    out.push(Finding::OtherDomain);
                }
            }
        }
        let ct = f.content_type.to_ascii_lowercase();
        let textual = ct.starts_with("text/html")
            || ct.starts_with("text/plain")
            || ct.starts_with("application/xhtml")
            || ct.is_empty();
        let document = ct.starts_with("application/pdf")
            || ct.contains("officedocument")
            || ct.contains("msword")
            || ct.contains("ms-excel")
            || ct.starts_with("image/");
        if !textual && !document {
            out.push(Finding::OddType);
        }
        if f.truncated {
            out.push(Finding::TooLarge);
        }
        if textual {
            let text = String::from_utf8_lossy(&f.body);
            let visible = strip_tags(&text);
            if visible.trim().chars().count() < 40 {
                out.push(Finding::Empty);
            } else {
                let arabic = arabic_digits(&visible);
                let year = e.fiscal_year_be.to_string();
                if !arabic.contains(&year) {
                    out.push(Finding::NoFiscalYear);
                }
                let squashed: String = visible.chars().filter(|c| !c.is_whitespace()).collect();
                let found = e.key_terms.is_empty()
                    || e.key_terms.iter().any(|t| {
                        let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
                        squashed.contains(&t) || squashed.contains(&thai_digits(&t))
                    });
                if !found {
                    out.push(Finding::NoKeyTerms);
                }
            }
        }
    }
    let light = out.iter().map(|f| f.light()).max().unwrap_or(Light::Green);
    (light, out)
}

/// Text without tags, scripts or styles: what a reader of the page sees.
fn strip_tags(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let skip_block = ["<script", "<style"]
                .iter()
                .find(|t| lower[i..].starts_with(**t))
                .map(|t| format!("</{}", &t[1..]));
            let end = match skip_block {
                Some(close) => lower[i..].find(&close).map(|j| i + j),
                None => Some(i),
            };
            match end.and_then(|e| lower[e..].find('>').map(|j| e + j + 1)) {
                Some(next) => {
                    out.push(' ');
                    i = next;
                }
                None => break,
            }
        } else {
            let next = html[i..].find('<').map_or(html.len(), |j| i + j);
            out.push_str(&html[i..next]);
            i = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> Fetched {
        Fetched {
            final_url: "https://www.huanong.go.th/oit/o1".into(),
            status: Some(200),
            content_type: "text/html; charset=utf-8".into(),
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    fn expect<'a>(terms: &'a [String]) -> Expectation<'a> {
        Expectation {
            website: "https://huanong.go.th",
            fiscal_year_be: 2564,
            key_terms: terms,
            itas_page: None,
        }
    }

    #[test]
    fn a_good_page_is_green_in_either_digit_set() {
        let terms = vec!["โครงสร้าง".to_string()];
        let body = "<html><script>var x='2564'</script><body><h1>แผนผังโครงสร้างหน่วยงาน</h1><p>ประจำปีงบประมาณ พ.ศ. ๒๕๖๔ ขององค์การบริหารส่วนตำบลหัวหนอง</p></body></html>";
        let (l, f) = judge(
            "https://www.huanong.go.th/oit/o1",
            &page(body),
            &expect(&terms),
        );
        assert_eq!((l, f), (Light::Green, vec![]));
    }

    #[test]
    fn each_problem_gets_its_own_finding() {
        let terms = vec!["งบประมาณ".to_string()];
        let no_year = "<p>แผนผังโครงสร้างหน่วยงานและงบประมาณของหน่วยงาน ไม่มีปีระบุในหน้านี้เลย</p>";
        let (l, f) = judge("https://huanong.go.th/a", &page(no_year), &expect(&terms));
        assert_eq!((l, f), (Light::Amber, vec![Finding::NoFiscalYear]));

        let mut other = page(no_year);
        other.final_url = "http://blog.example.com/a".into();
        let (_, f) = judge("http://blog.example.com/a", &other, &expect(&terms));
        assert!(f.contains(&Finding::OtherDomain) && f.contains(&Finding::NoTls));

        let mut nf = page("not found");
        nf.status = Some(404);
        assert_eq!(
            judge("https://huanong.go.th/x", &nf, &expect(&terms)).0,
            Light::Red
        );

        let down = Fetched {
            error: Some("timed out".into()),
            ..Default::default()
        };
        assert_eq!(
            judge("https://huanong.go.th/x", &down, &expect(&terms)).1,
            vec![Finding::Unreachable]
        );
        assert_eq!(
            judge("ftp://huanong.go.th/x", &down, &expect(&terms)).1,
            vec![Finding::NotHttp]
        );
    }

    #[test]
    fn an_itas_page_counts_as_the_agencys_own_once_its_website_links_to_it() {
        let terms = vec!["มาตรการ".to_string()];
        let body = "<h1>ผลการประเมิน ITA ปีงบประมาณ พ.ศ. ๒๕๖๔</h1><p>มาตรการส่งเสริมคุณธรรมและความโปร่งใส สำหรับปีงบประมาณ พ.ศ. ๒๕๖๕</p>";
        let mut itas = page(body);
        itas.final_url = "https://ita.example.go.th/p/KK-HUANONG/ita/2564".into();
        let url = itas.final_url.clone();
        let linked = Expectation {
            itas_page: Some(true),
            ..expect(&terms)
        };
        assert_eq!(judge(&url, &itas, &linked), (Light::Green, vec![]));
        let unlinked = Expectation {
            itas_page: Some(false),
            ..expect(&terms)
        };
        assert_eq!(
            judge(&url, &itas, &unlinked),
            (Light::Amber, vec![Finding::NotLinkedFromSite])
        );
        // The same rules as any page: the year and the key terms.
        let other_year = Expectation {
            fiscal_year_be: 2566,
            ..linked
        };
        assert_eq!(
            judge(&url, &itas, &other_year).1,
            vec![Finding::NoFiscalYear]
        );
        // Any other page off the website stays "other domain".
        assert_eq!(
            judge(&url, &itas, &expect(&terms)).1,
            vec![Finding::OtherDomain]
        );
    }

    #[test]
    fn an_internal_address_is_red_and_says_why() {
        let blocked = Fetched {
            private_address: true,
            error: Some("internal address".into()),
            ..Default::default()
        };
        assert_eq!(
            judge("http://10.0.0.5/admin", &blocked, &expect(&[])),
            (Light::Red, vec![Finding::PrivateAddress])
        );
    }

    #[test]
    fn subdomains_of_the_registered_site_count_as_its_own() {
        assert!(on_site(
            "https://eservice.huanong.go.th/x",
            "https://www.huanong.go.th"
        ));
        assert!(on_site("http://HUANONG.go.th:8080/x", "huanong.go.th/"));
        assert!(!on_site(
            "https://huanong.go.th.evil.com/",
            "https://huanong.go.th"
        ));
        assert!(!on_site(
            "https://nothuanong.go.th/",
            "https://huanong.go.th"
        ));
    }
}
