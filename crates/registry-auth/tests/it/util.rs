//! Shared fixtures: temp dirs, auth files, and credential helper scripts.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use registry_auth::{AuthEnv, Credential};

/// Every helper script, written once before any test runs one.
///
/// Writing an executable while another thread forks can make the exec fail
/// with "text file busy"; creating all scripts up front, before the first
/// helper runs, rules that out.
pub(crate) struct Helpers {
    dir: tempfile::TempDir,
}

impl Helpers {
    /// The helper search path: the scripts first, then the system directories
    /// the scripts' own commands (`cat`, `sed`) live in.
    pub(crate) fn search_path(&self) -> OsString {
        let dirs = [self.dir.path(), Path::new("/usr/bin"), Path::new("/bin")];
        std::env::join_paths(dirs).expect("paths without separators")
    }

    /// Where helper `name` logs its invocations (`ACTION` then stdin, one per line).
    pub(crate) fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("log-{name}"))).unwrap_or_default()
    }
}

/// A helper that keeps credentials as files under its own state directory.
fn storing_helper(dir: &Path, name: &str) -> String {
    let state = dir.join(format!("state-{name}"));
    let log = dir.join(format!("log-{name}"));
    format!(
        r#"#!/bin/sh
state='{state}'
mkdir -p "$state"
input=$(cat)
printf '%s %s\n' "$1" "$input" >> '{log}'
case "$1" in
  get|erase) key=$(printf '%s' "$input" | tr -c 'A-Za-z0-9' '_') ;;
  store) key=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\([^"]*\)".*/\1/' | tr -c 'A-Za-z0-9' '_') ;;
  *) echo "unknown action $1"; exit 2 ;;
esac
case "$1" in
  get)
    if [ -f "$state/$key" ]; then cat "$state/$key"; exit 0; fi
    echo "credentials not found in native keychain"; exit 1 ;;
  store) printf '%s' "$input" > "$state/$key" ;;
  erase)
    if [ -f "$state/$key" ]; then rm "$state/$key"; exit 0; fi
    echo "credentials not found in native keychain"; exit 1 ;;
esac
"#,
        state = state.display(),
        log = log.display(),
    )
}

/// Every script, by helper name.
fn scripts(dir: &Path) -> Vec<(&'static str, String)> {
    let mut scripts: Vec<(&'static str, String)> = ["store", "docker", "containers", "login", "dockerhub"]
        .into_iter()
        .map(|name| (name, storing_helper(dir, name)))
        .collect();
    scripts.extend([
        (
            "token",
            "#!/bin/sh\ncat > /dev/null\necho '{\"ServerURL\":\"r\",\"Username\":\"<token>\",\"Secret\":\"refresh-xyz\"}'\n"
                .to_owned(),
        ),
        ("locked", "#!/bin/sh\ncat > /dev/null\necho 'keychain is locked'\nexit 3\n".to_owned()),
        ("garbage", "#!/bin/sh\ncat > /dev/null\necho 'this is not {json'\n".to_owned()),
        ("slow", "#!/bin/sh\nexec sleep 30\n".to_owned()),
        ("echo", "#!/bin/sh\necho \"could not store $(cat)\" >&2\nexit 1\n".to_owned()),
        ("empty", "#!/bin/sh\ncat > /dev/null\necho '{\"ServerURL\":\"r\",\"Username\":\"\",\"Secret\":\"\"}'\n".to_owned()),
    ]);
    scripts
}

/// The helper scripts, created on first use.
pub(crate) fn helpers() -> &'static Helpers {
    static HELPERS: OnceLock<Helpers> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, script) in scripts(dir.path()) {
            let path = dir.path().join(format!("docker-credential-{name}"));
            std::fs::write(&path, script).expect("write helper");
            make_executable(&path);
        }
        // Not executable: must not be found.
        std::fs::write(dir.path().join("docker-credential-noexec"), "#!/bin/sh\n").expect("write");
        Helpers { dir }
    })
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Writes `content` to `dir/relative`, creating directories.
pub(crate) fn write(dir: &Path, relative: &str, content: &str) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(&path, content).expect("write");
    path
}

/// An environment rooted in `home` with helpers on the search path and nothing else set.
pub(crate) fn env(home: &Path) -> AuthEnv {
    let mut env = AuthEnv::default();
    env.home = Some(home.to_owned());
    env.path = Some(helpers().search_path());
    env
}

/// The username and password of Basic credentials, for assertions.
pub(crate) fn basic(credential: &Credential) -> (String, String) {
    match credential {
        Credential::Basic { username, password } => (username.clone(), password.expose().to_owned()),
        other => panic!("expected Basic credentials, got {other:?}"),
    }
}

/// `base64(user:password)`.
pub(crate) fn auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}
