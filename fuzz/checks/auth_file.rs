//! Auth files (Docker's `config.json`, the containers `auth.json`) as found on
//! disk, possibly hand-edited or written by other tools.
//!
//! Parsed in memory (`AuthFile::from_bytes`), as `AuthFile::load` does after
//! reading. The first byte picks the format. Properties: parsing and lookups
//! never panic; a file that parses can take a new login and be serialised,
//! and what it serialises to parses again, yields that login, and serialises
//! to the same bytes.
//!
//! Shared by the fuzz target and by the corpus replay test of `registry-auth`.

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

const PATH: &str = "auth.json";

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let format = if selector % 2 == 0 {
        AuthFileFormat::Containers
    } else {
        AuthFileFormat::Docker
    };
    let Ok(mut file) = AuthFile::from_bytes(PATH, format, content) else {
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
    let written = file.to_bytes().expect("a parsed file can be serialised");
    let reloaded = AuthFile::from_bytes(PATH, format, &written).expect("a serialised file parses again");
    let credential = reloaded
        .credential("localhost:5000", None)
        .expect("the new entry decodes")
        .expect("the new entry is found");
    assert_eq!(credential.username(), Some("fuzz-user"));
    assert_eq!(reloaded.to_bytes().expect("serialises again"), written);
}
