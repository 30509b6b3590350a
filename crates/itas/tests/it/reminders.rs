//! Deadline reminders through a real SMTP server (aiosmtpd): the central
//! office reads who gets one with their own figures and the message, sends;
//! a user who turned reminders off gets none, no one gets two a day, a mail
//! server that refuses is reported on the page and costs no one their
//! reminder, and every sending is audited with its counts.

use crate::both_backends;
use crate::sign_in::{SmtpSink, with_mail};
use axum::http::StatusCode;

both_backends!(reminders_reach_those_behind_once_a_day, |app| {
    let round = app.current_round().await;
    let page = format!("/admin/rounds/{round}/reminders");

    // Ban Phai's admin turns reminders off on their own page.
    let mut banphai = app.signed_in("banphai").await;
    let r = banphai.get("/account/reminders").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("ขณะนี้: รับอีเมลเตือน"), "{}", r.body);
    let r = banphai
        .post_form("/account/reminders", &[("off", "true")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("ขณะนี้: ปิดการรับอีเมลเตือน"));
    // Only the central office reminds.
    assert_eq!(banphai.get(&page).await.status, StatusCode::FORBIDDEN);

    // The list and the message, before anything is sent.
    let mut admin = app.signed_in("admin").await;
    let r = admin.get(&format!("{page}?reminder=eit_behind")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for want in [
        "ผู้ดูแลระบบ อบต.หัวหนอง",
        "huanong@itas.example",
        "มีผู้ตอบ EIT แล้ว ๐ คน จากขั้นต่ำ ๔๐ คน (ขาดอีก ๔๐ คน)",
        "ผู้ดูแลระบบ เทศบาลเมืองบ้านไผ่",
        "ปิดการรับอีเมลเตือน",
        "เรียน ผู้ดูแลระบบ อบต.หัวหนอง",
        "ภายในวันที่",
        "/account/reminders",
        // Mail is off in this server: said, and nothing can be sent.
        "ยังไม่ได้ตั้งค่าการส่งอีเมลของระบบ",
    ] {
        assert!(r.body.contains(want), "{want}: {}", r.body);
    }
    assert!(
        !r.body.contains("ส่งอีเมลเตือน ("),
        "no send button without mail"
    );

    // A mail server that refuses: each failure named, no one counted as
    // reminded.
    let closed = crate::procs::free_port();
    let broken = crate::app::TestApp {
        db: app.db.clone(),
        router: itas_web::app(itas_web::AppState::new(
            app.db.clone(),
            itas_web::Config {
                mailer: Some(
                    itas_web::mail::Mailer::new(
                        &format!("smtp://127.0.0.1:{closed}"),
                        "itas <no-reply@itas.example>",
                    )
                    .unwrap(),
                ),
                ..Default::default()
            },
        )),
    };
    let mut admin = broken.signed_in("admin").await;
    let r = admin.post_form(&page, &[("reminder", "eit_behind")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ส่งแล้ว ๐ ฉบับ"), "{}", r.body);
    assert!(r.body.contains("ส่งไม่สำเร็จ ๑ ฉบับ"), "{}", r.body);
    assert!(r.body.contains("huanong@itas.example"));
    assert!(r.body.contains("ปิดการรับอีเมลเตือน: ๑"), "{}", r.body);

    // Through a working one: Huanong's admin gets it, once.
    let smtp = SmtpSink::start();
    let mailing = with_mail(&app, Some(&smtp));
    let mut admin = mailing.signed_in("admin").await;
    let r = admin.post_form(&page, &[("reminder", "eit_behind")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ส่งแล้ว ๑ ฉบับ"), "{}", r.body);
    assert!(
        r.body.contains("ได้รับอีเมลเตือนแล้ววันนี้"),
        "the list says so now"
    );
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &mail[0];
    assert_eq!(m["to"][0], "huanong@itas.example");
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.contains("เตือนกำหนดส่ง") && subject.contains("Reminder"),
        "{subject}"
    );
    let text = m["text"].as_str().unwrap();
    for want in [
        "มีผู้ตอบ EIT แล้ว ๐ คน จากขั้นต่ำ ๔๐ คน (ขาดอีก ๔๐ คน)",
        "0 EIT responses of the 40 minimum (40 to go)",
        "/account/reminders",
        "/agency",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    // Again the same day, for another reason: no one gets a second.
    let r = admin
        .post_form(&page, &[("reminder", "oit_not_submitted")])
        .await;
    assert!(r.body.contains("ส่งแล้ว ๐ ฉบับ"), "{}", r.body);
    assert!(r.body.contains("ได้รับอีเมลเตือนแล้ววันนี้: ๑"), "{}", r.body);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.messages().len(), 1);

    // Every sending audited with its counts.
    let audit = itas_store::audit::recent(&app.db, Some(&round), 20)
        .await
        .unwrap();
    let sends: Vec<&str> = audit
        .iter()
        .filter(|a| a.action == "send_reminders")
        .map(|a| a.after_json.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(sends.len(), 3, "{sends:?}");
    assert!(
        sends[1].contains("\"sent\":1") && sends[1].contains("\"eit_behind\""),
        "{sends:?}"
    );
    assert!(sends[2].contains("\"failed\":1"), "{sends:?}");
    // Assessors: once Huanong submitted its OIT, its assessor has every
    // checklist item of the first review to decide.
    let huanong = app.agency_id("KK-HUANONG").await;
    itas_store::oit::submit(&app.db, None, &huanong, &round)
        .await
        .unwrap();
    let items = itas_core::framework::embedded("ita-2569")
        .unwrap()
        .checklist_items()
        .count();
    let r = admin
        .get(&format!("{page}?reminder=reviews_outstanding"))
        .await;
    let want = format!(
        "มีหน่วยงานที่ส่ง OIT แล้วแต่ยังตรวจไม่ครบ ๑ แห่ง (ยังไม่ได้ตัดสิน {} ข้อ)",
        itas_core::thai::thai_digits(&items.to_string())
    );
    assert!(r.body.contains(&want), "{want}: {}", r.body);
    assert!(r.body.contains("ผู้ประเมิน คนที่ ๑") && r.body.contains("assessor1@itas.example"));
    assert!(
        !r.body.contains("ผู้ประเมิน คนที่ ๒"),
        "no one assigned to it is not reminded"
    );
    // Turned off and on again, audited as the user's own change.
    let r = banphai
        .post_form("/account/reminders", &[("off", "false")])
        .await;
    assert!(r.body.contains("ขณะนี้: รับอีเมลเตือน"));
});
