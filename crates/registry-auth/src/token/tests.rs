//! Token-service answers: the documented fields, defaults, malformed and
//! oversized bodies, error bodies, freshness.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

#[test]
fn reads_documented_answers() {
    // (body, token, lifetime in seconds, has refresh token, issued_at)
    let table: [(&str, &str, u64, bool, Option<u64>); 9] = [
        (r#"{"token":"abc"}"#, "abc", 60, false, None),
        (r#"{"access_token":"abc"}"#, "abc", 60, false, None),
        (r#"{"token":"old","access_token":"new"}"#, "new", 60, false, None),
        (r#"{"token":"tok","access_token":""}"#, "tok", 60, false, None),
        (r#"{"token":"abc","expires_in":300}"#, "abc", 300, false, None),
        (r#"{"token":"abc","expires_in":10}"#, "abc", 60, false, None),
        (
            r#"{"token":"abc","expires_in":0,"refresh_token":"r"}"#,
            "abc",
            60,
            true,
            None,
        ),
        (
            r#"{"token":"abc","expires_in":3600,"issued_at":"2023-11-14T22:13:20Z","extra":{"x":1}}"#,
            "abc",
            3600,
            false,
            Some(1_700_000_000),
        ),
        (
            r#"{"token":"abc","expires_in":120.7,"issued_at":null,"refresh_token":""}"#,
            "abc",
            120,
            false,
            None,
        ),
    ];
    for (body, value, lifetime, has_refresh, issued_at) in table {
        let token = Token::from_response(StatusCode::OK, body.as_bytes(), now())
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(token.value().expose(), value, "{body}");
        assert_eq!(token.lifetime().as_secs(), lifetime, "{body}");
        assert_eq!(token.refresh_token().is_some(), has_refresh, "{body}");
        assert_eq!(
            token.issued_at(),
            issued_at.map(|s| UNIX_EPOCH + Duration::from_secs(s)),
            "{body}"
        );
        assert_eq!(token.received_at(), now());
        assert_eq!(token.expires_at(), now() + Duration::from_secs(lifetime));
        assert_eq!(token.authorization_header(), format!("Bearer {value}").as_str());
        assert!(token.authorization_header().is_sensitive());
    }
}

#[test]
fn rejects_malformed_answers() {
    let table = [
        ("", "not JSON (line 1, column 0)"),
        ("<html>", "not JSON (line 1, column 1)"),
        (r#"["token"]"#, "not a JSON object"),
        ("{}", "it has neither `token` nor `access_token`"),
        (r#"{"token":""}"#, "it has neither `token` nor `access_token`"),
        (r#"{"token":42}"#, "field `token` is not a string"),
        (
            r#"{"token":"a","expires_in":"300"}"#,
            "field `expires_in` is not a number",
        ),
        (
            r#"{"token":"a","issued_at":"yesterday"}"#,
            "field `issued_at` is not an RFC 3339 time",
        ),
        (
            r#"{"token":"a","refresh_token":{"secret":"hunter2"}}"#,
            "field `refresh_token` is not a string",
        ),
    ];
    for (body, reason) in table {
        match Token::from_response(StatusCode::OK, body.as_bytes(), now()) {
            Err(Error::MalformedTokenResponse { reason: got }) => assert_eq!(got, reason, "{body}"),
            other => panic!("{body} should be rejected, got {other:?}"),
        }
    }
    let unsendable = Token::from_response(StatusCode::OK, br#"{"token":"a b\nc"}"#, now()).unwrap_err();
    assert!(matches!(
        unsendable,
        Error::UnsendableToken {
            origin: "token service response"
        }
    ));
}

#[test]
fn rejects_oversized_answers_before_parsing() {
    let mut body = br#"{"token":""#.to_vec();
    body.resize(MAX_TOKEN_RESPONSE_BYTES + 1, b'a');
    for status in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
        match Token::from_response(status, &body, now()) {
            Err(Error::TokenResponseTooLarge { size, limit }) => {
                assert_eq!(
                    (size, limit),
                    (MAX_TOKEN_RESPONSE_BYTES + 1, MAX_TOKEN_RESPONSE_BYTES)
                );
            }
            other => panic!("expected a size error, got {other:?}"),
        }
    }
}

#[test]
fn error_statuses_carry_the_services_explanation() {
    let long = "x".repeat(500);
    let long_body = format!(r#"{{"details":"{long}"}}"#);
    let table: Vec<(StatusCode, &str, Option<String>)> = vec![
        (
            StatusCode::UNAUTHORIZED,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#,
            Some("UNAUTHORIZED: authentication required".to_owned()),
        ),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"invalid_grant","error_description":"refresh token expired"}"#,
            Some("invalid_grant: refresh token expired".to_owned()),
        ),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"details":"incorrect username or password"}"#,
            Some("incorrect username or password".to_owned()),
        ),
        (
            StatusCode::FORBIDDEN,
            r#"{"message":"line one\nline two"}"#,
            Some("line one line two".to_owned()),
        ),
        (StatusCode::NOT_FOUND, "<html>not found</html>", None),
        (StatusCode::INTERNAL_SERVER_ERROR, "", None),
        (
            StatusCode::UNAUTHORIZED,
            &long_body,
            Some(format!("{}...", "x".repeat(200))),
        ),
    ];
    for (status, body, message) in table {
        match Token::from_response(status, body.as_bytes(), now()) {
            Err(err @ Error::TokenRejected { .. }) => {
                let Error::TokenRejected {
                    status: got_status,
                    message: got,
                } = &err
                else {
                    unreachable!()
                };
                assert_eq!((*got_status, got), (status, &message), "{body}");
                let unauthorized = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
                assert_eq!(err.is_unauthorized(), unauthorized, "{body}");
            }
            other => panic!("{status} should be rejected, got {other:?}"),
        }
    }
    let err = Token::from_response(
        StatusCode::UNAUTHORIZED,
        br#"{"details":"incorrect username or password"}"#,
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "token service answered 401 Unauthorized: incorrect username or password"
    );
}

#[test]
fn freshness_keeps_a_renewal_margin() {
    let short = Token::new(Secret::new("t"), Duration::from_secs(60), now()).expect("valid");
    // A fifth of 60 s: renewed from 48 s on.
    assert!(short.is_fresh(now()));
    assert!(short.is_fresh(now() + Duration::from_secs(47)));
    assert!(!short.is_fresh(now() + Duration::from_secs(48)));
    assert!(!short.is_fresh(now() + Duration::from_secs(61)));

    let long = Token::new(Secret::new("t"), Duration::from_secs(3600), now()).expect("valid");
    // At most 30 s early.
    assert!(long.is_fresh(now() + Duration::from_secs(3569)));
    assert!(!long.is_fresh(now() + Duration::from_secs(3570)));

    let floor = Token::new(Secret::new("t"), Duration::from_secs(1), now()).expect("valid");
    assert_eq!(floor.lifetime(), MIN_TOKEN_LIFETIME);
    assert!(Token::new(Secret::new(""), Duration::from_secs(60), now()).is_err());
}

#[test]
fn debug_shows_no_token() {
    let token = Token::from_response(
        StatusCode::OK,
        br#"{"token":"hunter2-access","refresh_token":"hunter2-refresh"}"#,
        now(),
    )
    .expect("valid");
    let debug = format!("{token:?} {token:#?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("lifetime"));
}

#[test]
fn errors_never_echo_the_body() {
    let bodies: [&[u8]; 3] = [
        br#"{"token":"a","expires_in":"hunter2"}"#,
        br#"{"token":"a","issued_at":"hunter2"}"#,
        br#"{"token":"hunter2", oops}"#,
    ];
    for body in bodies {
        let err = Token::from_response(StatusCode::OK, body, now()).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }
}

#[test]
fn odd_lifetimes_are_bounded() {
    let table = [
        (r#"{"token":"a","expires_in":-5}"#, 60),
        (
            r#"{"token":"a","expires_in":18446744073709551615}"#,
            u64::from(u32::MAX),
        ),
        (r#"{"token":"a","expires_in":1e300}"#, u64::from(u32::MAX)),
    ];
    for (body, seconds) in table {
        let token = Token::from_response(StatusCode::OK, body.as_bytes(), now()).expect(body);
        assert_eq!(token.lifetime().as_secs(), seconds, "{body}");
        assert!(token.is_fresh(now()));
    }
}

#[test]
fn answers_in_the_shapes_public_registries_send() {
    // (registry, body, token, lifetime, issued_at seconds since the epoch)
    let table = [
        (
            "Docker Hub: both fields, nanosecond issued_at",
            r#"{"token":"hub","access_token":"hub","expires_in":300,"issued_at":"2023-11-14T22:13:20.123456789Z"}"#,
            "hub",
            300,
            Some(1_700_000_000),
        ),
        (
            "distribution's token server: local offset",
            r#"{"token":"reg","expires_in":900,"issued_at":"2023-11-15T00:13:20+02:00"}"#,
            "reg",
            900,
            Some(1_700_000_000),
        ),
        (
            "GHCR and Quay: token only",
            r#"{"token":"ghcr"}"#,
            "ghcr",
            60,
            None,
        ),
        (
            "ACR: OAuth2 access token with refresh",
            r#"{"access_token":"acr","refresh_token":"acr-refresh"}"#,
            "acr",
            60,
            None,
        ),
        (
            "GCR: expires_in and issued_at",
            r#"{"expires_in":3600,"issued_at":"2023-11-14T22:13:20.5-08:00","token":"gcr"}"#,
            "gcr",
            3600,
            Some(1_700_028_800),
        ),
        (
            "Harbor: both fields, 30 minutes",
            r#"{"token":"harbor","access_token":"harbor","expires_in":1800,"issued_at":"2023-11-14T22:13:20Z"}"#,
            "harbor",
            1800,
            Some(1_700_000_000),
        ),
    ];
    for (what, body, value, lifetime, issued_at) in table {
        let token = Token::from_response(StatusCode::OK, body.as_bytes(), now())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(token.value().expose(), value, "{what}");
        assert_eq!(token.lifetime().as_secs(), lifetime, "{what}");
        let issued = token
            .issued_at()
            .map(|t| t.duration_since(UNIX_EPOCH).expect("after epoch").as_secs());
        assert_eq!(issued, issued_at, "{what}");
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let _ = Token::from_response(StatusCode::OK, &body, now());
        let _ = Token::from_response(StatusCode::UNAUTHORIZED, &body, now());
    }

    #[test]
    fn arbitrary_json_fields_never_panic(
        expires in proptest::prelude::any::<i64>(),
        issued in "\\PC{0,30}",
        token in "\\PC{0,30}",
    ) {
        let body = serde_json::json!({ "token": token, "expires_in": expires, "issued_at": issued }).to_string();
        if let Ok(parsed) = Token::from_response(StatusCode::OK, body.as_bytes(), now()) {
            proptest::prop_assert!(parsed.lifetime() >= MIN_TOKEN_LIFETIME);
        }
    }
}
