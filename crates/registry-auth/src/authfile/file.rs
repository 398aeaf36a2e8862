//! One auth file, Docker's `config.json` or the containers `auth.json`: read,
//! looked up, changed and written back with every field it did not touch.

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::key::{canonical_registry, docker_server_url, match_len, parse_key};
use crate::{Credential, Error, Secret};

/// The largest auth file read; real ones are a few KiB.
pub const MAX_AUTH_FILE_BYTES: u64 = 1024 * 1024;

/// Which tool's conventions a file follows. Both share the format; they differ
/// in the key written for Docker Hub (`docker.io` or `https://index.docker.io/v1/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthFileFormat {
    /// The containers auth file (`auth.json` of podman, skopeo, buildah).
    Containers,
    /// Docker's `config.json`.
    Docker,
}

/// An auth file's content, kept as a JSON document so that fields this crate
/// does not know survive a rewrite. A file that does not exist loads as empty.
///
/// `Debug` shows the path and the registries, never credentials.
#[derive(Clone)]
pub struct AuthFile {
    path: PathBuf,
    format: AuthFileFormat,
    document: Map<String, Value>,
    exists: bool,
}

impl AuthFile {
    /// Reads `path`. A missing file gives an empty auth file; one larger than
    /// [`MAX_AUTH_FILE_BYTES`] or not shaped like an auth file is an error.
    pub fn load(path: impl Into<PathBuf>, format: AuthFileFormat) -> Result<Self, Error> {
        let path = path.into();
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Ok(Self {
                    path,
                    format,
                    document: Map::new(),
                    exists: false,
                });
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut bytes = Vec::new();
        Read::by_ref(&mut file)
            .take(MAX_AUTH_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&path, e))?;
        if bytes.len() as u64 > MAX_AUTH_FILE_BYTES {
            let size = file.metadata().map_or(bytes.len() as u64, |m| m.len());
            return Err(Error::AuthFileTooLarge {
                path,
                size,
                limit: MAX_AUTH_FILE_BYTES,
            });
        }
        Self::from_bytes(path, format, &bytes)
    }

    /// Parses `bytes` as the content of the auth file at `path`, without
    /// reading it; [`AuthFile::save`] would write to `path`. The same limits
    /// and checks as [`AuthFile::load`] apply.
    pub fn from_bytes(path: impl Into<PathBuf>, format: AuthFileFormat, bytes: &[u8]) -> Result<Self, Error> {
        let path = path.into();
        if bytes.len() as u64 > MAX_AUTH_FILE_BYTES {
            return Err(Error::AuthFileTooLarge {
                path,
                size: bytes.len() as u64,
                limit: MAX_AUTH_FILE_BYTES,
            });
        }
        let document = parse_document(&path, bytes)?;
        Ok(Self {
            path,
            format,
            document,
            exists: true,
        })
    }

    /// The file's content as [`AuthFile::save`] writes it: pretty JSON with a
    /// final newline, every field it did not touch kept. It holds secrets.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut bytes = serde_json::to_vec_pretty(&self.document).map_err(|_| Error::MalformedAuthFile {
            path: self.path.clone(),
            reason: "its content cannot be encoded as JSON".to_owned(),
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's conventions.
    pub fn format(&self) -> AuthFileFormat {
        self.format
    }

    /// Whether the file existed when loaded.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// The credentials stored inline (`auths`) for `registry` (`host[:port]`,
    /// Docker Hub by any of its names), preferring the entry with the longest
    /// namespace that contains `repository`. `None` when no entry holds
    /// credentials (as with a `credsStore`).
    pub fn credential(&self, registry: &str, repository: Option<&str>) -> Result<Option<Credential>, Error> {
        let registry = canonical_registry(registry)?;
        let registry = registry.as_str();
        let Some(auths) = self.document.get("auths").and_then(Value::as_object) else {
            return Ok(None);
        };
        let mut matches: Vec<(usize, &String, &Value)> = auths
            .iter()
            .filter_map(|(key, entry)| Some((match_len(key, registry, repository)?, key, entry)))
            .collect();
        // Most specific first; among equals, file order. An entry without
        // credentials (Docker Desktop writes `{}` beside a `credsStore`) gives
        // way to the next one.
        matches.sort_by_key(|&(len, _, _)| std::cmp::Reverse(len));
        for (_, key, entry) in matches {
            if let Some(credential) = self.decode_entry(key, entry)? {
                return Ok(Some(credential));
            }
        }
        Ok(None)
    }

    /// The credential helper configured for `registry`: its `credHelpers` entry,
    /// else `credsStore`.
    pub fn helper(&self, registry: &str) -> Option<&str> {
        let registry = canonical_registry(registry).ok()?;
        let per_registry = self
            .document
            .get("credHelpers")
            .and_then(Value::as_object)
            .and_then(|helpers| {
                helpers.iter().find_map(|(key, name)| {
                    let (host, _) = parse_key(key)?;
                    (host == registry).then(|| name.as_str()).flatten()
                })
            });
        per_registry
            .or_else(|| self.document.get("credsStore").and_then(Value::as_str))
            .filter(|name| !name.is_empty())
    }

    /// Stores `username` and `password` inline for `registry`: every entry for
    /// the whole registry gets the new `auth` (other credential fields are
    /// dropped, unknown ones kept); with none, a new entry is added.
    pub fn set_basic(&mut self, registry: &str, username: &str, password: &Secret) -> Result<(), Error> {
        let registry = canonical_registry(registry)?;
        let registry = registry.as_str();
        if username.contains(':') || username.chars().any(char::is_control) {
            return Err(Error::InvalidUsername {
                username: username.to_owned(),
                reason: "it contains `:` or a control character",
            });
        }
        let auth = STANDARD.encode(format!("{username}:{}", password.expose()));
        let new_key = match self.format {
            AuthFileFormat::Docker => docker_server_url(registry).to_owned(),
            AuthFileFormat::Containers => registry.to_owned(),
        };
        let auths = self.auths_mut();
        let mut updated = false;
        for (key, entry) in auths.iter_mut() {
            if match_len(key, registry, None) == Some(0) {
                match entry {
                    Value::Object(fields) => {
                        for stale in ["username", "password", "identitytoken", "registrytoken"] {
                            fields.remove(stale);
                        }
                        fields.insert("auth".to_owned(), Value::String(auth.clone()));
                    }
                    other => *other = serde_json::json!({ "auth": auth }),
                }
                updated = true;
            }
        }
        if !updated {
            auths.insert(new_key, serde_json::json!({ "auth": auth }));
        }
        Ok(())
    }

    /// Removes every inline entry for the whole of `registry`; tells whether there was one.
    pub fn remove(&mut self, registry: &str) -> bool {
        let Ok(registry) = canonical_registry(registry) else {
            return false;
        };
        let registry = registry.as_str();
        let auths = self.auths_mut();
        let before = auths.len();
        auths.retain(|key, _| match_len(key, registry, None) != Some(0));
        auths.len() != before
    }

    /// Writes the file atomically: a temporary file with mode 0600 in the same
    /// directory, flushed to disk, then renamed over the old one. The directory
    /// is created (mode 0700) when missing.
    pub fn save(&self) -> Result<(), Error> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        create_private_dir(dir).map_err(|e| Error::io(dir, e))?;
        let bytes = self.to_bytes()?;
        let mut temp = tempfile::Builder::new()
            .prefix(".auth-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        restrict_to_owner(temp.as_file()).map_err(|e| Error::io(temp.path(), e))?;
        temp.write_all(&bytes).map_err(|e| Error::io(temp.path(), e))?;
        temp.as_file().sync_all().map_err(|e| Error::io(temp.path(), e))?;
        temp.persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }

    fn auths_mut(&mut self) -> &mut Map<String, Value> {
        let auths = self
            .document
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            // `load` rejects such files; this only guards documents built otherwise.
            *auths = Value::Object(Map::new());
        }
        auths
            .as_object_mut()
            .expect("`auths` was made an object just above")
    }

    fn decode_entry(&self, key: &str, entry: &Value) -> Result<Option<Credential>, Error> {
        let malformed = |reason: String| Error::MalformedAuthFile {
            path: self.path.clone(),
            reason,
        };
        let Value::Object(fields) = entry else {
            return Err(malformed(format!("the entry for {key:?} is not an object")));
        };
        let field = |name: &str| match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err(malformed(format!(
                "field `{name}` of the entry for {key:?} is not a string"
            ))),
        };
        let from_auth = match field("auth")? {
            None => None,
            Some(encoded) => Some(decode_auth(encoded).ok_or_else(|| {
                malformed(format!(
                    "field `auth` of the entry for {key:?} is not base64 of `username:password`"
                ))
            })?),
        };
        let username = field("username")?
            .map(str::to_owned)
            .or_else(|| from_auth.as_ref().map(|(user, _)| user.clone()))
            .filter(|user| !user.is_empty());
        if let Some(token) = field("identitytoken")? {
            return Ok(Some(Credential::IdentityToken {
                username,
                token: Secret::new(token),
            }));
        }
        if let Some(token) = field("registrytoken")? {
            return Ok(Some(Credential::RegistryToken(Secret::new(token))));
        }
        if let Some((user, password)) = from_auth {
            return Ok(Some(Credential::basic(user, password)));
        }
        match (username, field("password")?) {
            (Some(user), Some(password)) => Ok(Some(Credential::basic(user, password))),
            _ => Ok(None),
        }
    }
}

