//! Reading, changing and writing one auth file.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use registry_auth::{AuthFile, AuthFileFormat, Credential, Error, Secret, MAX_AUTH_FILE_BYTES};
use serde_json::{json, Value};

use crate::util::{auth, basic, write};

fn load(content: &str) -> (tempfile::TempDir, AuthFile) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "auth.json", content);
    let file = AuthFile::load(path, AuthFileFormat::Containers).expect("valid file");
    (dir, file)
}

#[test]
fn every_key_form_finds_its_registry() {
    // (key written in the file, registry looked up)
    let table = [
        ("https://index.docker.io/v1/", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("docker.io", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("registry.example.com", "registry.example.com"),
        ("https://registry.example.com", "registry.example.com"),
        ("http://registry.example.com", "registry.example.com"),
        ("registry.example.com/v2/", "registry.example.com"),
        ("https://registry.example.com/v1/", "registry.example.com"),
        ("REGISTRY.example.com", "registry.example.com"),
        ("localhost:5000", "localhost:5000"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
    ];
    for (key, registry) in table {
        let content = json!({ "auths": { key: { "auth": auth("user", "pa:ss") } } }).to_string();
        let (_dir, file) = load(&content);
        let credential = file
            .credential(registry, Some("team/app"))
            .expect("valid")
            .unwrap_or_else(|| {
                panic!("key {key:?} should serve {registry:?}");
            });
        assert_eq!(
            basic(&credential),
            ("user".to_owned(), "pa:ss".to_owned()),
            "{key}"
        );
        assert!(
            file.credential("other.example.com", None)
                .expect("valid")
                .is_none(),
            "{key}"
        );
    }
}

#[test]
fn entry_forms_give_their_credentials() {
    let content = json!({
        "auths": {
            "basic.example.com": { "auth": auth("alice", "pw1") },
            "split.example.com": { "username": "bob", "password": "pw2" },
            "identity.example.com": { "auth": auth("carol", ""), "identitytoken": "refresh-1" },
            "bare-identity.example.com": { "identitytoken": "refresh-2" },
            "token.example.com": { "registrytoken": "bearer-1" },
            "store.example.com": {},
            "email.example.com": { "email": "x@example.com", "auth": "" }
        }
    })
    .to_string();
    let (_dir, file) = load(&content);
    let get = |registry: &str| file.credential(registry, None).expect("valid");
    assert_eq!(
        basic(&get("basic.example.com").expect("found")),
        ("alice".into(), "pw1".into())
    );
    assert_eq!(
        basic(&get("split.example.com").expect("found")),
        ("bob".into(), "pw2".into())
    );
    assert_eq!(
        get("identity.example.com"),
        Some(Credential::IdentityToken {
            username: Some("carol".into()),
            token: Secret::new("refresh-1")
        })
    );
    assert_eq!(
        get("bare-identity.example.com"),
        Some(Credential::IdentityToken {
            username: None,
            token: Secret::new("refresh-2")
        })
    );
    assert_eq!(
        get("token.example.com"),
        Some(Credential::RegistryToken(Secret::new("bearer-1")))
    );
    assert_eq!(get("store.example.com"), None);
    assert_eq!(get("email.example.com"), None);
}

#[test]
fn the_longest_matching_namespace_wins() {
    let content = json!({
        "auths": {
            "quay.io": { "auth": auth("host", "pw") },
            "quay.io/org": { "auth": auth("org", "pw") },
            "quay.io/org/special": { "auth": auth("repo", "pw") }
        }
    })
    .to_string();
    let (_dir, file) = load(&content);
    let user =
        |repository: Option<&str>| basic(&file.credential("quay.io", repository).expect("v").expect("f")).0;
    assert_eq!(user(Some("org/special")), "repo");
    assert_eq!(user(Some("org/special/sub")), "repo");
    assert_eq!(user(Some("org/app")), "org");
    assert_eq!(user(Some("organisation/app")), "host");
    assert_eq!(user(None), "host");
}

#[test]
fn an_empty_entry_gives_way_to_one_with_credentials() {
    let content = json!({
        "auths": {
            "https://index.docker.io/v1/": {},
            "docker.io": { "auth": auth("hub", "pw") }
        }
    })
    .to_string();
    let (_dir, file) = load(&content);
    assert_eq!(
        basic(&file.credential("docker.io", None).expect("v").expect("found")).0,
        "hub"
    );
}

#[test]
fn helpers_per_registry_then_the_store() {
    let content = json!({
        "credHelpers": { "gcr.io": "gcloud", "https://123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login" },
        "credsStore": "desktop"
    })
    .to_string();
    let (_dir, file) = load(&content);
    assert_eq!(file.helper("gcr.io"), Some("gcloud"));
    assert_eq!(
        file.helper("123.dkr.ecr.us-east-1.amazonaws.com"),
        Some("ecr-login")
    );
    assert_eq!(file.helper("docker.io"), Some("desktop"));
    let (_dir, plain) = load(r#"{"auths":{}}"#);
    assert_eq!(plain.helper("docker.io"), None);
}

#[test]
fn a_missing_or_empty_file_is_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = AuthFile::load(dir.path().join("nope.json"), AuthFileFormat::Docker).expect("fine");
    assert!(!missing.exists());
    assert!(missing.credential("docker.io", None).expect("valid").is_none());
    let (_dir, empty) = load("  \n");
    assert!(empty.exists());
    assert!(empty.credential("docker.io", None).expect("valid").is_none());
}

#[test]
fn malformed_files_are_rejected_without_echoing_them() {
    let table = [
        ("{\"auths\": {\"hunter2\"", "not JSON (line 1, column 20)"),
        ("[\"hunter2\"]", "not a JSON object"),
        (r#"{"auths": ["hunter2"]}"#, "field `auths` is not an object"),
        (
            r#"{"credHelpers": "hunter2"}"#,
            "field `credHelpers` is not an object",
        ),
        (
            r#"{"credsStore": {"x": "hunter2"}}"#,
            "field `credsStore` is not a string",
        ),
    ];
    for (content, reason) in table {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), "auth.json", content);
        match AuthFile::load(&path, AuthFileFormat::Containers) {
            Err(err @ Error::MalformedAuthFile { .. }) => {
                let Error::MalformedAuthFile {
                    reason: got,
                    path: got_path,
                    ..
                } = &err
                else {
                    unreachable!()
                };
                assert_eq!((got.as_str(), got_path), (reason, &path), "{content}");
                assert!(!err.to_string().contains("hunter2"), "{err}");
                assert!(err.is_malformed());
            }
            other => panic!("{content} should be rejected, got {other:?}"),
        }
    }
}

#[test]
fn malformed_entries_are_reported_when_used() {
    let content = json!({
        "auths": {
            "bad64.example.com": { "auth": "not base64 hunter2!" },
            "nocolon.example.com": { "auth": base64_of("hunter2") },
            "notobject.example.com": "hunter2",
            "notstring.example.com": { "password": ["hunter2"], "username": "u" },
            "fine.example.com": { "auth": auth("u", "p") }
        }
    })
    .to_string();
    let (_dir, file) = load(&content);
    for registry in [
        "bad64.example.com",
        "nocolon.example.com",
        "notobject.example.com",
        "notstring.example.com",
    ] {
        let err = file.credential(registry, None).unwrap_err();
        assert!(
            matches!(err, Error::MalformedAuthFile { .. }),
            "{registry}: {err:?}"
        );
        assert!(err.to_string().contains(registry), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
    assert!(file
        .credential("fine.example.com", None)
        .expect("valid")
        .is_some());
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn oversized_files_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let padding = " ".repeat(usize::try_from(MAX_AUTH_FILE_BYTES).expect("fits"));
    let path = write(dir.path(), "auth.json", &format!("{{}}{padding}"));
    match AuthFile::load(&path, AuthFileFormat::Docker) {
        Err(Error::AuthFileTooLarge { size, limit, .. }) => {
            assert_eq!((size, limit), (MAX_AUTH_FILE_BYTES + 2, MAX_AUTH_FILE_BYTES));
        }
        other => panic!("expected a size error, got {other:?}"),
    }
}

#[test]
fn in_memory_parsing_matches_loading_and_saving() {
    let content =
        json!({ "auths": { "registry.example.com": { "auth": auth("user", "pw") } }, "x": 1 }).to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "auth.json", &content);
    let loaded = AuthFile::load(&path, AuthFileFormat::Docker).expect("valid file");
    let mut parsed = AuthFile::from_bytes(&path, AuthFileFormat::Docker, content.as_bytes()).expect("valid");
    assert_eq!(parsed.path(), path.as_path());
    assert_eq!(
        parsed.credential("registry.example.com", None).unwrap(),
        loaded.credential("registry.example.com", None).unwrap()
    );
    // to_bytes is exactly what save writes.
    parsed
        .set_basic("other.example.com", "u", &Secret::new("p"))
        .unwrap();
    parsed.save().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), parsed.to_bytes().unwrap());
    // The same limits as a file on disk.
    let padding = " ".repeat(usize::try_from(MAX_AUTH_FILE_BYTES).expect("fits"));
    let oversized = format!("{{}}{padding}");
    assert!(matches!(
        AuthFile::from_bytes(&path, AuthFileFormat::Docker, oversized.as_bytes()),
        Err(Error::AuthFileTooLarge { .. })
    ));
    assert!(matches!(
        AuthFile::from_bytes(&path, AuthFileFormat::Docker, b"[]"),
        Err(Error::MalformedAuthFile { .. })
    ));
}

#[test]
fn numbers_in_fields_it_does_not_know_keep_their_value() {
    // Found by fuzzing: a float parsed with a rounding error was written back changed.
    let huge = "5222222220000000000000000000000000000000000000000000000000000000000014347467612885206812";
    let original = format!(r#"{{"": {huge}, "big": 12345678901234567890, "auths": {{}}}}"#);
    let mut file = AuthFile::from_bytes("auth.json", AuthFileFormat::Docker, original.as_bytes()).unwrap();
    file.set_basic("localhost:5000", "u", &Secret::new("p")).unwrap();
    let written = file.to_bytes().unwrap();
    let again = AuthFile::from_bytes("auth.json", AuthFileFormat::Docker, &written).unwrap();
    assert_eq!(again.to_bytes().unwrap(), written);
    let value: Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(value[""].as_f64(), huge.parse::<f64>().ok());
    assert_eq!(value["big"].as_u64(), Some(12_345_678_901_234_567_890));
}

#[test]
fn rewriting_keeps_unknown_fields_and_order() {
    let original = r#"{
  "auths": {
    "registry.example.com": { "auth": "b2xkOm9sZA==", "email": "me@example.com", "x-extra": [1, 2] },
    "other.example.com": { "auth": "b3RoZXI6b3RoZXI=" }
  },
  "credHelpers": { "gcr.io": "gcloud" },
  "psFormat": "table {{.ID}}",
  "proxies": { "default": { "httpProxy": "http://proxy:3128" } },
  "experimental": "enabled"
}"#;
    let (dir, mut file) = load(original);
    file.set_basic("registry.example.com", "new", &Secret::new("pw"))
        .expect("valid");
    file.set_basic("added.example.com", "added", &Secret::new("pw2"))
        .expect("valid");
    file.save().expect("saved");

    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("auth.json")).expect("read"))
            .expect("json");
    let keys: Vec<&String> = written.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["auths", "credHelpers", "psFormat", "proxies", "experimental"]
    );
    assert_eq!(written["psFormat"], "table {{.ID}}");
    assert_eq!(written["proxies"]["default"]["httpProxy"], "http://proxy:3128");
    let entry = &written["auths"]["registry.example.com"];
    assert_eq!(entry["auth"], auth("new", "pw"));
    assert_eq!(entry["email"], "me@example.com");
    assert_eq!(entry["x-extra"], json!([1, 2]));
    assert_eq!(written["auths"]["other.example.com"]["auth"], "b3RoZXI6b3RoZXI=");
    assert_eq!(
        written["auths"]["added.example.com"]["auth"],
        auth("added", "pw2")
    );
    let auth_keys: Vec<&String> = written["auths"].as_object().expect("object").keys().collect();
    assert_eq!(
        auth_keys,
        ["registry.example.com", "other.example.com", "added.example.com"]
    );
}

