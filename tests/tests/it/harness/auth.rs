//! Basic auth and token auth, with skopeo and plain requests as clients.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hyper::Method;
use skiff_integration::{
    decode_claims, HttpRequest, ImageFormat, ImageRef, RandomImage, Registry, Skopeo, TokenService,
    TokenUser, User, ISSUER, SERVICE,
};

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// `GET realm?service=..&scope=..` with optional Basic credentials; the token, or the status.
fn fetch_token(
    service: &TokenService,
    scopes: &[&str],
    credentials: Option<(&str, &str)>,
) -> Result<String, u16> {
    let mut url = format!("{}?service={SERVICE}", service.realm());
    for scope in scopes {
        url.push_str("&scope=");
        url.push_str(&scope.replace(':', "%3A").replace(',', "%2C"));
    }
    if let Some((user, _)) = credentials {
        url.push_str("&account=");
        url.push_str(user);
    }
    let mut request = HttpRequest::get(url);
    if let Some((user, password)) = credentials {
        request = request.header("authorization", &basic(user, password));
    }
    let response = request.send_blocking();
    if response.status() != 200 {
        return Err(response.status().as_u16());
    }
    let body = response.json();
    assert_eq!(body["token"], body["access_token"]);
    Ok(body["token"].as_str().expect("a token").to_owned())
}

fn bearer_get(registry: &Registry, path: &str, token: &str) -> skiff_integration::HttpResponse {
    HttpRequest::get(registry.url(path))
        .header("authorization", &format!("Bearer {token}"))
        .send_blocking()
}

#[test]
fn htpasswd_registry_accepts_its_users_only() {
    let registry = Registry::builder()
        .htpasswd(&[User::new("alice", "wonderland")])
        .start();

    let challenge = HttpRequest::get(registry.url("/v2/")).send_blocking();
    assert_eq!(challenge.status(), 401);
    assert!(
        challenge
            .header("www-authenticate")
            .is_some_and(|c| c.starts_with("Basic ")),
        "{challenge:?}"
    );
    let ok = HttpRequest::get(registry.url("/v2/")).header("authorization", &basic("alice", "wonderland"));
    assert_eq!(ok.send_blocking().status(), 200);

    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "basic/app:1", &[100], ImageFormat::V2s2);
    let remote = ImageRef::registry(&registry, "basic/app:1");
    assert_eq!(skopeo.inspect(&remote).unwrap()["Digest"], pushed.digest());

    let wrong = User::new("alice", "looking-glass");
    let failure = skopeo
        .inspect(&remote.clone().with_credentials(&wrong))
        .expect_err("wrong password");
    assert!(failure.stderr().contains("unauthorized"), "{failure}");
    assert!(
        !failure.to_string().contains("looking-glass"),
        "the password leaked: {failure}"
    );
    skopeo
        .inspect(&remote.anonymous())
        .expect_err("anonymous access to a Basic registry");
}

#[test]
fn token_registry_grants_by_user_and_anonymous_pull_on_pub() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let challenge = HttpRequest::get(registry.url("/v2/")).send_blocking();
    let expected = format!("Bearer realm=\"{}\",service=\"{SERVICE}\"", tokens.realm());
    assert_eq!(challenge.header("www-authenticate"), Some(expected.as_str()));

    let skopeo = Skopeo::new();
    let public = skopeo.push_random_image(&registry, "pub/app:1", &[100], ImageFormat::V2s2);
    skopeo.push_random_image(&registry, "private/app:1", &[100], ImageFormat::V2s2);
    let alice_requests = tokens.requests();
    assert!(
        alice_requests
            .iter()
            .any(|r| r.had_authorization && r.subject.as_deref() == Some("alice")),
        "skopeo authenticated with Basic: {alice_requests:?}"
    );

    let anonymous = |name: &str| ImageRef::registry(&registry, name).anonymous();
    let summary = skopeo
        .inspect(&anonymous("pub/app:1"))
        .unwrap_or_else(|e| registry.fail(e));
    assert_eq!(summary["Digest"], public.digest());
    skopeo
        .inspect(&anonymous("private/app:1"))
        .expect_err("anonymous pull outside pub/");
    let image = RandomImage::build("anonymous push", &[10]);
    let failure = skopeo
        .copy(
            &ImageRef::local(image.oci_reference()),
            &anonymous("pub/new:1"),
            None,
        )
        .expect_err("anonymous push");
    assert!(
        failure.stderr().contains("unauthorized") || failure.stderr().contains("denied"),
        "{failure}"
    );
    let issued = tokens.tokens_issued();
    assert!(issued >= 3, "tokens issued: {issued}");
    assert!(tokens
        .requests()
        .iter()
        .any(|r| !r.had_authorization && r.subject.is_none()));
}

