//! Challenge parsing: the cases distribution, containerd and RFC 7235 document,
//! the forms registries send, malformed input, and round trips through `Display`.

use proptest::prelude::*;

use super::*;

/// A challenge as plain data: `(scheme, token68, params)`.
type Parts = (String, Option<String>, Vec<(String, String)>);

/// One expected challenge, written with borrowed strings.
type Expected<'a> = (&'a str, Option<&'a str>, Vec<(String, String)>);

/// Parses `header` and lists each challenge's parts.
fn parsed(header: &str) -> Vec<Parts> {
    Challenge::parse(header)
        .unwrap_or_else(|e| panic!("{header:?} should parse: {e}"))
        .into_iter()
        .map(|c| (c.scheme, c.token68, c.params))
        .collect()
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn parses_documented_challenges() {
    let table: Vec<(&str, Vec<Expected<'_>>)> = vec![
        // distribution's client challenge test.
        (
            r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",other=fun,slashed="he\"\l\lo""#,
            vec![(
                "Bearer",
                None,
                params(&[
                    ("realm", "https://auth.example.com/token"),
                    ("service", "registry.example.com"),
                    ("other", "fun"),
                    ("slashed", "he\"llo"),
                ]),
            )],
        ),
        // Several scopes in one parameter, commas inside quotes.
        (
            r#"Bearer realm="https://auth.example.com/token",scope="repository:foo/bar:pull,push repository:foo/baz:pull""#,
            vec![(
                "Bearer",
                None,
                params(&[
                    ("realm", "https://auth.example.com/token"),
                    ("scope", "repository:foo/bar:pull,push repository:foo/baz:pull"),
                ]),
            )],
        ),
        // containerd: an empty quoted value is present and empty.
        (
            r#"Bearer realm="https://auth.example.io/token",empty="",service="registry.example.io",scope="repository:library/hello-world:pull,push""#,
            vec![(
                "Bearer",
                None,
                params(&[
                    ("realm", "https://auth.example.io/token"),
                    ("empty", ""),
                    ("service", "registry.example.io"),
                    ("scope", "repository:library/hello-world:pull,push"),
                ]),
            )],
        ),
        // RFC 7235 section 4.1.
        (
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
            vec![
                (
                    "Newauth",
                    None,
                    params(&[("realm", "apps"), ("type", "1"), ("title", "Login to \"apps\"")]),
                ),
                ("Basic", None, params(&[("realm", "simple")])),
            ],
        ),
        // registry 2.x refusing a token.
        (
            r#"Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:push",error="insufficient_scope""#,
            vec![(
                "Bearer",
                None,
                params(&[
                    ("realm", "https://auth.example.com/token"),
                    ("service", "registry"),
                    ("scope", "repository:a/b:push"),
                    ("error", "insufficient_scope"),
                ]),
            )],
        ),
        (
            r#"Bearer realm="https://auth.example.com/token",error="invalid_token""#,
            vec![(
                "Bearer",
                None,
                params(&[
                    ("realm", "https://auth.example.com/token"),
                    ("error", "invalid_token"),
                ]),
            )],
        ),
        // Case-insensitive parameter names, whitespace around `=`.
        (
            r#"bEaReR REALM = "https://a/t" , Service=reg"#,
            vec![(
                "bEaReR",
                None,
                params(&[("realm", "https://a/t"), ("service", "reg")]),
            )],
        ),
        // Stray commas everywhere.
        (
            r#" , ,Basic realm="r",, ,charset="UTF-8" ,, Bearer realm="https://a/t",,"#,
            vec![
                ("Basic", None, params(&[("realm", "r"), ("charset", "UTF-8")])),
                ("Bearer", None, params(&[("realm", "https://a/t")])),
            ],
        ),
        // token68, with and without padding, then another challenge.
        (
            "Negotiate YIIBhgYGKwYBBQUCoIIBejCC==, Basic",
            vec![
                ("Negotiate", Some("YIIBhgYGKwYBBQUCoIIBejCC=="), vec![]),
                ("Basic", None, vec![]),
            ],
        ),
        ("NTLM abc/def+ghi", vec![("NTLM", Some("abc/def+ghi"), vec![])]),
        // Schemes alone.
        ("Basic", vec![("Basic", None, vec![])]),
        (
            "Basic, Bearer",
            vec![("Basic", None, vec![]), ("Bearer", None, vec![])],
        ),
        // Commas and equals signs inside quoted strings; obs-text kept.
        (
            r#"Basic realm="a, b=c", x="ünï""#,
            vec![("Basic", None, params(&[("realm", "a, b=c"), ("x", "ünï")]))],
        ),
        ("", vec![]),
        (" , ", vec![]),
    ];
    for (header, expected) in table {
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(s, t, p)| (s.to_owned(), t.map(str::to_owned), p))
            .collect();
        assert_eq!(parsed(header), expected, "header {header:?}");
    }
}

