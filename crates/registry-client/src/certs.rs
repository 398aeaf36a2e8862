//! Per-registry certificate directories, as Docker and the containers tools use them.
//!
//! A directory holds `*.crt` files (extra CAs trusted for that registry, besides the configured
//! roots) and at most one `NAME.cert` + `NAME.key` pair (the client certificate presented for
//! mutual TLS). Other files are ignored, as Docker ignores them. A `.cert` without its `.key`
//! (or the reverse), or a file that cannot be read or holds no usable PEM, is an error naming
//! the file: a half-configured directory must not quietly connect without its certificate.

use std::path::{Path, PathBuf};

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

/// Whether `path` is a directory (a missing or unreadable one is not).
fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Where the certificate directory of a host is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertDirs {
    /// One directory for every host (skopeo's `--cert-dir`).
    One(PathBuf),
    /// `ROOT/HOST[:PORT]/` under the first root where that directory exists.
    PerHost(Vec<PathBuf>),
}

impl CertDirs {
    /// The directory for `authority` (`host` or `host:port`, as in the URL), if any.
    pub(crate) fn dir_for(&self, authority: &str) -> Option<PathBuf> {
        match self {
            CertDirs::One(dir) => Some(dir.clone()),
            CertDirs::PerHost(roots) => roots
                .iter()
                .map(|root| root.join(authority))
                .find(|dir| is_dir(dir)),
        }
    }
}

/// What a certificate directory holds.
#[derive(Debug, Default)]
pub(crate) struct HostCerts {
    /// Extra CA certificates.
    pub(crate) cas: Vec<CertificateDer<'static>>,
    /// The client certificate chain and its key.
    pub(crate) client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
}

fn file_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::CertificateFile {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Reads the certificate directory `dir`.
pub(crate) fn load(dir: &Path) -> Result<HostCerts, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        files.push(entry.map_err(|e| file_error(dir, e.to_string()))?.path());
    }
    // Sorted, so which pair is used when there are several does not depend on the file system.
    files.sort();
    let has_extension = |path: &Path, wanted: &str| path.extension().is_some_and(|e| e == wanted);
    let mut certs = HostCerts::default();
    for path in &files {
        if has_extension(path, "crt") {
            certs.cas.extend(read_certificates(path)?);
        } else if has_extension(path, "key") && !path.with_extension("cert").exists() {
            return Err(file_error(
                path,
                "a client key without its certificate (NAME.cert)",
            ));
        } else if has_extension(path, "cert") {
            let key_path = path.with_extension("key");
            if !key_path.exists() {
                return Err(file_error(
                    path,
                    "a client certificate without its key (NAME.key)",
                ));
            }
            let chain = read_certificates(path)?;
            let key = read_key(&key_path)?;
            if certs.client.is_none() {
                certs.client = Some((chain, key));
            } else {
                tracing::debug!(path = %path.display(), "second client certificate ignored");
            }
        }
    }
    Ok(certs)
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    pem_certificates(path).map_err(|reason| file_error(path, reason))
}

/// The PEM certificates in `path` (at least one), or why there are none.
pub(crate) fn pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificates in the file".to_owned());
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    let pem = std::fs::read(path).map_err(|e| file_error(path, e.to_string()))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| file_error(path, e.to_string()))?
        .ok_or_else(|| file_error(path, "no PEM private key in the file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(result: Result<HostCerts, Error>) -> (PathBuf, String) {
        match result {
            Err(Error::CertificateFile { path, reason }) => (path, reason),
            other => panic!("expected a certificate file error, got {other:?}"),
        }
    }

    #[test]
    fn half_pairs_and_bad_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("client.cert"), "x").unwrap();
        let (path, reason) = reported(load(dir.path()));
        assert_eq!(path, dir.path().join("client.cert"));
        assert!(reason.contains("without its key"), "{reason}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("client.key"), "x").unwrap();
        let (path, reason) = reported(load(dir.path()));
        assert_eq!(path, dir.path().join("client.key"));
        assert!(reason.contains("without its certificate"), "{reason}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.crt"), "not pem").unwrap();
        std::fs::write(dir.path().join("README"), "ignored").unwrap();
        let (path, _) = reported(load(dir.path()));
        assert_eq!(path, dir.path().join("ca.crt"));

        let missing = dir.path().join("missing");
        assert_eq!(reported(load(&missing)).0, missing);
    }

    #[test]
    fn an_empty_directory_adds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let certs = load(dir.path()).unwrap();
        assert!(certs.cas.is_empty() && certs.client.is_none());
    }

    #[test]
    fn per_host_directories_are_found_under_the_first_root_that_has_one() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        std::fs::create_dir(second.path().join("r.example:5000")).unwrap();
        std::fs::create_dir(first.path().join("r.example")).unwrap();
        std::fs::create_dir(second.path().join("r.example")).unwrap();
        let dirs = CertDirs::PerHost(vec![first.path().to_owned(), second.path().to_owned()]);
        assert_eq!(dirs.dir_for("r.example"), Some(first.path().join("r.example")));
        assert_eq!(
            dirs.dir_for("r.example:5000"),
            Some(second.path().join("r.example:5000"))
        );
        assert_eq!(dirs.dir_for("other.example"), None);
        assert_eq!(
            CertDirs::One("/d".into()).dir_for("any"),
            Some(PathBuf::from("/d"))
        );
    }
}
