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

/// The same app behind a proxy, so each client can come from its own address.
fn behind_proxy(app: &crate::app::TestApp) -> crate::app::TestApp {
    let config = itas_web::Config {
        proxies: itas_web::client_address::Proxies::OneHop,
        ..Default::default()
    };
    crate::app::TestApp {
        db: app.db.clone(),
        router: itas_web::app(itas_web::AppState::new(app.db.clone(), config)),
    }
}

fn from(c: &mut crate::app::Client<'_>, addr: &str) {
    c.extra_headers = vec![("x-forwarded-for".into(), addr.into())];
}

both_backends!(
    guessing_from_one_address_backs_off_and_never_locks_the_user_out,
    |app| {
        let app = behind_proxy(&app);
        let mut guesser = app.client();
        from(&mut guesser, "203.0.113.7");
        let attempt = async |c: &mut crate::app::Client<'_>, pw: &str| {
            c.post_form("/login", &[("username", "admin"), ("password", pw)])
                .await
        };
        for _ in 0..5 {
            assert_eq!(
                attempt(&mut guesser, "guess-guess").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        // The sixth try at once is held back, even with the right password.
        let r = attempt(&mut guesser, DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("กรุณารอสักครู่"), "{}", r.body);
        // How long, in words and in Retry-After: the first wait is 1 s.
        assert!(r.body.contains("ลองใหม่ได้ในอีก ๑ วินาที"), "{}", r.body);
        assert_eq!(r.headers["retry-after"], "1");
        // The real admin, elsewhere, is not affected.
        let mut real = app.client();
        from(&mut real, "198.51.100.2");
        assert_eq!(
            attempt(&mut real, DEMO_PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        // After the wait (1 s) one more try; then the wait doubles.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(
            attempt(&mut guesser, "guess-again").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            attempt(&mut guesser, "guess-more").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(
            attempt(&mut guesser, "guess-more").await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "the second wait is 2 s"
        );
        // One address trying many usernames is stopped at 100 attempts in 15 minutes.
        let mut sprayer = app.client();
        from(&mut sprayer, "192.0.2.99");
        let mut refused = 0;
        for i in 0..105 {
            let r = sprayer
                .post_form(
                    "/login",
                    &[("username", &format!("user{i}")), ("password", "x")],
                )
                .await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                refused += 1;
                // The address's count starts again 15 minutes after its last failure.
                assert_eq!(r.headers["retry-after"], "900");
                assert!(r.body.contains("ลองใหม่ได้ในอีก ๑๕ นาที"), "{}", r.body);
            }
        }
        assert_eq!(refused, 5);
    }
);

both_backends!(
    an_attack_from_many_addresses_leaves_trusted_browsers_open,
    |app| {
        let app = behind_proxy(&app);
        // The central office's own browser signed in before.
        let mut office = app.client();
        from(&mut office, "10.1.1.1");
        let r = office
            .post_form(
                "/login",
                &[("username", "admin"), ("password", DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // Fifty wrong passwords from fifty addresses.
        for i in 0..50 {
            let mut bot = app.client();
            from(&mut bot, &format!("203.0.113.{i}"));
            let r = bot
                .post_form("/login", &[("username", "admin"), ("password", "guess")])
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
        // A browser that never signed in as admin waits, even with the password...
        let mut stranger = app.client();
        from(&mut stranger, "198.51.100.9");
        let r = stranger
            .post_form(
                "/login",
                &[("username", "admin"), ("password", DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("หรือเข้าสู่ระบบจากเครื่องที่เคยใช้"), "{}", r.body);
        // ...while the office's browser still signs in, and other users are untouched.
        let r = office
            .post_form(
                "/login",
                &[("username", "admin"), ("password", DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = stranger
            .post_form(
                "/login",
                &[("username", "banphai"), ("password", DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
);

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

both_backends!(
    an_error_page_never_shows_a_signed_in_user_as_signed_out,
    |app| {
        let mut agency = app.signed_in("huanong").await;
        let r = agency.get("/admin/users").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("ท่านไม่มีสิทธิ์"), "{}", r.body);
        assert!(
            !r.body.contains("href=\"/login\""),
            "no sign-in offered to a signed-in user"
        );
        // Someone signed out is asked to sign in, with the way to do it.
        let r = app.client().get("/admin/users").await;
        if r.status == StatusCode::UNAUTHORIZED {
            assert!(r.body.contains("href=\"/login\""), "{}", r.body);
        } else {
            assert!(r.location().starts_with("/login"), "{:?}", r.status);
        }
    }
);
