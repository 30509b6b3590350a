//! Signing in and out, limits on attempts, cross-site requests, security headers.

use crate::app::DEMO_PASSWORD;
use crate::both_backends;
use axum::http::StatusCode;

both_backends!(health_and_home, |app| {
    let mut c = app.client();
    let r = c.get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with("ok\n"), "{}", r.body);
    assert!(r.body.contains("\nwriter_batches "), "{}", r.body);
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("เข้าสู่ระบบ"), "Thai first");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(
        r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(r.headers["referrer-policy"], "same-origin");
});

both_backends!(sign_in_keeps_the_username_on_failure_and_signs_out, |app| {
    let mut c = app.client();
    let r = c
        .post_form(
            "/login",
            &[("username", "admin"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"), "{}", r.body);
    assert!(
        r.body.contains("value=\"admin\""),
        "the typed username is kept"
    );
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "ADMIN"),
                ("password", DEMO_PASSWORD),
                ("next", "/admin/users"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/admin/users");
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(c.get("/admin/users").await.status, StatusCode::OK);
    let r = c.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/admin").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login?next=/admin"));
});

both_backends!(next_cannot_leave_the_site, |app| {
    let mut c = app.client();
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "admin"),
                ("password", DEMO_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin");
});

both_backends!(sign_in_attempts_are_limited_per_username, |app| {
    let mut c = app.client();
    for _ in 0..10 {
        let r = c
            .post_form(
                "/login",
                &[("username", "huanong"), ("password", "guess-guess")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The 11th attempt is refused even with the right password.
    let r = c
        .post_form(
            "/login",
            &[("username", "huanong"), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("15 นาที"));
    // Another user is not affected.
    let r = c
        .post_form(
            "/login",
            &[("username", "banphai"), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
});

both_backends!(suspended_users_lose_their_sessions, |app| {
    let mut agency = app.signed_in("huanong").await;
    assert_eq!(agency.get("/agency").await.status, StatusCode::OK);
    let mut admin = app.signed_in("admin").await;
    let u = itas_store::users::by_username(&app.db, "huanong")
        .await
        .unwrap()
        .unwrap();
    let r = admin
        .post_form(&format!("/admin/users/{}/active", u.id), &[("active", "0")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        agency.get("/agency").await.status,
        StatusCode::SEE_OTHER,
        "redirected to sign in"
    );
    let r = app
        .client()
        .post_form(
            "/login",
            &[("username", "huanong"), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both_backends!(cross_site_posts_are_refused, |app| {
    let mut c = app.signed_in("admin").await;
    c.extra_headers = vec![
        ("origin".into(), "https://evil.example".into()),
        ("sec-fetch-site".into(), "cross-site".into()),
    ];
    let r = c
        .post_form(
            "/admin/agencies",
            &[("code", "X1"), ("name_th", "ทดสอบ"), ("kind", "sao")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("มาจากเว็บไซต์อื่น"), "{}", r.body);
    assert!(
        itas_store::agencies::by_code(&app.db, "X1")
            .await
            .unwrap()
            .is_none(),
        "nothing written"
    );
    c.extra_headers = vec![("sec-fetch-site".into(), "same-origin".into())];
    let r = c
        .post_form(
            "/admin/agencies",
            &[("code", "X1"), ("name_th", "ทดสอบ"), ("kind", "sao")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
});

both_backends!(english_is_one_click_away, |app| {
    let mut c = app.client();
    let r = c.get("/lang/en").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/login").await;
    assert!(
        r.body.contains("Sign in") && r.body.contains("lang=\"en\""),
        "{}",
        r.body
    );
});

both_backends!(sign_in_never_follows_next_off_the_site, |app| {
    for bad in ["/\t/evil.example/x", "//evil.example/x", "/\n/evil.example"] {
        let mut c = app.client();
        let r = c
            .post_form(
                "/login",
                &[
                    ("username", "huanong"),
                    ("password", crate::app::DEMO_PASSWORD),
                    ("next", bad),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/agency", "{bad:?}");
    }
});
