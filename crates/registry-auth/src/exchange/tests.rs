//! Token requests: method, URL query, headers and body of each form.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};

use super::*;
use crate::{Challenge, Scope};

fn challenge(header: &str) -> BearerChallenge {
    let challenges = Challenge::parse(header).expect("valid header");
    BearerChallenge::find(&challenges)
        .expect("bearer")
        .expect("valid bearer")
}

fn registry_challenge() -> BearerChallenge {
    challenge(r#"Bearer realm="https://auth.example.com/token",service="registry.example.com""#)
}

fn mount_scopes() -> ScopeSet {
    [
        Scope::push_pull("target/app").expect("valid"),
        Scope::pull("source/app").expect("valid"),
    ]
    .into_iter()
    .collect()
}

fn query_pairs(request: &Request<Vec<u8>>) -> Vec<(String, String)> {
    form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn form_pairs(request: &Request<Vec<u8>>) -> Vec<(String, String)> {
    form_urlencoded::parse(request.body()).into_owned().collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn options() -> TokenOptions {
    TokenOptions {
        client_id: "skiff-test".to_owned(),
        ..TokenOptions::default()
    }
}

#[test]
fn anonymous_get_sends_service_and_each_scope() {
    let request = token_request(
        &registry_challenge(),
        &mount_scopes(),
        &Credential::Anonymous,
        &options(),
    )
    .expect("valid");
    assert_eq!(request.method(), Method::GET);
    assert_eq!(request.uri().host(), Some("auth.example.com"));
    assert_eq!(request.uri().path(), "/token");
    assert_eq!(
        query_pairs(&request),
        pairs(&[
            ("service", "registry.example.com"),
            ("scope", "repository:source/app:pull"),
            ("scope", "repository:target/app:pull,push"),
            ("client_id", "skiff-test"),
        ])
    );
    assert!(request.headers().get(AUTHORIZATION).is_none());
    assert_eq!(request.headers()[ACCEPT], "application/json");
    assert!(request.body().is_empty());
}

#[test]
fn basic_get_sends_account_and_basic_credentials() {
    let credential = Credential::basic("alice", "p@ss word");
    let mut options = options();
    options.offline_access = true;
    let request =
        token_request(&registry_challenge(), &mount_scopes(), &credential, &options).expect("valid");
    assert_eq!(request.method(), Method::GET);
    assert_eq!(
        query_pairs(&request),
        pairs(&[
            ("service", "registry.example.com"),
            ("scope", "repository:source/app:pull"),
            ("scope", "repository:target/app:pull,push"),
            ("account", "alice"),
            ("client_id", "skiff-test"),
            ("offline_token", "true"),
        ])
    );
    let authorization = &request.headers()[AUTHORIZATION];
    assert_eq!(authorization, "Basic YWxpY2U6cEBzcyB3b3Jk");
    assert!(authorization.is_sensitive());
    assert!(!request.uri().to_string().contains("p@ss"));
}

#[test]
fn get_keeps_a_query_already_in_the_realm_and_omits_a_missing_service() {
    let with_query = challenge(r#"Bearer realm="https://auth.example.com/token?tenant=x""#);
    let scopes = ScopeSet::from(Scope::catalog());
    let request = token_request(&with_query, &scopes, &Credential::Anonymous, &options()).expect("valid");
    assert_eq!(
        query_pairs(&request),
        pairs(&[
            ("tenant", "x"),
            ("scope", "registry:catalog:*"),
            ("client_id", "skiff-test")
        ])
    );
    let no_scopes = token_request(
        &registry_challenge(),
        &ScopeSet::new(),
        &Credential::Anonymous,
        &options(),
    )
    .expect("valid");
    assert_eq!(
        query_pairs(&no_scopes),
        pairs(&[("service", "registry.example.com"), ("client_id", "skiff-test")])
    );
}

#[test]
fn identity_token_posts_a_refresh_token_grant() {
    let credential = Credential::IdentityToken {
        username: None,
        token: Secret::new("refresh-me"),
    };
    let mut options = options();
    options.offline_access = true;
    let request =
        token_request(&registry_challenge(), &mount_scopes(), &credential, &options).expect("valid");
    assert_eq!(request.method(), Method::POST);
    assert_eq!(request.uri(), "https://auth.example.com/token");
    assert_eq!(
        request.headers()[CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
    assert!(request.headers().get(AUTHORIZATION).is_none());
    assert_eq!(
        form_pairs(&request),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "refresh-me"),
            ("service", "registry.example.com"),
            (
                "scope",
                "repository:source/app:pull repository:target/app:pull,push"
            ),
            ("client_id", "skiff-test"),
            ("access_type", "offline"),
        ])
    );
}

#[test]
fn prefer_oauth_posts_a_password_grant() {
    let mut options = options();
    options.prefer_oauth = true;
    let credential = Credential::basic("alice", "s&cret=");
    let request =
        token_request(&registry_challenge(), &mount_scopes(), &credential, &options).expect("valid");
    assert_eq!(request.method(), Method::POST);
    assert_eq!(
        form_pairs(&request),
        pairs(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "s&cret="),
            ("service", "registry.example.com"),
            (
                "scope",
                "repository:source/app:pull repository:target/app:pull,push"
            ),
            ("client_id", "skiff-test"),
        ])
    );
    // Anonymous stays a GET whatever the preference.
    let anonymous = token_request(
        &registry_challenge(),
        &mount_scopes(),
        &Credential::Anonymous,
        &options,
    )
    .expect("valid");
    assert_eq!(anonymous.method(), Method::GET);
}

#[test]
fn post_falls_back_to_get_on_the_statuses_servers_use() {
    let mut oauth = options();
    oauth.prefer_oauth = true;
    let basic = Credential::basic("alice", "pw");
    let identity = Credential::IdentityToken {
        username: Some("bob".to_owned()),
        token: Secret::new("rt"),
    };
    let bare_identity = Credential::IdentityToken {
        username: None,
        token: Secret::new("rt"),
    };
    let challenge = registry_challenge();
    let scopes = mount_scopes();

    for status in [400, 401, 404, 405] {
        let status = StatusCode::from_u16(status).expect("valid status");
        let request = get_fallback(status, &challenge, &scopes, &basic, &oauth)
            .expect("falls back")
            .expect("valid");
        assert_eq!(request.method(), Method::GET, "{status}");
        assert_eq!(request.headers()[AUTHORIZATION], "Basic YWxpY2U6cHc=");

        let request = get_fallback(status, &challenge, &scopes, &identity, &options())
            .expect("falls back")
            .expect("valid");
        assert_eq!(request.headers()[AUTHORIZATION], "Basic Ym9iOnJ0");
        assert!(query_pairs(&request).contains(&("account".to_owned(), "bob".to_owned())));

        assert!(get_fallback(status, &challenge, &scopes, &bare_identity, &options()).is_none());
        // The first request was a GET already.
        assert!(get_fallback(status, &challenge, &scopes, &basic, &options()).is_none());
        assert!(get_fallback(status, &challenge, &scopes, &Credential::Anonymous, &oauth).is_none());
    }
    for status in [
        StatusCode::OK,
        StatusCode::FORBIDDEN,
        StatusCode::INTERNAL_SERVER_ERROR,
    ] {
        assert!(
            get_fallback(status, &challenge, &scopes, &basic, &oauth).is_none(),
            "{status}"
        );
    }
}

#[test]
fn a_registry_token_needs_no_exchange() {
    let credential = Credential::RegistryToken(Secret::new("direct"));
    let err = token_request(&registry_challenge(), &mount_scopes(), &credential, &options()).unwrap_err();
    assert!(matches!(err, Error::NoExchangeForRegistryToken));
}

#[test]
fn credentials_do_not_travel_over_plain_http_to_remote_hosts() {
    let remote = challenge(r#"Bearer realm="http://auth.example.com/token""#);
    let credential = Credential::basic("alice", "pw");
    let err = token_request(&remote, &mount_scopes(), &credential, &options()).unwrap_err();
    assert!(matches!(err, Error::InsecureRealm { ref realm } if realm == "http://auth.example.com/token"));
    assert!(!err.to_string().contains("pw"));

    // Anonymous requests carry nothing to protect.
    assert!(token_request(&remote, &mount_scopes(), &Credential::Anonymous, &options()).is_ok());
    let mut allowed = options();
    allowed.allow_plain_http = true;
    assert!(token_request(&remote, &mount_scopes(), &credential, &allowed).is_ok());

    for local in [
        "http://127.0.0.1:5001/token",
        "http://[::1]:5001/token",
        "http://localhost:5001/token",
        "http://registry.local/token",
    ] {
        let local = challenge(&format!(r#"Bearer realm="{local}""#));
        assert!(
            token_request(&local, &mount_scopes(), &credential, &options()).is_ok(),
            "{local:?}"
        );
    }
}

#[test]
fn default_client_id_names_skiff() {
    assert!(TokenOptions::default().client_id.starts_with("skiff/"));
}
