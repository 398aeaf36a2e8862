//! Credentials: login and logout through the auth file, the flags, and bad credentials.

use serde_json::Value;
use skiff_integration::{ImageFormat, Registry, Skopeo, User};

use super::util::{expect_failure, Skiff};

fn registry_with_one_image() -> (Registry, User) {
    let user = User::new("alice", "s3cret-pass");
    let registry = Registry::builder().htpasswd(std::slice::from_ref(&user)).start();
    Skopeo::new().push_random_image(&registry, "private/app:1", &[10], ImageFormat::Oci);
    (registry, user)
}

#[test]
fn login_stores_credentials_that_later_commands_use_and_logout_drops_them() {
    let (registry, user) = registry_with_one_image();
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let authfile = work.path().join("auth.json");
    let authfile = authfile.to_str().unwrap();
    let repository = registry.reference("private/app");

    let stdin = format!("{}\n", user.password());
    let login = [
        "login",
        registry.addr(),
        "--authfile",
        authfile,
        "--username",
        user.name(),
        "--password-stdin",
    ];
    let out = skiff.run_with_stdin(&login, &stdin);
    assert!(out.status.success(), "{}", super::util::describe(&out));
    assert!(out.stdout.is_empty());
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(authfile).unwrap()).unwrap();
    let auth = stored["auths"][registry.addr()]["auth"].as_str().unwrap();
    // base64("alice:s3cret-pass")
    assert_eq!(auth, "YWxpY2U6czNjcmV0LXBhc3M=");

    assert_eq!(skiff.ok_text(&["tags", &repository, "--authfile", authfile]), "1");

    skiff.ok(&["logout", registry.addr(), "--authfile", authfile]);
    let stderr = skiff.fails(&["tags", &repository, "--authfile", authfile], 1);
    assert!(
        stderr.contains("UNAUTHORIZED") || stderr.contains("401"),
        "{stderr}"
    );
}

#[test]
fn the_containers_auth_file_under_home_is_found() {
    let (registry, user) = registry_with_one_image();
    let skiff = Skiff::new();
    let stdin = format!("{}\n", user.password());
    let out = skiff.run_with_stdin(
        &[
            "login",
            registry.addr(),
            "--username",
            user.name(),
            "--password-stdin",
        ],
        &stdin,
    );
    assert!(out.status.success(), "{}", super::util::describe(&out));
    assert!(skiff.home().join(".config/containers/auth.json").exists());
    assert_eq!(skiff.ok_text(&["tags", &registry.reference("private/app")]), "1");
}

#[test]
fn flags_beat_files_and_bad_credentials_fail_with_the_registry_code() {
    let (registry, user) = registry_with_one_image();
    let skiff = Skiff::new();
    let repository = registry.reference("private/app");
    let good = skiff.ok_text(&[
        "tags",
        &repository,
        "--username",
        user.name(),
        "--password",
        user.password(),
    ]);
    assert_eq!(good, "1");

    let args = [
        "tags",
        &repository,
        "--username",
        user.name(),
        "--password",
        "wrong",
    ];
    let stderr = skiff.fails(&args, 1);
    assert!(
        stderr.starts_with(&format!("skiff: listing tags of {repository}: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("UNAUTHORIZED") || stderr.contains("401"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong"),
        "the password must not be printed: {stderr}"
    );

    // Anonymous access is refused the same way.
    let stderr = skiff.fails(&["inspect", &format!("{repository}:1")], 1);
    assert!(
        stderr.contains("UNAUTHORIZED") || stderr.contains("401"),
        "{stderr}"
    );
}

#[test]
fn login_without_a_password_is_a_usage_error() {
    let skiff = Skiff::new();
    let out = skiff.run(&["login", "127.0.0.1:1", "--username", "alice"]);
    let stderr = expect_failure(&out, 2, &["login"]);
    assert!(stderr.starts_with("skiff: login to 127.0.0.1:1: "), "{stderr}");
    let out = skiff.run_with_stdin(
        &["login", "127.0.0.1:1", "--username", "a", "--password-stdin"],
        "\n",
    );
    expect_failure(&out, 2, &["login", "empty stdin"]);
}

#[test]
fn request_traces_redact_every_secret() {
    let (registry, user) = registry_with_one_image();
    let skiff = Skiff::new();
    let repository = registry.reference("private/app");
    let out = skiff.run(&[
        "tags",
        "-vv",
        &repository,
        "--username",
        user.name(),
        "--password",
        user.password(),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("authorization: <redacted>"), "{stderr}");
    assert!(!stderr.contains(user.password()), "{stderr}");
    // base64("alice:s3cret-pass") and any part of it
    assert!(!stderr.contains("YWxpY2U6"), "{stderr}");
    // -v is debug only: no request lines.
    let out = skiff.run(&[
        "tags",
        "-v",
        &repository,
        "--username",
        user.name(),
        "--password",
        user.password(),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("registry reached") && !stderr.contains("authorization"),
        "{stderr}"
    );
}

#[test]
fn tls_registries_need_their_ca_or_the_insecure_flag() {
    let registry = Registry::builder().tls().start();
    Skopeo::new().push_random_image(&registry, "tls/app:1", &[10], ImageFormat::Oci);
    let skiff = Skiff::new();
    let repository = registry.reference("tls/app");
    let stderr = skiff.fails(&["tags", &repository], 1);
    assert!(
        stderr.starts_with(&format!("skiff: listing tags of {repository}: ")),
        "{stderr}"
    );
    let ca = registry.tls().unwrap().ca_cert().to_str().unwrap().to_owned();
    assert_eq!(skiff.ok_text(&["tags", "--ca-file", &ca, &repository]), "1");
    assert_eq!(
        skiff.ok_text(&["tags", "--insecure", registry.addr(), &repository]),
        "1"
    );
}