#[test]
fn reads_the_challenges_public_registries_send() {
    // (registry, header, scheme, realm, service)
    let table = [
        (
            "Docker Hub",
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
            "Bearer",
            "https://auth.docker.io/token",
            Some("registry.docker.io"),
        ),
        (
            "GHCR",
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
            "Bearer",
            "https://ghcr.io/token",
            Some("ghcr.io"),
        ),
        (
            "Quay",
            r#"Bearer realm="https://quay.io/v2/auth",service="quay.io""#,
            "Bearer",
            "https://quay.io/v2/auth",
            Some("quay.io"),
        ),
        (
            "Harbor",
            r#"Bearer realm="https://harbor.example.com/service/token",service="harbor-registry""#,
            "Bearer",
            "https://harbor.example.com/service/token",
            Some("harbor-registry"),
        ),
        (
            "GCR",
            r#"Bearer realm="https://gcr.io/v2/token",service="gcr.io""#,
            "Bearer",
            "https://gcr.io/v2/token",
            Some("gcr.io"),
        ),
        (
            "ACR",
            r#"Bearer realm="https://example.azurecr.io/oauth2/token",service="example.azurecr.io""#,
            "Bearer",
            "https://example.azurecr.io/oauth2/token",
            Some("example.azurecr.io"),
        ),
        (
            "ECR",
            r#"Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#,
            "Basic",
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",
            Some("ecr.amazonaws.com"),
        ),
        (
            "registry 2.x with htpasswd",
            r#"Basic realm="Registry Realm""#,
            "Basic",
            "Registry Realm",
            None,
        ),
    ];
    for (what, header, scheme, realm, service) in table {
        let challenges = Challenge::parse(header).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(challenges.len(), 1, "{what}");
        let challenge = &challenges[0];
        assert_eq!(challenge.scheme(), scheme, "{what}");
        assert_eq!(challenge.param("realm"), Some(realm), "{what}");
        assert_eq!(challenge.param("service"), service, "{what}");
        if challenge.is_bearer() {
            let bearer = BearerChallenge::try_from(challenge).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(bearer.realm(), realm, "{what}");
            assert_eq!(bearer.service(), service, "{what}");
        }
    }
}

