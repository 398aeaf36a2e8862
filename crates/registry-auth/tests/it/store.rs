//! The credential store: file order, helpers, login and logout.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use registry_auth::{AuthEnv, AuthFileFormat, Credential, CredentialStore, Error, Secret};
use serde_json::{json, Value};

use crate::util::{auth, basic, env, helpers, write};

/// A home with every kind of auth file, each naming a different user for `r.example.com`.
struct Layout {
    root: tempfile::TempDir,
}

impl Layout {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let entry =
            |user: &str| json!({ "auths": { "r.example.com": { "auth": auth(user, "pw") } } }).to_string();
        write(root.path(), "flag/auth.json", &entry("flag"));
        write(root.path(), "env/auth.json", &entry("registry-auth-file"));
        write(root.path(), "run/containers/auth.json", &entry("xdg"));
        write(
            root.path(),
            "home/.config/containers/auth.json",
            &entry("home-containers"),
        );
        write(root.path(), "docker-config/config.json", &entry("docker-config"));
        write(root.path(), "home/.docker/config.json", &entry("home-docker"));
        Self { root }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    fn env(&self) -> AuthEnv {
        let mut env = env(&self.path("home"));
        env.registry_auth_file = Some(self.path("env/auth.json"));
        env.xdg_runtime_dir = Some(self.path("run"));
        env.docker_config = Some(self.path("docker-config"));
        env
    }

    fn user(&self, store: &CredentialStore) -> String {
        basic(&store.credential_for("r.example.com", None).expect("valid")).0
    }
}

#[test]
fn files_are_listed_in_the_documented_order() {
    let layout = Layout::new();
    let store = CredentialStore::new(layout.env()).with_authfile(layout.path("flag/auth.json"));
    let files = store.files();
    let expected = [
        ("flag/auth.json", AuthFileFormat::Containers),
        ("env/auth.json", AuthFileFormat::Containers),
        ("run/containers/auth.json", AuthFileFormat::Containers),
        ("home/.config/containers/auth.json", AuthFileFormat::Containers),
        ("docker-config/config.json", AuthFileFormat::Docker),
    ];
    let expected: Vec<(PathBuf, AuthFileFormat)> =
        expected.iter().map(|(p, f)| (layout.path(p), *f)).collect();
    assert_eq!(files, expected);

    // The same file named twice is read once; without DOCKER_CONFIG, ~/.docker is read.
    let mut env = layout.env();
    env.docker_config = None;
    let store = CredentialStore::new(env).with_authfile(layout.path("env/auth.json"));
    let files = store.files();
    assert_eq!(files.len(), 4);
    assert_eq!(
        files[3],
        (layout.path("home/.docker/config.json"), AuthFileFormat::Docker)
    );
}

#[test]
fn the_first_file_with_credentials_wins() {
    let layout = Layout::new();
    let env = layout.env();
    assert_eq!(
        layout.user(&CredentialStore::new(env.clone()).with_authfile(layout.path("flag/auth.json"))),
        "flag"
    );
    assert_eq!(
        layout.user(&CredentialStore::new(env.clone())),
        "registry-auth-file"
    );

    let mut env = layout.env();
    env.registry_auth_file = None;
    assert_eq!(layout.user(&CredentialStore::new(env.clone())), "xdg");
    env.xdg_runtime_dir = None;
    assert_eq!(layout.user(&CredentialStore::new(env.clone())), "home-containers");
    std::fs::remove_file(layout.path("home/.config/containers/auth.json")).expect("rm");
    assert_eq!(layout.user(&CredentialStore::new(env.clone())), "docker-config");
    env.docker_config = None;
    assert_eq!(layout.user(&CredentialStore::new(env.clone())), "home-docker");

    // A file without an entry for the registry passes the search on.
    write(
        layout.root.path(),
        "flag/auth.json",
        r#"{"auths":{"other.example.com":{}}}"#,
    );
    let store = CredentialStore::new(env).with_authfile(layout.path("flag/auth.json"));
    assert_eq!(layout.user(&store), "home-docker");
}

#[test]
fn explicit_credentials_come_first_and_nothing_is_anonymous() {
    let layout = Layout::new();
    let store = CredentialStore::new(layout.env()).with_explicit(Credential::basic("cli", "pw"));
    assert_eq!(layout.user(&store), "cli");
    let store = CredentialStore::new(layout.env());
    assert_eq!(
        store.credential_for("unknown.example.com", None).expect("valid"),
        Credential::Anonymous
    );
    let bare = CredentialStore::new(AuthEnv::default());
    assert!(bare.files().is_empty());
    assert_eq!(
        bare.credential_for("r.example.com", None).expect("valid"),
        Credential::Anonymous
    );
    assert!(matches!(
        store.credential_for("bad host/x", None),
        Err(Error::InvalidRegistry { .. })
    ));
}

#[test]
fn docker_hub_is_found_by_any_of_its_names() {
    let home = tempfile::tempdir().expect("temp dir");
    let content =
        json!({ "auths": { "https://index.docker.io/v1/": { "auth": auth("hub", "pw") } } }).to_string();
    write(home.path(), ".docker/config.json", &content);
    let store = CredentialStore::new(env(home.path()));
    for name in [
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "Docker.IO",
    ] {
        assert_eq!(
            basic(&store.credential_for(name, Some("library/alpine")).expect("valid")).0,
            "hub",
            "{name}"
        );
    }
}