impl fmt::Debug for AuthFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registries: Vec<&String> = self
            .document
            .get("auths")
            .and_then(Value::as_object)
            .map(|a| a.keys().collect())
            .unwrap_or_default();
        f.debug_struct("AuthFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("exists", &self.exists)
            .field("registries", &registries)
            .field("helper", &self.document.get("credsStore").and_then(Value::as_str))
            .finish()
    }
}

/// `base64(username:password)`; the password may itself hold colons.
fn decode_auth(encoded: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn parse_document(path: &Path, bytes: &[u8]) -> Result<Map<String, Value>, Error> {
    let malformed = |reason: String| Error::MalformedAuthFile {
        path: path.to_owned(),
        reason,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    // serde's messages can quote the input; only the position is kept.
    let document: Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed(format!("not JSON (line {}, column {})", e.line(), e.column())))?;
    let Value::Object(document) = document else {
        return Err(malformed("not a JSON object".to_owned()));
    };
    for (field, expected) in [
        ("auths", "an object"),
        ("credHelpers", "an object"),
        ("credsStore", "a string"),
    ] {
        let ok = match document.get(field) {
            None | Some(Value::Null) => true,
            Some(value) if expected == "a string" => value.is_string(),
            Some(value) => value.is_object(),
        };
        if !ok {
            return Err(malformed(format!("field `{field}` is not {expected}")));
        }
    }
    Ok(document)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn restrict_to_owner(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_to_owner(_file: &File) -> std::io::Result<()> {
    Ok(())
}
