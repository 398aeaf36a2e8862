//! skiff against scripted attackers on loopback: a hostile registry, CDN and token service,
//! hostile layouts and credential helpers. One test per rule of the threat model in
//! `docs/RELIABILITY.md`; each is bounded in time, so a regression into a hang fails fast.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use skiff_integration::{FaultProxy, Hostile, RandomImage, Registry, Reply, Route, Seen, SilentListener};

use super::util::{expect_failure, sha256, unverified_blobs, Skiff};

/// Long enough for any of these commands when skiff behaves, short enough that a hang
/// (the behaviour each rule forbids) fails the test quickly.
const LIMIT: Duration = Duration::from_secs(30);

/// The password the hostile parties try to get hold of.
const PASSWORD: &str = "hunter2-Sekrit";

/// `/v2/` answered with a 401 carrying `challenge`; everything else by `rest`.
fn registry(challenge: String, rest: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |seen| {
        if seen.path_only() == "/v2/" {
            Reply::status(401).header("www-authenticate", &challenge)
        } else {
            rest(seen)
        }
    })
}

fn carries_secret(seen: &Seen, secret: &str) -> bool {
    let basic = base64_of(&format!("user:{secret}"));
    seen.headers
        .values()
        .any(|v| v.to_str().is_ok_and(|v| v.contains(secret) || v.contains(&basic)))
        || String::from_utf8_lossy(&seen.body).contains(secret)
        || seen.path.contains(secret)
}