#[test]
fn credential_helpers_are_asked_before_inline_entries() {
    let home = tempfile::tempdir().expect("temp dir");
    let config = json!({
        "auths": {
            "helped.example.com": { "auth": auth("inline", "pw") },
            "fallback.example.com": { "auth": auth("inline-fallback", "pw") },
            "https://index.docker.io/v1/": {}
        },
        "credHelpers": { "helped.example.com": "docker", "fallback.example.com": "docker" },
        "credsStore": "dockerhub"
    });
    write(home.path(), ".docker/config.json", &config.to_string());
    let store = CredentialStore::new(env(home.path()));
    let search = helpers().search_path();
    let docker = registry_auth::CredentialHelper::find("docker", &search, std::time::Duration::from_secs(20))
        .expect("exists");
    docker
        .store("helped.example.com", "from-helper", &Secret::new("pw"))
        .expect("stored");
    let hub = registry_auth::CredentialHelper::find("dockerhub", &search, std::time::Duration::from_secs(20))
        .expect("exists");
    hub.store("https://index.docker.io/v1/", "hub-user", &Secret::new("pw"))
        .expect("stored");

    assert_eq!(
        basic(&store.credential_for("helped.example.com", None).expect("valid")).0,
        "from-helper"
    );
    // The helper has nothing: the inline entry is used.
    assert_eq!(
        basic(&store.credential_for("fallback.example.com", None).expect("valid")).0,
        "inline-fallback"
    );
    // Docker Hub goes to the credsStore under Docker's key.
    assert_eq!(
        basic(&store.credential_for("docker.io", None).expect("valid")).0,
        "hub-user"
    );
    assert!(helpers()
        .log("dockerhub")
        .contains("get https://index.docker.io/v1/"));
}

#[test]
fn a_missing_helper_is_an_error_naming_it() {
    let home = tempfile::tempdir().expect("temp dir");
    write(home.path(), ".docker/config.json", r#"{"credsStore":"missing"}"#);
    let err = CredentialStore::new(env(home.path()))
        .credential_for("r.example.com", None)
        .unwrap_err();
    assert!(matches!(err, Error::HelperSpawn { ref program, .. } if program == "docker-credential-missing"));
}

#[test]
fn login_writes_the_login_file_and_logout_removes_it() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut env = env(&root.path().join("home"));
    env.xdg_runtime_dir = Some(root.path().join("run"));
    let store = CredentialStore::new(env.clone());
    let expected = root.path().join("run/containers/auth.json");
    assert_eq!(store.login_file(), Some(expected.clone()));

    let written = store
        .login("Registry.Example.com:5000", "me", &Secret::new("pw"))
        .expect("login");
    assert_eq!(written, expected);
    assert_eq!(
        std::fs::metadata(&written).expect("stat").permissions().mode() & 0o777,
        0o600
    );
    let document: Value = serde_json::from_slice(&std::fs::read(&written).expect("read")).expect("json");
    assert_eq!(
        document["auths"]["registry.example.com:5000"]["auth"],
        auth("me", "pw")
    );
    assert_eq!(
        basic(
            &store
                .credential_for("registry.example.com:5000", None)
                .expect("valid")
        )
        .0,
        "me"
    );

    assert!(store.logout("registry.example.com:5000").expect("logout"));
    assert!(!store.logout("registry.example.com:5000").expect("nothing left"));
    assert_eq!(
        store
            .credential_for("registry.example.com:5000", None)
            .expect("valid"),
        Credential::Anonymous
    );

    // --authfile and REGISTRY_AUTH_FILE take precedence for login too.
    env.registry_auth_file = Some(root.path().join("env.json"));
    assert_eq!(
        CredentialStore::new(env.clone()).login_file(),
        env.registry_auth_file
    );
    let flagged = CredentialStore::new(env.clone()).with_authfile(root.path().join("flag.json"));
    assert_eq!(flagged.login_file(), Some(root.path().join("flag.json")));
    env.registry_auth_file = None;
    env.xdg_runtime_dir = None;
    assert_eq!(
        CredentialStore::new(env).login_file(),
        Some(root.path().join("home/.config/containers/auth.json"))
    );
    let nowhere = CredentialStore::new(AuthEnv::default());
    assert!(nowhere.login_file().is_none());
    assert!(matches!(
        nowhere.login("r.example.com", "me", &Secret::new("pw")),
        Err(Error::NoAuthFileLocation { .. })
    ));
}

#[test]
fn login_goes_through_a_helper_when_the_file_names_one() {
    let root = tempfile::tempdir().expect("temp dir");
    let authfile = write(
        root.path(),
        "auth.json",
        &json!({
            "credHelpers": { "r.example.com": "login" },
            "auths": { "r.example.com": { "auth": auth("stale", "pw") } }
        })
        .to_string(),
    );
    let store = CredentialStore::new(env(root.path())).with_authfile(&authfile);
    store
        .login("r.example.com", "me", &Secret::new("pw"))
        .expect("login");
    let document: Value = serde_json::from_slice(&std::fs::read(&authfile).expect("read")).expect("json");
    assert!(
        document["auths"].get("r.example.com").is_none(),
        "the inline copy is dropped"
    );
    assert_eq!(document["credHelpers"]["r.example.com"], "login");
    assert_eq!(
        basic(&store.credential_for("r.example.com", None).expect("valid")).0,
        "me"
    );

    store.logout("r.example.com").expect("logout");
    assert_eq!(
        store.credential_for("r.example.com", None).expect("valid"),
        Credential::Anonymous
    );
    let log = helpers().log("login");
    assert!(
        log.contains(r#"store {"ServerURL":"r.example.com","Username":"me","Secret":"pw"}"#),
        "{log}"
    );
    assert!(log.contains("erase r.example.com"), "{log}");
}

#[test]
fn debug_of_a_store_shows_no_secret() {
    let store = CredentialStore::new(AuthEnv::default()).with_explicit(Credential::basic("me", "hunter2"));
    assert!(!format!("{store:?}").contains("hunter2"));
}