#[test]
fn set_basic_replaces_other_credential_forms() {
    let content = json!({
        "auths": {
            "https://index.docker.io/v1/": { "identitytoken": "old", "username": "x", "password": "y" },
            "docker.io": { "registrytoken": "old" }
        }
    })
    .to_string();
    let (_dir, mut file) = load(&content);
    file.set_basic("docker.io", "me", &Secret::new("pw"))
        .expect("valid");
    assert_eq!(
        basic(&file.credential("docker.io", None).expect("v").expect("f")),
        ("me".into(), "pw".into())
    );
    assert!(matches!(
        file.set_basic("docker.io", "a:b", &Secret::new("pw")),
        Err(Error::InvalidUsername { .. })
    ));
}

#[test]
fn new_docker_hub_entries_use_each_tools_key() {
    for (format, key) in [
        (AuthFileFormat::Docker, "https://index.docker.io/v1/"),
        (AuthFileFormat::Containers, "docker.io"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.json");
        let mut file = AuthFile::load(&path, format).expect("missing is fine");
        assert_eq!(file.format(), format);
        file.set_basic("docker.io", "me", &Secret::new("pw"))
            .expect("valid");
        file.save().expect("saved");
        let written: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(written["auths"][key]["auth"], auth("me", "pw"), "{format:?}");
    }
}

#[test]
fn save_is_atomic_and_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "nested/auth.json", r#"{"auths":{}}"#);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let inode_before = std::fs::metadata(&path).expect("stat").ino();
    // A reader holding the old file keeps seeing the old content: the new one is a new inode.
    let held = std::fs::File::open(&path).expect("open");

    let mut file = AuthFile::load(&path, AuthFileFormat::Containers).expect("valid");
    file.set_basic("r.example.com", "me", &Secret::new("pw"))
        .expect("valid");
    file.save().expect("saved");

    let metadata = std::fs::metadata(&path).expect("stat");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    assert_ne!(
        metadata.ino(),
        inode_before,
        "replaced by rename, not rewritten in place"
    );
    assert_eq!(
        held.metadata().expect("stat").len(),
        r#"{"auths":{}}"#.len() as u64
    );
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["auth.json"]);

    // A file in a directory that does not exist yet: the directory is made private.
    let fresh = dir.path().join("new-dir/containers/auth.json");
    let mut file = AuthFile::load(&fresh, AuthFileFormat::Containers).expect("missing is fine");
    file.set_basic("r.example.com", "me", &Secret::new("pw"))
        .expect("valid");
    file.save().expect("saved");
    let mode = std::fs::metadata(fresh.parent().expect("parent"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    assert_eq!(
        std::fs::metadata(&fresh).expect("stat").permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn remove_drops_whole_registry_entries_only() {
    let content = json!({
        "auths": {
            "https://index.docker.io/v1/": { "auth": auth("a", "b") },
            "docker.io": { "auth": auth("a", "b") },
            "docker.io/library": { "auth": auth("ns", "b") },
            "quay.io": { "auth": auth("q", "b") }
        }
    })
    .to_string();
    let (_dir, mut file) = load(&content);
    assert!(file.remove("docker.io"));
    assert!(!file.remove("docker.io"));
    assert!(file.credential("docker.io", None).expect("valid").is_none());
    assert!(file
        .credential("docker.io", Some("library/alpine"))
        .expect("valid")
        .is_some());
    assert!(file.credential("quay.io", None).expect("valid").is_some());
}

#[test]
fn debug_shows_registries_but_no_secret() {
    let content = json!({ "auths": { "r.example.com": { "auth": auth("user", "hunter2"), "identitytoken": "hunter2" } } })
        .to_string();
    let (_dir, file) = load(&content);
    let debug = format!("{file:?}");
    assert!(debug.contains("r.example.com"), "{debug}");
    assert!(
        !debug.contains("hunter2") && !debug.contains(&auth("user", "hunter2")),
        "{debug}"
    );
}
