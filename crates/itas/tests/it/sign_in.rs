//! No lockout without a way back: while an account is under attack, a new
//! browser proves itself by a one-time link mailed through a real SMTP server
//! (aiosmtpd), or the central office unlocks the account; a shared address
//! is limited by its failures, never its sign-ins, and a trusted browser's
//! right password always works; the browser cookie is the server's own.

use crate::app::{Client, DEMO_PASSWORD, TestApp};
use crate::both_backends;
use axum::http::StatusCode;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// aiosmtpd on a free port, writing each message it takes to a folder as JSON.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let port = crate::procs::free_port();
        let dir = std::env::temp_dir().join(format!("itas-smtp-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        // scripts/test installs aiosmtpd beside schemathesis in this venv.
        let venv = root.join("../../target/test-tools/bin/python3");
        let python = if venv.exists() {
            venv
        } else {
            PathBuf::from("python3")
        };
        let mut child = Command::new(&python)
            .arg(root.join("tests/fixtures/smtp_sink.py"))
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 for the SMTP server");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP server did not start: aiosmtpd missing? run scripts/test ({})",
            python.display()
        );
        SmtpSink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut out: Vec<serde_json::Value> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect();
        out.sort_by_key(|m| m.to_string());
        out
    }

    /// Waits until `n` messages have arrived (at most 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The app behind one proxy (each client says where it is), mailing through `smtp`.
pub(crate) fn with_mail(app: &TestApp, smtp: Option<&SmtpSink>) -> TestApp {
    let config = itas_web::Config {
        proxies: itas_web::client_address::Proxies::OneHop,
        mailer: smtp.map(|s| {
            itas_web::mail::Mailer::new(&s.url(), "itas <no-reply@itas.example>").unwrap()
        }),
        ..Default::default()
    };
    TestApp {
        db: app.db.clone(),
        router: itas_web::app(itas_web::AppState::new(app.db.clone(), config)),
    }
}

fn at<'a>(app: &'a TestApp, addr: &str) -> Client<'a> {
    let mut c = app.client();
    c.extra_headers = vec![("x-forwarded-for".into(), addr.into())];
    c
}

async fn sign_in(c: &mut Client<'_>, user: &str, password: &str) -> crate::app::Reply {
    c.post_form("/login", &[("username", user), ("password", password)])
        .await
}

/// Fifty-five wrong passwords for `user` from eleven addresses.
async fn attack(app: &TestApp, user: &str) {
    for a in 0..11 {
        let mut bot = at(app, &format!("203.0.113.{a}"));
        for _ in 0..5 {
            let r = sign_in(&mut bot, user, "a-wrong-guess").await;
            assert!(
                [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&r.status),
                "{}",
                r.status
            );
        }
    }
}

