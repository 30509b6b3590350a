//! The audit log nobody can flush: a script's reads through a token leave the
//! real changes in view; the log pages back to its first entry, narrows by
//! who, what, agency, round and dates, names actions in Thai with each
//! entry's before and after, and exports the selection as CSV.

use crate::both_backends;
use axum::http::StatusCode;

/// The log's table on a page (not the filter's choices above it).
fn table(body: &str) -> &str {
    body.split("<tbody>")
        .nth(1)
        .and_then(|t| t.split("</tbody>").next())
        .unwrap_or("")
}

/// The rows of the log's table on a page.
fn rows(body: &str) -> usize {
    table(body).matches("<tr><td>").count()
}

both_backends!(
    the_audit_log_cannot_be_flushed_and_narrows_to_what_matters,
    |app| {
        let round = app.current_round().await;
        let huanong_id = app.agency_id("KK-HUANONG").await;
        let banphai = itas_store::users::by_username(&app.db, "banphai")
            .await
            .unwrap()
            .unwrap();
        let huanong_user = itas_store::users::by_username(&app.db, "huanong")
            .await
            .unwrap()
            .unwrap();
        // The real change the attacker wants hidden.
        let mut admin = app.signed_in("admin").await;
        let r = admin
            .post_form(
                &format!("/admin/users/{}/password", banphai.id),
                &[("password", "another-password-2569")],
            )
            .await;
        assert!(
            r.status.is_success() || r.status.is_redirection(),
            "{}",
            r.body
        );

        // 250 reads through a token: counted, not logged one by one.
        let mut agency = app.signed_in("huanong").await;
        let t = crate::api_tokens::token_from_page(&mut agency, "สคริปต์อ่านข้อมูล", "read").await;
        let mut script = app.client();
        script
            .extra_headers
            .push(("authorization".into(), format!("Bearer {t}")));
        for _ in 0..250 {
            assert_eq!(script.get("/api/v1/me").await.status, StatusCode::OK);
        }
        let page = admin.get("/admin/audit").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            table(&page.body).contains("ตั้งรหัสผ่านใหม่") && page.body.contains("tokens_revoked"),
            "the password reset is still on the first page, with its after"
        );
        assert!(!table(&page.body).contains("แก้ไขข้อมูลผ่านโทเคน API"));

        // 120 real changes by the agency: the log pages back to the first entry.
        for k in 0..120 {
            let r = agency
                .post_form(
                    &format!("/agency/rounds/{round}/links/IIT/require-code"),
                    &[("on", if k % 2 == 0 { "0" } else { "1" })],
                )
                .await;
            assert!(
                r.status.is_success() || r.status.is_redirection(),
                "{}",
                r.body
            );
        }
        let total = itas_store::audit::count(&app.db, &Default::default())
            .await
            .unwrap();
        assert!(total > 220, "{total}");
        let first = admin.get("/admin/audit").await.body;
        assert_eq!(rows(&first), 100);
        assert!(
            table(&first).contains("เปิดหรือปิดการใช้รหัสตอบแบบวัด"),
            "Thai action names"
        );
        let pages = (total as usize).div_ceil(100);
        let last = admin.get(&format!("/admin/audit?page={pages}")).await.body;
        assert_eq!(rows(&last), total as usize - 100 * (pages - 1));
        // The oldest entry is the demo's first: the log has no upper limit.
        assert!(
            table(&last).contains("สร้างรายการ"),
            "the first entries are still there"
        );

        // Narrowed: one action, one actor, one agency, one round, dates.
        let only = admin.get("/admin/audit?action=set_password").await.body;
        assert!(table(&only).contains("ตั้งรหัสผ่านใหม่") && !table(&only).contains("เปิดหรือปิดการใช้รหัส"));
        assert!(
            only.contains("tokens_revoked&#34;:0"),
            "before and after shown"
        );
        let theirs = admin
            .get(&format!(
                "/admin/audit?actor={}&action=require_code",
                huanong_user.id
            ))
            .await
            .body;
        assert_eq!(rows(&theirs), 100);
        assert!(theirs.contains(&format!(
            "พบ {} รายการ",
            itas_core::thai::thai_digits("120")
        )));
        let of_agency = admin
            .get("/admin/audit?agency=KK-HUANONG&action=require_code")
            .await
            .body;
        assert!(of_agency.contains(&itas_core::thai::thai_digits("120")));
        let of_banphai = admin
            .get("/admin/audit?agency=KK-BANPHAI&action=require_code")
            .await
            .body;
        assert_eq!(rows(&of_banphai), 0);
        let of_round = admin
            .get(&format!("/admin/audit?round={round}&action=require_code"))
            .await
            .body;
        assert!(of_round.contains(&itas_core::thai::thai_digits("120")));
        let today = itas_web::today();
        let tomorrow = today + time::Duration::days(1);
        let dated = admin
            .get(&format!(
                "/admin/audit?from={today}&to={today}&action=set_password"
            ))
            .await
            .body;
        assert!(table(&dated).contains("ตั้งรหัสผ่านใหม่"));
        let later = admin
            .get(&format!("/admin/audit?from={tomorrow}"))
            .await
            .body;
        assert_eq!(rows(&later), 0);
        let bad = admin
            .get("/admin/audit?from=6/12/2569&agency=KK-HUANONG")
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("วันที่เริ่มต้องเป็น") && bad.body.contains("KK-HUANONG"));
        let unknown = admin.get("/admin/audit?agency=NO-SUCH").await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.body.contains("ไม่พบรหัสหน่วยงานนี้"));

        // The selection as CSV: every entry of it, Thai names beside the codes.
        let csv = admin
            .get(&format!(
                "/admin/audit.csv?actor={}&action=require_code",
                huanong_user.id
            ))
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = csv.body.trim_start_matches('\u{feff}');
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("เวลา (when),ผู้ดำเนินการ (who),การดำเนินการ (action)"));
        assert_eq!(lines.len(), 121);
        assert!(lines[1].contains("เปิดหรือปิดการใช้รหัสตอบแบบวัด,require_code"));
        assert!(lines[1].contains(&huanong_id) || lines[1].contains("หัวหนอง"));

        // The agency never reads the log.
        assert_eq!(
            agency.get("/admin/audit").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            agency.get("/admin/audit.csv").await.status,
            StatusCode::FORBIDDEN
        );
    }
);
