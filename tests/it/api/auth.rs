//! Accounts and sessions: signup rules, the first account as admin and closed
//! signup, login and logout with the session cookie (secure over HTTPS),
//! throttled failed logins, sessions that survive a restart.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::app::{Client, Meta};
use crate::common::home::Home;
use crate::common::rest::{
    PASSWORD, app, assert_detail, assert_error, assert_int_id, assert_keys, get_dataset, login,
    raw, session_cookie, signup,
};

on_both!(
    signup_validates_input_and_refuses_taken_names,
    first_account_is_admin_and_closed_signup_refuses_the_rest,
    login_sets_a_session_cookie_and_logout_ends_it,
    session_cookies_are_secure_over_https,
    failed_logins_are_throttled,
    sessions_survive_a_restart,
);

async fn signup_validates_input_and_refuses_taken_names(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    let (s, b) = c
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_keys(&b, &["id", "username"], "signup");
    assert_int_id(&b["id"], "user id");
    assert_eq!(b["username"], "alice");

    // Accepted edges: 3 and 64 characters of [A-Za-z0-9_.-]; 8 and 256 character passwords.
    let long_name = "a".repeat(64);
    for (user, pw) in [
        ("a.b", PASSWORD.to_string()),
        ("A_z-9", PASSWORD.to_string()),
        (long_name.as_str(), PASSWORD.to_string()),
        ("eight", "k9#Lm2qZ".to_string()),
        ("twofiftysix", "é".repeat(256)),
    ] {
        let (s, b) = c
            .post(
                "/api/auth/signup",
                json!({"username": user, "password": pw}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{user}: {b}");
    }
    // Refused: 422, and nothing is created (the name stays free).
    let too_long = "a".repeat(65);
    for (user, pw) in [
        ("ab", PASSWORD.to_string()),
        (too_long.as_str(), PASSWORD.to_string()),
        ("bad name", PASSWORD.to_string()),
        ("bad/name", PASSWORD.to_string()),
        ("ünïcode", PASSWORD.to_string()),
        ("", PASSWORD.to_string()),
        ("carol", "1234567".to_string()),
        ("carol", "x".repeat(257)),
        ("carol", String::new()),
    ] {
        let got = c
            .post(
                "/api/auth/signup",
                json!({"username": user, "password": pw}),
            )
            .await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("signup {user:?}"),
        );
    }
    let (s, b) = c
        .post(
            "/api/auth/login",
            json!({"username": "carol", "password": "1234567"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    signup(&c, "carol").await;

    // Taken.
    let got = c
        .post(
            "/api/auth/signup",
            json!({"username": "alice", "password": "another-password"}),
        )
        .await;
    assert_error(&got, StatusCode::CONFLICT, "taken name");
    // The original password still works.
    login(&c, "alice").await;
    app.stop().await;
}

async fn first_account_is_admin_and_closed_signup_refuses_the_rest(meta: Meta) {
    // Closed signup: of several simultaneous first signups exactly one gets in.
    let home = Home::new(meta, false);
    let run = home.boot(false, false).await;
    let c = run.client();
    let attempts = (0..4).map(|i| {
        let c = c.clone();
        async move {
            c.post(
                "/api/auth/signup",
                json!({"username": format!("first{i}"), "password": PASSWORD}),
            )
            .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for r in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_error(r, StatusCode::FORBIDDEN, "closed signup");
    }
    let got = c
        .post(
            "/api/auth/signup",
            json!({"username": "latecomer", "password": PASSWORD}),
        )
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "closed signup");
    assert_eq!(home.accounts().await, (1, 1));
    run.stop().await;
    home.cleanup().await;

    // Open signup: simultaneous signups all succeed, and exactly one is admin.
    let home = Home::new(meta, false);
    let run = home.boot(true, false).await;
    let c = run.client();
    let attempts = (0..4).map(|i| {
        let c = c.clone();
        async move {
            c.post(
                "/api/auth/signup",
                json!({"username": format!("user{i}"), "password": PASSWORD}),
            )
            .await
        }
    });
    for (s, b) in futures::future::join_all(attempts).await {
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert_eq!(home.accounts().await, (4, 1));
    run.stop().await;
    home.cleanup().await;
}

async fn login_sets_a_session_cookie_and_logout_ends_it(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    let created = signup(&c, "alice").await;
    // Signing up does not sign in.
    assert_error(
        &c.get("/api/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "me before login",
    );

    let r = raw(
        &c.http,
        Method::POST,
        format!("{}/api/auth/login", c.base),
        Some((
            "application/json",
            serde_json::to_vec(&json!({"username": "alice", "password": PASSWORD})).unwrap(),
        )),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, created);
    let (cookie, header) = session_cookie(&r.headers);
    let lower = header.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{header}");
    assert!(lower.contains("samesite=lax"), "{header}");
    assert!(!lower.contains("secure"), "plain http: {header}");

    let (s, b) = c.get("/api/auth/me").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, created);

    // Wrong password, unknown user: the same answer.
    for (user, pw) in [("alice", "wrong-password"), ("nobody", PASSWORD)] {
        let (s, b) = c
            .post("/api/auth/login", json!({"username": user, "password": pw}))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b, json!({"detail": "Invalid username or password"}));
    }
    // A failed login does not end the current session.
    assert_eq!(c.get("/api/auth/me").await.0, StatusCode::OK);

    let (s, b) = c.post_empty("/api/auth/logout").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(b, Value::Null);
    assert_error(
        &c.get("/api/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "me after logout",
    );
    // The old cookie is dead on the server, not only forgotten by the browser.
    let replay = raw(
        &reqwest::Client::new(),
        Method::GET,
        format!("{}/api/auth/me", c.base),
        None,
        Some(&cookie),
    )
    .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.body);
    assert_detail(&replay.body, "replayed cookie");
    // A forged cookie is no session either.
    let forged = raw(
        &reqwest::Client::new(),
        Method::GET,
        format!("{}/api/auth/me", c.base),
        None,
        Some("datatrain_session=forged"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn session_cookies_are_secure_over_https(meta: Meta) {
    let home = Home::new(meta, false);
    let run = home.boot(true, true).await;
    let c = run.client();
    signup(&c, "alice").await;
    let r = raw(
        &c.http,
        Method::POST,
        format!("{}/api/auth/login", c.base),
        Some((
            "application/json",
            serde_json::to_vec(&json!({"username": "alice", "password": PASSWORD})).unwrap(),
        )),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (_, header) = session_cookie(&r.headers);
    let lower = header.to_ascii_lowercase();
    assert!(lower.contains("secure"), "{header}");
    assert!(lower.contains("httponly"), "{header}");
    assert!(lower.contains("samesite=lax"), "{header}");
    run.stop().await;
    home.cleanup().await;
}

async fn failed_logins_are_throttled(meta: Meta) {
    let app = app(meta).await;
    let c = app.client();
    for name in ["alice", "bob", "carol"] {
        signup(&c, name).await;
    }
    let wrong = |user: &str| json!({"username": user, "password": "wrong-password"});
    for i in 0..10 {
        let (s, b) = c.post("/api/auth/login", wrong("alice")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "try {i}: {b}");
    }
    // The 11th try is refused even with the right password.
    let got = c
        .post(
            "/api/auth/login",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_error(&got, StatusCode::TOO_MANY_REQUESTS, "11th login");
    let got = c.post("/api/auth/login", wrong("alice")).await;
    assert_error(&got, StatusCode::TOO_MANY_REQUESTS, "12th login");
    // Another username is not affected.
    login(&c, "bob").await;

    // A burst of simultaneous tries gets no more than 10 password checks either.
    let burst = (0..30).map(|_| {
        let c = c.clone();
        async move {
            c.post(
                "/api/auth/login",
                json!({"username": "carol", "password": "wrong-password"}),
            )
            .await
        }
    });
    let results = futures::future::join_all(burst).await;
    let checked = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 10, "{checked} password checks in a burst");
    for r in results
        .iter()
        .filter(|(s, _)| *s != StatusCode::UNAUTHORIZED)
    {
        assert_error(r, StatusCode::TOO_MANY_REQUESTS, "burst");
    }
    app.stop().await;
}

async fn sessions_survive_a_restart(meta: Meta) {
    let home = Home::new(meta, false);
    let first = home.boot(true, false).await;
    let c = first.client();
    let me = signup(&c, "alice").await;
    login(&c, "alice").await;
    let id = c.chinook("chinook").await;
    first.stop().await;

    let second = home.boot(true, false).await;
    // The same browser (cookie jar) against the new server (cookies ignore ports).
    let c = Client {
        base: second.base.clone(),
        http: c.http.clone(),
    };
    let (s, b) = c.get("/api/auth/me").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, me);
    assert_eq!(get_dataset(&c, id).await["name"], "chinook");
    let (s, _) = c.post_empty("/api/auth/logout").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(c.get("/api/auth/me").await.0, StatusCode::UNAUTHORIZED);
    second.stop().await;
    home.cleanup().await;
}