both_backends!(
    an_attacked_account_signs_in_on_a_new_phone_by_email,
    |app| {
        let smtp = SmtpSink::start();
        let app = with_mail(&app, Some(&smtp));
        attack(&app, "huanong").await;

        // The real user, on a new phone, with the right password: not signed in,
        // told to look at the account's email.
        let mut phone = at(&app, "198.51.100.50");
        let r = sign_in(&mut phone, "huanong", DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
        assert!(
            r.body.contains("ระบบได้ส่งลิงก์ยืนยันไปยังอีเมลของบัญชีแล้ว"),
            "{}",
            r.body
        );
        assert!(phone.get("/agency").await.location().starts_with("/login"));
        let mail = smtp.wait_for(1).await;
        assert_eq!(mail[0]["to"], serde_json::json!(["huanong@itas.example"]));
        assert!(
            mail[0]["subject"]
                .as_str()
                .unwrap()
                .contains("ยืนยันเครื่องที่ใช้เข้าสู่ระบบ itas")
        );
        let text = mail[0]["text"].as_str().unwrap();
        assert!(text.contains("มีผู้ลองรหัสผ่านของบัญชีของท่าน") && text.contains("Your itas account"));
        assert!(mail[0]["html"].as_str().unwrap().contains("<a href="));
        // The attacker's page reads the same, whatever the password: no oracle,
        // and a wrong password mails nothing.
        let mut bot = at(&app, "203.0.113.77");
        let wrong = sign_in(&mut bot, "huanong", "another-guess").await;
        assert_eq!(wrong.status, r.status);
        assert!(wrong.body.contains("ระบบได้ส่งลิงก์ยืนยันไปยังอีเมลของบัญชีแล้ว"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.messages().len(), 1, "a wrong password sends no link");

        // The link: a page with a button (a mail scanner's visit uses nothing),
        // then signed in, this phone trusted from now on.
        let start = text.find("/login/verify/").unwrap();
        let path: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let page = phone.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("ยืนยันและเข้าสู่ระบบ"));
        let page = phone.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "looking twice uses nothing");
        let r = phone.post_form(&path, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/agency");
        assert_eq!(phone.get("/agency").await.status, StatusCode::OK);
        let used = at(&app, "198.51.100.51").post_form(&path, &[]).await;
        assert_eq!(used.status, StatusCode::GONE, "the link works once");
        assert!(used.body.contains("ลิงก์นี้ใช้ไปแล้วหรือหมดอายุ"));
        // Signed out and in again while the attack goes on: the phone is trusted.
        phone.post_form("/logout", &[]).await;
        let r = sign_in(&mut phone, "huanong", DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let huanong = itas_store::users::by_username(&app.db, "huanong")
            .await
            .unwrap()
            .unwrap();
        let log = itas_store::audit::recent(&app.db, Some(&huanong.id), 20)
            .await
            .unwrap();
        for action in ["send_device_check", "verify_device"] {
            assert!(log.iter().any(|e| e.action == action), "{action} audited");
        }
    }
);

both_backends!(the_central_office_unlocks_an_attacked_account, |app| {
    // No mail set up: the page still says what to do, and the office unlocks.
    let app = with_mail(&app, None);
    attack(&app, "banphai").await;
    let mut laptop = at(&app, "198.51.100.60");
    let r = sign_in(&mut laptop, "banphai", DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("กรุณาติดต่อสำนักงานกลางให้ปลดล็อก"));
    let banphai = itas_store::users::by_username(&app.db, "banphai")
        .await
        .unwrap()
        .unwrap();
    let mut office = at(&app, "10.0.0.1");
    assert_eq!(
        sign_in(&mut office, "admin", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let r = office
        .post_form(&format!("/admin/users/{}/unlock", banphai.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ปลดล็อกแล้ว"));
    let r = sign_in(&mut laptop, "banphai", DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let log = itas_store::audit::recent(&app.db, Some(&banphai.id), 20)
        .await
        .unwrap();
    let unlock = log
        .iter()
        .find(|e| e.action == "unlock_sign_in")
        .expect("audited");
    assert!(
        unlock
            .after_json
            .as_deref()
            .unwrap()
            .contains("failure_counts_cleared")
    );
    // Only the central office unlocks.
    let mut agency = at(&app, "10.0.0.2");
    sign_in(&mut agency, "huanong", DEMO_PASSWORD).await;
    let r = agency
        .post_form(&format!("/admin/users/{}/unlock", banphai.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

both_backends!(a_shared_address_counts_failures_not_sign_ins, |app| {
    // A ministry behind one NAT address: banphai's browser signed in before.
    let app = with_mail(&app, None);
    let nat = "203.0.113.200";
    let mut trusted = at(&app, nat);
    assert_eq!(
        sign_in(&mut trusted, "banphai", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    trusted.post_form("/logout", &[]).await;
    // 110 colleagues sign in from the same address: none is turned away.
    for k in 0..110 {
        let mut c = at(&app, nat);
        let r = sign_in(&mut c, "huanong", DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "sign-in {k}: {}", r.body);
    }
    // Then someone behind it sprays 100 wrong passwords over many names.
    for k in 0..100 {
        let mut c = at(&app, nat);
        sign_in(&mut c, &format!("nobody{k}"), "x").await;
    }
    let mut fresh = at(&app, nat);
    let r = sign_in(&mut fresh, "huanong", DEMO_PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "an untrusted browser waits"
    );
    // The trusted browser's right password still works; other addresses too.
    let r = sign_in(&mut trusted, "banphai", DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut elsewhere = at(&app, "198.51.100.70");
    assert_eq!(
        sign_in(&mut elsewhere, "huanong", DEMO_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
});

both_backends!(the_browser_cookie_is_the_servers_own, |app| {
    let app = with_mail(&app, None);
    // A value the client made up is replaced at sign-in, never adopted.
    let chosen = "a".repeat(64);
    let mut c = at(&app, "198.51.100.80");
    c.set_cookie("itas_device", &chosen);
    assert_eq!(
        sign_in(&mut c, "banphai", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let issued = c.cookie("itas_device").unwrap();
    assert_ne!(issued, chosen);
    assert_eq!(issued.len(), 64);
    // So under attack the made-up value opens nothing; the issued one does.
    attack(&app, "banphai").await;
    let mut forged = at(&app, "198.51.100.81");
    forged.set_cookie("itas_device", &chosen);
    assert_eq!(
        sign_in(&mut forged, "banphai", DEMO_PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    c.post_form("/logout", &[]).await;
    assert_eq!(
        sign_in(&mut c, "banphai", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // A browser token another user's browser got is kept for a second user
    // of the same browser (an office PC), as it is the server's own.
    c.post_form("/logout", &[]).await;
    assert_eq!(
        sign_in(&mut c, "huanong", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(c.cookie("itas_device").unwrap(), issued);
});

both_backends!(the_central_office_sets_where_links_go, |app| {
    let banphai = itas_store::users::by_username(&app.db, "banphai")
        .await
        .unwrap()
        .unwrap();
    let mut office = app.signed_in("admin").await;
    let page = office.get("/admin/users").await.body;
    assert!(page.contains("การส่งอีเมลยังไม่ได้ตั้งค่า"), "mail off is said");
    let r = office
        .post_form(
            &format!("/admin/users/{}/email", banphai.id),
            &[("email", "not an address")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("อีเมลไม่ถูกต้อง"));
    let r = office
        .post_form(
            &format!("/admin/users/{}/email", banphai.id),
            &[("email", "saraban@banphai.go.th")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = itas_store::users::get(&app.db, &banphai.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.email.as_deref(), Some("saraban@banphai.go.th"));
    assert!(
        office
            .get("/admin/users")
            .await
            .body
            .contains("saraban@banphai.go.th")
    );
});
