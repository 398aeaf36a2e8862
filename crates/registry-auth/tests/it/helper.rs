//! Credential helper programs: the stdin/stdout protocol, failures, timeouts.

use std::time::Duration;

use registry_auth::{Credential, CredentialHelper, Error, Secret};

use crate::util::{basic, helpers};

fn helper(name: &str) -> CredentialHelper {
    CredentialHelper::find(name, &helpers().search_path(), Duration::from_secs(20)).expect("helper exists")
}

#[test]
fn store_get_erase_round_trip() {
    let helper = helper("store");
    assert_eq!(helper.program(), "docker-credential-store");
    assert_eq!(helper.get("registry.example.com").expect("runs"), None);

    helper
        .store(
            "registry.example.com",
            "alice",
            &Secret::new("pw with \"quotes\""),
        )
        .expect("stored");
    let credential = helper.get("registry.example.com").expect("runs").expect("found");
    assert_eq!(
        basic(&credential),
        ("alice".to_owned(), "pw with \"quotes\"".to_owned())
    );
    assert_eq!(helper.get("other.example.com").expect("runs"), None);

    helper.erase("registry.example.com").expect("erased");
    assert_eq!(helper.get("registry.example.com").expect("runs"), None);
    // Erasing what is not there is fine.
    helper.erase("registry.example.com").expect("nothing to erase");

    // The protocol: the action as the argument, the server URL alone on stdin,
    // the store request as JSON.
    let log = helpers().log("store");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], "get registry.example.com");
    assert_eq!(
        lines[1],
        r#"store {"ServerURL":"registry.example.com","Username":"alice","Secret":"pw with \"quotes\""}"#
    );
    assert_eq!(lines[2], "get registry.example.com");
}

#[test]
fn a_token_username_means_an_identity_token() {
    let credential = helper("token")
        .get("r.example.com")
        .expect("runs")
        .expect("found");
    assert_eq!(
        credential,
        Credential::IdentityToken {
            username: None,
            token: Secret::new("refresh-xyz")
        }
    );
}

#[test]
fn an_empty_secret_is_no_credential() {
    assert_eq!(helper("empty").get("r.example.com").expect("runs"), None);
}

#[test]
fn failures_carry_the_helpers_message() {
    let err = helper("locked").get("r.example.com").unwrap_err();
    match &err {
        Error::HelperFailed {
            program,
            code,
            message,
        } => {
            assert_eq!(
                (program.as_str(), *code, message.as_str()),
                ("docker-credential-locked", Some(3), "keychain is locked")
            );
        }
        other => panic!("expected a helper failure, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "credential helper docker-credential-locked failed (exit status 3): keychain is locked"
    );
    assert!(matches!(
        helper("locked").erase("r.example.com"),
        Err(Error::HelperFailed { .. })
    ));
}

#[test]
fn malformed_output_is_reported_without_echoing_it() {
    let err = helper("garbage").get("r.example.com").unwrap_err();
    assert!(matches!(err, Error::HelperOutput { .. }), "{err:?}");
    assert!(!err.to_string().contains("json"), "{err}");
}

#[test]
fn a_secret_echoed_by_a_failing_helper_is_redacted() {
    let err = helper("echo")
        .store("r.example.com", "alice", &Secret::new("hunter2"))
        .unwrap_err();
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("<redacted>"), "{message}");
}

#[test]
fn a_slow_helper_is_killed_at_the_timeout() {
    let slow =
        CredentialHelper::find("slow", &helpers().search_path(), Duration::from_millis(200)).expect("exists");
    let err = slow.get("r.example.com").unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(matches!(err, Error::HelperTimeout { ref program, .. } if program == "docker-credential-slow"));
}

#[test]
fn helpers_are_found_only_on_the_given_path() {
    let path = helpers().search_path();
    for name in ["missing", "noexec", "../store", "", "a b"] {
        match CredentialHelper::find(name, &path, Duration::from_secs(1)) {
            Err(Error::HelperSpawn { program, source }) => {
                assert_eq!(program, format!("docker-credential-{name}"));
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{name:?} should not be found, got {other:?}"),
        }
    }
    let empty = tempfile::tempdir().expect("temp dir");
    assert!(CredentialHelper::find("store", empty.path().as_os_str(), Duration::from_secs(1)).is_err());
}