fn base64_of(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Rule 1: a blob GET redirected to a CDN that answers 401 with a Bearer challenge of its own
/// must not make skiff send the registry's Basic credentials to that realm; the error names the
/// CDN's URL.
#[test]
fn a_challenge_from_another_origin_is_not_believed() {
    let realm = Arc::new(Hostile::start(|_| {
        Reply::json(&serde_json::json!({"token": "t"}))
    }));
    let cdn = {
        let challenge = format!(r#"Bearer realm="{}",service="cdn""#, realm.url("/token"));
        Hostile::start(move |_| Reply::status(401).header("www-authenticate", &challenge))
    };
    let blob = cdn.url("/storage/blob");
    let registry = registry(r#"Basic realm="registry""#.to_owned(), move |_| {
        Reply::redirect(307, &blob)
    });
    let digest = sha256(b"x");
    let image = format!("{}/team/app@{digest}", registry.host());
    let skiff = Skiff::new();
    let args = [
        "blob",
        "get",
        "--username",
        "user",
        "--password",
        PASSWORD,
        &image,
    ];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(
        realm.seen().is_empty(),
        "the CDN's realm was asked for a token: {:?}",
        realm.seen()
    );
    assert!(
        cdn.seen().iter().all(|seen| !carries_secret(seen, PASSWORD)),
        "{:?}",
        cdn.seen()
    );
    assert!(
        line.contains(&cdn.url("/storage/blob")),
        "the error names the CDN: {line}"
    );
}

/// Rule 2: a token POST carrying an identity token, answered with a 307 to another host, is
/// never re-posted there.
#[test]
fn a_credential_bearing_body_does_not_follow_a_redirect() {
    let thief = Arc::new(Hostile::start(|_| {
        Reply::json(&serde_json::json!({"token": "t"}))
    }));
    let token_service = {
        let steal = thief.url("/steal");
        Hostile::start(move |_| Reply::redirect(307, &steal))
    };
    let challenge = format!(r#"Bearer realm="{}",service="svc""#, token_service.url("/token"));
    let registry = registry(challenge, |_| Reply::status(404));
    let skiff = Skiff::new();
    let authfile = skiff.home().join("auth.json");
    let identity = "identity-token-Sekrit";
    let auth = serde_json::json!({"auths": {registry.host(): {
        "username": "user", "identitytoken": identity,
    }}});
    std::fs::write(&authfile, auth.to_string()).unwrap();
    let image = format!("{}/team/app", registry.host());
    let args = ["tags", "--authfile", authfile.to_str().unwrap(), &image];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(
        token_service
            .seen()
            .iter()
            .any(|seen| carries_secret(seen, identity)),
        "the token service got the identity token first: {:?}",
        token_service.seen()
    );
    assert!(
        thief.seen().iter().all(|seen| !carries_secret(seen, identity)),
        "{:?}",
        thief.seen()
    );
    assert!(line.contains("refusing redirect"), "{line}");
}

/// A registry open to everyone: `/v2/` answers 200, everything else by `rest`.
fn open_registry(rest: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |seen| {
        if seen.path_only() == "/v2/" {
            Reply::status(200)
        } else {
            rest(seen)
        }
    })
}

/// Rule 4: a `next` link back to a page already fetched ends the listing with an error instead
/// of looping forever.
#[test]
fn pagination_that_loops_ends_with_an_error() {
    let registry = open_registry(|seen| {
        let (tag, next) = match seen.path.as_str() {
            "/v2/team/app/tags/list" => ("a", "/v2/team/app/tags/list?last=a"),
            _ => ("b", "/v2/team/app/tags/list?last=a"),
        };
        Reply::json(&serde_json::json!({"name": "team/app", "tags": [tag]}))
            .header("link", &format!(r#"<{next}>; rel="next""#))
    });
    let image = format!("{}/team/app", registry.host());
    let skiff = Skiff::new();
    let args = ["tags", &image];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(line.contains("already fetched"), "{line}");
    assert!(registry.seen().len() <= 4, "{} requests", registry.seen().len());
    assert!(
        out.stdout.len() < 16,
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Rule 9: tag and repository names from a registry are checked against the spec's grammar;
/// forged lines and terminal escapes never reach the terminal raw.
#[test]
fn registry_supplied_names_are_never_printed_raw() {
    let registry = open_registry(|seen| match seen.path_only() {
        "/v2/_catalog" => {
            Reply::json(&serde_json::json!({"repositories": ["team/app", "x\u{1b}]0;pwned\u{7}"]}))
        }
        _ => Reply::json(
            &serde_json::json!({"name": "team/app", "tags": ["1.0", "2.0\nforged-line", "\u{1b}[31mred"]}),
        ),
    });
    let skiff = Skiff::new();
    let image = format!("{}/team/app", registry.host());
    let host = registry.host();
    for args in [vec!["tags", image.as_str()], vec!["catalog", host.as_str()]] {
        let out = skiff.run_within(&args, LIMIT);
        let line = expect_failure(&out, 1, &args);
        for printed in [&out.stdout, &out.stderr] {
            assert!(
                !printed.contains(&0x1b),
                "raw escape printed by {args:?}: {printed:?}"
            );
            let text = String::from_utf8_lossy(printed);
            assert!(
                !text.contains("\nforged-line"),
                "forged line printed by {args:?}: {text}"
            );
        }
        let escaped = line.contains(r"\u{1b}") || line.contains(r"\n");
        assert!(line.contains("invalid name") && escaped, "{line}");
    }
}

/// Rule 10: a registry that echoes the password (and the Basic credentials it was sent) in its
/// error message does not get them printed.
#[test]
fn secrets_echoed_back_are_redacted() {
    let registry = registry(r#"Basic realm="registry""#.to_owned(), |seen| {
        let sent = seen.header("authorization").unwrap_or_default().to_owned();
        let message = format!("wrong password {PASSWORD} in {sent}");
        Reply::status(403)
            .body(serde_json::json!({"errors": [{"code": "DENIED", "message": message}]}).to_string())
    });
    let image = format!("{}/team/app", registry.host());
    let skiff = Skiff::new();
    let args = ["tags", "--username", "user", "--password", PASSWORD, "-v", &image];
    let out = skiff.run_within(&args, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", super::util::describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DENIED: wrong password <redacted>"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    assert!(
        !stderr.contains(&base64_of(&format!("user:{PASSWORD}"))),
        "{stderr}"
    );
}

/// Rule 6: a credential program that answers and exits, leaving a background child holding its
/// stdout, does not hang skiff: its answer is used once the exchange's grace is over.
#[test]
fn a_credential_helpers_child_cannot_hold_skiff() {
    let registry = registry(r#"Basic realm="registry""#.to_owned(), |seen| {
        let expected = format!("Basic {}", base64_of("user:helper-Sekrit"));
        match seen.header("authorization") {
            Some(sent) if sent == expected => {
                Reply::json(&serde_json::json!({"name": "team/app", "tags": ["1.0"]}))
            }
            _ => Reply::status(401).header("www-authenticate", r#"Basic realm="registry""#),
        }
    });
    let helpers = tempfile::tempdir().unwrap();
    let helper = helpers.path().join("docker-credential-lingering");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\nsleep 60 &\n\
         echo '{\"ServerURL\":\"x\",\"Username\":\"user\",\"Secret\":\"helper-Sekrit\"}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(helpers.path().to_path_buf()).chain(std::env::split_paths(&inherited)),
    )
    .unwrap();
    let skiff = Skiff::new().with_env("PATH", path.to_str().unwrap());
    let authfile = skiff.home().join("auth.json");
    let auth = serde_json::json!({"credHelpers": {registry.host(): "lingering"}});
    std::fs::write(&authfile, auth.to_string()).unwrap();
    let image = format!("{}/team/app", registry.host());
    let args = ["tags", "--authfile", authfile.to_str().unwrap(), &image];
    let out = skiff.run_within(&args, Duration::from_secs(20));
    assert!(out.status.success(), "{}", super::util::describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1.0\n");
}

/// Rule 3: a manifest trickled one byte at a time ends at the read deadline, and a blob that
/// never stalls long enough for the stall timeout still fails below the minimum rate.
#[test]
fn bodies_that_trickle_end_at_their_deadlines() {
    let every = Duration::from_millis(400);
    let registry = open_registry(move |seen| {
        let body = vec![b' '; 1000];
        if seen.path.contains("/manifests/") {
            Reply::status(200)
                .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .trickle(body, every)
        } else {
            Reply::status(200).trickle(body, every)
        }
    });
    let skiff = Skiff::new();
    let image = format!("{}/team/app:1", registry.host());
    let args = ["inspect", "--raw", "--read-timeout", "2", &image];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(line.contains("did not arrive whole within 2s"), "{line}");

    let blob = format!("{}/team/app@{}", registry.host(), sha256(&[b' '; 1000]));
    let args = ["blob", "get", "--min-rate", "100", "--rate-window", "2", &blob];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(line.contains("fewer than 100 bytes/s over 2s"), "{line}");
}

/// Rule 8: a server that accepts connections and never answers costs one overall deadline,
/// not a wait per scheme and per retry.
#[test]
fn a_silent_server_costs_one_reach_deadline() {
    let silent = SilentListener::start();
    let image = format!("{}/team/app", silent.host());
    let skiff = Skiff::new();
    let args = ["tags", "--reach-timeout", "2", &image];
    let out = skiff.run_within(&args, Duration::from_secs(15));
    let line = expect_failure(&out, 1, &args);
    assert!(line.contains("did not answer within 2s"), "{line}");
}

/// The upload requests that carried a blob's bytes (a `PATCH`, or a `PUT` that closes an
/// upload), which a layout source must not send when its blob is refused or fails its digest.
fn blob_uploads(proxy: &FaultProxy) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|seen| seen.route == Route::Upload && matches!(seen.method.as_str(), "PATCH" | "PUT"))
        .count()
}

/// Damages the file at `path` in place: one byte flipped, the size unchanged.
fn flip_a_byte(path: &std::path::Path) {
    let mut content = std::fs::read(path).unwrap();
    content[100] ^= 0xff;
    std::fs::write(path, content).unwrap();
}

/// Rule 5: a layout blob that is a symlink to a file outside the layout is refused before a
/// byte of it is read; a local blob whose content does not match is final, never re-sent.
#[test]
fn a_layout_only_yields_its_own_regular_files_and_mismatches_are_final() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let skiff = Skiff::new();

    let image = RandomImage::build("hostile-symlink", &[64 * 1024]);
    let layer = image.blob_path(image.layers()[0].digest());
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("private-key");
    std::fs::write(&secret, "-----BEGIN PRIVATE KEY----- local secret").unwrap();
    std::fs::remove_file(&layer).unwrap();
    std::os::unix::fs::symlink(&secret, &layer).unwrap();
    let target = proxy.reference("team/linked:1");
    let source = image.oci_reference();
    let args = ["copy", "-q", &source, &target];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(line.contains("symlink"), "{line}");
    let config_uploads = blob_uploads(&proxy);
    assert!(
        config_uploads <= 1,
        "only the config may have gone up: {:?}",
        proxy.requests()
    );

    let image = RandomImage::build("hostile-mismatch", &[64 * 1024]);
    let layer = image.blob_path(image.layers()[0].digest());
    flip_a_byte(&layer);
    let target = proxy.reference("team/corrupt:1");
    let source = image.oci_reference();
    let args = ["copy", "-q", &source, &target];
    let out = skiff.run_within(&args, LIMIT);
    let line = expect_failure(&out, 1, &args);
    assert!(line.contains("digest"), "{line}");
    let sent = blob_uploads(&proxy) - config_uploads;
    assert!(
        sent <= 2,
        "the corrupt layer was sent {sent} times or more: {:?}",
        proxy.requests()
    );
}

/// Rule 11: a pull into a layout that already holds a corrupted copy of a layer verifies it,
/// fetches it again, and leaves only verified blobs.
#[test]
fn a_corrupt_blob_already_present_is_fetched_again() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let image = RandomImage::build("hostile-present", &[64 * 1024]);
    let remote = registry.reference("team/present:1");
    let source = image.oci_reference();
    skiff.ok(&["copy", "-q", &source, &remote]);
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("pulled");
    let target = format!("oci:{}:1", layout.display());
    skiff.ok(&["copy", "-q", &remote, &target]);
    let layer = layout
        .join("blobs/sha256")
        .join(image.layers()[0].digest().trim_start_matches("sha256:"));
    flip_a_byte(&layer);
    assert_eq!(unverified_blobs(&layout).len(), 1);

    let args = ["copy", "-q", &remote, &target];
    let out = skiff.run_within(&args, LIMIT);
    assert!(out.status.success(), "{}", super::util::describe(&out));
    assert!(
        unverified_blobs(&layout).is_empty(),
        "{:?}",
        unverified_blobs(&layout)
    );
}

/// Rule 7: a schema1 manifest naming one layer hundreds of times costs one download and one
/// scan of it for `inspect --config`, not one per reference.
#[test]
fn work_on_a_digest_happens_once_per_command() {
    let image = RandomImage::build("hostile-repeated", &[4096]);
    let layer_digest = image.layers()[0].digest().to_owned();
    let layer = image.blob(&layer_digest);
    const REPEATS: usize = 300;
    let id = |i: usize| format!("{:064x}", i + 1);
    // Newest first, as schema1 lists them; every entry its own id, each the parent of the next.
    let history: Vec<serde_json::Value> = (0..REPEATS)
        .rev()
        .map(|i| {
            let mut v1 = serde_json::json!({"id": id(i), "created": "2020-01-01T00:00:00Z", "architecture": "amd64", "os": "linux"});
            if i > 0 {
                v1["parent"] = id(i - 1).into();
            }
            serde_json::json!({"v1Compatibility": v1.to_string()})
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 1, "name": "team/app", "tag": "1", "architecture": "amd64",
        "fsLayers": vec![serde_json::json!({"blobSum": layer_digest}); REPEATS],
        "history": history,
    })
    .to_string();
    let registry = open_registry(move |seen| {
        if seen.path.contains("/manifests/") {
            Reply::status(200)
                .header(
                    "content-type",
                    "application/vnd.docker.distribution.manifest.v1+json",
                )
                .body(manifest.clone())
        } else {
            Reply::status(200).body(layer.clone())
        }
    });
    let skiff = Skiff::new();
    let image_ref = format!("{}/team/app:1", registry.host());
    let out = skiff.run_within(&["inspect", "--config", &image_ref], LIMIT);
    assert!(out.status.success(), "{}", super::util::describe(&out));
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(REPEATS)
    );
    let blob_gets = registry
        .seen()
        .iter()
        .filter(|seen| seen.path.contains("/blobs/"))
        .count();
    assert_eq!(blob_gets, 1, "the repeated layer was fetched {blob_gets} times");
}