#[test]
fn rejects_malformed_headers_with_the_position() {
    let table = [
        (r#"Bearer realm="unterminated"#, 26, "a closing quote"),
        (
            r#"Bearer realm="ends in backslash\"#,
            32,
            "a character after the backslash",
        ),
        ("Bearer ===", 7, "a parameter or a token68"),
        ("Bearer a=b c=d", 11, "a comma between parameters"),
        ("Bearer a=b, =c", 12, "a parameter name or a new challenge"),
        ("Bearer a=b, c=", 14, "a token or a quoted string"),
        ("Bearer tok68 more", 13, "a comma or the end after a token68"),
        ("Bearer \"quoted\"", 7, "a parameter or a token68"),
        ("\"Bearer\"", 0, "an authentication scheme"),
        ("Bearer=realm", 6, "a space after the authentication scheme"),
        ("Bearer a/b=c", 7, "a parameter name"),
    ];
    for (header, position, expected) in table {
        match Challenge::parse(header) {
            Err(Error::ChallengeSyntax {
                header: h,
                position: p,
                expected: e,
            }) => {
                assert_eq!(
                    (h.as_str(), p, e),
                    (header, position, expected),
                    "header {header:?}"
                );
            }
            other => panic!("{header:?} should be rejected, got {other:?}"),
        }
    }
}

#[test]
fn several_headers_keep_their_order() {
    let challenges = Challenge::parse_all([
        r#"Basic realm="one""#,
        r#"Bearer realm="https://two/t", Basic realm="three""#,
    ])
    .expect("valid headers");
    let realms: Vec<_> = challenges
        .iter()
        .map(|c| (c.scheme(), c.param("realm").unwrap_or("")))
        .collect();
    assert_eq!(
        realms,
        [("Basic", "one"), ("Bearer", "https://two/t"), ("Basic", "three")]
    );

    let err = Challenge::parse_all([r#"Basic realm="ok""#, r#"Bearer realm=""#]).unwrap_err();
    assert!(err.is_malformed());
}

#[test]
fn reads_every_www_authenticate_header_of_a_response() {
    let mut headers = HeaderMap::new();
    headers.append(
        WWW_AUTHENTICATE,
        http::HeaderValue::from_static(r#"Basic realm="r""#),
    );
    headers.append(
        WWW_AUTHENTICATE,
        http::HeaderValue::from_static(r#"Bearer realm="https://auth/t",service="s""#),
    );
    headers.append(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let challenges = Challenge::from_headers(&headers).expect("valid");
    assert_eq!(challenges.len(), 2);
    assert!(challenges[0].is_basic());
    assert!(challenges[1].is_bearer());
    assert!(Challenge::from_headers(&HeaderMap::new())
        .expect("no header")
        .is_empty());
}

#[test]
fn scheme_and_param_lookups_ignore_case() {
    let challenges = Challenge::parse(r#"BEARER Realm="https://a/t", SERVICE="s""#).expect("valid");
    let challenge = &challenges[0];
    assert!(challenge.is_bearer());
    assert!(challenge.is_scheme("Bearer"));
    assert!(!challenge.is_basic());
    assert_eq!(challenge.scheme(), "BEARER");
    assert_eq!(challenge.param("realm"), Some("https://a/t"));
    assert_eq!(challenge.param("REALM"), Some("https://a/t"));
    assert_eq!(challenge.param("Service"), Some("s"));
    assert_eq!(challenge.param("scope"), None);
    let names: Vec<_> = challenge.params().map(|(n, _)| n).collect();
    assert_eq!(names, ["realm", "service"]);
}

#[test]
fn repeated_params_give_the_first_value() {
    let challenges =
        Challenge::parse(r#"Bearer realm="https://first/t", realm="https://second/t""#).expect("valid");
    assert_eq!(challenges[0].param("realm"), Some("https://first/t"));
}

#[test]
fn display_quotes_and_escapes() {
    let challenge =
        Challenge::new("Bearer", [("realm", "https://a/t"), ("title", r#"say "hi" \o/"#)]).expect("valid");
    assert_eq!(
        challenge.to_string(),
        r#"Bearer realm="https://a/t", title="say \"hi\" \\o/""#
    );
    let token68 = Challenge::with_token68("Negotiate", "abc==").expect("valid");
    assert_eq!(token68.to_string(), "Negotiate abc==");
    assert_eq!(Challenge::new("Basic", []).expect("valid").to_string(), "Basic");
}

#[test]
fn constructors_validate_tokens() {
    assert!(matches!(
        Challenge::new("Bad scheme", []),
        Err(Error::ChallengeSyntax { position: 3, .. })
    ));
    assert!(Challenge::new("Basic", [("bad name", "v")]).is_err());
    assert!(Challenge::new("", []).is_err());
    assert!(Challenge::with_token68("Negotiate", "a b").is_err());
    assert!(Challenge::with_token68("Negotiate", "==").is_err());
}

#[test]
fn bearer_view_validates_realm() {
    let bearer = |header: &str| {
        let challenges = Challenge::parse(header).expect("valid syntax");
        BearerChallenge::find(&challenges).expect("a bearer challenge")
    };
    let ok = bearer(
        r#"Basic realm="x", Bearer realm="https://auth.example.com/token?x=1",service="reg",scope="repository:a/b:pull repository:c:push bogus",error="insufficient_scope""#,
    )
    .expect("valid bearer");
    assert_eq!(ok.realm(), "https://auth.example.com/token?x=1");
    assert_eq!(ok.service(), Some("reg"));
    assert_eq!(ok.scope(), Some("repository:a/b:pull repository:c:push bogus"));
    assert_eq!(
        ok.requested_scopes().to_string(),
        "repository:a/b:pull repository:c:push"
    );
    assert!(ok.is_insufficient_scope());
    assert!(!ok.is_invalid_token());
    assert_eq!(ok.error(), Some("insufficient_scope"));

    let invalid = bearer(r#"Bearer realm="https://a/t",error="invalid_token""#).expect("valid");
    assert!(invalid.is_invalid_token());
    assert_eq!(invalid.service(), None);
    assert!(invalid.requested_scopes().is_empty());

    let table = [
        (r#"Bearer service="reg""#, "missing"),
        (r#"Bearer realm="/token""#, "not an absolute URL"),
        (
            r#"Bearer realm="ftp://a/token""#,
            "the scheme must be http or https",
        ),
        (r#"Bearer realm="not a url""#, "not a URL"),
    ];
    for (header, reason) in table {
        match bearer(header) {
            Err(Error::MissingChallengeParam { param, .. }) => {
                assert_eq!(reason, "missing", "{header}: {param}")
            }
            Err(Error::InvalidRealm { reason: r, .. }) => assert_eq!(r, reason, "{header}"),
            other => panic!("{header} should be rejected, got {other:?}"),
        }
    }
    let basic = Challenge::parse(r#"Basic realm="r""#).expect("valid");
    assert!(BearerChallenge::find(&basic).is_none());
    assert!(matches!(
        BearerChallenge::try_from(&basic[0]),
        Err(Error::WrongScheme { .. })
    ));
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

fn challenge() -> impl Strategy<Value = Challenge> {
    let with_params = (token(), prop::collection::vec((token(), "[ -~]{0,20}"), 0..4)).prop_map(|(s, ps)| {
        Challenge::new(&s, ps.iter().map(|(n, v)| (n.as_str(), v.as_str()))).expect("generated tokens")
    });
    let with_token68 = (token(), "[A-Za-z0-9._~+/-]{1,20}={0,2}")
        .prop_map(|(s, t)| Challenge::with_token68(&s, &t).expect("generated token68"));
    prop_oneof![3 => with_params, 1 => with_token68]
}

proptest! {
    #[test]
    fn well_formed_challenges_round_trip(challenges in prop::collection::vec(challenge(), 1..4)) {
        let header = challenges.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        prop_assert_eq!(Challenge::parse(&header).expect("displayed challenges parse"), challenges);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(header in "\\PC{0,80}") {
        let _ = Challenge::parse(&header);
    }

    #[test]
    fn parsing_header_like_text_never_panics(header in r#"[A-Za-z =,"\\/]{0,60}"#) {
        let _ = Challenge::parse(&header);
    }
}
