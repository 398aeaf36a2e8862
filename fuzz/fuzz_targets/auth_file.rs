//! Auth files (Docker's `config.json`, the containers `auth.json`) as found on
//! disk, possibly hand-edited or written by other tools.
//!
//! `AuthFile` only loads from a path, so each input is written to a file in
//! a temporary directory made once per process. The first byte picks the
//! format. Properties: loading and lookups never panic; a file that loads can
//! take a new login, be saved and loaded again, and then yields that login
//! while its other entries still load.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use registry_auth::{AuthFile, AuthFileFormat, Secret};

/// Registries looked up in every file, in the spellings users and tools use.
const REGISTRIES: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "localhost:5000",
    "127.0.0.1:5000",
    "quay.io",
];

fn scratch_dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory"))
}

fn auth_path() -> PathBuf {
    scratch_dir().path().join("auth.json")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let format = if selector % 2 == 0 {
        AuthFileFormat::Containers
    } else {
        AuthFileFormat::Docker
    };
    let path = auth_path();
    std::fs::write(&path, content).expect("write the auth file");

    let Ok(mut file) = AuthFile::load(&path, format) else {
        return;
    };
    for registry in REGISTRIES {
        let _ = file.credential(registry, None);
        let _ = file.credential(registry, Some("library/busybox"));
        let _ = file.helper(registry);
    }

    let password = Secret::new("fuzz-password");
    file.set_basic("localhost:5000", "fuzz-user", &password)
        .expect("a plain login can always be recorded");
    file.save().expect("a loaded file can be saved");
    let reloaded = AuthFile::load(&path, format).expect("a saved file loads again");
    let credential = reloaded
        .credential("localhost:5000", None)
        .expect("the new entry decodes")
        .expect("the new entry is found");
    assert_eq!(credential.username(), Some("fuzz-user"));
});
