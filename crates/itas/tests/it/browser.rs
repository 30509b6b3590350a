//! In a real browser: headless Chromium (Debian's chromium + chromium-driver)
//! on a phone-sized screen opens the EIT link of the demo, answers every page,
//! submits, and sees the thank-you page; the agency's count goes up.
//!
//! WebDriver is spoken directly (W3C JSON over HTTP) to keep the test light.
//! A screenshot of every page is saved under target/browser-artifacts/.

use crate::procs::free_port;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP request with a JSON body; returns the JSON answer.
async fn call(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    match tokio::time::timeout(Duration::from_secs(60), call_once(port, method, path, body)).await {
        Ok(v) => v,
        Err(_) => panic!("WebDriver {method} {path} did not answer in 60 s"),
    }
}

async fn call_once(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    eprintln!("webdriver {method} {path}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to chromedriver");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    // Read the head, then exactly Content-Length bytes: chromedriver says
    // "Connection: close" but may keep the socket open.
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let payload = if head.contains("transfer-encoding: chunked") {
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        dechunk(&String::from_utf8_lossy(&rest))
    } else {
        let mut body = vec![0u8; length];
        s.read_exact(&mut body).await.unwrap();
        String::from_utf8_lossy(&body).into_owned()
    };
    serde_json::from_str(&payload)
        .unwrap_or_else(|e| panic!("WebDriver answer is not JSON ({e}): {payload}"))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

struct Browser {
    port: u16,
    session: String,
    artifacts: std::path::PathBuf,
    shots: usize,
}

impl Browser {
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = call(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
        .await;
        if let Some(err) = v["value"].get("error") {
            panic!("WebDriver {method} {path}: {err} {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .cmd(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e.as_object()
                    .unwrap()
                    .values()
                    .next()
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    async fn click(&self, element: &str) {
        self.cmd(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Clicks and waits until the browser has moved to another page.
    async fn click_and_wait(&self, element: &str) {
        let before = self.url().await;
        self.click(element).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.url().await == before {
            assert!(
                Instant::now() < deadline,
                "no navigation after the click on {before}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn screenshot(&mut self, name: &str) {
        let b64 = self
            .cmd("GET", "/screenshot", None)
            .await
            .as_str()
            .unwrap()
            .to_string();
        self.shots += 1;
        let path = self.artifacts.join(format!("{:02}-{name}.png", self.shots));
        std::fs::write(&path, decode_base64(&b64)).unwrap();
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = A.iter().position(|a| *a == c).unwrap_or(0) as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// A demo server, chromedriver and one browser session, torn down on drop.
struct Harness {
    port: u16,
    wd_port: u16,
    db: itas_store::Db,
    dir: std::path::PathBuf,
    b: Browser,
    _server: Killed,
    _driver: Killed,
}

impl Harness {
    /// `phone`: a 390×844 phone screen; otherwise a desktop one.
    async fn start(phone: bool) -> Harness {
        let chromedriver = "/usr/bin/chromedriver";
        assert!(
            std::path::Path::new(chromedriver).exists()
                && std::path::Path::new("/usr/bin/chromium").exists(),
            "browser tests need Debian's chromium and chromium-driver (.ci/run installs them)"
        );
        let dir = std::env::temp_dir().join(format!("itas-browser-{}", free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/itas.sqlite3", dir.display());
        let port = free_port();
        let server = Killed(
            Command::new(env!("CARGO_BIN_EXE_itas"))
                .args([
                    "serve",
                    "--demo",
                    "--demo-password",
                    "browser-test-pw",
                    "--database-url",
                    &url,
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                ])
                .env("ITAS_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let wd_port = free_port();
        let driver = Killed(
            Command::new(chromedriver)
                .arg(format!("--port={wd_port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        let db = loop {
            let ready = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
                && tokio::net::TcpStream::connect(("127.0.0.1", wd_port))
                    .await
                    .is_ok();
            if ready {
                let db = itas_store::Db::connect(&url).await.unwrap();
                if itas_store::agencies::by_code(&db, "KK-HUANONG")
                    .await
                    .ok()
                    .flatten()
                    .is_some()
                    && itas_store::rounds::list(&db).await.unwrap().len() == 3
                {
                    break db;
                }
            }
            assert!(
                Instant::now() < deadline,
                "server or chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let profile = dir.join("chromium-profile");
        let downloads = dir.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display())],
            "prefs": {"download.default_directory": downloads.display().to_string(), "download.prompt_for_download": false,
                      "plugins.always_open_pdf_externally": true}
        });
        if phone {
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0}, "userAgent": "Mozilla/5.0 (Linux; Android 10; K) Mobile"});
        } else {
            options["args"]
                .as_array_mut()
                .unwrap()
                .push(json!("--window-size=1280,1000"));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let created = call(wd_port, "POST", "/session", Some(caps)).await;
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        let artifacts =
            std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts");
        std::fs::create_dir_all(&artifacts).unwrap();
        Harness {
            port,
            wd_port,
            db,
            dir,
            b: Browser {
                port: wd_port,
                session,
                artifacts,
                shots: 0,
            },
            _server: server,
            _driver: driver,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn finish(self) {
        let _ = call(
            self.wd_port,
            "DELETE",
            &format!("/session/{}", self.b.session),
            None,
        )
        .await;
        self.db.close().await;
    }
}

impl Browser {
    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find_all(css).await;
        assert!(!el.is_empty(), "no element {css}");
        self.cmd(
            "POST",
            &format!("/element/{}/clear", el[0]),
            Some(json!({})),
        )
        .await;
        self.cmd(
            "POST",
            &format!("/element/{}/value", el[0]),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Clicks and waits until the page shows `text` (for forms that answer on the same URL).
    async fn click_until(&self, element: &str, text: &str) {
        self.click(element).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.source().await.contains(text) {
            assert!(Instant::now() < deadline, "the page never showed {text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn sign_in(&self, base: &str, user: &str) {
        self.go(&format!("{base}/login")).await;
        self.type_into("#username", user).await;
        self.type_into("#password", "browser-test-pw").await;
        let submit = self.find_all("form button[type=submit]").await;
        self.click_and_wait(&submit[0]).await;
    }

    async fn sign_out(&self) {
        let b = self.find_all("header form button").await;
        self.click_and_wait(&b[0]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_respondent_answers_on_a_phone_in_chromium() {
    let Harness {
        port,
        wd_port,
        db,
        dir,
        b,
        _server,
        _driver,
    } = Harness::start(true).await;
    let _ = (&dir, wd_port);
    let mut b = b;
    let (round, agency, code) = crate::app::demo_link(&db, "EIT").await;
    let before = itas_store::surveys::count(&db, &round, &agency, "EIT")
        .await
        .unwrap();
    // The demo's IIT asks for a single-use code: after a wrong one the page
    // says so and the cursor waits in the code field, not on the page.
    let (_, _, iit) = crate::app::demo_link(&db, "IIT").await;
    b.go(&format!("http://127.0.0.1:{port}/s/{iit}")).await;
    b.type_into("#access_code", "WRONG-0000").await;
    let send = b.find_all("form button[type=submit]").await;
    b.click_until(&send[0], "ไม่ถูกต้อง").await;
    let focused = b
        .cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": "return document.activeElement.id", "args": []})),
        )
        .await;
    assert_eq!(focused, "access_code", "focus after a wrong code");

    b.go(&format!("http://127.0.0.1:{port}/s/{code}")).await;
    b.screenshot("landing").await;
    assert!(b.source().await.contains("องค์การบริหารส่วนตำบลหัวหนอง"));
    let start = b.find_all("a.button").await;
    b.click_and_wait(&start[0]).await;
    // Answer every cell with its first option, the way a thumb would: by tapping the label.
    let tap_all = async |b: &Browser| {
        let choices = b.find_all(".choices label.choice:first-child").await;
        for c in &choices {
            b.click(c).await;
        }
        choices.len()
    };
    let next = async |b: &Browser| {
        // Next is the form's first button, so the Enter key moves forward too.
        let submit = b.find_all("form button[type=submit]").await;
        b.click_and_wait(&submit[0]).await;
    };
    let checked = async |b: &Browser| b.find_all("input[type=radio]:checked").await.len();
    let on_page0 = tap_all(&b).await;
    assert!(on_page0 > 0, "page 0 has questions");
    b.screenshot("page-0").await;
    next(&b).await;
    // Page 1: half the questions ticked, then Previous; what was ticked is kept.
    let choices = b.find_all(".choices label.choice:first-child").await;
    let half = choices.len() / 2;
    for c in &choices[..half] {
        b.click(c).await;
    }
    let previous = b.find_all("button[name=go][value=back]").await;
    assert_eq!(previous.len(), 1, "page 1 has a Previous button");
    b.click_and_wait(&previous[0]).await;
    assert!(b.url().await.ends_with("/q/0"), "Previous goes to page 0");
    assert_eq!(checked(&b).await, on_page0, "page 0 keeps its answers");
    next(&b).await;
    assert_eq!(
        checked(&b).await,
        half,
        "page 1 keeps the half ticked before Previous"
    );
    b.screenshot("page-1-kept").await;
    tap_all(&b).await;
    next(&b).await;
    assert!(b.url().await.ends_with("/q/2"));
    // Leave and come back through the link: resume opens the first page not yet answered.
    b.go(&format!("http://127.0.0.1:{port}/s/{code}")).await;
    assert!(b.source().await.contains("ทำต่อจากที่ค้างไว้"));
    let resume = b.find_all("a.button").await;
    b.click_and_wait(&resume[0]).await;
    assert!(
        b.url().await.ends_with("/q/2"),
        "resume opened {} instead of page 2",
        b.url().await
    );
    tap_all(&b).await;
    b.screenshot("page-2").await;
    next(&b).await;
    b.screenshot("thanks").await;
    let page = b.source().await;
    assert!(page.contains("ขอบคุณที่ตอบแบบวัด"), "thank-you page: {page}");
    assert!(
        !page.contains("เข้าสู่ระบบ"),
        "a respondent's header has no staff sign-in"
    );
    // Back after sending: the browser asks again, is told the answers were
    // sent and is offered a new set from the start, not from page 3 of 3.
    b.cmd("POST", "/back", Some(json!({}))).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.source().await.contains("เครื่องนี้ส่งคำตอบแบบวัดนี้ไปแล้ว")
    {
        assert!(
            Instant::now() < deadline,
            "Back after sending: {}",
            b.source().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        b.url().await.ends_with(&format!("/s/{code}")),
        "Back after sending lands on {}",
        b.url().await
    );
    assert_eq!(
        checked(&b).await,
        0,
        "no answer is shown ticked after sending"
    );
    let _ = call(wd_port, "DELETE", &format!("/session/{}", b.session), None).await;
    let after = itas_store::surveys::count(&db, &round, &agency, "EIT")
        .await
        .unwrap();
    assert_eq!(after, before + 1, "the agency's EIT count went up by one");
    db.close().await;
}

/// A calendar of ten-day phases placing today in review round 1.
fn review_one_calendar() -> Vec<itas_store::rounds::PhaseDates> {
    let today = itas_web::today();
    itas_core::directory::Phase::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let start = today + time::Duration::days((i as i64 - 2) * 10 - 2);
            itas_store::rounds::PhaseDates {
                phase: *p,
                starts_on: start,
                ends_on: start + time::Duration::days(9),
            }
        })
        .collect()
}

/// Waits for a file with `ext` to finish downloading into `dir`.
async fn downloaded(dir: &std::path::Path, ext: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        // Chromium puts an empty file under the final name as soon as a
        // download starts and fills it from a .crdownload at the end.
        let busy = files
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "crdownload"));
        if let Some(f) = files
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .filter(|_| !busy)
        {
            let bytes = std::fs::read(f).unwrap();
            if !bytes.is_empty() {
                return bytes;
            }
        }
        assert!(Instant::now() < deadline, "no .{ext} downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each role's main journey in the demo, in a desktop browser: the central
/// office imports agencies and opens a round; the agency prints its QR poster
/// and submits OIT URLs; the assessor reviews; the agency downloads its report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_walks_its_journey_in_chromium() {
    let mut b = Harness::start(false).await;
    let base = b.url("");
    let downloads = b.dir.join("downloads");

    // Central office: import a national list from a CSV as Excel saves it
    // (8,302 rows, every column, CRLF, over 2 MB), then look at the round.
    let csv = b.dir.join("agencies.csv");
    let mut national = crate::app::national_agency_csv(8_300, "NAT");
    national.push_str("KK-TEST1,องค์การบริหารส่วนตำบลทดสอบหนึ่ง,,sao,ขอนแก่น,,https://test1.go.th\r\nKK-TEST2,เทศบาลตำบลทดสอบสอง,,subdistrict_municipality,ขอนแก่น,,https://test2.go.th\r\n");
    assert!(national.len() > 2 * 1024 * 1024);
    std::fs::write(&csv, national).unwrap();
    b.b.sign_in(&base, "admin").await;
    b.b.go(&format!("{base}/admin/agencies/import")).await;
    let file = b.b.find_all("input[type=file]").await;
    b.b.cmd(
        "POST",
        &format!("/element/{}/value", file[0]),
        Some(json!({ "text": csv.display().to_string() })),
    )
    .await;
    let submit = b.b.find_all("form button[type=submit]").await;
    b.b.click_until(submit.last().unwrap(), "นำเข้าสำเร็จ: ๘๓๐๒")
        .await;
    b.b.screenshot("admin-import").await;
    assert!(
        itas_store::agencies::by_code(&b.db, "KK-TEST2")
            .await
            .unwrap()
            .is_some(),
        "imported through the browser"
    );
    // Open a new round on a framework from a workbook: upload, checked, then
    // a name and the seven phase dates.
    let workbook = b.dir.join("framework-2568.xlsx");
    let fw = itas_core::framework::embedded("ita-2568").unwrap();
    std::fs::write(&workbook, itas_app::framework_xlsx::export(&fw).unwrap()).unwrap();
    b.b.go(&format!("{base}/admin/rounds/new")).await;
    let upload = b.b.find_all("#framework_upload").await;
    b.b.cmd(
        "POST",
        &format!("/element/{}/value", upload[0]),
        Some(json!({ "text": workbook.display().to_string() })),
    )
    .await;
    let check =
        b.b.find_all("form[action='/admin/rounds/framework-file'] button[type=submit]")
            .await;
    b.b.click_until(&check[0], "ตรวจกรอบการประเมินแล้ว ถูกต้อง")
        .await;
    b.b.screenshot("admin-framework-upload").await;
    assert!(
        b.b.source().await.contains("ita-2568"),
        "the checked framework is in the form"
    );
    b.b.type_into("#name", "ITA ทดสอบจากเบราว์เซอร์").await;
    b.b.cmd(
        "POST",
        "/execute/sync",
        Some(json!({
            "script": "const codes = ['setup','collection','review1','revision','review2','publication','follow_up']; \
                       codes.forEach((c, i) => { \
                         document.getElementById('start_' + c).value = `2030-${String(i + 1).padStart(2, '0')}-01`; \
                         document.getElementById('end_' + c).value = `2030-${String(i + 1).padStart(2, '0')}-20`; });",
            "args": []
        })),
    )
    .await;
    let create = b.b.find_all("form button[type=submit]").await;
    b.b.click_and_wait(create.last().unwrap()).await;
    b.b.screenshot("admin-new-round").await;
    assert!(
        itas_store::rounds::list(&b.db)
            .await
            .unwrap()
            .iter()
            .any(|r| r.name == "ITA ทดสอบจากเบราว์เซอร์" && r.framework_code == "ita-2568"),
        "round opened through the browser on the uploaded framework"
    );
    let (round, agency, _) = crate::app::demo_link(&b.db, "EIT").await;
    b.b.go(&format!("{base}/admin/rounds/{round}")).await;
    assert!(b.b.source().await.contains("ประมวลผลคะแนน"));
    b.b.screenshot("admin-round").await;
    b.b.sign_out().await;

    // Agency: the QR poster (PDF) and its OIT evidence.
    b.b.sign_in(&base, "huanong").await;
    b.b.screenshot("agency-home").await;
    let poster = b.b.find_all("a[href$='/links/EIT/poster.pdf']").await;
    b.b.click(&poster[0]).await;
    let pdf = downloaded(&downloads, "pdf").await;
    assert!(pdf.starts_with(b"%PDF-"), "the poster is a PDF");
    std::fs::remove_dir_all(&downloads).unwrap();
    std::fs::create_dir_all(&downloads).unwrap();
    // `serve --demo` entered Huanong's published 2568 page as O25/O26
    // evidence; clear O25 and put it back in one click, keeping what was typed.
    itas_store::oit::save_evidence(
        &b.db,
        None,
        &agency,
        &round,
        &[("O25".into(), String::new(), String::new())],
    )
    .await
    .unwrap();
    b.b.go(&format!("{base}/agency/rounds/{round}/oit")).await;
    b.b.type_into("textarea[name='O1.urls']", &format!("{base}/"))
        .await;
    b.b.type_into("textarea[name='O1.explanation']", "แผนผังโครงสร้างอยู่หน้าแรก")
        .await;
    let one_click = b.b.find_all("button[name=itas_page][value=O25]").await;
    assert!(!one_click.is_empty(), "O25 offers the published itas page");
    b.b.click_and_wait(&one_click[0]).await;
    assert!(b.b.url().await.ends_with("#O25"), "back at the item");
    let itas_page = format!("{base}/p/KK-HUANONG/ita/2568");
    let evidence = itas_store::oit::evidence(&b.db, &agency, &round)
        .await
        .unwrap();
    assert_eq!(evidence["O25"].urls, itas_page);
    assert_eq!(
        evidence["O1"].urls,
        format!("{base}/"),
        "what was typed is kept"
    );
    assert!(b.b.source().await.contains(&itas_page));
    b.b.screenshot("agency-oit-itas-page").await;
    let submit = b.b.find_all("button[name=action][value=submit]").await;
    b.b.click_and_wait(&submit[0]).await;
    b.b.screenshot("agency-oit-submitted").await;
    assert!(b.b.source().await.contains("ส่งข้อมูลแล้ว"));
    b.b.sign_out().await;

    // Assessor: review round 1 (the calendar moved on).
    let phases = review_one_calendar();
    itas_store::rounds::set_phases(&b.db, None, &round, &phases)
        .await
        .unwrap();
    b.b.sign_in(&base, "assessor1").await;
    let review =
        b.b.find_all(&format!(
            "a[href='/assessor/rounds/{round}/agencies/{agency}/oit']"
        ))
        .await;
    b.b.click_and_wait(&review[0]).await;
    let fail = b.b.find_all("#O1 input[value=fail]").await;
    b.b.click(&fail[0]).await;
    let reason =
        b.b.find_all("#O1 select[name=reason] option[value=wrong_year]")
            .await;
    b.b.click(&reason[0]).await;
    b.b.type_into("#O1 input[name=comment]", "ไม่ระบุปีงบประมาณ")
        .await;
    b.b.screenshot("assessor-deciding").await;
    let save = b.b.find_all("#O1 form button[type=submit]").await;
    b.b.click_and_wait(&save[0]).await;
    assert!(b.b.url().await.ends_with("#O2"), "on to the next item");
    let decided = itas_store::oit::decisions(&b.db, &agency, &round)
        .await
        .unwrap();
    assert_eq!(decided.len(), 1);
    assert!(!decided[0].passed && decided[0].comment == "ไม่ระบุปีงบประมาณ");
    b.b.sign_out().await;

    // Central office: compute the 2564 round, review who has no result and
    // why, withdraw the publication and publish again.
    let closed = itas_store::rounds::list(&b.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "ITA 2564")
        .unwrap();
    b.b.sign_in(&base, "admin").await;
    b.b.go(&format!("{base}/admin/rounds/{}", closed.id)).await;
    let compute =
        b.b.find_all(&format!(
            "form[action='/admin/rounds/{}/compute'] button",
            closed.id
        ))
        .await;
    b.b.click_until(&compute[0], "คำนวณคะแนนแล้ว").await;
    let page = b.b.source().await;
    assert!(
        page.contains("เหตุที่ยังไม่มีผล") && page.contains("ยังไม่มีผู้ตอบแบบวัด"),
        "the review lists agencies without results, in Thai"
    );
    b.b.screenshot("admin-publication-review").await;
    let withdraw =
        b.b.find_all(&format!(
            "form[action='/admin/rounds/{}/withdraw'] button",
            closed.id
        ))
        .await;
    b.b.click_until(&withdraw[0], "ถอนการเผยแพร่ผลแล้ว").await;
    let round_now = |id: String| {
        let db = b.db.clone();
        async move {
            itas_store::rounds::get(&db, &id)
                .await
                .unwrap()
                .unwrap()
                .published_at
        }
    };
    assert!(round_now(closed.id.clone()).await.is_none(), "withdrawn");
    let publish =
        b.b.find_all(&format!(
            "form[action='/admin/rounds/{}/publish'] button",
            closed.id
        ))
        .await;
    b.b.click_until(&publish[0], "เผยแพร่ผลการประเมินแล้ว").await;
    assert!(
        round_now(closed.id.clone()).await.is_some(),
        "published again"
    );
    b.b.sign_out().await;
    // The public sees the published round.
    b.b.go(&format!("{base}/results/{}", closed.id)).await;
    assert!(
        b.b.source().await.contains("ภาพรวม"),
        "public dashboard after publishing"
    );

    // Agency: its 2564 results and the analysis report as PDF.
    b.b.sign_in(&base, "huanong").await;
    b.b.go(&format!("{base}/agencies/{agency}/results/{}", closed.id))
        .await;
    b.b.screenshot("agency-results").await;
    let link = b.b.find_all("a[href$='report.pdf']").await;
    b.b.click(&link[0]).await;
    let pdf = downloaded(&downloads, "pdf").await;
    assert!(
        pdf.starts_with(b"%PDF-") && pdf.len() > 50_000,
        "the analysis report"
    );
    b.finish().await;
}

/// axe-core, installed by `scripts/test` (`npm ci --prefix crates/itas/tests/axe`).
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/axe/node_modules/axe-core/axe.min.js"
);

impl Browser {
    /// axe-core's violations on the page now, one line each: every impact,
    /// minor included, so a repeated region name fails as surely as contrast.
    async fn axe_violations(&self, axe: &str) -> Vec<String> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": format!("{axe}\nreturn 1;"), "args": []})),
        )
        .await;
        let found = self
            .cmd(
                "POST",
                "/execute/async",
                Some(json!({
                    "script": "const done = arguments[arguments.length - 1];
                        axe.run(document, {resultTypes: ['violations']})
                          .then(r => done(JSON.stringify(r.violations
                            .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' + JSON.stringify(v.nodes.slice(0, 3).map(n => n.target))))))
                          .catch(e => done(JSON.stringify(['axe failed: ' + e])));",
                    "args": []
                })),
            )
            .await;
        serde_json::from_str(found.as_str().unwrap_or("[]")).unwrap_or_default()
    }

    /// Radio groups on the page that share their fieldset (and so their name) with another.
    async fn unnamed_radio_groups(&self) -> usize {
        let n = self
            .cmd(
                "POST",
                "/execute/sync",
                Some(json!({
                    "script": "const groups = new Map();
                        for (const r of document.querySelectorAll('input[type=radio]')) {
                          const f = r.closest('fieldset');
                          const legend = f && f.querySelector('legend');
                          groups.set(r.name, legend && legend.textContent.trim() ? f : null);
                        }
                        const owners = [...groups.values()];
                        const unnamed = owners.filter(f => f === null).length;
                        return unnamed + (owners.length - unnamed - new Set(owners.filter(f => f)).size);",
                    "args": []
                })),
            )
            .await;
        n.as_u64().unwrap_or(u64::MAX) as usize
    }
}

/// WCAG 2.1 AA as axe-core checks it, on the main pages of every role, at a
/// phone's width, a desktop's, and 200 % zoom (a 1280-pixel window at 200 %
/// lays a page out as a 640-pixel one); and every radio group of the
/// questionnaire has a name of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_pages_pass_axe_at_phone_desktop_and_double_zoom() {
    // scripts/test installs it; missing, the check fails rather than skip.
    let axe = std::fs::read_to_string(AXE).unwrap_or_else(|_| {
        panic!("axe-core is missing at {AXE}: run scripts/test (or npm ci --prefix crates/itas/tests/axe)")
    });
    let mut b = Harness::start(false).await;
    let base = b.url("");
    crate::app::iit_without_codes(&b.db).await;
    let (round, agency, eit) = crate::app::demo_link(&b.db, "EIT").await;
    let (_, _, iit) = crate::app::demo_link(&b.db, "IIT").await;
    // The demo's O25/O26 evidence (Huanong's 2568 page, fetched from this
    // server) checked, so the OIT page shows its lights, amber included.
    itas_app::evidence_check::check_agency(
        &b.db,
        &itas_app::evidence_check::CheckerConfig {
            allow_internal: true,
            ..Default::default()
        },
        &agency,
        &round,
        None,
        "check",
        &itas_app::evidence_check::OwnPages {
            base: None,
            render: None,
        },
    )
    .await
    .unwrap();
    let closed = itas_store::rounds::list(&b.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "ITA 2564")
        .unwrap()
        .id;
    let closed_2568 = itas_store::rounds::list(&b.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "ITA 2568")
        .unwrap()
        .id;
    let public = [
        "/".to_string(),
        "/login".into(),
        format!("/s/{eit}"),
        format!("/s/{iit}/q/0"),
        "/results".into(),
        format!("/results/{closed}"),
        format!("/agencies/{agency}/results/{closed}"),
        format!("/agencies/{agency}/results/{closed_2568}"),
        format!("/results/{closed_2568}"),
        "/p/KK-HUANONG/ita/2564".into(),
    ];
    let admin = [
        "/admin".to_string(),
        format!("/admin/rounds/{round}"),
        format!("/admin/rounds/{closed}"),
        format!("/admin/rounds/{closed}/quality"),
        "/admin/agencies".into(),
        "/admin/agencies/import".into(),
        "/admin/users".into(),
        "/admin/audit".into(),
    ];
    let agency_pages = [
        "/agency".to_string(),
        format!("/agency/rounds/{round}/oit"),
        format!("/agencies/{agency}"),
        format!("/agencies/{agency}/plan/{closed}"),
    ];
    // The review page with its decision forms and the evidence check's lights.
    let assessor_pages = [
        "/assessor".to_string(),
        format!("/assessor/rounds/{round}/agencies/{agency}/oit"),
    ];
    // The assessor reads the review page in review round 1, its decision
    // forms open on the submitted evidence; everyone else sees the round in
    // collection.
    itas_store::oit::submit(&b.db, None, &agency, &round)
        .await
        .unwrap();
    let collecting = itas_store::rounds::phases(&b.db, &round).await.unwrap();
    let reviewing = review_one_calendar();
    let mut problems = Vec::new();
    for (width, height, what) in [
        (390, 844, "phone"),
        (1280, 1000, "desktop"),
        (640, 500, "200 % zoom"),
    ] {
        b.b.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
        for (who, pages) in [
            (None, &public[..]),
            (Some("admin"), &admin[..]),
            (Some("huanong"), &agency_pages[..]),
            (Some("assessor1"), &assessor_pages[..]),
        ] {
            let assessor = who == Some("assessor1");
            let calendar = if assessor { &reviewing } else { &collecting };
            itas_store::rounds::set_phases(&b.db, None, &round, calendar)
                .await
                .unwrap();
            if let Some(user) = who {
                b.b.sign_in(&base, user).await;
            }
            for page in pages {
                b.b.go(&format!("{base}{page}")).await;
                if assessor && page.ends_with("/oit") {
                    let source = b.b.source().await;
                    assert!(
                        source.contains("name=\"reason\"") && source.contains("pill light-"),
                        "{page}: the decision forms and the lights are open: {}",
                        source
                            .split("<main")
                            .nth(1)
                            .unwrap_or(&source)
                            .chars()
                            .take(3000)
                            .collect::<String>()
                    );
                }
                if page.starts_with("/agency/") && page.ends_with("/oit") {
                    // The evidence check's lights are on the page axe reads.
                    let source = b.b.source().await;
                    assert!(
                        source.contains("pill light-amber"),
                        "{page}: no amber light to check"
                    );
                }
                for v in b.b.axe_violations(&axe).await {
                    problems.push(format!("{what} {page}: {v}"));
                }
                // The dashboard's charts and map, as a reviewer looks at them.
                if page.starts_with("/results/") {
                    let name = format!("dashboard-{}px", width);
                    b.b.screenshot(&name).await;
                }
            }
            if who.is_some() {
                b.b.sign_out().await;
            }
        }
    }
    itas_store::rounds::set_phases(&b.db, None, &round, &collecting)
        .await
        .unwrap();
    // A page refused for missing answers: the error state is checked too.
    b.b.go(&format!("{base}/s/{iit}/q/0")).await;
    assert_eq!(
        b.b.unnamed_radio_groups().await,
        0,
        "every radio group has a name of its own"
    );
    let submit = b.b.find_all("form button[type=submit]").await;
    b.b.click_until(&submit[0], "ยังตอบไม่ครบ").await;
    for v in b.b.axe_violations(&axe).await {
        problems.push(format!("refused page: {v}"));
    }
    assert_eq!(b.b.unnamed_radio_groups().await, 0);
    assert!(
        problems.is_empty(),
        "axe-core found:\n{}",
        problems.join("\n")
    );
    b.finish().await;
}