#[test]
fn tokens_carry_exactly_the_granted_access() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .user(TokenUser::new("rita", "reader").allow("team/*", &["pull"]))
        .start();
    let registry = Registry::builder().token(&tokens).start();

    let token = fetch_token(
        &tokens,
        &["repository:team/app:pull,push"],
        Some(("rita", "reader")),
    )
    .unwrap();
    let claims = decode_claims(&token).expect("a JWT");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], SERVICE);
    assert_eq!(claims["sub"], "rita");
    assert_eq!(
        claims["access"],
        serde_json::json!([{ "type": "repository", "name": "team/app", "actions": ["pull"] }])
    );
    // The registry trusts the signature: an authorised request reaches the repository (unknown).
    let response = bearer_get(&registry, "/v2/team/app/tags/list", &token);
    assert_eq!(
        response.status(),
        404,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    // Access to another repository is not in the token.
    let response = bearer_get(&registry, "/v2/other/app/tags/list", &token);
    assert_eq!(response.status(), 401);
    assert!(response
        .header("www-authenticate")
        .is_some_and(|c| c.contains("insufficient_scope")));

    assert_eq!(
        fetch_token(&tokens, &["repository:team/app:pull"], Some(("rita", "wrong"))),
        Err(401)
    );
    let last = tokens.requests().pop().unwrap();
    assert!(
        last.had_authorization && last.subject.is_none() && last.status == 401,
        "{last:?}"
    );
    assert_eq!(last.account.as_deref(), Some("rita"));

    let catalog = fetch_token(&tokens, &["registry:catalog:*"], Some(("alice", "wonderland"))).unwrap();
    assert_eq!(bearer_get(&registry, "/v2/_catalog", &catalog).status(), 200);
}

#[test]
fn oauth_password_grant_returns_a_refresh_token_that_works() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let post = |form: &str| {
        HttpRequest::new(Method::POST, tokens.realm())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send_blocking()
    };

    let first = post(&format!(
        "grant_type=password&username=alice&password=wonderland&service={SERVICE}\
         &scope=repository%3Aa%2Fb%3Apull&client_id=skiff&access_type=offline"
    ));
    assert_eq!(first.status(), 200);
    let first = first.json();
    let refresh = first["refresh_token"]
        .as_str()
        .expect("offline access returns a refresh token");
    assert!(
        first.get("token").is_none(),
        "OAuth answers carry access_token only"
    );

    let second = post(&format!(
        "grant_type=refresh_token&refresh_token={refresh}&service={SERVICE}\
         &scope=repository%3Aa%2Fb%3Apull+repository%3Ac%3Apull&client_id=skiff"
    ));
    assert_eq!(second.status(), 200);
    let second = second.json();
    assert!(
        second.get("refresh_token").is_none(),
        "no new refresh token without access_type=offline"
    );
    let token = second["access_token"].as_str().unwrap();
    assert_eq!(
        decode_claims(token).unwrap()["access"].as_array().unwrap().len(),
        2
    );
    assert_eq!(bearer_get(&registry, "/v2/a/b/tags/list", token).status(), 404);

    assert_eq!(
        post("grant_type=refresh_token&refresh_token=forged").status(),
        401
    );
    assert_eq!(
        post("grant_type=password&username=alice&password=nope").status(),
        401
    );
    assert_eq!(post("grant_type=client_credentials").status(), 401);
    let grant_types: Vec<_> = tokens
        .requests()
        .iter()
        .map(|r| r.grant_type.clone().unwrap())
        .collect();
    assert_eq!(
        grant_types,
        [
            "password",
            "refresh_token",
            "refresh_token",
            "password",
            "client_credentials"
        ]
    );
    assert_eq!(tokens.tokens_issued(), 2);
}

#[test]
fn registry_refuses_tokens_after_their_lifetime() {
    let lifetime = Duration::from_secs(2);
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .lifetime(lifetime)
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let token = fetch_token(&tokens, &["repository:a:pull"], Some(("alice", "wonderland"))).unwrap();
    assert_eq!(bearer_get(&registry, "/v2/", &token).status(), 200);
    std::thread::sleep(lifetime + Duration::from_millis(1500));
    let response = bearer_get(&registry, "/v2/", &token);
    assert_eq!(response.status(), 401, "an expired token must be refused");
}
